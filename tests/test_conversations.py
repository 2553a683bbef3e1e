"""Conversations: newest first with a cursor, one with its messages, delete, isolation."""

import uuid

from sqlalchemy import func, select

from taskchat.extensions import db
from taskchat.models import Message, ToolCall


def test_list_newest_first_with_cursor(client, auth, chat):
    account = auth.register()
    ids = [chat(account, f"add task number {i}")["conversation_id"] for i in range(5)]
    seen, cursor = [], None
    while True:
        url = "/api/v1/conversations?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=account.headers).get_json()
        assert len(page["conversations"]) <= 2
        seen += [c["id"] for c in page["conversations"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))
    # a reply moves its conversation to the top
    chat(account, "hi", ids[0])
    top = client.get("/api/v1/conversations?limit=1", headers=account.headers).get_json()
    assert top["conversations"][0]["id"] == ids[0]


def test_show_conversation_with_messages_and_tool_calls(client, auth, chat):
    account = auth.register()
    conversation_id = chat(account, "Add a task to buy groceries")["conversation_id"]
    chat(account, "Show me all my tasks", conversation_id)
    body = client.get(f"/api/v1/conversations/{conversation_id}", headers=account.headers).get_json()
    assert body["title"] == "Add a task to buy groceries"
    assert [m["sequence_number"] for m in body["messages"]] == [1, 2, 3, 4]
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user", "assistant"]
    assert body["messages"][1]["tool_calls"][0]["tool_name"] == "add_task"
    assert body["messages"][1]["tool_calls"][0]["tool_input"] == {"title": "Buy groceries"}
    assert body["messages"][0]["tool_calls"] == []


def test_delete_conversation_removes_messages(app, client, auth, chat):
    account = auth.register()
    conversation_id = chat(account, "Add a task to buy groceries")["conversation_id"]
    assert client.delete(f"/api/v1/conversations/{conversation_id}", headers=account.headers).status_code == 200
    assert client.get(f"/api/v1/conversations/{conversation_id}", headers=account.headers).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count(Message.id))) == 0
        assert db.session.scalar(select(func.count(ToolCall.id))) == 0
    # the task itself stays
    assert client.get("/api/v1/tasks/1", headers=account.headers).status_code == 200


def test_other_users_conversations_are_404_and_never_listed(client, auth, chat):
    alice, bob = auth.register(), auth.register()
    alices = chat(alice, "add my diary")["conversation_id"]
    chat(bob, "hello")
    for method in ("get", "delete"):
        response = getattr(client, method)(f"/api/v1/conversations/{alices}", headers=bob.headers)
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "conversation_not_found"
    listed = client.get("/api/v1/conversations", headers=bob.headers).get_json()["conversations"]
    assert alices not in [c["id"] for c in listed] and len(listed) == 1
    assert client.get(f"/api/v1/conversations/{uuid.uuid4()}", headers=bob.headers).status_code == 404
    assert client.get("/api/v1/conversations/not-a-uuid", headers=bob.headers).status_code == 404
    # alice's conversation is untouched
    assert client.get(f"/api/v1/conversations/{alices}", headers=alice.headers).status_code == 200


def test_message_ids_are_never_reused(app, client, auth, chat):
    account = auth.register()
    conversation_id = chat(account, "add first")["conversation_id"]
    with app.app_context():
        highest = db.session.scalar(select(func.max(Message.id)))
    client.delete(f"/api/v1/conversations/{conversation_id}", headers=account.headers)
    chat(account, "add second")
    with app.app_context():
        assert db.session.scalar(select(func.min(Message.id))) > highest
