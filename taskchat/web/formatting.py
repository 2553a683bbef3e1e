"""Template filters for the page: dates in the user's own time zone."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .. import public_ids
from ..agent.replies import format_due
from ..models import UTC_ZONE, zone
from ..services import MAX_MESSAGE_CHARS
from . import bp


@bp.app_template_filter("due")
def due(task: dict[str, Any], timezone: str | None) -> str | None:
    """'Fri Dec 4' or 'Fri Dec 4 5 PM' in the user's zone, as the agent writes it; None if undated."""
    return format_due(task, zone(timezone))


@bp.app_template_filter("overdue")
def overdue(task: dict[str, Any]) -> bool:
    """A pending task whose due moment (or, for a date without a time, whole day) has passed."""
    if task.get("completed") or not task.get("due_at"):
        return False
    deadline = datetime.fromisoformat(task["due_at"])
    if not task.get("due_has_time"):
        deadline += timedelta(days=1)  # stored at local midnight: due until the day ends
    return deadline < datetime.now(tz=UTC_ZONE)



@bp.app_template_filter("message_ref")
def message_ref(message_id: int | str) -> str:
    """A message's shown id (``msg_…``), for element ids the stream's fragments aim at."""
    return message_id if isinstance(message_id, str) else public_ids.message_ref(message_id)


@bp.app_context_processor
def message_limit() -> dict:
    """The longest message the agent takes, for the counter on the message box."""
    from ..account import mail_configured
    from .task_panel import REPEATS

    return {"message_limit": MAX_MESSAGE_CHARS, "repeats": REPEATS, "mail_configured": mail_configured()}


@bp.app_template_filter("due_parts")
def due_parts(task: dict[str, Any], timezone: str | None) -> tuple[str, str]:
    """The due moment as the edit form's date and time fields ('2026-12-04', '17:00'), in the
    user's zone; empty strings for what is unset (a date-only task has no time)."""
    if not task.get("due_at"):
        return "", ""
    local = datetime.fromisoformat(task["due_at"]).astimezone(zone(timezone))
    return local.date().isoformat(), local.strftime("%H:%M") if task.get("due_has_time") else ""
