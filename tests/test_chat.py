"""The JSON chat API end to end: reply shape and the rows each turn leaves behind."""

import uuid

from sqlalchemy import select

from taskchat.extensions import db
from taskchat.models import Conversation, Message, Task, ToolCall, User
from taskchat.transactions import writing

SEED_PROMPTS = [
    ("Add a task to buy groceries", "CREATE", "add_task"),
    ("Show me all my tasks", "LIST", "list_tasks"),
    ("Mark task 1 as complete", "COMPLETE", "complete_task"),
    ("Update task 2 title to 'Buy organic milk'", "UPDATE", "update_task"),
]


def tasks_of(user_id):
    return list(db.session.scalars(select(Task).where(Task.user_id == user_id).order_by(Task.number)))


def test_seed_prompts_end_to_end(app, auth, chat):
    account = auth.register()
    first = chat(account, "Add a task to buy groceries")
    conversation_id = first["conversation_id"]
    chat(account, "Add a task to call the bank", conversation_id)

    replies = [first]
    for message, _intent, _tool in SEED_PROMPTS[1:]:
        replies.append(chat(account, message, conversation_id))

    for reply, (_message, intent, tool) in zip(replies, SEED_PROMPTS, strict=True):
        assert set(reply) == {"response", "conversation_id", "metadata"}
        assert reply["conversation_id"] == conversation_id
        assert reply["metadata"]["intent"] == intent
        assert reply["metadata"]["tool_called"] == tool
        assert isinstance(reply["metadata"]["execution_time_ms"], int)
        assert reply["metadata"]["tool_calls"][0]["status"] == "success"
    assert "Buy groceries" in replies[0]["response"]
    assert "Buy groceries" in replies[1]["response"] and "Call the bank" in replies[1]["response"]

    with app.app_context():
        tasks = tasks_of(account.user_id)
        assert [(t.number, t.title, t.completed) for t in tasks] == [
            (1, "Buy groceries", True),
            (2, "Buy organic milk", False),
        ]
        assert tasks[0].completed_at is not None
        conversation = db.session.get(Conversation, uuid.UUID(conversation_id))
        assert conversation.title == "Add a task to buy groceries"
        messages = list(
            db.session.scalars(
                select(Message).where(Message.conversation_id == conversation.id).order_by(Message.sequence_number)
            )
        )
        assert [m.sequence_number for m in messages] == list(range(1, 11))
        assert [m.role for m in messages] == ["user", "assistant"] * 5
        assert messages[0].content == "Add a task to buy groceries"
        calls = list(db.session.scalars(select(ToolCall).order_by(ToolCall.id)))
        assert [c.tool_name for c in calls] == ["add_task", "add_task", "list_tasks", "complete_task", "update_task"]
        assert calls[0].tool_input == {"title": "Buy groceries"}
        assert calls[3].tool_input == {"number": 1}
        assert calls[4].tool_input == {"number": 2, "title": "Buy organic milk"}
        assert calls[4].tool_output["title"] == "Buy organic milk"
        assert all(c.message.role == "assistant" for c in calls)
        assert all(c.completed_at >= c.created_at for c in calls)


def test_update_keeps_quoted_case_and_drops_quotes(app, auth, chat):
    account = auth.register()
    chat(account, "add milk")
    chat(account, "add eggs")
    reply = chat(account, "Update task 2 title to 'Buy organic milk'")
    assert "Buy organic milk" in reply["response"]
    with app.app_context():
        assert tasks_of(account.user_id)[1].title == "Buy organic milk"


def test_delete_task_three(app, auth, chat):
    account = auth.register()
    for title in ("one", "two", "three"):
        chat(account, f"add {title}")
    reply = chat(account, "delete task 3")
    assert reply["metadata"]["intent"] == "DELETE"
    with app.app_context():
        assert [t.number for t in tasks_of(account.user_id)] == [1, 2]
    # numbers are never reused
    chat(account, "add four")
    with app.app_context():
        assert [t.number for t in tasks_of(account.user_id)] == [1, 2, 4]


def test_greeting_is_a_word_not_a_substring(auth, chat):
    account = auth.register()
    assert chat(account, "hi")["metadata"]["intent"] == "GREETING"
    assert chat(account, "Hello there")["metadata"]["intent"] == "GREETING"
    assert chat(account, "ship the parcel")["metadata"]["intent"] != "GREETING"
    assert chat(account, "help")["metadata"]["intent"] == "HELP"
    unknown = chat(account, "the weather is nice")
    assert unknown["metadata"]["intent"] == "UNKNOWN"
    assert "help" in unknown["response"].lower()


def test_second_turn_continues_the_conversation(app, auth, chat):
    account = auth.register()
    first = chat(account, "add buy bread")
    second = chat(account, "Show me all my tasks", first["conversation_id"])
    assert second["conversation_id"] == first["conversation_id"]
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Conversation.id))) == 1


def test_unknown_or_foreign_conversation_is_404(app, client, auth, chat):
    alice, bob = auth.register(), auth.register()
    alices = chat(alice, "add secret plan")["conversation_id"]
    for conversation_id in (str(uuid.uuid4()), alices):
        response = client.post(
            "/api/v1/chat", json={"message": "hi", "conversation_id": conversation_id}, headers=bob.headers
        )
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "conversation_not_found"
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Message.id))) == 2


def test_failing_tool_is_recorded_as_error(app, auth, chat):
    account = auth.register()
    reply = chat(account, "Mark task 42 as complete")
    call = reply["metadata"]["tool_calls"][0]
    assert call["status"] == "error"
    assert call["error_message"] == "There is no task 42."
    assert "no task 42" in reply["response"]
    with app.app_context():
        stored = db.session.scalars(select(ToolCall)).one()
        assert (stored.status, stored.error_message, stored.tool_input) == ("error", "There is no task 42.", {"number": 42})


def test_a_question_offers_choices_and_a_choice_is_an_answer(app, auth, chat, client):
    account = auth.register()
    first = chat(account, "add call the bank")
    conversation_id = first["conversation_id"]
    chat(account, "add call the plumber", conversation_id)
    assert first["metadata"]["choices"] == []

    asked = chat(account, "mark call done", conversation_id)
    assert asked["metadata"]["intent"] == "CLARIFY"
    choices = asked["metadata"]["choices"]
    assert [c["reply"] for c in choices] == ["task 1", "task 2"]
    assert "Call the plumber" in choices[1]["label"]

    picked = chat(account, choices[1]["reply"], conversation_id)
    assert picked["metadata"]["intent"] == "COMPLETE"
    assert picked["metadata"]["choices"] == []
    with app.app_context():
        assert [(t.number, t.completed) for t in tasks_of(account.user_id)] == [(1, False), (2, True)]

    bulk = chat(account, "delete all my tasks", conversation_id)
    assert [c["reply"] for c in bulk["metadata"]["choices"]] == ["yes", "no"]
    kept = chat(account, bulk["metadata"]["choices"][1]["reply"], conversation_id)
    assert kept["metadata"]["choices"] == []
    with app.app_context():
        assert len(tasks_of(account.user_id)) == 2

    # The history keeps what was offered, for surfaces that draw the question later.
    detail = client.get(f"/api/v1/conversations/{conversation_id}", headers=account.headers).get_json()
    offered = [m["choices"] for m in detail["messages"] if m["role"] == "assistant"]
    assert offered[2] == choices and offered[3] == []


def test_a_first_tool_that_fails_after_writing_leaves_nothing_behind(app, auth, chat):
    """The turn's first tool call runs without a SAVEPOINT: when it fails half-way, the
    whole write transaction is rolled back and begun again, and the reply is still stored."""
    account = auth.register()
    chat(account, "add water the plants")
    # The user's task counter falls behind their tasks (as after a bad restore by hand):
    # add_task bumps the counter, then its INSERT collides with task 1.
    with app.app_context(), writing():
        db.session.get(User, account.user_id).last_task_number = 0
    reply = chat(account, "add buy stamps")
    call = reply["metadata"]["tool_calls"][0]
    assert call["tool_name"] == "add_task" and call["status"] == "error"
    with app.app_context():
        assert db.session.get(User, account.user_id).last_task_number == 0  # the bump was undone
        assert [task.title for task in tasks_of(account.user_id)] == ["Water the plants"]
        stored = db.session.scalars(
            select(Message.content).where(Message.conversation_id == uuid.UUID(reply["conversation_id"]),
                                          Message.role == "assistant").order_by(Message.sequence_number)
        ).all()
        assert stored[-1] == reply["response"]
        tool_rows = db.session.scalars(select(ToolCall.status).order_by(ToolCall.id)).all()
        assert tool_rows[-1] == "error"
