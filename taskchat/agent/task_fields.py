"""A task's fields read out of free text: title, description, priority, tags, recurrence, due.

The recognised parts are cut out in a fixed order — quoted text, description, recurrence,
tags, priority, due date — and what is left is the title. Quoted text is taken literally:
its case is kept and nothing inside it is read as a date, a tag or a priority.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from . import recurrence_words
from .dates import Due, find_due

# What a quote is: an opening mark after a space or the start, text that neither starts nor
# ends with a space, and a closing mark before a space, punctuation or the end. An ASCII
# apostrophe may sit inside a quote ("don't"), which is why the pattern alone is not run over
# the text: every "'" of a long run of them would open a search to the end of the text
# (4 000 characters of "'and " took 240 ms). ``quoted_spans`` finds where each quote ends in
# one pass and only then lets this pattern read the groups of that one stretch.
_QUOTED = re.compile(
    r"""(?:(?<=^)|(?<=[\s(:\[]))(?P<open>["“‘']|'')(?P<q>[^"“”‘’\s](?:[^"“”‘’]*?[^"“”‘’\s])?)"""
    r"""(?P<close>["”’']|'')(?=$|[\s.,!?;:)\]])"""
)
_QUOTE_MARKS = frozenset('"“”‘’')  # never inside a quote
_OPENS = frozenset('"“‘\'')
_CLOSES = frozenset('"”’\'')
_AFTER_CLOSE = frozenset(".,!?;:)]")
_BEFORE_OPEN = frozenset("(:[")
MAX_QUOTE_CHARS = 500  # a title's length: a longer stretch between marks is not one quote
_DESCRIPTION = re.compile(
    r"(?:\s+(?:with|and)\s+(?:a\s+|the\s+)?(?:notes?|description|details?|comment)\s*(?::|saying|that says)?\s*"
    r"|\s*(?<!\d):\s+|\s+--\s+)(?P<text>.+)$",
    re.I | re.S,
)
_TAG = re.compile(r"(?:(?<=^)|(?<=\s))#(?P<tag>[^\W\d][\w-]*)", re.UNICODE)
_PRIORITY = re.compile(
    r"(?:(?<=^)|(?<=\s))(?:"
    r"!(?P<bang>high|hi|h|medium|med|m|low|lo|l|[1-3])\b|(?P<bangs>!!!|!!)(?=\s|$)"
    r"|(?:(?:with|at|as|is|it's|its)\s+)?(?:a\s+)?(?P<level>high|highest|top|medium|normal|low|lowest)[\s-]+priority\b"
    r"|(?:(?:with\s+)?priority)[\s:]+(?P<after>high|medium|low|[1-3])\b"
    r"|\b(?P<p>p[1-3])\b"
    r"|(?:(?:is|it's|its)\s+)?\b(?P<urgent>urgent(?:ly)?|asap)\b"
    r")",
    re.I,
)
_PRIORITY_WORDS = {
    "high": "high", "hi": "high", "h": "high", "highest": "high", "top": "high", "1": "high",
    "p1": "high", "!!!": "high", "medium": "medium", "med": "medium", "m": "medium",
    "normal": "medium", "2": "medium", "p2": "medium", "!!": "medium", "low": "low", "lo": "low",
    "l": "low", "lowest": "low", "3": "low", "p3": "low",
}
_LEADING_FILLER = re.compile(
    r"^(?:(?:(?:a|an|the|another|one\s+more|my)\s+)*(?:new\s+)?(?:task|todo|to-do|reminder|item)s?\b\s*)?"
    r"(?:(?:called|named|titled|saying|that\s+says|:|-)\s*)?(?:(?:to|that\s+i\s+(?:need|have)\s+to|i\s+need\s+to)\s+)?",
    re.I,
)
# Words said after a title that are not part of it ("buy milk and", "call mom please"), each
# after a separator. The chain of them is stripped from the end by ``strip_trailing_filler``
# one word at a time; as one pattern — ``(?:[\s,;:-]+(?:word)?)+$`` — the separator runs could
# be split between iterations in exponentially many ways, and a run of dashes took minutes.
_FILLER_WORD_AT_END = re.compile(
    r"[\s,;:\-–—](?:and\s+tag(?:\s+it)?(?:\s+(?:as|with))?|and|also|due|by|on|at|for|with|every|to|from|until|before|"
    r"please|pls|plz|thanks|thank\s+you|to\s+my\s+(?:list|tasks|to-?do\s+list)|on\s+my\s+(?:list|tasks)|"
    r"to\s+the\s+list|the\s+list|my\s+list)$",
    re.I,
)
# The longest filler phrase with its separator ("and tag it with"), with room to spare: only
# this much of the end is searched for one, so each step costs the same however long the text.
_FILLER_WINDOW = 40
_SEPARATORS = " \t\n\r\f\v,;:-–—"
_END_PUNCTUATION = ".!?"


@dataclass
class TaskFields:
    """What a message said about a task; unset fields stay None so they are not sent."""

    title: str = ""
    description: str | None = None
    priority: str | None = None
    tags: list[str] | None = None
    recurrence: str | None = None
    due: Due | None = None
    quoted: bool = False

    def arguments(self) -> dict[str, Any]:
        """``add_task`` arguments, only the ones the text stated (so plain titles stay plain)."""
        args: dict[str, Any] = {"title": self.title}
        if self.description:
            args["description"] = self.description
        if self.priority:
            args["priority"] = self.priority
        if self.due:
            args.update(self.due.arguments())
        if self.tags:
            args["tags"] = self.tags
        if self.recurrence:
            args["recurrence"] = self.recurrence
        return args


def quoted_spans(text: str) -> list[re.Match]:
    """Quoted stretches ('…', "…", “…”), not apostrophes inside words like "mom's".

    The matches of ``_QUOTED.finditer`` (for quotes of up to ``MAX_QUOTE_CHARS``), found in
    time linear in the text: where a quote may end is worked out once for the whole text, so
    each opening mark costs a lookup, not a scan to the end.
    """
    if not any(mark in text for mark in _OPENS):
        return []
    size = len(text)
    next_mark = [size] * (size + 1)  # the first quote mark at or after each position
    for at in range(size - 1, -1, -1):
        next_mark[at] = at if text[at] in _QUOTE_MARKS else next_mark[at + 1]

    def ends_close(at: int) -> bool:
        return at >= size or text[at].isspace() or text[at] in _AFTER_CLOSE

    # Positions where a quote's text may end: a closing mark (or '') follows, and the last
    # character is neither a space nor a quote mark.
    ends = [
        at for at in range(1, size)
        if not text[at - 1].isspace() and text[at - 1] not in _QUOTE_MARKS
        and ((text[at] in _CLOSES and ends_close(at + 1)) or (text.startswith("''", at) and ends_close(at + 2)))
    ]
    is_end = set(ends)

    def quote_end(start: int) -> int | None:
        """Where the quote's text that starts at ``start`` ends, in the pattern's order: the
        lazy middle tries the shortest text of two characters or more first, one character last."""
        if start >= size or text[start].isspace() or text[start] in _QUOTE_MARKS:
            return None
        limit = min(next_mark[start], start + MAX_QUOTE_CHARS)
        first = bisect_left(ends, start + 2)
        if first < len(ends) and ends[first] <= limit:
            return ends[first]
        return start + 1 if start + 1 in is_end else None

    found: list[re.Match] = []
    at = 0
    while at < size:
        if text[at] in _OPENS and (at == 0 or text[at - 1].isspace() or text[at - 1] in _BEFORE_OPEN):
            for opening in (1, 2) if text.startswith("''", at) else (1,):
                end = quote_end(at + opening)
                if end is None:
                    continue
                close = 1 if text[end] in _CLOSES and ends_close(end + 1) else 2
                match = _QUOTED.match(text, at, end + close)
                if match is not None and match.end() == end + close:
                    found.append(match)
                    at = match.end()
                    break
            else:
                at += 1
            continue
        at += 1
    return found


def _cut(text: str, spans: list[tuple[int, int]]) -> str:
    """The text with each span replaced by a space, in one pass (a message may hold a
    thousand tags; cutting them one by one copied the text each time)."""
    pieces, last = [], 0
    for start, end in sorted(spans):
        pieces.append(text[last:max(start, last)])
        last = max(last, end)
    pieces.append(text[last:])
    return " ".join(" ".join(pieces).split())


def capitalise(text: str) -> str:
    """First letter upper-cased, the rest as typed (``str.capitalize`` would lower "NASA")."""
    return text[:1].upper() + text[1:] if text else text


def strip_lead(text: str) -> str:
    """'a task to buy milk' → 'buy milk'; 'task: pay rent' → 'pay rent'."""
    return _LEADING_FILLER.sub("", text.strip(), count=1).strip()


def strip_trailing_filler(text: str) -> str:
    """'buy milk, and please!' → 'buy milk': filler words, separators and end punctuation.

    Works back from the end, one run of separators or one filler word per step, looking only
    at the last few characters each time, so it costs in proportion to what it strips. A
    filler word counts only after a separator: a text that is only "thanks" stays "thanks".
    """
    end = len(text)
    while True:
        kept = text[:end].rstrip(_SEPARATORS + _END_PUNCTUATION)
        while kept != kept.rstrip():  # any other space, then separators again
            kept = kept.rstrip().rstrip(_SEPARATORS + _END_PUNCTUATION)
        end = len(kept)
        word = _FILLER_WORD_AT_END.search(text, max(0, end - _FILLER_WINDOW), end)
        if word is None:
            return text[:end]
        end = word.start() + 1  # the separator before the word goes with the next step


def tidy_title(text: str) -> str:
    """Strip filler around what is left of a message once its fields are cut out."""
    text = " ".join(text.split())
    # A few passes strip nested filler; a bounded number keeps adversarial input linear.
    for _ in range(4):
        previous = text
        text = _LEADING_FILLER.sub("", text, count=1).strip()
        text = strip_trailing_filler(text).strip()
        text = text.strip(" ,;:-–—")
        if text == previous:
            break
    return text


def read_priority(text: str) -> tuple[str | None, list[tuple[int, int]]]:
    """(priority, span) from !high / !1–!3 / "high priority" / "priority low" / urgent / p1–p3."""
    match = _PRIORITY.search(text)
    if not match:
        return None, []
    g = match.groupdict()
    word = (g["bang"] or g["bangs"] or g["level"] or g["after"] or g["p"] or "").lower()
    level = "high" if g["urgent"] else _PRIORITY_WORDS.get(word)
    return level, [match.span()]


def read_tags(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    """#tags (lower-cased) and their spans; "#2" is a task number, not a tag."""
    matches = list(_TAG.finditer(text))
    return [m.group("tag").lower() for m in matches], [m.span() for m in matches]


def read_recurrence(text: str) -> tuple[str | None, list[tuple[int, int]], str | None]:
    """(RRULE, spans, None): the repeat the text states (``agent.recurrence_words``)."""
    found = recurrence_words.read(text)
    if found is None:
        return None, [], None
    return found.rule, found.spans, None


def _has_title(text: str, now: datetime, tz: ZoneInfo) -> bool:
    spans = read_priority(text)[1] + read_tags(text)[1] + find_due(text, now, tz).spans
    return bool(tidy_title(_cut(text, spans)))


def read_fields(text: str, now: datetime, tz: ZoneInfo, *, want_description: bool = True) -> TaskFields:
    """Everything a create message says about the new task."""
    fields = TaskFields()
    quotes = quoted_spans(text)
    masked = [m.span() for m in quotes]
    if quotes:
        fields.title = quotes[0].group("q")
        fields.quoted = True
    body = text
    if want_description:
        for match in _DESCRIPTION.finditer(body):
            if not any(s <= match.start() < e for s, e in masked):
                start = match.start()
                if not _has_title(body[:start], now, tz):
                    continue  # "urgent: call the landlord" — the colon follows a field, not a title
                described = match.group("text").strip()
                if quotes and quotes[0].start() >= start:
                    break  # the colon introduced the quoted title itself
                if body[:start].strip():
                    fields.description = capitalise(described) if described else None
                    body = body[:start]
                break
    body_masked = [span for span in masked if span[1] <= len(body)]
    spans: list[tuple[int, int]] = []

    def free(found: list[tuple[int, int]]) -> list[tuple[int, int]]:
        return [s for s in found if not any(s[0] < e and b < s[1] for b, e in body_masked + spans)]

    recurrence, found, weekday = read_recurrence(body)
    found = free(found)
    if found:
        fields.recurrence = recurrence
        spans += found
    tags, found = read_tags(body)
    keep = free(found)
    if keep:
        kept = set(keep)
        fields.tags = [t for t, s in zip(tags, found, strict=True) if s in kept]
        spans += keep
    priority, found = read_priority(body)
    found = free(found)
    if found and priority:
        fields.priority = priority
        spans += found
    due = find_due(body, now, tz, body_masked + spans)
    if due.due:
        fields.due = due.due
        spans += due.spans
    if fields.recurrence:
        # A rule that names its days starts on the first of them ("every monday at 9").
        due = fields.due
        start = recurrence_words.first_occurrence(fields.recurrence, due.at if due else None, bool(due and due.has_time), now, tz)
        if start is not None:
            fields.due = Due(start, bool(due and due.has_time))
    if not fields.quoted:
        fields.title = capitalise(tidy_title(_cut(body, spans)))
    return fields
