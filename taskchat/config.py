"""Configuration: defaults per environment, then the process environment (and ``.env``).

The environment is read when an app is created (``from_environment``), not at import, so a
``.env`` file loaded by the factory and variables set later both take effect.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

# The limits, in Flask-Limiter's notation ("5 per minute", "100/hour;10/minute").
RATE_LIMITS = (
    "RATELIMIT_SIGNIN_PER_ADDRESS",
    "RATELIMIT_SIGNIN_PER_EMAIL",
    "RATELIMIT_SIGNUP_PER_ADDRESS",
    "RATELIMIT_SIGNUP_PER_EMAIL",
    "RATELIMIT_CHAT_PER_USER",
)


DATABASE_TIMEOUTS = ("TASKCHAT_DB_CONNECT_TIMEOUT", "TASKCHAT_DB_POOL_TIMEOUT", "TASKCHAT_DB_STATEMENT_TIMEOUT_MS")


def from_environment() -> dict[str, Any]:
    """The settings the process environment gives, under their config names."""
    env = os.environ
    settings: dict[str, Any] = {}
    for name, key in (
        ("SECRET_KEY", "SECRET_KEY"),
        ("JWT_SECRET_KEY", "JWT_SECRET_KEY"),
        ("DATABASE_URL", "SQLALCHEMY_DATABASE_URI"),
        ("TASKCHAT_LLM_BASE_URL", "TASKCHAT_LLM_BASE_URL"),
        ("TASKCHAT_LLM_MODEL", "TASKCHAT_LLM_MODEL"),
        ("OPENAI_API_KEY", "OPENAI_API_KEY"),
        ("TASKCHAT_CHATKIT_DOMAIN_KEY", "TASKCHAT_CHATKIT_DOMAIN_KEY"),
        # The ChatKit page's look (defaults in taskchat.web.chatkit_page: the seed's widget).
        ("TASKCHAT_CHATKIT_TITLE", "TASKCHAT_CHATKIT_TITLE"),
        ("TASKCHAT_CHATKIT_ACCENT", "TASKCHAT_CHATKIT_ACCENT"),
        ("TASKCHAT_CHATKIT_GREETING", "TASKCHAT_CHATKIT_GREETING"),
    ):
        if env.get(name, "").strip():
            settings[key] = env[name].strip()
    if "CORS_ORIGINS" in env:
        settings["CORS_ORIGINS"] = [o.strip() for o in env["CORS_ORIGINS"].split(",") if o.strip()]
    if env.get("TASKCHAT_BODY_TIMEOUT_SECONDS", "").strip():
        settings["TASKCHAT_BODY_TIMEOUT_SECONDS"] = float(env["TASKCHAT_BODY_TIMEOUT_SECONDS"])
    if env.get("TASKCHAT_LLM_TIMEOUT_SECONDS", "").strip():
        settings["TASKCHAT_LLM_TIMEOUT_SECONDS"] = float(env["TASKCHAT_LLM_TIMEOUT_SECONDS"])
    if "TASKCHAT_TRUSTED_PROXY_IPS" in env:
        trusted = env["TASKCHAT_TRUSTED_PROXY_IPS"].split(",")
        settings["TASKCHAT_TRUSTED_PROXY_IPS"] = [a.strip() for a in trusted if a.strip()]
    if "TASKCHAT_METRICS_ALLOW" in env:
        allow = env["TASKCHAT_METRICS_ALLOW"].split(",")
        settings["TASKCHAT_METRICS_ALLOW"] = [a.strip() for a in allow if a.strip()]
    if env.get("TASKCHAT_METRICS_TOKEN", "").strip():
        settings["TASKCHAT_METRICS_TOKEN"] = env["TASKCHAT_METRICS_TOKEN"].strip()
    if env.get("TASKCHAT_LOG_FORMAT", "").strip():
        settings["TASKCHAT_LOG_FORMAT"] = env["TASKCHAT_LOG_FORMAT"].strip().lower()
    for name in (
        "TASKCHAT_STREAM_DELAY_MS",
        "TASKCHAT_HEARTBEAT_SECONDS",
        "TASKCHAT_TURN_SLOTS",
        "TASKCHAT_MAX_TASKS_PER_USER",
        "TASKCHAT_TRUSTED_PROXIES",
        "TASKCHAT_HSTS_SECONDS",
        *DATABASE_TIMEOUTS,
    ):
        if env.get(name, "").strip():
            settings[name] = int(env[name])
    if env.get("REDIS_URL", "").strip():
        settings["RATELIMIT_STORAGE_URI"] = env["REDIS_URL"].strip()
    if env.get("TASKCHAT_CHECK_RESPONSES", "").strip():
        settings["TASKCHAT_CHECK_RESPONSES"] = env["TASKCHAT_CHECK_RESPONSES"].strip().lower() in {"1", "true", "yes", "on"}
    if env.get("RATELIMIT_ENABLED", "").strip():
        settings["RATELIMIT_ENABLED"] = env["RATELIMIT_ENABLED"].strip().lower() not in {"0", "false", "no", "off"}
    for name in RATE_LIMITS:
        if env.get(name, "").strip():
            settings[name] = env[name].strip()
    # Reminder email (Flask-Mailman's setting names) and the job engine.
    for name in ("MAIL_SERVER", "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_DEFAULT_SENDER", "TASKCHAT_BASE_URL", "REDIS_URL"):
        if env.get(name, "").strip():
            settings[name] = env[name].strip()
    for name in ("MAIL_PORT", "MAIL_TIMEOUT"):
        if env.get(name, "").strip():
            settings[name] = int(env[name])
    for name in ("MAIL_USE_TLS", "MAIL_USE_SSL"):
        if env.get(name, "").strip():
            settings[name] = env[name].strip().lower() in {"1", "true", "yes", "on"}
    if env.get("JWT_ACCESS_TOKEN_EXPIRES", "").strip():
        settings["JWT_ACCESS_TOKEN_EXPIRES"] = timedelta(seconds=int(env["JWT_ACCESS_TOKEN_EXPIRES"]))
    return settings


def instance_secret(instance_path: str) -> str:
    """A development secret generated once and kept in ``instance/secret_key``."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


class Config:
    """Defaults shared by every environment; values come from the environment when set."""

    ENV_NAME = "development"
    SECRET_KEY: str | None = None
    JWT_SECRET_KEY: str | None = None
    # Reminder email: off while MAIL_SERVER is unset (notices still show in the app).
    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_DEFAULT_SENDER = "taskchat <reminders@localhost>"
    MAIL_TIMEOUT = 10
    # The address links in reminder emails point at (the job worker has no request to ask).
    TASKCHAT_BASE_URL = "http://127.0.0.1:8000"
    REDIS_URL: str | None = None
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    # PostgreSQL: seconds to connect (libpq's minimum is 2) and to wait for a pooled connection,
    # milliseconds a statement may run. An unreachable database is then a quick 503.
    TASKCHAT_DB_CONNECT_TIMEOUT = 3
    TASKCHAT_DB_POOL_TIMEOUT = 5
    TASKCHAT_DB_STATEMENT_TIMEOUT_MS = 15_000
    CORS_ORIGINS: list[str] = []
    MAX_CONTENT_LENGTH = 256 * 1024
    # Seconds a request's body may take to arrive whole (slower: 408, see request_body).
    TASKCHAT_BODY_TIMEOUT_SECONDS = 10.0
    TASKCHAT_STREAM_DELAY_MS = 0
    TASKCHAT_HEARTBEAT_SECONDS = 15
    # Requests that change something running at once per worker process (see turn_slots).
    TASKCHAT_TURN_SLOTS = 8
    # Tasks one account may hold: a turn matches words against every one of them.
    TASKCHAT_MAX_TASKS_PER_USER = 10_000
    TASKCHAT_LLM_BASE_URL: str | None = None
    TASKCHAT_LLM_MODEL: str | None = None
    OPENAI_API_KEY: str | None = None
    # How long the model may be silent (connect, or between streamed chunks) before the turn gives up.
    TASKCHAT_LLM_TIMEOUT_SECONDS = 30.0
    # Any value works on localhost; a public host must be allow-listed on the OpenAI platform.
    TASKCHAT_CHATKIT_DOMAIN_KEY = "local-dev"
    # How many proxies in front (nginx: 1) set X-Forwarded-For/-Proto that may be believed.
    TASKCHAT_TRUSTED_PROXIES = 0
    # The addresses (or networks) those proxies connect from; other peers' forwarded headers
    # are ignored. Loopback: nginx on the same machine.
    TASKCHAT_TRUSTED_PROXY_IPS: list[str] = ["127.0.0.1", "::1"]
    # Strict-Transport-Security max-age, sent in production on answers over https (0: never).
    TASKCHAT_HSTS_SECONDS = 31_536_000
    TASKCHAT_LOG_FORMAT = "text"  # or "json"
    # /metrics answers these addresses/networks, or a request with "Authorization: Bearer <token>".
    TASKCHAT_METRICS_ALLOW: list[str] = ["127.0.0.1", "::1"]
    TASKCHAT_METRICS_TOKEN: str | None = None

    # Rate limits (taskchat.limits). Without REDIS_URL the counters are in a SQLite file under
    # instance/ that every worker of the machine shares (set by the factory; see rate_limit_storage).
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI: str | None = None
    # A Redis that does not answer must not hang requests: fail fast, and serve without limits.
    RATELIMIT_STORAGE_OPTIONS = {"socket_timeout": 1, "socket_connect_timeout": 1}
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_KEY_PREFIX = "taskchat"
    RATELIMIT_SIGNIN_PER_ADDRESS = "30 per minute;300 per hour"
    RATELIMIT_SIGNIN_PER_EMAIL = "10 per minute;50 per hour"
    RATELIMIT_SIGNUP_PER_ADDRESS = "10 per minute;50 per hour"
    RATELIMIT_SIGNUP_PER_EMAIL = "5 per minute"
    RATELIMIT_CHAT_PER_USER = "30 per minute;600 per hour"
    # Check every /api answer against the OpenAPI document (the test suite turns this on).
    TASKCHAT_CHECK_RESPONSES = False

    JWT_TOKEN_LOCATION = ["headers", "cookies"]
    JWT_ACCESS_COOKIE_NAME = "auth_token"
    JWT_ACCESS_COOKIE_PATH = "/"
    JWT_COOKIE_SAMESITE = "Lax"
    JWT_COOKIE_SECURE = False
    JWT_COOKIE_CSRF_PROTECT = True
    JWT_CSRF_IN_COOKIES = True
    JWT_CSRF_CHECK_FORM = True
    JWT_ACCESS_CSRF_FIELD_NAME = "csrf_token"
    JWT_ACCESS_CSRF_HEADER_NAME = "X-CSRF-TOKEN"
    JWT_ACCESS_TOKEN_EXPIRES = timedelta(days=7)
    JWT_SESSION_COOKIE = False
    # Flask's session cookie carries the page's flash messages; same policy as the auth cookie.
    SESSION_COOKIE_SAMESITE = "Lax"


class DevelopmentConfig(Config):
    ENV_NAME = "development"


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    # Tests that are about limits turn them on; the rest must not trip over them.
    RATELIMIT_ENABLED = False
    SECRET_KEY = "test-secret-key-that-is-long-enough-for-hs256"
    JWT_SECRET_KEY = "test-jwt-secret-key-that-is-long-enough-for-hs256"


class ProductionConfig(Config):
    ENV_NAME = "production"
    JWT_COOKIE_SECURE = True
    SESSION_COOKIE_SECURE = True


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
