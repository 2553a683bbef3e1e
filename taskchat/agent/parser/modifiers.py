"""Modifiers said in words, wherever they stand: "…, super important", "not urgent",
"…, under the work tag", "tags home and garden".

Each is a clause of its own — after a comma, a dash or at the end — so a title that merely
holds the word ("Important meeting prep") keeps it. The patterns are bounded (no nested or
adjacent unbounded repeats) and searched only over the message's last 80 characters.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from ..dates import find_due

_LOW = (
    r"not\s+(?:very\s+|that\s+|super\s+|really\s+|too\s+|so\s+)?(?:urgent|important|a\s+priority|pressing)|no\s+rush|no\s+hurry|"
    r"low\s+prio(?:rity)?|whenever|can\s+wait|not\s+asap|no\s+biggie|low\s+key|lowkey|not\s+a\s+big\s+deal"
)
_HIGH = (
    r"(?:super|very|really|mega|extremely|pretty|quite|so|kinda|v|hella|rly|most)?\s?(?:important|urgent|critical|crucial|vital)|"
    r"high\s+prio(?:rity)?|top\s+prio(?:rity)?|top\s+of\s+the\s+list|a\s+priority|priority|asap|as\s+soon\s+as\s+possible|"
    r"(?:it's\s+|its\s+|this\s+is\s+|that's\s+)?(?:a\s+)?must(?:\s+do)?"
)
_MEDIUM = r"medium\s+prio(?:rity)?|normal\s+prio(?:rity)?|(?:fairly|somewhat)\s+important|medium"
# a clause on its own: after a comma/dash/semicolon (or "and"), up to the end
_PRIORITY_CLAUSE = re.compile(
    rf"(?:\s*[,;:–—-]\s*|\s+and\s+|\s+(?=(?:it's|its|this\s+is|super|very|really|mega|extremely|not|no|low|high|top|medium)\s))(?:(?:it's|its|this\s+is|that's|is|make\s+it|mark\s+it(?:\s+as)?|and)\s+)?"
    rf"(?:(?P<low>{_LOW})|(?P<medium>{_MEDIUM})|(?P<high>{_HIGH}))(?:\s+(?:pls|please|thanks|tho|though))?[\s.!]*$",
    re.I,
)
_PRIORITY_ALONE = re.compile(rf"^(?:(?P<low>{_LOW})|(?P<medium>{_MEDIUM})|(?P<high>{_HIGH}))$", re.I)
_TAG_WORD = r"[a-z][\w-]{0,30}"
_TAG_CLAUSE = re.compile(
    rf"(?:\s*[,;–—-]\s*|\s+)(?:and\s+)?(?:put\s+it\s+|file\s+it\s+|tag\s+it\s+)?(?:under|in|with|into)\s+(?:the\s+|my\s+)?(?P<one>{_TAG_WORD})\s+(?:tag|label|category|folder)"
    rf"|(?:\s*[,;–—-]\s*(?:and\s+)?(?:tags?|labels?)|\s+(?:and\s+)?(?:tagged|labell?ed|tag\s+it|label\s+it)"
    # "… tags home and garden": the plural names tags to follow, unless a phrase does ("price tags for the shop")
    r"|\s+(?:tags|labels)(?!\s+(?:for|the|to|of|a|an|on|in|with|from|and|at|by)\b))(?:\s+(?:as|with))?"
    rf"\s+(?P<many>{_TAG_WORD}(?:(?:\s*,\s*|\s+and\s+|\s+&\s+|\s+){_TAG_WORD}){{0,3}})"
    r"(?=[\s.!]*$)",
    re.I,
)


def priority_in_words(text: str) -> tuple[str | None, str]:
    """(priority, text without the clause) for a priority said as a clause of its own."""
    stripped = text.strip()
    alone = _PRIORITY_ALONE.match(stripped)
    if alone:
        return _level(alone), ""
    cut = max(0, len(stripped) - 80)
    match = _PRIORITY_CLAUSE.search(stripped, cut)
    if not match:
        return None, text
    return _level(match), stripped[: match.start()].rstrip(" ,;:-–—")


def _level(match: re.Match) -> str:
    return "low" if match.group("low") else "medium" if match.group("medium") else "high"


def tags_in_words(text: str) -> tuple[list[str], str]:
    """(tags, text without the clause) for "…, under the work tag", "…, tags home and garden"."""
    stripped = text.strip()
    cut = max(0, len(stripped) - 80)
    match = _TAG_CLAUSE.search(stripped, cut)
    if not match:
        return [], text
    named = match.group("one") or match.group("many")
    tags = [tag.lower() for tag in re.split(r"\s*,\s*|\s+and\s+|\s+&\s+|\s+", named) if tag and tag.lower() not in {"and", "the"}]
    return list(dict.fromkeys(tags)), stripped[: match.start()].rstrip(" ,;:-–—")


def cut_modifiers(text: str, now: datetime | None = None, tz: ZoneInfo | None = None) -> tuple[str, str | None, list[str]]:
    """Priority and tag clauses cut off the end of a task's text, in either order; given the
    time, also from before a date said last ("…, super important by friday", "… tagged work,
    high priority, due thursday"): the date stays where it was for the date reader."""
    if now is not None and tz is not None:
        found = find_due(text, now, tz)
        if found.spans:
            start, end = max(found.spans)
            if not text[end:].strip(" .!,;") and text[:start].strip():
                head, priority, tags = cut_modifiers(text[:start].rstrip(" ,;"))
                if priority or tags:
                    tail_text, tail_priority, tail_tags = cut_modifiers(f"{head} {text[start:].strip()}")
                    return tail_text, priority or tail_priority, list(dict.fromkeys(tags + tail_tags))
    return _cut_modifiers(text)


def _cut_modifiers(text: str) -> tuple[str, str | None, list[str]]:
    priority: str | None = None
    tags: list[str] = []
    for _ in range(2):
        if priority is None:
            level, rest = priority_in_words(text)
            if level and rest.strip():
                priority, text = level, rest
        if not tags:
            found, rest = tags_in_words(text)
            if found and rest.strip():
                tags, text = found, rest
    return text, priority, tags
