"""Request and response bodies of the JSON API; validation and the OpenAPI document use these."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
)

from ..agent.intents import Intent

# The request bodies the pages, the CLI and the agent's tools share live below the API (see
# taskchat/schemas.py); they are part of the API's document all the same.
from ..schemas import (  # noqa: F401
    EMAIL,
    NOT_BLANK,
    Email,
    LoginRequest,
    NonBlank,
    Priority,
    Query,
    RegisterRequest,
    Strict,
    Tag,
    TaskCreate,
    TaskQuery,
    TaskUpdate,
    WholeNumber,
    ZoneName,
    known_timezones,
)
from ..services import MAX_MESSAGE_CHARS, check_message


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


class AccountOut(Out):
    """``GET /api/v1/me``: who, and the settings reminders and dates depend on."""

    user: UserOut
    timezone: str
    email_reminders: bool
    default_reminder_minutes: int | None
    # The secret iCalendar feed URL (null: no feed); rotate or revoke it with PATCH.
    calendar_url: str | None


class MeUpdate(Strict):
    timezone: ZoneName = None  # type: ignore[assignment]
    email_reminders: bool = None  # type: ignore[assignment]
    default_reminder_minutes: WholeNumber | None = Field(default=None, ge=0, le=60 * 24 * 366)
    calendar: Literal["rotate", "revoke"] = Field(
        default=None, description="rotate: a new feed URL (the old one stops working); revoke: no feed."
    )  # type: ignore[assignment]


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
    # The rule in words ("every week on Monday"); due_at is then the next occurrence.
    recurrence_text: str | None
    completion_count: int
    last_completed_at: datetime | None
    tags: list[str]
    created_at: datetime
    updated_at: datetime


class TaskList(Out):
    tasks: list[TaskOut]


# --- reminders and notifications -----------------------------------------------------------


class ReminderOut(Out):
    id: int
    task_number: int
    remind_at: datetime
    before_due_minutes: int | None
    state: Literal["pending", "sent", "failed", "cancelled"]
    attempts: int
    sent_at: datetime | None
    last_error: str | None


class ReminderList(Out):
    reminders: list[ReminderOut]


class DeliveryOut(Out):
    state: Literal["pending", "sent", "failed", "cancelled"]
    attempts: int
    error: str | None


class NotificationOut(Out):
    id: int
    reminder_id: int
    task_number: int
    title: str
    remind_at: datetime
    created_at: datetime
    read: bool
    # The reminder's delivery (email retries, or failed after them).
    email: DeliveryOut


class NotificationList(Out):
    notifications: list[NotificationOut]
    unread: int


class NotificationQuery(Query):
    unread: bool = False




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



# --- your data ----------------------------------------------------------------------------


class ExportAccount(Out):
    email: str
    timezone: str


class ExportTask(TaskOut):
    reminders: list[ReminderOut]


class ExportConversation(ConversationOut):
    messages: list[MessageOut]


class ExportOut(Out):
    """Everything of the account: the document ``POST /api/v1/import`` reads back."""

    version: int
    exported_at: datetime
    account: ExportAccount
    tasks: list[ExportTask]
    conversations: list[ExportConversation]


class ImportResult(Out):
    # Skipped: a task the account already holds (same title, due date and description).
    added: int
    skipped: int


# The import body is the export document, as the import reads it (extra fields ignored).
from ..data_io import ImportDocument, ImportTask  # noqa: E402,F401
