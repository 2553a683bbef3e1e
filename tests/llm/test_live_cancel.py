"""Against gunicorn on loopback pointed at the fake model: ChatKit's Cancel on a model turn,
and text that reaches the client while the model is still writing."""

from __future__ import annotations

import json

import pytest
import requests
from sqlalchemy import select

from taskchat.extensions import db
from taskchat.models import Message, Task
from tests.helpers.chatkit import (
    EVENT,
    IGNORE_WIDGET_DEPRECATION,
    register_over_http,
    user_input,
    wait_for,
)
from tests.helpers.fake_openai import MODEL, Step

pytestmark = [pytest.mark.live, IGNORE_WIDGET_DEPRECATION]

PIECES = [f"piece{i} " for i in range(30)]


@pytest.fixture(autouse=True)
def fresh_fake(model_server):
    model_server[1].reset()


def open_stream(url, account, text):
    body = {"type": "threads.create", "params": {"input": user_input(text)}}
    response = requests.post(url + "/api/v1/chatkit", json=body, headers=account.headers, stream=True, timeout=30)
    assert response.status_code == 200
    return response


def events_of(response):
    for line in response.iter_lines(decode_unicode=True):
        if line.startswith("data: "):
            yield EVENT.validate_json(line[len("data: "):])


def stored_reply(app):
    """The assistant message once it has text (the turn stores it in its worker), else None."""
    with app.app_context():
        db.session.remove()
        reply = db.session.scalar(select(Message).where(Message.role == "assistant"))
        return reply if reply is not None and reply.content else None


def test_cancel_stops_the_model_and_keeps_the_partial_reply_and_tool_calls(app, model_server):
    server, fake = model_server
    account = register_over_http(server.url)
    fake.add(Step(tool_calls=[("add_task", json.dumps({"title": "Pack bags"}))]), Step(text=PIECES, pause=0.1))
    response = open_stream(server.url, account, "add pack bags and tell me a story")
    received = []
    for event in events_of(response):
        received.append(event)
        deltas = [e for e in received if getattr(getattr(e, "update", None), "type", "") ==
                  "assistant_message.content_part.text_delta"]
        if len(deltas) == 3:
            break
    response.close()  # what ChatKit's Stop button does: the fetch is aborted
    assert next(e for e in received if e.type == "stream_options").stream_options.allow_cancel is True
    assert fake.hung_up.wait(10), "the model kept streaming after the cancel"

    reply = wait_for(lambda: stored_reply(app), timeout=15)
    with app.app_context():
        reply = db.session.merge(reply)
        said = "".join(PIECES[:3])
        assert reply.content.startswith(said) and len(reply.content) < len("".join(PIECES))
        assert reply.interrupted is True and reply.model == MODEL
        assert [(c.tool_name, c.status) for c in reply.tool_calls] == [("add_task", "success")]
        assert db.session.scalar(select(Task.title)) == "Pack bags"
    assert len(fake.sent_frames) < len(Step(tool_calls=[("add_task", "{}")]).chunks()) + len(PIECES) + 3


def test_chatkit_text_arrives_while_the_model_is_still_writing(app, model_server):
    server, fake = model_server
    account = register_over_http(server.url)
    fake.add(Step(text=PIECES[:10], pause=0.2))
    response = open_stream(server.url, account, "tell me something")
    total = len(Step(text=PIECES[:10]).chunks())
    events = events_of(response)
    for event in events:
        if getattr(getattr(event, "update", None), "type", "") == "assistant_message.content_part.text_delta":
            assert event.update.delta == PIECES[0]
            assert len(fake.sent_frames) < total / 2
            break
    else:
        raise AssertionError("no text delta")
    rest = list(events)
    assert rest[-2].type == "thread.item.done" and rest[-2].item.content[0].text == "".join(PIECES[:10])


def test_a_completions_client_that_hangs_up_stops_the_model_too(app, model_server):
    server, fake = model_server
    account = register_over_http(server.url)
    fake.add(Step(text=PIECES, pause=0.1))
    response = requests.post(
        server.url + "/api/v1/chat/completions",
        json={"messages": [{"role": "user", "content": "tell me a story"}], "stream": True},
        headers=account.headers, stream=True, timeout=30,
    )
    assert response.status_code == 200
    pieces = []
    for line in response.iter_lines(decode_unicode=True):
        if line.startswith("data: {"):
            content = json.loads(line[len("data: "):])["choices"][0]["delta"].get("content")
            if content:
                pieces.append(content)
        if len(pieces) == 3:
            break
    response.close()
    assert fake.hung_up.wait(10), "the model kept streaming after the client hung up"

    reply = wait_for(lambda: stored_reply(app), timeout=15)
    assert reply.content.startswith("".join(PIECES[:3])) and len(reply.content) < len("".join(PIECES))
    assert reply.interrupted is True
