"""The user's settings: time zone, reminder email on/off, the default reminder, and the secret
of their calendar feed. Below the API and the page, which both change them."""

from __future__ import annotations

import secrets
from typing import Any

from flask import url_for

from .extensions import db
from .models import User


def calendar_url(user: User) -> str | None:
    """The user's secret iCalendar feed URL (anyone holding it can read the feed), or None."""
    if not user.calendar_secret:
        return None
    return url_for("calendar.feed", secret=user.calendar_secret, _external=True)


def rotate_calendar_secret(user: User) -> str:
    """A new feed secret: the old URL stops working at once."""
    user.calendar_secret = secrets.token_urlsafe(32)
    db.session.flush()
    return user.calendar_secret


def revoke_calendar(user: User) -> None:
    user.calendar_secret = None
    db.session.flush()


def settings(user: User) -> dict[str, Any]:
    return {
        "timezone": user.timezone,
        "email_reminders": bool(user.email_reminders),
        "default_reminder_minutes": user.default_reminder_minutes,
        "calendar_url": calendar_url(user),
    }


def update_settings(user: User, changes: dict[str, Any]) -> None:
    """Apply checked changes (``MeUpdate`` fields, only the ones given)."""
    if "timezone" in changes:
        user.timezone = changes["timezone"]
    if "email_reminders" in changes:
        user.email_reminders = bool(changes["email_reminders"])
    if "default_reminder_minutes" in changes:
        user.default_reminder_minutes = changes["default_reminder_minutes"]
    if changes.get("calendar") == "rotate":
        rotate_calendar_secret(user)
    elif changes.get("calendar") == "revoke":
        revoke_calendar(user)
    db.session.flush()


# --- password and account -----------------------------------------------------------------

RESET_MAX_AGE = 3600  # seconds a reset link works


class WrongPassword(Exception):
    """The current password given does not match."""


class BadResetLink(Exception):
    """A reset link that is forged, expired, or already used (the password changed since)."""


def change_password(user: User, current: str, new: str) -> None:
    """Check ``current``, store ``new`` (``ValueError`` if it may not be a password) and revoke
    every token handed out so far; the caller signs the current session in again. Inside a
    write transaction."""
    if not user.check_password(current):
        raise WrongPassword()
    _set_password(user, new)


def _set_password(user: User, new: str) -> None:
    from .passwords import check_new_password

    user.set_password(check_new_password(new))
    db.session.flush()
    user.revoke_all_tokens()
    db.session.refresh(user)  # the new token generation, for the token of this session


def _reset_serializer():
    from flask import current_app
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="taskchat-password-reset")


def _password_mark(user: User) -> str:
    # A piece of the current hash: once the password changes, the link no longer matches.
    import hashlib

    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def reset_token(user: User) -> str:
    """A signed, expiring, single-use token for resetting ``user``'s password."""
    return _reset_serializer().dumps({"u": user.id, "p": _password_mark(user)})


def user_for_reset(token: str) -> User:
    """The user a reset token is for; ``BadResetLink`` when it is not (or no longer) valid."""
    from itsdangerous import BadSignature

    try:
        data = _reset_serializer().loads(token[:500], max_age=RESET_MAX_AGE)
        user = db.session.get(User, str(data["u"]))
    except (BadSignature, KeyError, TypeError):
        raise BadResetLink() from None
    if user is None or _password_mark(user) != data.get("p"):
        raise BadResetLink()
    return user


def reset_password(token: str, new: str) -> User:
    """Set a new password through a reset link; every session is signed out. Inside a write
    transaction."""
    user = user_for_reset(token)
    _set_password(user, new)
    return user


def mail_configured() -> bool:
    from flask import current_app

    return bool(current_app.config.get("MAIL_SERVER"))


def send_reset_email(email_address: str) -> None:
    """Email a reset link when an account has this address (and say nothing either way)."""
    from email.message import EmailMessage

    from flask import current_app

    from .delivery import send_email

    user = User.by_email(email_address)
    if user is None:
        return
    config = current_app.config
    base = (config.get("TASKCHAT_BASE_URL") or "").rstrip("/")
    path = url_for("web.reset_form", token=reset_token(user))
    link = base + path if base else url_for("web.reset_form", token=reset_token(user), _external=True)
    message = EmailMessage()
    message["Subject"] = "Reset your taskchat password"
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = user.email
    message.set_content(
        "Someone (hopefully you) asked to reset the password of this taskchat account.\n\n"
        f"Open this link within an hour to choose a new one:\n{link}\n\n"
        "If you did not ask, ignore this email; your password stays as it is.\n"
    )
    send_email(message)


def delete_account(user: User, password: str) -> None:
    """Delete the user and everything of theirs (every table refers to the user with ON DELETE
    CASCADE, directly or through a task or conversation). Inside a write transaction."""
    if not user.check_password(password):
        raise WrongPassword()
    from sqlalchemy import delete as sql_delete

    from .models import RevokedToken

    # Revoked tokens name the user without a foreign key (they outlive nothing): by hand.
    db.session.execute(sql_delete(RevokedToken).where(RevokedToken.user_id == user.id))
    db.session.execute(sql_delete(User).where(User.id == user.id))
    db.session.expunge(user)
