"""A recorded week: a task repeating every day at 8:00 in Berlin with a reminder 15 minutes
before, across the change to summer time (Sunday Mar 31, 2030). Each day the delivery runs
every minute from 7:40 to 7:50 (the engine's sweep), the user completes the task at 8:30, and
the record of what was sent when is checked: one notice and one email a day, always 7:45 local."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine

from taskchat import delivery
from taskchat.agent.tools import ToolContext, complete_task
from taskchat.extensions import db
from taskchat.models import User
from taskchat.transactions import writing

BERLIN = ZoneInfo("Europe/Berlin")


def test_a_week_of_a_daily_task_with_a_reminder(mail_app, client, auth, smtp):
    first = datetime(2030, 3, 27, 8, 0, tzinfo=BERLIN)
    with time_machine.travel(first - timedelta(days=1), tick=False):
        me = auth.register(timezone="Europe/Berlin")
        client.post("/api/v1/tasks", json={"title": "Vitamins", "due_at": first.isoformat(), "recurrence": "FREQ=DAILY"},
                    headers=me.headers)
        client.post("/api/v1/tasks/1/reminders", json={"before_due_minutes": 15}, headers=me.headers)
    record = []
    with mail_app.app_context():
        user = db.session.get(User, me.user_id)
        for day in range(7):
            date = (first + timedelta(days=day)).date()
            for minute in range(40, 51):
                moment = datetime(date.year, date.month, date.day, 7, minute, tzinfo=BERLIN).astimezone(UTC)
                done = delivery.deliver_due(lambda moment=moment: moment)
                if done.notices or done.emails:
                    record.append((moment.astimezone(BERLIN).strftime("%a %d %H:%M %Z"), moment.strftime("%H:%M UTC"),
                                   done.notices, done.emails))
            completed_at = datetime(date.year, date.month, date.day, 8, 30, tzinfo=BERLIN).astimezone(UTC)
            with writing():
                complete_task(ToolContext(user, completed_at), 1)
    for line in record:
        print(*line)
    assert [line[0] for line in record] == [
        "Wed 27 07:45 CET", "Thu 28 07:45 CET", "Fri 29 07:45 CET", "Sat 30 07:45 CET",
        "Sun 31 07:45 CEST", "Mon 01 07:45 CEST", "Tue 02 07:45 CEST",
    ]
    assert [line[1] for line in record] == ["06:45 UTC"] * 4 + ["05:45 UTC"] * 3
    assert all(line[2:] == (1, 1) for line in record)
    assert len(smtp.mailbox.messages) == 7 and len({m["Message-ID"] for m in smtp.mailbox.messages}) == 7
    with time_machine.travel(first + timedelta(days=6), tick=False):  # tokens last 7 days from 2030-03-26
        task = client.get("/api/v1/tasks/1", headers=me.headers).get_json()
        notices = client.get("/api/v1/notifications", headers=me.headers).get_json()["notifications"]
    assert task["completion_count"] == 7
    assert datetime.fromisoformat(task["due_at"]).astimezone(BERLIN) == datetime(2030, 4, 3, 8, 0, tzinfo=BERLIN)
    assert len(notices) == 7
