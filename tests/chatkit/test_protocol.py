"""The ChatKit protocol over HTTP: every request type, each answer validated with the
``openai-chatkit`` types, and the rows each one leaves behind."""

from __future__ import annotations

import warnings

import pytest
from sqlalchemy import func, select

from taskchat.chatkit import protocol
from taskchat.extensions import db
from taskchat.models import Conversation, Message, Task, ToolCall
from tests.helpers.chatkit import (
    IGNORE_WIDGET_DEPRECATION,
    ITEM_PAGE,
    THREAD,
    THREAD_PAGE,
    conversation_uuid,
    user_input,
)

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from chatkit.types import SyncCustomActionResponse
    from chatkit.widgets import ListView

from pydantic import TypeAdapter  # noqa: E402

SYNC_ACTION = TypeAdapter(SyncCustomActionResponse)

pytestmark = IGNORE_WIDGET_DEPRECATION

REPLY_ORDER = [
    "thread.item.added",
    "thread.item.updated",  # content_part.added
    # text deltas …
    "thread.item.updated",  # content_part.done
    "thread.item.done",
]


def messages_of(conversation_id):
    return list(
        db.session.scalars(
            select(Message).where(Message.conversation_id == conversation_id).order_by(Message.sequence_number)
        )
    )


def assert_reply_shape(stream, start: int) -> None:
    """From ``start``: item added, content part added, ≥1 text deltas, part done, item done."""
    events = stream.events[start:]
    assert events[0].type == "thread.item.added" and events[0].item.type == "assistant_message"
    item_id = events[0].item.id
    updates = [e for e in events[1:] if e.type == "thread.item.updated"]
    assert all(u.item_id == item_id for u in updates)
    kinds = [u.update.type for u in updates]
    assert kinds[0] == "assistant_message.content_part.added"
    assert kinds[-1] == "assistant_message.content_part.done"
    assert len(kinds) >= 3 and set(kinds[1:-1]) == {"assistant_message.content_part.text_delta"}
    done = events[1 + len(updates)]
    assert done.type == "thread.item.done" and done.item.id == item_id
    assert done.item.content[0].text == "".join(u.update.delta for u in updates[1:-1])
    assert updates[-1].update.content.text == done.item.content[0].text


def test_threads_create_streams_the_reply_in_order(app, chatkit):
    thread_id, stream = chatkit.create("Add a task to buy groceries")
    types = stream.types
    assert types[:3] == ["thread.created", "thread.item.done", "stream_options"]
    assert types[-1] == "thread.updated"
    assert_reply_shape(stream, 3)
    assert len([u for u in stream.updates() if u.type.endswith("text_delta")]) >= 3

    created, user_done = stream.events[0], stream.events[1]
    assert created.thread.title is None
    assert user_done.item.type == "user_message"
    assert user_done.item.content[0].text == "Add a task to buy groceries"
    assert stream.events[-1].thread.title == "Add a task to buy groceries"
    assert stream.text() == "Added 'Buy groceries' (task 1)."
    assert stream.events[2].stream_options.allow_cancel is False

    with app.app_context():
        rows = messages_of(conversation_uuid(thread_id))
        assert [(m.role, m.sequence_number) for m in rows] == [("user", 1), ("assistant", 2)]
        assert user_done.item.id == protocol.message_item_id(rows[0].id)
        assert stream.events[3].item.id == protocol.message_item_id(rows[1].id)
        assert rows[1].content == stream.text()
        assert [c.tool_name for c in db.session.scalars(select(ToolCall))] == ["add_task"]


def test_add_user_message_and_get_by_id(chatkit):
    thread_id, _ = chatkit.create("add buy bread")
    stream = chatkit.say(thread_id, "hello")
    assert stream.types[:2] == ["thread.item.done", "stream_options"]
    assert "thread.created" not in stream.types and "thread.updated" not in stream.types
    assert_reply_shape(stream, 2)

    thread = chatkit.thread(thread_id)
    assert thread.id == thread_id and thread.title == "add buy bread"
    # the first reply added a task, so its card (what changed, with Undo) follows it
    assert [item.type for item in thread.items.data] == ["user_message", "assistant_message", "widget"] + [
        "user_message", "assistant_message"]
    assert thread.items.data[3].content[0].text == "hello"
    assert thread.items.data[4].content[0].text == stream.text()


def test_threads_are_conversations_shared_with_the_json_chat(app, chatkit, chat):
    thread_id, _ = chatkit.create("add buy bread")
    conversation_id = str(conversation_uuid(thread_id))
    reply = chat(chatkit.account, "Show me all my tasks", conversation_id)
    assert reply["conversation_id"] == conversation_id
    assert "Buy bread" in reply["response"]
    # and the other way round: a conversation started in /chat continues here
    other = chat(chatkit.account, "add call mom")["conversation_id"]
    stream = chatkit.say("thr_" + other.replace("-", ""), "mark it done")
    assert stream.text() == "Marked 'Call mom' (task 2) as complete."
    with app.app_context():
        assert db.session.scalar(select(func.count(Conversation.id))) == 2
        assert len(messages_of(conversation_uuid(thread_id))) == 4


def test_task_list_is_a_widget_here_and_text_elsewhere(app, chatkit, chat):
    thread_id, _ = chatkit.create("add milk")
    chatkit.say(thread_id, "add eggs")
    stream = chatkit.say(thread_id, "show my tasks")
    done = stream.done_items()
    assert [item.type for item in done] == ["user_message", "assistant_message", "widget"]
    assistant, widget = done[1], done[2]
    assert assistant.content[0].text == "You have 2 tasks:"
    assert widget.id == assistant.id.replace("msg_", "wdg_")
    assert isinstance(widget.widget, ListView)  # the strict type, not the dynamic fallback
    rows = widget.widget.children
    assert [row.key for row in rows] == ["task-1", "task-2"]
    first_row = rows[0].model_dump(by_alias=True, exclude_none=True)
    buttons = [c for c in first_row["children"] if c["type"] == "Button"]
    assert [(b["label"], b["onClickAction"]) for b in buttons] == [
        ("Delete", {"type": "task.delete", "payload": {"number": 1}, "handler": "server",
                    "loadingBehavior": "auto", "streaming": True}),
    ]
    # completing is the row's checkbox: a sync action (see test_task_cards)
    [checkbox] = [c for c in first_row["children"] if c["type"] == "Checkbox"]
    assert checkbox["onChangeAction"]["type"] == "task.set_completed" and checkbox["onChangeAction"]["streaming"] is False
    assert "Eggs" in widget.copy_text and "[ ] 1. Milk" in widget.copy_text

    # the same list stays plain text on the JSON API
    reply = chat(chatkit.account, "show my tasks", str(conversation_uuid(thread_id)))
    assert "[ ] 1. Milk" in reply["response"] and "[ ] 2. Eggs" in reply["response"]
    # and the stored thread has the widget item after its message
    items = chatkit.items(thread_id, order="asc", limit=50).data
    at = [item.id for item in items].index(assistant.id)
    assert items[at + 1].id == widget.id and items[at + 1].type == "widget"


def _show_tasks(chatkit, thread_id):
    stream = chatkit.say(thread_id, "show my tasks")
    return [item for item in stream.done_items() if item.type == "widget"][0]


def test_custom_action_completes_and_redraws_the_widget(app, chatkit):
    thread_id, _ = chatkit.create("add milk")
    chatkit.say(thread_id, "add eggs")
    widget = _show_tasks(chatkit, thread_id)

    stream = chatkit.stream({
        "type": "threads.custom_action",
        "params": {"thread_id": thread_id, "item_id": widget.id,
                   "action": {"type": "task.complete", "payload": {"number": 1}}},
    })
    assert stream.types[:2] == ["stream_options", "thread.item.updated"]
    redraw = stream.events[1]
    assert redraw.item_id == widget.id and redraw.update.type == "widget.root.updated"
    assert isinstance(redraw.update.widget, ListView)  # every prop valid for the strict types
    first = redraw.update.widget.model_dump(by_alias=True, exclude_none=True)["children"][0]
    assert first["children"][0]["children"][0]["lineThrough"] is True
    assert [c["defaultChecked"] for c in first["children"] if c["type"] == "Checkbox"] == [True]
    assert_reply_shape(stream, 2)
    assert stream.text() == "Marked 'Milk' (task 1) as complete."

    with app.app_context():
        task = db.session.scalar(select(Task).where(Task.number == 1))
        assert task.completed
    # the redraw is stored: reading the thread again shows it
    items = chatkit.items(thread_id, order="asc", limit=50).data
    stored = [item for item in items if item.id == widget.id][0]
    assert stored.widget.model_dump(by_alias=True, exclude_none=True)["children"][0] == first

    stream = chatkit.stream({
        "type": "threads.custom_action",
        "params": {"thread_id": thread_id, "item_id": widget.id,
                   "action": {"type": "task.delete", "payload": {"number": 2}}},
    })
    assert isinstance(stream.events[1].update.widget, ListView)
    second = stream.events[1].update.widget.model_dump(by_alias=True, exclude_none=True)["children"][1]
    assert [c["value"] for c in second["children"]] == ["2. Eggs", "deleted"]
    assert stream.text() == "Deleted 'Eggs' (task 2)."
    with app.app_context():
        assert [t.number for t in db.session.scalars(select(Task))] == [1]


def test_sync_custom_action_answers_the_redrawn_widget(app, chatkit):
    thread_id, _ = chatkit.create("add milk")
    widget = _show_tasks(chatkit, thread_id)
    answer = chatkit.json({
        "type": "threads.sync_custom_action",
        "params": {"thread_id": thread_id, "item_id": widget.id,
                   "action": {"type": "task.complete", "payload": {"number": 1}}},
    }, SYNC_ACTION)
    assert answer.updated_item.id == widget.id
    row = answer.updated_item.widget.model_dump(by_alias=True, exclude_none=True)["children"][0]
    assert row["children"][0]["children"][0]["lineThrough"] is True
    with app.app_context():
        assert db.session.scalar(select(Task.completed)) is True


@pytest.mark.parametrize(
    ("action", "code"),
    [
        ({"type": "task.explode", "payload": {"number": 1}}, "unknown_action"),
        ({"type": "task.complete", "payload": {"number": "one"}}, "invalid_fields"),
        ({"type": "task.complete"}, "invalid_fields"),
    ],
)
def test_bad_actions_are_422_before_any_stream(app, chatkit, action, code):
    thread_id, _ = chatkit.create("add milk")
    response = chatkit.send({"type": "threads.custom_action", "params": {"thread_id": thread_id, "action": action}})
    assert response.status_code == 422 and response.get_json()["error"]["code"] == code
    with app.app_context():
        assert db.session.scalar(select(func.count(Message.id))) == 2


def test_action_sender_must_be_a_widget(chatkit):
    thread_id, stream = chatkit.create("add milk")
    response = chatkit.send({
        "type": "threads.custom_action",
        "params": {"thread_id": thread_id, "item_id": stream.events[1].item.id,
                   "action": {"type": "task.complete", "payload": {"number": 1}}},
    })
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "not_a_widget"


def test_retry_after_item_drops_what_followed_and_answers_again(app, chatkit):
    thread_id, first = chatkit.create("hello")
    chatkit.say(thread_id, "add milk")
    user_item = first.events[1].item.id
    with app.app_context():
        before = messages_of(conversation_uuid(thread_id))
        assert len(before) == 4

    stream = chatkit.stream({"type": "threads.retry_after_item",
                             "params": {"thread_id": thread_id, "item_id": user_item}})
    assert stream.types[0] == "stream_options"
    assert "thread.created" not in stream.types
    assert_reply_shape(stream, 1)
    with app.app_context():
        after = messages_of(conversation_uuid(thread_id))
        assert [(m.role, m.sequence_number) for m in after] == [("user", 1), ("assistant", 2)]
        assert after[0].id == before[0].id
        # a new answer (SQLite may hand the freed row id out again; PostgreSQL never does)
        assert after[1].created_at > before[3].created_at
        assert after[1].content == stream.text()
        # the dropped turn's tool call went with its message
        assert db.session.scalar(select(func.count(ToolCall.id))) == 0
        conversation = db.session.get(Conversation, conversation_uuid(thread_id))
        assert conversation.last_sequence == 2
    # the thread goes on gaplessly
    chatkit.say(thread_id, "add eggs")
    with app.app_context():
        assert [m.sequence_number for m in messages_of(conversation_uuid(thread_id))] == [1, 2, 3, 4]


def test_retry_needs_a_user_message(chatkit):
    thread_id, stream = chatkit.create("show my tasks")
    assistant = stream.events[3].item.id
    response = chatkit.send({"type": "threads.retry_after_item",
                             "params": {"thread_id": thread_id, "item_id": assistant}})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "not_a_user_message"
    response = chatkit.send({"type": "threads.retry_after_item",
                             "params": {"thread_id": thread_id, "item_id": "msg_999999"}})
    assert response.status_code == 404


def test_threads_update_delete_and_feedback(app, chatkit):
    thread_id, stream = chatkit.create("add milk")
    assistant = stream.events[3].item.id

    renamed = chatkit.json({"type": "threads.update", "params": {"thread_id": thread_id, "title": "  Groceries  "}},
                           THREAD)
    assert renamed.id == thread_id and renamed.title == "Groceries"
    assert chatkit.thread(thread_id).title == "Groceries"
    response = chatkit.send({"type": "threads.update", "params": {"thread_id": thread_id, "title": "   "}})
    assert response.status_code == 422

    chatkit.json({"type": "items.feedback",
                  "params": {"thread_id": thread_id, "item_ids": [assistant], "kind": "positive"}})
    with app.app_context():
        message = db.session.get(Message, protocol.parse_item_id(assistant)[0])
        assert message.feedback == "positive"
    response = chatkit.send({"type": "items.feedback",
                             "params": {"thread_id": thread_id, "item_ids": [assistant, "msg_424242"],
                                        "kind": "negative"}})
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(Message, protocol.parse_item_id(assistant)[0]).feedback == "positive"  # all or nothing

    chatkit.json({"type": "threads.delete", "params": {"thread_id": thread_id}})
    response = chatkit.send({"type": "threads.get_by_id", "params": {"thread_id": thread_id}})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    with app.app_context():
        assert db.session.scalar(select(func.count(Message.id))) == 0


def test_threads_list_walks_every_thread_once_in_both_orders(chatkit):
    made = [chatkit.create(f"hello {n}")[0] for n in range(5)]
    for order, expected in (("desc", made[::-1]), ("asc", made)):
        seen, after = [], None
        while True:
            params = {"limit": 2, "order": order, **({"after": after} if after else {})}
            page = chatkit.json({"type": "threads.list", "params": params}, THREAD_PAGE)
            assert len(page.data) <= 2
            seen.extend(thread.id for thread in page.data)
            assert all(thread.items.data == [] for thread in page.data)
            if not page.has_more:
                break
            after = page.after
        assert seen == expected
    first = chatkit.json({"type": "threads.list", "params": {}}, THREAD_PAGE)
    assert [t.title for t in first.data] == [f"hello {n}" for n in range(4, -1, -1)]


def test_items_list_walks_a_45_message_thread_without_loss_or_repeat(app, chatkit):
    from taskchat.agent import start_turn

    thread_id, _ = chatkit.create("add milk")
    for n in range(21):
        chatkit.say(thread_id, "show my tasks" if n % 5 == 0 else f"hello {n}")
    with app.app_context():
        # the 45th message: a user message not answered yet (stored as a stream would)
        start_turn(chatkit.account.user_id, "one more", conversation_uuid(thread_id))
        rows = messages_of(conversation_uuid(thread_id))
        assert len(rows) == 45
        expected = []
        for row in rows:
            expected.append(protocol.message_item_id(row.id))
            if row.display and row.display.get("tasks") or row.tool_calls and row.tool_calls[0].tool_name == "add_task":
                expected.append(protocol.widget_item_id(row.id))
    assert len(expected) == 45 + 5 + 1  # five task lists drawn as widgets, and the add's card

    for order, want in (("asc", expected), ("desc", expected[::-1])):
        for limit in (1, 7, 20):
            seen, after = [], None
            while True:
                params = {"limit": limit, "order": order, **({"after": after} if after else {})}
                page = chatkit.items(thread_id, **params)
                assert 1 <= len(page.data) <= limit
                seen.extend(item.id for item in page.data)
                assert page.after == page.data[-1].id
                if not page.has_more:
                    break
                after = page.after
            assert seen == want, (order, limit)

    default = chatkit.items(thread_id)  # the SDK's defaults: newest first, 20 items
    assert [item.id for item in default.data] == expected[::-1][:20] and default.has_more
    thread = chatkit.thread(thread_id)  # with its first page, oldest first
    assert [item.id for item in thread.items.data] == expected[:20] and thread.items.has_more


def test_someone_elses_thread_is_not_found(app, client, auth, chatkit):
    thread_id, stream = chatkit.create("add secret plan")
    item = stream.events[1].item.id
    bob = chatkit.for_(auth.register())
    action = {"type": "task.complete", "payload": {"number": 1}}
    requests_ = [
        {"type": "threads.get_by_id", "params": {"thread_id": thread_id}},
        {"type": "items.list", "params": {"thread_id": thread_id}},
        {"type": "threads.add_user_message", "params": {"thread_id": thread_id, "input": user_input("hi")}},
        {"type": "threads.retry_after_item", "params": {"thread_id": thread_id, "item_id": item}},
        {"type": "threads.custom_action", "params": {"thread_id": thread_id, "action": action}},
        {"type": "threads.sync_custom_action", "params": {"thread_id": thread_id, "action": action}},
        {"type": "threads.add_client_tool_output", "params": {"thread_id": thread_id, "result": {}}},
        {"type": "threads.update", "params": {"thread_id": thread_id, "title": "mine"}},
        {"type": "threads.delete", "params": {"thread_id": thread_id}},
        {"type": "items.feedback", "params": {"thread_id": thread_id, "item_ids": [item], "kind": "negative"}},
        {"type": "threads.list", "params": {"after": thread_id}},
        {"type": "threads.get_by_id", "params": {"thread_id": "thr_not-a-uuid"}},
    ]
    for body in requests_:
        response = bob.send(body)
        assert response.status_code == 404, body["type"]
        assert response.get_json()["error"]["code"] == "not_found"
    assert bob.json({"type": "threads.list", "params": {}}, THREAD_PAGE).data == []
    with app.app_context():
        assert db.session.scalar(select(func.count(Message.id))) == 2
        conversation = db.session.get(Conversation, conversation_uuid(thread_id))
        assert conversation.title == "add secret plan"
        assert db.session.scalar(select(Task.completed)) is False
        assert db.session.scalar(select(Message.feedback).where(Message.id == protocol.parse_item_id(item)[0])) is None


def test_client_tool_output_answers_an_error_event(chatkit):
    thread_id, _ = chatkit.create("hello")
    stream = chatkit.stream({"type": "threads.add_client_tool_output",
                             "params": {"thread_id": thread_id, "result": {"ok": True}}})
    assert stream.types == ["error"]
    assert stream.events[0].code == "custom" and "no client tool call" in stream.events[0].message


def test_get_by_id_validates_as_thread_with_items(chatkit):
    thread_id, _ = chatkit.create("hello")
    response = chatkit.send({"type": "threads.get_by_id", "params": {"thread_id": thread_id}})
    thread = THREAD.validate_json(response.get_data())
    assert thread.items.data[0].type == "user_message"
    # null fields are left out, as the SDK writes them
    assert "null" not in response.get_data(as_text=True)
    ITEM_PAGE.validate_python(response.get_json()["items"])


def test_custom_action_without_a_sender_widget(app, chatkit):
    thread_id, _ = chatkit.create("add milk")
    stream = chatkit.stream({
        "type": "threads.custom_action",
        "params": {"thread_id": thread_id, "action": {"type": "task.complete", "payload": {"number": 1}}},
    })
    assert stream.types[0] == "stream_options"
    assert not any(u.type == "widget.root.updated" for u in stream.updates())
    assert_reply_shape(stream, 1)
    assert stream.text() == "Marked 'Milk' (task 1) as complete."
    reopened = chatkit.stream({
        "type": "threads.custom_action",
        "params": {"thread_id": thread_id, "action": {"type": "task.uncomplete", "payload": {"number": 1}}},
    })
    assert reopened.text() == "Reopened 'Milk' (task 1)."
    with app.app_context():
        assert db.session.scalar(select(Task.completed)) is False
        # a button press is a turn without a user message: only assistant messages were added
        assert [m.role for m in messages_of(conversation_uuid(thread_id))] == [
            "user", "assistant", "assistant", "assistant"]


def test_feedback_caps_its_item_ids_and_looks_them_up_in_one_query(app, chatkit):
    from tests.test_statement_budget import counting

    thread_id, _ = chatkit.create("add milk")
    chatkit.say(thread_id, "show my tasks")
    items = [item.id for item in chatkit.items(thread_id, limit=20).data]
    assert len(items) == 6  # two messages each turn, the add's card and the task list's widget
    too_many = chatkit.send({"type": "items.feedback",
                             "params": {"thread_id": thread_id, "item_ids": items * 21, "kind": "positive"}})
    assert too_many.status_code == 422, too_many.get_data(as_text=True)
    assert "at most 100" in too_many.get_json()["error"]["message"]

    with counting(app) as statements:
        chatkit.json({"type": "items.feedback",
                      "params": {"thread_id": thread_id, "item_ids": items * 16, "kind": "negative"}})
    # statements that read messages rows (a conversation's row reads its state from its latest
    # reply in a subquery: that is not a lookup of the items)
    lookups = [s for s in statements if s.lstrip().startswith("SELECT messages.")]
    writes = [s for s in statements if s.lstrip().upper().startswith("UPDATE MESSAGES")]
    assert len(lookups) == 1 and len(writes) == 1, statements
    with app.app_context():
        stored = db.session.scalars(select(Message.feedback).where(Message.conversation_id == conversation_uuid(thread_id)))
        assert set(stored) == {"negative"}
