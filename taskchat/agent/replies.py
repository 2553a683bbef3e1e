"""Intent plus tool results → the reply text the user reads (and structured display data)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

HELP_TEXT = (
    "I can keep your tasks for you. Try:\n"
    "- \"Add a task to buy groceries tomorrow !high\"\n"
    "- \"Show me all my tasks\" or \"what's pending?\"\n"
    "- \"Mark task 1 as complete\"\n"
    "- \"Update task 2 title to 'Buy organic milk'\"\n"
    "- \"Delete task 3\"\n"
    "- \"Find tasks about milk\""
)


def format_due(task: dict[str, Any], tz: ZoneInfo) -> str | None:
    if not task.get("due_at"):
        return None
    due = datetime.fromisoformat(task["due_at"]).astimezone(tz)
    text = due.strftime("%a %b ") + str(due.day)
    if task.get("due_has_time"):
        text += " " + due.strftime("%I:%M %p").lstrip("0").replace(":00 ", " ")
    return text


def describe(task: dict[str, Any], tz: ZoneInfo) -> str:
    """'Buy milk' (task 4) — due Fri Dec 4, high priority, #shopping."""
    parts = []
    due = format_due(task, tz)
    if due:
        parts.append(f"due {due}")
    if task.get("priority") and task["priority"] != "none":
        parts.append(f"{task['priority']} priority")
    parts.extend(f"#{tag}" for tag in task.get("tags") or [])
    if task.get("recurrence"):
        parts.append(f"repeats {task['recurrence']}")
    text = f"'{task['title']}' (task {task['number']})"
    return text + (" — " + ", ".join(parts) if parts else "")


def task_line(task: dict[str, Any], tz: ZoneInfo) -> str:
    box = "[x]" if task["completed"] else "[ ]"
    extra = []
    due = format_due(task, tz)
    if due:
        extra.append(f"due {due}")
    if task.get("priority") and task["priority"] != "none":
        extra.append(task["priority"])
    extra.extend(f"#{tag}" for tag in task.get("tags") or [])
    tail = f" ({', '.join(extra)})" if extra else ""
    return f"{box} {task['number']}. {task['title']}{tail}"


def task_list(tasks: list[dict[str, Any]], tz: ZoneInfo, heading: str, empty: str) -> str:
    if not tasks:
        return empty
    return heading + "\n" + "\n".join(task_line(task, tz) for task in tasks)
