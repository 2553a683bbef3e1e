"""Deleting: one task ("remove wine from my shopping list", "milk can come off"), or all (asks first)."""

from __future__ import annotations

import re

from ..references import parse_refs
from .base import ParseContext, ParsedIntent, cut_list_name

_BULK_VERB = (
    r"(?:delete|remove|clear|erase|wipe|purge|drop|empty|blank|get\s+rid\s+off?|trash|clean\s+up|archive|take\s+off|"
    r"scrap|zap|nuke|reset|start\s+over\s+with|cancel|bin|ditch|chuck)"
)
_BULK_COMPLETED = re.compile(
    rf"^{_BULK_VERB}\s+(?:out\s+)?(?:all\s+)?(?:of\s+)?(?:my\s+|the\s+)?"
    r"(?:completed|finished|done|checked(?:\s+off)?|closed|ticked(?:\s+off)?)(?:\s+(?:tasks|ones|items|todos|to-?dos|stuff|things|bits))?$"
    rf"|^{_BULK_VERB}\s+(?:out\s+)?(?:everything|all\s+(?:the\s+)?(?:tasks|ones|things))\s+(?:that\s+)?(?:i've|i\s+have|i'm|i\s+am|is|are)\s+"
    r"(?:already\s+)?(?:finished|done|completed|checked\s+off|ticked\s+off)(?:\s+with)?$",
    re.I,
)
_BULK_ALL = re.compile(
    rf"^{_BULK_VERB}\s+(?:out\s+)?(?:everything|all|all\s+(?:of\s+)?(?:my\s+|the\s+)?(?:tasks|todos|items|to-?dos|things|reminders)"
    r"|(?:my|the)\s+(?:whole\s+|entire\s+)?(?:list|tasks|to-?do\s+list|todos|reminders)|every\s+(?:single\s+)?(?:task|thing|item)"
    r"|(?:it|them)\s+all|all\s+(?:my\s+|the\s+)?stuff)?(?:\s+(?:out|clean|off|away))?$"
    r"|^(?:make|leave|get)\s+(?:it|my\s+list|the\s+list)\s+(?:completely\s+)?(?:blank|empty|clear|clean)$"
    r"|^make\s+sure\s+(?:it|my\s+list|the\s+list)\s+is\s+(?:completely\s+)?(?:blank|empty|clear)$",
    re.I,
)
_LIST_ALONE = re.compile(r"^(?:my|the)\s+(?:whole\s+|entire\s+)?list\b", re.I)


def bulk_delete(body: str, lower: str, context: ParseContext) -> ParsedIntent | None:
    """"clear completed tasks", "delete everything on my todo list", "blank out my list"."""
    text = cut_list_name(lower.strip(" .!?")).text if " list" in lower or "reminders" in lower else lower.strip(" .!?")
    named_list = text != lower.strip(" .!?")
    if _BULK_COMPLETED.match(text):
        return ParsedIntent("DELETE", bulk="completed")
    if _BULK_ALL.match(text) or lower in {"start over", "start fresh", "reset my list"}:
        return ParsedIntent("DELETE", bulk="all")
    # The list itself was the object: "clear my shopping list", "wipe my to-do list clean".
    bare = re.fullmatch(rf"{_BULK_VERB}(?:\s+(?:out|clean|off|away))?(?:\s+(?:everything|all))?(?:\s+(?:out|clean|off|away))?", text, re.I)
    if named_list and bare:
        return ParsedIntent("DELETE", bulk="all")
    if named_list and re.fullmatch(
        r"(?:make|leave|get)(?:\s+sure)?(?:\s+(?:it|is))?(?:\s+(?:completely|totally))?\s+(?:blank|empty|clear|clean)", text
    ):
        return ParsedIntent("DELETE", bulk="all")
    return None


_DELETE = re.compile(
    r"^(?:delete|remove|drop|erase|trash|discard|get\s+rid\s+off?|cancel|scrap|scratch|bin|forget\s+about|nuke|kill|"
    r"take\s+away|cross\s+out|strike|ditch|lose|axe|eliminate|wipe|nix|x\s+out)\s+(?P<rest>.+)$",
    re.I,
)
# "take milk off my list", "the gym session can come off", "the cake is no longer needed"
_REMOVAL = re.compile(
    r"^(?:take|knock|strike|scratch|cross)\s+(?P<rest>.+?)\s+off(?:\s+(?:of\s+)?(?:it|there))?$"
    r"|^(?:take|knock)\s+off\s+(?P<rest2>.+)$"
    r"|^(?:please\s+)?get\s+(?P<rest7>.+?)\s+(?:removed|deleted|taken\s+off|scrapped)$"
    r"|^(?P<rest3>.+?)\s+(?:can|should|could|may)\s+(?:come|go|be\s+taken)\s+off(?:\s+(?:now|too))?$"
    r"|^(?P<rest4>.+?)\s+(?:is|are)\s+(?:no\s+longer|not)\s+(?:needed|necessary|required|happening)(?:\s+any\s*more)?$"
    r"|^(?:i|we)\s+no\s+longer\s+need(?:\s+to)?\s+(?P<rest5>.+?)(?:\s+any\s*more)?$"
    r"|^(?:i|we)\s+(?:don't|do\s+not)\s+need(?:\s+to)?\s+(?P<rest6>.+?)\s+any\s*more$",
    re.I,
)


def _refs(rest: str):
    rest = re.sub(r"\s+(?:task|please|for\s+me)$", "", rest.strip(" .!?"), flags=re.I)
    return parse_refs(rest)


def delete(body: str, lower: str, context: ParseContext) -> ParsedIntent | None:
    listed = cut_list_name(body.strip(" .!?"))
    text = listed.text
    if listed.preposition in ("off", "from"):
        taken = re.match(r"^(?:take|knock|strike|scratch|move)\s+(?:off\s+)?(?P<rest>.+)$", text, re.I) or re.match(
            r"^(?P<rest>.+?)\s+(?:can|should|could|may)\s+(?:come|go|be\s+taken)(?:\s+(?:now|too))?$", text, re.I
        )
        if taken:
            return ParsedIntent("DELETE", refs=_refs(taken.group("rest")))
    match = _REMOVAL.match(text)
    if match:
        rest = next(group for group in match.groups() if group)
        return ParsedIntent("DELETE", refs=_refs(rest))
    match = _DELETE.match(text)
    if not match:
        return None
    return ParsedIntent("DELETE", refs=_refs(match.group("rest")))
