"""The taskchat agent: one chat turn, as a generator of events, used by every surface."""

from . import llm
from .events import Reply, ReplyStarted, TextDelta, ToolFinished, ToolStarted, TurnDone, TurnEvent
from .turn import (
    ConversationNotFound,
    TurnStart,
    finish,
    get_conversation,
    process_request,
    run_action,
    run_turn,
    start_turn,
)

__all__ = [
    "ConversationNotFound",
    "Reply",
    "ReplyStarted",
    "TextDelta",
    "ToolFinished",
    "ToolStarted",
    "TurnDone",
    "TurnEvent",
    "TurnStart",
    "finish",
    "get_conversation",
    "llm",
    "process_request",
    "run_action",
    "run_turn",
    "start_turn",
]
