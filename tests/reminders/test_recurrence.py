"""Repeating tasks: the RRULE checked, expanded on local wall-clock time (DST), completing moves
the task and its reminders, undo puts them back, "stop repeating" ends it. Time is injected."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from taskchat import recurrence, reminders, tasks
from taskchat.agent.tools import (
    ToolContext,
    add_task,
    complete_task,
    undo_completion,
    update_task,
)
from taskchat.extensions import db
from taskchat.models import Reminder, User
from taskchat.transactions import writing


@pytest.mark.parametrize(
    ("zone", "first", "expected_utc_hours"),
    [
        # 8:00 local every day across the spring change (Berlin: Mar 29, New York: Mar 8)...
        ("Europe/Berlin", datetime(2026, 3, 27, 7, 0, tzinfo=UTC), [7, 7, 6, 6]),
        ("America/New_York", datetime(2026, 3, 6, 13, 0, tzinfo=UTC), [13, 13, 12, 12]),
        # ... and the autumn one (Berlin: Oct 25, New York: Nov 1)
        ("Europe/Berlin", datetime(2026, 10, 23, 6, 0, tzinfo=UTC), [6, 6, 7, 7]),
        ("America/New_York", datetime(2026, 10, 30, 12, 0, tzinfo=UTC), [12, 12, 13, 13]),
    ],
)
def test_a_daily_8am_stays_8am_local_across_dst(zone, first, expected_utc_hours):
    tz = ZoneInfo(zone)
    found = recurrence.occurrences("FREQ=DAILY", first, tz, first + timedelta(days=3, hours=2))
    assert [moment.hour for moment in found] == expected_utc_hours
    assert {moment.astimezone(tz).hour for moment in found} == {8}


@pytest.mark.parametrize(
    "bad",
    ["whenever lol", "freq=daily", "FREQ=MINUTELY", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
     "FREQ=DAILY;DTSTART=20260101", "FREQ=DAILY;INTERVAL=0", "", "FREQ=WEEKLY;BYDAY=XX"],
)
def test_bad_rules_are_refused(bad):
    with pytest.raises(recurrence.InvalidRule):
        recurrence.normalize(bad)


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("FREQ=WEEKLY;BYDAY=MO", "every week on Monday"),
        ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "every weekday"),
        ("FREQ=WEEKLY;INTERVAL=2", "every other week"),
        ("FREQ=DAILY;INTERVAL=3", "every 3 days"),
        ("FREQ=MONTHLY;BYMONTHDAY=1", "every month on the 1st"),
        ("FREQ=MONTHLY;BYDAY=-1FR", "every month on the last Friday"),
        ("FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=3", "every year on March 3"),
        ("FREQ=WEEKLY;COUNT=5", "every week, 5 times"),
    ],
)
def test_rules_said_in_words(rule, words):
    assert recurrence.describe(recurrence.normalize(rule)) == words


def test_the_rest_api_refuses_a_bad_rule_naming_the_field(client, auth):
    me = auth.register()
    response = client.post("/api/v1/tasks", json={"title": "Trash", "recurrence": "whenever lol"}, headers=me.headers)
    assert response.status_code == 422
    assert response.get_json()["error"]["details"][0]["field"] == "recurrence"
    assert client.get("/api/v1/tasks", headers=me.headers).get_json()["tasks"] == []
    response = client.post(
        "/api/v1/tasks",
        json={"title": "Trash", "recurrence": "FREQ=WEEKLY;BYDAY=MO", "due_at": "2026-12-07T07:00:00+00:00"},
        headers=me.headers,
    )
    assert response.status_code == 201
    body = response.get_json()
    assert (body["recurrence"], body["recurrence_text"]) == ("FREQ=WEEKLY;BYDAY=MO", "every week on Monday")
    bad = client.patch("/api/v1/tasks/1", json={"recurrence": "FREQ=HOURLY"}, headers=me.headers)
    assert bad.status_code == 422 and bad.get_json()["error"]["details"][0]["field"] == "recurrence"


def _user(app, zone="Europe/Berlin") -> User:
    user = User(email=f"u{datetime.now().timestamp()}@example.com", timezone=zone, password_hash="x")
    db.session.add(user)
    db.session.commit()
    return user


def test_completing_a_repeating_task_moves_it_and_its_reminders_and_undo_puts_them_back(app):
    with app.app_context():
        user = _user(app)
        tz = ZoneInfo("Europe/Berlin")
        now = datetime(2026, 3, 27, 5, 0, tzinfo=UTC)  # Friday 6:00 in Berlin
        ctx = ToolContext(user, now)
        with writing():
            task = add_task(ctx, title="Vitamins", due_at="2026-03-27T08:00:00+01:00", due_has_time=True, recurrence="FREQ=DAILY")
            stored = tasks.get(user, task["number"])
            relative = reminders.add(user, stored, before_due_minutes=30, now=now)
            absolute = reminders.add(user, stored, remind_at="2026-03-27T07:45:00+01:00", now=now)
        # The absolute reminder fired (delivery marks it sent).
        with writing():
            absolute.state, absolute.sent_at = "sent", now
        later = datetime(2026, 3, 27, 9, 0, tzinfo=UTC)
        with writing():
            done = complete_task(ToolContext(user, later), task["number"])
        assert done["completed"] is False and done["completion_count"] == 1
        assert done["last_completed_at"] == later.isoformat()
        # Saturday 8:00 local; Sunday is the change, checked on the next completion.
        assert datetime.fromisoformat(done["due_at"]).astimezone(tz) == datetime(2026, 3, 28, 8, 0, tzinfo=tz)
        db.session.expire_all()
        moved = {r.id: r for r in db.session.query(Reminder)}
        assert moved[relative.id].remind_at.astimezone(tz) == datetime(2026, 3, 28, 7, 30, tzinfo=tz)
        assert moved[absolute.id].remind_at.astimezone(tz) == datetime(2026, 3, 28, 7, 45, tzinfo=tz)
        assert moved[absolute.id].state == "pending"  # re-armed for the next occurrence
        with writing():
            again = complete_task(ToolContext(user, datetime(2026, 3, 28, 9, 0, tzinfo=UTC)), task["number"])
        sunday = datetime.fromisoformat(again["due_at"])
        assert sunday.astimezone(tz).hour == 8 and sunday.hour == 6  # summer time: 8:00 is 6:00 UTC
        db.session.expire_all()
        assert db.session.get(Reminder, absolute.id).remind_at.astimezone(tz).hour == 7
        # Undo the second completion: back to Saturday, count 1, reminders as they were.
        with writing():
            undo_completion(ToolContext(user, later), task["number"], again["repeated"])
        db.session.expire_all()
        back = tasks.get(user, task["number"])
        assert back.due_at.astimezone(tz) == datetime(2026, 3, 28, 8, 0, tzinfo=tz) and back.completion_count == 1
        assert db.session.get(Reminder, relative.id).remind_at.astimezone(tz) == datetime(2026, 3, 28, 7, 30, tzinfo=tz)


def test_count_ends_the_series_and_stop_repeating_completes_for_good(app):
    with app.app_context():
        user = _user(app, "UTC")
        now = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
        ctx = ToolContext(user, now)
        with writing():
            task = add_task(ctx, title="Physio", due_at="2026-06-01T10:00:00+00:00", due_has_time=True, recurrence="FREQ=DAILY;COUNT=2")
            first = complete_task(ctx, task["number"])
            second = complete_task(ToolContext(user, now + timedelta(days=1)), task["number"])
        assert first["completed"] is False and first["due_at"].startswith("2026-06-02T10:00")
        assert second["completed"] is True and second["completion_count"] == 2
        with writing():
            other = add_task(ctx, title="Trash", due_at="2026-06-01T07:00:00+00:00", due_has_time=True, recurrence="FREQ=WEEKLY")
            update_task(ctx, other["number"], recurrence=None)
            done = complete_task(ctx, other["number"])
        assert done["completed"] is True and done["recurrence"] is None
        with pytest.raises(tasks.TaskError, match="recurrence"), writing():
            update_task(ctx, other["number"], recurrence="whenever lol")


def test_complete_and_delete_cancel_pending_reminders_and_undo_brings_them_back(app, client, auth, chat):
    me = auth.register()
    client.post("/api/v1/tasks", json={"title": "Dentist", "due_at": "2030-01-10T09:00:00+00:00"}, headers=me.headers)
    added = client.post("/api/v1/tasks/1/reminders", json={"before_due_minutes": 10}, headers=me.headers)
    assert added.status_code == 201
    assert client.patch("/api/v1/tasks/1", json={"completed": True}, headers=me.headers).status_code == 200
    assert [r["state"] for r in client.get("/api/v1/tasks/1/reminders", headers=me.headers).get_json()["reminders"]] == ["cancelled"]
    client.patch("/api/v1/tasks/1", json={"completed": False}, headers=me.headers)
    assert [r["state"] for r in client.get("/api/v1/tasks/1/reminders", headers=me.headers).get_json()["reminders"]] == ["pending"]
    # Deleting through the agent, then "undo": the task comes back with its reminder.
    reply = chat(me, "delete task 1")
    assert reply["metadata"]["intent"] == "DELETE"
    chat(me, "undo", reply["conversation_id"])
    back = client.get("/api/v1/tasks/1/reminders", headers=me.headers).get_json()["reminders"]
    assert [(r["state"], r["before_due_minutes"]) for r in back] == [("pending", 10)]
