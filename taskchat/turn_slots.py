"""A few requests that change something use a worker's CPU at once; the rest wait their turn.

A worker runs one greenlet (or, under gthread, one thread holding the GIL) at a time. When
hundreds of streams open at once, hundreds of turns would be under way side by side — on
PostgreSQL each yields at every query — and a ``/healthz`` arriving meanwhile would wait
behind all of them (measured under gthread: 1.8 s). Queued on a semaphore instead, at most
``TASKCHAT_TURN_SLOTS`` requests (default 8) run a write at a time, each finishing quickly,
and a read is never behind more than a few. A stream gives its slot back as soon as its turn
is stored, before its paced words (``release()`` from the turn's runner, ``agent.runner``); every other request at its end.

A slot is taken only once the request has shown a token this app signed and its body is in
(``take()``, called when the token is checked, after the body was read with a deadline in
``request_body``, and before the query that loads the user, so a request waiting for a slot
holds no pooled connection): a client that never signs in, or sends its body a byte at a
time, holds none, so twenty slow uploads to the sign-in route cannot make everyone else's writes wait.
"""

from __future__ import annotations

import threading

from flask import Flask, current_app, g, request

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SLOT_WAIT_SECONDS = 10


def init_app(app: Flask) -> None:
    """A per-process semaphore of ``TASKCHAT_TURN_SLOTS`` for signed-in non-GET requests."""
    app.extensions["taskchat_turn_slots"] = threading.BoundedSemaphore(app.config["TASKCHAT_TURN_SLOTS"])

    @app.teardown_request
    def give_slot_back(_exc: BaseException | None) -> None:
        release()


def take() -> None:
    """Take a slot for this request if it changes something and has none yet.

    A slot that does not come free in time (a stream left open and unread, say) is not waited
    for: the gate orders the work, it must never stop it.
    """
    if request.method in _SAFE_METHODS or "taskchat_turn_slot" in g:
        return
    slots = current_app.extensions["taskchat_turn_slots"]
    g.taskchat_turn_slot = slots if slots.acquire(timeout=SLOT_WAIT_SECONDS) else None


def release() -> None:
    """Give the current request's slot back now (once; later calls, and ``take``, do nothing)."""
    slots = g.get("taskchat_turn_slot")
    g.taskchat_turn_slot = None
    if slots is not None:
        slots.release()
