"""The task service under every surface: one set of defaults, typed results, the same rules
whether REST, a model's tool call or the page asks."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from taskchat import tasks
from taskchat.agent.tools import ToolContext, call_tool
from taskchat.extensions import db
from taskchat.models import Task, User
from taskchat.transactions import writing

DUE = "2026-12-05T09:00:00+01:00"


def stored_has_time(app, user_id: str, number: int) -> bool:
    with app.app_context():
        return db.session.scalar(select(Task.due_has_time).where(Task.user_id == user_id, Task.number == number))


@pytest.mark.parametrize(
    ("body", "has_time"),
    [({"due_at": DUE}, True), ({"due_at": DUE, "due_has_time": False}, False), ({}, False)],
    ids=["due-given", "date-only", "undated"],
)
def test_rest_and_a_model_tool_call_store_the_same_defaults(app, client, auth, body, has_time):
    account = auth.register()
    response = client.post("/api/v1/tasks", json={"title": "Pay rent", **body}, headers=account.headers)
    assert response.status_code == 201
    assert response.get_json()["due_has_time"] is has_time
    with app.app_context(), writing():
        user = db.session.get(User, account.user_id)
        output = call_tool(ToolContext(user=user), "add_task", {"title": "Pay rent", **body})
    assert output["due_has_time"] is has_time
    assert stored_has_time(app, account.user_id, 1) is stored_has_time(app, account.user_id, 2) is has_time


def test_moving_a_due_date_keeps_the_same_rule_on_rest_and_tools(app, client, auth):
    account = auth.register()
    client.post("/api/v1/tasks", json={"title": "A", "due_at": DUE, "due_has_time": False}, headers=account.headers)
    client.post("/api/v1/tasks", json={"title": "B", "due_at": DUE, "due_has_time": False}, headers=account.headers)
    patched = client.patch("/api/v1/tasks/1", json={"due_at": DUE}, headers=account.headers)
    assert patched.status_code == 200 and patched.get_json()["due_has_time"] is True
    with app.app_context(), writing():
        user = db.session.get(User, account.user_id)
        output = call_tool(ToolContext(user=user), "update_task", {"number": 2, "due_at": DUE})
    assert output["due_has_time"] is True and output["changed"] == ["due_has_time"]
    # Clearing the due date clears its time too.
    cleared = client.patch("/api/v1/tasks/1", json={"due_at": None}, headers=account.headers).get_json()
    assert cleared["due_at"] is None and cleared["due_has_time"] is False


def test_the_rest_answer_is_the_task_and_nothing_else(client, auth):
    account = auth.register()
    created = client.post("/api/v1/tasks", json={"title": "Draft"}, headers=account.headers).get_json()
    patched = client.patch("/api/v1/tasks/1", json={"title": "Final"}, headers=account.headers).get_json()
    assert set(patched) == set(created)  # no "changed" or "already" leaking from the service


def test_typed_results(app, auth):
    account = auth.register()
    with app.app_context(), writing():
        user = db.session.get(User, account.user_id)
        added = tasks.add(user, "  Buy   milk ", tags=["#Home", "home"])
        assert isinstance(added, Task) and (added.number, added.title, added.tags) == (1, "Buy milk", ["home"])
        done = tasks.set_completed(user, 1)
        assert isinstance(done, tasks.Completion) and done.already is False and done.task.completed
        assert tasks.set_completed(user, 1).already is True
        change = tasks.update(user, 1, title="Buy oat milk", priority="high")
        assert isinstance(change, tasks.Change) and change.changed == ("priority", "title")
        assert [task.number for task in tasks.find(user, status="completed")] == [1]
        removed = tasks.delete(user, 1)
        assert removed.task.title == "Buy oat milk" and removed.reminders == []
        with pytest.raises(tasks.TaskNotFound, match="There is no task 1."):
            tasks.get(user, 1)


def test_another_users_task_is_not_found(app, auth):
    mine, theirs = auth.register(), auth.register()
    with app.app_context(), writing():
        tasks.add(db.session.get(User, theirs.user_id), "Their task")
    with app.app_context():
        me = db.session.get(User, mine.user_id)
        with pytest.raises(tasks.TaskNotFound):
            tasks.get(me, 1)
        assert tasks.find(me) == []


@pytest.mark.parametrize("title", ["", "   ", "x" * (tasks.MAX_TITLE + 1)])
def test_bad_titles_are_refused(app, auth, title):
    account = auth.register()
    with app.app_context(), writing(), pytest.raises(tasks.TaskError):
        tasks.add(db.session.get(User, account.user_id), title)
