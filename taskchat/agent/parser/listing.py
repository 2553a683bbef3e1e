"""Listing and searching: "what's pending?", "show my work tasks", "is milk on my shopping list?"."""

from __future__ import annotations

import re
from typing import Any

from ..dates import find_due
from ..matching import words
from ..references import clean_title_ref
from ..task_fields import read_priority, read_tags
from .base import ParseContext, ParsedIntent, cut_list_name

_SEARCH = re.compile(
    r"^(?:find|search(?:\s+for)?|look\s+(?:for|up)|lookup|where(?:'s|\s+is|\s+are)|"
    r"(?:which|what)\s+tasks?\s+(?:mention|are\s+about|contain|have|say|include)|"
    r"(?:are\s+there\s+|do\s+i\s+have\s+)?any\s+tasks?\s+(?:about|with|mentioning|containing|for|related\s+to)|"
    r"do\s+i\s+have\s+(?:a\s+|any\s+)?tasks?\s+(?:about|with|mentioning|for|called|named)|"
    r"(?:is|are)\s+there\s+(?:a|an|any)\s+(?:tasks?|things?|items?|reminders?)\s+(?:about|with|mentioning|for|called|named|on)|"
    # "got anything about the boiler?", "anything mentioning the bank"
    r"(?:(?:have\s+)?(?:you\s+|i\s+)?got\s+)?any(?:thing|\s+stuff)\s+(?:about|mentioning|regarding|re|on|to\s+do\s+with|with)(?!\s+(?:my|the)\s+(?:list|tasks)\b))\s+(?P<q>.+)$",
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
    r"my|all|pending|open|completed|done|finished|overdue|late|high|low|medium|urgent|important|tasks|todos?|to-?dos|"
    r"everything|agenda|remaining|outstanding|unfinished|incomplete|is\s+there|are\s+there|where|check|refresh|"
    r"current|today's|this\s+week's|let\s+me\s+(?:see|hear|know)|go\s+(?:through|over)|iterate|speak|repeat|recite|say|open|pull\s+up|bring\s+up|"
    r"i\s+(?:want|need|would\s+like|'d\s+like)\s+to\s+(?:see|hear|know|check|view)|reminders?|shopping|grocery|to-?do|can\s+i\s+(?:see|hear|get))\b",
    re.I,
)
_LIST_NOUN = re.compile(
    r"\b(?:tasks?|todos?|to-?dos?|to\s+do|list|items|pending|left|remaining|outstanding|completed|done|finished|"
    r"overdue|due|agenda|plate|everything|all|open|urgent|important|priority|tagged|unfinished|incomplete|late|needs?\s+doing|"
    r"(?:i've|i\s+have|i)\s+got|"
    r"today|tonight|tomorrow|this\s+week|next\s+week|this\s+weekend|on\s+for|have\s+(?:on|planned|scheduled)|reminders?|need\s+to\s+(?:buy|get|do)|remember|"
    r"(?<=\w\s)tag)\b|#[\w-]+",
    re.I,
)


def search(body: str, lower: str, context: ParseContext) -> ParsedIntent | None:
    match = _SEARCH.match(body.strip(" ?.!"))
    if not match:
        return None
    query = _SEARCH_FILLER.sub("", match.group("q").strip(" ?.!\"'")).strip(" ?.!\"'“”")
    day = day_asked(body.lower().strip(" ?.!"), context)
    if day is not None:
        return ParsedIntent("LIST", {"status": "pending"}, due_on=day)  # "anything for thursday?": that day's list
    if _NAMES_THE_LIST.match(query):
        # "where's my list", "got anything on today": the list (for that day), not a search
        return list_tasks("show my tasks " + query, "show my tasks " + query.lower(), context)
    tags, _spans = read_tags(query)
    if tags and query.startswith("#"):
        return ParsedIntent("LIST", {"tag": tags[0]})
    query = clean_title_ref(query) if query else query
    return ParsedIntent("SEARCH", {"query": query} if query else {})


_NAMES_THE_LIST = re.compile(
    r"^(?:(?:my|the)\s+)?(?:(?:to-?do|shopping|task)\s+)?(?:list|tasks|to-?dos|stuff|things|reminders)$"
    r"|^(?:for\s+)?(?:today|tonight|tomorrow|this\s+week|next\s+week|the\s+weekend|this\s+weekend)$",
    re.I,
)
_WHAT_IS_ON = re.compile(
    r"^(?:what|what's)\s+(?:do\s+i\s+have|have\s+i\s+got|(?:is\s+)?(?:up\s+)?next|else|is\s+there|am\s+i\s+forgetting|did\s+i\s+forget)"
    r"(?:\s+(?:to\s+do|on|left|planned))?$|^any(?:thing)?\s+i(?:'ve)?\s+(?:forgot|forgotten|missed)$",
    re.I
)

_NOT_TAGS = frozenset(
    ["open", "pending", "completed", "done", "finished", "overdue", "urgent", "important", "remaining", "outstanding", "current", "other", "old", "new", "high", "low", "medium", "unfinished", "incomplete", "all", "own", "today's", "tomorrow's", "late", "active"]
)


# What a question about one day may hold besides the day: "anything for thursday?", "what
# have i got on friday", "whats due on the 12th". The day is read by the date reader.
_DAY_QUESTION_WORDS = frozenset(
    ["what", "what's", "whats", "anything", "any", "do", "i", "have", "got", "is", "there", "on", "for", "due", "my",
     "the", "list", "tasks", "stuff", "things", "to", "planned", "happening", "coming", "up", "else", "me", "show",
     "have", "i've", "ive", "we", "need", "left", "still", "open", "pending"]
)
_DAY_WORDS = frozenset(["today", "tonight", "tomorrow", "week", "weekend"])


def day_asked(text: str, context: ParseContext) -> str | None:
    """The one day a listing question is about, as an ISO date, when it names a single day
    other than today or tomorrow (which have filters of their own)."""
    if len(text) > 80 or any(word in _DAY_WORDS for word in words(text, digits=False)):
        return None
    found = find_due(text, context.now, context.tz)
    if not found.due or found.due.has_time or len(found.spans) != 1:
        return None
    start, end = found.spans[0]
    left = words(text[:start] + " " + text[end:], digits=False)
    if not all(word in _DAY_QUESTION_WORDS for word in left):
        return None
    return found.due.at.date().isoformat()


def list_tasks(body: str, lower: str, context: ParseContext) -> ParsedIntent | None:
    text = lower.strip(" ?.!")
    if re.match(r"(?:all\s+|i'm\s+|im\s+)?(?:done|finished)\s+with\s+(?!my\s+list\b)(?:the|my|a)\s+\w", text):
        return None  # "all done with the presents" says a task is done; it asks for no list
    if _WHAT_IS_ON.match(text):
        return ParsedIntent("LIST", {"status": "pending"})
    day = day_asked(text, context) if _LIST_HEAD.match(text) else None
    if day is not None:
        parsed = ParsedIntent("LIST", {"status": "pending"}, due_on=day)
        return parsed
    if not (_LIST_HEAD.match(text) and _LIST_NOUN.search(text)):
        return None
    args: dict[str, Any] = {}
    parsed = ParsedIntent("LIST", args)
    parsed.count = bool(re.search(r"\bhow\s+many\b|\bcount\b|\bnumber\s+of\b", text))
    named = cut_list_name(text)
    if re.search(r"\b(?:not\s+(?:yet\s+)?(?:done|completed|finished)|pending|open|incomplete|unfinished|left|remaining|outstanding|to\s+do|todo|still|undone|active|uncompleted|haven't|hasn't|not\s+yet|needs?\s+doing)\b", named.text):
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
        parsed.due_on = "tomorrow"
        args["status"] = "pending"
    elif re.search(r"\bnext\s+week\b", text):
        parsed.due_on = "next week"
        args["status"] = "pending"
    priority, _spans = read_priority(text)
    if priority:
        args["priority"] = priority
    elif re.search(r"\b(?:important|urgent)\b", text):
        args["priority"] = "high"
    tag = re.search(r"#(?P<t>[\w-]+)|\b(?:tagged|tag|labell?ed|label)\s+(?:as\s+|with\s+)?#?(?P<t2>[\w-]+)", text) or re.search(
        r"(?<![\w-])(?P<t>)(?P<t2>)(?P<t3>(?!(?:with|the|a|show|list|see|view|my|any|each|that|this)\b)[\w-]+)\s+tag\b", text
    )
    if tag:
        args["tag"] = (tag.group("t") or tag.group("t2") or tag.group("t3")).lower()
    if "tag" not in args:
        own = named.tag or next(
            (m.group(1) for m in re.finditer(r"\bmy\s+([a-z][\w-]*)\s+(?:tasks|to-?dos|items|stuff|things)\b", text) if m.group(1) not in _NOT_TAGS), None
        )
        if own:
            args["tag"] = own
    if "due" in args and args.get("status") == "completed":
        args.pop("status")
    if args.get("status") == "pending" and "due" in args:
        args.pop("status")  # the due filters already mean open tasks
    return parsed
