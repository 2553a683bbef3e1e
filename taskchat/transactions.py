"""Transaction behaviour that has to differ on SQLite.

pysqlite's own transaction handling breaks SAVEPOINTs (a failing tool must roll back alone),
so SQLAlchemy's recipe takes over: pysqlite in autocommit mode and ``BEGIN`` emitted by us.

SQLite also cannot upgrade a read transaction to a write one when another connection wrote
in between (``SQLITE_BUSY``, without waiting). Code that is about to write therefore calls
``begin_write()``, which starts a fresh ``BEGIN IMMEDIATE`` transaction: it waits for the
write lock (``busy_timeout``) instead of failing. On PostgreSQL it does nothing.
"""

from __future__ import annotations

from contextvars import ContextVar

from sqlalchemy import event
from sqlalchemy.engine import Engine

from .extensions import db

_immediate: ContextVar[bool] = ContextVar("sqlite_begin_immediate", default=False)


def _on_connect(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _on_begin(connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE" if _immediate.get() else "BEGIN")


def configure_sqlite(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _on_connect)
        event.listen(engine, "begin", _on_begin)


def begin_write() -> None:
    """Start the transaction that is about to write (commits whatever the session holds)."""
    if db.session.get_bind().dialect.name != "sqlite":
        return
    if db.session().in_transaction():
        db.session.commit()
    token = _immediate.set(True)
    try:
        db.session.connection()
    finally:
        _immediate.reset(token)
