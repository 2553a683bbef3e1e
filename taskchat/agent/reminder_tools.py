"""The reminder tools (``add_reminder``, ``list_reminders``, ``delete_reminder``): the rule agent,
a language model and MCP call them like the task tools; their schemas come from the pydantic
models of the REST reminders API (``taskchat/schemas.py``). The rules live in
``taskchat/reminders.py``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .. import reminders, tasks
from ..recurrence import describe
from ..schemas import ReminderRef, RemindersQuery, TaskReminderCreate
from .tools import ToolContext, ToolError, tool


def _shown(reminder, ctx: ToolContext) -> dict[str, Any]:
    data = reminder.to_dict()
    data["task_title"] = reminder.task.title
    data["repeats"] = describe(reminder.task.recurrence)
    return data


@tool(
    "Remind the user of a task: at remind_at (ISO 8601 with an offset, in the user's time zone) "
    "or before_due_minutes before the task's due time. Give exactly one of the two.",
    TaskReminderCreate,
)
def add_reminder(
    ctx: ToolContext, number: int, remind_at: str | datetime | None = None, before_due_minutes: int | None = None
) -> dict[str, Any]:
    task = tasks.get(ctx.user, number)
    try:
        reminder = reminders.add(ctx.user, task, remind_at=remind_at, before_due_minutes=before_due_minutes, now=ctx.now)
    except reminders.ReminderError as exc:
        raise ToolError(str(exc)) from exc
    return _shown(reminder, ctx)


@tool("List the user's pending reminders (of one task when number is given).", RemindersQuery)
def list_reminders(ctx: ToolContext, number: int | None = None) -> dict[str, Any]:
    if number is not None:
        found = [r for r in reminders.of_task(tasks.get(ctx.user, number)) if r.state == "pending"]
    else:
        found = reminders.of_user(ctx.user)
    return {"reminders": [_shown(r, ctx) for r in found], "count": len(found)}


@tool("Delete one of the user's reminders by its id.", ReminderRef)
def delete_reminder(ctx: ToolContext, reminder_id: int) -> dict[str, Any]:
    try:
        return reminders.remove(ctx.user, reminder_id)
    except reminders.ReminderError as exc:
        raise ToolError(str(exc)) from exc
