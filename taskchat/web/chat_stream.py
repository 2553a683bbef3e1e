"""One chat turn encoded for the htmx page: a ``text/event-stream`` htmx 4 swaps as it arrives.

htmx 4 reads the response of the form's own ``hx-post`` with ``fetch()``, so the request that
stores the message also streams the reply: no second connection that could fail to open.
Unnamed frames are HTML that htmx swaps into the form's target (``#messages``, beforeend);
``<hx-partial>`` elements inside them aim at other places. Named frames become DOM events on
the form (``tasks-changed`` bubbles to the task panel, which reloads itself). Pacing,
heartbeats, hang-ups and failures are the one stream pipeline's (``sse.stream_response``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from flask import Response, render_template

from ..agent import TaskList, TextDelta, ToolStarted, TurnDone, TurnStart, model_answers, run_turn
from ..models import User
from ..sse import frame, stream_response
from .page_data import changed_tasks, sidebar


@dataclass(frozen=True)
class TurnOpened:
    """The first item of the page's event stream, before the agent's own events."""


@dataclass(frozen=True)
class ShownMessage:
    """What ``_message.html`` draws, from what the turn holds (no re-reading of rows)."""

    id: int
    role: str
    content: str
    task_list: TaskList | None = None
    choices: list[dict[str, str]] | None = None  # the answer buttons (``_choices.html``)


class PageEncoder:
    """A turn's events as the page's fragments."""

    def __init__(self, user: User, start: TurnStart, csrf_token: str):
        self.user_id = user.id
        self.timezone = user.timezone
        self.start = start
        self.csrf_token = csrf_token

    def __call__(self, event: Any) -> tuple[str, ...]:
        start = self.start
        if isinstance(event, TurnOpened):
            html = render_template(
                "_turn_opened.html",
                message=ShownMessage(start.user_message_id, "user", start.text),
                conversation_id=start.conversation_id,
                created=start.created,
            )
            return (frame(html),)
        if isinstance(event, ToolStarted):
            # A working indicator in the reply bubble; the stored message replaces it at the end.
            html = render_template("_tool_working.html", user_message_id=start.user_message_id, name=event.name)
            return (frame(html),)
        if isinstance(event, TextDelta):
            html = render_template("_reply_delta.html", user_message_id=start.user_message_id, text=event.text)
            return (frame(html),)
        if isinstance(event, TurnDone):
            reply = event.reply
            html = render_template(
                "_turn_done.html",
                user_message_id=start.user_message_id,
                message=ShownMessage(
                    reply.message_id, "assistant", reply.response, reply.display,
                    [choice.to_dict() for choice in reply.choices],
                ),
                conversations=sidebar(self.user_id),
                current_id=uuid.UUID(reply.conversation_id),
                csrf_token=self.csrf_token,
                timezone=self.timezone,
                title=reply.title,
            )
            if changed_tasks(reply.tool_calls):
                return frame(html), frame("", event="tasks-changed")
            return (frame(html),)
        return ()

    def error_frame(self) -> str:
        """The reply bubble replaced by an apology, when the turn fails after the stream began."""
        return frame(render_template("_turn_failed.html", user_message_id=self.start.user_message_id))


def stream_turn(user: User, start: TurnStart, *, csrf_token: str) -> Response:
    """The streamed answer to a user message that is already committed."""
    encoder = PageEncoder(user, start, csrf_token)
    events = run_turn(user.id, start).before(TurnOpened())
    # A page closed mid-answer stops the model, as ChatKit's Stop does.
    return stream_response(events, encoder, encoder.error_frame(), background=model_answers())
