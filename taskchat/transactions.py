"""Write transactions: ``with writing():`` around every change, on SQLite and PostgreSQL alike.

pysqlite's own transaction handling breaks SAVEPOINTs (a failing tool must roll back alone),
so SQLAlchemy's recipe takes over: pysqlite in autocommit mode and ``BEGIN`` emitted by us.

SQLite also cannot upgrade a read transaction to a write one when another connection wrote
in between (``SQLITE_BUSY``, without waiting). ``writing()`` therefore ends whatever read
transaction the session holds and starts ``BEGIN IMMEDIATE``, which takes the write lock up
front. Writers queue for it in two steps, threads of a process on a ``threading.Lock``, then
the processes on an ``flock`` of a file beside the database: a waiting writer is woken the
moment the one before it commits, where SQLite's busy handler would sleep in growing steps
(up to 100 ms) and poll — and the process that just wrote would take the lock again first,
so that two workers wrote no faster than one. The lock is held only while the turn's rows
are written; a stream sends its words after the commit (``agent.runner._run``).

The server settings: WAL (readers never wait for the writer) with ``synchronous=NORMAL``
(a commit is not fsynced until the next checkpoint: a power cut can lose the last commits,
never corrupt the file; a crash of the process loses nothing), set once per connection.
"""

from __future__ import annotations

import fcntl
import os
import sys
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from .extensions import db

_immediate: ContextVar[bool] = ContextVar("sqlite_begin_immediate", default=False)
_sqlite_writer = threading.Lock()
_writer_locks: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine → its file's lock


class _ProcessLock:
    """An exclusive ``flock`` on ``path``, opened once per process (a descriptor inherited
    over ``fork`` would be one lock shared by parent and child, excluding neither)."""

    def __init__(self, path: str):
        self.path = path
        self._fd: int | None = None
        self._pid = 0

    def _descriptor(self) -> int:
        if self._pid != os.getpid():
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._pid = os.getpid()
        assert self._fd is not None
        return self._fd

    def acquire(self) -> None:
        """Take the lock. When another process holds it, a greenlet (under gevent) first lets
        the worker's other ready greenlets run while it tries again for ``_SPIN_SECONDS``
        (about one write), then waits in the kernel, woken when the lock is let go. Waiting
        in the kernel straight away stopped the whole worker at every wait (``/healthz`` up
        to 290 ms while 500 streams opened); only polling starved the other process (wrk
        timeouts); waiting in gevent's thread pool cost a third of the throughput."""
        descriptor = self._descriptor()
        spin_until = None
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:  # another process is writing
                pass
            now = time.monotonic()
            spin_until = spin_until or now + _SPIN_SECONDS
            if now > spin_until or not _cooperative():
                fcntl.flock(descriptor, fcntl.LOCK_EX)  # wait in the kernel, woken at the release
                return
            time.sleep(0)  # under gevent: the worker's other greenlets that are ready run first

    def release(self) -> None:
        fcntl.flock(self._descriptor(), fcntl.LOCK_UN)


# About one write: most waits end within it, without the worker stopping.
_SPIN_SECONDS = 0.0003


def _cooperative() -> bool:
    """Is this process under gevent's monkey-patching (``time.sleep`` yields to the others)?"""
    if "gevent" not in sys.modules:
        return False
    from gevent import monkey

    return monkey.is_module_patched("time")


def _process_lock(engine: Engine) -> _ProcessLock | None:
    """The writers' lock of a SQLite file (None for an in-memory database)."""
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return _ProcessLock(os.path.abspath(database) + "-writer.lock")


def _on_connect(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _on_begin(connection) -> None:
    # Straight to the driver: SQLAlchemy's execution path costs more than the statement.
    connection.connection.driver_connection.execute("BEGIN IMMEDIATE" if _immediate.get() else "BEGIN")


def configure_sqlite(engine: Engine) -> None:
    """Install the per-connection pragmas and our own ``BEGIN`` on a SQLite engine."""
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _on_connect)
        event.listen(engine, "begin", _on_begin)
        _writer_locks[engine] = _process_lock(engine)


@contextmanager
def writing() -> Iterator[None]:
    """One write transaction: commit when the block ends, roll back when it raises.

    On SQLite whatever the session read before is ended first (a read transaction cannot
    become a write one) and the block holds the write lock from its first statement; on
    PostgreSQL the block simply carries on the transaction the session has open. A block
    inside another joins it.

    The commit is the database's, not the session's: the session flushes, the connection
    commits, and the session keeps its connection for the rest of the request (the next
    block, or a read, begins on it anew). A turn's two blocks so take one connection from
    the pool, not two, and on PostgreSQL pay one pre-ping, not two; nothing is expired or
    re-read in between. A block that raises rolls the session back as usual.
    """
    session = db.session
    info = session().info
    if info.get("writing"):
        yield
        return
    bind = session.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    process_lock = _writer_locks.get(bind) if sqlite else None
    if sqlite:
        _sqlite_writer.acquire()
        if process_lock is not None:
            process_lock.acquire()
    info["writing"] = True
    try:
        info["connection"] = _begin_write(session, sqlite)
        yield
        session.flush()
        info["connection"].connection.driver_connection.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        info.pop("writing", None)
        info.pop("connection", None)
        callbacks = info.pop("after_commit", None)
        if sqlite:
            if process_lock is not None:
                process_lock.release()
            _sqlite_writer.release()
    # Only reached when the block committed; outside the write lock.
    for callback in callbacks or ():
        callback()


def after_commit(callback) -> None:
    """Call ``callback`` once the current write block has committed (never when it rolls
    back): what must only happen for rows others can read, like asking a job queue to deliver
    them. Outside a block it is called at once."""
    info = db.session().info
    if info.get("writing"):
        info.setdefault("after_commit", []).append(callback)
    else:
        callback()


def restart() -> None:
    """Roll the current write transaction back and begin it anew, still holding the write
    lock: what a failed first change of a block does instead of rolling back to a SAVEPOINT
    it did not pay for (``agent.state._call_tool``)."""
    session = db.session
    info = session().info
    assert info.get("writing"), "restart() outside writing()"
    info.pop("after_commit", None)  # for what was rolled back
    session.rollback()
    info["connection"] = _begin_write(session, session.get_bind().dialect.name == "sqlite")


def _begin_write(session, sqlite: bool) -> Connection:
    """The session's connection, in a transaction that may write (SQLite: ``BEGIN IMMEDIATE``)."""
    if not session().in_transaction():
        token = _immediate.set(sqlite)
        try:
            return session.connection()
        finally:
            _immediate.reset(token)
    connection = session.connection()
    if sqlite:
        driver = connection.connection.driver_connection
        if driver.in_transaction:  # a read snapshot, which cannot become a write transaction
            session.flush()
            driver.commit()
        driver.execute("BEGIN IMMEDIATE")
    return connection


def connection() -> Connection:
    """The connection of the current write transaction (asking the session for it each time,
    inside a SAVEPOINT, walks its transactions), or the session's."""
    found = db.session().info.get("connection")
    return found if found is not None else db.session.connection()
