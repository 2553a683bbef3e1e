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
