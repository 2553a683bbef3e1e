"""The job engine: Huey, delivering due reminders every minute (``taskchat.delivery``).

Huey because it runs in both of the places taskchat runs: on one machine with no other service
(``SqliteHuey``, its queue in a SQLite file under ``instance/``, a consumer that
``gunicorn.conf.py`` starts beside the app) and on several app servers with the Redis they
already share (``RedisHuey`` when ``REDIS_URL`` is set), with one small consumer process and no
beat/worker pair to run and keep in step (Celery) or scheduler add-on (RQ).

Every consumer schedules the periodic sweep; two sweeps at once are safe, because each
reminder is claimed by exactly one of them (``delivery.claim``).

The consumer imports this module by name (``huey_consumer taskchat.jobs.huey``), so the Huey
instance is made here at import, from the environment; the Flask app a job needs is made on
the first job of the process.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from huey import Huey, RedisHuey, SqliteHuey, crontab

ROOT = Path(__file__).resolve().parent.parent


def make_huey() -> Huey:
    """RedisHuey on ``REDIS_URL``; else SqliteHuey in ``TASKCHAT_JOBS_FILE`` (``instance/jobs.db``)."""
    redis_url = os.environ.get("REDIS_URL", "").strip()
    if redis_url:
        return RedisHuey("taskchat", url=redis_url, results=False)
    path = os.environ.get("TASKCHAT_JOBS_FILE") or str(ROOT / "instance" / "jobs.db")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("taskchat", filename=path, results=False)


huey = make_huey()


@cache
def _app():
    from . import create_app

    return create_app()


@huey.periodic_task(crontab(minute="*"), retries=0)
def deliver_due_reminders() -> None:
    """Every minute: deliver every reminder that came due."""
    from .delivery import deliver_due

    with _app().app_context():
        deliver_due()


@huey.task()
def deliver_now() -> None:
    """The same sweep on demand (``flask deliver-reminders --queue``)."""
    from .delivery import deliver_due

    with _app().app_context():
        deliver_due()


def consumer_command(workers: int = 1) -> list[str]:
    """The command line of a consumer of this queue (what gunicorn.conf.py starts)."""
    import sys

    # -m 1: an idle consumer looks at the queue at least every second (its default backs off to 10 s).
    return [sys.executable, "-m", "huey.bin.huey_consumer", "taskchat.jobs.huey", "-w", str(workers), "-k", "thread", "-m", "1"]
