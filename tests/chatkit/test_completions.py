"""The seed's format (``"messages"``) at /api/v1/chatkit and /api/v1/chat/completions."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import func, select

from taskchat import public_ids
from taskchat.extensions import db
from taskchat.models import Conversation, Message
from tests.helpers.chatkit import parse_sse

PATHS = ["/api/v1/chatkit", "/api/v1/chat/completions"]


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


@pytest.mark.parametrize("path", PATHS)
def test_non_streaming_answer_is_the_seed_shape(app, client, auth, path):
    account = auth.register()
    body = {"messages": [{"role": "user", "content": "Add a task to buy groceries"}], "stream": False}
    response = client.post(path, json=body, headers=account.headers)
    assert response.status_code == 200
    data = response.get_json()
    assert set(data) == {"id", "object", "created", "model", "choices"}
    assert data["object"] == "chat.completion" and data["model"] == "task-assistant"
    assert isinstance(data["created"], int)
    assert data["choices"] == [
        {"index": 0, "message": {"role": "assistant", "content": "Added 'Buy groceries' (task 1)."},
         "finish_reason": "stop"}
    ]
    conversation_id = response.headers["X-Conversation-Id"]
    with app.app_context():
        conversation = db.session.get(Conversation, uuid.UUID(conversation_id))
        assert conversation.user_id == account.user_id
        messages = list(db.session.scalars(select(Message).order_by(Message.sequence_number)))
        assert [m.role for m in messages] == ["user", "assistant"]
        assert data["id"] == f"chatcmpl-{public_ids.opaque(messages[1].id)}"


def test_conversation_header_continues_and_last_user_message_is_the_turn(app, client, auth):
    account = auth.register()
    first = client.post("/api/v1/chatkit", json={"messages": [{"role": "user", "content": "add milk"}]},
                        headers=account.headers)
    conversation_id = first.headers["X-Conversation-Id"]
    history = [
        {"role": "system", "content": "You are helpful."},
        {"role": "user", "content": "add milk"},
        {"role": "assistant", "content": "Added 'Milk' (task 1)."},
        {"role": "user", "content": [{"type": "text", "text": "mark it done"}]},
    ]
    second = client.post("/api/v1/chatkit", json={"messages": history, "stream": False},
                         headers={**account.headers, "X-Conversation-Id": conversation_id})
    assert second.status_code == 200
    assert second.headers["X-Conversation-Id"] == conversation_id
    assert second.get_json()["choices"][0]["message"]["content"] == "Marked 'Milk' (task 1) as complete."
    with app.app_context():
        assert count(Conversation) == 1 and count(Message) == 4


@pytest.mark.parametrize("path", PATHS)
def test_streaming_answer_is_chunks_then_done(app, client, auth, path):
    account = auth.register()
    for title in ("milk", "eggs", "bread"):
        client.post(path, json={"messages": [{"role": "user", "content": f"add {title}"}]}, headers=account.headers)
    response = client.post(path, json={"messages": [{"role": "user", "content": "show my tasks"}], "stream": True},
                           headers=account.headers)
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["X-Accel-Buffering"] == "no"
    conversation_id = response.headers["X-Conversation-Id"]
    payloads, _comments = parse_sse(response.get_data(as_text=True))
    assert payloads[-1] == "[DONE]"
    chunks = [json.loads(p) for p in payloads[:-1]]
    assert all(c["object"] == "chat.completion.chunk" and c["model"] == "task-assistant" for c in chunks)
    assert len({c["id"] for c in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert chunks[-1]["choices"][0] == {"index": 0, "delta": {}, "finish_reason": "stop"}
    words = [c["choices"][0]["delta"]["content"] for c in chunks[1:-1]]
    assert len(words) > 5
    with app.app_context():
        stored = db.session.scalar(
            select(Message).where(Message.conversation_id == uuid.UUID(conversation_id), Message.role == "assistant")
        )
        assert "".join(words) == stored.content
        assert "[ ] 3. Bread" in stored.content


BAD_BODIES = [
    ({"messages": []}, 422),
    ({"messages": "add milk"}, 422),
    ({"messages": [{"role": "assistant", "content": "hi"}]}, 422),
    ({"messages": [{"role": "user", "content": "   "}]}, 422),
    ({"messages": [{"role": "user", "content": 42}]}, 422),
    ({"messages": [{"role": "wizard", "content": "hi"}]}, 422),
    ({"messages": [{"role": "user", "content": "hi"}], "stream": "yes"}, 422),
    ({"messages": [{"role": "user", "content": "x" * 4001}]}, 422),
    ({"messages": [{"role": "user", "content": "hi"}], "type": "threads.list"}, 422),
]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(("body", "status"), BAD_BODIES)
def test_bad_bodies_are_4xx_and_store_nothing(app, client, auth, path, body, status):
    account = auth.register()
    response = client.post(path, json=body, headers=account.headers)
    if path.endswith("completions") and "type" in body:
        status = 200  # the completions path only speaks one dialect and ignores unknown fields
    assert response.status_code == status, response.get_json()
    if status != 200:
        assert set(response.get_json()["error"]) >= {"code", "message"}
        with app.app_context():
            assert count(Message) == 0 and count(Conversation) == 0


@pytest.mark.parametrize("stream", [False, True])
def test_unknown_or_foreign_conversation_header_is_404(app, client, auth, stream):
    alice, bob = auth.register(), auth.register()
    alices = client.post("/api/v1/chatkit", json={"messages": [{"role": "user", "content": "add secret"}]},
                         headers=alice.headers).headers["X-Conversation-Id"]
    for conversation_id, status in ((alices, 404), (str(uuid.uuid4()), 404), ("not-a-uuid", 422)):
        response = client.post(
            "/api/v1/chat/completions",
            json={"messages": [{"role": "user", "content": "hi"}], "stream": stream},
            headers={**bob.headers, "X-Conversation-Id": conversation_id},
        )
        assert response.status_code == status
        assert response.mimetype == "application/json"
    with app.app_context():
        assert count(Message) == 2


def test_models_lists_task_assistant(client, auth):
    response = client.get("/api/v1/models", headers=auth.register().headers)
    assert response.get_json()["data"][0]["id"] == "task-assistant"
