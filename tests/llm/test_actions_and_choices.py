"""Buttons under the language-model backend: a question's answer and a task's action button, on
ChatKit, the chat-completions dialect and the page.

A model turn runs in a worker thread, which has no request: whatever a surface hands the turn
must be plain values (the user's id), never a request-bound proxy. Each test asks a question
first (the model is down for that turn, so the rule agent answers, and it asks which task),
then answers it or presses a button with the model back up.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from taskchat.extensions import db
from taskchat.models import Message, Task
from tests.helpers.chatkit import IGNORE_WIDGET_DEPRECATION, ChatKitClient, parse_sse
from tests.helpers.fake_openai import MODEL, Step
from tests.helpers.pages import ChoiceForms, PageUser

pytestmark = IGNORE_WIDGET_DEPRECATION

DONE = ["Marked ", "'Call the plumber' ", "as complete."]


def two_calls(app, user_id: str) -> None:
    with app.app_context():
        db.session.add_all(
            [
                Task(user_id=user_id, number=1, title="Call the bank", tags=[]),
                Task(user_id=user_id, number=2, title="Call the plumber", tags=[]),
            ]
        )
        db.session.commit()


def completed(app) -> list[tuple[int, bool]]:
    with app.app_context():
        return [(t.number, t.completed) for t in db.session.scalars(select(Task).order_by(Task.number))]


def last_reply(app) -> Message:
    with app.app_context():
        reply = db.session.scalars(
            select(Message).where(Message.role == "assistant").order_by(Message.id.desc()).limit(1)
        ).one()
        db.session.expunge(reply)
        return reply


def model_completes_the_plumber(fake) -> None:
    fake.add(Step(tool_calls=[("complete_task", '{"number": 2}')]), Step(text=DONE))


@pytest.fixture
def chatkit(client, auth):
    return ChatKitClient(client, auth.register())


def ask_on_chatkit(app, chatkit, fake) -> tuple[str, str]:
    """A thread whose newest item is the rule agent's question; ``(thread id, widget id)``."""
    two_calls(app, chatkit.account.user_id)
    fake.add(Step(status=503))  # the model is down: the rule agent answers, and asks
    thread_id, stream = chatkit.create("mark call done")
    widget = next(item for item in stream.done_items() if item.type == "widget")
    assert "Call the plumber (task 2)" in widget.model_dump_json()
    return thread_id, widget.id


def test_chatkit_choice_pick_is_answered_by_the_model(app, chatkit, fake_llm):
    thread_id, widget_id = ask_on_chatkit(app, chatkit, fake_llm)
    model_completes_the_plumber(fake_llm)
    stream = chatkit.stream(
        {
            "type": "threads.custom_action",
            "params": {
                "thread_id": thread_id,
                "item_id": widget_id,
                "action": {"type": "choice.pick", "payload": {"index": 1}},
            },
        }
    )
    assert "error" not in stream.types, stream.raw
    assert stream.types[:3] == ["thread.item.updated", "thread.item.done", "stream_options"]
    deltas = [u.delta for u in stream.updates() if u.type == "assistant_message.content_part.text_delta"]
    assert deltas == DONE
    # The picked answer went to the model as the user's message.
    assert fake_llm.requests[-2]["messages"][-1] == {"role": "user", "content": "task 2"}
    assert completed(app) == [(1, False), (2, True)]
    reply = last_reply(app)
    assert (reply.content, reply.model, reply.interrupted) == ("".join(DONE), MODEL, False)


@pytest.mark.parametrize("streaming", [True, False], ids=["custom_action", "sync_custom_action"])
def test_chatkit_task_buttons_work_with_the_model_on(app, chatkit, fake_llm, streaming):
    thread_id, _widget_id = ask_on_chatkit(app, chatkit, fake_llm)
    params = {"thread_id": thread_id, "action": {"type": "task.complete", "payload": {"number": 1}}}
    if streaming:
        stream = chatkit.stream({"type": "threads.custom_action", "params": params})
        assert "error" not in stream.types, stream.raw
        assert "Call the bank" in stream.text()
    else:
        response = chatkit.send({"type": "threads.sync_custom_action", "params": params})
        assert response.status_code == 200, response.get_data(as_text=True)
    # A button is the server's own action: it does not ask the model.
    assert len(fake_llm.requests) == 1
    assert completed(app) == [(1, True), (2, False)]
    assert "Call the bank" in last_reply(app).content


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "json"])
def test_completions_answer_to_a_question_is_answered_by_the_model(app, client, auth, fake_llm, stream):
    account = auth.register()
    two_calls(app, account.user_id)
    fake_llm.add(Step(status=503))
    asked = client.post(
        "/api/v1/chat/completions",
        json={"messages": [{"role": "user", "content": "mark call done"}]},
        headers=account.headers,
    )
    assert asked.status_code == 200
    conversation_id = asked.headers["X-Conversation-Id"]
    with app.app_context():
        question = db.session.scalars(select(Message).where(Message.role == "assistant")).one()
        reply_text = question.choices[1]["reply"]
    model_completes_the_plumber(fake_llm)
    response = client.post(
        "/api/v1/chat/completions",
        json={"messages": [{"role": "user", "content": reply_text}], "stream": stream},
        headers={**account.headers, "X-Conversation-Id": conversation_id},
    )
    assert response.status_code == 200
    if stream:
        payloads, _ = parse_sse(response.get_data(as_text=True))
        assert payloads[-1] == "[DONE]"
        chunks = [json.loads(p) for p in payloads[:-1]]
        assert all("error" not in chunk for chunk in chunks)
        assert [c["choices"][0]["delta"].get("content") for c in chunks[1:-1]] == DONE
    else:
        assert response.get_json()["choices"][0]["message"]["content"] == "".join(DONE)
    assert completed(app) == [(1, False), (2, True)]


def ask_on_page(app, fake) -> tuple[PageUser, list]:
    user = PageUser(app.test_client(), "page-choices-llm@example.com")
    with app.app_context():
        from taskchat.models import User

        user_id = db.session.scalar(select(User.id).where(User.email == user.email))
    two_calls(app, user_id)
    fake.add(Step(status=503))
    response = user.send("mark call done")
    assert response.status_code == 303
    page = user.client.get(response.location).get_data(as_text=True)
    forms = ChoiceForms(page).forms
    assert [f.fields["message"] for f in forms] == ["task 1", "task 2"]
    return user, forms


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "no-js"])
def test_page_choice_is_answered_by_the_model(app, fake_llm, htmx):
    user, forms = ask_on_page(app, fake_llm)
    model_completes_the_plumber(fake_llm)
    headers = {"HX-Request": "true"} if htmx else {}
    response = user.client.post("/messages", data=forms[1].fields, headers=headers)
    if htmx:
        assert response.mimetype == "text/event-stream"
        body = response.get_data(as_text=True)
        assert "Something went wrong" not in body and "turn-failed" not in body
    else:
        assert response.status_code == 303
    assert completed(app) == [(1, False), (2, True)]
    reply = last_reply(app)
    assert (reply.content, reply.model) == ("".join(DONE), MODEL)


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "no-js"])
def test_page_task_box_works_with_the_model_on(app, fake_llm, htmx):
    user, _forms = ask_on_page(app, fake_llm)
    headers = {"HX-Request": "true"} if htmx else {}
    response = user.client.post(
        "/tasks/1/status", data={"set": "done", "csrf_token": user.token()}, headers=headers
    )
    assert response.status_code == (204 if htmx else 303)
    assert completed(app) == [(1, True), (2, False)]
    assert len(fake_llm.requests) == 1
