"""The user's calendar feed: ``/calendar/<secret>.ics``, read by calendar apps that subscribe.

No token: the secret in the URL is the key (``account.rotate_calendar_secret``), so a feed
that is revoked or rotated answers 404 like any wrong secret. Every open task with a due date
is a VEVENT (an all-day one for a date without a time) with its RRULE and a VALARM for each
pending reminder, built with the ``icalendar`` package.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Blueprint, Response, abort, request
from icalendar import Alarm, Calendar, Event, vRecur
from sqlalchemy import select

from .extensions import db
from .models import Reminder, Task, User
from .reminders import zone

bp = Blueprint("calendar", __name__)

MAX_SECRET = 64


def build_feed(user: User, now: datetime) -> bytes:
    """The iCalendar text of ``user``'s open, dated tasks."""
    tz = zone(user)
    calendar = Calendar()
    calendar.add("prodid", "-//taskchat//tasks//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "taskchat")
    calendar.add("x-wr-timezone", str(tz))
    tasks = list(
        db.session.scalars(
            select(Task).where(Task.user_id == user.id, Task.completed.is_(False), Task.due_at.is_not(None)).order_by(Task.number)
        )
    )
    pending: dict[int, list[Reminder]] = {}
    if tasks:
        for reminder in db.session.scalars(
            select(Reminder).where(Reminder.user_id == user.id, Reminder.state == "pending").order_by(Reminder.remind_at)
        ):
            pending.setdefault(reminder.task_id, []).append(reminder)
    host = request.host.split(":")[0] if request else "taskchat"
    for task in tasks:
        event = Event()
        event.add("uid", f"task-{task.id}@{host}")
        event.add("dtstamp", now)
        event.add("summary", task.title)
        if task.description:
            event.add("description", task.description)
        local = task.due_at.astimezone(tz)
        if task.due_has_time:
            event.add("dtstart", local)
            event.add("duration", timedelta(minutes=30))
        else:
            event.add("dtstart", local.date())
            event.add("dtend", local.date() + timedelta(days=1))
        if task.recurrence:
            event.add("rrule", vRecur.from_ical(task.recurrence))
        for reminder in pending.get(task.id, []):
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", task.title)
            if reminder.before_due_minutes is not None:
                alarm.add("trigger", timedelta(minutes=-reminder.before_due_minutes))
            else:
                alarm.add("trigger", reminder.remind_at.astimezone(UTC))
            event.add_component(alarm)
        calendar.add_component(event)
    return calendar.to_ical()


@bp.get("/calendar/<secret>.ics")
def feed(secret: str):
    """The feed, for whoever holds the secret; a wrong or revoked one is a 404."""
    if not secret or len(secret) > MAX_SECRET:
        abort(404)
    user = db.session.scalar(select(User).where(User.calendar_secret == secret))
    if user is None:
        abort(404)
    body = build_feed(user, datetime.now(UTC))
    response = Response(body, mimetype="text/calendar")
    response.headers["Cache-Control"] = "private, max-age=300"
    return response
