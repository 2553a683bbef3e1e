"""The data model: users, their tasks, conversations, messages and tool calls.

SQLAlchemy 2.0 typed models that run unchanged on SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
    bindparam,
    false,
    func,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, WriteOnlyMapped, column_property, mapped_column, relationship

from . import passwords, public_ids, transactions
from .extensions import db
from .recurrence import describe as describe_rule

PRIORITIES = ("none", "low", "medium", "high")
ROLES = ("user", "assistant")
TOOL_STATUSES = ("success", "error")
REMINDER_STATES = ("pending", "sent", "failed", "cancelled")

JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


UTC_ZONE = ZoneInfo("UTC")


def zone(name: str | None) -> ZoneInfo:
    """A time zone by IANA name; UTC when unset or unknown (a name stored before its zone
    left the system's database must not break the user's pages)."""
    if not name:
        return UTC_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):  # unknown, or not a zone name at all ("../x")
        return UTC_ZONE


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp on every backend (SQLite drops the offset on its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored in a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    last_task_number: Mapped[int] = mapped_column(Integer, default=0)
    # Carried in every token as "gen"; "sign out everywhere" counts it up, and a token that
    # carries an older one is revoked (one column instead of a list of every token handed out).
    token_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Reminder settings: email on/off, and the reminder every new task with a due time gets
    # (minutes before it; None: none unless asked for).
    email_reminders: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    default_reminder_minutes: Mapped[int | None] = mapped_column(Integer)
    # The secret of the user's iCalendar feed URL (None: no feed); rotating replaces it.
    calendar_secret: Mapped[str | None] = mapped_column(String(64), unique=True)

    tasks: WriteOnlyMapped[Task] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )
    conversations: WriteOnlyMapped[Conversation] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    @staticmethod
    def normalize_email(email: str) -> str:
        return email.strip().lower()

    def set_password(self, password: str) -> None:
        self.password_hash = passwords.hash_password(password)

    def check_password(self, password: str) -> bool:
        return passwords.verify(self.password_hash, password)

    @classmethod
    def by_email(cls, email: str) -> User | None:
        return db.session.scalar(select(cls).where(cls.email == cls.normalize_email(email)))

    @classmethod
    def authenticate(cls, email: str, password: str) -> User | None:
        """The user with ``email`` and ``password``, or ``None``. An unknown email costs the
        same password check as a wrong password, so the time taken does not tell them apart."""
        user = cls.by_email(email)
        if user is None:
            passwords.verify(None, password)
            return None
        return user if user.check_password(password) else None

    @property
    def zone(self) -> ZoneInfo:
        """The user's time zone (UTC when unset or unknown)."""
        return zone(self.timezone)

    def revoke_all_tokens(self) -> None:
        """Make every token handed out so far invalid (inside a write transaction)."""
        transactions.connection().execute(_NEXT_TOKEN_GENERATION, {"b_id": self.id})

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "email": self.email,
            "timezone": self.timezone,
            "created_at": self.created_at.isoformat(),
        }


_USERS = User.__table__
_NEXT_TOKEN_GENERATION = (
    update(_USERS)
    .where(_USERS.c.id == bindparam("b_id"))
    .values(token_generation=_USERS.c.token_generation + 1)
)


class Task(db.Model):
    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("user_id", "number"),
        CheckConstraint(f"priority IN {PRIORITIES}", name="priority"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    completed: Mapped[bool] = mapped_column(Boolean, default=False)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    priority: Mapped[str] = mapped_column(String(10), default="none")
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_has_time: Mapped[bool] = mapped_column(Boolean, default=False)
    # An RFC 5545 RRULE value ("FREQ=WEEKLY;BYDAY=MO"), anchored at due_at (taskchat.recurrence).
    recurrence: Mapped[str | None] = mapped_column(String(255))
    # A repeating task stays open; each completion moves it on and is counted here.
    completion_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship(back_populates="tasks")

    def set_completed(self, completed: bool) -> None:
        self.completed = completed
        self.completed_at = utcnow() if completed else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "title": self.title,
            "description": self.description,
            "completed": self.completed,
            "completed_at": self.completed_at.isoformat() if self.completed_at else None,
            "priority": self.priority,
            "due_at": self.due_at.isoformat() if self.due_at else None,
            "due_has_time": self.due_has_time,
            "recurrence": self.recurrence,
            "recurrence_text": describe_rule(self.recurrence),
            "completion_count": self.completion_count or 0,
            "last_completed_at": self.last_completed_at.isoformat() if self.last_completed_at else None,
            "tags": list(self.tags or []),
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


@dataclass(frozen=True)
class TaskList:
    """A list of tasks a reply shows besides its text (ChatKit's widget, the page's list).

    ``tasks`` are the tasks' JSON (``Task.to_dict``), as they were when the reply was made;
    ``stored`` / ``from_stored`` are the message's ``display`` column.
    """

    title: str
    tasks: list[dict[str, Any]]
    kind: str = "task_list"

    def stored(self) -> dict[str, Any]:
        return {"kind": self.kind, "title": self.title, "tasks": self.tasks}

    @classmethod
    def from_stored(cls, display: dict[str, Any] | None) -> TaskList | None:
        """The message's display as a task list (None for no display or another kind)."""
        if not display or display.get("kind") != "task_list":
            return None
        return cls(display.get("title") or "", list(display.get("tasks") or []))

    def with_tasks(self, tasks: list[dict[str, Any]]) -> TaskList:
        return TaskList(self.title, tasks)



# The most characters a conversation's title holds (a title set by hand; one made from the first
# message is shorter, see ``agent.persistence.AUTO_TITLE_CHARS``).
TITLE_CHARS = 255


class Conversation(db.Model):
    __tablename__ = "conversations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str | None] = mapped_column(String(TITLE_CHARS))
    # What the agent remembers between turns (tasks last referenced, a pending clarification
    # or confirmation) lives on each reply (``Message.state``): ``state`` (below ``Message``)
    # reads the latest reply's with the row. This column holds the state of conversations
    # whose replies were stored before replies carried it, read when no reply has one.
    stored_state: Mapped[dict[str, Any]] = mapped_column("state", JSONType, default=dict)
    last_sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    user: Mapped[User] = relationship(back_populates="conversations")
    messages: WriteOnlyMapped[Message] = relationship(
        back_populates="conversation",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Message.sequence_number",
    )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "title": self.title,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


class Message(db.Model):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "sequence_number"),
        CheckConstraint(f"role IN {ROLES}", name="role"),
        # Shown message ids (msg_…, see public_ids) map to these: SQLite must never hand a
        # deleted one out again.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    sequence_number: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    model: Mapped[str | None] = mapped_column(String(100))
    tokens_used: Mapped[int | None] = mapped_column(Integer)
    intent: Mapped[str | None] = mapped_column(String(32))
    # Structured content for rich surfaces (e.g. the task list a ChatKit widget shows).
    display: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # When the message asks: the answers offered, [{"label", "reply"}] (see agent.events.Choice).
    choices: Mapped[list[dict[str, str]] | None] = mapped_column(JSONType)
    # A reply's: the conversation's state as the turn that wrote it left it (the latest reply's
    # is the conversation's; see ``agent.persistence``). Stored with the reply, in the one
    # statement that writes it, instead of in a second one on the conversation.
    state: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    feedback: Mapped[str | None] = mapped_column(String(16))
    # A model's reply cut short by a cancelled stream: the text is what was said until then.
    interrupted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    conversation: Mapped[Conversation] = relationship(back_populates="messages")
    tool_calls: Mapped[list[ToolCall]] = relationship(
        back_populates="message",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ToolCall.id",
    )

    @property
    def task_list(self) -> TaskList | None:
        """The task list the message shows besides its text, if any."""
        return TaskList.from_stored(self.display)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": public_ids.message_ref(self.id),
            "role": self.role,
            "content": self.content,
            "sequence_number": self.sequence_number,
            "created_at": self.created_at.isoformat(),
            "model": self.model,
            "tokens_used": self.tokens_used,
            "intent": self.intent,
            "choices": self.choices or [],
            "interrupted": self.interrupted,
            "tool_calls": [call.to_dict() for call in self.tool_calls],
        }


# A conversation's state as the agent left it: its latest reply's, read in the same SELECT as
# the row (a correlated subquery, no query of its own); read-only (a reply writes it).
Conversation.state = column_property(
    func.coalesce(
        select(Message.state)
        .where(Message.conversation_id == Conversation.id, Message.state.is_not(None))
        .order_by(Message.sequence_number.desc())
        .limit(1)
        .correlate_except(Message)
        .scalar_subquery(),
        Conversation.stored_state,
        type_=JSONType,
    )
)


class ToolCall(db.Model):
    __tablename__ = "tool_calls"
    __table_args__ = (CheckConstraint(f"status IN {TOOL_STATUSES}", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    tool_name: Mapped[str] = mapped_column(String(64))
    tool_input: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    tool_output: Mapped[Any | None] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(16))
    error_message: Mapped[str | None] = mapped_column(Text)
    execution_time_ms: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    message: Mapped[Message] = relationship(back_populates="tool_calls")

    def to_dict(self) -> dict[str, Any]:
        return {
            "tool_name": self.tool_name,
            "tool_input": self.tool_input,
            "tool_output": self.tool_output,
            "status": self.status,
            "error_message": self.error_message,
            "execution_time_ms": self.execution_time_ms,
        }


class RevokedToken(db.Model):
    """A JWT revoked by logout, kept until it would have expired anyway."""

    __tablename__ = "revoked_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    jti: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(String(36), index=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Reminder(db.Model):
    """A moment to remind the user of a task: absolute (``remind_at``) or ``before_due_minutes``
    before the task's due time (``remind_at`` is then kept in step with the due time).

    Delivery (``taskchat.delivery``) claims due pending reminders with a short lease
    (``claimed_until``), so a worker that dies mid-send leaves the reminder to be claimed
    again: at least once. Its in-app notice is unique per reminder and time, so a repeat is
    harmless there, and an email carries a Message-ID made from the same pair.
    """

    __tablename__ = "reminders"
    __table_args__ = (
        CheckConstraint(f"state IN {REMINDER_STATES}", name="state"),
        # Reminder ids are public (/reminders/<id>): SQLite must not hand a deleted one out again.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    remind_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    before_due_minutes: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Email retries wait until then (backoff); the in-app notice is already out.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(36))
    # Cancelled because its task was completed or deleted: reopening (undo) re-arms it.
    cancelled_with_task: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    task: Mapped[Task] = relationship()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "task_number": self.task.number,
            "remind_at": self.remind_at.isoformat(),
            "before_due_minutes": self.before_due_minutes,
            "state": self.state,
            "attempts": self.attempts,
            "sent_at": self.sent_at.isoformat() if self.sent_at else None,
            "last_error": self.last_error,
        }


class Notification(db.Model):
    """A reminder that came due, shown in the app until read: one per reminder and moment
    (the unique pair makes a repeated delivery a no-op)."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("reminder_id", "remind_at"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reminder_id: Mapped[int] = mapped_column(ForeignKey("reminders.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    remind_at: Mapped[datetime] = mapped_column(UTCDateTime)
    title: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    reminder: Mapped[Reminder] = relationship()
    task: Mapped[Task] = relationship()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "reminder_id": self.reminder_id,
            "task_number": self.task.number,
            "title": self.title,
            "remind_at": self.remind_at.isoformat(),
            "created_at": self.created_at.isoformat(),
            "read": self.read_at is not None,
            "email": {"state": self.reminder.state, "attempts": self.reminder.attempts,
                      "error": self.reminder.last_error},
        }
