"""Everything of a user's, written out: JSON (tasks with their reminders and repeat rules,
conversations with their messages) and the tasks as CSV. Read-only; every query filters by
the user."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from flask import current_app
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import select

from . import reminders, tasks, transactions
from .agent.dates import Due
from .agent.history import messages_of
from .extensions import db
from .models import Conversation, User
from .schemas import TaskCreate

EXPORT_VERSION = 1
CSV_COLUMNS = ("number", "title", "description", "completed", "priority", "due_at", "due_has_time", "tags",
               "recurrence", "created_at")


def export(user: User) -> dict[str, Any]:
    """The user's data as one JSON document (the shape ``GET /api/v1/export`` documents)."""
    conversations = db.session.scalars(
        select(Conversation).where(Conversation.user_id == user.id).order_by(Conversation.created_at, Conversation.id)
    )
    return {
        "version": EXPORT_VERSION,
        "exported_at": datetime.now(UTC).isoformat(),
        "account": {"email": user.email, "timezone": user.timezone},
        "tasks": [
            {**task.to_dict(), "reminders": [r.to_dict() for r in reminders.of_task(task)]}
            for task in tasks.all_of(user)
        ],
        "conversations": [
            {**c.to_dict(), "messages": [m.to_dict() for m in messages_of(c)]} for c in conversations
        ],
    }


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # A cell a spreadsheet would run as a formula is written as text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def tasks_csv(user: User) -> str:
    """The user's tasks as CSV, one row each (tags space-separated), by number."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for task in tasks.all_of(user):
        row = task.to_dict()
        row["tags"] = " ".join(row.get("tags") or [])
        writer.writerow([_cell(row.get(column)) for column in CSV_COLUMNS])
    return out.getvalue()


# --- import ---------------------------------------------------------------------------------

TODOIST_COLUMNS = ("TYPE", "CONTENT", "DESCRIPTION", "PRIORITY", "INDENT", "AUTHOR", "RESPONSIBLE", "DATE",
                   "DATE_LANG", "TIMEZONE")
# Todoist numbers priority 1 (highest) to 4 (none).
_TODOIST_PRIORITY = {"1": "high", "2": "medium", "3": "low", "4": "none", "": "none"}
# "@label" words of a Todoist title (one word each: no nested repetition, linear time).
_LABEL = re.compile(r"(?<!\S)@([^\s@]{1,64})")
_TRUE = {"true", "1", "yes"}
# The per-user task limit's default; the configured one (``_row_limit``) applies as well.
MAX_IMPORT_ROWS = 10_000


class ImportReminder(BaseModel):
    """A reminder of an exported task: a pending one still to come is set again."""

    model_config = ConfigDict(extra="ignore", strict=True)

    remind_at: AwareDatetime
    before_due_minutes: int | None = Field(default=None, ge=0, le=reminders.MAX_BEFORE_MINUTES)
    state: Literal["pending", "sent", "failed", "cancelled"] = "pending"

    @field_validator("remind_at", mode="before")
    @classmethod
    def parse_moment(cls, value: Any) -> Any:
        return datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else value


class ImportTask(TaskCreate):
    """A task of an export document; what only an export carries (number, dates of change) is
    ignored."""

    model_config = ConfigDict(extra="ignore", strict=True)

    completed: bool = False
    reminders: list[ImportReminder] = Field(default_factory=list, max_length=reminders.MAX_REMINDERS_PER_TASK)


class ImportDocument(BaseModel):
    """An export document (``GET /api/v1/export``): its tasks are imported, the rest ignored."""

    model_config = ConfigDict(extra="ignore", strict=True)

    version: int | None = None
    tasks: list[ImportTask] = Field(max_length=MAX_IMPORT_ROWS)


class ImportProblem(Exception):
    """A file that cannot be imported: where (``line`` of the file, or ``item`` of a JSON
    document's tasks) and why. Nothing of the file is imported then."""

    def __init__(self, reason: str, *, line: int | None = None, item: int | None = None):
        self.reason, self.line, self.item = reason, line, item
        where = f"line {line}: " if line is not None else f"task {item + 1}: " if item is not None else ""
        super().__init__(where + reason)

    def detail(self) -> dict[str, Any]:
        detail: dict[str, Any] = {"reason": self.reason}
        if self.line is not None:
            detail["line"] = self.line
        if self.item is not None:
            detail["item"] = self.item
        return detail


@dataclass
class Row:
    """One task to import, with where the file said it."""

    fields: dict[str, Any]
    completed: bool = False
    reminders: list[ImportReminder] = field(default_factory=list)
    line: int | None = None
    item: int | None = None


@dataclass
class Outcome:
    added: int
    skipped: int


def _problem(row: Row, reason: str) -> ImportProblem:
    return ImportProblem(reason, line=row.line, item=row.item)


def _row_limit() -> int:
    return current_app.config["TASKCHAT_MAX_TASKS_PER_USER"]


def rows_of_json(document: ImportDocument) -> list[Row]:
    """The tasks of an export document (conversations are not imported)."""
    if len(document.tasks) > _row_limit():
        raise ImportProblem(f"The file holds {len(document.tasks)} tasks; one account holds at most {_row_limit()}.")
    return [
        Row(task.model_dump(exclude={"completed", "reminders"}), completed=task.completed,
            reminders=task.reminders, item=index)
        for index, task in enumerate(document.tasks)
    ]


def _checked(fields: dict[str, Any], line: int) -> dict[str, Any]:
    """A CSV row's fields checked as the API checks a new task's."""
    try:
        return ImportTask.model_validate(fields).model_dump(exclude={"completed", "reminders"})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ImportProblem(f"{where}: {first['msg']}", line=line) from exc


def _uncell(text: str) -> str:
    """A cell as the export wrote it, with the quote that kept a formula text taken off."""
    return text[1:] if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@", "\t", "\r") else text


def _reader(text: str) -> tuple[csv.DictReader, list[str]]:
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [name.strip() for name in (reader.fieldnames or [])]
    except csv.Error as exc:
        raise ImportProblem(f"not CSV ({exc}).", line=1) from exc
    if not header:
        raise ImportProblem("The file is empty.", line=1)
    reader.fieldnames = header
    return reader, header


def _csv_rows(reader: csv.DictReader, read_row) -> list[Row]:
    rows: list[Row] = []
    try:
        for record in reader:
            line = reader.line_num
            if None in record:
                raise ImportProblem("more cells than the header has columns.", line=line)
            row = read_row({k: (v or "") for k, v in record.items()}, line)
            if row is None:
                continue
            rows.append(row)
            if len(rows) > _row_limit():
                raise ImportProblem(f"more than {_row_limit()} tasks, as many as one account holds.", line=line)
    except csv.Error as exc:
        raise ImportProblem(f"not CSV ({exc}).", line=reader.line_num) from exc
    return rows


def _tasks_row(record: dict[str, str], line: int) -> Row | None:
    if not any(value.strip() for value in record.values()):
        return None
    fields: dict[str, Any] = {
        "title": _uncell(record.get("title", "")),
        "description": _uncell(record.get("description", "")) or None,
        "priority": record.get("priority", "").strip() or "none",
        "due_at": record.get("due_at", "").strip() or None,
        "tags": _uncell(record.get("tags", "")).split(),
        "recurrence": record.get("recurrence", "").strip() or None,
    }
    if record.get("due_has_time", "").strip():
        fields["due_has_time"] = record["due_has_time"].strip().lower() in _TRUE
    return Row(_checked(fields, line), completed=record.get("completed", "").strip().lower() in _TRUE, line=line)


def _todoist_row(user: User, now: datetime):
    from .agent import recurrence_words
    from .agent.dates import find_due

    tz = ZoneInfo(user.timezone)

    def read(record: dict[str, str], line: int) -> Row | None:
        if record.get("TYPE", "").strip().lower() != "task":
            return None  # sections, notes and blank rows are not tasks
        content = record.get("CONTENT", "")
        tags = _LABEL.findall(content)
        title = " ".join(_LABEL.sub(" ", content).split())
        priority = _TODOIST_PRIORITY.get(record.get("PRIORITY", "").strip())
        if priority is None:
            raise ImportProblem(f"PRIORITY is 1 (highest) to 4, not {record['PRIORITY']!r}.", line=line)
        description = record.get("DESCRIPTION", "").strip() or None
        fields: dict[str, Any] = {"title": title, "description": description, "priority": priority, "tags": tags}
        date_text = " ".join(record.get("DATE", "").split())[:200]
        if date_text:
            repeat = recurrence_words.read(date_text.lower(), now.astimezone(tz).date())
            found = find_due(date_text, now, tz)
            due = found.due
            if repeat is not None:
                fields["recurrence"] = repeat.rule
                if due is None:
                    start = recurrence_words.first_occurrence(repeat.rule, None, False, now, tz)
                    due = start and Due(start, False)
            if due is not None:
                fields["due_at"], fields["due_has_time"] = due.at.isoformat(), due.has_time
            if repeat is None and due is None:
                # What the date reader cannot read is kept where the user will see it.
                fields["description"] = "\n".join(filter(None, [description, f"Todoist date: {date_text}"]))
        return Row(_checked(fields, line), line=line)

    return read


def rows_of_csv(text: str, user: User, now: datetime | None = None) -> list[Row]:
    """The tasks of a CSV file: this app's tasks export (a ``title`` column) or Todoist's export
    (its ``TYPE``, ``CONTENT``… columns)."""
    reader, header = _reader(text.lstrip("\ufeff"))
    if {"TYPE", "CONTENT"} <= set(header):
        return _csv_rows(reader, _todoist_row(user, now or datetime.now(UTC)))
    if "title" in header:
        return _csv_rows(reader, _tasks_row)
    raise ImportProblem("The header names neither a title column (this app's export) nor TYPE and CONTENT "
                        "(Todoist's export).", line=1)


def _moment(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


def _identity(title: str, due: datetime | None, description: str | None) -> tuple:
    return title, _moment(due), (description or "").strip() or None


def _set_reminders(user: User, number: int, wanted: list[ImportReminder], now: datetime) -> None:
    """The exported reminders still to come, set on the imported task (sent ones are history)."""
    task = tasks.get(user, number)  # read back: the task service inserted it with Core
    for reminder in wanted:
        if reminder.state != "pending":
            continue
        if reminder.before_due_minutes is not None and task.due_at is not None:
            reminders.add(user, task, before_due_minutes=reminder.before_due_minutes, now=now)
        elif reminder.remind_at > now:
            reminders.add(user, task, remind_at=reminder.remind_at, now=now)


def import_rows(user: User, rows: list[Row]) -> Outcome:
    """Add the rows as tasks in one write transaction, skipping any the account already holds
    (same title, due moment and description) so that a file imported twice adds nothing the
    second time. The first bad row raises ``ImportProblem`` and nothing is kept."""
    added = skipped = 0
    now = datetime.now(UTC)
    with transactions.writing():
        held = {_identity(t.title, t.due_at, t.description) for t in tasks.all_of(user)}
        for row in rows:
            try:
                key = _identity(tasks.clean_title(row.fields["title"]), tasks.parse_due(row.fields.get("due_at")),
                                row.fields.get("description"))
                if key in held:
                    skipped += 1
                    continue
                task = tasks.add(user, **row.fields)
                if row.completed and not task.recurrence:
                    tasks.set_completed(user, task.number, True)
                elif row.reminders:
                    _set_reminders(user, task.number, row.reminders, now)
            except reminders.ReminderError as exc:
                raise _problem(row, f"reminder: {exc}") from exc
            except tasks.TaskQuotaReached as exc:
                raise _problem(row, str(exc)) from exc
            except tasks.TaskError as exc:
                raise _problem(row, str(exc)) from exc
            held.add(key)
            added += 1
    return Outcome(added, skipped)


def rows_of_file(data: bytes, user: User) -> list[Row]:
    """The tasks of an uploaded file: an export document when it is a JSON object, else CSV."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportProblem("The file is not UTF-8 text.") from exc
    if "\x00" in text:
        raise ImportProblem("The file holds a NUL character; it is not text.")
    if not text.lstrip().startswith("{"):
        return rows_of_csv(text, user)
    try:
        # The app's JSON reader: it refuses what no database could store (depth, NaN, surrogates).
        document = current_app.json.loads(text)
    except Exception as exc:  # malformed JSON is a ValueError, the reader's refusals an APIError
        line = getattr(exc, "lineno", None)
        raise ImportProblem(f"not valid JSON ({getattr(exc, 'msg', exc)}).", line=line) from exc
    try:
        return rows_of_json(ImportDocument.model_validate(document))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        item = first["loc"][1] if len(first["loc"]) > 1 and first["loc"][0] == "tasks" else None
        raise ImportProblem(f"{where}: {first['msg']}", item=item if isinstance(item, int) else None) from exc
