"""Request bodies: the one reader of JSON bodies, and reading off the bodies nobody read.

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
from typing import Any

from flask import Flask, Response, request
from flask.json.provider import DefaultJSONProvider
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
    if length > MAX_READ_OFF_BYTES:
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
    """Read JSON bodies with the checks above, and read off what the app left unread."""
    app.json = JSONProvider(app)
    app.after_request(read_off_unread_body)
