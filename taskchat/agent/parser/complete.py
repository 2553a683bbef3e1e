"""Completing and reopening: "check off milk", "task 3 is done", "I've emailed the landlord"."""

from __future__ import annotations

import re

from ..matching import STOPWORDS, lemma, words
from ..references import TaskRef, parse_refs
from .base import ParseContext, ParsedIntent, cut_list_name

_BARE_VERB = {
    "delete": "DELETE", "remove": "DELETE", "complete": "COMPLETE", "mark done": "COMPLETE",
    "mark as done": "COMPLETE", "mark complete": "COMPLETE", "mark as complete": "COMPLETE",
    "reopen": "UNCOMPLETE", "rename": "UPDATE", "update": "UPDATE", "edit": "UPDATE", "change": "UPDATE",
    "move": "UPDATE", "check off": "COMPLETE", "tick off": "COMPLETE", "finish": "COMPLETE",
}


def bare_verb(body: str, lower: str, context: ParseContext) -> ParsedIntent | None:
    """"delete" alone: the turn asks which task, and the next message can answer "task 2"."""
    intent = _BARE_VERB.get(" ".join(lower.strip(" .!?").split()))
    return ParsedIntent(intent) if intent else None


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
    rf"|^(?P<rest3>(?:task\s*)?#?\d+(?:\s*(?:,|and|&)\s*(?:task\s*)?#?\d+)*)\s*:?\s+{_DONE_WORDS}$"
    r"|^(?:cross|tick|check)\s+(?P<rest4>.+?)\s+off$",
    re.I,
)
_DONE_TAIL = re.compile(rf"(?:^|\s+)(?:as\s+)?(?:being\s+)?{_DONE_WORDS}(?:\s+now)?$|\s+off$", re.I)
_JUST_DONE = re.compile(
    r"^(?:(?:ok|okay|right|and|yep|yes)\s+)?(?:done|finished|complete|completed|sorted|it's\s+done|that's\s+done|all\s+done|did\s+it|done\s+with\s+it|"
    r"(?:it's|that's|all)\s+(?:sorted|finished|complete|completed|dealt\s+with|taken\s+care\s+of)|done\s+and\s+dusted|finished\s+it|got\s+it\s+done)$",
    re.I,
)
_EVERY_TASK = re.compile(r"^(?:all|everything|all\s+(?:of\s+)?(?:my\s+|the\s+)?(?:tasks|todos|items|of\s+them)|every\s+task)$", re.I)


def reopen(body: str, lower: str, context: ParseContext) -> ParsedIntent | None:
    match = _REOPEN.match(body)
    if not match:
        return None
    rest = (match.group("rest") or match.group("rest2") or match.group("rest3") or "").strip(" .!?")
    rest = re.sub(r"\s+again$", "", rest, flags=re.I)
    refs = parse_refs(rest) if rest else [TaskRef(pronoun=True)]
    return ParsedIntent("UNCOMPLETE", refs=refs)


def complete(body: str, lower: str, context: ParseContext) -> ParsedIntent | None:
    if _JUST_DONE.match(lower.strip(" .!?")):
        return ParsedIntent("COMPLETE", refs=[TaskRef(pronoun=True)])
    listed = cut_list_name(body.strip(" .!?"))
    crossed = re.match(r"^(?:cross|tick|check|mark)\s+(?P<rest>.+)$", listed.text, re.I) if listed.preposition == "off" else None
    if crossed:
        return ParsedIntent("COMPLETE", refs=parse_refs(crossed.group("rest")))
    if re.match(r"^check\s+(?:my|the|our)\s+(?:[\w-]+\s+){0,3}(?:list|reminders|tasks|to-?dos)\b", body, re.I):
        return None  # "check my shopping list" wants to see it
    match = _COMPLETE.match(listed.text)
    if not match:
        return None
    rest = next((group for group in match.groups() if group), "")
    rest = _DONE_TAIL.sub("", rest.strip(" .!?"))
    if _EVERY_TASK.match(rest.strip()):
        return ParsedIntent("COMPLETE", every=True)
    return ParsedIntent("COMPLETE", refs=parse_refs(rest))


# "I've emailed the landlord", "returned the library books", "the car is washed"
_SUBJECT = re.compile(r"^(?:(?:i|we)(?:'ve|\s+have|\s+had)?\s+)?(?:(?:just|already|finally|now|also)\s+)*", re.I)
_PASSIVE = re.compile(
    r"^(?P<object>.+?)\s+(?:is|are|was|were|has\s+been|have\s+been|got|'s|'re)\s+(?:now\s+|all\s+|finally\s+|already\s+)*(?P<verb>[a-z]+)"
    r"(?:\s+(?:up|out|off|away|in|down))?(?:\s+(?:now|today|already|at\s+last|finally))?$",
    re.I,
)
# Past forms that are also everyday adjectives or other words: never read as "I did it".
_NOT_PAST = frozenset({"need", "used", "red", "bed", "wed", "fed up", "bored", "tired", "interested", "scared", "supposed"})


def _is_past(word: str) -> bool:
    """A past tense or participle: a word whose lemma differs and is not just a plural."""
    word = word.lower()
    if word in _NOT_PAST or word in STOPWORDS or len(word) < 3:
        return False
    if word.endswith(("s", "ing")):
        return False  # plurals and -ing forms; no past form ends so
    return lemma(word) != word


def done_statement(body: str, lower: str, context: ParseContext) -> ParsedIntent | None:
    """Something said to be done, in past tense or passive: found by lemma among open tasks."""
    text = cut_list_name(body.strip(" .!?")).text
    passive = _PASSIVE.match(text)
    if passive and _is_past(passive.group("verb")) and not re.search(r"\b(?:not|n't|no)\b", passive.group("object"), re.I):
        return ParsedIntent("COMPLETE", refs=[TaskRef(title=text)], statement=True)
    active = _SUBJECT.sub("", text, count=1)
    said = words(active, digits=False)
    if said and _is_past(said[0]) and len(said) <= 10:
        return ParsedIntent("COMPLETE", refs=[TaskRef(title=active)], statement=True)
    return None
