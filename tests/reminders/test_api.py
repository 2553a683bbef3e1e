"""The reminders, notices and settings API, its OpenAPI document, and the calendar feed read back."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events


def test_reminders_under_a_task(client, auth):
    me = auth.register()
    client.post("/api/v1/tasks", json={"title": "Dentist", "due_at": "2030-01-10T09:00:00+00:00"}, headers=me.headers)
    client.post("/api/v1/tasks", json={"title": "Undated"}, headers=me.headers)
    before = client.post("/api/v1/tasks/1/reminders", json={"before_due_minutes": 10}, headers=me.headers).get_json()
    assert before["remind_at"].startswith("2030-01-10T08:50") and before["state"] == "pending"
    at = client.post("/api/v1/tasks/1/reminders", json={"remind_at": "2030-01-09T20:00:00+01:00"}, headers=me.headers)
    assert at.status_code == 201 and at.get_json()["remind_at"].startswith("2030-01-09T19:00")
    listed = client.get("/api/v1/tasks/1/reminders", headers=me.headers).get_json()["reminders"]
    assert [r["id"] for r in listed] == [at.get_json()["id"], before["id"]]
    # Moving the task moves the relative reminder with it.
    client.patch("/api/v1/tasks/1", json={"due_at": "2030-01-11T09:00:00+00:00"}, headers=me.headers)
    moved = {r["id"]: r for r in client.get("/api/v1/tasks/1/reminders", headers=me.headers).get_json()["reminders"]}
    assert moved[before["id"]]["remind_at"].startswith("2030-01-11T08:50")
    assert client.delete(f"/api/v1/tasks/1/reminders/{before['id']}", headers=me.headers).get_json() == {"ok": True}
    assert client.delete(f"/api/v1/tasks/1/reminders/{before['id']}", headers=me.headers).status_code == 404


def test_bad_reminders_are_422_and_someone_elses_are_404(client, auth):
    me, other = auth.register(), auth.register()
    client.post("/api/v1/tasks", json={"title": "Undated"}, headers=me.headers)
    for body in ({}, {"remind_at": "2030-01-01T09:00:00+00:00", "before_due_minutes": 5}, {"remind_at": "tomorrow"},
                 {"remind_at": "2030-01-01T09:00:00"}, {"before_due_minutes": -1}, {"before_due_minutes": 10}):
        response = client.post("/api/v1/tasks/1/reminders", json=body, headers=me.headers)
        assert response.status_code == 422, body
        assert set(response.get_json()["error"]) >= {"code", "message"}
    assert client.get("/api/v1/tasks/1/reminders", headers=other.headers).status_code == 404
    ok = client.post("/api/v1/tasks/1/reminders", json={"remind_at": "2030-01-01T09:00:00+00:00"}, headers=me.headers)
    rid = ok.get_json()["id"]
    client.post("/api/v1/tasks", json={"title": "Theirs"}, headers=other.headers)
    assert client.delete(f"/api/v1/tasks/1/reminders/{rid}", headers=other.headers).status_code == 404
    assert client.post("/api/v1/notifications/1/read", headers=other.headers).status_code == 404


def test_me_settings(client, auth):
    me = auth.register(timezone="Europe/Berlin")
    shown = client.get("/api/v1/me", headers=me.headers).get_json()
    assert (shown["timezone"], shown["email_reminders"], shown["default_reminder_minutes"], shown["calendar_url"]) == (
        "Europe/Berlin", True, None, None)
    changed = client.patch("/api/v1/me", json={"timezone": "America/New_York", "default_reminder_minutes": 15},
                           headers=me.headers).get_json()
    assert changed["timezone"] == "America/New_York" and changed["user"]["timezone"] == "America/New_York"
    assert client.patch("/api/v1/me", json={"timezone": "Mars/Olympus"}, headers=me.headers).status_code == 422
    # The default offset gives every new task with a due time its reminder.
    client.post("/api/v1/tasks", json={"title": "Standup", "due_at": "2030-01-10T09:00:00-05:00"}, headers=me.headers)
    [reminder] = client.get("/api/v1/tasks/1/reminders", headers=me.headers).get_json()["reminders"]
    assert reminder["before_due_minutes"] == 15


def test_the_openapi_document_has_the_new_operations(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert set(paths["/api/v1/tasks/{number}/reminders"]) == {"get", "post"}
    assert set(paths["/api/v1/tasks/{number}/reminders/{reminder_id}"]) == {"delete"}
    assert "get" in paths["/api/v1/notifications"] and "post" in paths["/api/v1/notifications/{notification_id}/read"]
    assert set(paths["/api/v1/me"]) == {"get", "patch", "delete"}  # delete: the account itself
    assert set(paths["/api/v1/me/password"]) == {"post"}


def test_calendar_feed_parsed_back_and_expanded(client, auth):
    me = auth.register(timezone="Europe/Berlin")
    tz = ZoneInfo("Europe/Berlin")
    client.post("/api/v1/tasks", json={"title": "Vitamins", "due_at": "2030-03-29T08:00:00+01:00",
                                       "recurrence": "FREQ=DAILY"}, headers=me.headers)
    client.post("/api/v1/tasks/1/reminders", json={"before_due_minutes": 15}, headers=me.headers)
    client.post("/api/v1/tasks", json={"title": "Trash", "due_at": "2030-03-25T00:00:00+02:00", "due_has_time": False,
                                       "recurrence": "FREQ=WEEKLY;BYDAY=MO"}, headers=me.headers)
    client.post("/api/v1/tasks", json={"title": "No date"}, headers=me.headers)
    client.post("/api/v1/tasks", json={"title": "Done", "due_at": "2030-03-29T08:00:00+02:00"}, headers=me.headers)
    client.patch("/api/v1/tasks/4", json={"completed": True}, headers=me.headers)
    url = client.patch("/api/v1/me", json={"calendar": "rotate"}, headers=me.headers).get_json()["calendar_url"]
    assert url and url == client.get("/api/v1/me", headers=me.headers).get_json()["calendar_url"]
    path = url.split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path)  # no token: the secret is the key
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    calendar = icalendar.Calendar.from_ical(response.data)
    events = {str(e["summary"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {"Vitamins", "Trash"}
    [alarm] = events["Vitamins"].walk("VALARM")
    assert alarm["trigger"].dt == timedelta(minutes=-15)
    week = recurring_ical_events.of(calendar).between(datetime(2030, 3, 25, tzinfo=tz), datetime(2030, 4, 2, tzinfo=tz))
    vitamins = sorted(e["dtstart"].dt for e in week if str(e["summary"]) == "Vitamins")
    assert [d.astimezone(tz).hour for d in vitamins] == [8] * 4  # Mar 29 … Apr 1, 8:00 local each day, summer time from Mar 31
    assert [d.astimezone(tz).date() for d in vitamins][0] == date(2030, 3, 29)
    trash = [e["dtstart"].dt for e in week if str(e["summary"]) == "Trash"]
    assert trash == [date(2030, 3, 25), date(2030, 4, 1)]
    # Rotated: the old URL stops working; revoked: none works, and wrong secrets never do.
    new_url = client.patch("/api/v1/me", json={"calendar": "rotate"}, headers=me.headers).get_json()["calendar_url"]
    assert client.get("/" + path).status_code == 404
    assert client.get("/" + new_url.split("://", 1)[1].split("/", 1)[1]).status_code == 200
    assert client.patch("/api/v1/me", json={"calendar": "revoke"}, headers=me.headers).get_json()["calendar_url"] is None
    assert client.get("/" + new_url.split("://", 1)[1].split("/", 1)[1]).status_code == 404
    assert client.get("/calendar/not-a-secret.ics").status_code == 404


def test_feed_of_one_user_never_shows_another(client, auth):
    me, other = auth.register(), auth.register()
    client.post("/api/v1/tasks", json={"title": "Mine", "due_at": "2030-01-10T09:00:00+00:00"}, headers=me.headers)
    client.post("/api/v1/tasks", json={"title": "Theirs", "due_at": "2030-01-10T09:00:00+00:00"}, headers=other.headers)
    url = client.patch("/api/v1/me", json={"calendar": "rotate"}, headers=me.headers).get_json()["calendar_url"]
    body = client.get("/" + url.split("://", 1)[1].split("/", 1)[1]).get_data(as_text=True)
    assert "Mine" in body and "Theirs" not in body
    assert datetime.now(UTC)  # the feed is built at request time


def test_an_empty_recurrence_means_no_repeat(client, auth):
    account = auth.register()
    created = client.post("/api/v1/tasks", json={"title": "Rent", "recurrence": ""}, headers=account.headers)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["recurrence"] is None
    number = created.get_json()["number"]
    weekly = client.patch(f"/api/v1/tasks/{number}", json={"recurrence": "FREQ=WEEKLY"}, headers=account.headers)
    assert weekly.get_json()["recurrence"] == "FREQ=WEEKLY"
    cleared = client.patch(f"/api/v1/tasks/{number}", json={"recurrence": ""}, headers=account.headers)
    assert cleared.status_code == 200, cleared.get_json()
    assert cleared.get_json()["recurrence"] is None
    too_long = client.post("/api/v1/tasks", json={"title": "Rent", "recurrence": "FREQ=DAILY;" * 30}, headers=account.headers)
    assert too_long.status_code == 422 and too_long.get_json()["error"]["code"] == "invalid_fields"


def test_a_whole_number_written_as_a_float_is_an_integer(client, auth):
    account = auth.register()
    answer = client.patch("/api/v1/me", json={"default_reminder_minutes": 30.0}, headers=account.headers)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["default_reminder_minutes"] == 30
    half = client.patch("/api/v1/me", json={"default_reminder_minutes": 30.5}, headers=account.headers)
    assert half.status_code == 422
