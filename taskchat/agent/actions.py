"""What the agent does with a parsed message: tool calls, questions back, and the reply text.

Questions outlive the turn that asks them: a "which one?" (``state.pending``) or a
bulk-delete "are you sure?" (``state.confirm``) is stored on the conversation, so the
answer works in the next turn from any surface and on any worker. Either lasts one turn.
So does what "undo" needs: every turn that changes tasks leaves ``state.undo``, the tool
calls that put them back, and ``state.last_action``, what "and pears too" repeats.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import date, datetime, timedelta
from typing import Any

from .. import tasks as task_service
from . import replies
from .events import Choice, Outcome, TaskList, ToolFinished, TurnEvent
from .intents import INTENT_OF_TOOL, Intent
from .matching import match_title, search_by_lemma
from .parser import ParsedIntent
from .state import Turn

MAX_CHOICES = 8
_DUE_WINDOWS = {
    "tomorrow": lambda today: (today + timedelta(days=1), today + timedelta(days=2)),
    "next week": lambda today: (
        today + timedelta(days=7 - today.weekday()),
        today + timedelta(days=14 - today.weekday()),
    ),
}


def _one_day(due_on: str | None):
    """A listing asked about one day ("anything on friday?"): the parser names it by ISO date."""
    try:
        day = date.fromisoformat(due_on) if due_on else None
    except ValueError:
        return None
    return (lambda today: (day, day + timedelta(days=1))) if day else None


CONFIRM_CHOICES = [Choice("Yes, delete them", "yes"), Choice("No, keep them", "no")]

_RESTORED = ("number", "title", "description", "priority", "due_at", "due_has_time", "tags", "recurrence", "completed", "reminders")
_UPDATE_BACK = ("title", "description", "priority", "due_at", "due_has_time", "tags", "recurrence", "completed")

# The intents that change the tasks a message points at: the verb a question uses ("which
# task should I reopen?"); the tool is the one ``INTENT_OF_TOOL`` maps to the intent.
VERB_OF = {Intent.COMPLETE: "complete", Intent.UNCOMPLETE: "reopen", Intent.DELETE: "delete", Intent.UPDATE: "update"}
_TOOL_OF = {intent: name for name, intent in INTENT_OF_TOOL.items() if intent in VERB_OF}
# The undo-only tool carries no intent of its own (it is not offered, and must not stand for
# UNCOMPLETE in ``_TOOL_OF``): putting a repeating task back reopens the occurrence.
_UNDONE_AS = {"undo_completion": Intent.UNCOMPLETE}


def act(turn: Turn, parsed: ParsedIntent) -> Generator[TurnEvent, None, Outcome]:
    """Carry out a parsed intent (and a second one said with it) with tools; return what to say."""
    # A question is answered (or dropped) by the very next message.
    state = turn.state
    confirm, state.confirm, state.pending, state.last_action = state.confirm, None, None, None
    if parsed.intent == Intent.UNDO:
        outcome = yield from _undo(turn)
    else:
        undo: list[dict[str, Any]] = []
        outcome = yield from _act(turn, parsed, confirm, undo)
        if parsed.then is not None and outcome.intent != Intent.CLARIFY:
            second = yield from _act(turn, parsed.then, None, undo)
            outcome = Outcome(f"{outcome.text} {second.text}", outcome.intent, second.display or outcome.display, second.choices)
        if undo:
            turn.state.undo = undo
    if turn.touched:
        turn.remember(turn.touched)
    return outcome


def _write(turn: Turn, undo: list[dict[str, Any]], name: str, **arguments: Any) -> Generator[TurnEvent, None, ToolFinished]:
    """Call a tool that changes a task, noting in ``undo`` the call that would put it back."""
    before = None
    if name == "update_task":
        before = task_service.get(turn.ctx.user, arguments["number"]).to_dict() if _exists(turn, arguments["number"]) else None
    done = yield from turn.call(name, **arguments)
    output = done.output if done.status == "success" else None
    if not output:
        return done
    number = output["number"]
    if name == "add_task":
        undo.append({"tool": "delete_task", "args": {"number": number}})
    elif name == "delete_task":
        undo.append({"tool": "restore_task", "args": {key: output[key] for key in _RESTORED if key in output}})
    elif name == "complete_task" and output.get("repeated"):
        # A repeating task moved on: undo puts it (and its reminders) back where it was.
        undo.append({"tool": "undo_completion", "args": {"number": number, "before": output["repeated"]}})
    elif name in ("complete_task", "uncomplete_task") and not output.get("already"):
        back = "uncomplete_task" if name == "complete_task" else "complete_task"
        undo.append({"tool": back, "args": {"number": number}})
    elif name == "update_task" and before and output.get("changed"):
        changed = set(output["changed"]) | ({"due_at", "due_has_time"} if {"due_at", "due_has_time"} & set(output["changed"]) else set())
        args = {key: before[key] for key in _UPDATE_BACK if key in changed}
        if args:
            undo.append({"tool": "update_task", "args": {"number": number, **args}})
    return done


def _exists(turn: Turn, number: int) -> bool:
    return any(task.number == number for task in turn.user_tasks())


def _undo(turn: Turn) -> Generator[TurnEvent, None, Outcome]:
    """Put back what the last changing turn of this conversation did, newest change first."""
    steps, turn.state.undo = turn.state.undo, None
    if not steps:
        return Outcome("There's nothing for me to undo in this conversation yet.", Intent.UNKNOWN)
    undone = 0
    restored: list[str] = []
    for step in reversed(steps):
        done = yield from turn.call(step["tool"], **step["args"])
        undone += done.status == "success"
        if done.status == "success" and step["tool"] == "restore_task" and done.output:
            restored.append(f"'{done.output['title']}' (task {done.output['number']})")
    if not undone:
        return Outcome("I couldn't undo that — the tasks have changed since.", Intent.UNKNOWN)
    last = steps[-1]["tool"]
    intent = _UNDONE_AS.get(last) or INTENT_OF_TOOL.get(last, Intent.UPDATE)
    if restored:
        # Name what came back, so the person sees it without searching the task list.
        back = restored[0] if len(restored) == 1 else ", ".join(restored[:-1]) + " and " + restored[-1]
        return Outcome(f"Undone — {back} {'is' if len(restored) == 1 else 'are'} back.", intent)
    what = "change" if undone == 1 else f"{undone} changes"
    return Outcome(f"Undone — I reverted the last {what}.", intent)


def _act(
    turn: Turn, parsed: ParsedIntent, confirm: dict | None, undo: list[dict[str, Any]]
) -> Generator[TurnEvent, None, Outcome]:
    intent = parsed.intent
    if intent == Intent.CREATE:
        return (yield from _create(turn, parsed, undo))
    if intent in (Intent.LIST, Intent.SEARCH):
        return (yield from _list(turn, parsed))
    if intent == Intent.DELETE and parsed.bulk:
        return (yield from _bulk_delete(turn, parsed.bulk, confirm, undo))
    if intent in VERB_OF:
        return (yield from _on_tasks(turn, parsed, undo))
    if intent == Intent.HELP:
        return Outcome(replies.HELP_TEXT, intent)
    if intent == Intent.GREETING:
        return Outcome(replies.small_talk(parsed.talk), intent)
    if parsed.cancelled:
        return Outcome("OK, never mind — I left your tasks as they were.", Intent.UNKNOWN)
    if parsed.negated:
        return Outcome("OK — I won't change anything.", Intent.UNKNOWN)
    if parsed.options:
        # No reading clearly led: the likely ones as choices, never a dead end.
        return Outcome(
            replies.which_reading(), Intent.CLARIFY, choices=[Choice(label, reply) for label, reply in parsed.options[:3]]
        )
    if parsed.suggest:
        return Outcome(
            replies.suggest_adding(parsed.suggest), Intent.UNKNOWN, choices=[Choice(f"Add '{parsed.suggest}'", f"add {parsed.suggest}")]
        )
    return Outcome(replies.UNKNOWN_TEXT, Intent.UNKNOWN)


def _create(turn: Turn, parsed: ParsedIntent, undo: list[dict[str, Any]]) -> Generator[TurnEvent, None, Outcome]:
    if parsed.asked == "title" or not (parsed.items or parsed.args.get("title")):
        turn.state.pending = {"intent": Intent.CREATE, "asked": "title"}
        return Outcome('What should I remind you about? E.g. "buy milk tomorrow".', Intent.CLARIFY)
    if parsed.unless_listed:
        title = parsed.args["title"]
        held = match_title(title, {task.number: task.title for task in turn.user_tasks() if not task.completed})
        if held:
            shown = [task_service.get(turn.ctx.user, number).to_dict() for number in held]
            turn.remember(held)
            text = f"'{shown[0]['title']}' is already on your list (task {shown[0]['number']}), so I didn't add it again."
            return Outcome(text, Intent.SEARCH, TaskList("Already on your list:", shown))
    added = []
    for item in parsed.items or [parsed.args]:
        done = yield from _write(turn, undo, "add_task", **item)
        if done.status == "error":
            return Outcome(f"I couldn't add that task: {done.error}", Intent.CREATE)
        added.append(done.output)
    turn.state.last_action = {"intent": Intent.CREATE, "title": added[-1]["title"]}
    text = "Added " + "; ".join(replies.describe(task, turn.tz) for task in added) + "."
    return Outcome(text, Intent.CREATE)


def _list(turn: Turn, parsed: ParsedIntent) -> Generator[TurnEvent, None, Outcome]:
    intent = parsed.intent
    if intent == Intent.SEARCH:
        if not parsed.args.get("query"):
            return Outcome('What should I look for? E.g. "find tasks about milk".', Intent.CLARIFY)
        done = yield from turn.call("search_tasks", **parsed.args)
    else:
        done = yield from turn.call("list_tasks", **parsed.args)
    if done.status == "error":
        return Outcome(f"I couldn't list your tasks: {done.error}", intent)
    tasks = done.output["tasks"]
    if intent == Intent.SEARCH and not tasks:
        # Words in another form ("feeding the fish" for "Feed the fish"): the same tasks by lemma.
        every = {task.number: task for task in turn.user_tasks()}
        found = set(search_by_lemma(parsed.args["query"], {n: task.title for n, task in every.items()}))
        tasks = [task.to_dict() for n, task in every.items() if n in found]
    window = _DUE_WINDOWS.get(parsed.due_on) or _one_day(parsed.due_on)
    if window:
        # Windows the list tool has no filter for: local days [first, last).
        today = turn.ctx.now.astimezone(turn.tz).date()
        first, last = window(today)
        tasks = [
            task for task in tasks
            if task["due_at"] and first <= datetime.fromisoformat(task["due_at"]).astimezone(turn.tz).date() < last
        ]
    turn.remember([task["number"] for task in tasks])
    if intent == Intent.SEARCH:
        query = parsed.args["query"]
        heading, empty = f"Tasks matching '{query}':", f"No tasks match '{query}'."
    else:
        heading, empty = replies.list_heading(parsed.args, parsed.due_on, tasks)
    if parsed.count:
        return Outcome(replies.count_text(parsed.args, tasks), intent, TaskList(heading, tasks))
    text = replies.task_list(tasks, turn.tz, heading, empty)
    return Outcome(text, intent, TaskList(heading, tasks))


def _bulk_delete(
    turn: Turn, bulk: str, confirm: dict | None, undo: list[dict[str, Any]]
) -> Generator[TurnEvent, None, Outcome]:
    if bulk == "cancelled" or (bulk == "confirmed" and not confirm):
        return Outcome("OK, I didn't delete anything.", Intent.DELETE)
    if bulk == "confirmed":
        deleted = []
        for number in confirm.get("numbers", []):
            done = yield from _write(turn, undo, "delete_task", number=number)
            if done.status == "success":
                deleted.append(done.output)
        if not deleted:
            return Outcome("There was nothing left to delete.", Intent.DELETE)
        return Outcome(f"Deleted {len(deleted)} task{'s' if len(deleted) != 1 else ''}.", Intent.DELETE)
    tasks = [task for task in turn.user_tasks() if bulk == "all" or task.completed]
    if not tasks:
        what = "tasks" if bulk == "all" else "completed tasks"
        return Outcome(f"You have no {what} to delete.", Intent.DELETE)
    turn.state.confirm = {"scope": bulk, "numbers": [task.number for task in tasks]}
    what = "completed task" if bulk == "completed" else "task"
    names = ", ".join(f"'{task.title}'" for task in tasks[:5]) + (" …" if len(tasks) > 5 else "")
    return Outcome(
        f"Delete {len(tasks)} {what}{'s' if len(tasks) != 1 else ''} ({names})? "
        "Say \"yes\" to confirm; anything else cancels.",
        Intent.CLARIFY,
        choices=CONFIRM_CHOICES,
    )


def _on_tasks(turn: Turn, parsed: ParsedIntent, undo: list[dict[str, Any]]) -> Generator[TurnEvent, None, Outcome]:
    """Complete, reopen, delete or update the task(s) the message points at."""
    intent = parsed.intent
    tool_name, verb = _TOOL_OF[intent], VERB_OF[intent]
    if parsed.every:
        # Completing is undone as easily as done, so "mark all as done" does not ask first.
        open_tasks = [task.number for task in turn.user_tasks() if not task.completed]
        if not open_tasks:
            return Outcome("You have no open tasks — everything is already done.", intent)
        for number in open_tasks:
            yield from _write(turn, undo, tool_name, number=number)
        return Outcome(f"Marked all {len(open_tasks)} open task{'s' if len(open_tasks) != 1 else ''} as complete.", intent)
    if not parsed.refs:
        return _which(turn, parsed, verb)
    numbers = _numbers(turn, parsed, verb)
    if isinstance(numbers, Outcome):
        return numbers
    if intent == Intent.UPDATE and not parsed.args and parsed.shift_minutes is None:
        example = {
            "note": f'"add note to task {numbers[0]}: bring the receipt"',
            "rename": f'"rename task {numbers[0]} to call dad"',
            "move": f'"move task {numbers[0]} to friday"',
        }.get(parsed.asked or "", f'"rename task {numbers[0]} to …", "move task {numbers[0]} to friday"')
        return Outcome(f"What should I change about task {numbers[0]}? E.g. {example}.", Intent.CLARIFY)
    texts = []
    for number in numbers:
        args = _shifted(turn, number, parsed.shift_minutes) if parsed.shift_minutes is not None else parsed.args
        done = yield from _write(turn, undo, tool_name, number=number, **args)
        texts.append(_action_text(intent, done, turn.tz))
    turn.state.last_action = {"intent": intent, "args": parsed.args}
    return Outcome(" ".join(texts), intent)


def _numbers(turn: Turn, parsed: ParsedIntent, verb: str) -> list[int] | Outcome:
    """The task numbers the references mean, or the reply that asks or says none fit."""
    prefer = {Intent.COMPLETE: False, Intent.UNCOMPLETE: True}.get(parsed.intent)
    numbers: list[int] = []
    for ref in parsed.refs:
        if parsed.statement:
            found = turn.fits(ref.title or "")
            if not found:
                return Outcome(
                    "I couldn't tell which open task that finishes. Say e.g. \"complete task 1\", or \"show my tasks\".", Intent.UNKNOWN
                )
        else:
            found = turn.resolve(ref, prefer)
        if not found:
            if ref.title:
                return Outcome(f"I couldn't find a task matching '{ref.title}'. Say \"show my tasks\" to see them.", parsed.intent)
            return _which(turn, parsed, verb)
        if len(found) > 1 and ref.number is None:
            return _clarify(turn, parsed, found, verb)
        numbers.extend(found)
    return list(dict.fromkeys(numbers))


def _shifted(turn: Turn, number: int, minutes: int) -> dict[str, Any]:
    """``update_task`` arguments moving a task's due date by ``minutes`` (from today if it has none)."""
    task = task_service.get(turn.ctx.user, number)
    local_today = turn.ctx.now.astimezone(turn.tz).replace(hour=0, minute=0, second=0, microsecond=0)
    base = task.due_at.astimezone(turn.tz) if task.due_at else local_today
    moved = (base.replace(tzinfo=None) + timedelta(minutes=minutes)).replace(tzinfo=turn.tz)
    has_time = bool(task.due_at and task.due_has_time) or minutes % 1440 != 0
    return {"due_at": moved.isoformat(), "due_has_time": has_time}


def _which(turn: Turn, parsed: ParsedIntent, verb: str) -> Outcome:
    """"Which task should I delete?", offering the likely tasks as choices."""
    prefer = {Intent.COMPLETE: False, Intent.UNCOMPLETE: True}.get(parsed.intent)
    tasks = [task for task in turn.user_tasks() if prefer is None or task.completed == prefer][:MAX_CHOICES]
    turn.state.pending = {
        "intent": parsed.intent, "args": parsed.args, "candidates": [], "titles": [], "shift_minutes": parsed.shift_minutes,
    }
    return Outcome(
        f'Which task should I {verb}? Say e.g. "{verb} task 1".',
        Intent.CLARIFY,
        choices=[Choice(f"{task.title} (task {task.number})", f"task {task.number}") for task in tasks],
    )


def _clarify(turn: Turn, parsed: ParsedIntent, numbers: list[int], verb: str) -> Outcome:
    tasks = {task.number: task for task in turn.user_tasks()}
    numbers = [n for n in numbers if n in tasks][:MAX_CHOICES]
    titles = [tasks[n].title for n in numbers]
    turn.state.pending = {
        "intent": parsed.intent,
        "args": parsed.args,
        "candidates": numbers,
        "titles": titles,
        "shift_minutes": parsed.shift_minutes,
    }
    lines = [f"{i}. {title} (task {n})" for i, (n, title) in enumerate(zip(numbers, titles, strict=True), 1)]
    return Outcome(
        f"Several tasks match — which one should I {verb}?\n" + "\n".join(lines)
        + '\nSay e.g. "the first one" or "task ' + str(numbers[0]) + '".',
        Intent.CLARIFY,
        TaskList(f"Which one should I {verb}?", [tasks[n].to_dict() for n in numbers]),
        [Choice(f"{title} (task {n})", f"task {n}") for n, title in zip(numbers, titles, strict=True)],
    )


def _action_text(intent: str, done: ToolFinished, tz) -> str:
    if done.status == "error":
        return f"I couldn't do that: {done.error}"
    task = done.output
    ref = f"'{task['title']}' (task {task['number']})"
    if intent == Intent.COMPLETE:
        return f"{ref} was already complete." if task.get("already") else f"Marked {ref} as complete."
    if intent == Intent.UNCOMPLETE:
        return f"{ref} is already open." if task.get("already") else f"Reopened {ref}."
    if intent == Intent.DELETE:
        return f"Deleted {ref}."
    changed = [field for field in task.get("changed", []) if field not in ("completed_at",)]
    if not changed:
        return f"{ref} already looks like that."
    return f"Updated {replies.describe(task, tz)} (changed: {', '.join(replies.field_names(changed))})."
