"""JWT set-up: token loaders, the revocation list, 401s in the API's own shape, login cookies.

A token is revoked when its ``jti`` is on the list (signing out) or when it carries an older
``gen`` than its user's ``token_generation`` (signing out everywhere); the one query that loads
the user answers both. The cookie lives exactly as long as the token it holds.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

from flask import Flask, current_app, g, redirect, request
from flask_jwt_extended import (
    create_access_token,
    get_jwt,
    set_access_cookies,
    unset_jwt_cookies,
)
from flask_jwt_extended.exceptions import CSRFError
from sqlalchemy import bindparam, select
from sqlalchemy.orm import make_transient_to_detached

from . import transactions, turn_slots
from .errors import error_response, wants_json
from .extensions import db, jwt
from .models import Notification, RevokedToken, User
from .transactions import writing

# Every authenticated request runs this: built once, with bind parameters, and read with Core
# (loading the row through the ORM cost four times the query; see ``_as_loaded``).
_USER_COLUMNS = tuple(User.__table__.columns)
# The last column says whether the user has reminder notices unread: a chat reply opens with
# them (ChatKit's ``notice`` events), and asking here saves every turn a query of its own.
_USER_AND_REVOKED = select(
    *_USER_COLUMNS,
    select(RevokedToken.id).where(RevokedToken.jti == bindparam("b_jti")).exists(),
    select(Notification.id).where(Notification.user_id == bindparam("b_sub"), Notification.read_at.is_(None)).exists(),
).where(User.id == bindparam("b_sub"))


def _as_loaded(row) -> User:
    """The user of ``row`` as a persistent instance of the session, as if the ORM had loaded it."""
    session = db.session()
    known = session.identity_map.get(session.identity_key(User, row[0]))
    if known is not None:
        return known
    user = User(**{column.key: value for column, value in zip(_USER_COLUMNS, row, strict=False)})
    make_transient_to_detached(user)  # its values become the loaded state, not changes
    session.add(user)
    return user


def _unauthorized(code: str, message: str):
    if wants_json():
        return error_response(401, code, message)
    target = request.full_path.rstrip("?") if request.method == "GET" else request.path
    return redirect("/login?" + urlencode({"next": target}), code=303)


def register_jwt_handlers(app: Flask) -> None:
    """Wire flask-jwt-extended to our users, revocation list and error envelope.

    The library answers some token problems with 422 by default; every token problem is a 401 here.
    """

    @jwt.user_identity_loader
    def user_identity(user: User | str) -> str:
        return user.id if isinstance(user, User) else str(user)

    @jwt.additional_claims_loader
    def generation_claim(user: User | str) -> dict:
        return {"gen": user.token_generation or 0} if isinstance(user, User) else {}

    # flask-jwt-extended asks "revoked?" and then "which user?"; one query answers both. A
    # request verifies its token more than once (the rate limiter's key, then the view), and
    # asks the database once: the answer is kept for the request.
    @jwt.token_in_blocklist_loader
    def token_revoked(_header: dict, payload: dict) -> bool:
        # The token's signature holds (it is one we issued) and the body is in (read before any
        # view): a request that writes may queue for a slot now — before the query, so a
        # request waiting for one does not hold a pooled connection meanwhile.
        turn_slots.take()
        checked = g.setdefault("taskchat_token_rows", {})
        key = (payload["sub"], payload["jti"])
        if key not in checked:
            checked[key] = transactions.connection().execute(
                _USER_AND_REVOKED, {"b_sub": payload["sub"], "b_jti": payload["jti"]}
            ).first()
        row = checked[key]
        if row is None:
            g.taskchat_user = None
            return False
        user = g.taskchat_user = _as_loaded(row)
        g.taskchat_unread_notices = {user.id: bool(row[-1])}
        # Tokens from before generations existed carry none: generation 0.
        return bool(row[-2]) or payload.get("gen", 0) != (user.token_generation or 0)

    @jwt.user_lookup_loader
    def load_user(_header: dict, payload: dict) -> User | None:
        user = g.pop("taskchat_user", None)
        if user is None or user.id != payload["sub"]:
            user = db.session.get(User, payload["sub"])
        return user

    @jwt.unauthorized_loader
    def missing_token(reason: str):
        return _unauthorized("token_missing", "Sign in first: no access token was sent.")

    @jwt.invalid_token_loader
    def invalid_token(reason: str):
        return _unauthorized("token_invalid", "The access token is invalid.")

    @jwt.expired_token_loader
    def expired_token(_header: dict, _payload: dict):
        return _unauthorized("token_expired", "The access token has expired; sign in again.")

    @jwt.revoked_token_loader
    def revoked_token(_header: dict, _payload: dict):
        return _unauthorized("token_revoked", "The access token was revoked; sign in again.")

    @jwt.user_lookup_error_loader
    def unknown_user(_header: dict, _payload: dict):
        return _unauthorized("token_invalid", "The account for this token no longer exists.")

    @app.errorhandler(CSRFError)
    def csrf_failed(exc: CSRFError):
        if wants_json():
            return error_response(
                401, "csrf_failed", "Missing or wrong CSRF token for a cookie-authenticated request."
            )
        return error_response(401, "csrf_failed", "The form expired; reload the page and try again.")


def sign_in(response, user: User, token: str | None = None) -> str:
    """Set a token for ``user`` (``token``, or a new one) as the auth cookie of ``response``.

    The cookie's ``Max-Age`` is the token's lifetime (flask-jwt-extended's default is a year,
    which left a dead token in the browser for months). Returns the token."""
    token = token or create_access_token(identity=user)
    lifetime = current_app.config["JWT_ACCESS_TOKEN_EXPIRES"]
    max_age = int(lifetime.total_seconds()) if lifetime else None
    set_access_cookies(response, token, max_age=max_age)
    return token


def revoke_all_tokens(user: User, response) -> None:
    """Sign ``user`` out everywhere: every token handed out so far is revoked; clear the cookies."""
    with writing():
        user.revoke_all_tokens()
    unset_jwt_cookies(response)


def revoke_current_token(response) -> None:
    """Put the current token on the revocation list and clear the auth cookies."""
    payload = get_jwt()
    expires = datetime.fromtimestamp(payload["exp"], UTC) if "exp" in payload else None
    with writing():
        db.session.add(RevokedToken(jti=payload["jti"], user_id=payload["sub"], expires_at=expires))
    unset_jwt_cookies(response)
