"""Conversations and messages seen as ChatKit threads and items, read and written per user.

A conversation is a thread (``thr_<uuid hex>``); each message is an item (``msg_<id>``); an
assistant message that listed tasks or asked a question is followed by a widget item
(``wdg_<id>``) drawing the tasks or the answers to click.
Every lookup filters by the user: someone else's thread or item is simply not found.
"""

from __future__ import annotations

from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Conversation, Message, Task, TaskList, User, zone
from ..paging import keyset_page
from ..transactions import writing
from . import entities, protocol, questions
from .protocol import ck
from .widgets import card_of, has_widget, shows_widget, widget_for

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

Order = Literal["asc", "desc"]


class NotFound(LookupError):
    """A thread or item that does not exist or belongs to someone else."""


def conversation_for(user_id: str, thread_id: str) -> Conversation:
    """The user's conversation behind ``thread_id``, or ``NotFound``."""
    conversation_id = protocol.parse_thread_id(thread_id)
    conversation = None
    if conversation_id is not None:
        conversation = db.session.scalar(
            select(Conversation).where(
                Conversation.id == conversation_id, Conversation.user_id == user_id
            )
        )
    if conversation is None:
        raise NotFound(f"No thread {thread_id!r}.")
    return conversation


def message_for(conversation: Conversation, item_id: str) -> tuple[Message, bool]:
    """The message behind ``item_id`` in ``conversation`` and whether the id is its widget."""
    parsed = protocol.parse_item_id(item_id)
    message = None
    if parsed is not None:
        message = db.session.scalar(
            select(Message).where(Message.id == parsed[0], Message.conversation_id == conversation.id)
        )
    if message is None or (parsed[1] and not has_widget(message)):
        raise NotFound(f"No item {item_id!r} in this thread.")
    return message, parsed[1]


def user_timezone(user_id: str) -> ZoneInfo:
    user = db.session.get(User, user_id)
    return zone(user.timezone if user else None)


# --- rows → ChatKit objects ----------------------------------------------------------------


def thread_of(conversation: Conversation, items: ck.Page | None = None) -> ck.Thread:
    """The conversation as a ChatKit thread."""
    return ck.Thread(
        id=protocol.thread_id(conversation.id),
        title=conversation.title,
        created_at=conversation.created_at,
        items=items if items is not None else ck.Page(),
    )


def assistant_text(message: Message) -> str:
    """What the assistant item says: the list's heading when a widget shows the list itself."""
    task_list = message.task_list
    if shows_widget(task_list):
        return task_list.title or message.content
    return message.content


def annotations_of(message: Message) -> list[ck.Annotation]:
    """The tasks an assistant message's turn named, as entity annotations."""
    return entities.task_annotations((c.tool_name, c.status, c.tool_output) for c in message.tool_calls)


def items_of(
    message: Message,
    tz: ZoneInfo,
    *,
    answered: bool = False,
    task_list: TaskList | None = None,
    undo_open: bool = True,
    structured: bool = False,
    answer: str | None = None,
) -> list[Any]:
    """The ChatKit items one message stands for, in thread order.

    ``answered``: a later message follows, so a question's answer buttons are drawn disabled.
    ``task_list``: the message's list with its tasks' current state, when the caller read it.
    ``structured``: a question is drawn as structured input (``answer``: what answered it).
    """
    thread = protocol.thread_id(message.conversation_id)
    if message.role == "user":
        return [
            ck.UserMessageItem(
                id=protocol.message_item_id(message.id),
                thread_id=thread,
                created_at=message.created_at,
                content=[ck.UserMessageTextContent(text=message.content)],
                inference_options=ck.InferenceOptions(),
            )
        ]
    items: list[Any] = [
        ck.AssistantMessageItem(
            id=protocol.message_item_id(message.id),
            thread_id=thread,
            created_at=message.created_at,
            content=[ck.AssistantMessageContent(text=assistant_text(message), annotations=annotations_of(message))],
        )
    ]
    if structured and message.choices:
        items.append(questions.question_item(message, assistant_text(message), answered=answered, answer=answer))
    elif has_widget(message):
        items.append(widget_item(message, tz, answered=answered, task_list=task_list, undo_open=undo_open))
    return items


def widget_item(
    message: Message,
    tz: ZoneInfo,
    *,
    answered: bool = False,
    task_list: TaskList | None = None,
    undo_open: bool = True,
) -> ck.WidgetItem:
    return ck.WidgetItem(
        id=protocol.widget_item_id(message.id),
        thread_id=protocol.thread_id(message.conversation_id),
        created_at=message.created_at,
        widget=widget_for(
            task_list or card_of(message), message.choices, tz, answered=answered, undo_open=undo_open
        ),
        copy_text=message.content,
    )


def can_undo(conversation: Conversation) -> bool:
    """Whether the conversation's state (its latest reply's, read with the row) holds an undo."""
    return bool((conversation.state or {}).get("undo"))


def is_latest(conversation: Conversation, message: Message) -> bool:
    """Whether no message follows ``message`` in its thread (so a question it asks is still open)."""
    return conversation.last_sequence == message.sequence_number


# --- pages ---------------------------------------------------------------------------------


def page_size(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_PAGE_SIZE
    return max(1, min(limit, MAX_PAGE_SIZE))


def threads_page(user_id: str, limit: int | None, order: Order, after: str | None) -> ck.Page:
    """A page of the user's threads by creation time; ``after`` is the last thread id seen."""
    size = page_size(limit)
    newest_first = order == "desc"
    stmt = select(Conversation).where(Conversation.user_id == user_id)
    start = None
    if after:
        seen = conversation_for(user_id, after)
        start = (seen.created_at, seen.id)
    rows, more = keyset_page(stmt, (Conversation.created_at, Conversation.id), size, start, newest_first=newest_first)
    return ck.Page(
        data=[thread_of(row) for row in rows],
        has_more=more,
        after=protocol.thread_id(rows[-1].id) if rows else None,
    )


def _item_key(message: Message, widget: bool) -> tuple[int, int]:
    return message.sequence_number, 1 if widget else 0


def items_page(
    user_id: str,
    conversation: Conversation,
    limit: int | None,
    order: Order,
    after: str | None,
    structured: bool = False,
) -> ck.Page:
    """A page of a thread's items; ``after`` is the last item id seen (a message or a widget).

    One message can stand for two items, so the cursor is ``(sequence number, part)`` and
    messages are read with a margin of three beyond the page.
    """
    size = page_size(limit)
    newest_first = order == "desc"
    stmt = select(Message).where(Message.conversation_id == conversation.id)
    cursor: tuple[int, int] | None = None
    if after:
        message, widget = message_for(conversation, after)
        cursor = _item_key(message, widget)
        bound = Message.sequence_number <= cursor[0] if newest_first else Message.sequence_number >= cursor[0]
        stmt = stmt.where(bound)
    column = Message.sequence_number.desc() if newest_first else Message.sequence_number.asc()
    rows = list(
        db.session.scalars(stmt.order_by(column).limit(size + 3).options(selectinload(Message.tool_calls)))
    )
    tz = user_timezone(user_id)
    # A card shows its tasks as they are now, whatever changed them since (the page, REST,
    # another thread): one query for every card on the page.
    cards = [None if row.choices else card_of(row) for row in rows]
    current = current_tasks(user_id, [task["number"] for card in cards if card for task in card.tasks])
    undo_open = can_undo(conversation)
    said = {row.sequence_number: row.content for row in rows if row.role == "user"}
    keyed = []
    for row, card in zip(rows, cards, strict=True):
        parts = items_of(
            row,
            tz,
            answered=not is_latest(conversation, row),
            task_list=as_they_are(card, current) if card else None,
            undo_open=undo_open,
            structured=structured,
            answer=said.get(row.sequence_number + 1),
        )
        keys = [_item_key(row, index == 1) for index in range(len(parts))]
        pairs = list(zip(keys, parts, strict=True))
        keyed.extend(reversed(pairs) if newest_first else pairs)
    if cursor is not None:
        keyed = [(key, item) for key, item in keyed if (key < cursor if newest_first else key > cursor)]
    page = [item for _key, item in keyed[:size]]
    return ck.Page(data=page, has_more=len(keyed) > size, after=page[-1].id if page else None)


def full_thread(user_id: str, conversation: Conversation, structured: bool = False) -> ck.Thread:
    """The thread with its first page of items, oldest first (as the SDK answers get_by_id)."""
    return thread_of(conversation, items_page(user_id, conversation, None, "asc", None, structured))


# --- writes --------------------------------------------------------------------------------


def rename(conversation: Conversation, title: str) -> None:
    with writing():
        conversation.title = title


MAX_FEEDBACK_ITEMS = 100


class TooManyItems(ValueError):
    """More item ids than one feedback request may name."""


def record_feedback(conversation: Conversation, item_ids: list[str], kind: str) -> None:
    """Store ``kind`` on every message behind ``item_ids``; all must be in the thread, or none is.

    At most ``MAX_FEEDBACK_ITEMS`` ids (a client rates what it shows; 25 000 ids took seconds),
    looked up in one query and written in one statement.
    """
    if len(item_ids) > MAX_FEEDBACK_ITEMS:
        raise TooManyItems(f"Give feedback on at most {MAX_FEEDBACK_ITEMS} items at once.")
    wanted: dict[int, bool] = {}
    for item_id in item_ids:
        parsed = protocol.parse_item_id(item_id)
        if parsed is None:
            raise NotFound(f"No item {item_id!r} in this thread.")
        wanted[parsed[0]] = wanted.get(parsed[0], False) or parsed[1]
    found = {
        message.id: message
        for message in db.session.scalars(
            select(Message).where(Message.id.in_(wanted), Message.conversation_id == conversation.id)
        )
    }
    for message_id, is_widget in wanted.items():
        message = found.get(message_id)
        if message is None or (is_widget and not has_widget(message)):
            raise NotFound(f"No item {protocol.message_item_id(message_id)!r} in this thread.")
    with writing():
        db.session.execute(
            update(Message).where(Message.id.in_(wanted)).values(feedback=kind),
            execution_options={"synchronize_session": False},
        )


def current_tasks(user_id: str, numbers: list[int]) -> dict[int, dict[str, Any]]:
    """The user's tasks among ``numbers`` as they are now (one query), by number."""
    if not numbers:
        return {}
    return {
        task.number: task.to_dict()
        for task in db.session.scalars(
            select(Task)
            .where(Task.user_id == user_id, Task.number.in_(sorted(set(numbers))))
            .execution_options(populate_existing=True)
        )
    }


def as_they_are(task_list: TaskList, current: dict[int, dict[str, Any]]) -> TaskList:
    """The list with each task's current state; a task gone since stays, marked deleted, so the
    list keeps its shape and its heading still describes it."""
    tasks = [current.get(task["number"]) or {**task, "deleted": True} for task in task_list.tasks]
    return TaskList(task_list.title, tasks, task_list.kind)


def redraw_card(user_id: str, message: Message, conversation: Conversation) -> ck.WidgetItem | None:
    """The card of ``message`` with its tasks as they are now: a task list is stored so redrawn;
    a change's card is drawn from its tool calls and the tasks' current state each time."""
    if shows_widget(message.task_list):
        return refresh_task_list(user_id, message.id)
    card = card_of(message)
    if card is None:
        return None
    current = current_tasks(user_id, [task["number"] for task in card.tasks])
    return widget_item(
        message,
        user_timezone(user_id),
        answered=not is_latest(conversation, message),
        task_list=as_they_are(card, current),
        undo_open=can_undo(conversation),
    )


def refresh_task_list(user_id: str, message_id: int) -> ck.WidgetItem | None:
    """Redraw the widget of ``message_id`` with the tasks' current state and store it."""
    with writing():
        message = db.session.get(Message, message_id, populate_existing=True)
        shown = message.task_list if message is not None else None
        if not shows_widget(shown):
            return None
        current = current_tasks(user_id, [task["number"] for task in shown.tasks])
        message.display = as_they_are(shown, current).stored()
    return widget_item(message, user_timezone(user_id))
