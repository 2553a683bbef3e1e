"""The request bodies more than one surface reads, as pydantic models: the task fields (the REST
API and the agent's tools), and signing up / in (the JSON API, the pages and the CLI).

One source: ``api/schemas.py`` validates request bodies with these and documents them, and the
agent's tools (offered to a language model and over MCP) take their JSON schemas from them.
This module sits below every surface, so none of them imports another's.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from typing import Annotated, Any, Literal
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from . import recurrence as _recurrence
from .passwords import MAX_LENGTH as MAX_PASSWORD_LENGTH
from .passwords import MIN_LENGTH as MIN_PASSWORD_LENGTH
from .passwords import check_new_password

Priority = Literal["none", "low", "medium", "high"]

# "Blank" is what ``str.strip()`` removes entirely: Unicode white space and the ASCII separators
# \x1c-\x1f. The OpenAPI document states it as a pattern (a non-blank character somewhere);
# ``_not_blank`` enforces exactly that (tests check the two agree on every character).
NOT_BLANK = r"[^\s\x1c-\x1f]"


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def _rrule(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    try:
        return _recurrence.normalize(value)
    except _recurrence.InvalidRule as exc:
        raise ValueError(f"must be an RFC 5545 RRULE such as FREQ=WEEKLY;BYDAY=MO: {exc}") from exc


# Stated in the document as an RRULE-shaped pattern; ``recurrence.normalize`` checks the rest
# (that dateutil reads it and that it ever happens).
RRULE_PATTERN = _recurrence.RRULE_PATTERN
# The length limit comes before the check: the check reads "" as None (no repeat), and a
# constraint applied after it would meet None and fail with a TypeError (a 500).
Recurrence = Annotated[
    str,
    Field(max_length=_recurrence.MAX_LENGTH, json_schema_extra={"pattern": "^$|" + RRULE_PATTERN},
          description="An RFC 5545 RRULE without DTSTART, anchored at the due time, e.g. FREQ=WEEKLY;BYDAY=MO; "
                      "an empty string means no repeat."),
    AfterValidator(_rrule),
]

def _whole(value: Any) -> Any:
    # JSON Schema's "integer" includes 60.0; strict mode alone would refuse it.
    return int(value) if isinstance(value, float) and value.is_integer() else value


WholeNumber = Annotated[int, BeforeValidator(_whole)]

NonBlank = Annotated[str, AfterValidator(_not_blank), Field(json_schema_extra={"pattern": NOT_BLANK})]
Tag = Annotated[NonBlank, Field(max_length=64)]


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
    # Not given: the due moment has a time of day when there is one (the task service's rule).
    due_has_time: bool | None = Field(
        default=None, description="false when due_at stands for a whole day; default: true when due_at is given"
    )
    tags: list[Tag] = Field(default_factory=list, max_length=50)
    recurrence: Recurrence | None = None

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


# --- tool arguments beyond the REST bodies ----------------------------------------------

TaskNumberField = Field(ge=1, description="The task's number as the user sees it.")


class TaskNumber(Strict):
    number: int = TaskNumberField


class TaskSearch(Strict):
    query: NonBlank = Field(min_length=1, max_length=200, description="Words in the title or description.")


class TaskChange(TaskUpdate):
    """Which task to change, and only the fields that change."""

    number: int = TaskNumberField
    add_tags: list[Tag] | None = Field(default=None, max_length=50)
    remove_tags: list[Tag] | None = Field(default=None, max_length=50)


class TaskRestore(TaskCreate):
    """A deleted task put back as it was, under its old number (the rule agent's undo)."""

    number: int = TaskNumberField
    completed: bool = False
    reminders: list[dict[str, Any]] | None = Field(default=None, max_length=20)


class TaskUndoCompletion(Strict):
    """A repeating task put back on the occurrence a completion moved it from (undo)."""

    number: int = TaskNumberField
    before: dict[str, Any]


# --- reminders ---------------------------------------------------------------------------

MAX_BEFORE_DUE_MINUTES = 60 * 24 * 366


class ReminderCreate(Strict):
    """A reminder at a moment, or some minutes before the task's due time (exactly one).

    A well-formed request can still answer 422 because of the task it names: a completed task,
    ``before_due_minutes`` on a task with no due time, or a task that already has the most
    pending reminders."""

    # The document says "exactly one of the two" (oneOf), as the validator below enforces.
    model_config = ConfigDict(
        extra="forbid", strict=True,
        json_schema_extra={"oneOf": [{"required": ["remind_at"]}, {"required": ["before_due_minutes"]}]},
    )

    # Typed without None: either field is given with a value or left out.
    remind_at: AwareDatetime = Field(default=None, description="ISO 8601 with an offset.")  # type: ignore[assignment]
    before_due_minutes: WholeNumber = Field(default=None, ge=0, le=MAX_BEFORE_DUE_MINUTES)  # type: ignore[assignment]

    @field_validator("remind_at", mode="before")
    @classmethod
    def parse_remind_at(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError as exc:
                raise ValueError("must be an ISO 8601 time with an offset") from exc
        return value

    @model_validator(mode="after")
    def exactly_one(self) -> ReminderCreate:
        if (self.remind_at is None) == (self.before_due_minutes is None):
            raise ValueError("give either remind_at or before_due_minutes")
        return self


class TaskReminderCreate(ReminderCreate):
    """Tool arguments: which task, and when."""

    number: int = Field(ge=1, description="The task's number as the user sees it.")


class RemindersQuery(Strict):
    number: int | None = Field(default=None, ge=1, description="Only this task's reminders; all pending ones without it.")


class ReminderRef(Strict):
    reminder_id: int = Field(ge=1, description="The reminder's id, as list_reminders gives it.")


# --- signing up and in ---------------------------------------------------------------


@cache
def known_timezones() -> frozenset[str]:
    """The IANA zone names, read once: ``available_timezones()`` scans the tz database on disk."""
    return frozenset(available_timezones())


def _known_zone(value: str) -> str:
    if value not in known_timezones():
        raise ValueError("unknown IANA time zone")
    return value


# An IANA zone name: the document lists every allowed one, the validator refuses any other.
ZoneName = Annotated[
    str,
    Field(json_schema_extra=lambda schema: schema.update(enum=sorted(known_timezones()))),
    AfterValidator(_known_zone),
]


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


class RegisterRequest(Strict):
    email: Email = Field(max_length=320)
    password: NewPassword
    timezone: ZoneName = "UTC"


class LoginRequest(Strict):
    email: NonBlank = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=256)
