"""What the agent does with a parsed message: tool calls, questions back, and the reply text.

Questions outlive the turn that asks them: a "which one?" (``state["pending"]``) or a
bulk-delete "are you sure?" (``state["confirm"]``) is stored on the conversation, so the
answer works in the next turn from any surface and on any worker. Either lasts one turn.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from . import replies
from .events import Choice, ToolFinished, TurnEvent
from .events import TurnContext as Turn
from .parser import ParsedIntent

MAX_CHOICES = 8
_DUE_WINDOWS = {
    "tomorrow": lambda today: (today + timedelta(days=1), today + timedelta(days=2)),
    "next week": lambda today: (
        today + timedelta(days=7 - today.weekday()),
        today + timedelta(days=14 - today.weekday()),
    ),
}


@dataclass
class Outcome:
    """What a turn decided: the reply text and what the surfaces may show besides."""

    text: str
    intent: str
    display: dict[str, Any] | None = None
    choices: list[Choice] = field(default_factory=list)


CONFIRM_CHOICES = [Choice("Yes, delete them", "yes"), Choice("No, keep them", "no")]

TOOL_FOR = {
    "COMPLETE": ("complete_task", "complete"),
    "UNCOMPLETE": ("uncomplete_task", "reopen"),
    "DELETE": ("delete_task", "delete"),
    "UPDATE": ("update_task", "update"),
}


def act(turn: Turn, parsed: ParsedIntent) -> Generator[TurnEvent, None, Outcome]:
    """Carry out a parsed intent with tools; return what to say."""
    # A question is answered (or dropped) by the very next message.
    confirm = turn.state.pop("confirm", None)
    turn.state.pop("pending", None)
    outcome = yield from _act(turn, parsed, confirm)
    if turn.touched:
        turn.remember(turn.touched)
    return outcome


def _act(turn: Turn, parsed: ParsedIntent, confirm: dict | None) -> Generator[TurnEvent, None, Outcome]:
    intent = parsed.intent
    if intent == "CREATE":
        return (yield from _create(turn, parsed))
    if intent in ("LIST", "SEARCH"):
        return (yield from _list(turn, parsed))
    if intent == "DELETE" and parsed.options.get("bulk"):
        return (yield from _bulk_delete(turn, parsed.options["bulk"], confirm))
    if intent in TOOL_FOR:
        return (yield from _on_tasks(turn, parsed))
    if intent == "HELP":
        return Outcome(replies.HELP_TEXT, intent)
    if intent == "GREETING":
        return Outcome(replies.small_talk(parsed.options.get("talk")), intent)
    if parsed.options.get("cancelled"):
        return Outcome("OK, never mind — I left your tasks as they were.", "UNKNOWN")
    if parsed.options.get("suggest"):
        return Outcome(replies.suggest_adding(parsed.options["suggest"]), "UNKNOWN")
    return Outcome(replies.UNKNOWN_TEXT, "UNKNOWN")


def _create(turn: Turn, parsed: ParsedIntent) -> Generator[TurnEvent, None, Outcome]:
    if parsed.options.get("asked") == "title" or not (parsed.items or parsed.args.get("title")):
        return Outcome('What should the task say? E.g. "add buy milk tomorrow".', "CLARIFY")
    added = []
    for item in parsed.items or [parsed.args]:
        done = yield from turn.call("add_task", **item)
        if done.status == "error":
            return Outcome(f"I couldn't add that task: {done.error}", "CREATE")
        added.append(done.output)
    text = "Added " + "; ".join(replies.describe(task, turn.tz) for task in added) + "."
    return Outcome(text, "CREATE")


def _list(turn: Turn, parsed: ParsedIntent) -> Generator[TurnEvent, None, Outcome]:
    intent = parsed.intent
    if intent == "SEARCH":
        if not parsed.args.get("query"):
            return Outcome('What should I look for? E.g. "find tasks about milk".', "CLARIFY")
        done = yield from turn.call("search_tasks", **parsed.args)
    else:
        done = yield from turn.call("list_tasks", **parsed.args)
    if done.status == "error":
        return Outcome(f"I couldn't list your tasks: {done.error}", intent)
    tasks = done.output["tasks"]
    window = _DUE_WINDOWS.get(parsed.options.get("due_on"))
    if window:
        # Windows the list tool has no filter for: local days [first, last).
        today = turn.ctx.now.astimezone(turn.tz).date()
        first, last = window(today)
        tasks = [
            task for task in tasks
            if task["due_at"] and first <= datetime.fromisoformat(task["due_at"]).astimezone(turn.tz).date() < last
        ]
    turn.remember([task["number"] for task in tasks])
    if intent == "SEARCH":
        query = parsed.args["query"]
        heading, empty = f"Tasks matching '{query}':", f"No tasks match '{query}'."
    else:
        heading, empty = replies.list_heading(parsed.args, parsed.options, tasks)
    if parsed.options.get("count"):
        return Outcome(replies.count_text(parsed.args, tasks), intent, {"kind": "task_list", "title": heading, "tasks": tasks})
    text = replies.task_list(tasks, turn.tz, heading, empty)
    return Outcome(text, intent, {"kind": "task_list", "title": heading, "tasks": tasks})


def _bulk_delete(turn: Turn, bulk: str, confirm: dict | None) -> Generator[TurnEvent, None, Outcome]:
    if bulk == "cancelled" or (bulk == "confirmed" and not confirm):
        return Outcome("OK, I didn't delete anything.", "DELETE")
    if bulk == "confirmed":
        deleted = []
        for number in confirm.get("numbers", []):
            done = yield from turn.call("delete_task", number=number)
            if done.status == "success":
                deleted.append(done.output)
        if not deleted:
            return Outcome("There was nothing left to delete.", "DELETE")
        return Outcome(f"Deleted {len(deleted)} task{'s' if len(deleted) != 1 else ''}.", "DELETE")
    tasks = [task for task in turn.user_tasks() if bulk == "all" or task.completed]
    if not tasks:
        what = "tasks" if bulk == "all" else "completed tasks"
        return Outcome(f"You have no {what} to delete.", "DELETE")
    turn.state["confirm"] = {"scope": bulk, "numbers": [task.number for task in tasks]}
    what = "completed task" if bulk == "completed" else "task"
    names = ", ".join(f"'{task.title}'" for task in tasks[:5]) + (" …" if len(tasks) > 5 else "")
    return Outcome(
        f"Delete {len(tasks)} {what}{'s' if len(tasks) != 1 else ''} ({names})? "
        "Say \"yes\" to confirm; anything else cancels.",
        "CLARIFY",
        choices=CONFIRM_CHOICES,
    )


def _on_tasks(turn: Turn, parsed: ParsedIntent) -> Generator[TurnEvent, None, Outcome]:
    """Complete, reopen, delete or update the task(s) the message points at."""
    intent = parsed.intent
    tool_name, verb = TOOL_FOR[intent]
    if parsed.options.get("every"):
        # Completing is undone as easily as done, so "mark all as done" does not ask first.
        open_tasks = [task.number for task in turn.user_tasks() if not task.completed]
        if not open_tasks:
            return Outcome("You have no open tasks — everything is already done.", intent)
        for number in open_tasks:
            yield from turn.call(tool_name, number=number)
        return Outcome(f"Marked all {len(open_tasks)} open task{'s' if len(open_tasks) != 1 else ''} as complete.", intent)
    if not parsed.refs:
        turn.state["pending"] = {"intent": intent, "args": parsed.args, "candidates": [], "titles": []}
        return Outcome(f'Which task should I {verb}? Say e.g. "{verb} task 1".', "CLARIFY")
    prefer = {"COMPLETE": False, "UNCOMPLETE": True}.get(intent)
    numbers: list[int] = []
    for ref in parsed.refs:
        found = turn.resolve(ref, prefer)
        if not found:
            if ref.title:
                return Outcome(f"I couldn't find a task matching '{ref.title}'. Say \"show my tasks\" to see them.", intent)
            return Outcome(f'I\'m not sure which task you mean — say e.g. "{verb} task 1".', "CLARIFY")
        if len(found) > 1 and ref.number is None:
            return _clarify(turn, parsed, found, verb)
        numbers.extend(found)
    numbers = list(dict.fromkeys(numbers))
    if intent == "UPDATE" and not parsed.args:
        asked = parsed.options.get("asked", "")
        example = {
            "note": f'"add note to task {numbers[0]}: bring the receipt"',
            "rename": f'"rename task {numbers[0]} to call dad"',
            "move": f'"move task {numbers[0]} to friday"',
        }.get(asked, f'"rename task {numbers[0]} to …", "move task {numbers[0]} to friday"')
        return Outcome(f"What should I change about task {numbers[0]}? E.g. {example}.", "CLARIFY")
    texts = []
    for number in numbers:
        done = yield from turn.call(tool_name, number=number, **parsed.args)
        texts.append(_action_text(intent, done, turn.tz))
    return Outcome(" ".join(texts), intent)


def _clarify(turn: Turn, parsed: ParsedIntent, numbers: list[int], verb: str) -> Outcome:
    tasks = {task.number: task for task in turn.user_tasks()}
    numbers = [n for n in numbers if n in tasks][:MAX_CHOICES]
    titles = [tasks[n].title for n in numbers]
    turn.state["pending"] = {
        "intent": parsed.intent,
        "args": parsed.args,
        "candidates": numbers,
        "titles": titles,
    }
    lines = [f"{i}. {title} (task {n})" for i, (n, title) in enumerate(zip(numbers, titles, strict=True), 1)]
    return Outcome(
        f"Several tasks match — which one should I {verb}?\n" + "\n".join(lines)
        + '\nSay e.g. "the first one" or "task ' + str(numbers[0]) + '".',
        "CLARIFY",
        {"kind": "task_list", "title": f"Which one should I {verb}?", "tasks": [tasks[n].to_dict() for n in numbers]},
        [Choice(f"{title} (task {n})", f"task {n}") for n, title in zip(numbers, titles, strict=True)],
    )


def _action_text(intent: str, done: ToolFinished, tz) -> str:
    if done.status == "error":
        return f"I couldn't do that: {done.error}"
    task = done.output
    ref = f"'{task['title']}' (task {task['number']})"
    if intent == "COMPLETE":
        return f"{ref} was already complete." if task.get("already") else f"Marked {ref} as complete."
    if intent == "UNCOMPLETE":
        return f"{ref} is already open." if task.get("already") else f"Reopened {ref}."
    if intent == "DELETE":
        return f"Deleted {ref}."
    changed = [field for field in task.get("changed", []) if field not in ("completed_at",)]
    if not changed:
        return f"{ref} already looks like that."
    return f"Updated {replies.describe(task, tz)} (changed: {', '.join(replies.field_names(changed))})."
