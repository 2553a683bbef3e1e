"""Configuration read from the environment (and a ``.env`` file, loaded by the factory)."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path


def _int_env(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


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
    SECRET_KEY = os.environ.get("SECRET_KEY")
    JWT_SECRET_KEY = os.environ.get("JWT_SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    CORS_ORIGINS = [o.strip() for o in os.environ.get("CORS_ORIGINS", "").split(",") if o.strip()]
    MAX_CONTENT_LENGTH = 256 * 1024
    TASKCHAT_STREAM_DELAY_MS = _int_env("TASKCHAT_STREAM_DELAY_MS", 0)
    TASKCHAT_HEARTBEAT_SECONDS = _int_env("TASKCHAT_HEARTBEAT_SECONDS", 15)
    TASKCHAT_LLM_BASE_URL = os.environ.get("TASKCHAT_LLM_BASE_URL")
    TASKCHAT_LLM_MODEL = os.environ.get("TASKCHAT_LLM_MODEL")

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
    JWT_ACCESS_TOKEN_EXPIRES = timedelta(seconds=_int_env("JWT_ACCESS_TOKEN_EXPIRES", 7 * 24 * 3600))
    JWT_SESSION_COOKIE = False
    # Flask's session cookie carries the page's flash messages; same policy as the auth cookie.
    SESSION_COOKIE_SAMESITE = "Lax"


class DevelopmentConfig(Config):
    ENV_NAME = "development"


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key-that-is-long-enough-for-hs256"
    JWT_SECRET_KEY = "test-jwt-secret-key-that-is-long-enough-for-hs256"
    TASKCHAT_STREAM_DELAY_MS = 0


class ProductionConfig(Config):
    ENV_NAME = "production"
    JWT_COOKIE_SECURE = True
    SESSION_COOKIE_SECURE = True


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
