"""Task cards with live controls: a checkbox, a date picker and a priority select per task, each a
sync action answered with the redrawn card and no new turn; cards that never go stale."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime

import pytest
import requests
from pydantic import TypeAdapter
from sqlalchemy import func, select

from taskchat.extensions import db
from taskchat.models import Message, Task
from tests.helpers.chatkit import (
    IGNORE_WIDGET_DEPRECATION,
    REQUEST,
    dumps,
    register_over_http,
    user_input,
)

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from chatkit.types import SyncCustomActionResponse
    from chatkit.widgets import WidgetRoot

SYNC_ACTION = TypeAdapter(SyncCustomActionResponse)
WIDGET = TypeAdapter(WidgetRoot)

pytestmark = IGNORE_WIDGET_DEPRECATION


def components(node, kind):
    """Every component of type ``kind`` under ``node`` (a widget dumped to a dict), in order."""
    found = []
    if isinstance(node, dict):
        if node.get("type") == kind:
            found.append(node)
        for value in node.values():
            found.extend(components(value, kind))
    elif isinstance(node, list):
        for value in node:
            found.extend(components(value, kind))
    return found


def dumped(widget):
    return widget.model_dump(by_alias=True, exclude_none=True, mode="json")


def card_of(chatkit, thread_id, text="show my tasks"):
    stream = chatkit.say(thread_id, text)
    return [item for item in stream.done_items() if item.type == "widget"][0]


def control(widget, kind, number):
    """The ``kind`` control of task ``number``'s row."""
    rows = [row for row in components(dumped(widget), "ListViewItem") if row["key"] == f"task-{number}"]
    return components(rows[0], kind)[0]


def sync(chatkit, thread_id, item_id, action):
    return chatkit.send({
        "type": "threads.sync_custom_action",
        "params": {"thread_id": thread_id, "item_id": item_id, "action": action},
    })


def act(widget, kind, number, value):
    """The action the client sends when task ``number``'s ``kind`` control changes to ``value``."""
    config = control(widget, kind, number)["onChangeAction"]
    return {"type": config["type"], "payload": {**config["payload"], "value": value}}


def message_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Message.id)))


def task_row(app, number=1):
    with app.app_context():
        return db.session.scalars(select(Task).where(Task.number == number)).one()


def test_a_list_card_carries_sync_controls_and_validates_as_a_widget(chatkit):
    thread_id, _ = chatkit.create("add milk tomorrow !high")
    card = card_of(chatkit, thread_id)
    root = dumped(card.widget)
    assert WIDGET.validate_python(root).type == "ListView"  # the strict, named widget types
    checkbox, picker, select_ = control(card.widget, "Checkbox", 1), control(card.widget, "DatePicker", 1), (
        control(card.widget, "Select", 1)
    )
    assert checkbox["defaultChecked"] is False
    assert select_["defaultValue"] == "high"
    assert [option["value"] for option in select_["options"]] == ["none", "low", "medium", "high"]
    assert picker["defaultValue"].endswith("T00:00:00")
    for each, action in ((checkbox, "task.set_completed"), (picker, "task.set_due"), (select_, "task.set_priority")):
        assert each["onChangeAction"]["type"] == action
        assert each["onChangeAction"]["streaming"] is False
        assert each["onChangeAction"]["payload"]["number"] == 1


def test_a_tick_answers_the_updated_card_with_no_new_turn(app, chatkit):
    thread_id, _ = chatkit.create("add milk")
    chatkit.say(thread_id, "add eggs")
    card = card_of(chatkit, thread_id)
    before = message_count(app)
    response = sync(chatkit, thread_id, card.id, act(card.widget, "Checkbox", 1, True))
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = SYNC_ACTION.validate_json(response.get_data())
    assert answer.updated_item.id == card.id and answer.updated_item.type == "widget"
    assert control(answer.updated_item.widget, "Checkbox", 1)["defaultChecked"] is True
    assert control(answer.updated_item.widget, "Checkbox", 2)["defaultChecked"] is False
    assert components(dumped(answer.updated_item.widget), "Text")[0]["lineThrough"] is True
    assert message_count(app) == before  # no turn: no message stored
    assert task_row(app, 1).completed is True and task_row(app, 2).completed is False
    # items.list returns the card as it is now
    stored = [item for item in chatkit.items(thread_id).data if item.id == card.id][0]
    assert control(stored.widget, "Checkbox", 1)["defaultChecked"] is True

    # …and the new card's checkbox reopens it
    response = sync(chatkit, thread_id, card.id, act(answer.updated_item.widget, "Checkbox", 1, False))
    assert response.status_code == 200
    assert task_row(app, 1).completed is False


def test_the_value_may_come_under_the_controls_name(app, chatkit):
    thread_id, _ = chatkit.create("add milk")
    card = card_of(chatkit, thread_id)
    config = control(card.widget, "Select", 1)
    action = {"type": config["onChangeAction"]["type"], "payload": {**config["onChangeAction"]["payload"], config["name"]: "low"}}
    assert sync(chatkit, thread_id, card.id, action).status_code == 200
    assert task_row(app).priority == "low"


def test_priority_and_due_date_change_in_place(app, chatkit):
    thread_id, _ = chatkit.create("add pay rent")
    card = card_of(chatkit, thread_id)
    answer = SYNC_ACTION.validate_json(sync(chatkit, thread_id, card.id, act(card.widget, "Select", 1, "medium")).get_data())
    assert control(answer.updated_item.widget, "Select", 1)["defaultValue"] == "medium"
    assert "medium priority" in dumps(dumped(answer.updated_item.widget))
    answer = SYNC_ACTION.validate_json(
        sync(chatkit, thread_id, card.id, act(answer.updated_item.widget, "DatePicker", 1, "2031-03-14")).get_data()
    )
    assert control(answer.updated_item.widget, "DatePicker", 1)["defaultValue"] == "2031-03-14T00:00:00"
    task = task_row(app)
    assert task.priority == "medium" and task.due_has_time is False
    assert task.due_at.astimezone(UTC) == datetime(2031, 3, 14, tzinfo=UTC)  # midnight in the user's zone (UTC)
    # cleared
    answer = SYNC_ACTION.validate_json(
        sync(chatkit, thread_id, card.id, act(answer.updated_item.widget, "DatePicker", 1, None)).get_data()
    )
    assert "defaultValue" not in control(answer.updated_item.widget, "DatePicker", 1)
    assert task_row(app).due_at is None


def test_a_repeating_tasks_card_says_its_rule_and_next_date(app, chatkit):
    thread_id, _ = chatkit.create("add water the plants every monday")
    card = card_of(chatkit, thread_id)
    captions = [c["value"] for c in components(dumped(card.widget), "Caption")]
    assert any(c.startswith("Repeats every week on Monday · next Mon ") for c in captions), captions
    first_due = task_row(app).due_at
    answer = SYNC_ACTION.validate_json(sync(chatkit, thread_id, card.id, act(card.widget, "Checkbox", 1, True)).get_data())
    task = task_row(app)
    assert task.completed is False and task.due_at > first_due  # moved to its next occurrence
    assert control(answer.updated_item.widget, "Checkbox", 1)["defaultChecked"] is False
    captions = [c["value"] for c in components(dumped(answer.updated_item.widget), "Caption")]
    assert f"Repeats every week on Monday · next {task.due_at.strftime('%a %b')} {task.due_at.day}" in captions


def test_a_task_changed_elsewhere_shows_its_current_state_when_the_thread_loads(app, client, chatkit):
    thread_id, _ = chatkit.create("add milk")
    card = card_of(chatkit, thread_id)
    patched = client.patch("/api/v1/tasks/1", json={"completed": True, "priority": "high"}, headers=chatkit.account.headers)
    assert patched.status_code == 200
    loaded = [item for item in chatkit.thread(thread_id).items.data if item.id == card.id][0]
    assert control(loaded.widget, "Checkbox", 1)["defaultChecked"] is True
    assert control(loaded.widget, "Select", 1)["defaultValue"] == "high"

    # the card the client still holds is stale: its tick is refused and changes nothing
    response = sync(chatkit, thread_id, card.id, act(card.widget, "Checkbox", 1, False))
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "stale_card"
    assert task_row(app).completed is True
    # a task deleted elsewhere is drawn deleted, without controls
    assert client.delete("/api/v1/tasks/1", headers=chatkit.account.headers).status_code in (200, 204)
    loaded = [item for item in chatkit.items(thread_id).data if item.id == card.id][0]
    assert "deleted" in dumps(dumped(loaded.widget)) and not components(dumped(loaded.widget), "Checkbox")
    assert sync(chatkit, thread_id, card.id, act(card.widget, "Checkbox", 1, True)).status_code == 404


def test_another_users_card_and_tasks_off_the_card_are_refused(app, auth, chatkit):
    thread_id, _ = chatkit.create("add secret plan")
    chatkit.say(thread_id, "add other plan")
    card = card_of(chatkit, thread_id, "find secret")
    assert len(components(dumped(card.widget), "ListViewItem")) == 1
    tick = act(card.widget, "Checkbox", 1, True)
    bob = chatkit.for_(auth.register())
    bob_thread, _ = bob.create("add bob's own")
    bob_card = card_of(bob, bob_thread)
    for thread, item in ((thread_id, card.id), (bob_thread, card.id)):
        response = sync(bob, thread, item, tick)
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    # alice's card names only task 1: task 2 through it is not on it
    other = {**tick, "payload": {**tick["payload"], "number": 2}}
    assert sync(chatkit, thread_id, card.id, other).status_code == 404
    # bob's card, with alice's version, cannot reach alice's task 1 either
    assert sync(bob, bob_thread, bob_card.id, tick).status_code == 409
    with app.app_context():
        assert db.session.scalar(select(func.count(Task.id)).where(Task.completed.is_(True))) == 0


@pytest.mark.parametrize(
    ("kind", "value", "code"),
    [("Checkbox", 3, "invalid_fields"), ("Select", "urgent", "invalid_fields"),
     ("DatePicker", "next tuesday", "invalid_fields"), ("DatePicker", 20310314, "invalid_fields")],
)
def test_bad_values_are_422_and_change_nothing(app, chatkit, kind, value, code):
    thread_id, _ = chatkit.create("add milk")
    card = card_of(chatkit, thread_id)
    response = sync(chatkit, thread_id, card.id, act(card.widget, kind, 1, value))
    assert response.status_code == 422 and response.get_json()["error"]["code"] == code
    task = task_row(app)
    assert (task.completed, task.priority, task.due_at) == (False, "none", None)


def test_controls_need_their_card_and_are_not_streamed(app, chatkit):
    thread_id, stream = chatkit.create("add milk")
    card = card_of(chatkit, thread_id)
    tick = act(card.widget, "Checkbox", 1, True)
    assert sync(chatkit, thread_id, None, tick).status_code == 422
    user_item = stream.done_items()[0].id
    assert sync(chatkit, thread_id, user_item, tick).get_json()["error"]["code"] == "not_a_task_card"
    no_version = {**tick, "payload": {"number": 1, "value": True}}
    assert sync(chatkit, thread_id, card.id, no_version).status_code == 422
    streamed = chatkit.send({"type": "threads.custom_action",
                             "params": {"thread_id": thread_id, "item_id": card.id, "action": tick}})
    assert streamed.status_code == 422 and streamed.get_json()["error"]["code"] == "sync_action"
    assert task_row(app).completed is False


@pytest.mark.live
def test_a_tick_over_http_while_a_reply_streams(app, paced_server):
    """Under gunicorn: the card's checkbox answers while another reply is still streaming."""
    account = register_over_http(paced_server.url)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {account.token}"
    url = paced_server.url + "/api/v1/chatkit"

    def post(body, **kwargs):
        REQUEST.validate_python(body)
        return session.post(url, data=dumps(body), headers={"Content-Type": "application/json"}, timeout=30, **kwargs)

    first = post({"type": "threads.create", "params": {"input": user_input("add milk")}})
    thread_id = [line for line in first.text.splitlines() if '"thread.created"' in line][0]
    thread_id = thread_id.split('"id":"', 1)[1].split('"', 1)[0]
    listed = post({"type": "threads.add_user_message", "params": {"thread_id": thread_id, "input": user_input("show my tasks")}})
    from tests.helpers.chatkit import EVENT, parse_sse

    events = [EVENT.validate_json(payload) for payload in parse_sse(listed.text)[0]]
    card = [e.item for e in events if e.type == "thread.item.done" and e.item.type == "widget"][0]
    tick = act(card.widget, "Checkbox", 1, True)
    with post({"type": "threads.add_user_message", "params": {"thread_id": thread_id, "input": user_input("help")}},
              stream=True) as streaming:
        lines = streaming.iter_lines(decode_unicode=True)
        assert next(lines)  # the reply has begun and is still being paced out
        ticked = post({"type": "threads.sync_custom_action",
                       "params": {"thread_id": thread_id, "item_id": card.id, "action": tick}})
        assert ticked.status_code == 200, ticked.text
        answer = SYNC_ACTION.validate_json(ticked.content)
        assert control(answer.updated_item.widget, "Checkbox", 1)["defaultChecked"] is True
        rest = "\n".join(lines)
    assert rest.count('"type":"thread.item.done"') >= 1
    assert task_row(app).completed is True


def undo_button(widget):
    return [b for b in components(dumped(widget), "Button") if b["label"] == "Undo"][0]


def undo(chatkit, thread_id, item_id):
    return {"type": "threads.custom_action",
            "params": {"thread_id": thread_id, "item_id": item_id, "action": {"type": "task.undo", "payload": {}}}}


def test_a_change_the_agent_made_comes_with_a_card_and_undo(app, chatkit):
    thread_id, stream = chatkit.create("add milk !high")
    card = [item for item in stream.done_items() if item.type == "widget"][0]
    assert WIDGET.validate_python(dumped(card.widget)).type == "ListView"
    assert control(card.widget, "Select", 1)["defaultValue"] == "high"
    button = undo_button(card.widget)
    assert "disabled" not in button and button["onClickAction"]["type"] == "task.undo"
    assert button["onClickAction"]["streaming"] is True  # a turn of the agent's own
    # the stored thread draws the same card
    assert [item.id for item in chatkit.items(thread_id).data][0] == card.id

    undone = chatkit.stream(undo(chatkit, thread_id, card.id))
    assert undone.types[:2] == ["stream_options", "thread.item.updated"]
    redraw = undone.events[1]
    assert redraw.item_id == card.id and redraw.update.type == "widget.root.updated"
    assert undo_button(redraw.update.widget)["disabled"] is True
    assert "deleted" in [c["value"] for c in components(dumped(redraw.update.widget), "Caption")]
    assert undone.text().startswith("Undone")
    # the undo's own reply shows what it put back, with nothing more to undo
    [put_back] = [item for item in undone.done_items() if item.type == "widget"]
    assert undo_button(put_back.widget)["disabled"] is True
    with app.app_context():
        assert db.session.scalar(select(func.count(Task.id))) == 0


def test_an_older_changes_undo_is_closed_and_changes_nothing(app, chatkit):
    thread_id, stream = chatkit.create("add milk")
    card = [item for item in stream.done_items() if item.type == "widget"][0]
    chatkit.say(thread_id, "hello")
    stored = [item for item in chatkit.items(thread_id).data if item.id == card.id][0]
    assert undo_button(stored.widget)["disabled"] is True
    before = message_count(app)
    late = chatkit.stream(undo(chatkit, thread_id, card.id))
    assert late.types == ["thread.item.updated", "error"]
    assert late.events[1].allow_retry is False and "no longer be undone" in late.events[1].message
    assert message_count(app) == before
    with app.app_context():
        assert db.session.scalar(select(func.count(Task.id))) == 1
    # Undo comes only from a change's card
    listed = card_of(chatkit, thread_id)
    refused = chatkit.send(undo(chatkit, thread_id, listed.id))
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "not_a_change_card"


def test_a_change_cards_controls_are_live_too(app, chatkit):
    thread_id, stream = chatkit.create("add milk")
    card = [item for item in stream.done_items() if item.type == "widget"][0]
    response = sync(chatkit, thread_id, card.id, act(card.widget, "Checkbox", 1, True))
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = SYNC_ACTION.validate_json(response.get_data())
    assert answer.updated_item.id == card.id
    assert control(answer.updated_item.widget, "Checkbox", 1)["defaultChecked"] is True
    assert task_row(app).completed is True
