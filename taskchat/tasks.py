"""The task service: creating, reading, changing, completing and deleting a user's tasks.

Every surface calls it — the REST API, the page's task panel, the agent's tools (for rule and
model turns) and MCP — so each rule about a task lives here once: how fields are cleaned, the
one default of ``due_has_time``, who may see which task. Functions take the user's row (the
caller has it; no query to re-read it) and return the ``Task`` rows or small typed results;
they flush but never commit: the caller's ``writing()`` block decides the transaction.

A refusal is a ``TaskError`` whose text is said to the user ("There is no task 9.").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from . import reminders as reminder_rules
from . import transactions
from .converters import MAX_PATH_INT
from .extensions import db
from .models import PRIORITIES, Task, User, utcnow, zone
from .recurrence import InvalidRule
from .recurrence import normalize as normalize_rule

MAX_TITLE = 500
# The fields ``update`` changes; ``add_tags`` / ``remove_tags`` edit the tag list in place.
UPDATABLE = ("title", "description", "priority", "due_at", "due_has_time", "tags", "recurrence", "completed")
STATUSES = ("pending", "completed", "all")
DUE_FILTERS = ("today", "overdue", "week")
_PRIORITY_RANK = {"high": 0, "medium": 1, "low": 2, "none": 3}


class TaskError(Exception):
    """A refusal the user should hear about, in words for people."""


class TaskNotFound(TaskError):
    """No task of this user has the number (someone else's task is not found either)."""

    def __init__(self, number: int):
        super().__init__(f"There is no task {number}.")
        self.number = number


class TaskQuotaReached(TaskError):
    """The user holds as many tasks as one account may (``TASKCHAT_MAX_TASKS_PER_USER``)."""


@dataclass(frozen=True)
class Completion:
    """A task completed or reopened; ``already`` when it was that way before. A repeating task
    that moved on to its next occurrence instead has ``repeated``: what undo needs to put it
    back (``undo_completion``)."""

    task: Task
    already: bool
    repeated: dict[str, Any] | None = None


@dataclass(frozen=True)
class Removal:
    """A deleted task as it was, and its reminders that had not fired (what undo recreates)."""

    task: Task
    reminders: list[dict[str, Any]]


@dataclass(frozen=True)
class Change:
    """A changed task and the names of its fields that changed (``updated_at`` aside)."""

    task: Task
    changed: tuple[str, ...]


# --- fields ---------------------------------------------------------------------------------


def due_has_time(due_at: datetime | None, has_time: bool | None) -> bool:
    """The one default: a due moment has a time of day unless the caller says it is a date.

    ``has_time`` None (not given) means "yes, if there is a due moment": an ISO 8601 value
    names a time. The parser says ``False`` for "tomorrow"; no due moment has no time.
    """
    if due_at is None:
        return False
    return True if has_time is None else bool(has_time)


def one_line_title(title: str, *, noun: str, limit: int, error: type[Exception]) -> str:
    """A title on one line (runs of white space folded), refused with ``error`` when blank or
    longer than ``limit``: the rule a task's title and a conversation's share."""
    title = " ".join(str(title).split())
    if not title:
        raise error(f"A {noun} needs a title.")
    if len(title) > limit:
        raise error(f"A {noun} title can be at most {limit} characters.")
    return title


def clean_title(title: str) -> str:
    return one_line_title(title, noun="task", limit=MAX_TITLE, error=TaskError)


def _clean_text(text: str | None) -> str | None:
    """Text as stored: empty is None."""
    return None if text is None else (str(text) or None)


def clean_tags(tags: list[str] | None) -> list[str]:
    """Tags as stored: lower case, without ``#``, each once, in the order given."""
    seen: list[str] = []
    for tag in tags or []:
        tag = str(tag).strip().lstrip("#").lower()
        if tag and tag not in seen:
            seen.append(tag)
    return seen


def parse_due(value: str | datetime | None) -> datetime | None:
    """A due moment from ISO 8601 text or a datetime, in UTC; it must carry its offset."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        due = value
    else:
        try:
            due = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError as exc:
            raise TaskError(f"'{value}' is not an ISO 8601 date.") from exc
    if due.tzinfo is None:
        raise TaskError("A due date needs a time zone offset.")
    return due.astimezone(UTC)


def check_recurrence(rule: str | None) -> str | None:
    """A stored recurrence: a checked, normalised RRULE, or None."""
    if not rule:
        return None
    try:
        return normalize_rule(rule)
    except InvalidRule as exc:
        raise TaskError(f"recurrence {exc}.") from exc


def _check_priority(priority: str) -> str:
    if priority not in PRIORITIES:
        raise TaskError(f"Priority must be one of {', '.join(PRIORITIES)}.")
    return priority


# --- reading --------------------------------------------------------------------------------


def get(user: User, number: int) -> Task:
    """The user's task ``number``, or ``TaskNotFound``."""
    if not 1 <= int(number) <= MAX_PATH_INT:
        # A number the column cannot hold names no task (and would overflow the query).
        raise TaskNotFound(int(number))
    task = db.session.scalar(select(Task).where(Task.user_id == user.id, Task.number == int(number)))
    if task is None:
        raise TaskNotFound(int(number))
    return task


def all_of(user: User) -> list[Task]:
    """All the user's tasks, by number."""
    return list(db.session.scalars(select(Task).where(Task.user_id == user.id).order_by(Task.number)))


def sort_key(task: Task):
    """Pending first; then by due date (undated last), priority, number."""
    return (
        task.completed,
        task.due_at is None,
        task.due_at or datetime.max.replace(tzinfo=UTC),
        _PRIORITY_RANK.get(task.priority, 3),
        task.number,
    )


def find(
    user: User,
    *,
    status: str = "all",
    priority: str | None = None,
    tag: str | None = None,
    due: str | None = None,
    q: str | None = None,
    now: datetime | None = None,
) -> list[Task]:
    """The user's tasks that pass the filters, in list order (``sort_key``).

    ``due`` windows are the user's local days: ``today`` (due before tomorrow, overdue
    included), ``overdue`` (a dated task before today, a timed one before now), ``week``
    (before next Monday); all of them open tasks only.
    """
    stmt = select(Task).where(Task.user_id == user.id)
    if status == "pending":
        stmt = stmt.where(Task.completed.is_(False))
    elif status == "completed":
        stmt = stmt.where(Task.completed.is_(True))
    elif status != "all":
        raise TaskError("Status must be pending, completed or all.")
    if priority:
        stmt = stmt.where(Task.priority == _check_priority(priority))
    if due:
        now = now or datetime.now(UTC)
        local_now = now.astimezone(user.zone)
        start_of_day = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
        if due == "today":
            stmt = stmt.where(Task.due_at < (start_of_day + timedelta(days=1)).astimezone(UTC))
        elif due == "overdue":
            stmt = stmt.where(
                or_(
                    Task.due_at < start_of_day.astimezone(UTC),
                    (Task.due_has_time.is_(True)) & (Task.due_at < now.astimezone(UTC)),
                ),
            )
        elif due == "week":
            end = start_of_day + timedelta(days=7 - start_of_day.weekday())
            stmt = stmt.where(Task.due_at < end.astimezone(UTC))
        else:
            raise TaskError("Due must be today, overdue or week.")
        stmt = stmt.where(Task.completed.is_(False))
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
    return sorted(tasks, key=sort_key)


def search(user: User, query: str) -> list[Task]:
    """Tasks with ``query`` in the title or description."""
    if not str(query).strip():
        raise TaskError("Tell me what to search for.")
    return find(user, q=query)


# --- writing --------------------------------------------------------------------------------

_TASKS = Task.__table__
# Built once, like the turn's own statements: a call only looks up its compiled form.
_INSERT_TASK = insert(_TASKS)
_TASK_COLUMNS = tuple(column.key for column in _TASKS.columns if column.key != "id")


def _new(user: User, number: int, fields: dict[str, Any], completed: bool = False) -> Task:
    """A task of the user's from ``add``'s fields, cleaned and checked, stored with one Core
    INSERT (the ORM's flush costs more than the SQL). Later queries read the row back."""
    now = utcnow()
    due = parse_due(fields.get("due_at"))
    task = Task(
        user_id=user.id,
        number=number,
        title=clean_title(fields["title"]),
        description=_clean_text(fields.get("description")),
        completed=False,
        completed_at=None,
        priority=_check_priority(fields.get("priority") or "none"),
        due_at=due,
        due_has_time=due_has_time(due, fields.get("due_has_time")),
        tags=clean_tags(fields.get("tags")),
        recurrence=check_recurrence(fields.get("recurrence")),
        # Set here: the Core INSERT below writes every column as the object holds it.
        completion_count=0,
        created_at=now,
        updated_at=now,
    )
    task.set_completed(bool(completed))
    transactions.connection().execute(_INSERT_TASK, {key: getattr(task, key) for key in _TASK_COLUMNS})
    return task


def _check_quota(held: int) -> None:
    """Refuse a task beyond ``TASKCHAT_MAX_TASKS_PER_USER``: every turn matches references
    against all of a user's tasks, so their number bounds its cost. Counted as the task number
    is reserved (one ``UPDATE … RETURNING`` with the count): on PostgreSQL that holds the
    user's row, so two adds at once cannot both take the last place."""
    limit = current_app.config["TASKCHAT_MAX_TASKS_PER_USER"]
    if held >= limit:
        raise TaskQuotaReached(
            f"You have {held} tasks, as many as one account can hold ({limit}). "
            'Delete some (e.g. "clear completed tasks") to add more.'
        )


_USERS = User.__table__
_NEXT_NUMBER_AND_COUNT = (
    update(_USERS)
    .where(_USERS.c.id == bindparam("b_id"))
    .values(last_task_number=_USERS.c.last_task_number + 1)
    .returning(
        _USERS.c.last_task_number,
        select(func.count()).select_from(_TASKS).where(_TASKS.c.user_id == bindparam("b_id")).scalar_subquery(),
    )
)


def add(
    user: User,
    title: str,
    description: str | None = None,
    priority: str = "none",
    due_at: str | datetime | None = None,
    due_has_time: bool | None = None,
    tags: list[str] | None = None,
    recurrence: str | None = None,
    *,
    now: datetime | None = None,
) -> Task:
    """A new task under the user's next number; ``TaskQuotaReached`` when the user holds as
    many as an account may. A timed task gets the user's default reminder (settings)."""
    # The user's next number and how many tasks they hold, in one statement.
    number, held = transactions.connection().execute(_NEXT_NUMBER_AND_COUNT, {"b_id": user.id}).one()
    set_committed_value(user, "last_task_number", number)  # known, not changed
    _check_quota(held)
    fields = {"title": title, "description": description, "priority": priority, "due_at": due_at,
              "due_has_time": due_has_time, "tags": tags, "recurrence": recurrence}
    task = _new(user, number, fields)
    if user.default_reminder_minutes is not None and task.due_at is not None and task.due_has_time:
        # Only then a statement more than a plain add (the row is read back: Core inserted it).
        reminder_rules.add(user, get(user, number), before_due_minutes=user.default_reminder_minutes, now=now or utcnow())
    return task


def restore(
    user: User,
    number: int,
    completed: bool = False,
    reminders: list[dict[str, Any]] | None = None,
    *,
    now: datetime | None = None,
    **fields: Any,
) -> Task:
    """A deleted task put back under its old number (undo of a delete); ``fields`` as ``add``
    takes them, ``reminders`` as ``Removal`` kept them (recreated on an open task)."""
    # Numbers are never reused, so a deleted task's number is free unless it was never taken.
    taken = db.session.scalar(select(Task.id).where(Task.user_id == user.id, Task.number == int(number)))
    if taken is not None or int(number) > (user.last_task_number or 0):
        raise TaskError(f"Task {number} can't be put back.")
    task = _new(user, int(number), fields, completed)
    if reminders and not completed:
        restored = get(user, int(number))
        for spec in reminders:
            reminder_rules.add(user, restored, now=now or utcnow(), **spec)
    return task


def _complete(user: User, task: Task, now: datetime) -> dict[str, Any] | None:
    """Complete ``task`` (and cancel its pending reminders), or, when it repeats, move it to its
    next occurrence: then what undo needs to put it back."""
    before = reminder_rules.snapshot(task) if task.recurrence and task.due_at else None
    if before is not None and reminder_rules.advance(user, task, now):
        return before
    task.set_completed(True)
    reminder_rules.cancel_with_task(task)
    return None


def _reopen(task: Task) -> None:
    """Reopen ``task``: its reminders that completing cancelled are pending again."""
    task.set_completed(False)
    reminder_rules.rearm_with_task(task)


def set_completed(user: User, number: int, completed: bool = True, *, now: datetime | None = None) -> Completion:
    """Complete (or reopen) the user's task ``number``; a repeating one moves to its next
    occurrence instead of being completed (until its series ends)."""
    task = get(user, number)
    already = task.completed == completed
    repeated = None
    if not already:
        if completed:
            repeated = _complete(user, task, now or utcnow())
        else:
            _reopen(task)
    db.session.flush()
    return Completion(task, already, repeated)


def undo_completion(user: User, number: int, before: dict[str, Any]) -> Task:
    """Put a repeating task (and its reminders) back on the occurrence a completion moved it
    from (``Completion.repeated``)."""
    task = get(user, number)
    reminder_rules.undo_advance(user, task, before)
    return task


def update(user: User, number: int, *, now: datetime | None = None, **changes: Any) -> Change:
    """Change the given fields of the user's task ``number`` (any of ``UPDATABLE``, plus
    ``add_tags`` / ``remove_tags``); the others stay as they are."""
    unknown = set(changes) - set(UPDATABLE) - {"add_tags", "remove_tags"}
    if unknown:
        raise TaskError(f"Unknown field(s): {', '.join(sorted(unknown))}.")
    task = get(user, number)
    before = task.to_dict()
    if "title" in changes:
        task.title = clean_title(changes["title"])
    if "description" in changes:
        task.description = _clean_text(changes["description"])
    if "priority" in changes:
        task.priority = _check_priority(changes["priority"])
    if "due_at" in changes:
        task.due_at = parse_due(changes["due_at"])
        task.due_has_time = due_has_time(task.due_at, changes.get("due_has_time"))
        reminder_rules.due_changed(task)  # "before due" reminders follow the due time
    elif "due_has_time" in changes:
        task.due_has_time = bool(changes["due_has_time"]) and task.due_at is not None
    if "tags" in changes:
        task.tags = clean_tags(changes["tags"])
    if changes.get("add_tags") or changes.get("remove_tags"):
        removed = set(clean_tags(changes.get("remove_tags")))
        task.tags = [t for t in clean_tags((task.tags or []) + clean_tags(changes.get("add_tags"))) if t not in removed]
    if "recurrence" in changes:
        task.recurrence = check_recurrence(changes["recurrence"])
    if "completed" in changes and bool(changes["completed"]) != task.completed:
        if changes["completed"]:
            _complete(user, task, now or utcnow())
        else:
            _reopen(task)
    db.session.flush()
    after = task.to_dict()
    return Change(task, tuple(sorted(k for k in after if k != "updated_at" and after[k] != before[k])))


def delete(user: User, number: int) -> Removal:
    """Delete the user's task ``number`` (its reminders go with it); the row as it was and the
    reminders that had not fired yet."""
    task = get(user, number)
    pending = reminder_rules.pending_specs(task)
    db.session.delete(task)
    db.session.flush()
    return Removal(task, pending)


__all__ = [
    "Change",
    "Completion",
    "Removal",
    "TaskError",
    "TaskNotFound",
    "TaskQuotaReached",
    "add",
    "check_recurrence",
    "all_of",
    "delete",
    "due_has_time",
    "find",
    "get",
    "restore",
    "search",
    "set_completed",
    "undo_completion",
    "update",
    "zone",
]
