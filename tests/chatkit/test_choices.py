"""A question's answers as a ChatKit widget: clicking one is the user's answer, streamed back.

Every request is a real ``ChatKitReq`` and every answer is validated with the package's types.
"""

from __future__ import annotations

import warnings

import pytest
import requests
from sqlalchemy import func, select

from taskchat.extensions import db
from taskchat.models import Message, Task
from tests.helpers.chatkit import (
    EVENT,
    IGNORE_WIDGET_DEPRECATION,
    parse_sse,
    register_over_http,
    user_input,
)

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from chatkit.widgets import Card, ListView

pytestmark = IGNORE_WIDGET_DEPRECATION


def pick(thread_id: str, item_id: str | None, index) -> dict:
    params = {"thread_id": thread_id, "action": {"type": "choice.pick", "payload": {"index": index}}}
    if item_id is not None:
        params["item_id"] = item_id
    return {"type": "threads.custom_action", "params": params}


def buttons(widget) -> list[dict]:
    """The answer buttons of a choices card, as plain dicts."""
    assert isinstance(widget, Card)  # the strict type: every prop is valid for it
    row = widget.model_dump(by_alias=True, exclude_none=True)["children"][0]
    assert row["type"] == "Row" and row["wrap"] == "wrap"
    return row["children"]


def tasks(app) -> list[tuple[int, bool]]:
    with app.app_context():
        return [(t.number, t.completed) for t in db.session.scalars(select(Task).order_by(Task.number))]


def message_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Message.id)))


def ask_which_call(chatkit) -> tuple[str, object]:
    thread_id, _ = chatkit.create("add call the bank")
    chatkit.say(thread_id, "add call the plumber")
    stream = chatkit.say(thread_id, "mark call done")
    done = stream.done_items()
    assert [item.type for item in done] == ["user_message", "assistant_message", "widget"]
    assistant, widget = done[1], done[2]
    assert widget.id == assistant.id.replace("msg_", "wdg_")
    # The item says the question; the widget holds the answers, each naming its task.
    assert assistant.content[0].text == "Which one should I complete?"
    return thread_id, widget


def test_a_question_comes_with_answer_buttons_and_a_click_answers_it(app, chatkit):
    thread_id, widget = ask_which_call(chatkit)
    offered = buttons(widget.widget)
    assert [b["label"] for b in offered] == ["Call the bank (task 1)", "Call the plumber (task 2)"]
    assert [b["onClickAction"]["type"] for b in offered] == ["choice.pick", "choice.pick"]
    assert [b["onClickAction"]["payload"] for b in offered] == [{"index": 0}, {"index": 1}]
    assert not any(b.get("disabled") for b in offered)
    # Reading the thread back draws the same open question.
    stored = chatkit.thread(thread_id).items.data[-1]
    assert stored.id == widget.id and buttons(stored.widget) == offered

    before = message_count(app)
    stream = chatkit.stream(pick(thread_id, widget.id, 1))
    # First the question's buttons go disabled, then the answer is the user's message, then the reply.
    assert stream.types[:3] == ["thread.item.updated", "thread.item.done", "stream_options"]
    redraw = stream.events[0]
    assert redraw.item_id == widget.id and redraw.update.type == "widget.root.updated"
    assert all(b["disabled"] is True for b in buttons(redraw.update.widget))
    answer = stream.events[1].item
    assert answer.type == "user_message" and answer.content[0].text == "task 2"
    assert stream.text() == "Marked 'Call the plumber' (task 2) as complete."
    # the change comes with its card (Undo, live controls)
    assert [item.type for item in stream.done_items()] == ["user_message", "assistant_message", "widget"]
    assert message_count(app) == before + 2
    assert tasks(app) == [(1, False), (2, True)]

    # The stored thread shows the answered question disabled, then the answer and the reply.
    items = chatkit.items(thread_id, order="asc", limit=50).data
    at = [item.id for item in items].index(widget.id)
    assert all(b["disabled"] is True for b in buttons(items[at].widget))
    assert [item.type for item in items[at + 1:]] == ["user_message", "assistant_message", "widget"]


def test_bulk_delete_asks_and_the_buttons_keep_or_delete(app, chatkit):
    thread_id, _ = chatkit.create("add milk")
    chatkit.say(thread_id, "add eggs")
    stream = chatkit.say(thread_id, "delete all my tasks")
    widget = stream.done_items()[-1]
    assert widget.type == "widget"
    assert [b["label"] for b in buttons(widget.widget)] == ["Yes, delete them", "No, keep them"]

    kept = chatkit.stream(pick(thread_id, widget.id, 1))
    assert kept.done_items()[0].content[0].text == "no"
    assert tasks(app) == [(1, False), (2, False)]

    again = chatkit.say(thread_id, "delete all my tasks").done_items()[-1]
    chatkit.stream(pick(thread_id, again.id, 0))
    assert tasks(app) == []


def test_typing_the_answer_still_works_and_the_old_buttons_expire(app, chatkit):
    thread_id, widget = ask_which_call(chatkit)
    typed = chatkit.say(thread_id, "task 1")
    assert typed.text() == "Marked 'Call the bank' (task 1) as complete."
    # items.list draws the answered question disabled ...
    stored = [item for item in chatkit.items(thread_id, limit=50).data if item.id == widget.id][0]
    assert all(b["disabled"] is True for b in buttons(stored.widget))

    # ... and a client still showing the old buttons gets them disabled and a message; nothing is stored.
    before = message_count(app)
    stream = chatkit.stream(pick(thread_id, widget.id, 1))
    assert stream.types == ["thread.item.updated", "error"]
    assert all(b["disabled"] is True for b in buttons(stream.events[0].update.widget))
    assert "answered already" in stream.events[1].message
    assert message_count(app) == before
    assert tasks(app) == [(1, True), (2, False)]


def test_a_task_list_is_still_a_list_and_not_a_question(chatkit):
    thread_id, _ = chatkit.create("add milk")
    widget = chatkit.say(thread_id, "show my tasks").done_items()[-1]
    assert isinstance(widget.widget, ListView)
    response = chatkit.send(pick(thread_id, widget.id, 0))
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "not_a_question"


@pytest.mark.parametrize(
    ("index", "item", "code"),
    [
        (2, "widget", "invalid_fields"),  # only two answers
        (-1, "widget", "invalid_fields"),
        ("1", "widget", "invalid_fields"),
        (True, "widget", "invalid_fields"),
        (0, None, "invalid_fields"),  # which question?
        (0, "message", "not_a_question"),  # the question's text item, not its widget
    ],
)
def test_bad_picks_are_422_before_any_stream(app, chatkit, index, item, code):
    thread_id, widget = ask_which_call(chatkit)
    item_id = {"widget": widget.id, "message": widget.id.replace("wdg_", "msg_"), None: None}[item]
    before = message_count(app)
    response = chatkit.send(pick(thread_id, item_id, index))
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] == code
    assert message_count(app) == before
    assert tasks(app) == [(1, False), (2, False)]


def test_someone_elses_question_is_not_found(app, chatkit, auth):
    thread_id, widget = ask_which_call(chatkit)
    stranger = chatkit.for_(auth.register("someone-else@example.com"))
    response = stranger.send(pick(thread_id, widget.id, 0))
    assert response.status_code == 404
    assert tasks(app) == [(1, False), (2, False)]
    assert chatkit.thread(thread_id).id == thread_id


def test_a_choice_is_not_a_sync_action(app, chatkit):
    thread_id, widget = ask_which_call(chatkit)
    body = pick(thread_id, widget.id, 0)
    response = chatkit.send({**body, "type": "threads.sync_custom_action"})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "streaming_action"
    assert tasks(app) == [(1, False), (2, False)]


@pytest.mark.live
def test_a_click_over_http_through_gunicorn(app, live_server):
    account = register_over_http(live_server.url)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {account.token}"

    def events(body: dict) -> list:
        response = session.post(live_server.url + "/api/v1/chatkit", json=body, timeout=20)
        assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/event-stream")
        payloads, _comments = parse_sse(response.text)
        return [EVENT.validate_json(payload) for payload in payloads]

    created = events({"type": "threads.create", "params": {"input": user_input("delete all my tasks")}})
    thread_id = created[0].thread.id
    assert created[-1].type == "thread.updated"  # nothing to delete: it does not ask
    events({"type": "threads.add_user_message", "params": {"thread_id": thread_id, "input": user_input("add milk")}})
    asked = events(
        {"type": "threads.add_user_message", "params": {"thread_id": thread_id, "input": user_input("delete all my tasks")}}
    )
    widget = [e.item for e in asked if e.type == "thread.item.done" and e.item.type == "widget"][0]
    assert [b["label"] for b in buttons(widget.widget)] == ["Yes, delete them", "No, keep them"]

    answered = events(pick(thread_id, widget.id, 0))
    assert answered[0].type == "thread.item.updated" and answered[0].update.type == "widget.root.updated"
    said = "".join(
        e.update.delta for e in answered
        if e.type == "thread.item.updated" and e.update.type == "assistant_message.content_part.text_delta"
    )
    assert said == "Deleted 1 task."
    assert tasks(app) == []
