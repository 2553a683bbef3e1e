"""Delivery on time and a bounded repeat after a kill.

- A reminder that comes due before the next sweep gets a run of the job engine scheduled at its
  moment (Huey ``schedule(eta=...)``) once its transaction commits; one due later is left to
  the sweep, and a rolled-back one asks for nothing.
- Each email is marked sent right after SMTP took it: a delivering process SIGKILLed in the
  middle of a batch sends again only the one message it had in flight (same Message-ID).
"""

from __future__ import annotations

import asyncio
import email
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from taskchat import delivery, jobs, reminders
from taskchat.extensions import db
from taskchat.models import Reminder, Task, User
from taskchat.transactions import writing
from tests.helpers.app import ROOT, free_port


def _scheduled_runs(key: str) -> list:
    """The runs in the engine's schedule for the second of ``key``."""
    queued = [*jobs.huey.pending(), *jobs.huey.scheduled()]  # the consumer moves it from one to the other
    return [task for task in queued if task.name.endswith("deliver_at") and task.args == (key,)]


def _key(moment: datetime) -> str:
    return f"reminder-run:{int(jobs._second_after(moment).timestamp())}"


def test_a_reminder_due_before_the_next_sweep_gets_a_run_at_its_moment(app, client, auth):
    me = auth.register()
    now = datetime.now(UTC)
    # A moment of its own (not a whole second, unlike any other test's), before the next sweep.
    soon = now + timedelta(seconds=1.7)
    later = now + timedelta(minutes=30, seconds=0.7)
    jobs.huey.delete(_key(soon))
    task = client.post("/api/v1/tasks", json={"title": "Call mom", "due_at": later.isoformat()}, headers=me.headers)
    number = task.get_json()["number"]
    for moment in (soon, later):
        added = client.post(f"/api/v1/tasks/{number}/reminders", json={"remind_at": moment.isoformat()},
                            headers=me.headers)
        assert added.status_code == 201, added.get_json()
    try:
        [run] = _scheduled_runs(_key(soon))
        # Rounded up to the whole second, so that every reminder of that second is due then.
        assert run.eta == jobs._second_after(soon).replace(tzinfo=None)
        assert run.eta >= soon.replace(tzinfo=None)
        assert _scheduled_runs(_key(later)) == []  # the sweep before it schedules that one
        # A second reminder in the same second asks for no second run.
        client.post(f"/api/v1/tasks/{number}/reminders",
                    json={"remind_at": (soon - timedelta(seconds=0.1)).isoformat()}, headers=me.headers)
        assert len(_scheduled_runs(_key(soon))) == 1
    finally:
        jobs.huey.delete(_key(soon))


def test_a_rolled_back_reminder_schedules_nothing_and_a_committed_one_does(app, client, auth):
    me = auth.register()
    task_number = client.post("/api/v1/tasks", json={"title": "Dentist"}, headers=me.headers).get_json()["number"]
    moment = datetime.now(UTC) + timedelta(seconds=3.4)
    jobs.huey.delete(_key(moment))
    with app.app_context():
        user = db.session.get(User, me.user_id)
        task = db.session.scalar(select(Task).where(Task.user_id == user.id, Task.number == task_number))
        with pytest.raises(RuntimeError), writing():
            reminders.add(user, task, remind_at=moment)
            raise RuntimeError("the request failed after adding it")
        assert _scheduled_runs(_key(moment)) == []
        assert db.session.scalar(select(func.count(Reminder.id))) == 0
        # Committed, it has its run.
        with writing():
            reminders.add(user, task, remind_at=moment)
        assert len(_scheduled_runs(_key(moment))) == 1
    jobs.huey.delete(_key(moment))


def test_a_run_schedules_what_comes_due_before_the_sweep_after_it(app, client, auth):
    me = auth.register()
    now = datetime.now(UTC)
    ahead = now + timedelta(seconds=45.6)
    task_number = client.post("/api/v1/tasks", json={"title": "Plants"}, headers=me.headers).get_json()["number"]
    with app.app_context():
        user = db.session.get(User, me.user_id)
        task = db.session.scalar(select(Task).where(Task.user_id == user.id, Task.number == task_number))
        db.session.add(Reminder(user_id=user.id, task_id=task.id, remind_at=ahead, state="pending", attempts=0,
                                created_at=now))
        db.session.add(Reminder(user_id=user.id, task_id=task.id, remind_at=now + timedelta(minutes=5), state="pending",
                                attempts=0, created_at=now))
        db.session.commit()
        # Stored without reminders.add (as a bulk import would): only a run's look-ahead sees it.
        jobs.huey.delete(_key(ahead))
        moments = delivery.coming_due(now, now + jobs.LOOKAHEAD)
        assert moments == [ahead]
        assert jobs.schedule_runs(moments, now) == 1
        assert jobs.schedule_runs(moments, now) == 0  # already scheduled
        assert len(_scheduled_runs(_key(ahead))) == 1
    jobs.huey.delete(_key(ahead))


class Stalling:
    """An SMTP server that takes ``accept`` messages, then holds the next one unanswered (the
    sender is mid-send), recording every message it got."""

    def __init__(self, accept: int):
        self.accept = accept
        self.received: list[str] = []
        self.stalled = threading.Event()
        self.release = asyncio.Event()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content)
        self.received.append(message["Message-ID"])
        if len(self.received) == self.accept + 1:
            self.stalled.set()
            await asyncio.sleep(60)  # never answered: the sender is killed meanwhile
        return "250 OK"


def test_a_sender_killed_mid_batch_repeats_only_the_message_in_flight(app, client, auth, database_url):
    users, accept = 8, 3
    handler = Stalling(accept)
    smtp = Controller(handler, hostname="127.0.0.1", port=free_port())
    smtp.start()
    due = datetime.now(UTC) - timedelta(minutes=1)
    try:
        for _ in range(users):
            me = auth.register()
            client.post("/api/v1/tasks", json={"title": "Call mom", "due_at": due.isoformat()}, headers=me.headers)
            assert client.post("/api/v1/tasks/1/reminders", json={"before_due_minutes": 0},
                               headers=me.headers).status_code == 201
        env = {**os.environ, "DATABASE_URL": database_url, "TASKCHAT_ENV": "testing", "MAIL_SERVER": "127.0.0.1",
               "MAIL_PORT": str(smtp.port), "MAIL_DEFAULT_SENDER": "taskchat <reminders@example.com>"}
        sender = subprocess.Popen([sys.executable, "-m", "flask", "--app", "taskchat", "deliver-reminders"], cwd=ROOT,
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            assert handler.stalled.wait(60), sender.stderr.read() if sender.poll() is not None else "no 4th message"
            with app.app_context():
                # The three messages SMTP took are marked, each in its own commit, before the
                # fourth is sent.
                sent = db.session.scalar(select(func.count(Reminder.id)).where(Reminder.state == "sent"))
                db.session.remove()
            assert sent == accept
        finally:
            sender.send_signal(signal.SIGKILL)
            sender.wait(timeout=30)
        with app.app_context():
            assert db.session.scalar(select(func.count(Reminder.id)).where(Reminder.state == "sent")) == accept
            # After the dead sender's lease another run delivers the rest (this server now
            # answers at once).
            app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port,
                              MAIL_DEFAULT_SENDER="taskchat <reminders@example.com>")
            after_lease = datetime.now(UTC) + delivery.LEASE + timedelta(seconds=1)
            done = delivery.deliver_due(lambda: after_lease)
            assert done.emails == users - accept
            assert db.session.scalar(select(func.count(Reminder.id)).where(Reminder.state != "sent")) == 0
            db.session.remove()
    finally:
        smtp.stop()
    counts = Counter(handler.received)
    assert len(counts) == users  # every reminder's email arrived
    twice = [message_id for message_id, n in counts.items() if n > 1]
    assert len(twice) == 1 and counts[twice[0]] == 2  # only the one in flight, with the same Message-ID
    assert len(handler.received) == users + 1
