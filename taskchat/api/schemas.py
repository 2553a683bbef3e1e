"""Request and response bodies of the JSON API; validation and the OpenAPI document use these."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal
from zoneinfo import available_timezones

from pydantic import AwareDatetime, BaseModel, ConfigDict, EmailStr, Field, field_validator

from ..services import MAX_MESSAGE_CHARS, check_message

Priority = Literal["none", "low", "medium", "high"]
Intent = Literal[
    "CREATE", "LIST", "COMPLETE", "UNCOMPLETE", "UPDATE", "DELETE",
    "SEARCH", "HELP", "GREETING", "CLARIFY", "UNKNOWN",
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    @field_validator("*")
    @classmethod
    def no_nul_characters(cls, value: Any) -> Any:
        # PostgreSQL cannot store NUL in text: refuse it here instead of failing at the database.
        values = value if isinstance(value, list) else [value]
        if any(isinstance(item, str) and "\x00" in item for item in values):
            raise ValueError("must not contain NUL characters")
        return value


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: list[dict[str, Any]] | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


# --- auth -------------------------------------------------------------------------------


class RegisterRequest(Strict):
    email: EmailStr = Field(max_length=320)
    password: str = Field(min_length=8, max_length=256)
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def known_timezone(cls, value: str) -> str:
        if value not in available_timezones():
            raise ValueError("unknown IANA time zone")
        return value


class LoginRequest(Strict):
    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=256)


class UserOut(BaseModel):
    id: str
    email: str
    timezone: str
    created_at: datetime


class AuthResponse(BaseModel):
    user: UserOut
    access_token: str


class MeResponse(BaseModel):
    user: UserOut


class OkResponse(BaseModel):
    ok: bool = True


# --- chat -------------------------------------------------------------------------------


class ChatRequest(Strict):
    message: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)
    conversation_id: uuid.UUID | None = None

    @field_validator("conversation_id", mode="before")
    @classmethod
    def parse_uuid(cls, value: Any) -> Any:
        # strict mode refuses a UUID given as a JSON string; accept the string form only.
        if isinstance(value, str):
            try:
                return uuid.UUID(value)
            except ValueError as exc:
                raise ValueError("must be a UUID") from exc
        return value

    @field_validator("message")
    @classmethod
    def not_blank(cls, value: str) -> str:
        check_message(value)
        return value


class ToolCallOut(BaseModel):
    tool_name: str
    tool_input: dict[str, Any] | None
    tool_output: Any | None
    status: Literal["success", "error"]
    error_message: str | None
    execution_time_ms: int | None


class ChoiceOut(BaseModel):
    """An answer the agent offers when it asks; send ``reply`` as the next message to pick it."""

    label: str
    reply: str


class ChatMetadata(BaseModel):
    intent: Intent
    tool_called: str | None
    tool_calls: list[ToolCallOut]
    execution_time_ms: int
    choices: list[ChoiceOut] = []


class ChatResponse(BaseModel):
    response: str
    conversation_id: uuid.UUID
    metadata: ChatMetadata


# --- tasks ------------------------------------------------------------------------------


class TaskOut(BaseModel):
    number: int
    title: str
    description: str | None
    completed: bool
    completed_at: datetime | None
    priority: Priority
    due_at: datetime | None
    due_has_time: bool
    recurrence: str | None
    tags: list[str]
    created_at: datetime
    updated_at: datetime


class TaskList(BaseModel):
    tasks: list[TaskOut]


class TaskQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["pending", "completed", "all"] = "all"
    priority: Priority | None = None
    tag: str | None = Field(default=None, max_length=64)
    due: Literal["today", "overdue", "week"] | None = None
    q: str | None = Field(default=None, max_length=200)


def _tags(value: list[str]) -> list[str]:
    for tag in value:
        if not tag.strip() or len(tag) > 64:
            raise ValueError("tags must be non-empty strings of at most 64 characters")
    return value


class TaskCreate(Strict):
    title: str = Field(min_length=1, max_length=500)
    description: str | None = Field(default=None, max_length=10_000)
    priority: Priority = "none"
    due_at: AwareDatetime | None = None
    due_has_time: bool = True
    tags: list[str] = Field(default_factory=list, max_length=50)
    recurrence: str | None = Field(default=None, max_length=32)

    @field_validator("due_at", mode="before")
    @classmethod
    def parse_due(cls, value: Any) -> Any:
        return datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else value

    @field_validator("title")
    @classmethod
    def title_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("tags")
    @classmethod
    def tags_not_blank(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _tags(value)


class TaskUpdate(TaskCreate):
    title: str | None = Field(default=None, min_length=1, max_length=500)  # type: ignore[assignment]
    priority: Priority | None = None  # type: ignore[assignment]
    due_has_time: bool | None = None  # type: ignore[assignment]
    tags: list[str] | None = Field(default=None, max_length=50)  # type: ignore[assignment]
    completed: bool | None = None

    @field_validator("title")
    @classmethod
    def title_not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be empty")
        return value


# --- conversations ---------------------------------------------------------------------


class ConversationOut(BaseModel):
    id: uuid.UUID
    title: str | None
    created_at: datetime
    updated_at: datetime


class ConversationPage(BaseModel):
    conversations: list[ConversationOut]
    next_cursor: str | None


class MessageOut(BaseModel):
    id: int
    role: Literal["user", "assistant"]
    content: str
    sequence_number: int
    created_at: datetime
    model: str | None
    tokens_used: int | None
    intent: str | None
    choices: list[ChoiceOut] = []
    tool_calls: list[ToolCallOut]


class ConversationDetail(ConversationOut):
    messages: list[MessageOut]


class ConversationQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=200)


class Health(BaseModel):
    status: str
