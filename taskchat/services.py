"""What the API views, the pages and the CLI share, so that none imports another's views:
making users, the conversation list's signed cursors, and the one check every chat message passes."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid
from datetime import datetime

from flask import current_app
from sqlalchemy.exc import IntegrityError

from .errors import InvalidInput
from .extensions import db
from .models import Conversation, User
from .transactions import writing

MAX_MESSAGE_CHARS = 4000


class EmailTaken(ValueError):
    """An account with this email already exists."""


class InvalidMessage(InvalidInput):
    """A chat message that cannot be sent; the text says why, for people (422 on the API)."""


class InvalidCursor(ValueError):
    """A page cursor that this app did not make."""


def create_user(email: str, password: str, timezone: str = "UTC") -> User:
    """Create and commit a user; ``EmailTaken`` when the email is taken."""
    user = User(email=User.normalize_email(email), timezone=timezone)
    user.set_password(password)
    try:
        with writing():
            db.session.add(user)
    except IntegrityError as exc:
        raise EmailTaken(user.email) from exc
    return user


def check_message(text: str) -> str:
    """The message as the agent gets it (trimmed); ``InvalidMessage`` when empty or too long.

    The JSON chat, both ChatKit dialects and the page all send messages through this.
    NUL is refused here, at the edge, as the JSON reader refuses it in any body: PostgreSQL
    text cannot hold it, and nothing below this would know what to make of it.
    """
    text = text.strip()
    if not text:
        raise InvalidMessage("Message can't be empty.")
    if "\x00" in text:
        raise InvalidMessage("Message can't contain NUL characters.")
    if len(text) > MAX_MESSAGE_CHARS:
        raise InvalidMessage(f"Message is too long (at most {MAX_MESSAGE_CHARS} characters).")
    return text


def _cursor_mac(raw: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"conversations-cursor|" + raw.encode(), hashlib.sha256).hexdigest()[:32]


def encode_cursor(conversation: Conversation) -> str:
    """Where the next page starts, signed: a cursor is this app's, never a filter a client
    writes (a made-up one could name any time, naive or out of range, and reach the query)."""
    raw = f"{conversation.updated_at.isoformat()}|{conversation.id}"
    signed = f"{raw}|{_cursor_mac(raw)}"
    return base64.urlsafe_b64encode(signed.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """The position ``cursor`` names; ``InvalidCursor`` for anything ``encode_cursor`` did not make."""
    try:
        signed = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        raw, mac = signed.rsplit("|", 1)
        if not hmac.compare_digest(mac, _cursor_mac(raw)):
            raise ValueError("cursor signature does not match")
        stamp, ident = raw.split("|", 1)
        when = datetime.fromisoformat(stamp)
        if when.tzinfo is None:
            raise ValueError("cursor time without a zone")
        return when, uuid.UUID(ident)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidCursor(cursor) from exc

