"""Corrections: "sorry i meant monday" after a change, and "… friday - no, saturday" in one message.

Both work on words, not on one pattern over the whole message: the correction marker is
looked for among the last few words only, so any message costs time linear in its length.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..dates import find_due
from ..matching import words
from ..references import TaskRef
from ..task_fields import capitalise, read_priority, tidy_title
from .base import ParseContext, ParsedIntent
from .modifiers import priority_in_words

# "sorry i meant monday", "no, i meant 6pm", "oops make that friday", "actually thursday"
_AFTER = re.compile(
    r"^(?:(?:no|nope|sorry|sry|oops|whoops|wait|actually|oh|ah|hmm|um|my\s+bad)[\s,.!-]+)*"
    r"(?:i\s+meant|i\s+mean|i\s+said|meant|make\s+(?:that|it)|change\s+(?:that|it)\s+to|not\s+that\s*,?|should\s+be|should\s+have\s+said)"
    r"[\s,:]+(?P<value>.+)$",
    re.I,
)
# "no friday", "nope, 6pm": a bare correction, only ever of a date or a priority
_BARE = re.compile(r"^(?:no|nope|nah|sorry|oops|actually|wait)[\s,.!-]+(?:(?:no|wait|sorry)[\s,.!-]+)?(?P<value>.+)$", re.I)
_WRITE_ACTIONS = frozenset({"CREATE", "UPDATE", "COMPLETE", "UNCOMPLETE"})


def after_write(text: str, context: ParseContext) -> ParsedIntent | None:
    """A correction of what the last turn did to a task: its due date, priority or title."""
    state = context.state or {}
    last = state.get("last_action") or {}
    if last.get("intent") not in _WRITE_ACTIONS or not state.get("last_tasks"):
        return None
    match = _AFTER.match(text.strip(" .!")) or _BARE.match(text.strip(" .!"))
    if not match:
        return _more_about_it(text, context)
    value = match.group("value").strip(" .!")
    args = value_args(value, context)
    if match.re is _BARE and (args is None or len(words(value, digits=False)) > 3):
        return None  # "no, friday" corrects; "no, add bread" is a request of its own
    if args is None and last.get("intent") == "CREATE":
        title = capitalise(tidy_title(value))
        args = {"title": title} if title else None
    if not args:
        return None
    return ParsedIntent("UPDATE", args, [TaskRef(pronoun=True)])


def value_args(value: str, context: ParseContext) -> dict | None:
    """A corrected value as ``update_task`` arguments: a due date, or a priority."""
    due = find_due(value, context.now, context.tz)
    if due.due:
        rest = value
        for start, end in sorted(due.spans, reverse=True):
            rest = rest[:start] + rest[end:]
        if len(words(rest, digits=False)) <= 2:
            return due.due.arguments()
    level = priority_in_words(value)[0] or read_priority(value)[0]
    if level and len(words(value, digits=False)) <= 4:
        return {"priority": level}
    return None


_MARKERS = frozenset({"no", "sorry", "wait", "oops", "actually", "nope", "sry", "whoops"})
_MEAN = ("i mean", "i meant", "make that", "make it", "or rather", "rather")


def inline(body: str, context: ParseContext, rules: Callable[[str, ParseContext], ParsedIntent | None]) -> ParsedIntent | None:
    """"book the vet for friday - no, saturday": the message read without the first value,
    then the corrected value put in its place."""
    tokens = body.split()
    if len(tokens) < 3:
        return None
    # The marker is among the last six words; what follows it is the new value.
    for index in range(max(1, len(tokens) - 6), len(tokens) - 1):
        word = tokens[index].lower().strip(",.;:!-–—")
        pair = f"{word} {tokens[index + 1].lower().strip(',.;:!')}"
        if word in _MARKERS or pair in _MEAN:
            skip = 2 if pair in _MEAN else 1
            rest = tokens[index + skip:]
            while rest and rest[0].lower().strip(",.;:!-") in _MARKERS | {"wait", "i", "mean", "meant", ""}:
                rest = rest[1:]
            head = " ".join(tokens[:index]).rstrip(" ,;:-–—")
            value = " ".join(rest).strip(" ,.!")
            if not head or not value:
                return None
            args = value_args(value, context)
            if not args:
                return None
            parsed = rules(head, context)
            if parsed is None or parsed.intent not in ("CREATE", "UPDATE"):
                return None
            target = parsed.args
            if "due_at" in args:
                target.pop("due_at", None)
                target.pop("due_has_time", None)
            target.update(args)
            for item in parsed.items:
                item.update(args)
            return parsed
    return None


# "for friday pls", "by monday", "tomorrow at 9 thx" right after a task was added or changed:
# only a date (with its lead word and politeness), so it says more about that task.
_VALUE_LEAD = re.compile(r"^(?:and\s+|also\s+)?(?:make\s+it\s+|set\s+it\s+)?(?:for|by|on|due|at)\b", re.I)
_POLITE_WORDS = frozenset(["please", "pls", "plz", "thanks", "thx", "ta", "cheers"])


def _more_about_it(text: str, context: ParseContext) -> ParsedIntent | None:
    # politeness set aside word by word from the end (a pattern for a run of them backtracks)
    said = text.strip(" .!").replace(",", " ").split()
    while said and said[-1].lower() in _POLITE_WORDS:
        said.pop()
    value = " ".join(said)
    if "?" in text or not value or len(value) > 40 or not _VALUE_LEAD.match(value):
        return None
    due = find_due(value, context.now, context.tz)
    if not due.due:
        return None
    rest = value
    for start, end in sorted(due.spans, reverse=True):
        rest = rest[:start] + rest[end:]
    if words(rest, digits=False):
        return None
    return ParsedIntent("UPDATE", due.due.arguments(), [TaskRef(pronoun=True)])
