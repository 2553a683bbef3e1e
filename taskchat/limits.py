"""Rate limits (Flask-Limiter): sign-in and sign-up per address and per email, chat turns per user.

Which routes are limited is the table ``LIMITED_ENDPOINTS``: the JSON API's routes below, and
what the other surfaces add with ``configure`` when their blueprint is imported; the table is
applied when the app is built (``register_limits``), so the views carry no limiter code. Limits
shared between the API and the page use one scope (``SIGNIN``, ``SIGNUP``, ``CHAT``): five wrong
passwords count the same whether typed into ``/login`` or sent to ``/api/v1/auth/login``; a chat
turn counts the same on ``/api/v1/chat``, ChatKit and the page. A surface says, through
``configure``, which of its requests count (ChatKit: its request types that run a turn) and how
its refusal looks (ChatKit: an ``error`` event; the page: a flash message); this module knows
neither.

The limits are settings (``RATELIMIT_*`` in the environment, see the README);
``RATELIMIT_ENABLED=false`` turns them all off. Counters live in Redis when ``REDIS_URL`` is set
(shared by every worker and machine), otherwise in a SQLite file under ``instance/`` that every
worker of the machine shares (``rate_limit_storage``), so the totals hold with several workers
and no Redis. A refusal is a 429 with
``Retry-After`` in the JSON envelope on the API, an ``error`` event on a ChatKit stream, and a
flash message on the page (each surface's own form, given to ``configure``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from flask import Flask, Response, current_app, request
from flask_jwt_extended import get_jwt_identity, verify_jwt_in_request
from flask_jwt_extended.exceptions import JWTExtendedException
from flask_limiter import RateLimitExceeded
from jwt.exceptions import PyJWTError

from . import rate_limit_storage  # noqa: F401 (registers the shared file storage's scheme)
from .errors import APIError, error_response
from .extensions import limiter

Refusal = Callable[[str], Response | None]


@dataclass(frozen=True)
class SurfaceRule:
    """What a surface says of its endpoint: which requests count (all, without ``counts``), and
    its own form of the refusal (``None`` from it: the JSON envelope)."""

    counts: Callable[[], bool] | None = None
    refusal: Refusal | None = None


_SURFACE_RULES: dict[str, SurfaceRule] = {}


def configure(
    endpoint: str,
    *,
    limits: Sequence[Callable] = (),
    counts: Callable[[], bool] | None = None,
    refusal: Refusal | None = None,
) -> None:
    """Let the surface that owns ``endpoint`` put ``limits`` on it (``SIGNIN``, ``SIGNUP``,
    ``CHAT``; none when the table below already limits it), say which of its requests count
    against them, and how a refusal looks there. Called when the surface's blueprint is
    imported, before ``register_limits`` runs."""
    if limits:
        LIMITED_ENDPOINTS[endpoint] = list(limits)
    _SURFACE_RULES[endpoint] = SurfaceRule(counts, refusal)


def json_body() -> dict | None:
    """The JSON object in the body, or ``None``; a body the JSON reader refuses is the view's
    to answer (with its 400/422), not the limiter's."""
    try:
        body = request.get_json(silent=True)
    except APIError:
        return None
    return body if isinstance(body, dict) else None


def address_key() -> str:
    """The client's address (``remote_addr``: ProxyFix makes it the real client behind a proxy)."""
    return f"address:{request.remote_addr or 'unknown'}"


def email_key() -> str:
    """The email being signed in or up with, as stored (lower case), from the form or JSON body."""
    source = request.form or json_body() or {}
    email = source.get("email", "")
    email = email.strip().lower() if isinstance(email, str) else ""
    # Without an email the request fails validation anyway; count it against the address.
    return f"email:{email}" if email else address_key()


def user_key() -> str:
    """The signed-in user; the address for a request without a valid token (it will get a 401)."""
    try:
        verify_jwt_in_request(optional=True)
    except (JWTExtendedException, PyJWTError):
        return address_key()
    identity = get_jwt_identity()
    return f"user:{identity}" if identity else address_key()


def _not_counted() -> bool:
    """A request its surface says does not count (see ``configure``)."""
    rule = _SURFACE_RULES.get(request.endpoint or "")
    return rule is not None and rule.counts is not None and not rule.counts()


def _setting(name: str) -> Callable[[], str]:
    return lambda: current_app.config[name]


SIGNIN = [
    limiter.shared_limit(_setting("RATELIMIT_SIGNIN_PER_ADDRESS"), "signin-address", key_func=address_key,
                         error_message="Too many sign-in attempts from this address."),
    limiter.shared_limit(_setting("RATELIMIT_SIGNIN_PER_EMAIL"), "signin-email", key_func=email_key,
                         error_message="Too many sign-in attempts for this account."),
]
SIGNUP = [
    limiter.shared_limit(_setting("RATELIMIT_SIGNUP_PER_ADDRESS"), "signup-address", key_func=address_key,
                         error_message="Too many sign-ups from this address."),
    limiter.shared_limit(_setting("RATELIMIT_SIGNUP_PER_EMAIL"), "signup-email", key_func=email_key,
                         error_message="Too many sign-ups with this email."),
]
CHAT = [
    limiter.shared_limit(_setting("RATELIMIT_CHAT_PER_USER"), "chat-turns", key_func=user_key,
                         exempt_when=_not_counted, error_message="Too many messages."),
]

# The JSON API's limited routes; the page adds its own through ``configure``.
LIMITED_ENDPOINTS: dict[str, list[Callable]] = {
    "api.login": SIGNIN,
    "api.register": SIGNUP,
    "api.chat": CHAT,
    "api.chatkit": CHAT,
    "api.chat_completions": CHAT,
}


def retry_after() -> int:
    """Seconds until the limit that refused this request lets one through again."""
    current = limiter.current_limit
    if current is None:
        return 1
    return max(1, math.ceil(current.reset_at - time.time()))


def _refusal_text(exc: RateLimitExceeded, seconds: int) -> str:
    return f"{exc.description} Try again in {seconds} second{'s' if seconds != 1 else ''}."


def refuse(exc: RateLimitExceeded):
    """The 429, in the form the endpoint's surface gave (``configure``), else the JSON envelope."""
    seconds = retry_after()
    message = _refusal_text(exc, seconds)
    rule = _SURFACE_RULES.get(request.endpoint or "")
    response = rule.refusal(message) if rule is not None and rule.refusal is not None else None
    if response is None:
        response, _ = error_response(429, "too_many_requests", message)
        response.status_code = 429
    response.headers["Retry-After"] = str(seconds)
    return response


def register_limits(app: Flask) -> None:
    """Bind the limiter and put the limits of ``LIMITED_ENDPOINTS`` on those views."""
    limiter.init_app(app)
    if not app.config["RATELIMIT_ENABLED"]:
        return
    app.register_error_handler(RateLimitExceeded, refuse)
    for endpoint, limits in LIMITED_ENDPOINTS.items():
        view = app.view_functions[endpoint]
        for limit in limits:
            view = limit(view)
        app.view_functions[endpoint] = view
