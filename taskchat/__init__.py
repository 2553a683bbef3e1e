"""taskchat: a task manager you talk to."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from dotenv import load_dotenv
from flask import Flask

from .config import CONFIGS, from_environment, instance_secret
from .converters import register_converters
from .extensions import cors, db, jwt, migrate, ping_when_idle
from .http_headers import register_security_headers
from .limits import register_limits
from .observability import (
    configure_logging,
    register_metrics,
    register_proxy_fix,
    register_request_ids,
)
from .rate_limit_storage import storage_uri
from .request_body import register_body_deadline, register_request_body
from .transactions import configure_sqlite

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: str | dict[str, Any] | None = None) -> Flask:
    """Build the app: configuration, extensions, blueprints, error handlers, commands."""
    load_dotenv(ROOT / ".env", override=False)
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    register_request_body(app)
    register_converters(app)
    configure(app, config)
    configure_logging(app)
    register_proxy_fix(app)
    register_request_ids(app)
    register_body_deadline(app)
    register_security_headers(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_metrics(app)
    register_limits(app)
    register_commands(app)
    return app


def configure(app: Flask, config: str | dict[str, Any] | None) -> None:
    overrides = config if isinstance(config, dict) else {}
    name = config if isinstance(config, str) else overrides.get("ENV_NAME") or os.environ.get(
        "TASKCHAT_ENV", "development"
    )
    app.config.from_object(CONFIGS[name])
    app.config.update(from_environment())
    app.config.update(overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        app.config["RATELIMIT_STORAGE_URI"] = storage_uri(str(Path(app.instance_path) / "rate-limits.sqlite3"))
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'taskchat.db'}"
    for key in ("SECRET_KEY", "JWT_SECRET_KEY"):
        if not app.config.get(key):
            if name == "production":
                raise RuntimeError(f"{key} must be set in production.")
            app.config[key] = instance_secret(app.instance_path)
    if name == "production" and len(app.config["JWT_SECRET_KEY"]) < 32:
        raise RuntimeError("JWT_SECRET_KEY must be at least 32 characters in production.")
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
        options.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
        # A local file does not go away like a server connection: no ping at every checkout.
        options["pool_pre_ping"] = False
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    elif app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = postgresql_engine_options(app.config)


def postgresql_engine_options(config: dict[str, Any]) -> dict[str, Any]:
    """Bounded waits, so an unreachable database is a quick 503 and never a hung request:
    connecting, waiting for a pooled connection and running a statement all time out, and
    a pooled connection that lay idle is pinged before use (a restarted server is reconnected to)."""
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
    # Pinged only after lying idle (``extensions.ping_when_idle``), not at every checkout.
    options["pool_pre_ping"] = False
    options.setdefault("pool_timeout", config["TASKCHAT_DB_POOL_TIMEOUT"])
    connect_args = dict(options.get("connect_args", {}))
    connect_args.setdefault("connect_timeout", config["TASKCHAT_DB_CONNECT_TIMEOUT"])
    connect_args.setdefault("options", f"-c statement_timeout={config['TASKCHAT_DB_STATEMENT_TIMEOUT_MS']}")
    # A peer that vanished without closing (a cut network) is noticed by TCP keepalives.
    connect_args.setdefault("keepalives", 1)
    connect_args.setdefault("keepalives_idle", 10)
    connect_args.setdefault("keepalives_interval", 5)
    connect_args.setdefault("keepalives_count", 3)
    options["connect_args"] = connect_args
    return options


def register_extensions(app: Flask) -> None:
    from . import turn_slots

    db.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        with app.app_context():
            ping_when_idle(db.engine)
    turn_slots.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    jwt.init_app(app)
    if app.config["CORS_ORIGINS"]:
        cors.init_app(
            app,
            resources={r"/api/*": {"origins": app.config["CORS_ORIGINS"]}},
            supports_credentials=True,
            expose_headers=["X-Conversation-Id"],
        )
    with app.app_context():
        configure_sqlite(db.engine)
        if app.config.get("TASKCHAT_LLM_BASE_URL"):
            from .agent import llm

            llm.client()  # the openai package takes seconds to import: not on the first turn


def register_blueprints(app: Flask) -> None:
    from . import api, calendar_feed, health, web

    app.register_blueprint(api.bp)
    app.register_blueprint(calendar_feed.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(web.bp)


def register_errorhandlers(app: Flask) -> None:
    from .auth import register_jwt_handlers
    from .errors import register_errorhandlers as register

    register(app)
    register_jwt_handlers(app)


def register_commands(app: Flask) -> None:
    from .cli import create_user_command, deliver_reminders_command, mcp_command, seed_demo_command

    app.cli.add_command(create_user_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(mcp_command)
    app.cli.add_command(deliver_reminders_command)
