"""The job engine for real: gunicorn (gunicorn.conf.py) starts a Huey consumer beside its workers
(SqliteHuey in a file, as `make run` does), the consumer delivers a due reminder, and stopping the
server stops the consumer."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.conftest import ROOT, gunicorn_server

pytestmark = pytest.mark.live


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_gunicorn_runs_the_consumer_and_it_delivers(database_url, _schema, tmp_path, app):
    jobs = str(tmp_path / "jobs.db")
    env = {"TASKCHAT_JOBS": "embedded", "TASKCHAT_JOBS_FILE": jobs}
    with gunicorn_server(database_url, tmp_path, **env) as server:
        session = requests.Session()
        token = session.post(server.url + "/api/v1/auth/register",
                             json={"email": "engine@example.com", "password": "correct-horse-1"}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        due = datetime.now(UTC) - timedelta(seconds=1)
        session.post(server.url + "/api/v1/tasks", json={"title": "Call mom", "due_at": due.isoformat()}, headers=headers)
        assert session.post(server.url + "/api/v1/tasks/1/reminders", json={"before_due_minutes": 0},
                            headers=headers).status_code == 201
        # The sweep runs every minute; ask the consumer for one now instead of waiting for it.
        queued = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "taskchat", "deliver-reminders", "--queue"], cwd=ROOT,
            env={**os.environ, "DATABASE_URL": database_url, "TASKCHAT_ENV": "testing", **env},
            capture_output=True, text=True, timeout=60,
        )
        assert queued.returncode == 0, queued.stderr
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            notices = session.get(server.url + "/api/v1/notifications", headers=headers).json()
            if notices["notifications"]:
                break
            time.sleep(0.2)
        assert [n["title"] for n in notices["notifications"]] == ["Call mom"]
        reminder = session.get(server.url + "/api/v1/tasks/1/reminders", headers=headers).json()["reminders"][0]
        assert reminder["state"] == "sent"
        log = (tmp_path / "server.log").read_text()
        pid = int(re.search(r"job consumer started \(pid (\d+)\)", log).group(1))
        assert _alive(pid)
    deadline = time.monotonic() + 20
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(pid)


def test_a_reminder_due_in_seconds_is_delivered_at_its_moment_not_at_the_next_sweep(database_url, _schema, tmp_path, app):
    jobs = str(tmp_path / "jobs.db")
    env = {"TASKCHAT_JOBS": "embedded", "TASKCHAT_JOBS_FILE": jobs}
    with gunicorn_server(database_url, tmp_path, **env) as server:
        session = requests.Session()
        token = session.post(server.url + "/api/v1/auth/register",
                             json={"email": "prompt@example.com", "password": "correct-horse-1"}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        # Not across a minute's start: the sweep there would deliver it too, and hide a missing run.
        to_sweep = 60 - datetime.now(UTC).second
        if to_sweep < 10:
            time.sleep(to_sweep + 1)
        due = datetime.now(UTC) + timedelta(seconds=3)
        session.post(server.url + "/api/v1/tasks", json={"title": "Tea", "due_at": due.isoformat()}, headers=headers)
        assert session.post(server.url + "/api/v1/tasks/1/reminders", json={"before_due_minutes": 0},
                            headers=headers).status_code == 201
        deadline = time.monotonic() + 30
        notices: dict = {"notifications": []}
        while time.monotonic() < deadline and not notices["notifications"]:
            time.sleep(0.2)
            notices = session.get(server.url + "/api/v1/notifications", headers=headers).json()
        [notice] = notices["notifications"]
        shown = datetime.fromisoformat(notice["created_at"])
        delay = (shown - due).total_seconds()
        print(f"\ndue {due:%H:%M:%S.%f}, notice at {shown:%H:%M:%S.%f}: {delay:.2f} s after")
        assert 0 <= delay < 5  # at its moment (rounded up to the second, the scheduler's tick), not at the minute
        log = (tmp_path / "server.log").read_text()
        assert "taskchat.jobs.deliver_at" in log


def test_the_consumer_does_not_outlive_a_killed_server(database_url, _schema, tmp_path, app):
    """A SIGKILLed master runs no exit hook: the kernel stops the consumer it started."""
    env = {"TASKCHAT_JOBS": "embedded", "TASKCHAT_JOBS_FILE": str(tmp_path / "jobs.db")}
    with gunicorn_server(database_url, tmp_path, **env) as server:
        log = tmp_path / "server.log"
        deadline = time.monotonic() + 30
        while not (started := re.search(r"job consumer started \(pid (\d+)\)", log.read_text())):
            assert time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.1)
        pid = int(started.group(1))
        assert _alive(pid)
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=10)
        deadline = time.monotonic() + 20
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(pid)
