"""Server-Sent Events framing, and keeping a turn alive when its reader goes away."""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)

SSE_HEADERS = {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
}


def frame(data: str | dict[str, Any], event: str | None = None, id: str | None = None) -> str:
    """One SSE frame. Multi-line data is split over several ``data:`` lines, as the spec wants."""
    if not isinstance(data, str):
        data = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    lines = []
    if event:
        lines.append(f"event: {event}")
    if id:
        lines.append(f"id: {id}")
    lines.extend(f"data: {line}" for line in data.split("\n"))
    return "\n".join(lines) + "\n\n"


def comment(text: str = "") -> str:
    """A comment frame: ignored by clients, keeps proxies and the connection awake."""
    return f": {text}\n\n"


def run_to_end(events: Iterable[T]) -> Iterator[T]:
    """Yield ``events``; if the consumer stops early, consume the rest anyway.

    A client that hangs up closes the response generator. The turn behind it must still
    finish and commit whole, so the rest of the events are drained (unsent) in ``finally``.
    A plain ``for`` loop rather than ``yield from``: ``yield from`` would forward the close
    to the inner generator and abandon the turn.
    """
    iterator = iter(events)
    try:
        for event in iterator:  # noqa: UP028 (see the docstring)
            yield event
    finally:
        for _ in iterator:
            pass


class _Done:
    """Marks the end of a background stream."""


class _Failed:
    """Carries an exception from the worker thread to the reader."""

    def __init__(self, error: BaseException):
        self.error = error


def in_background(
    events: Iterable[T], app, heartbeat_seconds: float, cancel_on_hangup: bool = False
) -> Iterator[T | None]:
    """Start driving ``events`` in a worker thread now; return a reader of what it yields.

    The reader yields each event, and ``None`` after each ``heartbeat_seconds`` without one.
    The worker runs inside its own application context (its own database session), so a
    response can send heartbeats while the turn is busy, and a client that hangs up (or a
    response that is never read) only stops the reading side: the worker carries the turn on
    until it is stored whole. It is not a daemon thread, so a worker process shutting down
    gracefully waits for it. An exception in ``events`` is logged and re-raised by the reader.

    With ``cancel_on_hangup`` (a language model's turn, which the user may cancel) a reader that
    stops early instead makes the worker close ``events`` at their next event: the turn stores
    what it has, marked interrupted, and stops the model (see ``agent.llm``).
    """
    results: queue.SimpleQueue = queue.SimpleQueue()
    hung_up = threading.Event()

    def work() -> None:
        with app.app_context():
            try:
                for event in events:
                    results.put(event)
                    if hung_up.is_set():
                        close = getattr(events, "close", None)
                        if close is not None:
                            close()
                        break
            except Exception as exc:  # logged here: the reader may have hung up already
                log.exception("background stream failed")
                results.put(_Failed(exc))
            finally:
                results.put(_Done)

    threading.Thread(target=work, name="taskchat-stream", daemon=False).start()
    return _read(results, heartbeat_seconds, hung_up if cancel_on_hangup else None)


def _read(results: queue.SimpleQueue, heartbeat_seconds: float, hung_up: threading.Event | None) -> Iterator:
    finished = False
    try:
        while True:
            try:
                item = results.get(timeout=heartbeat_seconds)
            except queue.Empty:
                yield None
                continue
            if item is _Done:
                finished = True
                return
            if isinstance(item, _Failed):
                finished = True
                raise item.error
            yield item
    finally:
        if hung_up is not None and not finished:
            hung_up.set()


def pause(delay_ms: int) -> None:
    """Pace streamed words (``TASKCHAT_STREAM_DELAY_MS``; the seed used 50 ms)."""
    if delay_ms > 0:
        time.sleep(delay_ms / 1000)
