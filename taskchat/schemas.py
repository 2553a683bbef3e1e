"""The task fields as pydantic models, shared by the REST API and the task tools.

One source: ``api/schemas.py`` validates request bodies with these, and the agent's tools
(offered to a language model and over MCP) take their JSON schemas from them. This module
sits below both so the agent need not import the API package.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, field_validator

Priority = Literal["none", "low", "medium", "high"]

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
