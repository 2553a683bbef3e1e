"""Reminder delivery at scale: ``python -m benchmarks.reminders`` (not part of ``make test``).

10 000 users each with a reminder due in the same minute, delivered by real Huey consumers
(``taskchat.jobs``, SqliteHuey in a file) to the app (notices) and to a real SMTP server on
loopback (aiosmtpd, in this process, counting Message-IDs):

- **baseline**: one sweep (``delivery.deliver_due``) in this process, no engine;
- **2 workers**: two consumer processes (``-w 1 -k thread -m 1``). Nothing but the engine
  starts the delivery: a run is scheduled at the due moment (``jobs.schedule_runs``, what adding
  the reminders through the app does), and that run asks the other worker to join in;
- **2 workers, one SIGKILLed half-way**: the consumer holding the most claims is killed once
  half the emails are out; the run scheduled at its claims' lease end (5 s here) takes them
  over.

For each: the time from the due moment until every notice is in the app and every email is
handed to SMTP, the ratio to the baseline, and the counts that must hold: notices == users
(none twice: the notice is unique per reminder), reminders left unsent (lost), and emails
received more than once (a worker killed between handing a message to SMTP and marking it
sent sends it again, with the same Message-ID: at least once; each is marked sent right after
the hand-off, so that is at most the one message in flight per killed worker thread). The delay
from the due moment to each notice and to each email's sent mark is read back from the rows
(the ``taskchat_reminder_delay_seconds`` histogram observes the first in the workers).

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
from sqlalchemy import bindparam, create_engine, insert, text

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
    notice_delay: tuple[float, float, float]  # median, 99th percentile, max (s)
    email_delay: tuple[float, float, float]


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


def _quantiles(values: list[float]) -> tuple[float, float, float]:
    if not values:
        return (float("nan"),) * 3
    values = sorted(values)
    return values[len(values) // 2], values[min(len(values) - 1, int(len(values) * 0.99))], values[-1]


def _delays(url: str, due: datetime) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """Due moment to notice, and to the email's sent mark, over all reminders."""
    engine = create_engine(url)
    with engine.connect() as conn:
        shown = [row[0] for row in conn.execute(text("SELECT created_at FROM notifications"))]
        sent = [row[0] for row in conn.execute(text("SELECT sent_at FROM reminders WHERE sent_at IS NOT NULL"))]
    engine.dispose()

    def seconds(moment) -> float:
        if isinstance(moment, str):
            moment = datetime.fromisoformat(moment)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return (moment - due).total_seconds()

    return _quantiles([seconds(m) for m in shown]), _quantiles([seconds(m) for m in sent])


def _move_to(url: str, due: datetime) -> None:
    from taskchat.models import UTCDateTime

    engine = create_engine(url)
    moment = bindparam("due", due, type_=UTCDateTime())  # stored as the app stores it (SQLite: text)
    with engine.begin() as conn:
        conn.execute(text("UPDATE tasks SET due_at = :due").bindparams(moment))
        conn.execute(text("UPDATE reminders SET remind_at = :due").bindparams(moment))
    engine.dispose()


def _claims_by_process(url: str) -> dict[int, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        tokens = conn.execute(text("SELECT claim_token FROM reminders WHERE state = 'pending' "
                                   "AND claim_token IS NOT NULL")).scalars().all()
    engine.dispose()
    held: dict[int, int] = {}
    for token in tokens:
        pid = int(token.split("-", 1)[0])
        held[pid] = held.get(pid, 0) + 1
    return held


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
    try:
        # Seeded a day ahead, brought to a moment 2 s on once every process is up: the time
        # taken by seeding and starting is not counted as delay.
        _seed(url, users, datetime.now(UTC) + timedelta(days=1))
        jobs_file = str(workdir / f"{name}-jobs.db")
        env = _env(url, smtp.port, jobs_file)
        processes: list[subprocess.Popen] = []
        logs = [workdir / f"{name}-consumer-{n}.log" for n in range(workers)]
        if workers:
            consumer = [sys.executable, "-m", "huey.bin.huey_consumer", "taskchat.jobs.huey", "-w", "1", "-k", "thread",
                        "-m", "1"]
            processes = [subprocess.Popen(consumer, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
                         for log in logs]
            # The run at the due moment, as adding the reminders through the app schedules it.
            starter = subprocess.Popen([sys.executable, "-c", _SCHEDULE], cwd=ROOT, env=env, stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, text=True)
        else:
            # The same sweep, once, in a plain process of its own (no queue, no consumer).
            starter = subprocess.Popen([sys.executable, "-c", _SWEEP], cwd=ROOT, env=env, stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, text=True)
            processes = [starter]
        assert starter.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 60
        while not all("consumer started" in log.read_text().lower() for log in logs):
            assert time.monotonic() < deadline, "the consumers did not start"
            time.sleep(0.1)
        due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
        _move_to(url, due)
        starter.stdin.write(due.isoformat() + "\n")
        starter.stdin.close()
        if workers:
            starter.wait(timeout=30)
        while datetime.now(UTC) < due:
            time.sleep(0.02)
        # From the due moment, even if this loop woke late.
        started = time.monotonic() - (datetime.now(UTC) - due).total_seconds()
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
                # The consumer holding the most claims (a claim token leads with its process id).
                holding = _claims_by_process(url)
                victim = max(processes, key=lambda p: holding.get(p.pid, 0))
                victim.send_signal(signal.SIGKILL)
                killed = True
                print(f"  SIGKILL consumer {victim.pid} holding {holding.get(victim.pid, 0)} claims after {emails} "
                      f"emails, {time.monotonic() - started:.1f} s", flush=True)
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
            for process in processes:
                if process.poll() is None:
                    process.send_signal(signal.SIGINT)
            for process in processes:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
        notices, distinct, unsent = _counts(url)
        with handler.lock:
            received = list(handler.ids)
        notice_delay, email_delay = _delays(url, due)
        return Result(name, app_seconds, smtp_seconds, notices, distinct, unsent, len(received), len(set(received)),
                      notice_delay, email_delay)
    finally:
        smtp.stop()
        drop()


# Started before the due moment is set (imports take a second or two), then told it.
_SCHEDULE = """
import sys
from datetime import datetime
from taskchat.jobs import schedule_runs
print("ready", flush=True)
assert schedule_runs([datetime.fromisoformat(sys.stdin.readline().strip())]) == 1
"""
_SWEEP = """
import sys, time
from datetime import UTC, datetime
from taskchat import create_app
from taskchat.delivery import deliver_due
app = create_app()
print("ready", flush=True)
due = datetime.fromisoformat(sys.stdin.readline().strip())
while datetime.now(UTC) < due:
    time.sleep(0.02)
with app.app_context():
    deliver_due()
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
    print("delay from the due moment, median / p99 / max (s):")
    for r in results:
        print(f"  {labels[r.name]:40} notice {r.notice_delay[0]:6.2f} {r.notice_delay[1]:6.2f} {r.notice_delay[2]:6.2f}"
              f"   email sent {r.email_delay[0]:6.2f} {r.email_delay[1]:6.2f} {r.email_delay[2]:6.2f}")
    ok = all(r.distinct_notices == args.users and r.notices == args.users and r.unsent == 0
             and r.distinct_emails == args.users for r in results)
    print("every reminder delivered in the app exactly once and handed to SMTP:", "yes" if ok else "NO")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
