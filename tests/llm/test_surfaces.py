"""A model turn on every surface: the ChatKit stream, chat-completion chunks and the htmx page.

The text each surface sends is the model's own deltas, in order, one piece per delta.
"""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from taskchat.extensions import db
from taskchat.models import Message, Task
from tests.helpers.chatkit import IGNORE_WIDGET_DEPRECATION, ChatKitClient, parse_sse
from tests.helpers.fake_openai import MODEL, Step
from tests.helpers.pages import PageUser

pytestmark = IGNORE_WIDGET_DEPRECATION


@pytest.fixture
def chatkit(client, auth):
    return ChatKitClient(client, auth.register())

DELTAS = ["Added ", "'Buy ", "milk' ", "(task 1)."]


def script(fake):
    fake.add(Step(tool_calls=[("add_task", '{"title": "Buy milk"}')]), Step(text=DELTAS))


def test_chatkit_stream_of_a_model_turn(app, chatkit, fake_llm):
    script(fake_llm)
    thread_id, stream = chatkit.create("add buy milk")
    options = next(event for event in stream.events if event.type == "stream_options")
    assert options.stream_options.allow_cancel is True
    progress = [event for event in stream.events if event.type == "progress_update"]
    assert [event.text for event in progress] == ["Working: add_task…"]
    deltas = [u.delta for u in stream.updates() if u.type == "assistant_message.content_part.text_delta"]
    assert deltas == DELTAS
    # the progress update comes before the reply's text
    types = stream.types
    assert types.index("progress_update") < types.index("thread.item.added")
    with app.app_context():
        reply = db.session.scalars(select(Message).where(Message.role == "assistant")).one()
        assert (reply.content, reply.model, reply.interrupted) == ("".join(DELTAS), MODEL, False)
        assert [(c.tool_name, c.status) for c in reply.tool_calls] == [("add_task", "success")]


def test_chatkit_rule_turns_keep_cancel_off(chatkit):
    _thread, stream = chatkit.create("add buy milk")
    options = next(event for event in stream.events if event.type == "stream_options")
    assert options.stream_options.allow_cancel is False


def test_chat_completion_chunks_of_a_model_turn(app, client, auth, fake_llm):
    script(fake_llm)
    account = auth.register()
    response = client.post(
        "/api/v1/chat/completions",
        json={"messages": [{"role": "user", "content": "add buy milk"}], "stream": True},
        headers=account.headers,
    )
    payloads, _ = parse_sse(response.get_data(as_text=True))
    chunks = [json.loads(p) for p in payloads[:-1]]
    words = [c["choices"][0]["delta"].get("content") for c in chunks[1:-1]]
    assert words == DELTAS
    with app.app_context():
        assert db.session.scalar(select(Task.title)) == "Buy milk"


def test_page_streams_the_model_deltas(app, fake_llm):
    script(fake_llm)
    user = PageUser(app.test_client(), "page-llm@example.com")
    response = user.send("add buy milk", htmx=True)
    body = response.get_data(as_text=True)
    frames = [chunk for chunk in body.split("\n\n") if chunk.strip()]
    data = ["\n".join(line[6:] for line in f.splitlines() if line.startswith("data: ")) for f in frames]
    words = [re.sub(r"<[^>]+>", "", d) for d in data if 'hx-swap="beforeend"' in d]
    assert words == ["Added ", "&#39;Buy ", "milk&#39; ", "(task 1)."]
    assert any("Working: add_task…" in d and "hx-swap=\"beforebegin\"" in d for d in data)
    assert frames[-1].startswith("event: tasks-changed")
    with app.app_context():
        reply = db.session.scalars(select(Message).where(Message.role == "assistant")).one()
        assert reply.model == MODEL and reply.content == "".join(DELTAS)


def test_page_sends_each_piece_while_the_model_is_still_writing(app, fake_llm):
    pieces = [f"word{i} " for i in range(8)]
    fake_llm.add(Step(text=pieces, pause=0.1))
    user = PageUser(app.test_client(), "live-page@example.com")
    response = user.client.post(
        "/messages",
        data={"message": "tell me something", "csrf_token": user.token()},
        headers={"HX-Request": "true"},
        buffered=False,
    )
    total = len(Step(text=pieces).chunks())
    sent_when_first_arrived = None
    for chunk in response.response:
        text = chunk.decode() if isinstance(chunk, bytes) else chunk
        if "word0" in text:
            sent_when_first_arrived = len(fake_llm.sent_frames)
            break
    response.close()
    assert sent_when_first_arrived is not None and sent_when_first_arrived < total / 2


def test_a_listing_model_turn_shows_the_task_list_widget(app, chatkit, fake_llm):
    with app.app_context():
        db.session.add(Task(user_id=chatkit.account.user_id, number=1, title="Feed the cat", tags=[]))
        db.session.commit()
    fake_llm.add(Step(tool_calls=[("list_tasks", '{"status": "pending"}')]), Step(text=["You have one task."]))
    _thread, stream = chatkit.create("what's on my list?")
    widgets = [item for item in stream.done_items() if item.type == "widget"]
    assert len(widgets) == 1 and "Feed the cat" in widgets[0].model_dump_json()


def test_a_streamed_model_turn_logs_with_its_request_id(app, client, auth, fake_llm, caplog):
    """The turn runs in a worker thread; its log lines still say which request they belong to."""
    fake_llm.add(Step(status=503))
    account = auth.register()
    response = client.post(
        "/api/v1/chat/completions",
        json={"messages": [{"role": "user", "content": "add buy milk"}], "stream": True},
        headers={**account.headers, "X-Request-ID": "stream-7"},
    )
    assert response.headers["X-Request-ID"] == "stream-7"
    response.get_data()  # read to the end: the turn (and its log line) is done
    records = [r for r in caplog.records if r.getMessage().startswith("language model failed")]
    assert [r.request_id for r in records] == ["stream-7"]
