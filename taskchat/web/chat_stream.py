"""One chat turn encoded for the htmx page: a ``text/event-stream`` htmx 4 swaps as it arrives.

htmx 4 reads the response of the form's own ``hx-post`` with ``fetch()``, so the request that
stores the message also streams the reply: no second connection that could fail to open.
Unnamed frames are HTML that htmx swaps into the form's target (``#messages``, beforeend);
``<hx-partial>`` elements inside them aim at other places. Named frames become DOM events on
the form (``tasks-changed`` bubbles to the task panel, which reloads itself).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain

from flask import render_template

from ..agent import TextDelta, ToolStarted, TurnDone, run_turn
from ..extensions import db
from ..models import Message
from ..sse import frame, run_to_end
from .page_data import changed_tasks, sidebar


@dataclass(frozen=True)
class TurnOpened:
    """The first item of the page's event stream, before the agent's own events."""


def stream_turn(
    user_id: str,
    conversation_id: uuid.UUID,
    user_message_id: int,
    *,
    created: bool,
    csrf_token: str,
    timezone: str,
    delay_seconds: float,
) -> Iterator[str]:
    """SSE frames for one turn whose user message is already committed.

    ``run_to_end`` covers the whole sequence, the opening frame included: a reader that
    hangs up at any point still gets its turn answered and stored.
    """
    events = chain([TurnOpened()], run_turn(user_id, conversation_id, user_message_id))
    for event in run_to_end(events):
        if isinstance(event, TurnOpened):
            yield frame(
                render_template(
                    "_turn_opened.html",
                    message=db.session.get(Message, user_message_id),
                    conversation_id=conversation_id,
                    created=created,
                )
            )
        elif isinstance(event, ToolStarted):
            # A working indicator in the reply bubble; the stored message replaces it at the end.
            yield frame(render_template("_tool_working.html", user_message_id=user_message_id, name=event.name))
        elif isinstance(event, TextDelta):
            yield frame(
                render_template("_reply_delta.html", user_message_id=user_message_id, text=event.text)
            )
            if delay_seconds:
                time.sleep(delay_seconds)
        elif isinstance(event, TurnDone):
            reply = event.reply
            yield frame(
                render_template(
                    "_turn_done.html",
                    user_message_id=user_message_id,
                    message=db.session.get(Message, reply.message_id),
                    conversations=sidebar(user_id),
                    current_id=conversation_id,
                    csrf_token=csrf_token,
                    timezone=timezone,
                    title=reply.title,
                )
            )
            if changed_tasks(reply.tool_calls):
                yield frame("", event="tasks-changed")
