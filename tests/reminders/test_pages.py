"""Reminders on the page without JavaScript: the count in the top bar, the notices with plain
dismiss/snooze/done forms, the settings page, and a time-zone select on sign-up."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from taskchat import delivery
from taskchat.extensions import db
from taskchat.models import User
from tests.helpers.pages import form_token


def _due_notice(app, client, title="Call mom"):
    """A task with a reminder that came due, delivered; the page user's client has the cookie."""
    token = form_token(client.get("/").get_data(as_text=True))
    headers = {"X-CSRF-TOKEN": token}
    soon = datetime.now(UTC) + timedelta(minutes=5)
    number = client.post("/api/v1/tasks", json={"title": title, "due_at": soon.isoformat()}, headers=headers).get_json()["number"]
    assert client.post(f"/api/v1/tasks/{number}/reminders", json={"before_due_minutes": 0}, headers=headers).status_code == 201
    with app.app_context():
        delivery.deliver_due(lambda: soon + timedelta(seconds=1))
    return number


def test_sign_up_without_javascript_picks_a_time_zone(app, client):
    page = client.get("/register").get_data(as_text=True)
    assert '<select id="timezone" name="timezone"' in page and '<option value="Europe/Berlin">' in page
    response = client.post("/register", data={"email": "zone@example.com", "password": "correct-horse-1",
                                              "timezone": "Europe/Berlin"})
    assert response.status_code == 303
    with app.app_context():
        assert User.by_email("zone@example.com").timezone == "Europe/Berlin"


def test_notices_show_with_a_count_and_plain_forms(app, page_user):
    me = page_user("notices@example.com")
    _due_notice(app, me.client)
    page = me.client.get("/").get_data(as_text=True)
    assert re.search(r"data-notice-count>1<", page)
    assert "<strong>Reminder:</strong> Call mom" in page
    notice_id = re.search(r'id="notice-(\d+)"', page).group(1)
    # Snooze: read now, a new reminder an hour from now.
    response = me.client.post(f"/notices/{notice_id}", data={"csrf_token": me.token(), "action": "snooze", "minutes": "60"})
    assert response.status_code == 303
    page = me.client.get("/").get_data(as_text=True)
    assert "data-notice-count>0<" in page and "remind you again in 1 hour" in page
    reminders = me.client.get("/api/v1/tasks/1/reminders", headers={"X-CSRF-TOKEN": me.token()}).get_json()["reminders"]
    assert sorted(r["state"] for r in reminders) == ["pending", "sent"]


def test_done_from_a_notice_completes_the_task_and_forms_need_the_token(app, page_user):
    me = page_user("done@example.com")
    _due_notice(app, me.client, "Pay rent")
    page = me.client.get("/").get_data(as_text=True)
    notice_id = re.search(r'id="notice-(\d+)"', page).group(1)
    assert me.client.post(f"/notices/{notice_id}", data={"action": "done"}).status_code in (400, 403)
    me.client.post(f"/notices/{notice_id}", data={"csrf_token": me.token(), "action": "done"})
    task = me.client.get("/api/v1/tasks/1").get_json()
    assert task["completed"] is True
    other = page_user("other@example.com")
    assert other.client.post(f"/notices/{notice_id}", data={"csrf_token": other.token(), "action": "dismiss"}).status_code == 404


def test_settings_page_saves_and_rotates_the_feed(app, page_user):
    me = page_user("settings@example.com")
    page = me.client.get("/settings").get_data(as_text=True)
    assert "Your calendar feed is off." in page
    response = me.client.post("/settings", data={"csrf_token": me.token(), "timezone": "America/New_York",
                                                 "default_reminder_minutes": "30"})
    assert response.status_code == 303
    with app.app_context():
        user = User.by_email("settings@example.com")
        assert (user.timezone, user.email_reminders, user.default_reminder_minutes) == ("America/New_York", False, 30)
    me.client.post("/settings", data={"csrf_token": me.token(), "calendar": "rotate"})
    page = me.client.get("/settings").get_data(as_text=True)
    url = re.search(r'value="(http[^"]+\.ics)"', page).group(1)
    assert me.client.get(url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])).status_code == 200
    bad = me.client.post("/settings", data={"csrf_token": me.token(), "timezone": "Nowhere", "default_reminder_minutes": ""})
    assert bad.status_code == 303
    with app.app_context():
        assert db.session.get(User, user.id).timezone == "America/New_York"
