"""Flask extensions, created unbound and initialised by the app factory."""

import time

from flask_cors import CORS
from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


# Rows stay readable after a commit without a reload: a turn commits the user's message and
# then goes on with the user and the values it already holds (re-reading them would cost a
# round trip each).
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
jwt = JWTManager()
cors = CORS()
# Each limit names its own key (address, email or user); see ``taskchat.limits``.
limiter = Limiter(get_remote_address)


# A pooled connection back in use within this many seconds is not pinged first.
PING_AFTER_IDLE_SECONDS = 2.0


def ping_when_idle(engine: Engine, idle_seconds: float = PING_AFTER_IDLE_SECONDS) -> None:
    """Ping a pooled connection before use only when it has lain idle a while.

    ``pool_pre_ping`` pings at every checkout: a round trip to the server before any work, and
    a chat turn checks a connection out twice (its user's message commits first). A connection
    used a moment ago was alive a moment ago; one that lay idle may have been dropped by a
    restarted server or a cut network, and is pinged (and replaced if dead). A server that goes
    away while connections are busy fails their next statement instead: a 503, and the pool
    then replaces every connection it holds.
    """
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection, record) -> None:
        record.info["taskchat_returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy) -> None:
        returned = record.info.get("taskchat_returned_at")
        if returned is not None and time.monotonic() - returned < idle_seconds:
            return
        try:
            alive = dialect.do_ping(dbapi_connection)
        except Exception as exc:  # noqa: BLE001 - any failure to ping is a dead connection
            raise DisconnectionError("the pooled connection did not answer a ping") from exc
        if not alive:
            raise DisconnectionError("the pooled connection did not answer a ping")
