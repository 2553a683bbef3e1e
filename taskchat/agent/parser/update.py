"""Changing a task: fields by name or by look, tags, notes, and moving a due date by an amount."""

from __future__ import annotations

import re
from typing import Any

from ..dates import find_due
from ..references import numbers_in, parse_refs
from ..task_fields import (
    capitalise,
    quoted_spans,
    read_fields,
    read_priority,
    read_recurrence,
    tidy_title,
)
from .base import NUMBER_WORDS, ParseContext, ParsedIntent
from .update_forms import tag_list

# ---------------------------------------------------------------- fields

_UPDATE_VERB = re.compile(
    r"^(?P<verb>update|change|edit|modify|set|rename|retitle|re-?name|move|reschedule|re-?schedule|postpone|push|"
    r"delay|defer|bump|snooze|make|prioriti[sz]e|deprioriti[sz]e|mark|flag|give|call)\s+(?P<rest>.+)$",
    re.I | re.S,
)
_FIELD = r"(?P<field>title|name|text|wording|priority|due\s+date|deadline|due|date|time|description|notes?|details|tags?|recurrence)"
_FIELD_OF = re.compile(rf"^(?:the\s+)?{_FIELD}\s+(?:of|for|on|in)\s+(?P<ref>.+?)\s*(?:\bto\b|\bas\b|:|=|\bwith\b)\s*(?P<value>.+)$", re.I | re.S)
_REF_FIELD = re.compile(rf"^(?P<ref>.+?)(?:'s)?\s+{_FIELD}\s*(?:\bto\b|\bas\b|:|=|\bwith\b)?\s*(?P<value>.+)$", re.I | re.S)
_REF_TO = re.compile(r"^(?P<ref>.+?)\s+(?:to|as|into|:|=|for)\s+(?P<value>.+)$", re.I | re.S)
_LEADING_REF = re.compile(
    r"^(?P<ref>(?:the\s+)?(?:tasks?|number|no\.?|item)\s*#?\s*\d+(?:\s*(?:,|and|&)\s*#?\d+)*|#\d+|\d+|it|that|this|"
    r"(?:the\s+)?(?:last|latest)(?:\s+(?:one|task))?|(?:the\s+)?(?:first|second|third|fourth|fifth)\s+(?:one|task))\b\s*(?P<value>.*)$",
    re.I | re.S,
)
_NO_VALUE = re.compile(r"^(?:none|nothing|no\s+date|no\s+due\s+date|no\s+deadline|empty|blank|null|never)$", re.I)
_DUE_VERBS = {"move", "reschedule", "re-schedule", "postpone", "push", "delay", "defer", "bump", "snooze"}


def _field_value(field_name: str | None, value: str, verb: str, context: ParseContext) -> dict[str, Any] | None:
    """Tool arguments for a new value, by the field named or by what the value looks like."""
    value = value.strip().rstrip(".!?") if not quoted_spans(value.strip()) else value.strip()
    name = (field_name or "").lower()
    if not value:
        return None
    quotes = quoted_spans(value)
    literal = quotes[0].group("q") if quotes and quotes[0].start() == 0 else None
    if name in {"title", "name", "text", "wording"}:
        return {"title": literal or capitalise(tidy_title(value))}
    if name in {"description", "note", "notes", "details"}:
        return {"description": None if _NO_VALUE.match(value) else (literal or value)}
    if name == "priority":
        level, _spans = read_priority(value)
        word = value.lower().strip()
        level = level or {"high": "high", "medium": "medium", "low": "low", "none": "none", "normal": "medium",
                          "urgent": "high", "top": "high", "no": "none"}.get(word)
        return {"priority": level} if level else None
    if name in {"tag", "tags"}:
        return {"tags": tag_list(value)}
    if name == "recurrence":
        recurrence, _spans, _weekday = read_recurrence(value)
        return {"recurrence": None if _NO_VALUE.match(value) else recurrence}
    if name in {"due date", "deadline", "due", "date", "time"} or verb in _DUE_VERBS:
        if _NO_VALUE.match(value):
            return {"due_at": None}
        found = find_due(value, context.now, context.tz)
        return found.due.arguments() if found.due else None
    if verb in {"rename", "retitle", "re-name", "call"}:
        return {"title": literal or capitalise(tidy_title(value))}
    if re.fullmatch(r"(?:at\s+)?(?:1[0-2]|0?[1-9])(?::[0-5]\d)?\s*(?:am|pm)?", value, re.I):
        # "set the dentist for 4": an hour alone is a time, not a new title
        found = find_due("at " + re.sub(r"^at\s+", "", value, flags=re.I), context.now, context.tz)
        if found.due:
            return found.due.arguments()
    fields = read_fields(value, context.now, context.tz, want_description=False)
    args: dict[str, Any] = {}
    if fields.due:
        args.update(fields.due.arguments())
    if fields.priority:
        args["priority"] = fields.priority
    if fields.tags:
        args["add_tags"] = fields.tags
    if fields.recurrence:
        args["recurrence"] = fields.recurrence
    keeps_title = not args or fields.quoted or verb in {"update", "change", "edit", "modify", "set"}
    if fields.title and keeps_title and not (args and fields.title.lower() in {"priority", "due", "urgent"}):
        args["title"] = fields.title
    if _NO_VALUE.match(value):
        return {"due_at": None}
    return args or None


def field_statement(body: str, lower: str, context: ParseContext) -> ParsedIntent | None:
    """"task 4 is high priority", "task 1 is due friday", "it's urgent"."""
    match = re.match(
        r"^(?P<ref>(?:task\s*)?#?\d+|it|that|this(?:\s+one)?)(?:'s|\s+(?:is|should\s+be|must\s+be|needs\s+to\s+be|has|will\s+be|becomes))"
        r"\s+(?:now\s+)?(?P<value>.+)$",
        body.strip(" .!?"),
        re.I,
    )
    if not match:
        match = re.match(r"^(?P<ref>task\s*#?\d+|#\d+)\s*[:,-]?\s+(?P<value>.+)$", body.strip(" .!?"), re.I)
    if not match:
        return None
    value = match.group("value")
    args = _field_value(None, value, "is", context)
    if not args or "title" in args:
        return None
    return ParsedIntent("UPDATE", args, parse_refs(match.group("ref")))


def update(body: str, lower: str, context: ParseContext) -> ParsedIntent | None:
    match = _UPDATE_VERB.match(body.strip())
    if not match:
        return None
    verb = match.group("verb").lower()
    rest = match.group("rest").strip()
    if re.match(r"(?:a|an|me\s+a|new)\s+(?:new\s+)?(?:task|todo|to-do|reminder)\b", rest, re.I):
        return None  # "set a reminder to …" creates
    if verb in {"prioritize", "prioritise"}:
        return ParsedIntent("UPDATE", {"priority": "high"}, parse_refs(rest))
    if verb in {"deprioritize", "deprioritise"}:
        return ParsedIntent("UPDATE", {"priority": "low"}, parse_refs(rest))
    if verb in {"mark", "flag", "make", "give", "call"}:
        # Only as an update when a field follows ("mark task 4 as high priority", "make it urgent").
        found = _LEADING_REF.match(rest)
        if not found:
            return None
        value = re.sub(r"^(?:as|to|a|an)\s+", "", found.group("value").strip(), flags=re.I)
        args = _field_value(None, value, "make", context) if value else None
        if not args or (verb != "call" and "title" in args):
            return None
        return ParsedIntent("UPDATE", args, parse_refs(found.group("ref")))
    field_name = value = ref = None
    for pattern in (_FIELD_OF, _REF_FIELD):
        found = pattern.match(rest)
        if found and found.group("ref").strip():
            ref_text = found.group("ref")
            if pattern is _REF_FIELD and not (
                _LEADING_REF.fullmatch(ref_text.strip()) or numbers_in(ref_text)
            ):
                continue
            field_name, value, ref = found.group("field"), found.group("value"), ref_text
            break
    if ref is None:
        found = _LEADING_REF.match(rest)
        if found and found.group("value").strip():
            ref = found.group("ref")
            value = re.sub(r"^(?:to|as|into|:|=|for|-|until|till)\s*", "", found.group("value").strip(), flags=re.I)
        else:
            found = _REF_TO.match(rest)
            if found:
                ref, value = found.group("ref"), found.group("value")
            else:
                ref, value = rest, ""
    refs = parse_refs(ref)
    args = _field_value(field_name, value or "", verb, context) or {}
    return ParsedIntent("UPDATE", args, refs, asked=None if args else (field_name or verb).lower())



# "push the report out two days", "bring the meeting forward a day", "delay task 1 by an hour"
_AMOUNT = r"(?P<n>\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fourteen|a\s+couple\s+of|a\s+few|couple\s+of)"
_UNIT = r"(?P<unit>min(?:ute)?s?|h(?:ou)?rs?|days?|weeks?|fortnights?|months?)"
_SHIFT = re.compile(
    r"^(?P<verb>push|delay|postpone|move|bump|bring|shift|defer|put\s+off|pull|kick|set\s+back|slide|hold\s+off)\s+(?P<ref>.+?)"
    r"(?:\s+(?P<dir>out|back|forward|ahead|later|earlier|up|along|off))?(?:\s+(?:by|for))?\s+" + _AMOUNT + r"\s+" + _UNIT
    + r"(?:\s+(?P<dir2>later|earlier|forward|back|out|sooner|ahead))?$",
    re.I,
)
_MINUTES = {"min": 1, "h": 60, "day": 1440, "week": 10080, "fortnight": 20160, "month": 43200}
_FEW = {"a couple of": 2, "couple of": 2, "a few": 3, "a": 1, "an": 1}


def shift(body: str, lower: str, context: ParseContext) -> ParsedIntent | None:
    """A due date moved by an amount; earlier for "bring … forward", "pull … up", "… earlier"."""
    match = _SHIFT.match(body.strip(" .!?"))
    if not match:
        return None
    amount = match.group("n").lower()
    count = int(amount) if amount.isdigit() else NUMBER_WORDS.get(amount) or _FEW.get(" ".join(amount.split()), 1)
    unit = match.group("unit").lower()
    per = next(minutes for prefix, minutes in _MINUTES.items() if unit.startswith(prefix))
    direction = " ".join(filter(None, (match.group("verb"), match.group("dir"), match.group("dir2")))).lower()
    earlier = bool(re.search(r"\b(?:forward|earlier|sooner|up|ahead)\b", direction)) or direction.startswith(("bring", "pull"))
    if re.search(r"\b(?:back|later|out)\b", direction) and not direction.startswith(("bring", "pull")):
        earlier = False
    minutes = count * per * (-1 if earlier else 1)
    refs = parse_refs(re.sub(r"^(?:the\s+)?(?:due\s+date|deadline)\s+(?:of|for|on)\s+", "", match.group("ref"), flags=re.I))
    return ParsedIntent("UPDATE", refs=refs, shift_minutes=minutes)


