"""Register, sign in, sign out, me; token failures are 401s; CSRF guards cookie requests."""

from datetime import timedelta

import jwt as pyjwt
from flask_jwt_extended import create_access_token
from sqlalchemy import func, select

from taskchat.extensions import db
from taskchat.models import Task, User


def test_register_returns_user_token_and_cookies(client):
    response = client.post(
        "/api/v1/auth/register",
        json={"email": "Ada@Example.com", "password": "correct-horse-1", "timezone": "Europe/Berlin"},
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["user"]["email"] == "ada@example.com"
    assert body["user"]["timezone"] == "Europe/Berlin"
    assert body["access_token"].count(".") == 2
    cookies = response.headers.getlist("Set-Cookie")
    auth_cookie = next(c for c in cookies if c.startswith("auth_token="))
    assert "HttpOnly" in auth_cookie and "SameSite=Lax" in auth_cookie
    csrf_cookie = next(c for c in cookies if c.startswith("csrf_access_token="))
    assert "HttpOnly" not in csrf_cookie


def test_password_is_hashed(app, auth):
    account = auth.register(password="correct-horse-1")
    with app.app_context():
        user = db.session.get(User, account.user_id)
        assert user.password_hash.startswith("scrypt:")
        assert "correct-horse-1" not in user.password_hash


def test_register_twice_is_a_conflict_case_insensitively(client, auth):
    auth.register("ada@example.com")
    response = client.post("/api/v1/auth/register", json={"email": "ADA@example.com", "password": "another-pass"})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "email_taken"


def test_register_validates_fields(client, app):
    for body in (
        {"email": "not-an-email", "password": "correct-horse-1"},
        {"email": "a@example.com", "password": "short"},
        {"email": "a@example.com", "password": "correct-horse-1", "timezone": "Mars/Olympus"},
        {"email": "a@example.com"},
    ):
        response = client.post("/api/v1/auth/register", json=body)
        assert response.status_code == 422, body
        assert response.get_json()["error"]["code"] == "invalid_fields"
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 0


def test_login_and_me(client, auth):
    account = auth.register("grace@example.com", "correct-horse-1")
    response = auth.login("GRACE@example.com", "correct-horse-1")
    assert response.status_code == 200
    token = response.get_json()["access_token"]
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.get_json()["user"]["id"] == account.user_id


def test_login_failures_share_one_message(auth):
    auth.register("grace@example.com", "correct-horse-1")
    wrong_password = auth.login("grace@example.com", "wrong-password")
    unknown_email = auth.login("nobody@example.com", "correct-horse-1")
    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.get_json() == unknown_email.get_json()


def test_missing_token_is_401(client):
    response = client.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "token_missing"


def test_logout_revokes_the_token(client, auth):
    account = auth.register()
    response = client.post("/api/v1/auth/logout", headers=account.headers)
    assert response.status_code == 200
    assert any(c.startswith("auth_token=;") for c in response.headers.getlist("Set-Cookie"))
    again = client.get("/api/v1/auth/me", headers=account.headers)
    assert again.status_code == 401
    assert again.get_json()["error"]["code"] == "token_revoked"


def test_tampered_token_is_401(client, auth):
    account = auth.register()
    header, payload, signature = account.token.split(".")
    forged = pyjwt.encode({"sub": account.user_id, "type": "access", "jti": "x", "fresh": False}, "a-different-secret-key-that-is-32-bytes-long")
    for token in (f"{header}.{payload}.{signature[:-4]}AAAA", forged, "not-a-jwt"):
        response = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, token
        assert response.get_json()["error"]["code"] == "token_invalid"


def test_expired_token_is_401(app, client, auth):
    account = auth.register()
    with app.app_context():
        user = db.session.get(User, account.user_id)
        token = create_access_token(identity=user, expires_delta=timedelta(seconds=-5))
    response = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "token_expired"


def test_token_of_deleted_user_is_401(app, client, auth):
    account = auth.register()
    with app.app_context():
        db.session.delete(db.session.get(User, account.user_id))
        db.session.commit()
    assert client.get("/api/v1/auth/me", headers=account.headers).status_code == 401


def test_cookie_post_needs_the_csrf_token(app, client, auth):
    account = auth.register()  # the test client now holds the auth and CSRF cookies
    refused = client.post("/api/v1/tasks", json={"title": "sneaky"})
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "csrf_failed"
    refused_chat = client.post("/api/v1/chat", json={"message": "add sneaky"})
    assert refused_chat.status_code == 401
    with app.app_context():
        assert db.session.scalar(select(func.count(Task.id))) == 0

    csrf = client.get_cookie("csrf_access_token").value
    accepted = client.post("/api/v1/tasks", json={"title": "fine"}, headers={"X-CSRF-TOKEN": csrf})
    assert accepted.status_code == 201
    # GETs by cookie need no CSRF token; Bearer requests never do.
    assert client.get("/api/v1/tasks").status_code == 200
    assert client.post("/api/v1/tasks", json={"title": "bearer"}, headers=account.headers).status_code == 201
