"""Repeating tasks: an RFC 5545 RRULE, checked, expanded in the user's local time, said in words.

A task's ``recurrence`` is the RRULE's value without ``DTSTART`` (``FREQ=WEEKLY;BYDAY=MO``);
the series is anchored at the task's due time. Occurrences are expanded with python-dateutil's
``rrule`` on *local wall-clock* time and only then turned into UTC, so a daily 8:00 stays 8:00
in Europe/Berlin across the March and October changes (the UTC hour moves instead).

Every expansion here is bounded: sub-daily frequencies are refused (a minutely rule anchored
years ago would walk millions of steps), and the first occurrence is looked for in a window of
a few years, so a rule that never happens ("every 30 February") is refused instead of searched
for until the year 9999.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule, rrulestr

MAX_LENGTH = 255
FREQUENCIES = {"DAILY": DAILY, "WEEKLY": WEEKLY, "MONTHLY": MONTHLY, "YEARLY": YEARLY}
# How far ahead an occurrence must exist for the rule to count as one that happens.
_HORIZON = timedelta(days=366 * 8)
# Plain rule parts: NAME=VALUE separated by ';' (no DTSTART, no RDATE/EXDATE lines).
_PART = re.compile(r"[A-Z]+=[A-Z0-9,+\-:]+")
# The rules a task takes, as one pattern (the OpenAPI document states it; ``normalize`` checks
# it first, so the two agree): FREQ first, then the parts a to-do app needs, values bounded.
_WEEKDAY = "(MO|TU|WE|TH|FR|SA|SU)"
_DAY = f"([+-]?[1-4])?{_WEEKDAY}"
_MONTHDAY = "-?([1-9]|1[0-9]|2[0-8])"
_MONTH = "([1-9]|1[0-2])"
RRULE_PATTERN = (
    "^(RRULE:)?FREQ=(DAILY|WEEKLY|MONTHLY|YEARLY)"
    "(;(INTERVAL=[1-9][0-9]{0,2}|COUNT=[1-9][0-9]{0,2}"
    "|UNTIL=2[0-9]{3}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])"
    f"|BYDAY={_DAY}(,{_DAY})*|BYMONTHDAY={_MONTHDAY}(,{_MONTHDAY})*|BYMONTH={_MONTH}(,{_MONTH})*"
    f"|BYSETPOS=-?[1-4]|WKST={_WEEKDAY}))*$"
)
_RRULE = re.compile(RRULE_PATTERN)
_ALLOWED_PARTS = {"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "WKST"}
_DAY_NAMES = {"MO": "Monday", "TU": "Tuesday", "WE": "Wednesday", "TH": "Thursday", "FR": "Friday",
              "SA": "Saturday", "SU": "Sunday"}
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"]
_UNITS = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year"}

# What the rule agent stored before rules were RRULEs (the migration converts them too).
LEGACY_LABELS = {
    "daily": "FREQ=DAILY",
    "weekdays": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
    "weekly": "FREQ=WEEKLY",
    "biweekly": "FREQ=WEEKLY;INTERVAL=2",
    "every 2 days": "FREQ=DAILY;INTERVAL=2",
    "monthly": "FREQ=MONTHLY",
    "yearly": "FREQ=YEARLY",
}


class InvalidRule(ValueError):
    """Not a recurrence taskchat can keep: the message says why, for the user."""


def _parts(rule: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    for piece in rule.split(";"):
        if not _PART.fullmatch(piece):
            raise InvalidRule(f"'{piece}' is not an RRULE part such as FREQ=WEEKLY")
        name, value = piece.split("=", 1)
        if name not in _ALLOWED_PARTS:
            raise InvalidRule(f"{name} is not allowed in a task's RRULE")
        parts[name] = value  # given twice, the last one holds
    return parts


def normalize(rule: str) -> str:
    """The rule as stored (upper case, no ``RRULE:`` prefix), or ``InvalidRule``.

    Checked by parsing it with dateutil and finding a first occurrence within a bounded
    window, so every stored rule can be expanded.
    """
    if not isinstance(rule, str) or not rule or len(rule) > MAX_LENGTH:
        raise InvalidRule(f"must be an RRULE of 1 to {MAX_LENGTH} characters such as FREQ=WEEKLY")
    if not _RRULE.fullmatch(rule):
        raise InvalidRule("must be upper-case RRULE parts such as FREQ=WEEKLY;BYDAY=MO (FREQ first)")
    text = rule[len("RRULE:"):] if rule.startswith("RRULE:") else rule
    parts = _parts(text)
    if "UNTIL" in parts:
        # A day past the month's end ("until 31 June") means its last day.
        until = parts["UNTIL"]
        year, month = int(until[:4]), int(until[4:6])
        parts["UNTIL"] = f"{until[:6]}{min(int(until[6:8]), calendar.monthrange(year, month)[1]):02d}"
    text = ";".join(f"{name}={value}" for name, value in parts.items())
    pattern = ";".join(f"{k}={v}" for k, v in parts.items() if k not in ("COUNT", "UNTIL"))
    start = datetime(2000, 1, 1)
    try:
        _rule(text, start)
        # Whether the pattern can happen at all (UNTIL and COUNT aside): 8 years hold every
        # weekday of every date, 29 February included.
        happens = _rule(pattern, start).between(start, start + _HORIZON, inc=True)
    except (ValueError, TypeError, IndexError, KeyError, OverflowError) as exc:
        raise InvalidRule(f"is not a valid RRULE ({exc})") from exc
    if not happens:
        raise InvalidRule("never happens (no date matches it)")
    return text


def _rule(text: str, dtstart: datetime) -> rrule:
    """The dateutil rule for stored ``text`` anchored at naive local ``dtstart``.

    UNTIL is read as local wall-clock time (a floating time in RFC 5545 terms) so that it can
    be compared with the naive local occurrences.
    """
    parts = _parts(text)
    # COUNT is applied by counting completions (``next_occurrence``): the series' anchor moves
    # with the task, so dateutil would count from the wrong start.
    parts.pop("COUNT", None)
    if "UNTIL" in parts:
        until = parts["UNTIL"].rstrip("Z")
        if len(until) == 8:
            until += "T235959"
        parts["UNTIL"] = until
    body = ";".join(f"{name}={value}" for name, value in parts.items())
    return rrulestr(body, dtstart=dtstart)


def _local(moment: datetime, tz: ZoneInfo) -> datetime:
    return moment.astimezone(tz).replace(tzinfo=None)


def _aware(local: datetime, tz: ZoneInfo) -> datetime:
    return local.replace(tzinfo=tz).astimezone(UTC)


def next_occurrence(
    rule: str, due_at: datetime, tz: ZoneInfo, *, after: datetime | None = None, done: int = 0,
    inclusive: bool = False,
) -> datetime | None:
    """The first occurrence strictly after ``after`` (default: ``due_at``) of a series anchored
    at ``due_at``, in UTC; ``None`` when the series is over (UNTIL passed, or COUNT used up by
    the ``done`` completions so far, this one included)."""
    parts = _parts(rule)
    if "COUNT" in parts and done >= int(parts["COUNT"]):
        return None
    anchor = _local(due_at, tz)
    after_local = _local(max(after or due_at, due_at), tz)
    found = _rule(rule, anchor).after(after_local, inc=inclusive)
    return _aware(found, tz) if found is not None else None


def occurrences(rule: str, due_at: datetime, tz: ZoneInfo, until: datetime) -> list[datetime]:
    """Every occurrence from ``due_at`` (itself included) up to ``until``, in UTC."""
    anchor = _local(due_at, tz)
    found = [anchor] + _rule(rule, anchor).between(anchor, _local(until, tz), inc=True)
    return sorted({_aware(moment, tz) for moment in found})


def _ordinal(number: int) -> str:
    if 10 <= number % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def _day(value: str) -> str:
    match = re.fullmatch(r"([+-]?\d+)?([A-Z]{2})", value)
    if not match:
        return value
    position, name = match.groups()
    day = _DAY_NAMES.get(name, name)
    if not position:
        return day
    number = int(position)
    return f"{'last' if number == -1 else _ordinal(number)} {day}"


def describe(rule: str | None) -> str | None:
    """The rule in words: "every week on Monday", "every 3 days", "monthly on the last Friday, 5 times"."""
    if not rule:
        return None
    try:
        parts = _parts(rule)
    except InvalidRule:
        return rule
    freq = parts.get("FREQ", "")
    unit = _UNITS.get(freq, freq.lower())
    interval = int(parts.get("INTERVAL", "1") or 1)
    days = parts.get("BYDAY", "").split(",") if parts.get("BYDAY") else []
    month, monthday = parts.get("BYMONTH", ""), parts.get("BYMONTHDAY", "")
    if days and set(days) == {"MO", "TU", "WE", "TH", "FR"} and interval == 1 and freq in ("WEEKLY", "DAILY"):
        words = "every weekday"
    elif freq == "YEARLY" and interval == 1 and month.isdigit() and monthday.isdigit() and not days:
        words = f"every year on {_MONTHS[int(month) - 1]} {int(monthday)}"
    else:
        if interval == 1:
            words = {"DAILY": "every day", "WEEKLY": "every week", "MONTHLY": "every month", "YEARLY": "every year"}[freq]
        elif interval == 2:
            words = f"every other {unit}"
        else:
            words = f"every {interval} {unit}s"
        if days:
            named = [_day(day) for day in days]
            words += " on " + (", ".join(named[:-1]) + " and " + named[-1] if len(named) > 1 else named[0])
            if freq == "MONTHLY" and any(re.match(r"[+-]?\d", day) for day in days):
                words = words.replace(" on ", " on the ", 1)
        if parts.get("BYMONTHDAY"):
            values = [int(v) for v in parts["BYMONTHDAY"].split(",")]
            named = ["last day" if v == -1 else _ordinal(v) for v in values]
            words += " on the " + " and ".join(named)
        if parts.get("BYMONTH"):
            months = [_MONTHS[int(v) - 1] for v in parts["BYMONTH"].split(",") if v.isdigit() and 1 <= int(v) <= 12]
            if months:
                words += " in " + " and ".join(months)
    if parts.get("COUNT"):
        count = int(parts["COUNT"])
        words += f", {count} time{'s' if count != 1 else ''}"
    if parts.get("UNTIL"):
        until = parts["UNTIL"]
        try:
            day = date(int(until[:4]), int(until[4:6]), int(until[6:8]))
            words += f", until {day.strftime('%a %b')} {day.day}, {day.year}"
        except ValueError:
            words += f", until {until}"
    return words
