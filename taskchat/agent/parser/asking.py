"""Questions about what is on the list: "is milk on my shopping list?", "I need to know what's on
my to-do list", "check my reminders for the gutters". Answered with a listing or the matching
tasks; never with a change.
"""

from __future__ import annotations

import re

from ..references import clean_title_ref
from .base import QUESTION, ParseContext, ParsedIntent, cut_list_name
from .listing import day_asked, list_tasks

# "is milk on my shopping list?", "anything on my list mentioning the bank?", "did I put eggs on it?"
_ASKED_HEAD = re.compile(
    r"^(?:(?:is|are|was|were)\s+(?:there\s+)?|did\s+i\s+(?:put|add|write|include|list|jot\s+down|save|set)\s+|"
    r"do\s+i\s+(?:already\s+)?(?:have|need|still\s+have)\s+|have\s+i\s+(?:already\s+)?(?:got|put|added|listed|included)\s+|has\s+(?:it|that)\s+got\s+|"
    r"does\s+(?:have|include|contain|consist\s+of|mention|say)\s+|(?:when|(?:at\s+)?what\s+time)\s+(?:is|are)\s+|will\s+|"
    r"does\s+(?:my|the)\s+(?:[\w-]+\s+)?(?:list|reminders)(?:\s+(?:of|for)\s+[\w\s]+?)?\s+(?:have|include|contain|mention|say)\s+|"
    r"(?:check|search|look\s+in)\s+my\s+(?:[\w-]+\s+)?(?:list|reminders)\s+for\s+|any(?:thing)?\s+)",
    re.I,
)
_ASKED_FILLER = re.compile(
    r"^(?:(?:any|anything|something|a|an)\s+)?(?:(?:tasks?|reminders?|items?|things?|entry|entries)\s+)?"
    r"(?:(?:about|for|mentioning|regarding|to|with|called|named|that\s+says|saying|related\s+to|on)\s+)?",
    re.I,
)
_ASKED_TAIL = re.compile(
    r"(?:\s+(?:on\s+(?:it|there|here)|in\s+there|already|yet|still|at\s+all|anywhere|listed|set(?:\s+up)?|right\s+now|currently|"
    r"written(?:\s+(?:on|in|down))?|be(?:\s+(?:today|tomorrow|this\s+week))?))+$",
    re.I,
)
_LIST_WORD = re.compile(r"\b(?:list|reminders?|to-?dos?|on\s+(?:it|there))\b", re.I)


def question_search(body: str, lower: str, context: ParseContext) -> ParsedIntent | None:
    """A question whether something is on the list: answered with the matching tasks only."""
    text = body.strip(" ?.!")
    if not QUESTION.match(text) and not text.lower().startswith(("any", "check", "search", "look in")):
        return None
    if text.lower().startswith("check ") and re.search(r"\boff\b", text, re.I):
        return None  # "check washing the dishes off": ticking it off, not looking
    day = day_asked(text.lower(), context)
    if day is not None:
        return ParsedIntent("LIST", {"status": "pending"}, due_on=day)  # "anything for thursday?"
    if not _LIST_WORD.search(text) and not re.match(r"^(?:anything|any\s+(?:tasks?|reminders?))\s+(?:about|mentioning|for|regarding|with)\b", text, re.I):
        return None
    listed = cut_list_name(text)
    rest = listed.text
    head = _ASKED_HEAD.match(rest)
    if not head:
        return None
    query = _ASKED_TAIL.sub("", _ASKED_FILLER.sub("", rest[head.end():].strip())).strip(" ,")
    query = clean_title_ref(query) if query else ""
    if not query or query.lower() in {"anything", "something", "everything", "it", "there", "on", "on it"}:
        parsed = list_tasks("show my tasks", "show my tasks", context)
        if listed.tag and parsed:
            parsed.args["tag"] = listed.tag
        return parsed
    return ParsedIntent("SEARCH", {"query": query})


_WHEN_ASKED = re.compile(r"\b(?:today|tonight|tomorrow|this\s+week|next\s+week|overdue|late)\b", re.I)


def _listing(listed_tag: str | None, context: ParseContext, text: str = "") -> ParsedIntent | None:
    """The list, narrowed to a day or week the question names ("… to do this week")."""
    when = _WHEN_ASKED.search(text)
    ask = f"show my tasks {when.group(0).lower()}" if when else "show my tasks"
    if re.search(r"\b(?:still|left|remaining|outstanding|pending|unfinished)\b", text, re.I):
        ask = "show my pending " + ask[len("show my "):]
    parsed = list_tasks(ask, ask, context)
    if parsed and listed_tag:
        parsed.args["tag"] = listed_tag
    return parsed


# "I need to know what's on my to-do list", "walk me through my reminders", "recall what I wanted to remember"
_WANTS_TO_KNOW = re.compile(
    r"^(?:(?:i|i'd)\s+(?:need|want|would\s+like|like|'d\s+like|wanna)\s+(?:for\s+)?(?:you\s+)?to\s+(?:know|hear|see|find\s+out|be\s+told|get|check|read|tell\s+me)"
    r"|i\s+need\s+(?:my|the)\b|i\s+wonder|(?:please\s+)?(?:inform|tell)\s+me(?:\s+of)?|(?:please\s+)?remind\s+me\s+(?:of\s+)?(?=what|the\s+(?:tasks|things|items)|everything)"
    r"|walk\s+me\s+through|describe|name|recall|(?:please\s+)?go\s+(?:back\s+)?(?:over|through)|let's\s+go\s+(?:over|through)|instruct\s+me)\b",
    re.I,
)
_ABOUT_LIST = re.compile(r"\b(?:list|reminders?|remember|recall|forget|tasks|things|items|to\s+do|keep\s+in\s+mind|plan)\b", re.I)
_IF_ON = re.compile(
    r"\b(?:if|whether|that)\s+(?:i(?:'ve|\s+have)?\s+(?:added|put|have|got|listed|included)\s+(?:an?\s+(?:item|task|reminder)\s+(?:to|for|about)\s+)?)?"
    r"(?P<x>.+?)\s*(?:(?:is|are|was)\s*(?:already\s+)?(?:listed|there|on\s+it|in\s+there|on\s+there)?|is\s+listed)?$",
    re.I,
)
# "what did I want to remember?", "what is my plan for the day?", "what do I need to buy?"
_REMEMBERED = re.compile(
    r"^(?:what|which)\b.*\b(?:remember|recall|keep\s+in\s+mind|bear\s+in\s+mind|forget|reminded|plan\s+for\s+(?:the\s+day|today)|"
    r"need\s+(?:to\s+(?:buy|get|pick\s+up|do)|when\s+i\s+go|at\s+the\s+store|from\s+the\s+(?:store|shop))|have\s+to\s+do)\b"
    r"|^i\s+(?:wanted|asked\s+you|needed)\s+to\s+remember\b"
    # the first list word only (atomic): tried from each one, "tasks tasks …" cost its length squared
    r"|^(?>.*?\b(?:list|reminders|tasks)\b).*\b(?:what\s+(?:are|were|was|is)\s+(?:they|it|those|on\s+it)|is\s+what)$",
    re.I,
)
_CHECK = re.compile(r"^(?:(?:can|could|would|will)\s+you\s+)?(?:please\s+)?(?:check|look|see|find\s+out|confirm|verify|search)\b(?:\s+(?:to\s+see|and\s+see|for\s+me))?", re.I)


def wants_to_know(body: str, lower: str, context: ParseContext) -> ParsedIntent | None:
    """Asking to hear the list, or whether something is on it, without a question mark."""
    text = body.strip(" ?.!")
    if text.lower().startswith("check ") and re.search(r"\boff\b", text, re.I):
        return None  # "check washing the dishes off": ticking it off, not looking
    listed = cut_list_name(text)
    if _REMEMBERED.match(text):
        return _listing(listed.tag, context, text)
    head = _WANTS_TO_KNOW.match(text) or _CHECK.match(listed.text)
    if not head:
        return None
    rest = (listed.text if head.re is _CHECK else cut_list_name(text[head.end():]).text).strip(" ,")
    if head.re is _CHECK:
        rest = rest[head.end():].strip(" ,")
    found = _IF_ON.search(rest) if re.match(r"(?:to\s+see\s+)?(?:if|whether|that)\b", rest, re.I) or head.re is not _CHECK else None
    if found and re.match(r"(?:to\s+see\s+)?(?:if|whether|that)\b", rest, re.I):
        query = clean_title_ref(found.group("x"))
        return ParsedIntent("SEARCH", {"query": query}) if query else _listing(listed.tag, context)
    if head.re is _CHECK:
        query = re.sub(r"^(?:(?:my|the)\s+reminders\s+)?(?:for|about)\s+", "", rest, flags=re.I)
        if listed.name is not None or listed.preposition or "reminders" in lower or " list" in lower:
            query = clean_title_ref(query)
            return ParsedIntent("SEARCH", {"query": query}) if query else _listing(listed.tag, context)
        return None
    if _ABOUT_LIST.search(text):
        return _listing(listed.tag, context, text)
    return None
