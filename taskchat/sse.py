"""The one stream pipeline: an agent turn sent as Server-Sent Events, for every surface.

A surface supplies its events (the agent's turn, perhaps after a few of its own) and an
*encoder* from one event to frames; ``stream_response`` does the rest, the same for the
ChatKit protocol, chat-completion chunks and the htmx page:

- **Pacing.** Each ``TextDelta`` after the first waits ``TASKCHAT_STREAM_DELAY_MS``. The
  pause is on the sending side only: once the words start, a turn that runs in this thread is
  read to its end first (it takes milliseconds, and then it has committed), its connection
  goes back to the pool, and the stream sleeps holding nothing scarce.
- **Heartbeats.** A turn that is slow to produce (a model) runs in a worker thread
  (``in_thread``); while it is quiet, a ``: keep-alive`` comment goes out every
  ``TASKCHAT_HEARTBEAT_SECONDS``. A rule-based turn takes a millisecond and does not pay for
  a thread, a queue and a context switch per event.
- **Hang-ups.** A client that goes away (or a body never read) never loses the turn: the rest
  of the events are read unsent, so the turn commits whole.
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

from . import turn_slots
from .agent.events import TextDelta
from .extensions import db

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


def opened_with(first: T, events: Iterator[T]) -> Iterator[T]:
    """``first``, then ``events``; unlike ``itertools.chain``, closing this closes ``events``,
    so a turn that is cancelled (a reader that hung up) hears of it and stores what it had."""
    yield first
    yield from events


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
    events: Iterable[T], app: Flask, heartbeat_seconds: float, cancel_on_hangup: bool = False
) -> Iterator[T | None]:
    """Start driving ``events`` in a worker thread now; return a reader of what it yields.

    The reader yields each event, and ``None`` after each ``heartbeat_seconds`` without one.
    The worker runs inside its own application context (its own database session), and
    carries the turn on until it is stored whole even when nobody reads. It is not a daemon
    thread, so a worker process shutting down gracefully waits for it. An exception in
    ``events`` is re-raised by the reader.

    With ``cancel_on_hangup`` (a language model's turn, which the user may cancel) a reader that
    stops early instead makes the worker close ``events`` at their next event: the turn stores
    what it has, marked interrupted, and stops the model (see ``agent.llm``).
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
                        close = getattr(events, "close", None)
                        if close is not None:
                            close()
                        break
            except Exception as exc:  # the reader logs it (it may be gone: then it is lost)
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


def _encoded(events: Iterable[Any], encode: Encoder, paced: bool) -> Iterator[tuple[bool, str]]:
    """``(is a paced word, frames)`` per event, read in this thread.

    With pacing on, the first word makes the rest of the turn be read (and encoded) at once:
    it has committed by then, and the session lets its connection go before the pauses.
    """
    iterator = run_to_end(events)
    try:
        for event in iterator:
            word = isinstance(event, TextDelta)
            if word and paced:
                ahead = [(True, "".join(encode(event)))]
                try:
                    ahead.extend((isinstance(rest, TextDelta), "".join(encode(rest))) for rest in iterator)
                finally:
                    db.session.close()
                    turn_slots.release()
                    yield from ahead  # what was said before a failure still goes out
                return
            yield word, "".join(encode(event))
    finally:
        iterator.close()  # a reader that hung up: run_to_end reads the turn to its end


def _from_thread(source: Iterator[Any], encode: Encoder) -> Iterator[tuple[bool, str]]:
    for event in source:
        if event is None:
            yield False, KEEP_ALIVE
        else:
            yield isinstance(event, TextDelta), "".join(encode(event))


def frames(
    events: Iterable[Any],
    encode: Encoder,
    error_frame: str,
    *,
    delay_ms: int = 0,
    heartbeat_seconds: float = 15,
    app: Flask | None = None,
    cancellable: bool = False,
) -> Iterator[str]:
    """The frames of a stream: ``events`` encoded, paced, kept alive; a failure as ``error_frame``.

    With ``app`` the events are driven in a worker thread, started now (see ``in_background``),
    for turns slow enough to need heartbeats; without, in the caller's thread as it reads.
    ``cancellable``: a reader that hangs up stops the turn in the worker (see ``in_background``).
    """
    if app is not None:
        source = _from_thread(in_background(events, app, heartbeat_seconds, cancellable), encode)
    else:
        source = _encoded(events, encode, paced=delay_ms > 0)
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
    """A stream's response body that still runs the turn when it is closed unread.

    A WSGI server always starts iterating, so a client that hangs up meets ``run_to_end``;
    but a body closed before its first item (a test client, a server shutting down) would
    never start its generator, and the turn would be lost.
    """

    def __init__(self, frames_: Iterator[str], events: Iterator[Any], app: Flask):
        self._frames = frames_
        self._events = events
        self._app = app
        self._started = False

    def __iter__(self) -> _Body:
        return self

    def __next__(self) -> str:
        self._started = True
        return next(self._frames)

    def close(self) -> None:
        close = getattr(self._frames, "close", None)
        if close is not None:
            close()
        if not self._started:
            with self._app.app_context():
                try:
                    for _ in self._events:
                        pass
                except Exception:
                    log.exception("unread stream's turn failed")


def turn_needs_thread(config) -> bool:
    """Does a turn take long enough to run in a worker thread, with heartbeats? Only a
    model's (the rule-based agent answers in milliseconds)."""
    return bool(config.get("TASKCHAT_LLM_BASE_URL"))


def stream_response(
    events: Iterable[Any],
    encode: Encoder,
    error_frame: str,
    *,
    in_thread: bool | None = None,
    headers: dict[str, str] | None = None,
    cancellable: bool = False,
) -> Response:
    """The ``text/event-stream`` response for ``events``, with the app's pacing and heartbeat.

    ``in_thread`` defaults to ``turn_needs_thread``; ``cancellable`` (a model's turn, run in a
    thread) lets a reader that hangs up stop the turn instead of waiting for it.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    config = app.config
    if in_thread is None:
        in_thread = turn_needs_thread(config)
    events = iter(events)
    body = frames(
        events,
        encode,
        error_frame,
        delay_ms=config["TASKCHAT_STREAM_DELAY_MS"],
        heartbeat_seconds=config["TASKCHAT_HEARTBEAT_SECONDS"],
        app=app if in_thread else None,
        cancellable=cancellable,
    )
    if in_thread:  # the worker has started; nothing is left to run on close, or to hold a slot for
        turn_slots.release()
        return Response(stream_with_context(body), headers={**SSE_HEADERS, **(headers or {})})
    return Response(_Body(stream_with_context(body), events, app), headers={**SSE_HEADERS, **(headers or {})})
