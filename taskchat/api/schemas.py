"""Request and response bodies of the JSON API; validation and the OpenAPI document use these."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from functools import cache
from typing import Annotated, Any, Literal
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
)

from ..services import MAX_MESSAGE_CHARS, check_message

Priority = Literal["none", "low", "medium", "high"]
Intent = Literal[
    "CREATE", "LIST", "COMPLETE", "UNCOMPLETE", "UPDATE", "DELETE",
    "SEARCH", "HELP", "GREETING", "CLARIFY", "UNKNOWN",
]


@cache
def known_timezones() -> frozenset[str]:
    """The IANA zone names, read once: ``available_timezones()`` scans the tz database on disk."""
    return frozenset(available_timezones())


# "Blank" is what ``str.strip()`` removes entirely: Unicode white space and the ASCII separators
# \x1c-\x1f. The OpenAPI document states it as a pattern (a non-blank character somewhere);
# ``_not_blank`` enforces exactly that (tests check the two agree on every character).
NOT_BLANK = r"[^\s\x1c-\x1f]"


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


NonBlank = Annotated[str, AfterValidator(_not_blank), Field(json_schema_extra={"pattern": NOT_BLANK})]
Tag = Annotated[NonBlank, Field(max_length=64)]

# An address is something@domain.tld without spaces; whether it exists is the mail's business.
# (A validator library's finer rules, such as refusing the reserved .test domain, could not be
# stated in the OpenAPI document, and so would refuse requests the document allows.)
EMAIL = r"^[^@\s\x00]+@[^@\s\x00.]+(\.[^@\s\x00.]+)+$"


def _email(value: str) -> str:
    if not re.fullmatch(EMAIL, value):
        raise ValueError("must be an email address such as name@example.com")
    return value


Email = Annotated[str, AfterValidator(_email), Field(json_schema_extra={"pattern": EMAIL})]


def _no_nul(value: Any) -> Any:
    # PostgreSQL cannot store NUL in text: refuse it here instead of failing at the database.
    values = value if isinstance(value, list) else [value]
    if any(isinstance(item, str) and "\x00" in item for item in values):
        raise ValueError("must not contain NUL characters")
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    @field_validator("*")
    @classmethod
    def no_nul_characters(cls, value: Any) -> Any:
        return _no_nul(value)


class Query(BaseModel):
    """Query-string parameters: unknown ones refused, no NUL characters."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*")
    @classmethod
    def no_nul_characters(cls, value: Any) -> Any:
        return _no_nul(value)


class Out(BaseModel):
    """A response body: exactly these fields (the tests check every answer against its model)."""

    model_config = ConfigDict(extra="forbid")


class ErrorDetail(Out):
    code: str
    message: str
    details: list[dict[str, Any]] | None = None


class ErrorBody(Out):
    error: ErrorDetail


# --- auth -------------------------------------------------------------------------------


class RegisterRequest(Strict):
    email: Email = Field(max_length=320)
    password: str = Field(min_length=8, max_length=256)
    timezone: str = Field(default="UTC", json_schema_extra=lambda schema: schema.update(enum=sorted(known_timezones())))

    @field_validator("timezone")
    @classmethod
    def known_timezone(cls, value: str) -> str:
        if value not in known_timezones():
            raise ValueError("unknown IANA time zone")
        return value


class LoginRequest(Strict):
    email: NonBlank = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=256)


class UserOut(Out):
    id: str
    email: str
    timezone: str
    created_at: datetime


class AuthResponse(Out):
    user: UserOut
    access_token: str


class MeResponse(Out):
    user: UserOut


class OkResponse(Out):
    ok: bool = True


# --- chat -------------------------------------------------------------------------------


class ChatRequest(Strict):
    message: NonBlank = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)
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


class ToolCallOut(Out):
    tool_name: str
    tool_input: dict[str, Any] | None
    tool_output: Any | None
    status: Literal["success", "error"]
    error_message: str | None
    execution_time_ms: int | None


class ChoiceOut(Out):
    """An answer the agent offers when it asks; send ``reply`` as the next message to pick it."""

    label: str
    reply: str


class ChatMetadata(Out):
    intent: Intent
    tool_called: str | None
    tool_calls: list[ToolCallOut]
    execution_time_ms: int
    choices: list[ChoiceOut] = []


class ChatResponse(Out):
    response: str
    conversation_id: uuid.UUID
    metadata: ChatMetadata


# --- tasks ------------------------------------------------------------------------------


class TaskOut(Out):
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


class TaskList(Out):
    tasks: list[TaskOut]


class TaskQuery(Query):
    status: Literal["pending", "completed", "all"] = "all"
    priority: Priority | None = None
    tag: str | None = Field(default=None, max_length=64)
    due: Literal["today", "overdue", "week"] | None = None
    q: str | None = Field(default=None, max_length=200)


class TaskCreate(Strict):
    title: NonBlank = Field(min_length=1, max_length=500)
    description: str | None = Field(default=None, max_length=10_000)
    priority: Priority = "none"
    due_at: AwareDatetime | None = None
    due_has_time: bool = True
    tags: list[Tag] = Field(default_factory=list, max_length=50)
    recurrence: str | None = Field(default=None, max_length=32)

    @field_validator("due_at", mode="before")
    @classmethod
    def parse_due(cls, value: Any) -> Any:
        return datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else value


class TaskUpdate(TaskCreate):
    """Any field; those a task cannot be without may be left out but not set to null."""

    # Typed without None: an explicit null is refused (and documented so), a missing field is unset.
    title: NonBlank = Field(default=None, min_length=1, max_length=500)  # type: ignore[assignment]
    priority: Priority = None  # type: ignore[assignment]
    due_has_time: bool = None  # type: ignore[assignment]
    tags: list[Tag] = Field(default=None, max_length=50)  # type: ignore[assignment]
    completed: bool = None  # type: ignore[assignment]


# --- conversations ---------------------------------------------------------------------


class ConversationOut(Out):
    id: uuid.UUID
    title: str | None
    created_at: datetime
    updated_at: datetime


class ConversationPage(Out):
    conversations: list[ConversationOut]
    next_cursor: str | None


class MessageOut(Out):
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


class ConversationQuery(Query):
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=200, pattern=r"^[A-Za-z0-9_-]+$")


class Health(Out):
    status: str
