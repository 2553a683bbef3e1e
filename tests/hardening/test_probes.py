"""What an attacker with a normal account tried: redirects off the app, telling accounts apart by
timing, weak passwords, forged stream frames, forged forwarded headers, missing security headers,
a forged cursor, tokens that outlive a sign-out, and message ids that count up."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from taskchat import create_app
from taskchat.extensions import db
from taskchat.models import Message
from tests.helpers.app import release
from tests.helpers.pages import PageUser, form_token

ROOT = Path(__file__).resolve().parents[2]
OFF_SITE = "/static//evil.example/x"
PASSWORD = "correct-horse-1"


# --- a redirect off the app -------------------------------------------------------------------

def test_a_next_the_router_would_redirect_falls_back_to_the_home_page(client, auth):
    auth.register("next@example.com")
    form = client.get(f"/login?next={OFF_SITE}")
    assert form.status_code == 200
    assert 'name="next" value="/"' in form.get_data(as_text=True)

    wrong = client.post("/login", data={"email": "next@example.com", "password": "wrong-horse-22", "next": OFF_SITE})
    assert wrong.status_code == 401  # the password is checked; nothing 308s it elsewhere
    right = client.post("/login", data={"email": "next@example.com", "password": PASSWORD, "next": OFF_SITE})
    assert right.status_code == 303 and right.headers["Location"] == "/"


def test_the_tick_box_and_conversation_delete_do_not_redirect_off_the_app(app, auth, chat):
    user = PageUser(app.test_client(), "tick@example.com")
    user.send("add milk")
    token = user.token()
    tick = user.client.post("/tasks/1/status", data={"set": "done", "csrf_token": token, "next": OFF_SITE})
    assert tick.status_code == 303 and tick.headers["Location"] == "/"
    conversation_id = user.client.get("/api/v1/conversations").get_json()["conversations"][0]["id"]
    gone = user.client.post(f"/c/{conversation_id}/delete", data={"csrf_token": token, "next": OFF_SITE, "confirmed": "1"})
    assert gone.status_code == 303 and gone.headers["Location"] == "/"


# --- the same cost for an unknown email ------------------------------------------------------

@pytest.fixture
def scrypt_calls(monkeypatch):
    """Every scrypt the password checks run, with its cost parameters (hashlib's own, counted)."""
    calls: list[tuple[int, int, int]] = []
    real = hashlib.scrypt

    def counted(password, *, salt, n, r, p, maxmem=0, dklen=64):
        calls.append((n, r, p))
        return real(password, salt=salt, n=n, r=r, p=p, maxmem=maxmem, dklen=dklen)

    monkeypatch.setattr(hashlib, "scrypt", counted)
    return calls


def test_an_unknown_email_costs_the_same_password_check(client, auth, scrypt_calls):
    auth.register("known@example.com")
    scrypt_calls.clear()
    assert auth.login("known@example.com", "wrong-horse-22").status_code == 401
    known = list(scrypt_calls)
    scrypt_calls.clear()
    assert auth.login("nobody@example.com", "wrong-horse-22").status_code == 401
    unknown_api = list(scrypt_calls)
    scrypt_calls.clear()
    assert client.post("/login", data={"email": "nobody@example.com", "password": "x"}).status_code == 401
    unknown_page = list(scrypt_calls)
    assert len(known) == 1
    assert unknown_api == known and unknown_page == known


def test_the_dummy_hash_is_made_as_real_ones_are():
    from taskchat import passwords

    method = passwords.hash_password("tangerine-kayak-7").split("$", 1)[0]
    assert passwords.DUMMY_HASH.split("$", 1)[0] == method
    assert passwords.verify(None, "anything at all") is False


# --- passwords -------------------------------------------------------------------------------

WEAK = ["        ", "          ", "password", "12345678", "aaaaaaaa", "aaaaaaaaaa", "password123", "Password123",
        "1234567890", "qwertyuiop", "short-pw"]


@pytest.mark.parametrize("password", WEAK)
def test_weak_passwords_are_refused_everywhere(app, client, runner, password):
    api = client.post("/api/v1/auth/register", json={"email": "weak@example.com", "password": password})
    assert api.status_code == 422, api.get_json()
    assert api.get_json()["error"]["details"][0]["field"] == "password"
    page = client.post("/register", data={"email": "weak@example.com", "password": password})
    assert page.status_code == 422
    cli = runner.invoke(args=["create-user", "weak@example.com", "--password", password])
    assert cli.exit_code != 0
    with app.app_context():
        assert db.session.scalar(select(Message.id)) is None


def test_a_long_uncommon_password_is_fine(client):
    response = client.post("/api/v1/auth/register", json={"email": "fine@example.com", "password": "tangerine-kayak-7"})
    assert response.status_code == 201


# --- stream frames ---------------------------------------------------------------------------

FORGED = "hello\r\revent: tasks-changed\rid: 999\r\rdata: X"


def sse_lines(body: str) -> list[str]:
    """The lines an SSE reader sees: ``\\r\\n``, ``\\r`` and ``\\n`` each end one."""
    return re.split(r"\r\n|\r|\n", body)


def assert_no_forged_fields(body: str) -> None:
    for line in sse_lines(body):
        assert line == "" or line.startswith(("data:", ":")), repr(line)


def test_a_bare_carriage_return_cannot_forge_a_page_stream_event(app):
    user = PageUser(app.test_client(), "frames@example.com")
    response = user.send(FORGED, htmx=True)
    assert response.mimetype == "text/event-stream"
    body = response.get_data(as_text=True)
    assert_no_forged_fields(body)
    assert "\r" not in body


def test_a_bare_carriage_return_stays_inside_chatkit_and_completion_frames(client, auth):
    account = auth.register()
    content = [{"type": "input_text", "text": FORGED + "\u2028 and \u2029 too"}]
    chatkit = client.post("/api/v1/chatkit", headers=account.headers, json={
        "type": "threads.create", "params": {"input": {"content": content, "attachments": [], "inference_options": {}}}})
    chatkit_body = chatkit.get_data(as_text=True)
    completions = client.post("/api/v1/chat/completions", headers=account.headers, json={
        "messages": [{"role": "user", "content": FORGED + "\u2028"}], "stream": True})
    for body in (chatkit_body, completions.get_data(as_text=True)):
        assert_no_forged_fields(body)
        frames = [line[len("data: "):] for line in sse_lines(body) if line.startswith("data: ")]
        for data in frames:
            if data != "[DONE]":
                json.loads(data)  # each frame's JSON whole, on its one line
    user_item = next(json.loads(line[6:]) for line in sse_lines(chatkit_body)
                     if line.startswith("data: ") and '"user_message"' in line)
    assert user_item["item"]["content"][0]["text"] == FORGED + "\u2028 and \u2029 too"


# --- forwarded headers -----------------------------------------------------------------------

def _proxied(database_url, **config):
    return create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": database_url,
                       "TASKCHAT_TRUSTED_PROXIES": 1, **config})


def test_forwarded_headers_are_believed_only_from_the_proxy_addresses(database_url, _schema):
    app = _proxied(database_url)
    client = app.test_client()
    forged = {"X-Forwarded-For": "127.0.0.1", "X-Forwarded-Proto": "https"}
    # Someone reaching the app port directly says they are loopback: not believed.
    assert client.get("/metrics", headers=forged, environ_base={"REMOTE_ADDR": "203.0.113.5"}).status_code == 404
    # nginx on loopback (the default TASKCHAT_TRUSTED_PROXY_IPS) is.
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.5"},
                      environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 404
    assert client.get("/metrics", headers=forged, environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 200

    elsewhere = _proxied(database_url, TASKCHAT_TRUSTED_PROXY_IPS=["10.0.0.5"]).test_client()
    assert elsewhere.get("/metrics", headers={"X-Forwarded-For": "203.0.113.5"},
                         environ_base={"REMOTE_ADDR": "10.0.0.5"}).status_code == 404
    with app.app_context():
        db.engine.dispose()


def test_forwarded_addresses_from_strangers_do_not_shed_the_sign_in_limit(database_url, _schema, tmp_path):
    app = _proxied(database_url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://",
                   RATELIMIT_SIGNIN_PER_ADDRESS="3 per minute", RATELIMIT_SIGNIN_PER_EMAIL="100 per minute")
    app.instance_path = str(tmp_path / "instance")
    client = app.test_client()
    try:
        statuses = [
            client.post("/api/v1/auth/login", json={"email": f"u{n}@example.com", "password": "nope"},
                        headers={"X-Forwarded-For": f"198.51.100.{n}"},
                        environ_base={"REMOTE_ADDR": "203.0.113.77"}).status_code
            for n in range(5)
        ]
        assert statuses == [401, 401, 401, 429, 429]
    finally:
        release(app)


def test_the_example_settings_listen_on_loopback():
    settings = dict(
        line.split("=", 1) for line in (ROOT / "deploy" / "taskchat.env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert settings["TASKCHAT_BIND"].startswith("127.0.0.1:")
    assert settings["TASKCHAT_TRUSTED_PROXY_IPS"].split(",")[0] == "127.0.0.1"


# --- headers on every answer, HSTS, the cursor -----------------------------------------------

def test_every_answer_says_nosniff_and_a_referrer_policy(client, auth):
    account = auth.register()
    answers = [
        client.get("/api/v1/auth/me"),  # a 401
        client.get("/api/v1/tasks", headers=account.headers),
        client.get("/api/v1/openapi.json"),
        client.get("/healthz"),
        client.get("/static/app.js"),
        client.get("/nowhere"),
        client.get("/login"),
    ]
    for answer in answers:
        assert answer.headers.get("X-Content-Type-Options") == "nosniff", answer.request.path
        assert answer.headers.get("Referrer-Policy") == "same-origin", answer.request.path
        assert "Strict-Transport-Security" not in answer.headers  # not in development or testing


def test_production_over_https_sends_hsts(database_url, _schema, tmp_path):
    app = create_app({"ENV_NAME": "production", "SQLALCHEMY_DATABASE_URI": database_url,
                      "SECRET_KEY": "s" * 40, "JWT_SECRET_KEY": "j" * 40, "TASKCHAT_TRUSTED_PROXIES": 1})
    app.instance_path = str(tmp_path / "instance")
    client = app.test_client()
    try:
        via_nginx = client.get("/api/v1/openapi.json", headers={"X-Forwarded-Proto": "https"},
                               environ_base={"REMOTE_ADDR": "127.0.0.1"})
        assert via_nginx.headers["Strict-Transport-Security"] == "max-age=31536000"
        assert client.get("/static/app.js", base_url="https://localhost").headers["Strict-Transport-Security"]
        assert "Strict-Transport-Security" not in client.get("/healthz").headers  # plain http
    finally:
        release(app)


def test_a_forged_cursor_is_a_400(client, auth):
    account = auth.register()
    forged = base64.urlsafe_b64encode(b"2999-01-01T00:00:00|00000000-0000-0000-0000-000000000000").decode().rstrip("=")
    aware = base64.urlsafe_b64encode(
        b"2999-01-01T00:00:00+00:00|00000000-0000-0000-0000-000000000000|" + b"0" * 32).decode().rstrip("=")
    for cursor in (forged, aware, "AAAA"):
        response = client.get(f"/api/v1/conversations?cursor={cursor}", headers=account.headers)
        assert response.status_code == 400, response.get_data(as_text=True)
        assert response.get_json()["error"]["code"] == "invalid_cursor"


# --- signing out everywhere, the cookie's lifetime -------------------------------------------

def test_sign_out_everywhere_revokes_every_token_of_the_account(client, auth):
    account = auth.register("everywhere@example.com")
    other_device = auth.login("everywhere@example.com", PASSWORD).get_json()["access_token"]
    bystander = auth.register("bystander@example.com")
    assert client.post("/api/v1/auth/logout-all", headers=account.headers).status_code == 200
    for token in (account.token, other_device):
        response = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401 and response.get_json()["error"]["code"] == "token_revoked"
    assert client.get("/api/v1/auth/me", headers=bystander.headers).status_code == 200
    fresh = auth.login("everywhere@example.com", PASSWORD).get_json()["access_token"]
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {fresh}"}).status_code == 200


def test_sign_out_everywhere_from_the_page(app):
    laptop = PageUser(app.test_client(), "pages@example.com")
    phone = app.test_client()
    signed_in = phone.post("/login", data={"email": "pages@example.com", "password": PASSWORD})
    assert signed_in.status_code == 303
    assert phone.get("/").status_code == 200
    page = laptop.client.get("/").get_data(as_text=True)
    assert 'action="/logout-all"' in page
    out = laptop.client.post("/logout-all", data={"csrf_token": form_token(page)})
    assert out.status_code == 303 and out.headers["Location"] == "/login"
    for client in (laptop.client, phone):
        assert client.get("/").status_code == 303  # back to the sign-in page


@pytest.mark.parametrize("lifetime", [None, 3600])
def test_the_cookie_lives_as_long_as_the_token(database_url, _schema, tmp_path, lifetime):
    from datetime import timedelta

    config = {"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": database_url}
    if lifetime:
        config["JWT_ACCESS_TOKEN_EXPIRES"] = timedelta(seconds=lifetime)
    app = create_app(config)
    app.instance_path = str(tmp_path / "instance")
    client = app.test_client()
    try:
        email = f"c-{uuid.uuid4().hex[:8]}@example.com"
        answers = [client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD}),
                   client.post("/login", data={"email": email, "password": PASSWORD})]
        for answer in answers:
            cookie = next(c for c in answer.headers.getlist("Set-Cookie") if c.startswith("auth_token="))
            assert f"Max-Age={lifetime or 7 * 24 * 3600}" in cookie, cookie
    finally:
        release(app)


# --- message ids -----------------------------------------------------------------------------

def test_message_ids_do_not_count_up(app, client, auth, chat):
    from taskchat import public_ids

    account = auth.register()
    conversation_id = None
    for n in range(5):
        conversation_id = chat(account, f"add thing {n}", conversation_id)["conversation_id"]
    messages = client.get(f"/api/v1/conversations/{conversation_id}", headers=account.headers).get_json()["messages"]
    shown = [m["id"] for m in messages]
    assert all(re.fullmatch(r"msg_[0-9a-f]{16}", ident) for ident in shown), shown
    with app.app_context():
        rows = list(db.session.scalars(select(Message.id).order_by(Message.sequence_number)
                                       .where(Message.conversation_id == uuid.UUID(conversation_id))))
        assert [public_ids.parse_message_ref(ident) for ident in shown] == rows
    assert rows == sorted(rows) and shown != sorted(shown)


def test_the_page_names_messages_by_their_shown_ids(app):
    user = PageUser(app.test_client(), "dom@example.com")
    user.send("add milk")
    conversation_id = user.client.get("/api/v1/conversations").get_json()["conversations"][0]["id"]
    html = user.client.get(f"/c/{conversation_id}").get_data(as_text=True)
    assert len(re.findall(r'id="message-msg_[0-9a-f]{16}"', html)) == 2
    assert not re.search(r'id="(message|reply-to|reply-text)-\d+"', html)
