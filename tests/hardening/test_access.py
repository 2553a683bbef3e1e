"""Hostile tokens, CSRF and other users' objects on *every* route, found from the URL map, so a
route added later is covered without anyone remembering to.

The single-route versions live beside the features: tests/test_auth.py (missing, tampered,
expired, revoked tokens, a deleted user's token, CSRF on cookie posts), tests/test_tasks_api.py
and tests/test_conversations.py (isolation), tests/chatkit/test_protocol.py
(``test_someone_elses_thread_is_not_found``: every ChatKit request type), tests/web/test_pages.py
(CSP and cookie flags, CSRF on forms, cross-site sign-in, another user's page) and
tests/web/test_browser.py (script in messages and titles shown as text, in a real browser).
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from datetime import timedelta

import jwt as pyjwt
import pytest
from flask_jwt_extended import create_access_token

from taskchat.extensions import db
from taskchat.models import User
from tests.helpers.http import count_rows

PUBLIC = {"/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/openapi.json"}
UNSAFE = {"POST", "PATCH", "PUT", "DELETE"}


def api_operations(app, number: int = 1, conversation_id: str | None = None):
    """(method, path) of every signed-in API operation, path parameters filled in."""
    conversation_id = conversation_id or str(uuid.uuid4())
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith("/api/") or rule.rule in PUBLIC:
            continue
        path = rule.rule.replace("<int:number>", str(number)).replace("<conversation_id>", conversation_id)
        path = path.replace("<int:reminder_id>", str(number)).replace("<int:notification_id>", str(number))
        assert "<" not in path, f"a new kind of path parameter: {rule.rule}"
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, path


def body_for(path: str) -> dict:
    if path.endswith("/chatkit"):
        return {"type": "threads.list", "params": {}}
    if path.endswith("/completions"):
        return {"messages": [{"role": "user", "content": "add sneaky"}]}
    if path.endswith("/chat"):
        return {"message": "add sneaky"}
    return {"title": "sneaky"}


def _unsigned(payload: dict) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(payload)}."


def hostile_tokens(app, client, auth) -> dict[str, str]:
    victim = auth.register()
    header, payload, signature = victim.token.split(".")
    claims = pyjwt.decode(victim.token, options={"verify_signature": False})
    with app.app_context():
        user = db.session.get(User, victim.user_id)
        expired = create_access_token(identity=user, expires_delta=timedelta(seconds=-5))
    gone = auth.register()
    with app.app_context():
        db.session.delete(db.session.get(User, gone.user_id))
        db.session.commit()
    revoked = auth.register()
    assert client.post("/api/v1/auth/logout", headers=revoked.headers).status_code == 200
    client.delete_cookie("auth_token")
    return {
        "tampered signature": f"{header}.{payload}.{signature[:-4]}AAAA",
        "other key": pyjwt.encode(claims, "a-different-secret-key-that-is-32-bytes-long"),
        "alg none": _unsigned(claims),
        "garbage": "not-a-jwt",
        "empty": "",
        "expired": expired,
        "revoked": revoked.token,
        "deleted user": gone.token,
    }


def test_every_signed_in_api_route_refuses_every_hostile_token(app, client, auth):
    tokens = hostile_tokens(app, client, auth)
    with app.app_context():
        before = count_rows()
    checked = 0
    for kind, token in tokens.items():
        for method, path in api_operations(app):
            headers = {"Authorization": f"Bearer {token}"}
            response = client.open(path, method=method, headers=headers,
                                   json=body_for(path) if method in UNSAFE else None)
            assert response.status_code == 401, (kind, method, path, response.status_code)
            assert response.get_json()["error"]["code"].startswith("token_"), (kind, method, path)
            checked += 1
    with app.app_context():
        assert count_rows() == before
    assert checked >= 8 * 14


def test_every_unsafe_route_needs_the_csrf_token_with_the_cookie(app, client, auth):
    auth.register()  # the client holds the auth and CSRF cookies now
    with app.app_context():
        before = count_rows()
    unsafe = [(m, p) for m, p in api_operations(app) if m in UNSAFE and not p.endswith("/logout")]
    assert len(unsafe) >= 7
    for method, path in unsafe:
        response = client.open(path, method=method, json=body_for(path))
        assert response.status_code == 401, (method, path)
        assert response.get_json()["error"]["code"] == "csrf_failed", (method, path)
    # the page's forms too
    for path in ("/messages", f"/c/{uuid.uuid4()}/delete", "/tasks/1/status", "/logout"):
        response = client.post(path, data={"message": "add sneaky", "completed": "1"})
        assert response.status_code in (400, 401, 403), (path, response.status_code)
    with app.app_context():
        assert count_rows() == before


def test_another_users_objects_are_404_on_every_route(app, client, auth, chat):
    alice, bob = auth.register(), auth.register()
    conversation_id = chat(alice, "add Alice's secret")["conversation_id"]
    with app.app_context():
        before = count_rows()
    operations = [(m, p) for m, p in api_operations(app, 1, conversation_id) if re.search(r"/\d+$|/[0-9a-f-]{36}$", p)]
    assert len(operations) >= 5
    for method, path in operations:
        response = client.open(path, method=method, headers=bob.headers, json={"title": "mine"} if method in UNSAFE else None)
        assert response.status_code == 404, (method, path, response.status_code)
    for body in ({"message": "mark it done", "conversation_id": conversation_id},):
        assert client.post("/api/v1/chat", json=body, headers=bob.headers).status_code == 404
    completion = client.post("/api/v1/chat/completions", headers={**bob.headers, "X-Conversation-Id": conversation_id},
                             json={"messages": [{"role": "user", "content": "delete task 1"}]})
    assert completion.status_code == 404
    with app.app_context():
        assert count_rows() == before
    mine = client.get(f"/api/v1/conversations/{conversation_id}", headers=alice.headers).get_json()
    assert [m["content"] for m in mine["messages"]][0] == "add Alice's secret"
    assert client.get("/api/v1/tasks/1", headers=alice.headers).get_json()["title"] == "Alice's secret"


@pytest.mark.parametrize("path", ["/api/v1/tasks", "/api/v1/nowhere", "/healthz"])
def test_api_answers_are_never_sniffed_or_framed_as_html(client, path):
    response = client.get(path)
    assert response.mimetype == "application/json"
    assert "<" not in response.get_data(as_text=True)
