"""What a new password must be, and a sign-in that costs the same whether the email exists.

**Policy.** At least ``MIN_LENGTH`` characters, not blank, not one character repeated, and not
one of the 30 000 passwords people pick most (the list ``zxcvbn`` ships, compared without case:
``Password123`` is as guessable as ``password123``). Sign-up, the CLI and the JSON schema all use
``check_new_password``; sign-in does not, so an account made under older rules can still sign in.

**Timing.** Checking a password against its scrypt hash takes a few hundred milliseconds; an
unknown email that skipped it would answer at once and tell an attacker which emails have an
account. ``authenticate`` checks the password against a hash of the same cost in that case.
"""

from __future__ import annotations

import secrets
from functools import cache

from werkzeug.security import check_password_hash, generate_password_hash

MIN_LENGTH = 10
MAX_LENGTH = 256
HASH_METHOD = "scrypt"


@cache
def common_passwords() -> frozenset[str]:
    """The most common passwords, lower case (read once: the list is a 30 000-entry module)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"])


def password_problem(password: str) -> str | None:
    """Why ``password`` may not be a new password, or ``None`` when it may."""
    if not password.strip():
        return "must not be blank"
    if len(password) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters long"
    if len(set(password)) == 1:
        return "must not be one character repeated"
    if password.lower() in common_passwords():
        return "is one of the most common passwords; choose another"
    return None


def check_new_password(password: str) -> str:
    """``password`` if it may be a new password; ``ValueError`` saying why not otherwise."""
    problem = password_problem(password)
    if problem:
        raise ValueError(problem)
    return password


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=HASH_METHOD)


@cache
def _dummy_hash() -> str:
    # Same method and parameters as a real hash, so checking against it costs the same.
    return hash_password(secrets.token_urlsafe(16))


def verify(password_hash: str | None, password: str) -> bool:
    """Does ``password`` match ``password_hash``? Without a hash (no such account) the check
    still runs, against a dummy hash, and answers False."""
    if password_hash is None:
        check_password_hash(_dummy_hash(), password)
        return False
    return check_password_hash(password_hash, password)
