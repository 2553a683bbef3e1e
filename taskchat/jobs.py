"""The job engine: Huey, delivering due reminders every minute (``taskchat.delivery``).

Huey because it runs in both of the places taskchat runs: on one machine with no other service
(``SqliteHuey``, its queue in a SQLite file under ``instance/``, a consumer that
``gunicorn.conf.py`` starts beside the app) and on several app servers with the Redis they
already share (``RedisHuey`` when ``REDIS_URL`` is set), with one small consumer process and no
beat/worker pair to run and keep in step (Celery) or scheduler add-on (RQ).

Every consumer schedules the periodic sweep; two sweeps at once are safe, because each
reminder is claimed by exactly one of them (``delivery.claim``).

A sweep a minute alone would deliver a reminder up to a minute late, so runs are also
scheduled at the moments reminders come due, with Huey's own ``schedule(eta=...)``:

- a reminder added, re-armed or snoozed to come due before the next sweep (``arm``, once its
  transaction has committed);
- after every run, the moments of the reminders coming due before the sweep after it
  (``LOOKAHEAD``), and the moment the first lease on a due reminder now runs out (one that a
  long batch renewed);
- a run that finds more due than one claim takes asks for a second run at once, so an idle
  worker joins in;
- every claim, a run at the moment its lease runs out: if the worker dies holding it, that
  run takes its reminders over (the worker's own runs die with it); if not, it finds nothing.

One run per second at most is scheduled (a key in Huey's storage, removed when the run
starts): a thousand reminders at 17:00 are one run at 17:00:00. The periodic sweep stays the
safety net for a run that was never scheduled (the queue was down) or was lost with a worker.

The consumer imports this module by name (``huey_consumer taskchat.jobs.huey``), so the Huey
instance is made here at import, from the environment; the Flask app a job needs is made on
the first job of the process.
"""

from __future__ import annotations

import logging
import math
import os
import sys
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from huey import Huey, RedisHuey, SqliteHuey, crontab

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)

SWEEP = timedelta(minutes=1)
# How far past its own start a run schedules what comes due: past the next sweep, with room
# for a sweep that starts late.
LOOKAHEAD = SWEEP + timedelta(seconds=10)


def make_huey() -> Huey:
    """RedisHuey on ``REDIS_URL``; else SqliteHuey in ``TASKCHAT_JOBS_FILE`` (``instance/jobs.db``).
    ``TASKCHAT_JOBS_NAME`` (default ``taskchat``) names the queue: its keys in Redis."""
    name = os.environ.get("TASKCHAT_JOBS_NAME", "").strip() or "taskchat"
    redis_url = os.environ.get("REDIS_URL", "").strip()
    if redis_url:
        return RedisHuey(name, url=redis_url, results=False)
    path = os.environ.get("TASKCHAT_JOBS_FILE") or str(ROOT / "instance" / "jobs.db")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    # The queue holds a few rows (the runs of the next minute): SQLite's page cache for it need
    # not be Huey's default 8 MB in every process that enqueues (each gunicorn worker).
    return SqliteHuey(name, filename=path, results=False, cache_mb=1)


huey = make_huey()


@cache
def _app():
    from . import create_app

    return create_app()


def _run() -> None:
    """One delivery run, then the runs to schedule after it."""
    from . import delivery
    from .extensions import db

    with _app().app_context():
        try:
            delivery.deliver_due(on_backlog=_join_in, on_claim=_take_over_at)
            now = datetime.now(UTC)
            moments = delivery.coming_due(now, now + LOOKAHEAD)
            lease_end = delivery.first_lease_end(now)
        finally:
            db.session.remove()
    schedule_runs([*moments, *([lease_end] if lease_end else [])], now)


def _join_in() -> None:
    deliver_now()


def _take_over_at(lease_end: datetime) -> None:
    schedule_runs([lease_end + timedelta(seconds=1)])


@huey.periodic_task(crontab(minute="*"), retries=0)
def deliver_due_reminders() -> None:
    """Every minute: deliver every reminder that came due (the safety net)."""
    _run()


@huey.task()
def deliver_now() -> None:
    """The same run on demand (``flask deliver-reminders --queue``, a run asking for help)."""
    _run()


@huey.task(retries=0)
def deliver_at(key: str) -> None:
    """The run scheduled at a moment reminders come due."""
    huey.delete(key)  # a reminder armed for this second from now on gets a run of its own
    _run()


def _second_after(moment: datetime) -> datetime:
    """The whole second at or after ``moment``: a run then finds every reminder of that second due."""
    return datetime.fromtimestamp(math.ceil(moment.timestamp()), UTC)


def schedule_runs(moments: Iterable[datetime], now: datetime | None = None) -> int:
    """Schedule a run at each of ``moments`` (rounded up to the second; one in the past runs
    at once) that has none yet; how many were scheduled. A queue that cannot be reached is
    logged, not raised: the periodic sweep delivers what it misses."""
    now = now or datetime.now(UTC)
    scheduled = 0
    try:
        for second in sorted({_second_after(max(moment, now)) for moment in moments}):
            key = f"reminder-run:{int(second.timestamp())}"
            if huey.put_if_empty(key, 1):
                deliver_at.schedule(args=(key,), eta=second)
                scheduled += 1
    except Exception:  # noqa: BLE001 - any failure of the queue leaves the sweep to deliver
        log.warning("could not schedule a reminder run; the next sweep delivers it", exc_info=True)
    return scheduled


def next_sweep(now: datetime) -> datetime:
    """When the periodic sweep runs next (at the start of every minute)."""
    return now.replace(second=0, microsecond=0) + SWEEP


def arm(moment: datetime, now: datetime | None = None) -> bool:
    """A reminder now pending at ``moment``: when it comes due before the next sweep looks
    ahead past it, schedule a run at it once the current transaction commits. Whether one
    will be."""
    from .transactions import after_commit

    now = now or datetime.now(UTC)
    if moment > next_sweep(now) + (LOOKAHEAD - SWEEP):
        return False
    after_commit(lambda: schedule_runs([moment]))
    return True


def die_with_parent() -> None:
    """For the consumer the server starts (``Popen``'s ``preexec_fn``): on Linux the kernel
    sends it SIGTERM when the server's master dies, however it dies. Stopping the server stops
    it (``on_exit``), but a master that is SIGKILLed (or OOM-killed) runs no hook, and the
    consumer would go on delivering for a server that is gone, and hold its queue file."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def consumer_command(workers: int = 1) -> list[str]:
    """The command line of a consumer of this queue (what gunicorn.conf.py starts)."""
    import sys

    # -m 1: an idle consumer looks at the queue at least every second (its default backs off to 10 s).
    return [sys.executable, "-m", "huey.bin.huey_consumer", "taskchat.jobs.huey", "-w", str(workers), "-k", "thread", "-m", "1"]
