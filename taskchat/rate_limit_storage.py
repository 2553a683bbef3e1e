"""Rate-limit counters in a SQLite file, shared by every worker process of one machine.

Without ``REDIS_URL`` the counters used to live in each worker's memory: with two workers,
each counted alone, and 10 wrong passwords a minute became up to 20. Counters in a file that
every worker opens hold the total on one machine with no other service (``make run``). Several
machines still need ``REDIS_URL`` (README, "Limits").

A ``limits`` storage (the library under Flask-Limiter), registered under the scheme
``taskchat+sqlite`` (``taskchat+sqlite:////abs/path/rate-limits.sqlite3``), for the
fixed-window strategy Flask-Limiter uses by default. One upsert per hit: atomic across
processes, a few microseconds, in its own file so it never waits on the app database's writer.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time

from limits.storage import Storage

SCHEME = "taskchat+sqlite"

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS counters ("
    " key TEXT PRIMARY KEY, count INTEGER NOT NULL, expires REAL NOT NULL) WITHOUT ROWID"
)
# A window that has ended starts again at ``amount``; otherwise ``amount`` is added.
_HIT = (
    "INSERT INTO counters (key, count, expires) VALUES (:key, :amount, :expires) "
    "ON CONFLICT (key) DO UPDATE SET "
    " count = CASE WHEN counters.expires <= :now THEN excluded.count ELSE counters.count + excluded.count END,"
    " expires = CASE WHEN counters.expires <= :now THEN excluded.expires ELSE counters.expires END "
    "RETURNING count"
)
_PURGE_EVERY = 1000  # hits between deletions of ended windows


def storage_uri(path: str) -> str:
    return f"{SCHEME}:///{os.path.abspath(path)}"


class SQLiteFileStorage(Storage):
    """Fixed-window counters in one SQLite file (WAL), one connection per worker process."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **_options: float | str | bool):
        # "taskchat+sqlite:////abs/path" names "/abs/path"; other options (Redis socket
        # timeouts from the shared config) do not apply to a file.
        path = (uri or "").split("://", 1)[1]
        self.path = path[1:] if path.startswith("//") else path
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self._pid = 0
        self._hits = 0
        super().__init__(uri, wrap_exceptions=wrap_exceptions)

    @property
    def base_exceptions(self) -> type[Exception]:
        return sqlite3.Error

    def _db(self) -> sqlite3.Connection:
        # Opened in the process that uses it: a connection inherited across gunicorn's fork
        # must not be shared by two processes.
        if self._connection is None or self._pid != os.getpid():
            os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=1, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL")
            # Counters, not data: losing the last few to a power cut is fine; waiting on fsync is not.
            connection.execute("PRAGMA synchronous=OFF")
            connection.execute(_SCHEMA)
            self._connection, self._pid = connection, os.getpid()
        return self._connection

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = time.time()
        with self._lock:
            db = self._db()
            (count,) = db.execute(_HIT, {"key": key, "amount": amount, "expires": now + expiry, "now": now}).fetchone()
            self._hits += 1
            if self._hits % _PURGE_EVERY == 0:
                db.execute("DELETE FROM counters WHERE expires <= ?", (now,))
        return int(count)

    def get(self, key: str) -> int:
        with self._lock:
            row = self._db().execute(
                "SELECT count FROM counters WHERE key = ? AND expires > ?", (key, time.time())
            ).fetchone()
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        now = time.time()
        with self._lock:
            row = self._db().execute("SELECT expires FROM counters WHERE key = ? AND expires > ?", (key, now)).fetchone()
        return float(row[0]) if row else now

    def check(self) -> bool:
        try:
            with self._lock:
                self._db().execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        with self._lock:
            return self._db().execute("DELETE FROM counters").rowcount

    def clear(self, key: str) -> None:
        with self._lock:
            self._db().execute("DELETE FROM counters WHERE key = ?", (key,))
