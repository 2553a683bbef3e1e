"""Message ids as they are shown outside: ``msg_<16 hex digits>``, never the row's own number.

Row ids count up across all users: a new user's first message numbered 202 told how busy the
service is, and the next id anyone would get. Shown ids are a keyed permutation of the row id
(a four-round Feistel network over 64 bits, keyed with a hash of ``SECRET_KEY``): they do not
count up, cannot be guessed or decoded without the key, and map back to the row with no
lookup table and no column to migrate. Changing ``SECRET_KEY`` changes every shown id (a
ChatKit client then reloads its threads; thread ids are conversation UUIDs and stay).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from flask import current_app

MESSAGE_PREFIX = "msg_"
_HALF = 0xFFFFFFFF
_ROUNDS = 4
_MAX_ROW_ID = 2**31 - 1  # messages.id is a 32-bit integer on PostgreSQL


@lru_cache(maxsize=4)
def _key(secret: str) -> bytes:
    return hashlib.blake2b(b"taskchat message ids", key=secret.encode()[:64], digest_size=32).digest()


def _mix(key: bytes, round_: int, half: int) -> int:
    digest = hashlib.blake2b(bytes((round_,)) + half.to_bytes(4, "big"), key=key, digest_size=4).digest()
    return int.from_bytes(digest, "big")


def _current_key() -> bytes:
    return _key(current_app.config["SECRET_KEY"])


def opaque(row_id: int) -> str:
    """The 16 hex digits shown for row ``row_id``."""
    key = _current_key()
    left, right = row_id >> 32, row_id & _HALF
    for round_ in range(_ROUNDS):
        left, right = right, left ^ _mix(key, round_, right)
    return f"{(left << 32) | right:016x}"


def row_id(digits: str) -> int | None:
    """The row id behind ``opaque`` digits, or ``None`` when they cannot be one of ours."""
    if len(digits) != 16 or not all(c in "0123456789abcdef" for c in digits):
        return None
    value = int(digits, 16)
    key = _current_key()
    left, right = value >> 32, value & _HALF
    for round_ in reversed(range(_ROUNDS)):
        left, right = right ^ _mix(key, round_, left), left
    found = (left << 32) | right
    return found if 0 < found <= _MAX_ROW_ID else None


def message_ref(message_id: int) -> str:
    """``msg_…``: how the JSON API, ChatKit and the page name a message."""
    return MESSAGE_PREFIX + opaque(message_id)


def parse_message_ref(value: str) -> int | None:
    """The row id behind a ``msg_…`` id, or ``None``."""
    if not value.startswith(MESSAGE_PREFIX):
        return None
    return row_id(value[len(MESSAGE_PREFIX):])
