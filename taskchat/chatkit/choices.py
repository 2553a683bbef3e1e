"""A question's answer buttons in ChatKit: ``choice.pick`` sends the picked answer as the user's
next message, so a click and typing the answer are one path through the agent.

The agent keeps a question for one turn only, so only the thread's newest message can be
answered this way; a click on an older question's button redraws it disabled and says why.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

from ..agent import TurnStart
from ..models import Conversation, Message
from . import protocol, responder, store
from .protocol import ck

ANSWERED = "That question has been answered already; ask again if you still need it."


class ChoiceError(ValueError):
    """A ``choice.pick`` that cannot be one: ``code`` and message for the 422."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def picked(conversation: Conversation, item_id: str | None, payload: Any) -> tuple[Message, str]:
    """The asking message behind ``item_id`` and the reply text of the answer ``payload`` picks."""
    if not item_id:
        raise ChoiceError("invalid_fields", "A choice comes from the question's widget: send its item_id.")
    message, is_widget = store.message_for(conversation, item_id)
    if not is_widget or not message.choices:
        raise ChoiceError("not_a_question", "Choices come from the widget of a message that asks.")
    index = payload.get("index") if isinstance(payload, dict) else None
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(message.choices):
        raise ChoiceError(
            "invalid_fields", f'The action payload must be {{"index": 0..{len(message.choices) - 1}}}.'
        )
    return message, message.choices[index]["reply"]


def answered(question: Message, tz: ZoneInfo) -> ck.ThreadItemUpdatedEvent:
    """The question's widget redrawn with its buttons disabled (stored drawings follow from state)."""
    item = store.widget_item(question, tz, answered=True)
    return ck.ThreadItemUpdatedEvent(item_id=item.id, update=ck.WidgetRootUpdated(widget=item.widget))


def answer(
    user_id: str, tz: ZoneInfo, start: TurnStart, redraw: ck.ThreadItemUpdatedEvent
) -> tuple[Iterator[Any], responder.ChatKitEncoder]:
    """The question's buttons disabled, then the picked answer as the user's item and the turn."""
    events, encoder = responder.respond(user_id, tz, start)
    return events.before(redraw), encoder


def too_late(
    redraw: ck.ThreadItemUpdatedEvent | ck.ThreadItemReplacedEvent, why: str = ANSWERED
) -> tuple[Iterator[Any], responder.ChatKitEncoder]:
    """A click on a question a later message already answered (or an Undo gone stale): disable
    it, store nothing, and say why (no retry: the same click cannot succeed)."""
    return iter([redraw, protocol.error_event(why)]), responder.ChatKitEncoder(ZoneInfo("UTC"))
