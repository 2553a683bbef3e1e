"""Bodies sent a byte at a time, against gunicorn: they get a 408 in the JSON envelope once
``TASKCHAT_BODY_TIMEOUT_SECONDS`` has passed, their connection is closed, and while they
trickle they hold no turn slot, so a signed-in writer is answered at once."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from urllib.parse import urlsplit

import pytest
import requests

from tests.helpers.app import gunicorn_server

pytestmark = pytest.mark.live

TRICKLERS = 20
BODY_TIMEOUT = 4


class Trickler:
    """A sign-in whose body (``Content-Length: 100000``) comes a byte every half second."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=30)
        self.sock.sendall(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: taskchat\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"
        )
        self.answer = b""
        self.answered_at: float | None = None
        self.closed = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        self.sock.settimeout(0.5)
        deadline = time.monotonic() + BODY_TIMEOUT + 20
        while not self._stop.is_set() and time.monotonic() < deadline:
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                try:
                    self.sock.sendall(b" ")
                except OSError:  # the server closed its side: read what it said
                    continue
                continue
            except OSError:  # reset after the answer: closed all the same
                self.closed = bool(self.answer)
                break
            if not chunk:
                self.closed = True
                break
            if self.answered_at is None:
                self.answered_at = time.monotonic()
            self.answer += chunk

    def finish(self) -> None:
        self._thread.join(timeout=BODY_TIMEOUT + 25)
        self._stop.set()
        self.sock.close()


def _register(url: str) -> dict[str, str]:
    response = requests.post(
        url + "/api/v1/auth/register",
        json={"email": f"w-{uuid.uuid4().hex[:10]}@example.com", "password": "correct-horse-1"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.mark.parametrize("worker_class", ["gevent", "gthread"])
def test_trickling_bodies_get_408_and_hold_no_slot(database_url, _schema, tmp_path, worker_class):
    env = {
        "TASKCHAT_WORKER_CLASS": worker_class,
        "TASKCHAT_BODY_TIMEOUT_SECONDS": str(BODY_TIMEOUT),
        # Fewer slots than tricklers: had they taken slots, the writer would wait for one.
        "TASKCHAT_TURN_SLOTS": "4",
        "TASKCHAT_THREADS": "64",
    }
    with gunicorn_server(database_url, tmp_path, **env) as server:
        headers = _register(server.url)
        tricklers = [Trickler(server.url) for _ in range(TRICKLERS)]
        try:
            time.sleep(1)  # every trickler is in, reading its body
            written = requests.post(server.url + "/api/v1/tasks", json={"title": "while they trickle"},
                                    headers=headers, timeout=30)
            written_at = time.monotonic()
            assert written.status_code == 201, written.text
            assert requests.get(server.url + "/healthz", timeout=10).status_code == 200
        finally:
            for trickler in tricklers:
                trickler.finish()

    for trickler in tricklers:
        head, _, body = trickler.answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408"), trickler.answer[:300]
        error = json.loads(body)["error"]
        assert error["code"] == "request_timeout" and str(BODY_TIMEOUT) in error["message"]
        assert trickler.closed
        # The writer was answered while every trickler was still sending, not after they gave up.
        assert trickler.answered_at is not None and written_at < trickler.answered_at
