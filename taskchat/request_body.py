"""Request bodies: read in bounded time, the one reader of JSON bodies, and reading off the
bodies nobody read.

**In time.** Before any view runs, a request's body is read whole (it is at most
``MAX_CONTENT_LENGTH``), within ``TASKCHAT_BODY_TIMEOUT_SECONDS`` from the first byte read:
a client that sends it slower — a byte every few seconds — gets a ``408`` (the JSON envelope
on ``/api``) and its connection is closed. Under gevent a ``gevent.Timeout`` interrupts the
waiting read; under threads a timer shuts the socket's reading side. Views then parse the
cached body (``request.form`` and ``get_json`` read the cache), so nothing waits on the
client after this point, and a turn slot (``turn_slots``) is never held while a body trickles.

**JSON.** Every ``request.get_json()`` in the app goes through ``JSONProvider.loads`` (Flask hands each
request the app's JSON provider), so what no view could store or answer safely is refused here,
once, for every route and surface:

- nesting deeper than ``MAX_DEPTH`` (Python's decoder recurses: 5 000 ``[`` would be a
  ``RecursionError``, and deep values would break whatever walks them later);
- ``NaN``/``Infinity`` and numbers that overflow a float (not JSON, and not storable);
- text no database can hold: NUL characters, and unpaired surrogates such as ``"\\ud800"``
  (valid JSON escapes, but not Unicode; encoding them to UTF-8 fails at the database).

Malformed bodies stay a ``ValueError`` (Flask's ``silent=True`` turns them into ``None``, the
views' "not valid JSON" 400); the rest are ``APIError`` answers naming the offending field.
"""

from __future__ import annotations

import json
import math
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, Response, current_app, g, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import RequestTimeout
from werkzeug.wsgi import LimitedStream

from .errors import APIError

MAX_DEPTH = 64
MAX_READ_OFF_BYTES = 16 * 1024 * 1024


def _constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} does not fit in a number")
    return value


def _field(path: tuple) -> str:
    return ".".join(str(part) for part in path) or "(body)"


def check_value(value: Any) -> None:
    """Refuse nesting deeper than ``MAX_DEPTH`` and strings with NUL or unpaired surrogates.

    Iterative, so a value that was just deep enough to decode cannot exhaust the stack here."""
    stack: list[tuple[Any, tuple, int]] = [(value, (), 0)]
    while stack:
        item, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise APIError(400, "json_too_deep", f"The JSON body is nested deeper than {MAX_DEPTH} levels.")
        if isinstance(item, str):
            _check_text(item, path)
        elif isinstance(item, dict):
            for key, child in item.items():
                _check_text(key, path)
                stack.append((child, (*path, key), depth + 1))
        elif isinstance(item, list):
            stack.extend((child, (*path, index), depth + 1) for index, child in enumerate(item))


def _check_text(text: str, path: tuple) -> None:
    problem = None
    if "\x00" in text:
        problem = "must not contain NUL characters"
    else:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            problem = "must not contain unpaired surrogates (such as \\ud800)"
    if problem:
        raise APIError(
            422, "invalid_fields", "Some fields are invalid.", [{"field": _field(path), "message": problem}]
        )


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, decoding with the checks above."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            value = json.loads(s, parse_constant=_constant, parse_float=_finite, **kwargs)
        except RecursionError as exc:
            raise APIError(400, "json_too_deep", f"The JSON body is nested deeper than {MAX_DEPTH} levels.") from exc
        check_value(value)
        return value


class BodyTimeout(Exception):
    """The body did not arrive in time."""


def _under_gevent() -> bool:
    try:
        from gevent import monkey
    except ImportError:
        return False
    return monkey.is_module_patched("socket")


def _cut_reading(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RD)  # a read waiting on it returns at once, short
    except OSError:
        pass


@contextmanager
def _deadline(seconds: float, sock: socket.socket | None) -> Iterator[None]:
    """Raise ``BodyTimeout`` if the block (reading the body) takes longer than ``seconds``."""
    if _under_gevent():
        import gevent

        with gevent.Timeout(seconds, BodyTimeout()):
            yield
        return
    deadline = time.monotonic() + seconds
    timer = None
    if sock is not None:  # gunicorn's gthread or sync worker
        timer = threading.Timer(seconds, _cut_reading, (sock,))
        timer.daemon = True
        timer.start()
    try:
        yield
    except Exception:
        if time.monotonic() >= deadline:  # the cut read ended short: that is the timeout
            raise BodyTimeout() from None
        raise
    finally:
        if timer is not None:
            timer.cancel()
    if time.monotonic() >= deadline:
        raise BodyTimeout()


def _has_body() -> bool:
    if request.content_length:
        return True
    return request.environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked"


def read_body_in_time() -> None:
    """Read the request's body into the request's cache now, or answer 408."""
    if not _has_body():
        return
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and (request.content_length or 0) > limit:
        return  # the view's first look at the body answers 413, without reading it
    seconds = current_app.config["TASKCHAT_BODY_TIMEOUT_SECONDS"]
    sock = request.environ.get("gunicorn.socket")
    try:
        with _deadline(seconds, sock):
            request.get_data(cache=True)
    except BodyTimeout:
        # The rest of the body is not read off. gunicorn would read it (to reach the next
        # request on the connection) and ignores an app's ``Connection: close``; with the
        # reading side shut it finds the end at once, and closes after the 408 is sent.
        g.taskchat_body_cut = True
        if sock is not None:
            _cut_reading(sock)
        raise RequestTimeout(f"The request body did not arrive within {seconds:g} seconds.") from None


def _unread_body() -> LimitedStream | None:
    """The rest of the request body as a stream, or ``None`` when there is nothing to read."""
    length = request.content_length
    if not length:
        return None
    if "stream" in request.__dict__:  # the view opened the body: go on from where it stopped
        return request.stream  # type: ignore[return-value]
    # Nothing was read yet (a 413 is raised before the stream is opened, so open it directly).
    return LimitedStream(request.environ["wsgi.input"], length)


def read_off_unread_body(response: Response) -> Response:
    """After the answer is sent, read and discard what is left of the request body."""
    length = request.content_length or 0
    if length > MAX_READ_OFF_BYTES or g.get("taskchat_body_cut"):
        response.headers["Connection"] = "close"
        return response
    stream = _unread_body()
    if stream is not None:
        response.call_on_close(lambda: _discard(stream))
    return response


def _discard(stream) -> None:
    try:
        while stream.read(64 * 1024):
            pass
    except (OSError, ValueError):  # the client went away or broke off mid-body: nothing to keep
        pass


def register_request_body(app: Flask) -> None:
    """Read JSON with the checks above; read off what the app left unread."""
    app.json = JSONProvider(app)
    app.after_request(read_off_unread_body)


def register_body_deadline(app: Flask) -> None:
    """Read every body before the views, in ``TASKCHAT_BODY_TIMEOUT_SECONDS`` (registered after
    the request id is given, so a 408 carries one)."""
    app.before_request(read_body_in_time)
