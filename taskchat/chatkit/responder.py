"""One agent turn told as ChatKit events: the generators a streaming request sends.

They receive ids, not ORM objects, and run in the stream's worker thread (see
``sse.in_background``), so each reads what it needs in its own session. The agent commits the
reply before its first word; the events about it are sent once its id is known.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from ..agent import TextDelta, ToolStarted, TurnDone, TurnEvent, llm, run_action, run_turn
from ..extensions import db
from ..models import Conversation, Message
from . import protocol, store
from .protocol import ck

# A cancelled stream would not stop the turn (it is always stored whole), so no Stop button.
STREAM_OPTIONS = ck.StreamOptionsEvent(stream_options=ck.StreamOptions(allow_cancel=False))
# A model's turn can be stopped: the partial reply is stored, marked interrupted (agent.llm).
CANCELLABLE = ck.StreamOptionsEvent(stream_options=ck.StreamOptions(allow_cancel=True))


def _words(text: str) -> list[str]:
    words: list[str] = []
    for part in text.split(" "):
        if words:
            words[-1] += " "
        words.append(part)
    return [word for word in words if word]


def assistant_events(user_id: str, turn: Iterable[TurnEvent], show_tools: bool = False) -> Iterator[Any]:
    """The assistant message (added, content part, text deltas, done) and its widget, if any.

    The words are gathered first: ChatKit needs the item id (the stored message's) before the
    first delta, and the agent names it only at the end. It has stored the reply before its
    first word, so nothing is waiting on a model here; pacing happens in the response.
    """
    deltas: list[str] = []
    reply = None
    for event in turn:
        if isinstance(event, TextDelta):
            deltas.append(event.text)
        elif isinstance(event, ToolStarted) and show_tools:  # a model's turn takes a while
            yield ck.ProgressUpdateEvent(icon="bolt", text=tool_progress(event))
        elif isinstance(event, TurnDone):
            reply = event.reply
    if reply is None:
        raise RuntimeError("turn ended without a reply")
    message = db.session.get(Message, reply.message_id)
    text = store.assistant_text(message)
    if text != reply.response:
        deltas = _words(text)
    item_id = protocol.message_item_id(message.id)
    thread = protocol.thread_id(message.conversation_id)
    yield ck.ThreadItemAddedEvent(
        item=ck.AssistantMessageItem(id=item_id, thread_id=thread, created_at=message.created_at, content=[])
    )
    yield ck.ThreadItemUpdatedEvent(
        item_id=item_id,
        update=ck.AssistantMessageContentPartAdded(content_index=0, content=ck.AssistantMessageContent(text="")),
    )
    for delta in deltas:
        yield ck.ThreadItemUpdatedEvent(
            item_id=item_id, update=ck.AssistantMessageContentPartTextDelta(content_index=0, delta=delta)
        )
    content = ck.AssistantMessageContent(text=text)
    yield ck.ThreadItemUpdatedEvent(
        item_id=item_id, update=ck.AssistantMessageContentPartDone(content_index=0, content=content)
    )
    items = store.items_of(message, store.user_timezone(user_id))
    for item in items:
        yield ck.ThreadItemDoneEvent(item=item)


def respond(
    user_id: str, conversation_id: uuid.UUID, user_message_id: int, *, created: bool, echo_user: bool = True
) -> Iterator[Any]:
    """Answer a stored user message: new thread, the user's item, options, reply, title."""

    def events() -> Iterator[Any]:
        conversation = db.session.get(Conversation, conversation_id)
        if created:
            yield ck.ThreadCreatedEvent(thread=store.thread_of(conversation, title=False))
        if echo_user:
            message = db.session.get(Message, user_message_id)
            yield ck.ThreadItemDoneEvent(item=store.items_of(message, store.user_timezone(user_id))[0])
        model = llm.enabled()
        yield CANCELLABLE if model else STREAM_OPTIONS
        yield from assistant_events(user_id, run_turn(user_id, conversation_id, user_message_id), show_tools=model)
        if created:
            db.session.refresh(conversation)
            yield ck.ThreadUpdatedEvent(thread=store.thread_of(conversation))

    return events()


def act(
    user_id: str, conversation_id: uuid.UUID, intent: str, number: int, widget_message_id: int | None
) -> Iterator[Any]:
    """A widget button: run the action, redraw the widget it came from, then say what happened."""

    def events() -> Iterator[Any]:
        yield STREAM_OPTIONS
        turn = iter(run_action(user_id, conversation_id, intent, number))
        # The agent has stored the outcome once it speaks; redraw the list from that state.
        pending: list[TurnEvent] = []
        for event in turn:
            pending.append(event)
            if isinstance(event, (TextDelta, TurnDone)):
                break
        if widget_message_id is not None:
            item = store.refresh_task_list(user_id, widget_message_id)
            if item is not None:
                yield ck.ThreadItemUpdatedEvent(item_id=item.id, update=ck.WidgetRootUpdated(widget=item.widget))
        yield from assistant_events(user_id, _chain(pending, turn))

    return events()


def tool_progress(event: ToolStarted) -> str:
    """What ChatKit shows while a tool runs ("Working: add_task…")."""
    return f"Working: {event.name}…"


def no_pending_tool_call() -> Iterator[Any]:
    """``threads.add_client_tool_output``: this assistant never asks the client to run a tool."""
    yield protocol.error_event("There is no client tool call waiting for output in this thread.")


def _chain(first: list[TurnEvent], rest: Iterator[TurnEvent]) -> Iterator[TurnEvent]:
    yield from first
    yield from rest
