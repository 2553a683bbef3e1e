"""Intent plus tool results → the reply text the user reads (and structured display data)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from ..recurrence import describe as describe_rule

HELP_TEXT = (
    "I can keep your tasks for you. Try:\n"
    "- \"Add a task to buy groceries tomorrow at 5pm !high #errands\"\n"
    "- \"add tasks: eggs, bread, milk\" or \"remind me to call mom on Friday\"\n"
    "- \"Show me all my tasks\", \"what's pending?\", \"what's due today\", \"show overdue\"\n"
    "- \"Mark task 1 as complete\", \"check off milk\", \"reopen task 2\"\n"
    "- \"Update task 2 title to 'Buy organic milk'\", \"move task 1 to next monday\", "
    "\"tag task 5 #home\"\n"
    "- \"Delete task 3\" or \"clear completed tasks\"\n"
    "- \"Find tasks about milk\""
)
UNKNOWN_TEXT = (
    "I'm not sure what you mean. I can add, list, complete, update, delete and search tasks — "
    "try \"Add a task to buy groceries\" or say \"help\" for more."
)
_SMALL_TALK = {
    None: "Hi! I keep your tasks. Try \"add buy milk tomorrow\" or say \"help\" to see what I can do.",
    "thanks": "You're welcome! Anything else on your list?",
    "bye": "Bye! Your tasks will be here when you're back.",
    "ack": "Great. Anything else? Say \"what's pending?\" to see what's left.",
}
FIELD_NAMES = {"due_at": "due date", "due_has_time": "due time", "description": "note"}


def suggest_adding(text: str) -> str:
    """The answer to something that may be a task said without "add"."""
    return (
        f"I'm not sure what you mean. If it's a task, say \"add {text}\" and I'll put it on your list; "
        "say \"help\" to see what else I can do."
    )


def which_reading() -> str:
    """The reply when a message could mean more than one thing: the choices follow it."""
    return "I'm not sure which you mean — pick one below, or say it another way."


def small_talk(kind: str | None) -> str:
    return _SMALL_TALK.get(kind, _SMALL_TALK[None])


def field_names(fields: list[str]) -> list[str]:
    """Changed-field names as a person would say them (due_at and due_has_time are one)."""
    names = [FIELD_NAMES.get(name, name) for name in fields]
    if "due date" in names and "due time" in names:
        names.remove("due time")
    return names


def _day_words(due_on: str) -> str:
    """'tomorrow' stays; an ISO day (a listing asked about one day) reads 'on Fri Dec 4'."""
    try:
        day = date.fromisoformat(due_on)
    except ValueError:
        return due_on
    return f"on {day.strftime('%a %b')} {day.day}"


def _filter_words(args: dict[str, Any], due_on: str | None = None) -> tuple[str, str]:
    """(adjective before "tasks", phrase after it) for a listing's heading."""
    before = []
    after = []
    status = args.get("status")
    if status in ("pending", "completed"):
        before.append(status)
    if args.get("priority"):
        before.append(f"{args['priority']} priority")
    due = args.get("due")
    if due == "overdue":
        before.insert(0, "overdue")
    elif due == "today":
        after.append("due today")
    elif due == "week":
        after.append("due this week")
    if due_on:
        after.append(f"due {_day_words(due_on)}")
    if args.get("tag"):
        after.append(f"tagged #{args['tag']}")
    return " ".join(before), " ".join(after)


def list_heading(args: dict[str, Any], due_on: str | None, tasks: list[dict[str, Any]]) -> tuple[str, str]:
    """The heading of a listing and what to say when it is empty."""
    before, after = _filter_words(args, due_on)
    noun = " ".join(part for part in (before, "tasks" if len(tasks) != 1 else "task", after) if part)
    if not before and not after:
        return f"You have {len(tasks)} {noun}:", 'You have no tasks yet. Try "Add a task to buy groceries".'
    return f"Your {noun} ({len(tasks)}):", f"You have no {' '.join(p for p in (before, 'tasks', after) if p)}."


def count_text(args: dict[str, Any], tasks: list[dict[str, Any]]) -> str:
    before, after = _filter_words(args)
    if before or after:
        noun = " ".join(p for p in (before, "task" if len(tasks) == 1 else "tasks", after) if p)
        return f"You have {len(tasks)} {noun}."
    pending = sum(1 for task in tasks if not task["completed"])
    noun = "task" if len(tasks) == 1 else "tasks"
    return f"You have {len(tasks)} {noun}: {pending} pending, {len(tasks) - pending} completed."


def format_due(task: dict[str, Any], tz: ZoneInfo) -> str | None:
    if not task.get("due_at"):
        return None
    due = datetime.fromisoformat(task["due_at"]).astimezone(tz)
    text = due.strftime("%a %b ") + str(due.day)
    if task.get("due_has_time"):
        text += " " + due.strftime("%I:%M %p").lstrip("0").replace(":00 ", " ")
    return text


def task_details(task: dict[str, Any], tz: ZoneInfo) -> list[str]:
    """The parts of a task worth saying besides its title: due, priority, tags, repeat."""
    parts = []
    due = format_due(task, tz)
    if due:
        parts.append(f"due {due}")
    if task.get("priority") and task["priority"] != "none":
        parts.append(f"{task['priority']} priority")
    parts.extend(f"#{tag}" for tag in task.get("tags") or [])
    if task.get("recurrence"):
        # Said in words; the due date above is the next occurrence.
        parts.append(f"repeats {task.get('recurrence_text') or describe_rule(task['recurrence'])}")
    return parts


def describe(task: dict[str, Any], tz: ZoneInfo) -> str:
    """'Buy milk' (task 4) — due Fri Dec 4, high priority, #shopping."""
    parts = task_details(task, tz)
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
