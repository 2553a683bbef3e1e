"""Repeats said in words, read into an RFC 5545 RRULE: "every monday", "every weekday", "every
other week", "every 3 days", "daily at 8", "on the 1st of every month", "every last friday of
the month", "every year on march 3", with "until june" or "for 5 times".

Kept apart from the intent parser: ``task_fields.read_recurrence`` calls ``read`` and the parser
only sees a rule and the spans that said it. Every pattern is a bounded alternation of words
(no nested repetition), so any message reads in linear time.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ..recurrence import InvalidRule, next_occurrence, normalize

_DAYS = {
    "monday": "MO", "tuesday": "TU", "wednesday": "WE", "thursday": "TH", "friday": "FR",
    "saturday": "SA", "sunday": "SU", "mon": "MO", "tue": "TU", "tues": "TU", "wed": "WE",
    "thu": "TH", "thur": "TH", "thurs": "TH", "fri": "FR", "sat": "SA", "sun": "SU",
}
_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): number for number, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
            "nine": 9, "ten": 10, "twelve": 12, "a couple of": 2, "a few": 3}
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
             "last": -1}
_FREQ = {"day": "DAILY", "week": "WEEKLY", "month": "MONTHLY", "year": "YEARLY"}
_ADVERBS = {"daily": "FREQ=DAILY", "weekly": "FREQ=WEEKLY", "monthly": "FREQ=MONTHLY", "yearly": "FREQ=YEARLY",
            "annually": "FREQ=YEARLY", "fortnightly": "FREQ=WEEKLY;INTERVAL=2", "biweekly": "FREQ=WEEKLY;INTERVAL=2"}
_WEEKDAYS = "MO,TU,WE,TH,FR"

_DAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues?|wed|thu(?:rs?)?|fri|sat|sun)"
_MONTH = r"(?:january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)"
_COUNT = r"(?:\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|twelve|a\s+couple\s+of|a\s+few)"
_ORD = r"(?:first|1st|second|2nd|third|3rd|fourth|4th|last)"
_MDAY = r"(?P<mday>[12]?\d|3[01])(?:st|nd|rd|th)?"
_LEAD = r"(?:(?:repeat(?:ing|s)?|recurring)\s+)?"

_FORMS = [
    # "every last friday of the month", "the first monday of every month"
    ("monthly_day", re.compile(
        rf"\b{_LEAD}(?:every|each|on\s+the|the)\s+(?P<ord>{_ORD})\s+(?P<day>{_DAY})s?\s+of\s+(?:the|every|each)\s+month\b", re.I)),
    # "on the 1st of every month", "the 15th of each month", "every month on the 1st"; the
    # normalisation stage has already turned "the 1st of every month" into "the 1st every month"
    ("monthday", re.compile(
        rf"\b{_LEAD}(?:on\s+)?(?:the\s+)?{_MDAY}\s+(?:day\s+)?(?:of\s+(?:every|each|the)|every|each)\s+month\b"
        rf"|\b{_LEAD}(?:every|each)\s+month\s+on\s+the\s+(?P<mday2>[12]?\d|3[01])(?:st|nd|rd|th)?\b", re.I)),
    # "every year on march 3", "every march 3rd", "each year on 3 march"
    ("yearday", re.compile(
        rf"\b{_LEAD}(?:every|each)\s+(?:year\s+on\s+)?(?:(?P<month>{_MONTH})\s+(?P<yday>[12]?\d|3[01])(?:st|nd|rd|th)?"
        rf"|(?P<yday2>[12]?\d|3[01])(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month2>{_MONTH}))\b", re.I)),
    # "every weekday", "on weekdays", "every work day"
    ("weekdays", re.compile(rf"\b{_LEAD}(?:every\s+(?:week\s*day|work\s*day|business\s+day)|(?:on\s+)?weekdays)\b", re.I)),
    # "every monday", "every other tuesday", "every monday and thursday", "mondays"
    ("days", re.compile(
        rf"\b{_LEAD}(?:(?P<every>every|each)\s+(?P<other>other\s+)?(?P<day>{_DAY})s?(?P<more>(?:\s*(?:,|and|&)\s*{_DAY}s?){{0,6}})"
        rf"|(?:on\s+)?(?P<plural>monday|tuesday|wednesday|thursday|friday|saturday|sunday)s(?=\s*$|\s*[,.;!#]|\s+(?:at|from|until|and)\b))\b", re.I)),
    # "every 3 days", "every two weeks", "every other month", "every day", "every week"
    ("interval", re.compile(
        rf"\b{_LEAD}(?:every|each)\s+(?:(?P<n>{_COUNT})\s+|(?P<other>other)\s+)?(?P<unit>day|week|month|year|morning|evening|night)s?\b", re.I)),
    # "daily", "weekly" — an adverb ends the phrase ("take vitamins daily"); before a noun it is
    # a title ("weekly report")
    ("adverb", re.compile(
        rf"\b{_LEAD}(?P<adverb>daily|weekly|monthly|yearly|annually|fortnightly|biweekly)"
        r"(?=\s*$|\s*[,.;!#]|\s+(?:at|on|by|from|starting|until|and|in|for|with|every)\b)", re.I)),
]
_UNTIL = re.compile(
    rf"\s*,?\s*\buntil\s+(?:the\s+end\s+of\s+)?(?:(?P<month>{_MONTH})(?:\s+(?P<day>[12]?\d|3[01])(?:st|nd|rd|th)?)?(?:\s*,?\s*(?P<year>20\d\d))?"
    r"|(?P<iso>20\d\d-[01]\d-[0-3]\d))\b", re.I)
_TIMES = re.compile(rf"\s*,?\s*\b(?:for\s+)?(?P<n>{_COUNT})\s+(?:times|occurrences|more\s+times)\b", re.I)


@dataclass(frozen=True)
class Repeat:
    rule: str
    spans: list[tuple[int, int]]


def _count(word: str) -> int:
    word = " ".join(word.lower().split())
    return int(word) if word.isdigit() else _NUMBERS.get(word, 1)


def _rule_of(kind: str, match: re.Match[str]) -> str | None:
    g = match.groupdict()
    if kind == "monthly_day":
        position = _ORDINALS[g["ord"].lower()]
        return f"FREQ=MONTHLY;BYDAY={position}{_DAYS[g['day'].lower()]}"
    if kind == "monthday":
        return f"FREQ=MONTHLY;BYMONTHDAY={int(g['mday'] or g['mday2'])}"
    if kind == "yearday":
        month = _MONTHS[(g["month"] or g["month2"]).lower()]
        day = int(g["yday"] or g["yday2"])
        if day > calendar.monthrange(2024, month)[1]:
            return None
        return f"FREQ=YEARLY;BYMONTH={month};BYMONTHDAY={day}"
    if kind == "weekdays":
        return f"FREQ=WEEKLY;BYDAY={_WEEKDAYS}"
    if kind == "days":
        names = [g["day"] or g["plural"]]
        if g.get("more"):
            names += re.findall(_DAY, g["more"], re.I)
        days = list(dict.fromkeys(_DAYS[name.lower()] for name in names))
        interval = ";INTERVAL=2" if g.get("other") else ""
        return f"FREQ=WEEKLY{interval};BYDAY={','.join(days)}"
    if kind == "interval":
        unit = g["unit"].lower()
        freq = "DAILY" if unit in ("morning", "evening", "night") else _FREQ[unit]
        n = 2 if g.get("other") else _count(g["n"]) if g.get("n") else 1
        return f"FREQ={freq}" + (f";INTERVAL={n}" if n > 1 else "")
    if kind == "adverb":
        return _ADVERBS[g["adverb"].lower()]
    return None


def _until(match: re.Match[str], today: date) -> str | None:
    g = match.groupdict()
    if g["iso"]:
        return g["iso"].replace("-", "")
    month = _MONTHS[g["month"].lower()]
    year = int(g["year"]) if g["year"] else today.year + (1 if month < today.month else 0)
    last = calendar.monthrange(year, month)[1]
    day = min(int(g["day"]), last) if g["day"] else last
    return f"{year:04d}{month:02d}{day:02d}"


def read(text: str, today: date | None = None) -> Repeat | None:
    """The repeat ``text`` states, as a checked RRULE and the spans that said it, or None."""
    today = today or date.today()
    for kind, pattern in _FORMS:
        match = pattern.search(text)
        if not match:
            continue
        rule = _rule_of(kind, match)
        if rule is None:
            continue
        spans = [match.span()]
        rest = text[match.end():]
        limit = _UNTIL.match(rest) or _TIMES.match(rest)
        if limit is not None:
            if limit.re is _UNTIL:
                until = _until(limit, today)
                rule += f";UNTIL={until}" if until else ""
            else:
                rule += f";COUNT={_count(limit.group('n'))}"
            spans.append((match.end() + limit.start(), match.end() + limit.end()))
        try:
            return Repeat(normalize(rule), spans)
        except InvalidRule:
            return None
    return None


def first_occurrence(rule: str, due: datetime | None, has_time: bool, now: datetime, tz: ZoneInfo) -> datetime | None:
    """Where a new repeating task starts: the first day the rule allows from the stated due date
    (or today), at the stated time (or midnight, a whole-day task). None when the rule does not
    pin the day ("every 3 days" starts on the date said, if any)."""
    if not re.search(r"BY(DAY|MONTHDAY|MONTH)=", rule):
        return None
    start = (due or now).astimezone(tz)
    if not has_time:
        start = start.replace(hour=0, minute=0, second=0, microsecond=0)
    local_now = now.astimezone(tz)
    if start < local_now and has_time and due is None:
        start = start + timedelta(days=1)
    found = next_occurrence(rule, start, tz, inclusive=True)
    return found.astimezone(tz) if found else None
