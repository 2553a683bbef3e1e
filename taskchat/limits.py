"""Rate limits (Flask-Limiter): sign-in and sign-up per address and per email, chat turns per user.

Which routes are limited is the table ``LIMITED_ENDPOINTS`` below, applied when the app is built
(``register_limits``), so the views carry no limiter code. Limits shared between the API and the
page use one scope: five wrong passwords count the same whether typed into ``/login`` or sent to
``/api/v1/auth/login``; a chat turn counts the same on ``/api/v1/chat``, ChatKit and the page.

The limits are settings (``RATELIMIT_*`` in the environment, see the README);
``RATELIMIT_ENABLED=false`` turns them all off. Counters live in Redis when ``REDIS_URL`` is set
(shared by every worker and machine), otherwise in a SQLite file under ``instance/`` that every
worker of the machine shares (``rate_limit_storage``), so the totals hold with several workers
and no Redis. A refusal is a 429 with
``Retry-After`` in the JSON envelope on the API, an ``error`` event on a ChatKit stream, and a
flash message on the page.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from flask import Flask, Response, current_app, flash, redirect, render_template, request, url_for
from flask_jwt_extended import get_jwt_identity, verify_jwt_in_request
from flask_jwt_extended.exceptions import JWTExtendedException
from flask_limiter import RateLimitExceeded
from jwt.exceptions import PyJWTError

from . import rate_limit_storage  # noqa: F401 (registers the shared file storage's scheme)
from .errors import APIError, error_response
from .extensions import limiter

# ChatKit requests that run a turn of the agent and stream it; a refusal is an ``error`` event.
STREAMING_TURN_TYPES = frozenset(
    {"threads.create", "threads.add_user_message", "threads.retry_after_item", "threads.custom_action",
     "threads.add_structured_input"}
)
# Every ChatKit request that runs a turn counts: a task card's checkbox or date picker
# (``threads.sync_custom_action``, answered as JSON) runs one too. The rest (lists, renames…) do not.
TURN_TYPES = STREAMING_TURN_TYPES | {"threads.sync_custom_action"}


def _json_body() -> dict | None:
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
    source = request.form or _json_body() or {}
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


def _not_a_turn() -> bool:
    """On ``/api/v1/chatkit``: only the requests that run the agent count as chat turns."""
    if request.endpoint != "api.chatkit":
        return False
    body = _json_body()
    if body is None or "messages" in body:
        return False
    return body.get("type") not in TURN_TYPES


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
                         exempt_when=_not_a_turn, error_message="Too many messages."),
]

LIMITED_ENDPOINTS = {
    "api.login": SIGNIN,
    "web.login": SIGNIN,
    "api.register": SIGNUP,
    "web.register": SIGNUP,
    "api.chat": CHAT,
    "api.chatkit": CHAT,
    "api.chat_completions": CHAT,
    "web.send_message": CHAT,
}


def retry_after() -> int:
    """Seconds until the limit that refused this request lets one through again."""
    current = limiter.current_limit
    if current is None:
        return 1
    return max(1, math.ceil(current.reset_at - time.time()))


def _refusal_text(exc: RateLimitExceeded, seconds: int) -> str:
    return f"{exc.description} Try again in {seconds} second{'s' if seconds != 1 else ''}."


def _chatkit_stream_refusal(message: str) -> Response | None:
    """For a ChatKit request that would stream, the refusal as the ``error`` event it can show."""
    if request.endpoint != "api.chatkit":
        return None
    body = _json_body()
    if body is None or body.get("type") not in STREAMING_TURN_TYPES:
        return None
    from . import sse
    from .chatkit import protocol

    return Response(protocol.rate_limited_frames(message), headers=sse.SSE_HEADERS)


def _page_refusal(message: str):
    """On the page: the flash in place for htmx, after a redirect back otherwise."""
    if request.headers.get("HX-Request") == "true":
        response = current_app.response_class(
            render_template("_flash.html", flashes=[("error", message)]), status=429
        )
        response.headers["HX-Retarget"] = "#flash"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    flash(message, "error")
    if request.endpoint == "web.login":
        back = url_for("web.login_form")
    elif request.endpoint == "web.register":
        back = url_for("web.register_form")
    elif request.form.get("conversation_id"):
        back = url_for("web.conversation", conversation_id=request.form["conversation_id"])
    else:
        back = url_for("web.index")
    return redirect(back, code=303)


def refuse(exc: RateLimitExceeded):
    """The 429, in the form each surface understands."""
    seconds = retry_after()
    message = _refusal_text(exc, seconds)
    if request.path.startswith("/api/"):
        response = _chatkit_stream_refusal(message)
        if response is None:
            response, _ = error_response(429, "too_many_requests", message)
            response.status_code = 429
    else:
        response = _page_refusal(message)
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
