"""How a conversation, its messages and its tool calls are stored, for rule and model turns alike.

The only module that writes a turn's rows. It stores the user's message (``start_turn``, its
own commit, so the message is visible before the reply), and the reply (``ReplyRecord``): the
assistant message announced (inserted, so its id can be streamed before its words), then
completed with its outcome and the tool calls. Whoever calls it holds the write transaction
(``transactions.writing``); the runner decides how many.

Two things save the reply a statement on the conversation row. ``start_turn`` numbers the
user's message and its reply at once (``last_sequence + 2``): the reply needs no number of its
own (a turn that never stores its reply leaves that number unused). And the conversation's
state is stored on the reply (``messages.state``): the latest reply's is the conversation's,
read back with the next message's number in the same ``UPDATE … RETURNING``.

The rows are written with Core statements on the session's connection (same transaction):
the ORM's unit of work and bulk-DML layer cost more than the SQL itself here. Each statement
is built once, with bind parameters, so a turn only looks up its compiled form (building a
statement anew each time cost as much as running it).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, insert, literal_column, select, update
from sqlalchemy.orm import selectinload

from .. import transactions
from ..errors import NotFoundError
from ..extensions import db
from ..models import Conversation, Message, ToolCall, utcnow
from ..transactions import writing
from .events import ReplyStarted, ToolFinished
from .state import ConversationState

# A conversation's title made from its first message: short enough for a side list.
AUTO_TITLE_CHARS = 60
# The ``model`` column of a reply the rule-based agent wrote.
RULES_MODEL = "taskchat-rules"


class ConversationNotFound(NotFoundError):
    """The conversation does not exist or belongs to someone else (both answer 404)."""

    code = "conversation_not_found"
    message = "There is no such conversation."


@dataclass(frozen=True)
class TurnStart:
    """The stored user message and what the turn needs of its conversation (no re-reading)."""

    conversation_id: uuid.UUID
    user_message_id: int
    created: bool
    title: str | None
    text: str
    created_at: datetime
    state: ConversationState = field(default_factory=ConversationState)
    conversation_created_at: datetime | None = None
    # The number kept for the reply (``None``: it takes the next one when it is stored).
    reply_sequence: int | None = None


def as_conversation_id(value: str | uuid.UUID | None) -> uuid.UUID | None:
    """``value`` as a conversation id; ``ConversationNotFound`` when it cannot be one."""
    if value is None or isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise ConversationNotFound(str(value)) from exc


def get_conversation(user_id: str, conversation_id: str | uuid.UUID) -> Conversation:
    """The user's conversation, or ``ConversationNotFound`` (also for someone else's)."""
    conversation = db.session.scalar(
        select(Conversation).where(
            Conversation.id == as_conversation_id(conversation_id), Conversation.user_id == user_id
        )
    )
    if conversation is None:
        raise ConversationNotFound(str(conversation_id))
    return conversation


def title_from(message: str) -> str:
    text = " ".join(message.split())
    return text if len(text) <= AUTO_TITLE_CHARS else text[: AUTO_TITLE_CHARS - 1].rstrip() + "…"


_CONVERSATIONS = Conversation.__table__
_MESSAGES = Message.__table__
_TOOL_CALLS = ToolCall.__table__

_NEW_CONVERSATION = insert(_CONVERSATIONS)
# The conversation's state: its latest reply's; for a conversation whose replies were stored
# before replies carried it, the one kept on the conversation row.
# Written out, table names and all: inside ``RETURNING`` SQLAlchemy leaves column names
# unqualified, and ``id`` in the subquery would then be the reply's own.
_LATEST_STATE = literal_column(
    "coalesce((SELECT replies.state FROM messages AS replies"
    " WHERE replies.conversation_id = conversations.id AND replies.state IS NOT NULL"
    " ORDER BY replies.sequence_number DESC LIMIT 1), conversations.state)",
    type_=_CONVERSATIONS.c.state.type,
)
# Reserve the numbers of the user's message and of its reply, checking the conversation is the
# user's, in one ``UPDATE … RETURNING`` (the row lock orders concurrent writers), which also
# reads the state; no row when not found. An untitled conversation takes its title from the message.
_NEXT_SEQUENCE = (
    update(_CONVERSATIONS)
    .where(_CONVERSATIONS.c.id == bindparam("b_id"), _CONVERSATIONS.c.user_id == bindparam("b_user_id"))
    .values(
        last_sequence=_CONVERSATIONS.c.last_sequence + 2,
        updated_at=bindparam("b_now"),
        title=case(
            (_CONVERSATIONS.c.title.is_(None) | (_CONVERSATIONS.c.title == ""), bindparam("b_title")),
            else_=_CONVERSATIONS.c.title,
        ),
    )
    .returning(_CONVERSATIONS.c.last_sequence, _CONVERSATIONS.c.title, _LATEST_STATE, _CONVERSATIONS.c.created_at)
)
# A number for a reply that has none kept (a retry, a button's turn).
_REPLY_SEQUENCE = (
    update(_CONVERSATIONS)
    .where(_CONVERSATIONS.c.id == bindparam("b_id"))
    .values(last_sequence=_CONVERSATIONS.c.last_sequence + 1, updated_at=bindparam("b_now"))
    .returning(_CONVERSATIONS.c.last_sequence)
)
_INSERT_MESSAGE = insert(_MESSAGES).returning(_MESSAGES.c.id)
_UPDATE_MESSAGE = update(_MESSAGES).where(_MESSAGES.c.id == bindparam("b_id"))
_INSERT_TOOL_CALLS = insert(_TOOL_CALLS)
_STATE_OF = select(_LATEST_STATE).select_from(_CONVERSATIONS).where(
    _CONVERSATIONS.c.id == bindparam("b_id"), _CONVERSATIONS.c.user_id == bindparam("b_user_id")
)


def _insert_message(conversation_id: uuid.UUID, role: str, *, sequence: int, **fields: Any):
    """Insert a message (``content`` and the other columns in ``fields``); its id and creation time."""
    created_at = utcnow()
    message_id = transactions.connection().execute(
        _INSERT_MESSAGE,
        {
            "conversation_id": conversation_id,
            "role": role,
            "sequence_number": sequence,
            "created_at": created_at,
            **fields,
        },
    ).scalar_one()
    return message_id, created_at


def start_turn(user_id: str, message: str, conversation_id: str | uuid.UUID | None = None) -> TurnStart:
    """Store the user's message (in a new conversation when no id is given) and commit it.

    The message has passed ``services.check_message`` (no NUL: PostgreSQL text cannot hold it).
    """
    wanted = as_conversation_id(conversation_id)
    with writing():
        connection = transactions.connection()
        if wanted is None:
            conversation_key, title, state, since = uuid.uuid4(), title_from(message), {}, utcnow()
            sequence = 1
            reserved = sequence + 1
            connection.execute(
                _NEW_CONVERSATION,
                {
                    "id": conversation_key,
                    "user_id": user_id,
                    "title": title,
                    "state": state,
                    "last_sequence": reserved,
                    "created_at": since,
                    "updated_at": since,
                },
            )
        else:
            row = connection.execute(
                _NEXT_SEQUENCE,
                {"b_id": wanted, "b_user_id": user_id, "b_now": utcnow(), "b_title": title_from(message)},
            ).one_or_none()
            if row is None:
                raise ConversationNotFound(str(conversation_id))
            conversation_key = wanted
            reserved, title, state, since = row
            sequence = reserved - 1
        message_id, created_at = _insert_message(conversation_key, "user", sequence=sequence, content=message)
    return TurnStart(
        conversation_id=conversation_key,
        user_message_id=message_id,
        created=wanted is None,
        title=title,
        text=message,
        created_at=created_at,
        state=ConversationState.from_stored(state),
        conversation_created_at=since,
        reply_sequence=reserved,
    )


def restart_from(conversation: Conversation, message: Message) -> TurnStart:
    """A stored user message as the start of a turn that answers it again (a retry)."""
    return TurnStart(
        conversation_id=conversation.id,
        user_message_id=message.id,
        created=False,
        title=conversation.title,
        text=message.content,
        created_at=message.created_at,
        state=ConversationState.from_stored(conversation.state),
        conversation_created_at=conversation.created_at,
    )


def state_of(user_id: str, conversation_id: str | uuid.UUID) -> ConversationState:
    """The state of the user's conversation; ``ConversationNotFound`` when it is not theirs."""
    wanted = as_conversation_id(conversation_id)
    row = db.session.execute(_STATE_OF, {"b_id": wanted, "b_user_id": user_id}).one_or_none()
    if row is None:
        raise ConversationNotFound(str(conversation_id))
    return ConversationState.from_stored(row[0])


def recent_messages(conversation_id: uuid.UUID, limit: int) -> list[Message]:
    """The conversation's last ``limit`` messages, oldest first, with their tool calls."""
    recent = db.session.scalars(
        select(Message)
        .where(Message.conversation_id == conversation_id)
        .order_by(Message.sequence_number.desc())
        .limit(limit)
        .options(selectinload(Message.tool_calls))
    )
    return list(reversed(list(recent)))


def last_user_text(conversation_id: uuid.UUID) -> str | None:
    """What the user said last in the conversation."""
    return db.session.scalar(
        select(Message.content)
        .where(Message.conversation_id == conversation_id, Message.role == "user")
        .order_by(Message.sequence_number.desc())
        .limit(1)
    )


class ReplyRecord:
    """The assistant message of one turn: announced once, then completed (inside the caller's
    write transaction each time)."""

    def __init__(self, conversation_id: uuid.UUID, sequence: int | None = None):
        self.conversation_id = conversation_id
        # The number ``start_turn`` kept for this reply, if it did.
        self.sequence = sequence
        self.message_id: int | None = None
        self.state_written: dict[str, Any] | None = None

    def announce(
        self, state: ConversationState, outcome: Any | None, *, model: str = RULES_MODEL, interrupted: bool = False
    ) -> ReplyStarted:
        """Insert the assistant message (with the outcome when it is already known).

        ``interrupted``: a model's reply, stored before its text, says so until it ends.
        """
        stored_state = state.stored()
        sequence = self.sequence
        if sequence is None:
            sequence = transactions.connection().execute(
                _REPLY_SEQUENCE, {"b_id": self.conversation_id, "b_now": utcnow()}
            ).scalar_one()
        self.state_written = stored_state
        fields = {"content": "", **_outcome_fields(outcome)}
        self.message_id, created_at = _insert_message(
            self.conversation_id, "assistant", sequence=sequence, model=model, interrupted=interrupted,
            state=stored_state, **fields,
        )
        return ReplyStarted(
            self.message_id, str(self.conversation_id), created_at, outcome.display if outcome else None
        )

    def complete(
        self,
        state: ConversationState,
        outcome: Any,
        calls: list[ToolFinished],
        *,
        streamed: bool,
        usage: dict[str, Any] | None = None,
    ) -> int:
        """The outcome (when its text was ``streamed`` after the announcement), ``usage`` (a
        model's name, tokens, whether it was cut short) and the state, if it changed since the
        announcement, onto the announced message; the tool calls."""
        message_id = self.message_id
        assert message_id is not None, "a reply is announced before it is completed"
        connection = transactions.connection()
        values = _outcome_fields(outcome) if streamed else {}
        values.update(usage or {})
        stored_state = state.stored()
        if stored_state != self.state_written:
            values["state"] = stored_state
            self.state_written = stored_state
        if values:
            connection.execute(_UPDATE_MESSAGE, {"b_id": message_id, **values})
        if calls:
            connection.execute(
                _INSERT_TOOL_CALLS,
                [
                    {
                        "message_id": message_id,
                        "tool_name": call.name,
                        "tool_input": call.arguments,
                        "tool_output": call.output,
                        "status": call.status,
                        "error_message": call.error,
                        "execution_time_ms": call.execution_time_ms,
                        "created_at": call.started_at or utcnow(),
                        "completed_at": call.finished_at or utcnow(),
                    }
                    for call in calls
                ],
            )
        return message_id


def _outcome_fields(outcome: Any | None) -> dict[str, Any]:
    if outcome is None:
        return {}
    return {
        "content": outcome.text,
        "intent": outcome.intent,
        "display": outcome.display.stored() if outcome.display else None,
        "choices": [choice.to_dict() for choice in outcome.choices] or None,
    }
