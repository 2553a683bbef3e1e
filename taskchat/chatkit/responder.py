"""One agent turn told as ChatKit events: what a streaming request sends, in the agent's order.

``respond`` and ``act`` give the events of a streaming request: a few ChatKit events of their
own (the new thread, the user's item, stream options, a redrawn widget) and then the agent's
turn. ``ChatKitEncoder`` turns each into ``data:`` frames as it comes: the agent announcing
its reply becomes ``thread.item.added`` (the id is the stored message's, as ``items.list``
will return it), each text piece a delta, the turn's end ``thread.item.done``. Nothing is
gathered first; ``sse.stream_response`` paces and sends them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from ..agent import (
    ReplyStarted,
    TextDelta,
    ToolStarted,
    TurnDone,
    TurnStart,
    llm,
    run_action,
    run_turn,
)
from ..models import User
from ..sse import frame
from . import protocol, store
from .protocol import ck
from .widgets import shows_widget, widget_for

# A cancelled stream would not stop the turn (it is always stored whole), so no Stop button.
STREAM_OPTIONS = ck.StreamOptionsEvent(stream_options=ck.StreamOptions(allow_cancel=False))
# A model's turn can be stopped: the partial reply is stored, marked interrupted (agent.llm).
CANCELLABLE = ck.StreamOptionsEvent(stream_options=ck.StreamOptions(allow_cancel=True))
ERROR_FRAME = frame(protocol.dump(protocol.error_event(allow_retry=True)))


class ChatKitEncoder:
    """Frames for one streaming request: ChatKit events as they are, agent events translated.

    A reply that lists tasks is drawn by a widget, so its item says only the list's heading
    (as ``items.list`` does); the agent's words for the list itself are not sent.
    """

    def __init__(
        self,
        tz: ZoneInfo,
        *,
        created_title: bool = False,
        thread_created_at: datetime | None = None,
        show_tools: bool = False,
    ):
        self.tz = tz
        # A model's turn takes a while: each tool call is shown as a progress update.
        self.show_tools = show_tools
        self.created_title = created_title
        self.thread_created_at = thread_created_at
        self.item_id = ""
        self.thread_id = ""
        self.created_at: datetime | None = None
        self.spoken: list[str] = []
        self.heading_only = False

    def __call__(self, event: Any) -> Iterable[str]:
        if isinstance(event, BaseModel):
            return (frame(protocol.dump(event)),)
        if isinstance(event, ReplyStarted):
            return self._started(event)
        if isinstance(event, TextDelta):
            if self.heading_only:
                return ()
            self.spoken.append(event.text)
            return self._updated(ck.AssistantMessageContentPartTextDelta(content_index=0, delta=event.text))
        if isinstance(event, TurnDone):
            return self._done(event)
        if isinstance(event, ToolStarted) and self.show_tools:
            progress = ck.ProgressUpdateEvent(icon="bolt", text=tool_progress(event))
            return (frame(protocol.dump(progress)),)
        return ()  # other tool events, and a rule turn's: the client shows nothing for them

    def _updated(self, update: Any) -> tuple[str]:
        return (frame(protocol.dump(ck.ThreadItemUpdatedEvent(item_id=self.item_id, update=update))),)

    def _started(self, event: ReplyStarted) -> list[str]:
        self.item_id = protocol.message_item_id(event.message_id)
        self.thread_id = protocol.thread_id(uuid.UUID(event.conversation_id))
        self.created_at = event.created_at
        item = ck.AssistantMessageItem(id=self.item_id, thread_id=self.thread_id, created_at=event.created_at, content=[])
        frames = [
            frame(protocol.dump(ck.ThreadItemAddedEvent(item=item))),
            *self._updated(
                ck.AssistantMessageContentPartAdded(content_index=0, content=ck.AssistantMessageContent(text=""))
            ),
        ]
        if shows_widget(event.display):
            self.heading_only = True
            heading = event.display.get("title") or ""
            self.spoken.append(heading)
            frames.extend(self._updated(ck.AssistantMessageContentPartTextDelta(content_index=0, delta=heading)))
        return frames

    def _done(self, event: TurnDone) -> list[str]:
        reply = event.reply
        content = ck.AssistantMessageContent(text="".join(self.spoken))
        frames = list(self._updated(ck.AssistantMessageContentPartDone(content_index=0, content=content)))
        item = ck.AssistantMessageItem(
            id=self.item_id, thread_id=self.thread_id, created_at=self.created_at, content=[content]
        )
        frames.append(frame(protocol.dump(ck.ThreadItemDoneEvent(item=item))))
        drawn = widget_for(reply.display, [choice.to_dict() for choice in reply.choices], self.tz)
        if drawn is not None:
            widget = ck.WidgetItem(
                id=protocol.widget_item_id(reply.message_id),
                thread_id=self.thread_id,
                created_at=self.created_at,
                widget=drawn,
                copy_text=reply.response,
            )
            frames.append(frame(protocol.dump(ck.ThreadItemDoneEvent(item=widget))))
        if self.created_title:
            thread = ck.Thread(
                id=self.thread_id, title=reply.title, created_at=self.thread_created_at, items=ck.Page()
            )
            frames.append(frame(protocol.dump(ck.ThreadUpdatedEvent(thread=thread))))
        return frames


def tool_progress(event: ToolStarted) -> str:
    """What ChatKit shows while a tool runs ("Working: add_task…")."""
    return f"Working: {event.name}…"


def user_item(start: TurnStart) -> ck.UserMessageItem:
    """The stored user message of ``start`` as its ChatKit item."""
    return ck.UserMessageItem(
        id=protocol.message_item_id(start.user_message_id),
        thread_id=protocol.thread_id(start.conversation_id),
        created_at=start.created_at,
        content=[ck.UserMessageTextContent(text=start.text)],
        inference_options=ck.InferenceOptions(),
    )


def respond(user: User, start: TurnStart, *, echo_user: bool = True) -> tuple[Iterator[Any], ChatKitEncoder]:
    """Answer a stored user message: the new thread, the user's item, options, then the turn."""
    model = llm.enabled()
    encoder = ChatKitEncoder(
        store.zone(user.timezone),
        created_title=start.created,
        thread_created_at=start.conversation_created_at,
        show_tools=model,
    )

    def events() -> Iterator[Any]:
        if start.created:
            yield ck.ThreadCreatedEvent(
                thread=ck.Thread(
                    id=protocol.thread_id(start.conversation_id),
                    title=None,
                    created_at=start.conversation_created_at,
                    items=ck.Page(),
                )
            )
        if echo_user:
            yield ck.ThreadItemDoneEvent(item=user_item(start))
        yield CANCELLABLE if model else STREAM_OPTIONS
        yield from run_turn(user, start)

    return events(), encoder


def act(
    user: User, conversation_id: uuid.UUID, intent: str, number: int, widget_message_id: int | None
) -> tuple[Iterator[Any], ChatKitEncoder]:
    """A widget button: run the action; once it has acted (before the reply), redraw the
    widget it came from in the same transaction; then the reply."""
    encoder = ChatKitEncoder(store.zone(user.timezone))

    def events() -> Iterator[Any]:
        yield STREAM_OPTIONS
        for event in run_action(user, conversation_id, intent, number):
            if isinstance(event, ReplyStarted) and widget_message_id is not None:
                item = store.refresh_task_list(user.id, widget_message_id)
                if item is not None:
                    yield ck.ThreadItemUpdatedEvent(item_id=item.id, update=ck.WidgetRootUpdated(widget=item.widget))
            yield event

    return events(), encoder


def no_pending_tool_call() -> tuple[Iterator[Any], ChatKitEncoder]:
    """``threads.add_client_tool_output``: this assistant never asks the client to run a tool."""
    return iter([protocol.error_event("There is no client tool call waiting for output in this thread.")]), (
        ChatKitEncoder(ZoneInfo("UTC"))
    )
