"""Listing and searching: "what's pending?", "show my work tasks", "is milk on my shopping list?"."""

from __future__ import annotations

import re
from typing import Any

from ..references import clean_title_ref
from ..task_fields import read_priority, read_tags
from .base import ParseContext, ParsedIntent, cut_list_name

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
    r"current|today's|this\s+week's|let\s+me\s+(?:see|hear|know)|go\s+(?:through|over)|iterate|speak|repeat|recite|say|open|pull\s+up|bring\s+up|"
    r"i\s+(?:want|need|would\s+like|'d\s+like)\s+to\s+(?:see|hear|know|check|view)|reminders?|shopping|grocery|to-?do|can\s+i\s+(?:see|hear|get))\b",
    re.I,
)
_LIST_NOUN = re.compile(
    r"\b(?:tasks?|todos?|to-?dos?|to\s+do|list|items|pending|left|remaining|outstanding|completed|done|finished|"
    r"overdue|due|agenda|plate|everything|all|open|urgent|priority|tagged|unfinished|incomplete|late|"
    r"today|tonight|this\s+week|on\s+for|have\s+(?:on|planned|scheduled)|reminders?|need\s+to\s+(?:buy|get|do)|remember)\b|#[\w-]+",
    re.I,
)


def search(body: str, lower: str, context: ParseContext) -> ParsedIntent | None:
    match = _SEARCH.match(body.strip(" ?.!"))
    if not match:
        return None
    query = _SEARCH_FILLER.sub("", match.group("q").strip(" ?.!\"'")).strip(" ?.!\"'“”")
    tags, _spans = read_tags(query)
    if tags and query.startswith("#"):
        return ParsedIntent("LIST", {"tag": tags[0]})
    query = clean_title_ref(query) if query else query
    return ParsedIntent("SEARCH", {"query": query} if query else {})


_NOT_TAGS = frozenset(
    ["open", "pending", "completed", "done", "finished", "overdue", "urgent", "important", "remaining", "outstanding", "current", "other", "old", "new", "high", "low", "medium", "unfinished", "incomplete", "all", "own", "today's", "tomorrow's", "late", "active"]
)


def list_tasks(body: str, lower: str, context: ParseContext) -> ParsedIntent | None:
    text = lower.strip(" ?.!")
    if not (_LIST_HEAD.match(text) and _LIST_NOUN.search(text)):
        return None
    args: dict[str, Any] = {}
    parsed = ParsedIntent("LIST", args)
    parsed.count = bool(re.search(r"\bhow\s+many\b|\bcount\b|\bnumber\s+of\b", text))
    named = cut_list_name(text)
    if re.search(r"\b(?:not\s+(?:yet\s+)?(?:done|completed|finished)|pending|open|incomplete|unfinished|left|remaining|outstanding|to\s+do|todo|still|undone|active|uncompleted)\b", named.text):
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
        r"(?<![\w-])(?P<t>)(?P<t2>)(?P<t3>(?!with\b|the\b|a\b)[\w-]+)\s+tag\b", text
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
