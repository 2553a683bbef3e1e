"""Everything of a user's, written out: JSON (tasks with their reminders and repeat rules,
conversations with their messages) and the tasks as CSV. Read-only; every query filters by
the user."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from . import reminders, tasks
from .agent.history import messages_of
from .extensions import db
from .models import Conversation, User

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
