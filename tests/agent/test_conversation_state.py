"""A question the agent asks is stored on the conversation, so the answer works on any worker."""

from __future__ import annotations

from sqlalchemy import select

from taskchat import create_app
from taskchat.agent.persistence import state_of
from taskchat.extensions import db
from taskchat.models import Task


def test_clarification_is_answered_through_another_worker(app, client, auth, chat, database_url):
    account = auth.register()
    conversation_id = chat(account, "add buy milk")["conversation_id"]
    chat(account, "add buy oat milk", conversation_id)
    question = chat(account, "check off milk", conversation_id)
    assert question["metadata"]["intent"] == "CLARIFY"
    assert "1. Buy milk (task 1)" in question["response"] and "2. Buy oat milk (task 2)" in question["response"]
    with app.app_context():
        state = state_of(account.user_id, conversation_id).stored()
        assert state["pending"]["intent"] == "COMPLETE" and state["pending"]["candidates"] == [1, 2]

    # A second app object has its own engine and connection pool: nothing is shared in memory.
    other = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": database_url})
    response = other.test_client().post(
        "/api/v1/chat",
        json={"message": "the second one", "conversation_id": conversation_id},
        headers=account.headers,
    )
    assert response.status_code == 200
    assert response.get_json()["metadata"]["intent"] == "COMPLETE"
    with other.app_context():
        done = db.session.scalars(select(Task.number).where(Task.completed.is_(True))).all()
        assert done == [2]
        assert "pending" not in state_of(account.user_id, conversation_id).stored()
        db.engine.dispose()


def test_bulk_delete_waits_for_yes_in_the_same_conversation_only(app, auth, chat):
    account = auth.register()
    first = chat(account, "add tasks: a, b")["conversation_id"]
    assert chat(account, "delete everything", first)["metadata"]["intent"] == "CLARIFY"
    # "yes" in another conversation confirms nothing
    elsewhere = chat(account, "yes")
    assert elsewhere["metadata"]["intent"] == "UNKNOWN"
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Task.id))) == 2
    confirmed = chat(account, "yes", first)
    assert confirmed["metadata"]["intent"] == "DELETE"
    assert [call["tool_name"] for call in confirmed["metadata"]["tool_calls"]] == ["delete_task", "delete_task"]
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Task.id))) == 0


def test_another_users_task_is_not_found_by_number_or_title(app, auth, chat):
    alice, bob = auth.register(), auth.register()
    chat(alice, "add alice's secret plan")
    by_number = chat(bob, "complete task 1")
    assert by_number["metadata"]["tool_calls"][0]["error_message"] == "There is no task 1."
    by_title = chat(bob, "delete the secret plan")
    assert by_title["metadata"]["tool_calls"] == []
    assert "couldn't find" in by_title["response"]
    with app.app_context():
        task = db.session.scalars(select(Task)).one()
        assert (task.title, task.completed) == ("Alice's secret plan", False)
