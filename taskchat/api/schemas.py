"""Request and response bodies of the JSON API; validation and the OpenAPI document use these."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal
from zoneinfo import available_timezones

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

# The task bodies live below the API so the agent's tools share them (see taskchat/schemas.py).
from ..schemas import Priority, Strict, TaskCreate, TaskQuery, TaskUpdate  # noqa: F401
from ..services import MAX_MESSAGE_CHARS, check_message

Intent = Literal[
    "CREATE", "LIST", "COMPLETE", "UNCOMPLETE", "UPDATE", "DELETE",
    "SEARCH", "HELP", "GREETING", "CLARIFY", "UNKNOWN",
]


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
    # A language model's reply cut short by a cancelled stream (the text is what it said until then).
    interrupted: bool = False
    tool_calls: list[ToolCallOut]


class ConversationDetail(ConversationOut):
    messages: list[MessageOut]


class ConversationQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=200)


class Health(BaseModel):
    status: str
