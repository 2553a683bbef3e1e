"""Delivery: due reminders become notices in the app and emails on a real SMTP server on loopback;
a refusing server is retried with backoff, then the reminder is failed and the app says so.
Claiming is atomic: two claims at once never take the same reminder. Time is injected."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from taskchat import delivery
from taskchat.extensions import db
from taskchat.models import Notification, Reminder

T0 = datetime(2030, 1, 10, 9, 0, tzinfo=UTC)


def _task_with_reminder(client, me, remind_at=T0, title="Call mom"):
    task = client.post("/api/v1/tasks", json={"title": title, "due_at": remind_at.isoformat()}, headers=me.headers)
    number = task.get_json()["number"]
    added = client.post(f"/api/v1/tasks/{number}/reminders", json={"before_due_minutes": 0}, headers=me.headers)
    assert added.status_code == 201, added.get_json()
    return number, added.get_json()


def _at(moment):
    return lambda: moment


def test_a_due_reminder_is_a_notice_and_one_email_with_a_link(mail_app, client, auth, smtp):
    me = auth.register()
    number, reminder = _task_with_reminder(client, me)
    with mail_app.app_context():
        early = delivery.deliver_due(_at(T0 - timedelta(seconds=1)))
        assert early.claimed == 0  # not due yet
        done = delivery.deliver_due(_at(T0 + timedelta(seconds=2)))
        again = delivery.deliver_due(_at(T0 + timedelta(minutes=5)))
    assert (done.notices, done.emails, again.claimed) == (1, 1, 0)
    [message] = smtp.mailbox.messages
    assert message["To"] == me.email and message["Subject"] == "Reminder: Call mom"
    assert f"https://tasks.example.com/?task={number}" in message.get_payload(decode=True).decode()
    assert message["Message-ID"].startswith(f"<reminder-{reminder['id']}-")
    notices = client.get("/api/v1/notifications", headers=me.headers).get_json()
    assert notices["unread"] == 1
    [notice] = notices["notifications"]
    assert (notice["title"], notice["task_number"], notice["email"]["state"]) == ("Call mom", number, "sent")
    state = client.get(f"/api/v1/tasks/{number}/reminders", headers=me.headers).get_json()["reminders"][0]
    assert state["state"] == "sent" and state["attempts"] == 1 and state["sent_at"]
    stranger = auth.register()
    assert client.post(f"/api/v1/notifications/{notice['id']}/read", headers=stranger.headers).status_code == 404
    assert client.get("/api/v1/notifications", headers=stranger.headers).get_json() == {"notifications": [], "unread": 0}
    read = client.post(f"/api/v1/notifications/{notice['id']}/read", headers=me.headers)
    assert read.status_code == 200 and read.get_json()["read"] is True
    assert client.get("/api/v1/notifications", headers=me.headers).get_json()["unread"] == 0


def test_a_refusing_server_is_retried_with_backoff_then_failed_and_shown(mail_app, client, auth, smtp):
    smtp.mailbox.refuse = True
    me = auth.register()
    number, _reminder = _task_with_reminder(client, me)
    moment = T0
    with mail_app.app_context():
        first = delivery.deliver_due(_at(moment))
        assert (first.notices, first.retries) == (1, 1)
        # Before the backoff has passed nothing is tried.
        assert delivery.deliver_due(_at(moment + timedelta(seconds=30))).claimed == 0
        for pause in delivery.BACKOFF:
            moment += pause
            delivery.deliver_due(_at(moment))
    assert smtp.mailbox.refused == delivery.MAX_ATTEMPTS
    state = client.get(f"/api/v1/tasks/{number}/reminders", headers=me.headers).get_json()["reminders"][0]
    assert state["state"] == "failed" and state["attempts"] == delivery.MAX_ATTEMPTS
    assert "Refused by the test server" in state["last_error"]
    # The notice went out at once, and it carries the failure.
    [notice] = client.get("/api/v1/notifications", headers=me.headers).get_json()["notifications"]
    assert notice["email"]["state"] == "failed"
    page = client.get("/")
    assert page.status_code in (200, 302)


def test_email_off_is_a_notice_only(mail_app, client, auth, smtp):
    me = auth.register()
    assert client.patch("/api/v1/me", json={"email_reminders": False}, headers=me.headers).get_json()["email_reminders"] is False
    _task_with_reminder(client, me)
    with mail_app.app_context():
        done = delivery.deliver_due(_at(T0))
    assert (done.notices, done.emails, smtp.mailbox.messages) == (1, 0, [])


def test_two_claims_at_once_never_take_the_same_reminder(app, client, auth):
    me = auth.register()
    for number in range(1, 5):
        client.post("/api/v1/tasks", json={"title": f"Many {number}", "due_at": T0.isoformat()}, headers=me.headers)
        for minute in range(10):
            response = client.post(
                f"/api/v1/tasks/{number}/reminders", json={"remind_at": (T0 - timedelta(minutes=minute)).isoformat()},
                headers=me.headers,
            )
            assert response.status_code == 201
    claimed: dict[str, list[int]] = {}
    barrier = threading.Barrier(2)

    def worker(name):
        with app.app_context():
            barrier.wait()
            mine = []
            while ids := delivery.claim(T0, name, limit=3):
                mine += ids
            claimed[name] = mine
            db.session.remove()

    threads = [threading.Thread(target=worker, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not set(claimed["a"]) & set(claimed["b"])
    assert len(claimed["a"]) + len(claimed["b"]) == 40


def test_a_worker_killed_after_claiming_leaves_it_to_the_next_after_the_lease(app, client, auth):
    me = auth.register()
    _task_with_reminder(client, me)
    with app.app_context():
        assert len(delivery.claim(T0, "dead-worker")) == 1  # ... and then it died
        meanwhile = delivery.deliver_due(_at(T0 + timedelta(seconds=30)))
        # The notice shows at once (it needs no claim); the claim itself is still leased.
        assert (meanwhile.notices, meanwhile.claimed) == (1, 0)
        assert db.session.scalar(select(Reminder.state)) == "pending"
        done = delivery.deliver_due(_at(T0 + delivery.LEASE + timedelta(seconds=1)))
        assert (done.claimed, done.notices) == (1, 0)
        assert db.session.scalar(select(Reminder.state)) == "sent"
        # Delivering the same reminder and moment again adds no second notice.
        reminder = db.session.scalar(select(Reminder))
        reminder.state, reminder.claimed_until = "pending", None
        db.session.commit()
        delivery.deliver_due(_at(T0 + timedelta(minutes=10)))
        assert db.session.scalar(select(func.count(Notification.id))) == 1


def _samples(client) -> dict[tuple[str, str], float]:
    text = client.get("/metrics").get_data(as_text=True)
    return {
        (sample.name, sample.labels.get("channel", "")): sample.value
        for family in text_string_to_metric_families(text) for sample in family.samples
    }


def test_metrics_count_deliveries(mail_app, client, auth, smtp):
    me = auth.register()
    _task_with_reminder(client, me)
    before = _samples(client)
    with mail_app.app_context():
        delivery.deliver_due(_at(T0 + timedelta(seconds=3)))
    after = _samples(client)
    for channel in ("app", "email"):
        for name in ("taskchat_reminders_sent_total", "taskchat_reminder_delay_seconds_count"):
            assert after[name, channel] - before.get((name, channel), 0) == 1, (name, channel)
        # delivered 3 s after it came due, on both channels
        delay = after["taskchat_reminder_delay_seconds_sum", channel] - before.get(("taskchat_reminder_delay_seconds_sum", channel), 0)
        assert 2.9 <= delay <= 3.1, channel
