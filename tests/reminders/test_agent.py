"""The agent's reminder and repeat phrasings, through the real chat API and database, with the
clock set (time-machine) to Thu Dec 3 2026, 12:00 UTC; the user lives in Europe/Berlin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from taskchat import delivery

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def me(auth, clock):
    return auth.register(timezone="Europe/Berlin")


def _reminders(client, me, number):
    return client.get(f"/api/v1/tasks/{number}/reminders", headers=me.headers).get_json()["reminders"]


def _local(iso):
    return datetime.fromisoformat(iso).astimezone(BERLIN)


def test_remind_me_to_creates_the_task_and_a_reminder_at_its_due_time(client, chat, me):
    reply = chat(me, "remind me to call mom at 5pm")
    assert reply["metadata"]["intent"] == "CREATE"
    assert "Call mom" in reply["response"] and "I'll remind you today at 5 PM" in reply["response"]
    [reminder] = _reminders(client, me, 1)
    assert _local(reminder["remind_at"]) == datetime(2026, 12, 3, 17, 0, tzinfo=BERLIN)
    # "undo" takes back both the task and its reminder.
    chat(me, "undo", reply["conversation_id"])
    assert client.get("/api/v1/tasks", headers=me.headers).get_json()["tasks"] == []


def test_a_reminder_on_an_existing_task_not_a_new_task(client, chat, me):
    client.post("/api/v1/tasks", json={"title": "Dentist", "due_at": "2026-12-04T10:00:00+01:00"}, headers=me.headers)
    reply = chat(me, "remind me 10 minutes before the dentist")
    assert reply["metadata"]["intent"] == "REMIND", reply
    assert len(client.get("/api/v1/tasks", headers=me.headers).get_json()["tasks"]) == 1
    [reminder] = _reminders(client, me, 1)
    assert reminder["before_due_minutes"] == 10 and _local(reminder["remind_at"]).strftime("%H:%M") == "09:50"
    assert "tomorrow at 9:50 AM" in reply["response"]
    # "an hour before" means the task just talked about.
    chat(me, "remind me an hour before", reply["conversation_id"])
    assert sorted(r["before_due_minutes"] for r in _reminders(client, me, 1)) == [10, 60]
    chat(me, "remind me the day before at 9", reply["conversation_id"])
    assert datetime(2026, 12, 3, 9, 0, tzinfo=BERLIN) in [_local(r["remind_at"]) for r in _reminders(client, me, 1)]


def test_remind_me_about_task_n_at_a_time_and_list_and_stop(client, chat, me):
    for title in ("Pay rent", "Water plants", "Dentist"):
        client.post("/api/v1/tasks", json={"title": title}, headers=me.headers)
    reply = chat(me, "remind me about task 3 tomorrow at 9")
    assert reply["metadata"]["intent"] == "REMIND"
    [reminder] = _reminders(client, me, 3)
    assert _local(reminder["remind_at"]) == datetime(2026, 12, 4, 9, 0, tzinfo=BERLIN)
    listed = chat(me, "what reminders do I have")
    assert listed["metadata"]["intent"] == "REMIND" and "Dentist (task 3): tomorrow at 9 AM" in listed["response"]
    stopped = chat(me, "stop reminding me about the dentist")
    assert "won't remind you about 'Dentist'" in stopped["response"]
    assert _reminders(client, me, 3) == []
    assert chat(me, "what reminders do I have")["response"].startswith("You have no reminders set.")


def test_snooze_after_a_reminder_fired(app, client, chat, me, clock):
    client.post("/api/v1/tasks", json={"title": "Stretch", "due_at": (NOW + timedelta(minutes=5)).isoformat()},
                headers=me.headers)
    client.post("/api/v1/tasks/1/reminders", json={"before_due_minutes": 0}, headers=me.headers)
    clock.shift(timedelta(minutes=6))
    with app.app_context():
        assert delivery.deliver_due().notices == 1
    reply = chat(me, "snooze it for an hour")
    assert reply["metadata"]["intent"] == "REMIND" and "again today at 2:06 PM" in reply["response"]
    pending = [r for r in _reminders(client, me, 1) if r["state"] == "pending"]
    assert [_local(r["remind_at"]).strftime("%H:%M") for r in pending] == ["14:06"]
    again = chat(me, "remind me again tonight")
    assert "again today at 8 PM" in again["response"]
    assert client.get("/api/v1/notifications", headers=me.headers).get_json()["unread"] == 0


@pytest.mark.parametrize(
    ("say", "rule", "words"),
    [
        ("add take out the trash every monday", "FREQ=WEEKLY;BYDAY=MO", "every week on Monday"),
        ("add standup every weekday at 9", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "every weekday"),
        ("add clean the fridge every other week", "FREQ=WEEKLY;INTERVAL=2", "every other week"),
        ("add water plants every 3 days", "FREQ=DAILY;INTERVAL=3", "every 3 days"),
        ("add vitamins daily at 8", "FREQ=DAILY", "every day"),
        ("add pay rent on the 1st of every month", "FREQ=MONTHLY;BYMONTHDAY=1", "every month on the 1st"),
        ("add team retro every last friday of the month", "FREQ=MONTHLY;BYDAY=-1FR", "every month on the last Friday"),
        ("add mom's birthday every year on march 3", "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=3", "every year on March 3"),
        ("add yoga every tuesday until june", "FREQ=WEEKLY;BYDAY=TU;UNTIL=20270630", "every week on Tuesday, until Wed Jun 30, 2027"),
        ("add physio every day for 5 times", "FREQ=DAILY;COUNT=5", "every day, 5 times"),
    ],
)
def test_repeats_read_as_rrules_and_said_back(client, chat, me, say, rule, words):
    reply = chat(me, say)
    [task] = client.get("/api/v1/tasks", headers=me.headers).get_json()["tasks"]
    assert task["recurrence"] == rule
    assert f"repeats {words}" in reply["response"]


def test_a_repeating_task_with_a_reminder_moves_on_when_done_and_stop_repeating(client, chat, me):
    reply = chat(me, "add take out the trash every monday at 7am")
    [task] = client.get("/api/v1/tasks", headers=me.headers).get_json()["tasks"]
    assert _local(task["due_at"]) == datetime(2026, 12, 7, 7, 0, tzinfo=BERLIN)
    chat(me, "remind me 30 minutes before", reply["conversation_id"])
    done = chat(me, "mark it done", reply["conversation_id"])
    assert done["metadata"]["intent"] == "COMPLETE"
    task = client.get("/api/v1/tasks/1", headers=me.headers).get_json()
    assert _local(task["due_at"]) == datetime(2026, 12, 14, 7, 0, tzinfo=BERLIN) and task["completion_count"] == 1
    assert _local(_reminders(client, me, 1)[0]["remind_at"]) == datetime(2026, 12, 14, 6, 30, tzinfo=BERLIN)
    chat(me, "undo", reply["conversation_id"])
    assert _local(client.get("/api/v1/tasks/1", headers=me.headers).get_json()["due_at"]).day == 7
    chat(me, "stop repeating task 1")
    assert client.get("/api/v1/tasks/1", headers=me.headers).get_json()["recurrence"] is None
