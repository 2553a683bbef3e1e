"""The worst turn over HTTP for the messages that once froze a worker.

    .venv/bin/python -m benchmarks.red_team_http [--root PATH] [--timeout S]

Starts gunicorn with the project's ``gunicorn.conf.py`` (2 gevent workers) on a fresh SQLite
file on loopback, signs up one user, makes 100 tasks titled "b b b …" (499 characters) through
``POST /api/v1/tasks``, then sends each red-team message (``tests/agent/red_team.py``:
``FOUND``) to ``POST /api/v1/chat`` in a new conversation, one after another. Meanwhile a
second thread asks ``/healthz`` every 100 ms. Prints each turn's wall time and the reply's
``execution_time_ms``, the worst of them, and the slowest ``/healthz``.

``--root`` serves another checkout of the app (e.g. ``git archive main | tar -x -C /tmp/x``)
with this one's script and messages: the before/after comparison on one machine, in one sitting.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import requests

from benchmarks.http import free_port, register, wait_up
from tests.agent.red_team import FOUND

ROOT = Path(__file__).resolve().parent.parent
TASKS = 100
TITLE = ("b " * 250)[:499]


@contextmanager
def server(root: Path, database_url: str):
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(root),
        "TASKCHAT_ENV": "testing",
        "DATABASE_URL": database_url,
        "TASKCHAT_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "TASKCHAT_ACCESS_LOG": "0",
        "RATELIMIT_ENABLED": "false",
    }
    code = (
        "from taskchat import create_app\nfrom taskchat.extensions import db\n"
        f"app = create_app({{'ENV_NAME': 'testing', 'SQLALCHEMY_DATABASE_URI': {database_url!r}}})\n"
        "with app.app_context():\n    db.create_all()\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=root, env=env, check=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_up(url, process, "gunicorn")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=60)


def probe(url: str, stop: threading.Event, worst: list[float]) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        try:
            requests.get(url + "/healthz", timeout=300)
        except requests.RequestException:
            pass
        worst[0] = max(worst[0], time.perf_counter() - started)
        stop.wait(0.1)


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--root", type=Path, default=ROOT, help="the checkout to serve")
    options.add_argument("--timeout", type=float, default=180, help="seconds to wait for one turn")
    args = options.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder, server(args.root.resolve(), f"sqlite:///{folder}/red-team.db") as url:
        token, _user = register(url)
        auth = {"Authorization": f"Bearer {token}"}
        started = time.perf_counter()
        for _ in range(TASKS):
            requests.post(url + "/api/v1/tasks", json={"title": TITLE}, headers=auth, timeout=60).raise_for_status()
        print(f"{TASKS} tasks of {len(TITLE)} characters made in {time.perf_counter() - started:.1f} s")
        stop, worst_probe = threading.Event(), [0.0]
        prober = threading.Thread(target=probe, args=(url, stop, worst_probe), daemon=True)
        prober.start()
        worst = 0.0
        for message in FOUND:
            started = time.perf_counter()
            try:
                response = requests.post(url + "/api/v1/chat", json={"message": message}, headers=auth, timeout=args.timeout)
                status = response.status_code
                reported = response.json().get("metadata", {}).get("execution_time_ms") if response.ok else None
            except requests.RequestException as exc:
                status, reported = type(exc).__name__, None
            took = time.perf_counter() - started
            worst = max(worst, took)
            print(f"{took * 1000:10.1f} ms  status {status}  execution_time_ms {reported}  {message[:28]!r}… ({len(message)} chars)")
        stop.set()
        prober.join()
        print(f"worst turn over HTTP: {worst * 1000:.1f} ms; slowest /healthz meanwhile: {worst_probe[0] * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
