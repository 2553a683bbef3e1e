"""The account: change the password (other sessions signed out), reset it by an emailed link
(a real SMTP server on loopback), delete it and everything in it (every table checked)."""

from __future__ import annotations

import email
import re
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from taskchat.extensions import db
from tests.helpers.app import free_port
from tests.helpers.pages import form_token

NEW_PASSWORD = "a-better-horse-42"


@dataclass
class Mailbox:
    messages: list[email.message.Message] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content))
        return "250 OK"


@pytest.fixture
def mailbox(app):
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port,
                      MAIL_DEFAULT_SENDER="taskchat <reminders@example.com>", TASKCHAT_BASE_URL="https://tasks.example.com")
    try:
        yield box
    finally:
        controller.stop()


def test_api_change_password_signs_out_other_sessions(app, client, auth):
    me = auth.register(password="correct-horse-1")
    other = client.post("/api/v1/auth/login", json={"email": me.email, "password": "correct-horse-1"}).get_json()
    other_headers = {"Authorization": f"Bearer {other['access_token']}"}
    assert client.get("/api/v1/me", headers=other_headers).status_code == 200

    wrong = client.post("/api/v1/me/password", json={"current_password": "nope-nope-1", "new_password": NEW_PASSWORD},
                        headers=me.headers)
    assert wrong.status_code == 403 and wrong.get_json()["error"]["code"] == "wrong_password"
    weak = client.post("/api/v1/me/password", json={"current_password": "correct-horse-1", "new_password": "password"},
                       headers=me.headers)
    assert weak.status_code == 422

    changed = client.post("/api/v1/me/password", json={"current_password": "correct-horse-1", "new_password": NEW_PASSWORD},
                          headers=me.headers)
    assert changed.status_code == 200
    fresh = {"Authorization": f"Bearer {changed.get_json()['access_token']}"}
    assert client.get("/api/v1/me", headers=fresh).status_code == 200
    assert client.get("/api/v1/me", headers=other_headers).status_code == 401
    assert client.get("/api/v1/me", headers=me.headers).status_code == 401  # the old token of this session too
    assert client.post("/api/v1/auth/login", json={"email": me.email, "password": "correct-horse-1"}).status_code == 401
    assert client.post("/api/v1/auth/login", json={"email": me.email, "password": NEW_PASSWORD}).status_code == 200


def _rows(app) -> dict[str, set]:
    """Every row of every table, by table name (each row as the text of its values)."""
    with app.app_context():
        return {
            table.name: {repr(tuple(row)) for row in db.session.execute(select(table)).all()}
            for table in db.metadata.sorted_tables
        }


def test_api_delete_account_removes_everything_of_the_user_and_nothing_else(app, client, auth, chat):
    keeper = auth.register()
    chat(keeper, "add keep this tomorrow at 9am")
    chat(keeper, "remind me about task 1 an hour before")
    before = _rows(app)

    gone = auth.register()
    chat(gone, "add water plants every monday at 8am")
    chat(gone, "remind me about task 1 tomorrow at 7am")
    chat(gone, "add buy milk #shop")
    chat(gone, "delete task 2")
    # A second session, signed out: a revoked-token row that names the user.
    second = auth.login(gone.email, gone.password).get_json()["access_token"]
    assert client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {second}"}).status_code == 200
    grown = _rows(app)
    # The user to delete has rows in every table but the notices (none came due yet).
    grew = {name for name in grown if len(grown[name]) > len(before[name])}
    assert grew == set(grown) - {"notifications"}, grew

    refused = client.delete("/api/v1/me", json={"password": "wrong-horse-9"}, headers=gone.headers)
    assert refused.status_code == 403
    assert _rows(app) == grown
    deleted = client.delete("/api/v1/me", json={"password": "correct-horse-1"}, headers=gone.headers)
    assert deleted.status_code == 200 and deleted.get_json() == {"ok": True}
    after = _rows(app)
    for name, rows in after.items():
        assert rows == before[name], name
    assert client.get("/api/v1/me", headers=gone.headers).status_code == 401
    assert client.get("/api/v1/me", headers=keeper.headers).status_code == 200


def test_page_change_password_and_delete_account(app, page_user):
    user = page_user("acct@example.com")
    token = user.token()
    bad = user.client.post("/settings/password", data={"csrf_token": token, "current_password": "nope-nope-1",
                                                        "new_password": NEW_PASSWORD})
    assert bad.status_code == 303
    assert "The current password is wrong" in user.client.get("/settings").get_data(as_text=True)
    ok = user.client.post("/settings/password", data={"csrf_token": user.token(), "current_password": user.password,
                                                       "new_password": NEW_PASSWORD})
    assert ok.status_code == 303
    settings = user.client.get("/settings")
    assert settings.status_code == 200 and "Password changed." in settings.get_data(as_text=True)
    user.send("add buy milk")

    kept = user.client.post("/settings/delete", data={"csrf_token": user.token(), "password": user.password})
    assert kept.status_code == 303 and "nothing was deleted" in user.client.get("/settings").get_data(as_text=True)
    gone = user.client.post("/settings/delete", data={"csrf_token": user.token(), "password": NEW_PASSWORD})
    assert gone.status_code == 303 and gone.location == "/login"
    rows = _rows(app)
    assert all(not rows[name] for name in ("users", "tasks", "conversations", "messages")), rows


def test_password_reset_by_an_emailed_link(app, client, auth, mailbox):
    me = auth.register(password="correct-horse-1")
    login_page = client.get("/login").get_data(as_text=True)
    assert "Forgot your password?" in login_page
    asked = client.post("/password/forgot", data={"email": me.email})
    assert asked.status_code == 303
    assert client.post("/password/forgot", data={"email": "nobody@example.com"}).status_code == 303  # same answer
    assert len(mailbox.messages) == 1
    body = mailbox.messages[0].get_payload(decode=True).decode()
    assert mailbox.messages[0]["To"] == me.email
    link = re.search(r"https://tasks\.example\.com(/password/reset/\S+)", body).group(1)

    form = client.get(link)
    assert form.status_code == 200 and 'name="new_password"' in form.get_data(as_text=True)
    assert client.post(link, data={"new_password": "short"}).status_code == 422
    done = client.post(link, data={"new_password": NEW_PASSWORD})
    assert done.status_code == 303 and done.location == "/login"
    assert client.get("/api/v1/me", headers=me.headers).status_code == 401  # every session signed out
    assert client.post("/api/v1/auth/login", json={"email": me.email, "password": NEW_PASSWORD}).status_code == 200
    # Used once: the link no longer works; a forged one never did.
    assert client.get(link).status_code == 404
    assert client.post(link, data={"new_password": "another-horse-77"}).status_code == 404
    assert client.get("/password/reset/forged.token.here").status_code == 404


def test_password_reset_is_off_without_smtp(client):
    assert "Forgot your password?" not in client.get("/login").get_data(as_text=True)
    assert client.get("/password/forgot").status_code == 404
    assert client.post("/password/forgot", data={"email": "a@example.com"}).status_code == 404


def test_form_token_needed_for_account_forms(page_user):
    user = page_user("acct-csrf@example.com")
    for path in ("/settings/password", "/settings/delete"):
        response = user.client.post(path, data={"password": user.password, "current_password": user.password,
                                                "new_password": NEW_PASSWORD})
        assert response.status_code == 403, path
    assert form_token(user.client.get("/").get_data(as_text=True))
