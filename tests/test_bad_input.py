"""Bad input gets a clear 4xx in the JSON error envelope and writes nothing."""

import pytest
from sqlalchemy import func, select

from taskchat.extensions import db
from taskchat.models import Conversation, Message, Task, ToolCall
from tests.helpers.pages import PageUser


def count_rows():
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Conversation, Message, ToolCall, Task)
    )


def assert_error(response, status, code=None):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    body = response.get_json()
    assert set(body) == {"error"}
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code:
        assert body["error"]["code"] == code


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"data": "{not json", "content_type": "application/json"}, 400, "malformed_json"),
        ({"data": "message=hi", "content_type": "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"),
        ({"data": "hi", "content_type": "text/plain"}, 415, "unsupported_media_type"),
        ({"json": ["a", "list"]}, 422, "invalid_fields"),
        ({"json": {}}, 422, "invalid_fields"),
        ({"json": {"message": 42}}, 422, "invalid_fields"),
        ({"json": {"message": None}}, 422, "invalid_fields"),
        ({"json": {"message": ""}}, 422, "invalid_fields"),
        ({"json": {"message": "   \n"}}, 422, "invalid_fields"),
        ({"json": {"message": "x" * 4001}}, 422, "invalid_fields"),
        ({"json": {"message": "hi", "conversation_id": "not-a-uuid"}}, 422, "invalid_fields"),
        ({"json": {"message": "hi", "conversation_id": 7}}, 422, "invalid_fields"),
        ({"json": {"message": "hi", "extra": True}}, 422, "invalid_fields"),
        ({"json": {"message": "add milk\u0000"}}, 422, "invalid_fields"),
    ],
)
def test_chat_rejects_bad_bodies(app, client, auth, kwargs, status, code):
    account = auth.register()
    response = client.post("/api/v1/chat", headers=account.headers, **kwargs)
    assert_error(response, status, code)
    with app.app_context():
        assert count_rows() == (0, 0, 0, 0)


def test_invalid_fields_name_the_field(client, auth):
    account = auth.register()
    response = client.post("/api/v1/chat", json={"message": 42}, headers=account.headers)
    details = response.get_json()["error"]["details"]
    assert details[0]["field"] == "message"


def test_oversized_body_is_413(app, client, auth):
    account = auth.register()
    response = client.post(
        "/api/v1/chat",
        data='{"message": "' + "x" * 300_000 + '"}',
        content_type="application/json",
        headers=account.headers,
    )
    assert_error(response, 413, "payload_too_large")
    with app.app_context():
        assert count_rows() == (0, 0, 0, 0)


def test_routing_errors_are_json(client, auth):
    account = auth.register()
    assert_error(client.get("/api/v1/nowhere", headers=account.headers), 404, "not_found")
    response = client.get("/api/v1/chat", headers=account.headers)
    assert_error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]
    assert_error(client.put("/api/v1/tasks", headers=account.headers), 405)


def test_non_api_404_is_an_html_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"title": ""},
        {"title": "   "},
        {"title": 5},
        {"title": "x" * 501},
        {"title": "ok", "priority": "urgent"},
        {"title": "ok", "due_at": "tomorrow"},
        {"title": "ok", "due_at": "2026-12-05T10:00:00"},  # no offset: ambiguous
        {"title": "ok", "tags": "work"},
        {"title": "ok", "tags": [""]},
        {"title": "ok", "completed": True},
        {"title": "nul\u0000byte"},
        {"title": "ok", "tags": ["a\u0000"]},
    ],
)
def test_task_create_rejects_bad_fields(app, client, auth, body):
    account = auth.register()
    response = client.post("/api/v1/tasks", json=body, headers=account.headers)
    assert_error(response, 422, "invalid_fields")
    with app.app_context():
        assert count_rows() == (0, 0, 0, 0)


@pytest.mark.parametrize(
    "body",
    [{"title": None}, {"title": ""}, {"priority": "top"}, {"completed": "yes"}, {"number": 9}, {"tags": None}],
)
def test_task_patch_rejects_bad_fields_and_changes_nothing(app, client, auth, body):
    account = auth.register()
    client.post("/api/v1/tasks", json={"title": "Keep me"}, headers=account.headers)
    response = client.patch("/api/v1/tasks/1", json=body, headers=account.headers)
    assert_error(response, 422, "invalid_fields")
    task = client.get("/api/v1/tasks/1", headers=account.headers).get_json()
    assert (task["title"], task["priority"], task["completed"], task["tags"]) == ("Keep me", "none", False, [])


def test_bad_query_parameters_are_422(client, auth):
    account = auth.register()
    for query in ("status=maybe", "due=someday", "priority=urgent", "colour=red"):
        assert_error(client.get(f"/api/v1/tasks?{query}", headers=account.headers), 422, "invalid_fields")
    for query in ("limit=0", "limit=1000", "limit=x", "cursor=%%%"):
        assert_error(client.get(f"/api/v1/conversations?{query}", headers=account.headers), 422, "invalid_fields")


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "no-js"])
def test_nul_in_a_page_message_is_refused_and_nothing_is_stored(app, htmx):
    """One NUL policy everywhere: refused at the edge (the JSON reader does it for the API)."""
    user = PageUser(app.test_client(), f"nul-{htmx}@example.com")
    data = {"message": "add buy\x00milk", "csrf_token": user.token()}
    response = user.client.post("/messages", data=data, headers={"HX-Request": "true"} if htmx else {})
    if htmx:
        assert response.status_code == 422 and "NUL" in response.get_data(as_text=True)
    else:
        # The page again, the reason beside the box and the text kept (without the NUL).
        html = response.get_data(as_text=True)
        assert response.status_code == 422 and "NUL" in html
        assert ">add buymilk</textarea>" in html and "\x00" not in html
    with app.app_context():
        assert count_rows() == (0, 0, 0, 0)
