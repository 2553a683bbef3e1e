"""The tasks resource: per-user numbers, filters, PATCH of any field, isolation."""

from datetime import UTC, datetime, timedelta


def create(client, account, **body):
    response = client.post("/api/v1/tasks", json=body, headers=account.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_create_and_read_back(client, auth):
    account = auth.register()
    task = create(
        client,
        account,
        title="Pay rent",
        description="before the 5th",
        priority="high",
        due_at="2026-12-05T09:00:00+01:00",
        tags=["Bills", "#home", "bills"],
    )
    assert task["number"] == 1
    assert task["due_at"] == "2026-12-05T08:00:00+00:00"
    assert task["due_has_time"] is True
    assert task["tags"] == ["bills", "home"]
    assert set(task) >= {
        "number", "title", "description", "completed", "completed_at", "priority",
        "due_at", "tags", "created_at", "updated_at",
    }
    assert client.get("/api/v1/tasks/1", headers=account.headers).get_json() == task


def test_patch_any_field_including_completed(client, auth):
    account = auth.register()
    create(client, account, title="Draft", due_at="2026-12-05T09:00:00Z")
    response = client.patch(
        "/api/v1/tasks/1",
        json={"title": "Final", "completed": True, "priority": "low", "tags": ["x"], "due_at": None},
        headers=account.headers,
    )
    assert response.status_code == 200
    task = response.get_json()
    assert (task["title"], task["completed"], task["priority"], task["tags"], task["due_at"]) == (
        "Final", True, "low", ["x"], None,
    )
    assert task["completed_at"] is not None
    reopened = client.patch("/api/v1/tasks/1", json={"completed": False}, headers=account.headers).get_json()
    assert reopened["completed"] is False and reopened["completed_at"] is None


def test_delete_and_numbers_not_reused(client, auth):
    account = auth.register()
    create(client, account, title="one")
    create(client, account, title="two")
    assert client.delete("/api/v1/tasks/2", headers=account.headers).status_code == 200
    assert client.get("/api/v1/tasks/2", headers=account.headers).status_code == 404
    assert create(client, account, title="three")["number"] == 3


def test_filters(client, auth):
    account = auth.register()
    now = datetime.now(UTC)
    create(client, account, title="Overdue bill", due_at=(now - timedelta(days=3)).isoformat(), tags=["bills"])
    create(client, account, title="Due soon", due_at=(now + timedelta(minutes=30)).isoformat(), priority="high")
    create(client, account, title="Someday milk", tags=["shopping"])
    create(client, account, title="Done thing")
    client.patch("/api/v1/tasks/4", json={"completed": True}, headers=account.headers)

    def titles(query):
        response = client.get(f"/api/v1/tasks?{query}", headers=account.headers)
        assert response.status_code == 200
        return [task["title"] for task in response.get_json()["tasks"]]

    assert len(titles("")) == 4
    assert titles("status=completed") == ["Done thing"]
    assert "Done thing" not in titles("status=pending")
    assert titles("priority=high") == ["Due soon"]
    assert titles("tag=shopping") == ["Someday milk"]
    assert titles("tag=%23bills") == ["Overdue bill"]
    assert titles("due=overdue") == ["Overdue bill"]
    assert "Overdue bill" in titles("due=today")
    assert titles("q=MILK") == ["Someday milk"]


def test_tasks_are_isolated_per_user(client, auth, chat):
    alice, bob = auth.register(), auth.register()
    create(client, alice, title="Alice's secret")
    chat(bob, "Add a task to walk the dog")
    # "task 1" is each user's own first task
    assert client.get("/api/v1/tasks/1", headers=bob.headers).get_json()["title"] == "Walk the dog"
    assert [t["title"] for t in client.get("/api/v1/tasks", headers=bob.headers).get_json()["tasks"]] == [
        "Walk the dog"
    ]
    chat(bob, "Mark task 1 as complete")
    assert client.get("/api/v1/tasks/1", headers=alice.headers).get_json()["completed"] is False
    assert client.get("/api/v1/tasks/2", headers=bob.headers).status_code == 404
    assert client.patch("/api/v1/tasks/2", json={"title": "x"}, headers=bob.headers).status_code == 404
    assert client.delete("/api/v1/tasks/5", headers=bob.headers).status_code == 404
    searched = chat(bob, "find tasks about secret")
    assert "Alice" not in searched["response"]
