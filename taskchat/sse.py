"""Server-Sent Events framing, and keeping a turn alive when its reader goes away."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

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
        for event in iterator:
            yield event
    finally:
        for _ in iterator:
            pass
