"""The app over HTTP, as in production, against its floor and the official ChatKit server.

    make bench-http            # or: .venv/bin/python -m benchmarks.http [--quick]

Starts gunicorn with the project's ``gunicorn.conf.py`` on loopback (2 workers), first on a
SQLite file, then on PostgreSQL (``BENCH_DATABASE_URL``, default the local ``taskchat_bench``
database; skipped if it does not answer), and drives it with ``wrk`` (installed with apt-get
when missing). In one run it prints:

- req/s of ``/healthz`` (the floor: gunicorn + Flask, no database), the ``/api/v1/chat``
  add-task and list turns, ChatKit ``threads.add_user_message`` (the stream read whole), and
  the official ``openai-chatkit`` ``ChatKitServer`` on FastAPI + uvicorn with the same
  worker count (``benchmarks/chatkit_peer.py``: in-memory store, echo reply) — as ratios;
- the first SSE byte of a ChatKit and a chat-completions stream, p50/p99;
- the same turns and first bytes as production runs them: rate limits on (high enough that the
  load is never refused, so what shows is what counting costs);
- 500 ChatKit streams opened at once, paced at 50 ms a word: completed/errors, the slowest,
  and ``/healthz`` latency while they run;
- RSS per worker before and after 10 000 turns;
- 20 trickling bodies (sign-ins with ``Content-Length: 100000`` sent a byte a second) and one
  signed-in writer: the writer's latency with and without them, as a ratio, and how the
  tricklers ended (``408`` after ``TASKCHAT_BODY_TIMEOUT_SECONDS``). ``--only-trickle`` runs
  just this part.

The machine may be shared, so absolute numbers are noisy: the ratios, measured within one
run, are what to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
LUA = ROOT / "benchmarks" / "wrk" / "post.lua"
WORKERS = 2
ACCOUNTS = 32
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/taskchat_bench"


def ensure_wrk() -> str:
    """The ``wrk`` binary; installed from Debian's package when missing."""
    path = shutil.which("wrk")
    if path:
        return path
    print("installing wrk (apt-get)…", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    return shutil.which("wrk") or "wrk"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_up(url: str, process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/healthz", timeout=2).ok:
                return
        except requests.RequestException:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{what} did not start")


@contextmanager
def gunicorn(database_url: str, **env: str):
    port = free_port()
    full_env = {
        **os.environ,
        "TASKCHAT_ENV": "testing",
        "DATABASE_URL": database_url,
        "TASKCHAT_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(WORKERS),
        "TASKCHAT_ACCESS_LOG": "0",
        **env,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT, env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_up(url, process, "gunicorn")
        yield url, process
    finally:
        process.terminate()
        process.wait(timeout=60)


@contextmanager
def chatkit_peer():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "benchmarks.chatkit_peer:app", "--port", str(port),
         "--workers", str(WORKERS), "--log-level", "warning", "--no-access-log"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_up(url, process, "the ChatKit peer")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=60)


def prepare_database(database_url: str) -> None:
    """Fresh tables (the app's metadata) in ``database_url``."""
    code = (
        "from taskchat import create_app\nfrom taskchat.extensions import db\n"
        f"app = create_app({{'ENV_NAME': 'testing', 'SQLALCHEMY_DATABASE_URI': {database_url!r}}})\n"
        "with app.app_context():\n    db.drop_all()\n    db.create_all()\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def postgres_answers(database_url: str) -> bool:
    code = (
        "import sqlalchemy as sa\n"
        f"sa.create_engine({database_url!r}).connect().close()\n"
    )
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True).returncode == 0


# --- load ----------------------------------------------------------------------------------


def wrk(url: str, path: str, seconds: int, posts: list[tuple[dict, str]] | None = None, connections: int = 16) -> dict:
    """``wrk -t2 -c16`` for ``seconds``: requests/s, latency p50/p99 (ms), errors.

    ``posts`` are ``(body, token)`` pairs sent round-robin (``benchmarks/wrk/post.lua``).
    """
    command = [ensure_wrk(), "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    env = dict(os.environ)
    if posts is not None:
        command += ["-s", str(LUA)]
        env["BODIES"] = "\n".join(json.dumps(body) for body, _token in posts)
        env["TOKENS"] = "\n".join(token or "-" for _body, token in posts)
    output = subprocess.run(command + [url + path], capture_output=True, text=True, env=env, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    requests_done = int(re.search(r"(\d+) requests in", output).group(1))
    errors = 0
    for pattern in (r"Non-2xx or 3xx responses: (\d+)", r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)"):
        found = re.search(pattern, output)
        if found:
            errors += sum(int(g) for g in found.groups())
    latency = {}
    for pct in ("50", "99"):
        found = re.search(rf"\s{pct}(?:\.000)?%\s+([\d.]+)(us|ms|s)", output)
        if found:
            value, unit = float(found.group(1)), found.group(2)
            latency[pct] = value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    return {"rate": rate, "requests": requests_done, "errors": errors, "p50": latency.get("50"), "p99": latency.get("99")}


def register(url: str) -> tuple[str, str]:
    email = f"bench-{uuid.uuid4().hex[:10]}@example.com"
    response = requests.post(url + "/api/v1/auth/register", json={"email": email, "password": "correct-horse-1"}, timeout=30)
    response.raise_for_status()
    body = response.json()
    return body["access_token"], body["user"]["id"]


def chat(url: str, token: str, message: str, conversation_id: str | None = None) -> dict:
    response = requests.post(
        url + "/api/v1/chat", json={"message": message, "conversation_id": conversation_id},
        headers={"Authorization": f"Bearer {token}"}, timeout=30,
    )
    response.raise_for_status()
    return response.json()


def user_input(text: str) -> dict:
    return {"content": [{"type": "input_text", "text": text}], "attachments": [], "inference_options": {}}


def new_thread(url: str, token: str, path: str = "/api/v1/chatkit") -> str:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = requests.post(url + path, json={"type": "threads.create", "params": {"input": user_input("hello there")}},
                             headers=headers, timeout=30)
    response.raise_for_status()
    first = next(line for line in response.text.split("\n") if line.startswith("data: "))
    return json.loads(first[len("data: "):])["thread"]["id"]


# --- streams -------------------------------------------------------------------------------


def _request(path: str, port: int, body: dict, token: str) -> bytes:
    payload = json.dumps(body).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {token}\r\nContent-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + payload


def first_byte(url: str, path: str, body: dict, token: str, count: int) -> tuple[float, float]:
    """p50/p99 ms from sending a streaming request to the first ``data:`` frame."""
    port = int(url.rsplit(":", 1)[1])
    times = []
    for _ in range(count):
        with socket.create_connection(("127.0.0.1", port)) as sock:
            started = time.perf_counter()
            sock.sendall(_request(path, port, body, token))
            seen = b""
            while b"data:" not in seen:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                seen += chunk
            times.append((time.perf_counter() - started) * 1000)
            while sock.recv(65536):
                pass
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99) - 1]


async def _one_stream(port: int, request: bytes) -> tuple[float, bool]:
    started = time.perf_counter()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request)
        await writer.drain()
        data = await asyncio.wait_for(reader.read(-1), timeout=120)
        writer.close()
        ok = data.startswith(b"HTTP/1.1 200") and b'"thread.item.done"' in data and b'"error"' not in data
    except (TimeoutError, OSError):
        ok = False
    return time.perf_counter() - started, ok


async def _probe(port: int, stop: asyncio.Event, latencies: list[float]) -> None:
    request = f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode()
    while not stop.is_set():
        started = time.perf_counter()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request)
        await reader.read(-1)
        writer.close()
        latencies.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(0.05)


async def _many_streams(port: int, requests_: list[bytes]) -> tuple[list[tuple[float, bool]], list[float]]:
    stop = asyncio.Event()
    latencies: list[float] = []
    probe = asyncio.create_task(_probe(port, stop, latencies))
    results = await asyncio.gather(*(_one_stream(port, request) for request in requests_))
    stop.set()
    await probe
    return results, latencies


def many_streams(url: str, tokens: list[str], threads: list[str], count: int) -> dict:
    """``count`` ChatKit add_user_message streams opened at once (the server paces words)."""
    port = int(url.rsplit(":", 1)[1])
    message = "add water the plants on the balcony before the weekend and buy fresh basil seeds too"
    batch = [
        _request("/api/v1/chatkit", port, {"type": "threads.add_user_message",
                                           "params": {"thread_id": threads[i % len(threads)], "input": user_input(message)}},
                 tokens[i % len(tokens)])
        for i in range(count)
    ]
    results, latencies = asyncio.run(_many_streams(port, batch))
    times = [elapsed for elapsed, _ok in results]
    return {
        "completed": sum(ok for _e, ok in results),
        "errors": sum(not ok for _e, ok in results),
        "slowest": max(times),
        "median": statistics.median(times),
        "healthz_max": max(latencies) if latencies else float("nan"),
        "healthz_p50": statistics.median(latencies) if latencies else float("nan"),
    }


class Trickler:
    """A sign-in whose ``Content-Length: 100000`` body comes a byte a second, in a thread."""

    def __init__(self, port: int, every: float = 1.0):
        import threading

        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.sock.sendall(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                          b"Content-Length: 100000\r\n\r\n{")
        self.started = time.perf_counter()
        self.status: str | None = None
        self.ended_after: float | None = None
        self._every = every
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        self.sock.settimeout(self._every)
        answer = b""
        while not self._done.is_set():
            try:
                chunk = self.sock.recv(4096)
            except TimeoutError:
                try:
                    self.sock.sendall(b" ")
                except OSError:
                    pass
                continue
            except OSError:
                break
            if not chunk:
                break
            answer += chunk
            if self.status is None:
                self.status = answer.split(b" ", 2)[1].decode() if b" " in answer else "?"
                self.ended_after = time.perf_counter() - self.started
        self.sock.close()

    def stop(self, deadline: float) -> None:
        """Wait for the answer until ``deadline`` (``time.monotonic()``), then hang up."""
        self._thread.join(timeout=max(0.0, deadline - time.monotonic()))
        self._done.set()


def writer_latencies(url: str, token: str, seconds: float) -> list[float]:
    """ms per ``POST /api/v1/tasks``, one after another for ``seconds``."""
    times = []
    session = requests.Session()
    headers = {"Authorization": f"Bearer {token}"}
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        n += 1
        started = time.perf_counter()
        response = session.post(url + "/api/v1/tasks", json={"title": f"write {n}"}, headers=headers, timeout=60)
        times.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return times


def trickling_bodies(database_url: str, count: int = 20, window: float = 6.0) -> None:
    """``count`` trickling sign-ins and one writer, on their own gunicorn (default settings)."""
    with gunicorn(database_url) as (url, _master):
        port = int(url.rsplit(":", 1)[1])
        token, _user = register(url)
        writer_latencies(url, token, 1.0)  # warm both workers' paths
        alone = writer_latencies(url, token, window)
        tricklers = [Trickler(port) for _ in range(count)]
        time.sleep(0.5)
        crowded = writer_latencies(url, token, window)
        deadline = time.monotonic() + 30  # past the body timeout (10 s by default)
        for trickler in tricklers:
            trickler.stop(deadline)
    a50, c50 = statistics.median(alone), statistics.median(crowded)
    statuses: dict[str, int] = {}
    for trickler in tricklers:
        statuses[trickler.status or "no answer"] = statuses.get(trickler.status or "no answer", 0) + 1
    ended = [t.ended_after for t in tricklers if t.ended_after is not None]
    print(f"{count} trickling bodies + one writer (POST /api/v1/tasks, {window:.0f} s each way): "
          f"writer p50 {a50:.1f} ms alone, {c50:.1f} ms with them (× {c50 / a50:.2f}); "
          f"max {max(alone):.0f} → {max(crowded):.0f} ms; writes {len(alone)} → {len(crowded)}; "
          f"tricklers answered {statuses}"
          + (f" after {min(ended):.1f}–{max(ended):.1f} s" if ended else ""))


def worker_rss(master: subprocess.Popen) -> list[float]:
    """RSS (MB) of each gunicorn worker (the master's children)."""
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    sizes = []
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        sizes.append(int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024)
    return sizes


# --- the run -------------------------------------------------------------------------------


PRODUCTION_LIMITS = {
    "RATELIMIT_ENABLED": "true",
    "RATELIMIT_CHAT_PER_USER": "1000000 per minute",
    "RATELIMIT_SIGNUP_PER_ADDRESS": "1000000 per minute",
    "RATELIMIT_SIGNUP_PER_EMAIL": "1000000 per minute",
    "RATELIMIT_SIGNIN_PER_ADDRESS": "1000000 per minute",
    "RATELIMIT_SIGNIN_PER_EMAIL": "1000000 per minute",
}


def _turn_rates(url: str, seconds: int, adders, listers, kits, label: str):
    """The floor and the three turns under wrk, printed as a table; (floor, rows, ChatKit row)."""
    floor = wrk(url, "/healthz", seconds)
    add = wrk(url, "/api/v1/chat", seconds, adders)
    show = wrk(url, "/api/v1/chat", seconds, listers)
    kit = wrk(url, "/api/v1/chatkit", seconds, kits)
    rows = [("/healthz (floor)" + label, floor), ("chat add-task turn" + label, add), ("chat list turn" + label, show),
            ("ChatKit add_user_message" + label, kit)]
    print(f"{'measure':40} {'req/s':>9} {'÷ floor':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for name, row in rows:
        print(f"{name:40} {row['rate']:9.0f} {row['rate'] / floor['rate']:8.3f} {row['p50'] or 0:8.1f} "
              f"{row['p99'] or 0:8.1f} {row['errors']:7d}")
    return floor, rows, kit


def _first_bytes(url: str, kits, label: str) -> None:
    kit_token = kits[0][1]
    thread = kits[0][0]["params"]["thread_id"]
    body = {"type": "threads.add_user_message", "params": {"thread_id": thread, "input": user_input("add tea")}}
    ck50, ck99 = first_byte(url, "/api/v1/chatkit", body, kit_token, 200)
    completion = {"messages": [{"role": "user", "content": "add tea"}], "stream": True}
    cc50, cc99 = first_byte(url, "/api/v1/chat/completions", completion, kit_token, 200)
    print(f"first SSE byte{label}, delay 0 (ms): ChatKit p50 {ck50:.1f} p99 {ck99:.1f}; "
          f"completions p50 {cc50:.1f} p99 {cc99:.1f}")


def bench_database(name: str, database_url: str, seconds: int, streams: int, turns: int, peer_rate: float | None) -> None:
    prepare_database(database_url)
    print(f"\n## {name}  (gunicorn, {WORKERS} workers, gunicorn.conf.py; wrk -t2 -c16 -d{seconds}s)")
    with gunicorn(database_url) as (url, master):
        # One account and conversation per connection's worth of requests: turns of one
        # conversation queue on its row (PostgreSQL) by design, which is not the load to measure.
        adders, listers, kits = [], [], []
        for _ in range(ACCOUNTS):
            token, _user = register(url)
            adders.append(({"message": "add buy oat milk tomorrow",
                            "conversation_id": chat(url, token, "add call mom")["conversation_id"]}, token))
            token, _user = register(url)
            conversation = None
            for title in ("buy milk", "call the bank", "water plants", "pay rent", "book dentist"):
                conversation = chat(url, token, "add " + title, conversation)["conversation_id"]
            listers.append(({"message": "show my tasks", "conversation_id": conversation}, token))
            token, _user = register(url)
            kits.append(({"type": "threads.add_user_message",
                          "params": {"thread_id": new_thread(url, token), "input": user_input("add buy oat milk tomorrow")}},
                         token))
        rss_before = worker_rss(master)

        floor, rows, kit = _turn_rates(url, seconds, adders, listers, kits, "")
        if peer_rate:
            print(f"ChatKit add_user_message ÷ official ChatKitServer (FastAPI+uvicorn, in-memory, echo): "
                  f"{kit['rate']:.0f} ÷ {peer_rate:.0f} = {kit['rate'] / peer_rate:.2f}")
        _first_bytes(url, kits, "")
        done = sum(row["requests"] for _label, row in rows[1:]) + 400
        while done < turns:
            extra = wrk(url, "/api/v1/chat", seconds, adders)
            done += extra["requests"]
        rss_after = worker_rss(master)
        print(f"RSS per worker (MB): {', '.join(f'{mb:.0f}' for mb in rss_before)} before → "
              f"{', '.join(f'{mb:.0f}' for mb in rss_after)} after {done} turns")

    # As production runs: rate limits on (counted in the shared file, as without Redis), with
    # limits high enough that the load is never refused — what is measured is their cost.
    with gunicorn(database_url, **PRODUCTION_LIMITS) as (url, _master):
        _turn_rates(url, seconds, adders, listers, kits, " (limits on)")
        _first_bytes(url, kits, " (limits on)")

    with gunicorn(database_url, TASKCHAT_STREAM_DELAY_MS="50") as (url, _master):
        tokens, threads = [], []
        for _ in range(20):
            account, _ = register(url)
            tokens.append(account)
            threads.append(new_thread(url, account))
        result = many_streams(url, tokens, threads, streams)
        print(f"{streams} ChatKit streams at once, 50 ms/word (~16 words): {result['completed']} completed, "
              f"{result['errors']} errors, slowest {result['slowest']:.2f} s (median {result['median']:.2f} s); "
              f"/healthz during: p50 {result['healthz_p50']:.0f} ms, max {result['healthz_max']:.0f} ms")
    trickling_bodies(database_url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="wrk duration per measure")
    parser.add_argument("--streams", type=int, default=500)
    parser.add_argument("--turns", type=int, default=10_000, help="turns before the second RSS reading")
    parser.add_argument("--postgres", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG))
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--only-trickle", action="store_true", help="only the trickling-bodies measure (SQLite)")
    args = parser.parse_args(argv)
    if args.only_trickle:
        with tempfile.TemporaryDirectory() as tmp:
            prepare_database(f"sqlite:///{tmp}/bench.db")
            print("\n## SQLite: trickling bodies")
            trickling_bodies(f"sqlite:///{tmp}/bench.db")
        return 0
    ensure_wrk()

    with chatkit_peer() as peer:
        thread = new_thread(peer, "", "/chatkit")
        peer_row = wrk(peer, "/chatkit", args.seconds,
                       [({"type": "threads.add_user_message",
                          "params": {"thread_id": thread, "input": user_input("add buy oat milk tomorrow")}}, "")])
        peer_floor = wrk(peer, "/healthz", args.seconds)
    print(f"official ChatKitServer (FastAPI+uvicorn, {WORKERS} workers): add_user_message {peer_row['rate']:.0f} req/s "
          f"(p50 {peer_row['p50'] or 0:.1f} ms, p99 {peer_row['p99'] or 0:.1f} ms, errors {peer_row['errors']}); "
          f"its /healthz {peer_floor['rate']:.0f} req/s")

    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            bench_database("SQLite", f"sqlite:///{tmp}/bench.db", args.seconds, args.streams, args.turns, peer_row["rate"])
    if args.only in (None, "postgresql"):
        if postgres_answers(args.postgres):
            bench_database("PostgreSQL", args.postgres, args.seconds, args.streams, args.turns, peer_row["rate"])
        else:
            print(f"\n## PostgreSQL: {args.postgres} does not answer; skipped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
