"""Text plus conversation context → an intent and its arguments.

The parser knows nothing about the database: task references stay references
(``TaskRef``) and the turn resolves them against the user's tasks. Rules are tried in a
fixed order, each anchored on the verb a message starts with, so a word inside a title
("Update task 2 title to 'Mark as done'") never decides the intent, and words are matched
as words ("ship" is not "hi").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from rapidfuzz import fuzz, process

from .dates import find_due
from .references import ORDINALS, TaskRef, clean_title_ref, numbers_in, parse_refs
from .task_fields import (
    capitalise,
    quoted_spans,
    read_fields,
    read_priority,
    read_recurrence,
    read_tags,
    strip_lead,
    tidy_title,
)

__all__ = ["INTENTS", "ParseContext", "ParsedIntent", "TaskRef", "parse_intent"]

INTENTS = (
    "CREATE",
    "LIST",
    "COMPLETE",
    "UNCOMPLETE",
    "UPDATE",
    "DELETE",
    "SEARCH",
    "HELP",
    "GREETING",
    "CLARIFY",
    "UNKNOWN",
)
CHOICE_THRESHOLD = 70


@dataclass
class ParseContext:
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    state: dict[str, Any] = field(default_factory=dict)


@dataclass
class ParsedIntent:
    intent: str
    # Arguments for the tool the intent maps to (JSON-serialisable: they may be stored).
    args: dict[str, Any] = field(default_factory=dict)
    refs: list[TaskRef] = field(default_factory=list)
    # Several tasks to create at once ("add tasks: eggs, bread, milk").
    items: list[dict[str, Any]] = field(default_factory=list)
    # Hints for the turn that are not tool arguments ("how many", "cancelled", a bulk scope).
    options: dict[str, Any] = field(default_factory=dict)


Rule = Callable[[str, str, ParseContext], ParsedIntent | None]

# ---------------------------------------------------------------- small talk

_GREETING_CORE = {"hi", "hello", "hey", "hiya", "howdy", "yo", "greetings", "sup", "hola", "morning", "afternoon", "evening", "heya"}
_GREETING_WORDS = _GREETING_CORE | {
    "good", "there", "again", "everyone", "all", "bot", "taskchat", "how", "are", "you", "doing",
    "what's", "whats", "up", "today", "u", "r", "is", "it", "going", "ya", "friend", "buddy",
}
_THANKS_CORE = {"thanks", "thank", "thx", "ty", "cheers", "tysm", "ta"}
_ACK_WORDS = {
    "ok", "okay", "k", "cool", "great", "awesome", "perfect", "nice", "got", "it", "that's", "thats",
    "all", "for", "now", "good", "sounds", "fine", "alright", "sure", "lovely", "brilliant",
}
_THANKS_WORDS = _THANKS_CORE | _ACK_WORDS | {"you", "so", "much", "very", "a", "lot", "many", "again", "mate"}
_BYE_CORE = {"bye", "goodbye", "cya", "later", "farewell", "goodnight", "ttyl"}
_BYE_WORDS = _BYE_CORE | {"see", "you", "good", "night", "for", "now", "ok", "thanks", "talk", "to", "soon", "then"}
_HELP = re.compile(
    r"^(?:help(?:\s+me)?|\?+|commands|menu|options|usage|examples?|instructions|"
    r"what\s+(?:else\s+)?can\s+(?:you|i)\s+(?:do|say|ask|type)(?:\s+here)?|what\s+do\s+you\s+do|"
    r"how\s+does\s+(?:this|it)\s+work|how\s+do\s+i\s+use\s+(?:this|you|it|taskchat)|"
    r"what\s+are\s+you|who\s+are\s+you|what\s+is\s+this|what\s+commands(?:\s+are\s+there)?|"
    r"i\s+need\s+help|show\s+(?:me\s+)?(?:the\s+)?(?:help|commands)|how\s+(?:do|can|should)\s+i\s+(?:add|create|delete|remove|complete|mark|list|see|find|search|rename|edit|change|use|tag|undo)\b[\w\s'-]{0,40})$",
    re.I,
)
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def _small_talk(body: str, lower: str, context: ParseContext) -> ParsedIntent | None:
    if _HELP.match(lower.strip(" .!?") or ("?" if "?" in lower else "")):
        return ParsedIntent("HELP")
    words = set(_words(lower))
    if re.search(r"\d|#", lower) or not words:
        return None
    if words & _GREETING_CORE and words <= _GREETING_WORDS:
        return ParsedIntent("GREETING")
    if {"how", "are", "you"} <= words and words <= _GREETING_WORDS:
        return ParsedIntent("GREETING")
    if words & _THANKS_CORE and words <= _THANKS_WORDS:
        return ParsedIntent("GREETING", options={"talk": "thanks"})
    if words & _BYE_CORE and words <= _BYE_WORDS:
        return ParsedIntent("GREETING", options={"talk": "bye"})
    if words <= _ACK_WORDS and len(words) <= 4:
        return ParsedIntent("GREETING", options={"talk": "ack"})
    return None


# ---------------------------------------------------------------- answers to a question


_YES = re.compile(
    r"^(?:y|ya|yes|yeah|yep|yup|sure|ok|okay|confirm(?:ed)?|do\s+it|go\s+ahead|please\s+do|"
    r"yes\s+please|absolutely|correct|delete\s+them|i'm\s+sure|i\s+am\s+sure)[\s.!]*$",
    re.I,
)
_NO = re.compile(
    r"^(?:n|no|nope|nah|cancel|stop|don't|do\s+not|never\s*mind|nevermind|forget\s+it|abort|"
    r"wait|no\s+thanks|no\s+don't|keep\s+them)[\s.!]*$",
    re.I,
)


def _confirmation(raw: str) -> ParsedIntent | None:
    if _YES.match(raw):
        return ParsedIntent("DELETE", options={"bulk": "confirmed"})
    return None


def _choice(raw: str, pending: dict[str, Any]) -> ParsedIntent | None:
    """The answer to "which one?": an ordinal, a position, a task number, or part of a title."""
    candidates: list[int] = list(pending.get("candidates") or [])
    titles: list[str] = list(pending.get("titles") or [])
    intent, args = pending.get("intent", "UNKNOWN"), dict(pending.get("args") or {})
    text = raw.strip(" .!?").lower()
    if not candidates:
        # "Which task should I delete?" → "task 2" / "2" / "#2"
        named = re.fullmatch(r"(?:the\s+)?(?:(?:task|number|no\.?)\s*)?#?\s*(\d+)", text)
        return ParsedIntent(intent, args, [TaskRef(number=int(named.group(1)))]) if named else None
    text = re.sub(r"^(?:the|i\s+mean|i\s+meant|oh|um|uh)\s+|\s+(?:one|task|please)$", "", text).strip()
    text = re.sub(r"^(?:the)\s+", "", text)
    if _NO.match(text):
        return ParsedIntent("UNKNOWN", options={"cancelled": "choice"})
    if text in {"both", "all", "all of them", "both of them", "each", "every one"}:
        return ParsedIntent(intent, args, [TaskRef(number=n) for n in candidates])
    if text in {"last", "the last", "last one"}:
        return ParsedIntent(intent, args, [TaskRef(number=candidates[-1])])
    if text in ORDINALS and ORDINALS[text] <= len(candidates):
        return ParsedIntent(intent, args, [TaskRef(number=candidates[ORDINALS[text] - 1])])
    if text.isdigit():
        value = int(text)
        if 1 <= value <= len(candidates):
            return ParsedIntent(intent, args, [TaskRef(number=candidates[value - 1])])
        return ParsedIntent(intent, args, [TaskRef(number=value)])
    named = re.fullmatch(r"(?:task|number|no\.?|#)\s*#?(\d+)", text)
    if named:
        return ParsedIntent(intent, args, [TaskRef(number=int(named.group(1)))])
    if titles and text:
        query = clean_title_ref(text)
        matches = process.extract(
            query, dict(zip(candidates, titles, strict=False)), scorer=fuzz.WRatio,
            processor=str.lower, score_cutoff=CHOICE_THRESHOLD,
        )
        if matches and (len(matches) == 1 or matches[0][1] - matches[1][1] >= 5):
            return ParsedIntent(intent, args, [TaskRef(number=matches[0][2])])
    return None


# ---------------------------------------------------------------- politeness

_POLITE_HEAD = re.compile(
    r"^(?:(?:ok(?:ay)?|so|um+|uh+|well|please|pls|plz|hey|hi|hello|yo|now|and|also|then|actually|oh|oops|"
    r"sorry|wait|thanks|thank\s+you|thx|cheers|great|cool|alright|right|"
    r"can\s+you|could\s+you|would\s+you|will\s+you|can\s+u|could\s+u|would\s+you\s+mind|kindly|"
    r"go\s+ahead\s+and|just|quickly|taskchat|bot)\b[\s,!.:]*)+",
    re.I,
)
_WANT_HEAD = re.compile(
    r"^(?:i\s+want\s+to|i'd\s+like\s+to|i\s+would\s+like\s+to|i\s+wanna|let's|lets|help\s+me|"
    # "I need to finish the report" is a new task; "I need to see my tasks" is not
    r"(?:i\s+need\s+to|i\s+have\s+to|i\s+must)(?=\s+(?:see|view|list|show|check|find|look|search)\b.*\b(?:tasks?|list|to-?dos?|pending|overdue)\b))\s+",
    re.I,
)
_COMMAND_VERB = re.compile(
    r"^(?:add|create|delete|remove|complete|mark|see|view|list|show|find|search|rename|update|"
    r"change|move|reopen|edit|set|clear|check|tick|finish|get\s+rid|make\s+a|look)\b",
    re.I,
)
_POLITE_TAIL = re.compile(r"(?:[\s,]+(?:please|pls|plz|thanks|thank\s+you|thx|for\s+me|ok|okay|now))+[\s.!?]*$", re.I)


def _unwrap(raw: str) -> str:
    text = _POLITE_HEAD.sub("", raw).strip()
    want = _WANT_HEAD.match(text)
    if want and _COMMAND_VERB.match(text[want.end():]):
        text = text[want.end():]
    # Only the end can hold "… please": searching just the tail keeps long input linear.
    cut = max(0, len(text) - 60)
    text = (text[:cut] + _POLITE_TAIL.sub("", text[cut:])).strip()
    return text or raw


# ---------------------------------------------------------------- bulk delete

_BULK_VERB = r"(?:delete|remove|clear|erase|wipe|purge|drop|get\s+rid\s+of|trash|clean\s+up|archive)"
_BULK_COMPLETED = re.compile(
    rf"^{_BULK_VERB}\s+(?:out\s+)?(?:all\s+)?(?:of\s+)?(?:my\s+|the\s+)?"
    r"(?:completed|finished|done|checked(?:\s+off)?|closed|ticked(?:\s+off)?)(?:\s+(?:tasks|ones|items|todos|to-?dos))?$",
    re.I,
)
_BULK_ALL = re.compile(
    rf"^{_BULK_VERB}\s+(?:out\s+)?(?:everything|all|all\s+(?:of\s+)?(?:my\s+|the\s+)?(?:tasks|todos|items|to-?dos)"
    r"|(?:my|the)\s+(?:whole\s+|entire\s+)?(?:list|tasks|to-?do\s+list|todos)|every\s+(?:single\s+)?task)$",
    re.I,
)


def _bulk_delete(body: str, lower: str, context: ParseContext) -> ParsedIntent | None:
    if _BULK_COMPLETED.match(lower):
        return ParsedIntent("DELETE", options={"bulk": "completed"})
    if _BULK_ALL.match(lower) or lower in {"start over", "start fresh", "reset my list"}:
        return ParsedIntent("DELETE", options={"bulk": "all"})
    return None


# ---------------------------------------------------------------- update special forms

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


def _tag_list(text: str) -> list[str]:
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
        return split[0], _tag_list(split[1])
    words = rest.split()
    if len(words) >= 2:
        return " ".join(words[:-1]), _tag_list(words[-1])
    return rest, []


def _update_special(body: str, lower: str, context: ParseContext) -> ParsedIntent | None:
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
        return ParsedIntent("UPDATE", {"description": note} if note else {}, parse_refs(parts[0]), options={"asked": "note"})
    match = _REMOVE_TAG.match(body)
    if match:
        tags = _tag_list(match.group("t1") or match.group("t2") or match.group("t3"))
        return ParsedIntent("UPDATE", {"remove_tags": tags}, parse_refs(match.group("ref")))
    match = _UNTAG.match(body)
    if match:
        ref, tags = _split_ref_and_tags(match.group("rest"))
        return ParsedIntent("UPDATE", {"remove_tags": tags} if tags else {}, parse_refs(ref))
    match = _ADD_TAG.match(body)
    if match:
        tags = _tag_list(match.group("t1") or match.group("t2") or match.group("t3"))
        return ParsedIntent("UPDATE", {"add_tags": tags}, parse_refs(match.group("ref")))
    match = _TAG_VERB.match(body)
    if match:
        ref, tags = _split_ref_and_tags(match.group("rest"))
        return ParsedIntent("UPDATE", {"add_tags": tags} if tags else {}, parse_refs(ref))
    return None


# ---------------------------------------------------------------- delete / complete / reopen

_DELETE = re.compile(
    r"^(?:delete|remove|drop|erase|trash|discard|get\s+rid\s+of|cancel|scrap|bin|forget\s+about|nuke|kill)\s+(?P<rest>.+)$",
    re.I,
)
_FROM_LIST = re.compile(r"\s+(?:from|off|on)\s+(?:my|the)\s+(?:to-?do\s+)?(?:list|tasks)$|\s+(?:task|please)$", re.I)


_BARE_VERB = {
    "delete": "DELETE", "remove": "DELETE", "complete": "COMPLETE", "mark done": "COMPLETE",
    "mark as done": "COMPLETE", "mark complete": "COMPLETE", "mark as complete": "COMPLETE",
    "reopen": "UNCOMPLETE", "rename": "UPDATE", "update": "UPDATE", "edit": "UPDATE", "change": "UPDATE",
    "move": "UPDATE", "check off": "COMPLETE", "tick off": "COMPLETE", "finish": "COMPLETE",
}


def _bare_verb(body: str, lower: str, context: ParseContext) -> ParsedIntent | None:
    """"delete" alone: the turn asks which task, and the next message can answer "task 2"."""
    intent = _BARE_VERB.get(" ".join(lower.strip(" .!?").split()))
    return ParsedIntent(intent) if intent else None


_MARK_PRIORITY = re.compile(
    r"^(?:mark|flag|make|set|put)\s+(?P<ref>.+?)\s+(?:as\s+|to\s+|at\s+)?(?:a\s+)?"
    r"(?P<value>(?:high|highest|top|medium|normal|low|lowest)[\s-]+priority|urgent|important|!\w+|p[1-3])$",
    re.I,
)


def _mark_priority(body: str, lower: str, context: ParseContext) -> ParsedIntent | None:
    match = _MARK_PRIORITY.match(body.strip(" .!?"))
    if not match:
        return None
    value = match.group("value").lower()
    level = "high" if value in {"urgent", "important"} else read_priority(value)[0]
    return ParsedIntent("UPDATE", {"priority": level}, parse_refs(match.group("ref"))) if level else None


def _delete(body: str, lower: str, context: ParseContext) -> ParsedIntent | None:
    match = _DELETE.match(body)
    if not match:
        return None
    rest = _FROM_LIST.sub("", match.group("rest").strip(" .!?"))
    return ParsedIntent("DELETE", refs=parse_refs(rest))


_NOT_DONE = r"(?:not\s+(?:yet\s+)?(?:done|complete|completed|finished)|incomplete|undone|unfinished|uncompleted|pending|open|to-?do|active|unchecked)"
_REOPEN = re.compile(
    r"^(?:re-?open|un-?complete|un-?mark|un-?check|un-?tick|restore|undo|revive|un-?finish)\b\s*(?P<rest>.*)$"
    rf"|^(?:mark|set|flag|make|put)\s+(?P<rest2>.+?)\s+(?:as\s+|back\s+to\s+)?{_NOT_DONE}(?:\s+again)?$"
    rf"|^(?!(?:which|what|how|show|list|any|are|do)\b)(?P<rest3>.+?)\s+(?:is|isn't|was|are)\s+(?:still\s+|actually\s+)?(?:not\s+done|{_NOT_DONE})(?:\s+(?:yet|after\s+all|again))?$",
    re.I,
)
_DONE_WORDS = r"(?:done|complete|completed|finished|checked|checked\s+off|ticked\s+off|crossed\s+off|off|closed|resolved|sorted)"
_COMPLETE = re.compile(
    r"^(?:mark(?:ed)?|complete(?:d)?|finish(?:ed)?|check(?:ed)?\s+off|check|tick(?:ed)?(?:\s+off)?|cross(?:ed)?\s+off|"
    r"close|resolve|done\s+with|did|i(?:'ve|\s+have)?\s+(?:just\s+|already\s+)?(?:finished|completed|done|did|checked\s+off|ticked\s+off|crossed\s+off)|"
    r"i'm\s+(?:all\s+)?done\s+with|i\s+am\s+done\s+with|i'm\s+finished\s+with|done\s*:|finished\s+with)\s+(?P<rest>.+)$"
    rf"|^(?!(?:which|what|how|show|list|any|are|do)\b)(?P<rest2>.+?)\s+(?:is|are|was|has\s+been|have\s+been|'s)\s+(?:now\s+|all\s+)?{_DONE_WORDS}$"
    rf"|^(?P<rest3>(?:task\s*)?#?\d+(?:\s*(?:,|and|&)\s*(?:task\s*)?#?\d+)*)\s*:?\s+{_DONE_WORDS}$",
    re.I,
)
_DONE_TAIL = re.compile(rf"(?:^|\s+)(?:as\s+)?(?:being\s+)?{_DONE_WORDS}(?:\s+now)?$|\s+off$", re.I)
_JUST_DONE = re.compile(r"^(?:done|finished|complete|completed|it's\s+done|that's\s+done|all\s+done|did\s+it|done\s+with\s+it)$", re.I)


def _reopen(body: str, lower: str, context: ParseContext) -> ParsedIntent | None:
    match = _REOPEN.match(body)
    if not match:
        return None
    rest = (match.group("rest") or match.group("rest2") or match.group("rest3") or "").strip(" .!?")
    rest = re.sub(r"\s+again$", "", rest, flags=re.I)
    refs = parse_refs(rest) if rest else [TaskRef(pronoun=True)]
    return ParsedIntent("UNCOMPLETE", refs=refs)


_EVERY_TASK = re.compile(r"^(?:all|everything|all\s+(?:of\s+)?(?:my\s+|the\s+)?(?:tasks|todos|items|of\s+them)|every\s+task)$", re.I)


def _complete(body: str, lower: str, context: ParseContext) -> ParsedIntent | None:
    if _JUST_DONE.match(lower.strip(" .!?")):
        return ParsedIntent("COMPLETE", refs=[TaskRef(pronoun=True)])
    match = _COMPLETE.match(body.strip(" .!?"))
    if not match:
        return None
    rest = match.group("rest") or match.group("rest2") or match.group("rest3") or ""
    rest = _DONE_TAIL.sub("", rest.strip(" .!?"))
    rest = _FROM_LIST.sub("", rest)
    if _EVERY_TASK.match(rest.strip()):
        return ParsedIntent("COMPLETE", options={"every": True})
    return ParsedIntent("COMPLETE", refs=parse_refs(rest))


# ---------------------------------------------------------------- update

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
        return {"tags": _tag_list(value)}
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


def _statement(body: str, lower: str, context: ParseContext) -> ParsedIntent | None:
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


def _update(body: str, lower: str, context: ParseContext) -> ParsedIntent | None:
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
    options = {"asked": (field_name or verb).lower()} if not args else {}
    return ParsedIntent("UPDATE", args, refs, options=options)


# ---------------------------------------------------------------- search / list

_SEARCH = re.compile(
    r"^(?:find|search(?:\s+for)?|look\s+(?:for|up)|lookup|where(?:'s|\s+is|\s+are)|"
    r"(?:which|what)\s+tasks?\s+(?:mention|are\s+about|contain|have|say|include)|"
    r"(?:are\s+there\s+|do\s+i\s+have\s+)?any\s+tasks?\s+(?:about|with|mentioning|containing|for|related\s+to)|"
    r"do\s+i\s+have\s+(?:a\s+|any\s+)?tasks?\s+(?:about|with|mentioning|for|called|named))\s+(?P<q>.+)$",
    re.I,
)
_SEARCH_FILLER = re.compile(
    r"^(?:(?:me|all|my|the|any|a)\s+)*(?:(?:tasks?|todos?|items?|things?)\s+)?"
    r"(?:(?:about|with|containing|mentioning|for|related\s+to|called|named|that\s+mention|matching|regarding|on)\s+)?"
    r"(?:the\s+word\s+)?",
    re.I,
)
_LIST_HEAD = re.compile(
    r"^(?:show|list|display|view|see|get|give|print|tell|read|what|what's|whats|what're|which|how|do|did|any|anything|"
    r"my|all|pending|open|completed|done|finished|overdue|high|low|medium|urgent|important|tasks|todos?|to-?dos|"
    r"everything|agenda|remaining|outstanding|unfinished|incomplete|is\s+there|are\s+there|where|check|refresh|"
    r"current|today's|this\s+week's)\b",
    re.I,
)
_LIST_NOUN = re.compile(
    r"\b(?:tasks?|todos?|to-?dos?|to\s+do|list|items|pending|left|remaining|outstanding|completed|done|finished|"
    r"overdue|due|agenda|plate|everything|all|open|urgent|priority|tagged|unfinished|incomplete|late|"
    r"today|tonight|this\s+week|on\s+for|have\s+(?:on|planned|scheduled))\b|#[\w-]+",
    re.I,
)


def _search(body: str, lower: str, context: ParseContext) -> ParsedIntent | None:
    match = _SEARCH.match(body.strip(" ?.!"))
    if not match:
        return None
    query = _SEARCH_FILLER.sub("", match.group("q").strip(" ?.!\"'")).strip(" ?.!\"'“”")
    tags, _spans = read_tags(query)
    if tags and query.startswith("#"):
        return ParsedIntent("LIST", {"tag": tags[0]})
    query = clean_title_ref(query) if query else query
    return ParsedIntent("SEARCH", {"query": query} if query else {})


def _list(body: str, lower: str, context: ParseContext) -> ParsedIntent | None:
    text = lower.strip(" ?.!")
    if not (_LIST_HEAD.match(text) and _LIST_NOUN.search(text)):
        return None
    args: dict[str, Any] = {}
    options: dict[str, Any] = {}
    if re.search(r"\bhow\s+many\b|\bcount\b|\bnumber\s+of\b", text):
        options["count"] = True
    if re.search(r"\b(?:not\s+(?:yet\s+)?(?:done|completed|finished)|pending|open|incomplete|unfinished|left|remaining|outstanding|to\s+do|todo|still|undone|active|uncompleted)\b", text):
        args["status"] = "pending"
    elif re.search(r"\b(?:completed|done|finished|closed|checked\s+off|ticked\s+off|crossed\s+off|complete)\b", text):
        args["status"] = "completed"
    if re.search(r"\b(?:overdue|late|past\s+due|missed|behind)\b", text):
        args["due"] = "overdue"
    elif re.search(r"\b(?:today|tonight|today's)\b", text):
        args["due"] = "today"
    elif re.search(r"\b(?:this\s+week|this\s+week's|the\s+week)\b", text):
        args["due"] = "week"
    elif re.search(r"\btomorrow\b", text):
        options["due_on"] = "tomorrow"
        args["status"] = "pending"
    elif re.search(r"\bnext\s+week\b", text):
        options["due_on"] = "next week"
        args["status"] = "pending"
    priority, _spans = read_priority(text)
    if priority:
        args["priority"] = priority
    elif re.search(r"\b(?:important|urgent)\b", text):
        args["priority"] = "high"
    tag = re.search(r"#(?P<t>[\w-]+)|\b(?:tagged|tag|labell?ed|label)\s+(?:as\s+|with\s+)?#?(?P<t2>[\w-]+)", text) or re.search(
        r"\b(?P<t>)(?P<t2>)(?P<t3>(?!with\b|the\b|a\b)[\w-]+)\s+tag\b", text
    )
    if tag:
        args["tag"] = (tag.group("t") or tag.group("t2") or tag.group("t3")).lower()
    if "due" in args and args.get("status") == "completed":
        args.pop("status")
    if args.get("status") == "pending" and "due" in args:
        args.pop("status")  # the due filters already mean open tasks
    return ParsedIntent("LIST", args, options=options)


# ---------------------------------------------------------------- create

_CREATE = re.compile(
    r"^(?:(?:please\s+)?(?:add|create|new|insert|jot\s+down|note\s+down|write\s+down|capture|log|put|enter|save|"
    r"make\s+(?=(?:a|an|me\s+a|new)\s+(?:new\s+)?(?:task|todo|to-do|reminder|note)\b)|"
    r"set\s+(?=(?:a|an)\s+(?:reminder|task)\b)|schedule)\b(?:\s+me\b)?"
    r"|remind\s+me(?:\s+to\b|\s+about\b|\s+that\s+i\s+(?:need|have)\s+to\b)?|reminder(?:\s+to)?\s*:?|todo\s*:|to-do\s*:|task\s*:|"
    r"(?:i\s+)?(?:need|have|got|gotta|must|should|ought)(?:\s+to)?(?=\s)|i'll\s+need\s+to|i\s+(?:want|plan|intend|hope)\s+to|"
    r"i'd\s+like\s+to|i\s+would\s+like\s+to|i\s+wanna|"
    r"don't\s+forget(?:\s+to|\s+about)?|do\s+not\s+forget(?:\s+to|\s+about)?|remember\s+to|"
    r"(?:also|and)\s+(?=add\b))\s*(?P<rest>.*)$",
    re.I | re.S,
)
_MULTI = re.compile(
    r"^(?:(?:a\s+)?(?:few|some|these|the\s+following|multiple|several|two|three|four|five)\s+)?(?:new\s+)?"
    r"(?:tasks|todos|to-dos|items|things)\s*(?::|-|\n)?\s*(?:to\s+my\s+list\s*:?\s*)?(?P<items>.+)$",
    re.I | re.S,
)
_ITEM_SPLIT = re.compile(r"\s*(?:[,;\n]|\band\b|\s-\s|•)\s*(?:and\s+)?(?:-\s*)?", re.I)


def _create(body: str, lower: str, context: ParseContext) -> ParsedIntent | None:
    match = _CREATE.match(body.strip())
    if not match:
        return None
    rest = match.group("rest").strip()
    multi = _MULTI.match(rest)
    if not multi and not quoted_spans(rest):
        rest = strip_lead(rest)
    if multi:
        items = [
            read_fields(part, context.now, context.tz, want_description=False).arguments()
            for part in _ITEM_SPLIT.split(multi.group("items"))
            if part.strip(" .-")
        ]
        items = [item for item in items if item["title"]]
        if len(items) > 1:
            return ParsedIntent("CREATE", items[0], items=items)
        if items:
            return ParsedIntent("CREATE", items[0])
    fields = read_fields(rest, context.now, context.tz)
    if not fields.title:
        return ParsedIntent("CREATE", {}, options={"asked": "title"})
    return ParsedIntent("CREATE", fields.arguments())


# ---------------------------------------------------------------- the parser

RULES: tuple[Rule, ...] = (
    _small_talk,
    _bulk_delete,
    _bare_verb,
    _update_special,
    _mark_priority,
    _reopen,
    _complete,
    _delete,
    _update,
    _statement,
    _search,
    _create,
    _list,
)


def parse_intent(text: str, context: ParseContext | None = None) -> ParsedIntent:
    """Read one user message. Order matters: the verb at the start decides before words inside."""
    context = context or ParseContext()
    raw = text.strip()
    if not raw:
        return ParsedIntent("UNKNOWN")
    state = context.state or {}
    flat = " ".join(raw.split())
    if state.get("confirm"):
        answer = _confirmation(flat)
        if answer:
            return answer
        if _NO.match(flat):
            return ParsedIntent("DELETE", options={"bulk": "cancelled"})
    if state.get("pending"):
        answer = _choice(flat, state["pending"])
        if answer:
            return answer
    small = _small_talk(flat, flat.lower(), context)
    if small:
        return small
    body = _unwrap(raw if "\n" in raw else flat)
    lower = body.lower()
    for rule in RULES[1:]:
        parsed = rule(body, lower, context)
        if parsed is not None:
            return parsed
    words = _words(body)
    if 1 < len(words) <= 8 and "?" not in body and not re.match(r"(?:what|how|why|who|when|where|is|are|do|does|can)\b", lower):
        # Maybe a task said without "add": offer it rather than guess.
        return ParsedIntent("UNKNOWN", options={"suggest": body.strip(" .!")})
    return ParsedIntent("UNKNOWN")
