"""The suite's own helpers: accounts through the API, free ports, gunicorn on loopback, clean tables."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
from sqlalchemy import text

from taskchat.extensions import db

ROOT = Path(__file__).resolve().parents[2]

def release(app) -> None:
    """After a test: empty the tables and close the app's connections."""
    with app.app_context():
        db.session.remove()
        empty_tables()
        db.session.remove()
        db.engine.dispose()

def empty_tables() -> None:
    tables = [table.name for table in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        for name in tables:
            db.session.execute(text(f"DELETE FROM {name}"))
    db.session.commit()

@dataclass
class Account:
    email: str
    password: str
    token: str
    user_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

class AuthActions:
    """Register and sign in users through the real API."""

    def __init__(self, client):
        self._client = client
        self._count = 0

    def register(self, email: str | None = None, password: str = "correct-horse-1", **extra) -> Account:
        self._count += 1
        email = email or f"user{self._count}@example.com"
        response = self._client.post(
            "/api/v1/auth/register", json={"email": email, "password": password, **extra}
        )
        assert response.status_code == 201, response.get_json()
        body = response.get_json()
        return Account(email, password, body["access_token"], body["user"]["id"])

    def login(self, email: str, password: str):
        return self._client.post("/api/v1/auth/login", json={"email": email, "password": password})

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]

@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen

@contextmanager
def gunicorn_server(database_url: str, log_dir: Path, **env: str):
    """The app under gunicorn (gunicorn.conf.py: gevent workers, as in production) on a free loopback port."""
    port = free_port()
    full_env = {
        **os.environ,
        "TASKCHAT_ENV": "testing",
        "DATABASE_URL": database_url,
        "TASKCHAT_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "TASKCHAT_THREADS": "8",
        # The job consumer only where a test asks for it (it would deliver the suite's reminders).
        "TASKCHAT_JOBS": "off",
        **env,
    }
    with open(log_dir / "server.log", "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(url + "/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:  # still booting
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"gunicorn did not start; see {log.name}")
            time.sleep(0.1)
        try:
            yield LiveServer(url, process)
        finally:
            process.terminate()
            process.wait(timeout=30)
