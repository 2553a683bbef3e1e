"""Due dates and times read out of a chat message, in the user's time zone.

Speed and safety come from looking only at spans that look like dates: one compiled
pattern finds the candidates (whole words only, so "monitor" is not Monday and "saturn" is
not Saturday), emails, URLs and version numbers are masked first, and the common forms are
resolved with plain date arithmetic. Only an unusual phrase after an explicit "due" goes to
``dateparser``, with settings built once per (now, zone) and results cached.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_ABBR = {
    "mon": 0, "tue": 1, "tues": 1, "wed": 2, "weds": 2, "thu": 3, "thur": 3, "thurs": 3,
    "fri": 4, "sat": 5, "sun": 6,
}
MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august",
    "september", "october", "november", "december",
)
_MONTH_ABBR = {name[:3]: i for i, name in enumerate(MONTHS, 1)} | {"sept": 9}
_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a couple of": 2,
    "couple of": 2, "a few": 3,
}
PART_OF_DAY = {"morning": time(9), "afternoon": time(14), "evening": time(18), "night": time(20)}

_WD = "|".join(WEEKDAYS)
_WD_ABBR = "|".join(sorted(_WEEKDAY_ABBR, key=len, reverse=True))
_MONTH = "|".join(MONTHS + ("sept", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))
_ORD = r"(?:st|nd|rd|th)?"
# Spaces are written \s+: the date pattern is verbose, where a literal space would vanish.
_NUM = r"\d+|a\s+couple\s+of|a\s+few|couple\s+of|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
# Words that introduce a date and go with it when it is cut out of a title ("due by").
# At most three: unbounded, a run of "on on on …" was re-read from every one of its words.
_LEAD = r"(?:(?:due|on|by|for|until|till|before|starting|from)\s+){0,3}+"

# "on 2nd floor" is a place, not the 2nd of the month.
_NOT_PLACE = r"(?!\s+(?:floor|fl|street|st|avenue|ave|road|rd|place|level|row|grade|gen|generation|edition|round|try|attempt|time|door|house|stop|exit|gate|shelf|page))"

_DATE = re.compile(
    rf"""\b{_LEAD}(?:
      (?P<iso>(?P<iy>\d{{4}})-(?P<im>\d{{1,2}})-(?P<id>\d{{1,2}}))\b
    | (?P<md>(?P<md_m>{_MONTH})\.?\s+(?P<md_d>\d{{1,2}}){_ORD}(?:,?\s+(?P<md_y>\d{{4}}))?)\b
    | (?P<dm>(?:the\s+)?(?P<dm_d>\d{{1,2}}){_ORD}\s+(?:of\s+)?(?P<dm_m>{_MONTH})\b\.?(?:,?\s+(?P<dm_y>\d{{4}}))?)
    | (?P<slash>(?<=on\s|by\s|ue\s|or\s|b4\s)(?P<sm>\d{{1,2}})/(?P<sd>\d{{1,2}})(?:/(?P<sy>\d{{2}}|\d{{4}}))?|(?P<sm2>\d{{1,2}})/(?P<sd2>\d{{1,2}})/(?P<sy2>\d{{4}})
        |(?<![\w/.-])(?P<sm3>\d{{1,2}})/(?P<sd3>\d{{1,2}})(?=\s*$|\s*[,;!]|\s+at\b|\s+@))\b(?![/.]\d)
    | (?P<nth>(?<=on\s|by\s|ue\s)(?:the\s+)?(?P<nth_d>\d{{1,2}})(?:st|nd|rd|th))\b{_NOT_PLACE}
    | (?P<nth2>(?<=or\s)(?:the\s+)?(?P<nth2_d>\d{{1,2}})(?:st|nd|rd|th))\b(?=\s*$|\s*[,;.!]|\s+(?:at|by|in|and|@|\d))
    | (?P<after>(?:the\s+)?day\s+after\s+tomorrow)\b
    | (?P<rel>today|tonight|tomorrow|tmrw|tmr|tomorow|tommorow)\b(?:\s+(?P<rel_part>morning|afternoon|evening|night))?
    | (?P<part>this\s+(?P<part_name>morning|afternoon|evening))\b
    | (?P<wd>(?:(?P<wd_mod>next|this|coming|this\s+coming)\s+)?(?P<wd_name>{_WD})s?)\b(?:\s+(?P<wd_part>morning|afternoon|evening|night)\b)?
    | (?P<wda>(?<=on\s|by\s|xt\s|is\s|ue\s)(?P<wda_name>{_WD_ABBR})\.?)\b
    | (?P<weekend>(?:(?P<we_mod>this|next)\s+)?weekend)\b
    | (?P<nextp>next\s+(?P<nextp_unit>week|month|year))\b
    | (?P<inn>in\s+(?:(?P<inn_n>{_NUM})\s+)?(?P<inn_unit>min(?:ute)?s?|h(?:ou)?rs?|days?|weeks?|fortnights?|months?|years?)(?:'s?\s+time\b|s'\s+time\b)?)(?!\w)
    | (?P<inn2>(?P<inn2_n>{_NUM})\s+(?P<inn2_unit>days?|weeks?|fortnights?|months?|years?)\s+(?:from\s+(?:now|today|tomorrow)|later|hence|out\s+from\s+now))\b
    | (?P<eo>(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?(?P<eo_unit>month|week|year|day))\b
    | (?P<eom>eom|eow)\b
    )""",
    re.IGNORECASE | re.VERBOSE,
)

_TIME = re.compile(
    r"""(?:\b(?:at|@)\s*|(?<=\s)@\s*|\b)(?:
      (?P<hm>(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ap>a\.?m\.?|p\.?m\.?)(?![a-z]))
    | (?P<clock>(?P<ch>\d{1,2}):(?P<cm>\d{2}))\b(?![:.]\d)
    | (?P<noon>noon|midday|midnight)\b
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# "at 5" with no am/pm: a bare hour only counts after "at".
_BARE_AT = re.compile(r"\bat\s+(?P<h>\d{1,2})\b(?![:.]\d|\s*(?:%|percent|people|pm|am))", re.IGNORECASE)
_DUE_PHRASE = re.compile(r"\bdue\s+(?P<phrase>[a-z0-9][a-z0-9 ,./-]{1,30}?)\s*$", re.IGNORECASE)

_TIMEISH = re.compile(r"\d:\d|\d\s*[ap]\.?m\b|\b(?:noon|midnight|at|hours?|minutes?|mins?)\b", re.IGNORECASE)
# Not dates, whatever digits they hold. Each part starts where its run of characters does
# (the lookbehinds): from inside a run, a long word without "@" cost its length squared.
_MASKS = re.compile(
    r"(?<![^\s@])[^\s@]+@\S+|(?:https?://|www\.)\S+|(?<![\w-])[\w-]+\.(?:com|org|net|io|dev|app)\b\S*"
    r"|\bv?\d+(?:\.\d+){2,}\b|\bv\d+(?:\.\d+)*\b",
    re.IGNORECASE,
)
_DATEISH = re.compile(
    rf"\d|\b(?:tod|ton|tom|tmr|day|week|month|year|noon|mid|eo[mw]|due\s|fortnight|morning|afternoon|evening|{_WD}|{_WD_ABBR}|{_MONTH})"
    r"|\b(?:in|from)\s",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Due:
    """A due moment in the user's zone; ``has_time`` is False for a whole day (stored at midnight)."""

    at: datetime
    has_time: bool

    def iso(self) -> str:
        return self.at.isoformat()

    def arguments(self) -> dict[str, object]:
        return {"due_at": self.iso(), "due_has_time": self.has_time}


@dataclass(frozen=True)
class Found:
    due: Due | None
    spans: list[tuple[int, int]]


def _overlaps(span: tuple[int, int], masked: list[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in masked)


def _year_or_next(year: str | None, month: int, day: int, today: date) -> date | None:
    try:
        if year:
            value = int(year)
            return date(value + 2000 if value < 100 else value, month, day)
        found = date(today.year, month, day)
        return found if found >= today else date(today.year + 1, month, day)
    except ValueError:
        return None


def _month(name: str) -> int:
    return _MONTH_ABBR[name.lower()[:4] if name.lower().startswith("sept") else name.lower()[:3]]


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _amount(text: str) -> int:
    text = " ".join(text.lower().split())
    return int(text) if text.isdigit() else _NUMBER_WORDS.get(text, 1)


def _weekday_ahead(today: date, weekday: int, modifier: str | None) -> date:
    """The next such weekday after today ("this friday" on a Friday is today)."""
    ahead = (weekday - today.weekday()) % 7
    if ahead == 0 and not (modifier and modifier.lower().startswith("this")):
        ahead = 7
    return today + timedelta(days=ahead)


def _resolve_date(match: re.Match, now: datetime) -> tuple[date | None, time | None, datetime | None]:
    """(date, time-of-day hint, exact moment) for one date match."""
    g = match.groupdict()
    today = now.date()
    if g["iso"]:
        return _year_or_next(g["iy"], int(g["im"]), int(g["id"]), today), None, None
    if g["md"]:
        return _year_or_next(g["md_y"], _month(g["md_m"]), int(g["md_d"]), today), None, None
    if g["dm"]:
        return _year_or_next(g["dm_y"], _month(g["dm_m"]), int(g["dm_d"]), today), None, None
    if g["slash"]:
        month, day, year = (
            (g["sm"], g["sd"], g["sy"]) if g["sm"] else (g["sm2"], g["sd2"], g["sy2"]) if g["sm2"] else (g["sm3"], g["sd3"], None)
        )
        month, day = int(month), int(day)
        if month > 12 >= day:
            month, day = day, month  # "20/12": only the day-first reading is a date
        return _year_or_next(year, month, day, today), None, None
    if g["nth"] or g["nth2"]:
        # "for the 10th" only where the phrase ends: "for the 21st birthday" is no date
        day = int(g["nth_d"] or g["nth2_d"])
        for months in range(0, 3):
            first = _add_months(today.replace(day=1), months)
            if day <= calendar.monthrange(first.year, first.month)[1] and first.replace(day=day) >= today:
                return first.replace(day=day), None, None
        return None, None, None
    if g["after"]:
        return today + timedelta(days=2), None, None
    if g["rel"]:
        word = g["rel"].lower()
        part = PART_OF_DAY.get((g["rel_part"] or "").lower())
        if word == "tonight":
            return today, PART_OF_DAY["night"], None
        return (today if word == "today" else today + timedelta(days=1)), part, None
    if g["part"]:
        return today, PART_OF_DAY[g["part_name"].lower()], None
    if g["wd"]:
        weekday = WEEKDAYS.index(g["wd_name"].lower())
        part = PART_OF_DAY.get((g["wd_part"] or "").lower())
        return _weekday_ahead(today, weekday, g["wd_mod"]), part, None
    if g["wda"]:
        return _weekday_ahead(today, _WEEKDAY_ABBR[g["wda_name"].lower()], None), None, None
    if g["weekend"]:
        saturday = today + timedelta(days=(5 - today.weekday()) % 7)
        if today.weekday() == 6:
            saturday = today
        if (g["we_mod"] or "").lower() == "next":
            saturday += timedelta(days=7)
        return saturday, None, None
    if g["nextp"]:
        unit = g["nextp_unit"].lower()
        if unit == "week":
            return today + timedelta(days=7 - today.weekday()), None, None
        if unit == "month":
            return _add_months(today.replace(day=1), 1), None, None
        return date(today.year + 1, 1, 1), None, None
    if g["inn"] or g["inn2"]:
        number, unit = (g["inn_n"] or "a", g["inn_unit"]) if g["inn"] else (g["inn2_n"], g["inn2_unit"])
        amount, unit = _amount(number), unit.lower()
        if unit.startswith("fortnight"):
            amount, unit = amount * 2, "weeks"
        if g["inn2"] and g["inn2"].lower().endswith("tomorrow"):
            today += timedelta(days=1)
        if unit.startswith("min"):
            return None, None, now + timedelta(minutes=amount)
        if unit.startswith("h"):
            return None, None, now + timedelta(hours=amount)
        if unit.startswith("day"):
            return today + timedelta(days=amount), None, None
        if unit.startswith("week"):
            return today + timedelta(weeks=amount), None, None
        if unit.startswith("month"):
            return _add_months(today, amount), None, None
        return _add_months(today, 12 * amount), None, None
    unit = (g["eo_unit"] or {"eom": "month", "eow": "week"}[g["eom"].lower()]).lower()
    if unit == "month":
        return today.replace(day=calendar.monthrange(today.year, today.month)[1]), None, None
    if unit == "week":
        return today + timedelta(days=(4 - today.weekday()) % 7), None, None
    if unit == "year":
        return date(today.year, 12, 31), None, None
    return today, None, None


def _resolve_time(match: re.Match) -> time | None:
    g = match.groupdict()
    if g["noon"]:
        return time(0) if g["noon"].lower() == "midnight" else time(12)
    if g["hm"]:
        hour, minute = int(g["h"]), int(g["m"] or 0)
        if not 1 <= hour <= 12 or minute > 59:
            return None
        pm = g["ap"].lower().startswith("p")
        return time(hour % 12 + (12 if pm else 0), minute)
    hour, minute = int(g["ch"]), int(g["cm"])
    return time(hour, minute) if hour < 24 and minute < 60 else None


def _bare_hour(hour: int, now: datetime | None) -> time | None:
    """An hour without am/pm: with no date, its next occurrence ("dinner at 8" said at 10:00 is
    20:00); with a date, the working-day reading ("tomorrow at 5" is 17:00, "at 9" 9:00)."""
    if now is not None and 1 <= hour <= 12:
        for candidate in (time(hour % 12), time(hour % 12 + 12)):
            if candidate > now.time():
                return candidate
        return time(hour % 12)
    if 1 <= hour <= 7:
        return time(hour + 12)
    if 8 <= hour <= 12:
        return time(hour)
    if 13 <= hour <= 23:
        return time(hour)
    return None


@lru_cache(maxsize=64)
def _dateparser_settings(base: datetime) -> dict:
    return {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": base,
        "DATE_ORDER": "MDY",
        "RETURN_AS_TIMEZONE_AWARE": False,
        "REQUIRE_PARTS": ["day"],
    }


@lru_cache(maxsize=512)
def _dateparser(phrase: str, base: datetime) -> datetime | None:
    import dateparser  # imported on first use: it is slow to load and rarely needed

    return dateparser.parse(phrase, languages=["en"], settings=_dateparser_settings(base))


def find_due(text: str, now: datetime, tz: ZoneInfo, masked: list[tuple[int, int]] = ()) -> Found:
    """The due date/time the text states (first date plus first time), and the spans that said it.

    ``masked`` spans (e.g. quoted titles) are never read. Past dates without a year roll
    to next year; a time alone means its next occurrence.
    """
    if not _DATEISH.search(text):
        return Found(None, [])
    local_now = now.astimezone(tz)
    masked = list(masked) + [m.span() for m in _MASKS.finditer(text)]
    date_match = next((m for m in _DATE.finditer(text) if not _overlaps(m.span(), masked)), None)
    spans: list[tuple[int, int]] = []
    day: date | None = None
    hint: time | None = None
    exact: datetime | None = None
    if date_match:
        day, hint, exact = _resolve_date(date_match, local_now.replace(tzinfo=None))
        if day is None and exact is None:
            date_match = None
        else:
            spans.append(date_match.span())
    clock: time | None = None
    for match in _TIME.finditer(text):
        if _overlaps(match.span(), masked + spans):
            continue
        clock = _resolve_time(match)
        if clock is not None:
            spans.append(match.span())
            break
    if clock is None:
        for match in _BARE_AT.finditer(text):
            if not _overlaps(match.span(), masked + spans):
                clock = _bare_hour(int(match.group("h")), None if day or exact else local_now.replace(tzinfo=None))
                if clock is not None:
                    spans.append(match.span())
                    break
    if exact is not None:
        return Found(Due(exact.replace(second=0, microsecond=0, tzinfo=tz), True), spans)
    if day is None and clock is None:
        due_match = _DUE_PHRASE.search(text)
        if due_match and not _overlaps(due_match.span(), masked):
            parsed = _dateparser(due_match.group("phrase").lower(), local_now.replace(tzinfo=None, second=0, microsecond=0))
            if parsed is not None:
                # "due in a fortnight" names a day; dateparser still fills in the current time
                has_time = bool(_TIMEISH.search(due_match.group("phrase")))
                at = parsed if has_time else datetime.combine(parsed.date(), time(0))
                return Found(Due(at.replace(tzinfo=tz), has_time), [due_match.span()])
        return Found(None, [])
    if day is None:
        day = local_now.date()
        if datetime.combine(day, clock) <= local_now.replace(tzinfo=None):
            day += timedelta(days=1)
    if clock is None and hint is not None:
        clock = hint
    elif clock is not None and hint is not None and hint >= time(12) and clock < time(12) and clock.hour < 12:
        # "tonight at 9" is 21:00
        clock = time(clock.hour + 12, clock.minute) if clock.hour != 0 else clock
    if clock is None:
        return Found(Due(datetime.combine(day, time(0), tzinfo=tz), False), spans)
    return Found(Due(datetime.combine(day, clock, tzinfo=tz), True), spans)
