"""The writers' lock of a SQLite file, shared by the worker processes (``taskchat.transactions``)."""

import fcntl
import json
import os
import subprocess
import sys
import time

import pytest

from taskchat.transactions import writing


def test_sqlite_writers_of_two_processes_take_turns(app, database_url):
    """On SQLite a write transaction first takes an ``flock`` beside the database file, so a
    writer in another process waits for it there (and is woken when it is let go) instead of
    polling in SQLite's busy handler."""
    if not database_url.startswith("sqlite"):
        pytest.skip("the writers' file lock is SQLite's (PostgreSQL locks rows)")
    lock_path = database_url.removeprefix("sqlite:///") + "-writer.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", (
            "import fcntl, os, sys, time\n"
            f"fd = os.open({lock_path!r}, os.O_RDWR | os.O_CREAT)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "print('locked', flush=True)\n"
            "time.sleep(0.5)\n"
            "print(time.time(), flush=True)\n"
            "fcntl.flock(fd, fcntl.LOCK_UN)\n"
        )],
        stdout=subprocess.PIPE, text=True,
    )
    assert holder.stdout.readline().strip() == "locked"
    with app.app_context(), writing():
        began = time.time()
    released = float(holder.stdout.readline())
    holder.wait(timeout=10)
    assert began >= released


def test_under_gevent_a_waiting_writer_lets_the_workers_other_greenlets_run(tmp_path):
    """A greenlet that finds another process writing does not stop its worker at once: a
    greenlet that is ready runs before the lock comes free (waiting in the kernel straight
    away would block the hub until then)."""
    path = str(tmp_path / "db-writer.lock")
    held = os.open(path, os.O_RDWR | os.O_CREAT)
    fcntl.flock(held, fcntl.LOCK_EX)
    worker = subprocess.Popen(
        [sys.executable, "-c", (
            "from gevent import monkey\nmonkey.patch_all()\n"
            "import json, time, gevent\n"
            "from taskchat.transactions import _ProcessLock\n"
            f"lock = _ProcessLock({path!r})\n"
            "marks = {}\n"
            "def writer():\n    lock.acquire()\n    marks['writer'] = time.time()\n    lock.release()\n"
            "def other():\n    marks['other'] = time.time()\n"
            "print('ready', flush=True)\n"
            "gevent.joinall([gevent.spawn(writer), gevent.spawn(other)])\n"
            "print(json.dumps(marks), flush=True)\n"
        )],
        stdout=subprocess.PIPE, text=True,
    )
    assert worker.stdout.readline().strip() == "ready"
    time.sleep(0.3)
    released = time.time()
    fcntl.flock(held, fcntl.LOCK_UN)
    marks = json.loads(worker.stdout.readline())
    worker.wait(timeout=10)
    os.close(held)
    assert marks["other"] < released <= marks["writer"]
