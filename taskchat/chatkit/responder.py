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
    Intent,
    ModelUnavailable,
    ReplyStarted,
    TextDelta,
    ToolStarted,
    TurnDone,
    TurnStart,
    model_answers,
    run_action,
    run_turn,
)
from ..models import TaskList
from ..sse import frame
from . import entities, protocol, questions, store
from .protocol import ck
from .widgets import CHANGE_KIND, CHANGE_TITLE, changed_tasks, shows_widget, widget_for

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
        structured: bool = False,
        undo_open: bool = True,
    ):
        self.tz = tz
        # Whether the reply's change card offers Undo (an undo's own reply has nothing to undo).
        self.undo_open = undo_open
        # The client takes questions as structured input rather than answer buttons.
        self.structured = structured
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
        if isinstance(event, ModelUnavailable):
            return (frame(protocol.dump(model_unavailable_notice(event))),)
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
            heading = event.display.title
            self.spoken.append(heading)
            frames.extend(self._updated(ck.AssistantMessageContentPartTextDelta(content_index=0, delta=heading)))
        return frames

    def _done(self, event: TurnDone) -> list[str]:
        reply = event.reply
        annotations = entities.task_annotations((call.name, call.status, call.output) for call in reply.tool_calls)
        content = ck.AssistantMessageContent(text="".join(self.spoken), annotations=annotations)
        frames = list(self._updated(ck.AssistantMessageContentPartDone(content_index=0, content=content)))
        item = ck.AssistantMessageItem(
            id=self.item_id, thread_id=self.thread_id, created_at=self.created_at, content=[content]
        )
        frames.append(frame(protocol.dump(ck.ThreadItemDoneEvent(item=item))))
        if reply.choices and self.structured:
            asked = questions.asked(reply, content.text, self.thread_id, self.created_at)
            frames.append(frame(protocol.dump(ck.ThreadItemDoneEvent(item=asked))))
            return frames + self._title_frames(reply)
        shown = reply.display
        if not reply.choices and not shows_widget(shown):
            changed = changed_tasks((call.name, call.status, call.output) for call in reply.tool_calls)
            shown = TaskList(CHANGE_TITLE, changed, kind=CHANGE_KIND) if changed else None
        drawn = widget_for(shown, [choice.to_dict() for choice in reply.choices], self.tz, undo_open=self.undo_open)
        if drawn is not None:
            widget = ck.WidgetItem(
                id=protocol.widget_item_id(reply.message_id),
                thread_id=self.thread_id,
                created_at=self.created_at,
                widget=drawn,
                copy_text=reply.response,
            )
            frames.append(frame(protocol.dump(ck.ThreadItemDoneEvent(item=widget))))
        return frames + self._title_frames(reply)

    def _title_frames(self, reply: Any) -> list[str]:
        if not self.created_title:
            return []
        thread = ck.Thread(id=self.thread_id, title=reply.title, created_at=self.thread_created_at, items=ck.Page())
        return [frame(protocol.dump(ck.ThreadUpdatedEvent(thread=thread)))]


def model_unavailable_notice(event: ModelUnavailable) -> ck.NoticeEvent:
    """The language model failed before it said anything, so the rules answered: say so."""
    return ck.NoticeEvent(
        level="warning",
        title="Model unavailable",
        message=f"The language model is unavailable ({event.reason}); the built-in rules answered this message.",
    )


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


def respond(
    user_id: str, tz: ZoneInfo, start: TurnStart, *, echo_user: bool = True, structured: bool = False
) -> tuple[Iterator[Any], ChatKitEncoder]:
    """Answer a stored user message: the new thread, the user's item, options, then the turn.

    Plain values only (the user's id and zone): the events may run in a worker thread.
    """
    model = model_answers()
    encoder = ChatKitEncoder(
        tz,
        created_title=start.created,
        thread_created_at=start.conversation_created_at,
        show_tools=model,
        structured=structured,
    )

    opening: list[Any] = []
    if start.created:
        opening.append(
            ck.ThreadCreatedEvent(
                thread=ck.Thread(
                    id=protocol.thread_id(start.conversation_id),
                    title=None,
                    created_at=start.conversation_created_at,
                    items=ck.Page(),
                )
            )
        )
    if echo_user:
        opening.append(ck.ThreadItemDoneEvent(item=user_item(start)))
    opening.append(CANCELLABLE if model else STREAM_OPTIONS)
    # Read here, in the request's thread and session (a model's turn runs in a worker thread).
    opening.extend(due_notices(user_id))
    return run_turn(user_id, start).before(*opening), encoder


def due_notices(user_id: str) -> list[ck.NoticeEvent]:
    """Reminders that came due since the user last looked, as ``notice`` events at the start of
    the next reply (then read: the page's notices area shows them no more either)."""
    from flask import g, has_request_context

    from .. import reminders
    from ..extensions import db
    from ..models import User
    from ..transactions import writing

    # The sign-in check of this request said whether any are unread (``auth``): none, no query.
    # One delivered since is shown with the next reply.
    if has_request_context() and g.get("taskchat_unread_notices", {}).get(user_id) is False:
        return []
    user = db.session.get(User, user_id)
    found = reminders.notifications(user, unread_only=True, limit=5) if user is not None else []
    if not found:
        return []
    events = []
    for notice in found:
        failed = notice.reminder.state == "failed"
        message = f"**{notice.title}** (task {notice.task.number})"
        if failed:
            message += " — the reminder email could not be sent."
        events.append(ck.NoticeEvent(level="warning" if failed else "info", title="Reminder", message=message))
    with writing():
        for notice in found:
            reminders.mark_read(user, notice.id)
    return events


def act(
    user_id: str, tz: ZoneInfo, conversation_id: uuid.UUID, intent: str, number: int, widget_message_id: int | None
) -> tuple[Iterator[Any], ChatKitEncoder]:
    """A widget button: run the action; once it has committed (before the reply goes out),
    redraw the widget it came from (a transaction of its own); then the reply."""
    encoder = ChatKitEncoder(tz)

    def redrawn_before_the_reply(event: Any) -> list[Any]:
        if isinstance(event, ReplyStarted) and widget_message_id is not None:
            item = store.refresh_task_list(user_id, widget_message_id)
            if item is not None:
                return [ck.ThreadItemUpdatedEvent(item_id=item.id, update=ck.WidgetRootUpdated(widget=item.widget)), event]
        return [event]

    return run_action(user_id, conversation_id, intent, number).before(STREAM_OPTIONS).each(redrawn_before_the_reply), encoder


def undo(user_id: str, tz: ZoneInfo, conversation: Any, message_id: int) -> tuple[Iterator[Any], ChatKitEncoder]:
    """A change card's Undo: the agent's own "undo" (a rule turn); once it has committed, the
    card redrawn with its tasks as they are now and its Undo closed, then the reply."""
    encoder = ChatKitEncoder(tz, undo_open=False)
    conversation_id = conversation.id

    def closed_before_the_reply(event: Any) -> list[Any]:
        if isinstance(event, ReplyStarted):
            from ..extensions import db
            from ..models import Conversation, Message

            message = db.session.get(Message, message_id)
            fresh = db.session.get(Conversation, conversation_id, populate_existing=True)
            item = store.redraw_card(user_id, message, fresh) if message is not None and fresh is not None else None
            if item is not None:
                return [ck.ThreadItemUpdatedEvent(item_id=item.id, update=ck.WidgetRootUpdated(widget=item.widget)), event]
        return [event]

    # The task number is unused: undo puts back what the last changing turn did.
    events = run_action(user_id, conversation_id, Intent.UNDO, 1).before(STREAM_OPTIONS).each(closed_before_the_reply)
    return events, encoder


def no_pending_tool_call() -> tuple[Iterator[Any], ChatKitEncoder]:
    """``threads.add_client_tool_output``: this assistant never asks the client to run a tool."""
    return iter([protocol.error_event("There is no client tool call waiting for output in this thread.")]), (
        ChatKitEncoder(ZoneInfo("UTC"))
    )
