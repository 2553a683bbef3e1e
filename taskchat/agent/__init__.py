"""The taskchat agent: one chat turn, as a generator of events, used by every surface.

``persistence`` stores a conversation's rows, ``state`` holds a running turn and resolves
what a message points at, ``runner`` runs a turn (rule-based, or a model's through ``llm``).
"""

from .events import (
    ModelUnavailable,
    Reply,
    ReplyStarted,
    TaskList,
    TextDelta,
    ToolFinished,
    ToolStarted,
    TurnDone,
    TurnEvent,
)
from .intents import Intent
from .persistence import ConversationNotFound, TurnStart, get_conversation, restart_from, start_turn
from .runner import finish, model_answers, process_request, run_action, run_turn

__all__ = [
    "ConversationNotFound",
    "Intent",
    "ModelUnavailable",
    "Reply",
    "ReplyStarted",
    "TaskList",
    "TextDelta",
    "ToolFinished",
    "ToolStarted",
    "TurnDone",
    "TurnEvent",
    "TurnStart",
    "finish",
    "get_conversation",
    "model_answers",
    "process_request",
    "restart_from",
    "run_action",
    "run_turn",
    "start_turn",
]
