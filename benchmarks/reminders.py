"""Reminder delivery at scale: ``python -m benchmarks.reminders`` (not part of ``make test``).

10 000 users each with a reminder due in the same minute, delivered by real Huey consumers
(``taskchat.jobs``, SqliteHuey in a file) to the app (notices) and to a real SMTP server on
loopback (aiosmtpd, in this process, counting Message-IDs):

- **baseline**: one sweep (``delivery.deliver_due``) in this process, no engine;
- **2 workers**: two consumer processes;
- **2 workers, one SIGKILLed half-way**: the first consumer is killed once half the emails are
  out; the other takes over the killed one's claims when their lease (5 s here) runs out.

For each: the time from the due moment until every notice is in the app and every email is
handed to SMTP, the ratio to the baseline, and the counts that must hold: notices == users
(none twice: the notice is unique per reminder), reminders left unsent (lost), and emails
received more than once (a worker killed between handing a message to SMTP and marking it
sent sends it again, with the same Message-ID: at least once).

``--users N`` (default 10 000); ``BENCH_DATABASE_URL=postgresql+psycopg://…`` runs on
PostgreSQL (a fresh database is made and dropped) instead of a SQLite file.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, insert, text

ROOT = Path(__file__).resolve().parent.parent
LEASE_SECONDS = 5
_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.M | re.I)


class Counting:
    """An SMTP handler that keeps every Message-ID it is handed."""

    def __init__(self) -> None:
        self.ids: list[bytes] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        found = _MESSAGE_ID.search(envelope.original_content or envelope.content)
        with self.lock:
            self.ids.append(found.group(1) if found else b"?")
        return "250 OK"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Result:
    name: str
    app_seconds: float
    smtp_seconds: float
    notices: int
    distinct_notices: int
    unsent: int
    emails: int
    distinct_emails: int


def _database(kind: str, workdir: Path) -> tuple[str, callable]:
    pg = os.environ.get("BENCH_DATABASE_URL")
    if not pg:
        return f"sqlite:///{workdir / f'{kind}.db'}", lambda: None
    name = f"taskchat_bench_{kind}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()

    return pg.rsplit("/", 1)[0] + "/" + name, drop


def _seed(url: str, users: int, due: datetime) -> None:
    """Users, one task each, one reminder each at ``due`` (Core inserts, in one go)."""
    os.environ["DATABASE_URL"] = url
    from taskchat import create_app
    from taskchat.extensions import db
    from taskchat.models import Reminder, Task, User

    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
        now = datetime.now(UTC)
        ids = [str(uuid.uuid4()) for _ in range(users)]
        with db.engine.begin() as conn:
            conn.execute(insert(User.__table__), [
                {"id": uid, "email": f"bench{i}@example.com", "password_hash": "x", "timezone": "Europe/Berlin",
                 "last_task_number": 1, "created_at": now, "email_reminders": True} for i, uid in enumerate(ids)])
            conn.execute(insert(Task.__table__), [
                {"id": i + 1, "user_id": uid, "number": 1, "title": f"Call mom {i}", "completed": False, "priority": "none",
                 "due_at": due, "due_has_time": True, "tags": [], "completion_count": 0, "created_at": now, "updated_at": now}
                for i, uid in enumerate(ids)])
            conn.execute(insert(Reminder.__table__), [
                {"user_id": uid, "task_id": i + 1, "remind_at": due, "before_due_minutes": 0, "state": "pending",
                 "attempts": 0, "cancelled_with_task": False, "created_at": now} for i, uid in enumerate(ids)])
        db.engine.dispose()


def _counts(url: str) -> tuple[int, int, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        notices = conn.execute(text("SELECT count(*), count(DISTINCT reminder_id) FROM notifications")).one()
        unsent = conn.execute(text("SELECT count(*) FROM reminders WHERE state != 'sent'")).scalar_one()
    engine.dispose()
    return notices[0], notices[1], unsent


def _env(url: str, smtp_port: int, jobs_file: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "TASKCHAT_ENV": "testing",
        "TASKCHAT_JOBS_FILE": jobs_file,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "MAIL_DEFAULT_SENDER": "taskchat <reminders@example.com>",
        "TASKCHAT_REMINDER_LEASE_SECONDS": str(LEASE_SECONDS),
        "PYTHONPATH": str(ROOT),
    }


def run(name: str, users: int, workers: int, kill: bool, workdir: Path, timeout: float) -> Result:
    url, drop = _database(name, workdir)
    handler = Counting()
    smtp = Controller(handler, hostname="127.0.0.1", port=free_port())
    smtp.start()
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
    try:
        _seed(url, users, due)
        jobs_file = str(workdir / f"{name}-jobs.db")
        env = _env(url, smtp.port, jobs_file)
        processes: list[subprocess.Popen] = []
        if workers:
            consumer = [sys.executable, "-m", "huey.bin.huey_consumer", "taskchat.jobs.huey", "-w", "1", "-k", "thread",
                        "-m", "0.2", "-n"]
            processes = [subprocess.Popen(consumer, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                         for _ in range(workers)]
            enqueue = subprocess.Popen(
                [sys.executable, "-c", _ENQUEUE, str(workers)], cwd=ROOT, env=env, stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
            )
        while datetime.now(UTC) < due:
            time.sleep(0.05)
        started = time.monotonic()
        if not workers:
            # The same sweep, once, in a plain process of its own (no queue, no consumer).
            processes = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "taskchat", "deliver-reminders"],
                                          cwd=ROOT, env=env, stdout=subprocess.DEVNULL)]
        app_seconds = smtp_seconds = float("nan")
        killed = False
        while time.monotonic() - started < timeout:
            notices, distinct, unsent = _counts(url)
            with handler.lock:
                emails = len(set(handler.ids))
            if notices >= users and app_seconds != app_seconds:
                app_seconds = time.monotonic() - started
            if emails >= users and smtp_seconds != smtp_seconds:
                smtp_seconds = time.monotonic() - started
            if kill and not killed and emails >= users // 2:
                processes[0].send_signal(signal.SIGKILL)
                killed = True
                print(f"  SIGKILL consumer {processes[0].pid} after {emails} emails, {time.monotonic() - started:.1f} s",
                      flush=True)
            if unsent == 0 and emails >= users:
                break
            time.sleep(0.2)
        for process in processes if not workers else []:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:  # past --timeout: what is left counts as lost
                process.kill()
                process.wait()
        if workers:
            enqueue.terminate()
            for process in processes:
                if process.poll() is None:
                    process.send_signal(signal.SIGINT)
            for process in processes + [enqueue]:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
        notices, distinct, unsent = _counts(url)
        with handler.lock:
            received = list(handler.ids)
        return Result(name, app_seconds, smtp_seconds, notices, distinct, unsent, len(received), len(set(received)))
    finally:
        smtp.stop()
        drop()


# Keeps one sweep queued per consumer (the periodic one runs at minute boundaries; this is the
# same job on demand), so a consumer never waits for the next minute.
_ENQUEUE = """
import sys, time
from taskchat.jobs import deliver_now, huey
workers = int(sys.argv[1])
while True:
    if huey.pending_count() < workers:
        deliver_now()
    time.sleep(0.05)
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args(argv)
    backend = "PostgreSQL" if os.environ.get("BENCH_DATABASE_URL") else "SQLite"
    print(f"{args.users} users, one reminder each due in the same minute; {backend}; SMTP on loopback (aiosmtpd)")
    with tempfile.TemporaryDirectory(prefix="taskchat-bench-reminders-") as tmp:
        workdir = Path(tmp)
        results = [
            run("baseline", args.users, 0, False, workdir, args.timeout),
            run("two", args.users, 2, False, workdir, args.timeout),
            run("killed", args.users, 2, True, workdir, args.timeout),
        ]
    base = results[0]
    labels = {"baseline": "baseline: one sweep, no engine", "two": "2 Huey workers",
              "killed": "2 Huey workers, one SIGKILLed half-way"}
    print(f"{'run':40} {'app s':>7} {'smtp s':>7} {'ratio':>6} {'notices':>8} {'twice':>6} {'lost':>5} {'emails':>7} {'dup':>5}")
    for r in results:
        ratio = r.smtp_seconds / base.smtp_seconds if base.smtp_seconds == base.smtp_seconds else float("nan")
        print(f"{labels[r.name]:40} {r.app_seconds:7.2f} {r.smtp_seconds:7.2f} {ratio:6.2f} {r.notices:8} "
              f"{r.notices - r.distinct_notices:6} {r.unsent:5} {r.emails:7} {r.emails - r.distinct_emails:5}")
    ok = all(r.distinct_notices == args.users and r.notices == args.users and r.unsent == 0
             and r.distinct_emails == args.users for r in results)
    print("every reminder delivered in the app exactly once and handed to SMTP:", "yes" if ok else "NO")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
