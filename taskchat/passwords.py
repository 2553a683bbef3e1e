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


# A hash of a password nobody has, made as ``hash_password`` makes them (same method and cost
# parameters, checked by the tests), so checking against it costs what a real check costs.
# Written out rather than made at start-up: making it is itself a scrypt, which the first
# unknown email would otherwise pay on top.
DUMMY_HASH = (
    "scrypt:32768:8:1$0roWRoPzHrlzbkP3$5c40357cc24bbece2f419d585b0fb4d6f84b41350c718df6452fc59d364527aa"
    "5045851687035e9d9259bd1d324eec21fb59ed465dfada79ee9ae8070173da2d"
)


def verify(password_hash: str | None, password: str) -> bool:
    """Does ``password`` match ``password_hash``? Without a hash (no such account) the check
    still runs, against ``DUMMY_HASH``, and answers False."""
    if password_hash is None:
        check_password_hash(DUMMY_HASH, password)
        return False
    return check_password_hash(password_hash, password)
