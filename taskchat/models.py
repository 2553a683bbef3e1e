"""The data model: users, their tasks, conversations, messages and tool calls.

SQLAlchemy 2.0 typed models that run unchanged on SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

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
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship
from sqlalchemy.orm.attributes import set_committed_value

from . import passwords, public_ids, transactions
from .extensions import db

PRIORITIES = ("none", "low", "medium", "high")
ROLES = ("user", "assistant")
TOOL_STATUSES = ("success", "error")

JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


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

    def allocate_task_number(self) -> int:
        """Reserve the user's next task number; numbers are never reused.

        An atomic ``UPDATE … RETURNING`` so that two workers adding tasks at once get
        different numbers (PostgreSQL locks the row until commit; SQLite serialises writers).
        """
        # Core on the session's connection (same transaction): cheaper than ORM bulk UPDATE.
        number = transactions.connection().execute(_NEXT_TASK_NUMBER, {"b_id": self.id}).scalar_one()
        # Known, not changed: assigning would make the flush write the row a second time.
        set_committed_value(self, "last_task_number", number)
        return number

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
# Built once: a turn only looks up its compiled form.
_NEXT_TASK_NUMBER = (
    update(_USERS)
    .where(_USERS.c.id == bindparam("b_id"))
    .values(last_task_number=_USERS.c.last_task_number + 1)
    .returning(_USERS.c.last_task_number)
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
    recurrence: Mapped[str | None] = mapped_column(String(32))
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
            "tags": list(self.tags or []),
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


class Conversation(db.Model):
    __tablename__ = "conversations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str | None] = mapped_column(String(255))
    # What the agent remembers between turns: tasks last referenced, a pending clarification
    # or confirmation. Kept in the database so every worker and every surface sees it.
    state: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
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
