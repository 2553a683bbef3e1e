"""The one stream pipeline: an agent turn sent as Server-Sent Events, for every surface.

A surface supplies its events (the agent's turn, perhaps after a few of its own) and an
*encoder* from one event to frames; ``stream_response`` does the rest, the same for the
ChatKit protocol, chat-completion chunks and the htmx page:

- **Pacing.** Each ``TextDelta`` after the first waits ``TASKCHAT_STREAM_DELAY_MS``, on the
  sending side only (a rule turn is stored before its first event, and has let go of what it
  held for the write: see ``agent.runner``).
- **Heartbeats.** A turn that is slow to produce (a model's) runs in a worker thread
  (``background``); while it is quiet, a ``: keep-alive`` comment goes out every
  ``TASKCHAT_HEARTBEAT_SECONDS``. A rule-based turn takes a millisecond and does not pay for
  a thread, a queue and a context switch per event.
- **One cancellation hook.** A reader that goes away (or a body closed unread) closes the
  events, once; what a turn does about it (finish, or store what it had) is the turn's own.
- **Failures.** The status line has gone when the turn fails, so an exception is logged and
  sent in-band as the encoder's error frame.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, has_app_context, stream_with_context

from .agent.events import TextDelta

T = TypeVar("T")
log = logging.getLogger(__name__)

SSE_HEADERS = {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
}

Encoder = Callable[[Any], Iterable[str]]


# Line breaks that ``str.splitlines`` sees but JSON leaves unescaped inside strings.
_JSON_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def frame(data: str | dict[str, Any], event: str | None = None, id: str | None = None) -> str:
    """One SSE frame. Multi-line data is split over several ``data:`` lines, as the spec wants.

    Split with ``splitlines()``, not on ``\\n`` alone: readers end a line at ``\\r`` too (htmx
    does), so a bare ``\\r`` in user text left inside one ``data:`` line would start a line of
    its own there, and text such as ``\\r\\revent: …`` would forge a frame. ``splitlines`` also
    breaks at a few more characters than SSE does; JSON is written with those escaped, so it
    always stays one line.
    """
    if not isinstance(data, str):
        data = json_line(json.dumps(data, separators=(",", ":"), ensure_ascii=False))
    lines = []
    if event:
        lines.append(f"event: {_one_line(event)}")
    if id:
        lines.append(f"id: {_one_line(id)}")
    lines.extend(f"data: {line}" for line in data.splitlines() or [""])
    return "\n".join(lines) + "\n\n"


def json_line(text: str) -> str:
    """JSON text (``ensure_ascii=False``) with the line breaks ``splitlines`` knows escaped."""
    return text.translate(_JSON_LINE_BREAKS)


def _one_line(value: str) -> str:
    return " ".join(value.splitlines())


def comment(text: str = "") -> str:
    """A comment frame: ignored by clients, keeps proxies and the connection awake."""
    return f": {text}\n\n"


KEEP_ALIVE = comment("keep-alive")


class _Done:
    """Marks the end of a background stream."""


class _Failed:
    """Carries an exception from the worker thread to the reader."""

    def __init__(self, error: BaseException):
        self.error = error


def in_background(events: Iterator[T], app: Flask, heartbeat_seconds: float) -> Iterator[T | None]:
    """Start driving ``events`` in a worker thread now; return a reader of what it yields.

    The reader yields each event, and ``None`` after each ``heartbeat_seconds`` without one.
    The worker runs inside its own application context (its own database session). It is not
    a daemon thread, so a worker process shutting down gracefully waits for it. An exception
    in ``events`` is re-raised by the reader. A reader that stops early makes the worker close
    ``events`` at their next event (the cancellation hook).
    """
    results: queue.SimpleQueue = queue.SimpleQueue()
    hung_up = threading.Event()
    request_id = g.get("request_id") if has_app_context() else None

    def work() -> None:
        with app.app_context():
            if request_id:  # the worker's log lines carry the request's id
                g.request_id = request_id
            try:
                for event in events:
                    results.put(event)
                    if hung_up.is_set():
                        break
            except Exception as exc:  # the reader logs it (it may be gone: then it is lost)
                results.put(_Failed(exc))
            finally:
                _close(events)  # in this context: a cancelled turn stores what it had
                results.put(_Done)

    threading.Thread(target=work, name="taskchat-stream", daemon=False).start()
    return _read(results, heartbeat_seconds, hung_up)


def _close(events: Iterator[Any]) -> None:
    """The one cancellation hook: close the events (once more is harmless)."""
    close = getattr(events, "close", None)
    if close is not None:
        close()


def _read(results: queue.SimpleQueue, heartbeat_seconds: float, hung_up: threading.Event) -> Iterator:
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
        if not finished:
            hung_up.set()


def _encoded(events: Iterator[Any], encode: Encoder) -> Iterator[tuple[bool, str]]:
    """``(is a paced word, frames)`` per event, read in this thread as the client reads."""
    for event in events:
        yield isinstance(event, TextDelta), "".join(encode(event))


def _from_thread(source: Iterator[Any], encode: Encoder) -> Iterator[tuple[bool, str]]:
    for event in source:
        if event is None:
            yield False, KEEP_ALIVE
        else:
            yield isinstance(event, TextDelta), "".join(encode(event))


def frames(
    events: Iterator[Any],
    encode: Encoder,
    error_frame: str,
    *,
    delay_ms: int = 0,
    heartbeat_seconds: float = 15,
    app: Flask | None = None,
) -> Iterator[str]:
    """The frames of a stream: ``events`` encoded, paced, kept alive; a failure as ``error_frame``.

    With ``app`` the events are driven in a worker thread, started now (see ``in_background``),
    for turns slow enough to need heartbeats; without, in the caller's thread as it reads.
    """
    if app is not None:
        source = _from_thread(in_background(events, app, heartbeat_seconds), encode)
    else:
        source = _encoded(events, encode)
    return _sent(source, error_frame, delay_ms / 1000)


def _sent(source: Iterator[tuple[bool, str]], error_frame: str, pause: float) -> Iterator[str]:
    spoken = False
    try:
        for word, text in source:
            if word and text:
                if spoken and pause:
                    time.sleep(pause)
                spoken = True
            if text:
                yield text
    except Exception:
        log.exception("stream failed after it began")
        yield error_frame
    finally:
        source.close()


class _Body:
    """A stream's response body that passes the cancellation hook on when it is closed.

    A WSGI server closes the body when the client hangs up, and may close it before its
    first item (a test client, a server shutting down); either way the events hear of it
    (``_close``), in an application context of their own, since the request's is gone.
    """

    def __init__(self, frames_: Iterator[str], events: Iterator[Any], app: Flask):
        self._frames = frames_
        self._events = events
        self._app = app

    def __iter__(self) -> _Body:
        return self

    def __next__(self) -> str:
        return next(self._frames)

    def close(self) -> None:
        _close(self._frames)
        with self._app.app_context():
            try:
                _close(self._events)
            except Exception:
                log.exception("a closed stream's turn failed")


def stream_response(
    events: Iterable[Any],
    encode: Encoder,
    error_frame: str,
    *,
    background: bool = False,
    headers: dict[str, str] | None = None,
) -> Response:
    """The ``text/event-stream`` response for ``events``, with the app's pacing and heartbeat.

    ``background``: a turn slow to produce (a model's) is driven in a worker thread, with
    heartbeats while it is quiet. Otherwise the events run in this thread as the client reads.
    A reader that hangs up closes ``events`` either way (the turn stores what it has).
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    config = app.config
    events = iter(events)
    body = frames(
        events,
        encode,
        error_frame,
        delay_ms=config["TASKCHAT_STREAM_DELAY_MS"],
        heartbeat_seconds=config["TASKCHAT_HEARTBEAT_SECONDS"],
        app=app if background else None,
    )
    sse_headers = {**SSE_HEADERS, **(headers or {})}
    if background:  # the worker has the events: it closes them
        return Response(stream_with_context(body), headers=sse_headers)
    return Response(_Body(stream_with_context(body), events, app), headers=sse_headers)
