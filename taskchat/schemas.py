"""The task fields as pydantic models, shared by the REST API and the task tools.

One source: ``api/schemas.py`` validates request bodies with these, and the agent's tools
(offered to a language model and over MCP) take their JSON schemas from them. This module
sits below both so the agent need not import the API package.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

Priority = Literal["none", "low", "medium", "high"]


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


# --- tool arguments beyond the REST bodies ----------------------------------------------

TaskNumberField = Field(ge=1, description="The task's number as the user sees it.")


class TaskNumber(Strict):
    number: int = TaskNumberField


class TaskSearch(Strict):
    query: str = Field(min_length=1, max_length=200, description="Words in the title or description.")


class TaskChange(TaskUpdate):
    """Which task to change, and only the fields that change."""

    number: int = TaskNumberField
    add_tags: list[str] | None = Field(default=None, max_length=50)
    remove_tags: list[str] | None = Field(default=None, max_length=50)

    @model_validator(mode="after")
    def no_null_for_required_fields(self) -> TaskChange:
        for name in ("title", "priority", "tags", "completed", "due_has_time"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self
