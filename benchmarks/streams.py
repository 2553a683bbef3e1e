"""Which gunicorn worker class keeps serving while reply streams are open?

Starts the app under gunicorn three times — plain ``sync`` workers as the baseline, ``gthread``
(512 threads) and the project's setting (``gevent``, from ``gunicorn.conf.py``) — each with 2 workers and
``TASKCHAT_STREAM_DELAY_MS=50`` (the seed's pacing), opens 16 streamed replies at once, and,
while they run, times ``/healthz`` and a non-streamed ``/api/v1/chat`` turn. Prints the
latencies and the ratios baseline / ours.

    .venv/bin/python -m benchmarks.streams
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
STREAMS = 16
PROBES = 10


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(worker_class: str, database: str) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {
        **os.environ,
        "TASKCHAT_ENV": "testing",
        "DATABASE_URL": database,
        "TASKCHAT_STREAM_DELAY_MS": "50",
        "TASKCHAT_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
    }
    # gunicorn.conf.py reads the class (and patches for gevent) from the environment.
    env["TASKCHAT_WORKER_CLASS"] = worker_class
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if requests.get(url + "/healthz", timeout=1).ok:
                return process, url
        except requests.RequestException:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"gunicorn ({worker_class}) did not start")


def _measure(worker_class: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        database = f"sqlite:///{tmp}/bench.db"
        subprocess.run(
            [sys.executable, "-m", "flask", "db", "upgrade"],
            cwd=ROOT, env={**os.environ, "DATABASE_URL": database, "TASKCHAT_ENV": "testing", "FLASK_APP": "taskchat"},
            check=True, capture_output=True,
        )
        process, url = _serve(worker_class, database)
        try:
            token = requests.post(
                url + "/api/v1/auth/register", json={"email": "bench@example.com", "password": "correct-horse-1"}
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            for i in range(12):  # a longer reply to stream: the task list
                requests.post(url + "/api/v1/chat", json={"message": f"add benchmark task {i}"}, headers=headers)

            def stream() -> None:
                body = {"messages": [{"role": "user", "content": "show my tasks"}], "stream": True}
                with requests.post(url + "/api/v1/chat/completions", json=body, headers=headers,
                                   stream=True, timeout=120) as response:
                    for _ in response.iter_lines():
                        pass

            started = time.perf_counter()
            streams = [threading.Thread(target=stream) for _ in range(STREAMS)]
            for thread in streams:
                thread.start()
            time.sleep(0.3)
            health, turns = [], []
            for i in range(PROBES):
                t0 = time.perf_counter()
                requests.get(url + "/healthz", timeout=120)
                health.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                requests.post(url + "/api/v1/chat", json={"message": f"add probe {i}"}, headers=headers, timeout=120)
                turns.append(time.perf_counter() - t0)
            for thread in streams:
                thread.join()
            return {
                "healthz_p50_ms": statistics.median(health) * 1000,
                "healthz_max_ms": max(health) * 1000,
                "chat_p50_ms": statistics.median(turns) * 1000,
                "chat_max_ms": max(turns) * 1000,
                "all_streams_s": time.perf_counter() - started,
            }
        finally:
            process.terminate()
            process.wait(timeout=30)


def main() -> None:
    baseline = _measure("sync")
    threads = _measure("gthread")
    ours = _measure("gevent")
    print(f"{STREAMS} paced streams open, 2 workers; {PROBES} probes each")
    print(f"{'':16}{'sync (baseline)':>18}{'gthread':>10}{'gevent (ours)':>16}{'sync/ours':>11}")
    for key in ("healthz_p50_ms", "healthz_max_ms", "chat_p50_ms", "chat_max_ms", "all_streams_s"):
        print(f"{key:16}{baseline[key]:18.1f}{threads[key]:10.1f}{ours[key]:16.1f}{baseline[key] / ours[key]:10.1f}x")


if __name__ == "__main__":
    main()
