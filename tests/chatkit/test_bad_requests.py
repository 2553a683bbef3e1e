"""Bad ChatKit bodies and credentials: a JSON 4xx before any stream, and no rows written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from taskchat.extensions import db
from taskchat.models import Conversation, Message
from tests.helpers.chatkit import URL, user_input


def assert_nothing_stored(app) -> None:
    with app.app_context():
        assert db.session.scalar(select(func.count(Message.id))) == 0
        assert db.session.scalar(select(func.count(Conversation.id))) == 0


def assert_error(response, status: int, code: str | None = None) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert isinstance(error["message"], str) and error["message"]
    if code:
        assert error["code"] == code


BAD = [
    ({"type": "threads.explode", "params": {}}, 422, "unknown_type"),
    ({"type": 7, "params": {}}, 422, "unknown_type"),
    ({"type": "threads.create"}, 422, "invalid_fields"),
    ({"type": "threads.create", "params": None}, 422, "invalid_fields"),
    ({"type": "threads.create", "params": {"input": "add milk"}}, 422, "invalid_fields"),
    ({"type": "threads.create", "params": {"input": {"content": [{"type": "input_text", "text": 5}],
                                                     "attachments": [], "inference_options": {}}}},
     422, "invalid_fields"),
    ({"type": "threads.create", "params": {"input": user_input("   ")}}, 422, "invalid_fields"),
    ({"type": "threads.create", "params": {"input": user_input("x" * 4001)}}, 422, "invalid_fields"),
    ({"type": "threads.list", "params": {"limit": "many"}}, 422, "invalid_fields"),
    ({"type": "threads.list", "params": {"order": "sideways"}}, 422, "invalid_fields"),
    ({"type": "items.list", "params": {"thread_id": ["thr_1"]}}, 422, "invalid_fields"),
    ({"type": "threads.list", "params": {}, "messages": []}, 422, "invalid_fields"),
    ({"params": {}}, 422, "invalid_fields"),
    ({"type": "attachments.create", "params": {"name": "a.png", "size": 1, "mime_type": "image/png"}},
     400, "not_supported"),
    ({"type": "attachments.delete", "params": {"attachment_id": "atc_1"}}, 400, "not_supported"),
    ({"type": "input.transcribe", "params": {"audio_base64": "AAAA", "mime_type": "audio/webm"}},
     400, "not_supported"),
    ({"type": "threads.create", "params": {"input": {**user_input("hi"), "attachments": ["atc_1"]}}},
     400, "not_supported"),
]


@pytest.mark.parametrize(("body", "status", "code"), BAD, ids=[f"{i}-{b.get('type')}" for i, (b, _s, _c) in enumerate(BAD)])
def test_bad_bodies_answer_json_4xx(app, client, auth, body, status, code):
    account = auth.register()
    assert_error(client.post(URL, json=body, headers=account.headers), status, code)
    assert_nothing_stored(app)


def test_not_json_at_all(app, client, auth):
    headers = auth.register().headers
    assert_error(client.post(URL, data="type=threads.list", headers=headers,
                             content_type="application/x-www-form-urlencoded"), 415)
    assert_error(client.post(URL, data="{not json", headers=headers, content_type="application/json"), 400)
    assert_error(client.post(URL, json=["threads.list"], headers=headers), 422)
    assert_error(client.get(URL, headers=headers), 405)
    assert_nothing_stored(app)


def test_credentials_are_required(app, client, auth):
    body = {"type": "threads.create", "params": {"input": user_input("add milk")}}
    assert_error(client.post(URL, json=body), 401)
    assert_error(client.post(URL, json=body, headers={"Authorization": "Bearer nonsense"}), 401)
    # the cookie alone (as a browser page sends it) needs the CSRF header too
    auth.register()
    assert_error(client.post(URL, json=body), 401, "csrf_failed")
    assert_nothing_stored(app)
    csrf = client.get_cookie("csrf_access_token").value
    response = client.post(URL, json=body, headers={"X-CSRF-TOKEN": csrf})
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    response.get_data()
    with app.app_context():
        assert db.session.scalar(select(func.count(Message.id))) == 2
