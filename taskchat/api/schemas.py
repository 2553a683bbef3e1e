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
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
)

from ..passwords import MAX_LENGTH as MAX_PASSWORD_LENGTH
from ..passwords import MIN_LENGTH as MIN_PASSWORD_LENGTH
from ..passwords import check_new_password

# The task bodies live below the API so the agent's tools share them (see taskchat/schemas.py).
from ..schemas import (  # noqa: F401
    NOT_BLANK,
    NonBlank,
    Priority,
    Query,
    Strict,
    Tag,
    TaskCreate,
    TaskQuery,
    TaskUpdate,
)
from ..services import MAX_MESSAGE_CHARS, check_message

Intent = Literal[
    "CREATE", "LIST", "COMPLETE", "UNCOMPLETE", "UPDATE", "DELETE",
    "SEARCH", "HELP", "GREETING", "CLARIFY", "UNKNOWN",
]


@cache
def known_timezones() -> frozenset[str]:
    """The IANA zone names, read once: ``available_timezones()`` scans the tz database on disk."""
    return frozenset(available_timezones())


# An address is something@domain.tld without spaces; whether it exists is the mail's business.
# (A validator library's finer rules, such as refusing the reserved .test domain, could not be
# stated in the OpenAPI document, and so would refuse requests the document allows.)
# The class names the characters where Python's \s and JavaScript's (the document's readers)
# differ — \x1c-\x1f and \x85 are spaces to Python only, \ufeff to JavaScript only — so both
# refuse the same addresses; control characters have no place in an address either.
EMAIL = r"^[^@\s\x00-\x1f\x85\ufeff]+@[^@\s\x00-\x1f\x85\ufeff.]+(\.[^@\s\x00-\x1f\x85\ufeff.]+)+$"


def _email(value: str) -> str:
    if not re.fullmatch(EMAIL, value):
        raise ValueError("must be an email address such as name@example.com")
    return value


Email = Annotated[str, AfterValidator(_email), Field(json_schema_extra={"pattern": EMAIL})]

# A new password: the length and "not blank" are in the document; the list of common
# passwords and "not one character repeated" cannot be, and are 422s like the rest.
NewPassword = Annotated[
    str,
    AfterValidator(check_new_password),
    Field(
        min_length=MIN_PASSWORD_LENGTH,
        max_length=MAX_PASSWORD_LENGTH,
        json_schema_extra={
            "pattern": NOT_BLANK,
            "description": f"At least {MIN_PASSWORD_LENGTH} characters, not blank, not one character "
            "repeated, and not one of the 30 000 most common passwords.",
        },
    ),
]



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
    password: NewPassword
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




class ConversationOut(Out):
    id: uuid.UUID
    title: str | None
    created_at: datetime
    updated_at: datetime


class ConversationPage(Out):
    conversations: list[ConversationOut]
    next_cursor: str | None


class MessageOut(Out):
    # Opaque (a keyed permutation of the row id): it neither counts up nor says how many exist.
    id: str = Field(pattern=r"^msg_[0-9a-f]{16}$")
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


class ConversationQuery(Query):
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=200, pattern=r"^[A-Za-z0-9_-]+$")


class Health(Out):
    status: str
