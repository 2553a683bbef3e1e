"""Set phrases that change one part of a task: notes, tags, "no due date", "stop repeating",
and "mark task 4 high priority"."""

from __future__ import annotations

import re

from ..references import parse_refs
from ..task_fields import quoted_spans, read_priority, read_tags
from .base import ParseContext, ParsedIntent
from .modifiers import priority_in_words

_REMOVE_DUE = re.compile(
    r"^(?:remove|clear|delete|drop|unset|take\s+off|get\s+rid\s+of)\s+(?:the\s+)?(?:due\s+date|deadline|due|date|reminder)"
    r"\s+(?:from|of|on|for|in)\s+(?P<ref>.+)$"
    r"|^(?P<ref2>.+?)\s+(?:has|needs|should\s+have|doesn't\s+have|does\s+not\s+have)\s+(?:no|a)?\s*(?:due\s+date|deadline)(?:\s+any\s*more)?$",
    re.I,
)
_STOP_REPEAT = re.compile(
    r"^(?:stop\s+repeating|don't\s+repeat|do\s+not\s+repeat|remove\s+(?:the\s+)?(?:recurrence|repeat)\s+(?:from|of|on)|"
    r"make\s+(?P<ref2>.+?)\s+(?:not\s+repeat|one-?off|non-?recurring))\s*(?P<ref>.*)$",
    re.I,
)
_NOTE = re.compile(
    r"^(?:add|put|attach|write|set|append|update|change)\s+(?:a\s+|the\s+|this\s+)?(?:note|notes|description|comment|details)"
    r"\s+(?:to|on|for|of|in)\s+(?P<rest>.+)$",
    re.I | re.S,
)
_NOTE_SPLIT = re.compile(r"\s*:\s*|\s+(?:saying|that\s+says|which\s+says|reading|to\s+say|-)\s+|\s+to\s+(?=.)", re.I)
_REMOVE_TAG = re.compile(
    r"^(?:remove|delete|drop|take\s+off|strip)\s+(?:the\s+)?(?:(?:tags?|labels?)\s+(?P<t1>#?[\w-]+(?:(?:\s*,\s*|\s+and\s+)#?[\w-]+)*)"
    r"|(?P<t2>#[\w-]+(?:(?:\s*,\s*|\s+and\s+|\s+)#[\w-]+)*)|(?P<t3>#?[\w-]+)\s+(?:tag|label))\s+(?:from|on|off)\s+(?P<ref>.+)$",
    re.I,
)
_UNTAG = re.compile(r"^(?:untag|unlabel)\s+(?P<rest>.+)$", re.I)
_ADD_TAG = re.compile(
    r"^(?:add|put|attach|apply)\s+(?:the\s+)?(?:(?:tags?|labels?)\s+(?P<t1>#?[\w-]+(?:(?:\s*,\s*|\s+and\s+)#?[\w-]+)*)"
    r"|(?P<t2>#[\w-]+(?:(?:\s*,\s*|\s+and\s+|\s+)#[\w-]+)*)|(?P<t3>#?[\w-]+)\s+(?:tag|label))\s+(?:to|on|onto)\s+(?P<ref>.+)$",
    re.I,
)
_TAG_VERB = re.compile(r"^(?:tag|label)\s+(?P<rest>.+)$", re.I)


def tag_list(text: str) -> list[str]:
    return [t.lstrip("#").lower() for t in re.split(r"\s*(?:,|\band\b|\s)\s*", text) if t.strip("# ")]


def _split_ref_and_tags(rest: str) -> tuple[str, list[str]]:
    """'task 5 #home' / 'task 5 with home' / 'it as work' → ('task 5', ['home'])."""
    if "#" in rest:
        tags, spans = read_tags(rest)
        ref = rest
        for start, end in sorted(spans, reverse=True):
            ref = ref[:start] + ref[end:]
        ref = re.sub(r"\s+(?:with|as|from)\s*$", "", ref.strip(), flags=re.I)
        return ref.strip(), tags
    split = re.split(r"\s+(?:with|as|from)\s+(?:the\s+)?(?:tags?\s+)?", rest, maxsplit=1, flags=re.I)
    if len(split) == 2:
        return split[0], tag_list(split[1])
    numbered = re.match(r"^(?P<ref>(?:task|number|no\.?|#)\s*\d+|\d+)\s+(?P<tags>[\w#-]+(?:(?:\s*,\s*|\s+and\s+|\s+&\s+|\s+)[\w#-]+){0,4})$", rest.strip(), re.I)
    if numbered:
        # "task 1 home and garden": after a task number, every word left is a tag
        return numbered.group("ref"), tag_list(numbered.group("tags").replace("&", " "))
    words = rest.split()
    if len(words) >= 2:
        return " ".join(words[:-1]), tag_list(words[-1])
    return rest, []


def update_special(body: str, lower: str, context: ParseContext) -> ParsedIntent | None:
    match = _REMOVE_DUE.match(body)
    if match:
        return ParsedIntent("UPDATE", {"due_at": None}, parse_refs(match.group("ref") or match.group("ref2")))
    match = _STOP_REPEAT.match(body)
    if match and (match.group("ref") or match.group("ref2")):
        return ParsedIntent("UPDATE", {"recurrence": None}, parse_refs(match.group("ref") or match.group("ref2")))
    match = _NOTE.match(body)
    if match:
        rest = match.group("rest")
        quotes = quoted_spans(rest)
        parts = _NOTE_SPLIT.split(rest, maxsplit=1)
        if quotes and len(parts) < 2:
            parts = [rest[: quotes[0].start()], quotes[0].group("q")]
        note = parts[1].strip() if len(parts) == 2 else ""
        if note and note[0] in "'\"“‘" and quoted_spans(note):
            note = quoted_spans(note)[0].group("q")
        return ParsedIntent("UPDATE", {"description": note} if note else {}, parse_refs(parts[0]), asked="note")
    match = _REMOVE_TAG.match(body)
    if match:
        tags = tag_list(match.group("t1") or match.group("t2") or match.group("t3"))
        return ParsedIntent("UPDATE", {"remove_tags": tags}, parse_refs(match.group("ref")))
    match = _UNTAG.match(body)
    if match:
        ref, tags = _split_ref_and_tags(match.group("rest"))
        return ParsedIntent("UPDATE", {"remove_tags": tags} if tags else {}, parse_refs(ref))
    match = _ADD_TAG.match(body)
    if match:
        tags = tag_list(match.group("t1") or match.group("t2") or match.group("t3"))
        return ParsedIntent("UPDATE", {"add_tags": tags}, parse_refs(match.group("ref")))
    match = _TAG_VERB.match(body)
    if match:
        ref, tags = _split_ref_and_tags(match.group("rest"))
        return ParsedIntent("UPDATE", {"add_tags": tags} if tags else {}, parse_refs(ref))
    return None



_MARK_PRIORITY = re.compile(
    r"^(?:mark|flag|make|set|put)\s+(?P<ref>.+?)\s+(?:as\s+|to\s+|at\s+)?(?:a\s+)?"
    r"(?P<value>(?:high|highest|top|medium|normal|low|lowest)[\s-]+priority|urgent|important|!\w+|p[1-3])$",
    re.I,
)


def mark_priority(body: str, lower: str, context: ParseContext) -> ParsedIntent | None:
    match = _MARK_PRIORITY.match(body.strip(" .!?"))
    if not match:
        return None
    value = match.group("value").lower()
    level = "high" if value in {"urgent", "important"} else read_priority(value)[0]
    return ParsedIntent("UPDATE", {"priority": level}, parse_refs(match.group("ref"))) if level else None


_LEVEL_VERBS = frozenset(
    ["make", "mark", "set", "put", "drop", "bump", "lower", "raise", "knock", "turn", "bring", "move", "change", "switch", "flag"]
)
_BARE_LEVELS = {
    "high": "high", "low": "low", "medium": "medium", "normal": "medium", "top": "high",
    "urgent": "high", "important": "high", "highest": "high", "lowest": "low", "no priority": "none",
}
_REF_TAIL = frozenset(["to", "as", "at", "down", "up", "back", "a", "an", "the", "priority", "be"])


def _level_of(value: str) -> str | None:
    value = value.lower().strip(" .!")
    value = value[: -len(" priority")] if value.endswith(" priority") and value[: -len(" priority")] in _BARE_LEVELS else value
    if value in _BARE_LEVELS:
        return _BARE_LEVELS[value]
    level, rest = priority_in_words(value)
    return level if level and not rest.strip() else None


def priority_level(body: str, lower: str, context: ParseContext) -> ParsedIntent | None:
    """"drop it to low", "make it not urgent", "bump task 2 up to high": a priority said in
    words at the end, for a task named by "it", a number, a position or "the … one"."""
    tokens = body.strip(" .!?").split()
    if len(tokens) < 3 or tokens[0].lower() not in _LEVEL_VERBS:
        return None
    for size in (3, 2, 1):
        if len(tokens) - size < 2:
            continue
        level = _level_of(" ".join(tokens[-size:]))
        if not level:
            continue
        ref = tokens[1:-size]
        while ref and ref[-1].lower() in _REF_TAIL:
            ref = ref[:-1]
        if not ref:
            return None
        refs = parse_refs(" ".join(ref))
        named = refs and (refs[0].title is None or ref[0].lower() in {"the", "my", "that", "this"})
        return ParsedIntent("UPDATE", {"priority": level}, refs) if named else None
    return None
