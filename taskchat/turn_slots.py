"""A few requests that change something use a worker's CPU at once; the rest wait their turn.

A worker runs one greenlet (or, under gthread, one thread holding the GIL) at a time. When
hundreds of streams open at once, hundreds of turns would be under way side by side — on
PostgreSQL each yields at every query — and a ``/healthz`` arriving meanwhile would wait
behind all of them (measured under gthread: 1.8 s). Queued on a semaphore instead, at most
``TASKCHAT_TURN_SLOTS`` requests (default 8) run a write at a time, each finishing quickly,
and a read is never behind more than a few. A stream gives its slot back as soon as its turn
is stored, before its paced words (``release()`` from ``sse``); every other request at its end.
"""

from __future__ import annotations

import threading

from flask import Flask, g, request

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SLOT_WAIT_SECONDS = 10


def init_app(app: Flask) -> None:
    """Gate the app's non-GET requests on a per-process semaphore of ``TASKCHAT_TURN_SLOTS``."""
    slots = threading.BoundedSemaphore(app.config["TASKCHAT_TURN_SLOTS"])
    app.extensions["taskchat_turn_slots"] = slots

    @app.before_request
    def take_slot() -> None:
        # A slot that does not come free in time (a stream left open and unread, say) is
        # not waited for: the gate orders the work, it must never stop it.
        if request.method not in _SAFE_METHODS and slots.acquire(timeout=SLOT_WAIT_SECONDS):
            g.taskchat_turn_slot = slots

    @app.teardown_request
    def give_slot_back(_exc: BaseException | None) -> None:
        release()


def release() -> None:
    """Give the current request's slot back now (once; later calls do nothing)."""
    slots = g.pop("taskchat_turn_slot", None)
    if slots is not None:
        slots.release()
