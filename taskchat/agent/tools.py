"""The task tools: plain functions over the models, each described by a pydantic model.

A tool's JSON schema (offered to a language model and over MCP) is generated from the same
pydantic model that validates the REST API's bodies (``taskchat/schemas.py``); arguments
from a model or an MCP client are validated with it before the function runs.

The user always comes from the server (``ToolContext``), never from the text or the arguments.
The REST tasks API calls the same functions, so a rule lives here once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from pydantic import BaseModel, ValidationError
from sqlalchemy import bindparam, case, func, insert, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from .. import transactions
from ..converters import MAX_PATH_INT
from ..extensions import db
from ..models import PRIORITIES, Task, User, utcnow
from ..schemas import TaskChange, TaskCreate, TaskNumber, TaskQuery, TaskRestore, TaskSearch

MAX_TITLE = 500


class ToolError(Exception):
    """A failure the user should hear about ("there is no task 9"), recorded as status ``error``."""


class TaskQuotaReached(ToolError):
    """The user holds as many tasks as one account may (``TASKCHAT_MAX_TASKS_PER_USER``)."""


class TaskNotFound(ToolError):
    def __init__(self, number: int):
        super().__init__(f"There is no task {number}.")
        self.number = number


@dataclass
class ToolContext:
    user: User
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def tz(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.user.timezone or "UTC")
        except (KeyError, ValueError):
            return ZoneInfo("UTC")


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
        fields = data.model_dump(exclude_unset=True)
        if "due_at" in fields:
            # As the REST API reads it: a due date has a time of day unless told otherwise.
            fields["due_has_time"] = bool(fields["due_at"]) and fields.get("due_has_time", True)
        return fields


TOOLS: dict[str, Tool] = {}


def tool(description: str, arguments: type[BaseModel], offered: bool = True):
    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        TOOLS[fn.__name__] = Tool(fn.__name__, description, arguments, fn, offered)
        return fn

    return register


def get_task(ctx: ToolContext, number: int) -> Task:
    if not 1 <= int(number) <= MAX_PATH_INT:
        # A number the column cannot hold names no task (and would overflow the query).
        raise TaskNotFound(int(number))
    task = db.session.scalar(
        select(Task).where(Task.user_id == ctx.user.id, Task.number == int(number))
    )
    if task is None:
        raise TaskNotFound(int(number))
    return task


def _clean_text(text: str | None) -> str | None:
    """Text as stored: NUL (which PostgreSQL text cannot hold) removed, empty as None."""
    if text is None:
        return None
    return str(text).replace("\x00", "") or None


def _clean_title(title: str) -> str:
    title = " ".join(str(title).replace("\x00", "").split())
    if not title:
        raise ToolError("A task needs a title.")
    if len(title) > MAX_TITLE:
        raise ToolError(f"A task title can be at most {MAX_TITLE} characters.")
    return title


def _clean_tags(tags: list[str] | None) -> list[str]:
    seen: list[str] = []
    for tag in tags or []:
        tag = str(tag).strip().lstrip("#").lower()
        if tag and tag not in seen:
            seen.append(tag)
    return seen


def _parse_due(value: str | datetime | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        due = value
    else:
        try:
            due = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError as exc:
            raise ToolError(f"'{value}' is not an ISO 8601 date.") from exc
    if due.tzinfo is None:
        raise ToolError("A due date needs a time zone offset.")
    return due.astimezone(UTC)


def _check_priority(priority: str) -> str:
    if priority not in PRIORITIES:
        raise ToolError(f"Priority must be one of {', '.join(PRIORITIES)}.")
    return priority


def _new_task(
    ctx: ToolContext,
    number: int,
    title: str,
    description: str | None,
    priority: str,
    due_at: str | None,
    due_has_time: bool,
    tags: list[str] | None,
    recurrence: str | None,
) -> Task:
    """A task of the user's, its fields cleaned and checked (new, or put back by undo); not
    yet stored (``_insert``)."""
    now = utcnow()
    return Task(
        user_id=ctx.user.id,
        number=number,
        title=_clean_title(title),
        description=_clean_text(description),
        completed=False,
        completed_at=None,
        priority=_check_priority(priority),
        due_at=_parse_due(due_at),
        due_has_time=bool(due_has_time),
        tags=_clean_tags(tags),
        recurrence=recurrence or None,
        created_at=now,
        updated_at=now,
    )


_TASKS = Task.__table__
_INSERT_TASK = insert(_TASKS)  # built once, like the turn's own statements
_TASK_COLUMNS = tuple(column.key for column in _TASKS.columns if column.key != "id")


def _insert(task: Task) -> dict[str, Any]:
    """Store a task from ``_new_task`` with one Core INSERT (the ORM's flush costs more than
    the SQL) and return it as the tools show it. The row is read back by later queries."""
    transactions.connection().execute(_INSERT_TASK, {key: getattr(task, key) for key in _TASK_COLUMNS})
    return task.to_dict()


@tool(
    "Create a task for the user. due_at is ISO 8601 with an offset, in the user's time zone; "
    "set due_has_time to false when only a date was given.",
    TaskCreate,
)
def add_task(
    ctx: ToolContext,
    title: str,
    description: str | None = None,
    priority: str = "none",
    due_at: str | None = None,
    due_has_time: bool = False,
    tags: list[str] | None = None,
    recurrence: str | None = None,
) -> dict[str, Any]:
    # The user's next number and how many tasks they hold, in one statement (see _check_quota).
    number, held = transactions.connection().execute(_NEXT_NUMBER_AND_COUNT, {"b_id": ctx.user.id}).one()
    set_committed_value(ctx.user, "last_task_number", number)
    _check_quota(held)
    task = _new_task(ctx, number, title, description, priority, due_at, due_has_time, tags, recurrence)
    return _insert(task)


def _check_quota(held: int) -> None:
    """Refuse a task beyond ``TASKCHAT_MAX_TASKS_PER_USER``: every turn matches references
    against all of a user's tasks, so their number bounds its cost. Counted as the task number
    is reserved (``User.allocate_task_number``'s ``UPDATE … RETURNING``, with the count): on
    PostgreSQL that holds the user's row, so two adds at once cannot both take the last place."""
    limit = current_app.config["TASKCHAT_MAX_TASKS_PER_USER"]
    if held >= limit:
        raise TaskQuotaReached(
            f"You have {held} tasks, as many as one account can hold ({limit}). "
            'Delete some (e.g. "clear completed tasks") to add more.'
        )


_USERS, _TASKS = User.__table__, Task.__table__
_NEXT_NUMBER_AND_COUNT = (
    update(_USERS)
    .where(_USERS.c.id == bindparam("b_id"))
    .values(last_task_number=_USERS.c.last_task_number + 1)
    .returning(
        _USERS.c.last_task_number,
        select(func.count()).select_from(_TASKS).where(_TASKS.c.user_id == bindparam("b_id")).scalar_subquery(),
    )
)


def _filtered(
    ctx: ToolContext,
    status: str = "all",
    priority: str | None = None,
    tag: str | None = None,
    due: str | None = None,
    q: str | None = None,
):
    stmt = select(Task).where(Task.user_id == ctx.user.id)
    if status == "pending":
        stmt = stmt.where(Task.completed.is_(False))
    elif status == "completed":
        stmt = stmt.where(Task.completed.is_(True))
    elif status != "all":
        raise ToolError("Status must be pending, completed or all.")
    if priority:
        stmt = stmt.where(Task.priority == _check_priority(priority))
    if due:
        local_now = ctx.now.astimezone(ctx.tz)
        start_of_day = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
        if due == "today":
            stmt = stmt.where(Task.due_at < (start_of_day + timedelta(days=1)).astimezone(UTC))
            stmt = stmt.where(Task.completed.is_(False))
        elif due == "overdue":
            stmt = stmt.where(
                Task.completed.is_(False),
                or_(
                    Task.due_at < start_of_day.astimezone(UTC),
                    (Task.due_has_time.is_(True)) & (Task.due_at < ctx.now.astimezone(UTC)),
                ),
            )
        elif due == "week":
            end = start_of_day + timedelta(days=7 - start_of_day.weekday())
            stmt = stmt.where(Task.due_at < end.astimezone(UTC), Task.completed.is_(False))
        else:
            raise ToolError("Due must be today, overdue or week.")
    if q:
        # autoescape: % and _ in a search are characters, not LIKE wildcards.
        words = q.strip().lower()
        stmt = stmt.where(
            or_(
                func.lower(Task.title).contains(words, autoescape=True),
                func.lower(Task.description).contains(words, autoescape=True),
            )
        )
    tasks = list(db.session.scalars(stmt))
    tag = tag.strip().lstrip("#").lower() if tag else None
    if tag:
        # Tags are a JSON list; filter here so the query stays portable across backends.
        tasks = [task for task in tasks if tag in (task.tags or [])]
    return tasks


def sort_key(task: Task):
    """Pending first; then by due date (undated last), priority, number."""
    rank = {"high": 0, "medium": 1, "low": 2, "none": 3}
    return (
        task.completed,
        task.due_at is None,
        task.due_at or datetime.max.replace(tzinfo=UTC),
        rank.get(task.priority, 3),
        task.number,
    )


@tool("List the user's tasks, optionally filtered.", TaskQuery)
def list_tasks(
    ctx: ToolContext,
    status: str = "all",
    priority: str | None = None,
    tag: str | None = None,
    due: str | None = None,
    q: str | None = None,
) -> dict[str, Any]:
    tasks = sorted(_filtered(ctx, status, priority, tag, due, q), key=sort_key)
    return {"tasks": [task.to_dict() for task in tasks], "count": len(tasks)}


@tool("Search the user's tasks by words in the title or description.", TaskSearch)
def search_tasks(ctx: ToolContext, query: str) -> dict[str, Any]:
    if not str(query).strip():
        raise ToolError("Tell me what to search for.")
    return list_tasks(ctx, q=query)


@tool("Mark a task as completed.", TaskNumber)
def complete_task(ctx: ToolContext, number: int) -> dict[str, Any]:
    task = get_task(ctx, number)
    was = task.completed
    if not was:
        task.set_completed(True)
    db.session.flush()
    return {**task.to_dict(), "already": was}


@tool("Mark a completed task as not completed again.", TaskNumber)
def uncomplete_task(ctx: ToolContext, number: int) -> dict[str, Any]:
    task = get_task(ctx, number)
    was = not task.completed
    if task.completed:
        task.set_completed(False)
    db.session.flush()
    return {**task.to_dict(), "already": was}


UPDATABLE = ("title", "description", "priority", "due_at", "due_has_time", "tags", "recurrence", "completed")


@tool("Change fields of a task. Only the given fields change.", TaskChange)
def update_task(ctx: ToolContext, number: int, **changes: Any) -> dict[str, Any]:
    unknown = set(changes) - set(UPDATABLE) - {"add_tags", "remove_tags"}
    if unknown:
        raise ToolError(f"Unknown field(s): {', '.join(sorted(unknown))}.")
    task = get_task(ctx, number)
    before = task.to_dict()
    if "title" in changes:
        task.title = _clean_title(changes["title"])
    if "description" in changes:
        task.description = _clean_text(changes["description"])
    if "priority" in changes:
        task.priority = _check_priority(changes["priority"])
    if "due_at" in changes:
        task.due_at = _parse_due(changes["due_at"])
        task.due_has_time = bool(changes.get("due_has_time", False)) if task.due_at else False
    elif "due_has_time" in changes:
        task.due_has_time = bool(changes["due_has_time"])
    if "tags" in changes:
        task.tags = _clean_tags(changes["tags"])
    if changes.get("add_tags") or changes.get("remove_tags"):
        removed = set(_clean_tags(changes.get("remove_tags")))
        task.tags = [t for t in _clean_tags((task.tags or []) + _clean_tags(changes.get("add_tags"))) if t not in removed]
    if "recurrence" in changes:
        task.recurrence = changes["recurrence"] or None
    if "completed" in changes and bool(changes["completed"]) != task.completed:
        task.set_completed(bool(changes["completed"]))
    db.session.flush()
    after = task.to_dict()
    changed = sorted(k for k in after if k != "updated_at" and after[k] != before[k])
    return {**after, "changed": changed}


@tool("Delete a task.", TaskNumber)
def delete_task(ctx: ToolContext, number: int) -> dict[str, Any]:
    task = get_task(ctx, number)
    data = task.to_dict()
    db.session.delete(task)
    db.session.flush()
    return data


def count_tasks(ctx: ToolContext) -> dict[str, int]:
    """Pending and completed counts (used for summaries)."""
    pending = func.sum(case((Task.completed.is_(False), 1), else_=0))
    total, open_ = db.session.execute(
        select(func.count(Task.id), pending).where(Task.user_id == ctx.user.id)
    ).one()
    return {"total": total or 0, "pending": open_ or 0, "completed": (total or 0) - (open_ or 0)}



@tool("Put a deleted task back under its old number (undoing a delete).", TaskRestore, offered=False)
def restore_task(
    ctx: ToolContext,
    number: int,
    title: str,
    description: str | None = None,
    priority: str = "none",
    due_at: str | None = None,
    due_has_time: bool = False,
    tags: list[str] | None = None,
    recurrence: str | None = None,
    completed: bool = False,
) -> dict[str, Any]:
    # Numbers are never reused, so a deleted task's number is free unless it was never taken.
    taken = db.session.scalar(select(Task.id).where(Task.user_id == ctx.user.id, Task.number == int(number)))
    if taken is not None or int(number) > (ctx.user.last_task_number or 0):
        raise ToolError(f"Task {number} can't be put back.")
    task = _new_task(ctx, int(number), title, description, priority, due_at, due_has_time, tags, recurrence)
    task.set_completed(bool(completed))
    return _insert(task)


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
