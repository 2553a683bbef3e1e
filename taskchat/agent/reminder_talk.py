"""What the rule agent understands about reminders, and what it does with them.

"remind me to call mom at 5pm" (a task *and* a reminder at its due time), "remind me about
task 3 tomorrow at 9", "remind me an hour before", "remind me 10 minutes before the dentist"
(a reminder on the existing task), "what reminders do I have", "stop reminding me about the
dentist", and after a reminder fired: "snooze it for an hour", "remind me again tonight".

Kept out of the intent parser (``agent/parser``): ``read`` is tried first and answers None for
anything else, so the parser never sees these; ``act`` carries a ``ReminderRequest`` out with
the reminder tools. Patterns are anchored alternations of words, linear on any input.
"""

from __future__ import annotations

import re
from collections.abc import Generator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .. import reminders as reminder_rules
from .dates import find_due
from .events import TurnEvent
from .parser import ParseContext, ParsedIntent, parse_intent
from .references import TaskRef, parse_refs

if TYPE_CHECKING:  # the runner's Turn imports the tools, which import the reminders
    from .state import Turn

_AMOUNT = r"(?P<n>\d{1,4}|an?|one|two|three|four|five|six|ten|fifteen|twenty|thirty|forty[\s-]five|half\s+an?)"
_UNIT = r"(?P<unit>minutes?|mins?|hours?|hrs?|days?|weeks?)"
_UNIT_MINUTES = {"min": 1, "hou": 60, "hr": 60, "hrs": 60, "day": 1440, "wee": 10080}
_WORD_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "ten": 10,
                 "fifteen": 15, "twenty": 20, "thirty": 30, "forty five": 45, "forty-five": 45}

_HEAD = r"^(?:please\s+)?(?:can\s+you\s+|could\s+you\s+)?(?:remind|ping|nudge|alert)\s+me\s+"
# "remind me 10 minutes before the dentist", "remind me an hour before", "remind me the day before"
_BEFORE = re.compile(
    _HEAD + rf"(?:again\s+)?(?:(?:{_AMOUNT}\s+{_UNIT})|(?P<daybefore>the\s+day|the\s+night|a\s+day))\s+(?:before|ahead(?:\s+of)?|prior\s+to)"
    r"(?:\s+(?:it|that|then|the\s+due\s+(?:date|time)))?(?P<rest>\s+.*)?$",
    re.I,
)
# "remind me about task 3 tomorrow at 9", "remind me of the dentist at 8"
_ABOUT = re.compile(_HEAD + r"(?:about|of|re)\s+(?P<rest>.+)$", re.I)
# "remind me to call mom at 5pm": a new task and its reminder
_TO = re.compile(_HEAD + r"(?:to|that\s+i\s+(?:need|have)\s+to)\s+(?P<rest>.+)$", re.I)
_LIST = re.compile(
    r"^(?:what|which|show(?:\s+me)?|list|any|do\s+i\s+have\s+any|are\s+there\s+any)\b.{0,40}?\breminders\b"
    r"|^(?:my\s+)?reminders\??$",
    re.I,
)
_STOP = re.compile(
    r"^(?:please\s+)?(?:stop|quit|don'?t\s+keep|no\s+more)\s+remind(?:ing|er|ers)?\s+(?:me\s+)?(?:about|of|for)?\s*(?P<rest>.+)$"
    r"|^(?:cancel|delete|remove|turn\s+off|clear)\s+(?:the\s+|my\s+|all\s+)?reminders?\s+(?:for|on|about|of)\s+(?P<rest2>.+)$",
    re.I,
)
_SNOOZE = re.compile(
    rf"^(?:please\s+)?snooze(?:\s+(?:it|that|this|the\s+reminder))?(?:\s+(?:for|by)\s+(?:{_AMOUNT}\s+{_UNIT}))?\s*[.!]?$",
    re.I,
)
_AGAIN = re.compile(_HEAD + r"again\s+(?P<when>.+)$", re.I)


@dataclass
class ReminderRequest:
    """What a reminder message asks for; ``act`` carries it out."""

    kind: str  # create | at | before | list | stop | snooze
    refs: list[TaskRef] = field(default_factory=list)
    remind_at: datetime | None = None
    before_minutes: int | None = None
    # "remind me to …": the task to create, as the parser reads it (for "list": the parser's
    # reading, answered when no reminder is set).
    create: ParsedIntent | None = None
    # Snoozing: minutes from now, or a moment ("tonight").
    snooze_minutes: int | None = None
    # "the day before at 9": that time of day, the day before the due date.
    at_time: tuple[int, int] | None = None


def _minutes(n: str | None, unit: str | None) -> int:
    if not unit:
        return 60
    word = " ".join((n or "1").lower().split())
    count = 0.5 if word.startswith("half") else int(word) if word.isdigit() else _WORD_NUMBERS.get(word, 1)
    unit = unit.lower()
    per = _UNIT_MINUTES.get(unit[:3], _UNIT_MINUTES.get(unit, 60))
    return int(count * per)


def _refs_of(text: str) -> list[TaskRef]:
    text = text.strip(" .!?,")
    return parse_refs(text) if text else []


def read(text: str, context: ParseContext) -> ReminderRequest | None:
    """A reminder request, or None (then the intent parser reads the message)."""
    state = context.state or {}
    if state.get("pending") or state.get("confirm"):
        return None  # an answer to the agent's question, not a new request
    flat = " ".join(text.split()).strip()
    if len(flat) > 300:
        return None
    flat = flat.rstrip(".!")
    if _LIST.match(flat):
        # "what are my reminders" has meant "my tasks" too: that reading answers when none is set.
        return ReminderRequest("list", create=parse_intent(flat, context))
    stop = _STOP.match(flat)
    if stop:
        return ReminderRequest("stop", _refs_of(stop.group("rest") or stop.group("rest2") or "it"))
    snooze = _SNOOZE.match(flat)
    if snooze:
        return ReminderRequest("snooze", snooze_minutes=_minutes(snooze.group("n"), snooze.group("unit")))
    again = _AGAIN.match(flat)
    if again:
        due = find_due(again.group("when"), context.now, context.tz).due
        if due is not None:
            return ReminderRequest("snooze", remind_at=due.at if due.has_time else due.at.replace(hour=9))
    before = _BEFORE.match(flat)
    if before:
        rest = (before.group("rest") or "").strip()
        at_time = None
        if before.group("daybefore"):
            # Read from the start of today, so "at 9" is 9:00, not the next 9 o'clock (21:00).
            midnight = context.now.astimezone(context.tz).replace(hour=0, minute=0, second=0, microsecond=0)
            when = find_due(rest, midnight, context.tz)
            if when.due is not None and when.due.has_time:
                at_time = (when.due.at.hour, when.due.at.minute)
                for start, end in sorted(when.spans, reverse=True):
                    rest = rest[:start] + " " + rest[end:]
                rest = re.sub(r"^\s*(?:at|by)\b|\b(?:at|by)\s*$", "", " ".join(rest.split()), flags=re.I)
        rest = re.sub(r"^(?:the\s+)?(?:due\s+(?:date|time)\s+(?:of|for)\s+)", "", rest.strip(), flags=re.I)
        refs = _refs_of(rest) or [TaskRef(pronoun=True)]
        minutes = 1440 if before.group("daybefore") else _minutes(before.group("n"), before.group("unit"))
        return ReminderRequest("before", refs, before_minutes=minutes, at_time=at_time)
    about = _ABOUT.match(flat)
    if about:
        rest = about.group("rest")
        when = find_due(rest, context.now, context.tz)
        target = rest
        for start, end in sorted(when.spans, reverse=True):
            target = target[:start] + " " + target[end:]
        target = re.sub(r"\s+(?:at|on|by|in)\s*$", "", " ".join(target.split()), flags=re.I)
        refs = _refs_of(target)
        if refs and when.due is not None:
            moment = when.due.at if when.due.has_time else when.due.at.replace(hour=9)
            return ReminderRequest("at", refs, remind_at=moment, create=parse_intent("add " + rest, context))
        return None
    if _TO.match(flat):
        parsed = parse_intent(flat, context)
        if parsed.intent == "CREATE":
            return ReminderRequest("create", create=parsed)
    return None


def _say_when(moment: datetime, turn: Turn) -> str:
    local = moment.astimezone(turn.tz)
    today = turn.ctx.now.astimezone(turn.tz).date()
    day = "today" if local.date() == today else "tomorrow" if local.date() == today + timedelta(days=1) else local.strftime("%a %b ") + str(local.day)
    return f"{day} at {local.strftime('%I:%M %p').lstrip('0').replace(':00 ', ' ')}"


def _one_task(turn: Turn, refs: list[TaskRef]) -> int | str:
    """The one task the references mean, or what to say when there is none or several."""
    for ref in refs or [TaskRef(pronoun=True)]:
        found = turn.resolve(ref, False)
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            return "Several tasks match — which one? Say e.g. \"remind me about task 3 tomorrow at 9\"."
    return "Which task should I remind you about? Say e.g. \"remind me about task 3 tomorrow at 9\"."


def act(turn: Turn, request: ReminderRequest) -> Generator[TurnEvent, None, Any]:
    """Carry out a reminder request with the tools; the turn's ``Outcome``."""
    from .actions import act as act_on_intent
    from .events import Outcome

    turn.state.pending = None
    turn.state.last_action = None
    if request.kind == "create":
        outcome = yield from act_on_intent(turn, request.create)
        created = [number for number in turn.touched]
        if outcome.intent != "CREATE" or not created:
            return outcome
        number = created[-1]
        listed = yield from turn.call("list_tasks")
        task = next((t for t in listed.output["tasks"] if t["number"] == number), None) if listed.status == "success" else None
        if task and task.get("due_at") and task.get("due_has_time"):
            done = yield from turn.call("add_reminder", number=number, before_due_minutes=0)
            if done.status == "success":
                _undo_also(turn, done.output["id"])
                return Outcome(f"{outcome.text} I'll remind you {_say_when(datetime.fromisoformat(task['due_at']), turn)}.", "CREATE")
        return Outcome(f"{outcome.text} Say when, e.g. \"remind me about it at 5pm\", and I'll remind you.", "CREATE")
    if request.kind == "list":
        done = yield from turn.call("list_reminders")
        found = done.output["reminders"] if done.status == "success" else []
        if not found:
            if request.create is not None and request.create.intent == "LIST":
                listed = yield from act_on_intent(turn, request.create)
                return Outcome(f"You have no reminders set. {listed.text}", listed.intent, listed.display, listed.choices)
            return Outcome("You have no reminders set.", "REMIND")
        lines = [f"- {r['task_title']} (task {r['task_number']}): {_say_when(datetime.fromisoformat(r['remind_at']), turn)}"
                 + (f", repeats {r['repeats']}" if r.get("repeats") else "") for r in found]
        turn.remember(list(dict.fromkeys(r["task_number"] for r in found)))
        return Outcome(f"Your reminders ({len(found)}):\n" + "\n".join(lines), "REMIND")
    if request.kind == "snooze":
        return (yield from _snooze(turn, request))
    number = _one_task(turn, request.refs)
    if isinstance(number, str):
        if request.kind == "at" and request.create is not None and request.create.intent == "CREATE":
            # "remind me about the dentist at 8" with no such task: a new one, reminded.
            return (yield from act(turn, ReminderRequest("create", create=request.create)))
        return Outcome(number, "CLARIFY")
    turn.remember([number])
    if request.kind == "stop":
        done = yield from turn.call("list_reminders", number=number)
        found = done.output["reminders"] if done.status == "success" else []
        for reminder in found:
            yield from turn.call("delete_reminder", reminder_id=reminder["id"])
        if not found:
            return Outcome(f"Task {number} has no reminders.", "REMIND")
        title = found[0]["task_title"]
        plural = "s" if len(found) != 1 else ""
        return Outcome(f"OK, I won't remind you about '{title}' (task {number}) — removed {len(found)} reminder{plural}.", "REMIND")
    if request.kind == "before" and request.at_time is not None:
        task = next((t for t in turn.user_tasks() if t.number == number), None)
        if task is None or task.due_at is None:
            return Outcome(f"Task {number} has no due date to remind you the day before.", "REMIND")
        day = task.due_at.astimezone(turn.tz) - timedelta(days=1)
        moment = day.replace(hour=request.at_time[0], minute=request.at_time[1], second=0, microsecond=0)
        done = yield from turn.call("add_reminder", number=number, remind_at=moment.isoformat())
    elif request.kind == "before":
        done = yield from turn.call("add_reminder", number=number, before_due_minutes=request.before_minutes)
    else:
        moment = request.remind_at or turn.ctx.now
        done = yield from turn.call("add_reminder", number=number, remind_at=moment.isoformat())
    if done.status == "error":
        return Outcome(f"I couldn't set that reminder: {done.error}", "REMIND")
    _undo_also(turn, done.output["id"])
    reminder = done.output
    when = _say_when(datetime.fromisoformat(reminder["remind_at"]), turn)
    repeats = f" It repeats {reminder['repeats']}, and the reminder moves with it." if reminder.get("repeats") else ""
    return Outcome(f"OK, I'll remind you about '{reminder['task_title']}' (task {number}) {when}.{repeats}", "REMIND")


def _undo_also(turn: Turn, reminder_id: int) -> None:
    """"undo" after setting a reminder removes it (with whatever else the turn did)."""
    steps = turn.state.undo or []
    steps.append({"tool": "delete_reminder", "args": {"reminder_id": reminder_id}})
    turn.state.undo = steps


def _snooze(turn: Turn, request: ReminderRequest) -> Generator[TurnEvent, None, Any]:
    from .events import Outcome

    notice = reminder_rules.last_fired(turn.ctx.user)
    if notice is None:
        return Outcome("No reminder has gone off yet, so there is nothing to snooze.", "REMIND")
    now = turn.ctx.now
    moment = request.remind_at or now + timedelta(minutes=request.snooze_minutes or 60)
    if moment <= now:
        moment = now + timedelta(minutes=60)
    number = notice.task.number
    done = yield from turn.call("add_reminder", number=number, remind_at=moment.astimezone(UTC).isoformat())
    if done.status == "error":
        return Outcome(f"I couldn't snooze it: {done.error}", "REMIND")
    if notice.read_at is None:
        notice.read_at = now
    _undo_also(turn, done.output["id"])
    turn.remember([number])
    return Outcome(f"Snoozed — I'll remind you about '{notice.title}' (task {number}) again {_say_when(moment, turn)}.", "REMIND")

