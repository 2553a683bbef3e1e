"""A question's answer buttons in ChatKit: ``choice.pick`` sends the picked answer as the user's
next message, so a click and typing the answer are one path through the agent.

The agent keeps a question for one turn only, so only the thread's newest message can be
answered this way; a click on an older question's button redraws it disabled and says why.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from ..extensions import db
from ..models import Message
from . import protocol, responder, store
from .protocol import ck

ANSWERED = "That question has been answered already; ask again if you still need it."


class ChoiceError(ValueError):
    """A ``choice.pick`` that cannot be one: ``code`` and message for the 422."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def picked(conversation: Any, item_id: str | None, payload: Any) -> tuple[Message, str]:
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


def answer(
    user_id: str, conversation_id: uuid.UUID, question_id: int, user_message_id: int
) -> Iterator[Any]:
    """The question's buttons redrawn disabled, then the picked answer told as the user's message
    and the agent's reply to it."""

    def events() -> Iterator[Any]:
        yield _answered(user_id, question_id)
        yield from responder.respond(user_id, conversation_id, user_message_id, created=False)

    return events()


def too_late(user_id: str, question_id: int) -> Iterator[Any]:
    """A click on a question a later message already answered: disable it, store nothing."""
    yield _answered(user_id, question_id)
    yield protocol.error_event(ANSWERED)


def _answered(user_id: str, question_id: int) -> Any:
    message = db.session.get(Message, question_id)
    item = store.widget_item(message, store.user_timezone(user_id), answered=True)
    return ck.ThreadItemUpdatedEvent(item_id=item.id, update=ck.WidgetRootUpdated(widget=item.widget))
