"""The task tools: thin adapters from a model's, an MCP client's or the parser's arguments
to the task service (``taskchat/tasks.py``), each described by a pydantic model.

A tool's JSON schema (offered to a language model and over MCP) is generated from the same
pydantic model that validates the REST API's bodies (``taskchat/schemas.py``); arguments
from a model or an MCP client are validated with it before the service runs. A tool's output
is the JSON its tool call records (and the model reads): the task as REST shows it, plus
what the service said about the change (``already``, ``changed``).

The user always comes from the server (``ToolContext``), never from the text or the arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError

from .. import tasks
from ..models import Task, User
from ..schemas import (
    TaskChange,
    TaskCreate,
    TaskNumber,
    TaskQuery,
    TaskRestore,
    TaskSearch,
    TaskUndoCompletion,
)
from ..tasks import TaskError, TaskNotFound, TaskQuotaReached

__all__ = ["TOOLS", "TaskError", "TaskNotFound", "TaskQuotaReached", "Tool", "ToolContext", "ToolError", "call_tool", "offered_tools"]


class ToolError(TaskError):
    """A call the tool refuses before the service runs (unknown tool, bad arguments)."""


@dataclass
class ToolContext:
    """Who a tool acts for, and when: set by the server, never by the arguments."""

    user: User
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def tz(self) -> ZoneInfo:
        return self.user.zone


def _without_titles(schema: Any) -> Any:
    """A JSON schema without pydantic's generated ``title`` labels (noise in a model's prompt)."""
    if isinstance(schema, dict):
        return {
            key: _without_titles(value)
            for key, value in schema.items()
            if not (key == "title" and isinstance(value, str))
        }
    if isinstance(schema, list):
        return [_without_titles(item) for item in schema]
    return schema


def _describe(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or 'arguments'}: {error['msg']}"
        for error in exc.errors(include_url=False)
    )


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    arguments: type[BaseModel]
    function: Callable[..., Any]
    # Offered to a language model and over MCP; restore_task is the rule agent's undo only.
    offered: bool = True

    @property
    def parameters(self) -> dict[str, Any]:
        """The JSON schema of the arguments, generated from the pydantic model."""
        return _without_titles(self.arguments.model_json_schema())

    def schema(self) -> dict[str, Any]:
        """The OpenAI function-calling description of this tool."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }

    def validate(self, raw: Any) -> dict[str, Any]:
        """Keyword arguments for ``function`` from untrusted JSON arguments, or ``ToolError``."""
        if not isinstance(raw, dict):
            raise ToolError(f"{self.name} takes a JSON object of arguments.")
        try:
            data = self.arguments.model_validate(raw)
        except ValidationError as exc:
            raise ToolError(f"Bad arguments for {self.name}: {_describe(exc)}.") from exc
        return data.model_dump(exclude_unset=True)


TOOLS: dict[str, Tool] = {}


def tool(description: str, arguments: type[BaseModel], offered: bool = True):
    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        TOOLS[fn.__name__] = Tool(fn.__name__, description, arguments, fn, offered)
        return fn

    return register


def _listed(found: list[Task]) -> dict[str, Any]:
    return {"tasks": [task.to_dict() for task in found], "count": len(found)}


@tool(
    "Create a task for the user. due_at is ISO 8601 with an offset, in the user's time zone; "
    "set due_has_time to false when only a date was given.",
    TaskCreate,
)
def add_task(ctx: ToolContext, **fields: Any) -> dict[str, Any]:
    return tasks.add(ctx.user, now=ctx.now, **fields).to_dict()


@tool("List the user's tasks, optionally filtered.", TaskQuery)
def list_tasks(ctx: ToolContext, **filters: Any) -> dict[str, Any]:
    return _listed(tasks.find(ctx.user, now=ctx.now, **filters))


@tool("Search the user's tasks by words in the title or description.", TaskSearch)
def search_tasks(ctx: ToolContext, query: str) -> dict[str, Any]:
    return _listed(tasks.search(ctx.user, query))


@tool("Mark a task as completed. A repeating task moves to its next occurrence instead.", TaskNumber)
def complete_task(ctx: ToolContext, number: int) -> dict[str, Any]:
    done = tasks.set_completed(ctx.user, number, True, now=ctx.now)
    return {**done.task.to_dict(), "already": done.already, **({"repeated": done.repeated} if done.repeated else {})}


@tool("Mark a completed task as not completed again.", TaskNumber)
def uncomplete_task(ctx: ToolContext, number: int) -> dict[str, Any]:
    done = tasks.set_completed(ctx.user, number, False, now=ctx.now)
    return {**done.task.to_dict(), "already": done.already}


@tool("Put a repeating task back on the occurrence it was completed from (undo).", TaskUndoCompletion, offered=False)
def undo_completion(ctx: ToolContext, number: int, before: dict[str, Any]) -> dict[str, Any]:
    return tasks.undo_completion(ctx.user, number, before).to_dict()


@tool("Change fields of a task. Only the given fields change.", TaskChange)
def update_task(ctx: ToolContext, number: int, **changes: Any) -> dict[str, Any]:
    change = tasks.update(ctx.user, number, now=ctx.now, **changes)
    return {**change.task.to_dict(), "changed": list(change.changed)}


@tool("Delete a task.", TaskNumber)
def delete_task(ctx: ToolContext, number: int) -> dict[str, Any]:
    removed = tasks.delete(ctx.user, number)
    # What undo recreates: the reminders that had not fired yet.
    return {**removed.task.to_dict(), "reminders": removed.reminders}


@tool("Put a deleted task back under its old number (undoing a delete).", TaskRestore, offered=False)
def restore_task(ctx: ToolContext, **fields: Any) -> dict[str, Any]:
    return tasks.restore(ctx.user, now=ctx.now, **fields).to_dict()


def offered_tools() -> list[Tool]:
    """The tools a language model and an MCP client may call."""
    return [tool for tool in TOOLS.values() if tool.offered]


def call_tool(ctx: ToolContext, name: str, arguments: Any) -> Any:
    """Run tool ``name`` for ``ctx.user`` with untrusted JSON arguments (a model's, an MCP client's).

    An unknown tool or arguments its model refuses are a ``ToolError``, like any refusal.
    """
    found = TOOLS.get(name)
    if found is None or not found.offered:
        names = ", ".join(tool.name for tool in offered_tools())
        raise ToolError(f"There is no tool called {name!r}; the tools are {names}.")
    return found.function(ctx, **found.validate(arguments))


from . import reminder_tools  # noqa: E402,F401  (the reminder tools register themselves here)
