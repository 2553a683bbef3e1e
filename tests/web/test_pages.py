"""The chat page through the Flask test client: full pages and fragments, PRG, CSRF, ownership."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from taskchat.extensions import db
from taskchat.models import Conversation, Message, Task
from tests.helpers.pages import conversation_id_from, form_token

HTMX = {"HX-Request": "true"}


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


# --- signing in and out -------------------------------------------------------------------


def test_pages_need_a_user_and_send_them_back_afterwards(client):
    response = client.get("/c/0b6f3c1e-9a43-4a4e-8f0f-5d8d2f1b7c11")
    assert response.status_code == 303
    assert response.location == "/login?next=%2Fc%2F0b6f3c1e-9a43-4a4e-8f0f-5d8d2f1b7c11"

    client.post("/register", data={"email": "back@example.com", "password": "correct-horse-1"})
    client.post("/logout", data={"csrf_token": form_token(client.get("/").get_data(as_text=True))})
    response = client.post(
        "/login",
        data={"email": "back@example.com", "password": "correct-horse-1", "next": "/c/abc?x=1"},
    )
    assert response.status_code == 303
    assert response.location == "/c/abc?x=1"
    assert "auth_token" in response.headers.get("Set-Cookie", "")


@pytest.mark.parametrize(
    "target",
    ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "/messages", ""],
)
def test_sign_in_goes_only_to_local_pages(client, target):
    client.post("/register", data={"email": "local@example.com", "password": "correct-horse-1"})
    response = client.post(
        "/login", data={"email": "local@example.com", "password": "correct-horse-1", "next": target}
    )
    assert response.status_code == 303
    assert response.location == "/"


def test_wrong_password_shows_the_form_again_with_a_flash(client):
    client.post("/register", data={"email": "pw@example.com", "password": "correct-horse-1"})
    client.post("/logout", data={"csrf_token": form_token(client.get("/").get_data(as_text=True))})
    response = client.post("/login", data={"email": "pw@example.com", "password": "wrong-horse-2"})
    assert response.status_code == 401
    html = response.get_data(as_text=True)
    assert "Wrong email or password." in html
    assert 'value="pw@example.com"' in html
    assert client.get("/").status_code == 303  # still signed out


def test_sign_up_problems_are_flashed_not_raised(client, app):
    response = client.post("/register", data={"email": "not-an-email", "password": "short"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Email:" in html and "Password:" in html
    client.post("/register", data={"email": "dup@example.com", "password": "correct-horse-1"})
    other = app.test_client()
    response = other.post("/register", data={"email": "DUP@example.com", "password": "correct-horse-1"})
    assert response.status_code == 409
    assert "already exists" in response.get_data(as_text=True)


def test_sign_up_keeps_the_browser_time_zone_and_ignores_nonsense(client, app):
    client.post(
        "/register",
        data={"email": "tz@example.com", "password": "correct-horse-1", "timezone": "Europe/Berlin"},
    )
    assert "tz@example.com" in client.get("/").get_data(as_text=True)
    from taskchat.models import User

    with app.app_context():
        assert User.by_email("tz@example.com").timezone == "Europe/Berlin"
    other = app.test_client()
    response = other.post(
        "/register", data={"email": "tz2@example.com", "password": "correct-horse-1", "timezone": "Mars/Base"}
    )
    assert response.status_code == 303
    with app.app_context():
        assert User.by_email("tz2@example.com").timezone == "UTC"


def test_cross_site_sign_in_post_is_refused(client):
    client.post("/register", data={"email": "origin@example.com", "password": "correct-horse-1"})
    client.post("/logout", data={"csrf_token": form_token(client.get("/").get_data(as_text=True))})
    response = client.post(
        "/login",
        data={"email": "origin@example.com", "password": "correct-horse-1"},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert "auth_token=" not in response.headers.get("Set-Cookie", "")
    same_site = client.post(
        "/login",
        data={"email": "origin@example.com", "password": "correct-horse-1"},
        headers={"Origin": "http://localhost"},
    )
    assert same_site.status_code == 303


def test_sign_out_revokes_the_token(client):
    client.post("/register", data={"email": "out@example.com", "password": "correct-horse-1"})
    old_cookie = client.get_cookie("auth_token").value
    response = client.post("/logout", data={"csrf_token": form_token(client.get("/").get_data(as_text=True))})
    assert response.status_code == 303
    assert response.location == "/login"
    client.set_cookie("auth_token", old_cookie)  # a copy kept by someone else
    assert client.get("/").status_code == 303


# --- the chat page --------------------------------------------------------------------------


def test_full_page_or_fragment_depending_on_hx_request(page_user):
    user = page_user("frag@example.com")
    cid = conversation_id_from(user.send("Add a task to buy groceries").location)

    full = user.client.get(f"/c/{cid}")
    assert full.status_code == 200
    html = full.get_data(as_text=True)
    assert html.startswith("<!doctype html>")
    assert 'id="task-panel"' in html and 'id="conversation-list"' in html
    assert "Buy groceries" in html
    assert "HX-Request" in full.headers["Vary"]

    fragment = user.client.get(f"/c/{cid}", headers=HTMX)
    assert fragment.status_code == 200
    part = fragment.get_data(as_text=True)
    assert "<html" not in part and "<head" not in part
    assert part.lstrip().startswith('<main id="conversation"')
    assert "Added &#39;Buy groceries&#39; (task 1)." in part
    assert '<hx-partial hx-target="#conversation-list"' in part
    assert "HX-Request" in fragment.headers["Vary"]

    # A history restore asks with HX-Request too, but wants the whole page.
    restore = user.client.get(f"/c/{cid}", headers={**HTMX, "HX-History-Restore-Request": "true"})
    assert restore.get_data(as_text=True).startswith("<!doctype html>")


def test_post_without_htmx_redirects_to_the_page_with_the_new_messages(page_user, app):
    user = page_user("prg@example.com")
    response = user.send("Add a task to buy groceries")
    assert response.status_code == 303
    assert response.location.endswith("#latest")
    cid = conversation_id_from(response.location)
    page = user.client.get(response.location.split("#")[0]).get_data(as_text=True)
    assert page.index("Add a task to buy groceries") < page.index("Added &#39;Buy groceries&#39;")
    assert 'id="task-1"' in page  # the task panel is current

    again = user.send("show my tasks", conversation_id=cid)
    assert again.status_code == 303 and conversation_id_from(again.location) == cid
    assert count(app, Conversation) == 1
    assert count(app, Message) == 4


def test_post_with_htmx_streams_only_the_new_fragments(page_user, app):
    user = page_user("stream@example.com")
    response = user.send("Add a task to buy groceries", htmx=True)
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    assert "HX-Request" in response.headers["Vary"]
    cid = response.headers["HX-Replace-Url"].removeprefix("/c/")
    body = response.get_data(as_text=True)
    assert "<html" not in body
    frames = [chunk for chunk in body.split("\n\n") if chunk.strip()]
    data = ["\n".join(line[6:] for line in f.splitlines() if line.startswith("data: ")) for f in frames]
    # 1: the user's message and an empty reply bubble, swapped in at the end of #messages.
    assert 'class="message user"' in data[0] and "Add a task to buy groceries" in data[0]
    assert 'class="message assistant streaming"' in data[0]
    assert f'value="{cid}"' in data[0]  # the form learns the new conversation's id
    # then the reply word by word, then the stored message replacing the bubble.
    words = [d for d in data if 'hx-swap="beforeend"' in d]
    assert len(words) >= 4
    assert "".join(re.sub(r"<[^>]+>", "", w) for w in words) == "Added &#39;Buy groceries&#39; (task 1)."
    assert any('hx-swap="outerHTML"' in d and "message assistant" in d for d in data)
    # and the task panel is told to reload itself.
    assert frames[-1].startswith("event: tasks-changed")
    assert count(app, Message) == 2
    assert count(app, Task) == 1

    # The next message in the same conversation: no new conversation, no url change.
    again = user.send("show my tasks", conversation_id=cid, htmx=True)
    assert "HX-Replace-Url" not in again.headers
    body = again.get_data(as_text=True)
    assert "event: tasks-changed" not in body  # listing changes nothing
    assert count(app, Conversation) == 1


def test_a_reader_that_hangs_up_still_gets_its_reply_stored(page_user, app):
    user = page_user("hangup@example.com")
    response = user.client.post(
        "/messages",
        data={"message": "Add a task to call mom", "csrf_token": user.token()},
        headers=HTMX,
        buffered=False,
    )
    first = next(iter(response.response))
    assert "Add a task to call mom" in (first.decode() if isinstance(first, bytes) else first)
    response.close()  # the browser went away after the first frame
    with app.app_context():
        roles = db.session.scalars(select(Message.role).order_by(Message.sequence_number)).all()
        assert roles == ["user", "assistant"]
        assert db.session.scalar(select(Task.title)) == "Call mom"


def test_empty_or_oversized_message_is_refused_beside_the_box_and_nothing_is_stored(page_user, app):
    user = page_user("empty@example.com")
    # Without JavaScript the page comes back at once (no redirect that would lose the text).
    response = user.send("   \n ")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'id="composer-error"[^>]*>\s*<p class="flash flash-error">Message can&#39;t be empty.', html)

    response = user.send("", htmx=True)
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == "#composer-error"
    assert "Message can&#39;t be empty." in response.get_data(as_text=True)

    draft = "x" * 4001
    response = user.send(draft)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "too long (at most 4000 characters)" in html
    assert f">{draft}</textarea>" in html
    assert count(app, Message) == 0
    assert count(app, Conversation) == 0


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
def test_missing_csrf_token_is_refused_and_nothing_is_stored(page_user, app, htmx):
    user = page_user("csrf@example.com")
    cid = conversation_id_from(user.send("Add a task to buy groceries").location)
    headers = HTMX if htmx else {}
    before = count(app, Message)

    for path, data in [
        ("/messages", {"message": "Add a task to sneak in"}),
        ("/messages", {"message": "Add a task to sneak in", "csrf_token": "forged"}),
        ("/tasks/1/status", {"set": "done"}),
        (f"/c/{cid}/delete", {}),
        ("/logout", {}),
    ]:
        response = user.client.post(path, data=data, headers=headers)
        assert response.status_code == 403, path
        assert "reload the page" in response.get_data(as_text=True)
        if htmx:
            assert response.headers["HX-Retarget"] == "#flash"

    assert count(app, Message) == before
    assert count(app, Conversation) == 1
    with app.app_context():
        assert db.session.scalar(select(Task.completed)) is False
    assert user.client.get("/").status_code == 200  # still signed in


def test_another_users_conversation_is_a_404_page(page_user, app):
    alice = page_user("alice@example.com")
    bob = page_user("bob@example.com")
    cid = conversation_id_from(alice.send("Add a task to buy groceries").location)

    page = bob.client.get(f"/c/{cid}")
    assert page.status_code == 404
    html = page.get_data(as_text=True)
    assert html.startswith("<!doctype html>") and "Not Found" in html
    assert "buy groceries" not in html.lower()
    assert bob.client.get("/c/not-a-uuid").status_code == 404

    assert bob.send("hello", conversation_id=cid).status_code == 404
    assert bob.client.post(f"/c/{cid}/delete", data={"csrf_token": bob.token()}).status_code == 404
    assert bob.client.post("/tasks/1/status", data={"csrf_token": bob.token(), "set": "done"}).status_code == 404
    assert count(app, Message) == 2
    assert count(app, Conversation) == 1
    with app.app_context():
        assert db.session.scalar(select(Task.completed)) is False


def test_sidebar_lists_conversations_newest_first_and_delete_removes_one(page_user, app):
    user = page_user("side@example.com")
    first = conversation_id_from(user.send("first conversation").location)
    second = conversation_id_from(user.send("second conversation").location)
    html = user.client.get("/").get_data(as_text=True)
    assert html.index("second conversation") < html.index("first conversation")

    # A plain form post asks first: a page naming the conversation, whose button confirms.
    asked = user.client.post(
        f"/c/{first}/delete", data={"csrf_token": user.token(), "open": second, "next": f"/c/{second}"}
    )
    assert asked.status_code == 200
    html = asked.get_data(as_text=True)
    assert "Delete this conversation?" in html and "first conversation" in html
    assert 'name="confirmed" value="1"' in html
    assert count(app, Conversation) == 2
    response = user.client.post(
        f"/c/{first}/delete",
        data={"csrf_token": user.token(), "open": second, "next": f"/c/{second}", "confirmed": "1"},
    )
    assert response.status_code == 303 and response.location == f"/c/{second}"
    assert count(app, Conversation) == 1

    # htmx, deleting the conversation that is open: a whole-page move to a new conversation.
    response = user.client.post(
        f"/c/{second}/delete", data={"csrf_token": user.token(), "open": second}, headers=HTMX
    )
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/"
    assert count(app, Conversation) == 0 and count(app, Message) == 0


def test_task_panel_tick_box(page_user, app):
    user = page_user("tick@example.com")
    cid = conversation_id_from(user.send("Add a task to buy groceries").location)

    response = user.client.post(
        "/tasks/1/status", data={"csrf_token": user.token(), "set": "done", "next": f"/c/{cid}"}
    )
    assert response.status_code == 303 and response.location == f"/c/{cid}"
    panel = user.client.get("/tasks/panel").get_data(as_text=True)
    assert "Nothing pending." in panel and "checked" in panel

    # htmx posts the box on change: unticked means reopen; the panel reloads on the trigger.
    response = user.client.post("/tasks/1/status", data={"csrf_token": user.token()}, headers=HTMX)
    assert response.status_code == 204
    assert response.headers["HX-Trigger"] == "tasks-changed"
    with app.app_context():
        assert db.session.scalar(select(Task.completed)) is False
    assert user.client.post("/tasks/99/status", data={"csrf_token": user.token()}).status_code == 404


def test_unauthenticated_htmx_request_is_sent_to_sign_in_as_a_whole_page(client):
    response = client.post("/messages", data={"message": "hi"}, headers=HTMX)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].startswith("/login")


# --- security of the markup ---------------------------------------------------------------


def test_pages_send_a_strict_csp_and_hold_no_inline_script(page_user):
    user = page_user("csp@example.com")
    location = user.send('add "<script>alert(1)</script>"').location
    for path in ["/login", "/register", "/", location.split("#")[0], "/tasks/panel"]:
        client = user.client if path not in ("/login", "/register") else user.client.application.test_client()
        response = client.get(path)
        assert response.status_code == 200, path
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy
        html = response.get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert not re.search(r"\son[a-z]+\s*=", html), path
        assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in user.client.get("/tasks/panel").get_data(as_text=True)


def test_auth_cookie_is_httponly_and_lax(client):
    response = client.post("/register", data={"email": "cookie@example.com", "password": "correct-horse-1"})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("auth_token="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_flash_session_cookie_is_httponly_and_lax(page_user):
    user = page_user("flash@example.com")
    cid = conversation_id_from(user.send("hello").location)
    response = user.client.post(f"/c/{cid}/delete", data={"csrf_token": user.token(), "confirmed": "1"})
    assert response.status_code == 303
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_htmx_errors_land_in_the_flash_region_not_in_the_message_list(page_user):
    alice = page_user("hx-alice@example.com")
    bob = page_user("hx-bob@example.com")
    cid = conversation_id_from(alice.send("hello").location)
    response = bob.send("hello", conversation_id=cid, htmx=True)
    assert response.status_code == 404
    assert response.headers["HX-Retarget"] == "#flash"
    body = response.get_data(as_text=True)
    assert "<html" not in body.lower() and "There is no such conversation." in body


def test_signed_in_pages_are_not_cached(page_user):
    user = page_user("cache@example.com")
    assert user.client.get("/").headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "stream"])
def test_task_list_replies_are_laid_out_as_lists(page_user, htmx):
    user = page_user("lists@example.com")
    cid = conversation_id_from(user.send("add buy milk tomorrow !high #shop").location)
    response = user.send("show my tasks", conversation_id=cid, htmx=htmx)
    html = response.get_data(as_text=True) if htmx else user.client.get(f"/c/{cid}").get_data(as_text=True)
    assert '<ul class="message-tasks">' in html
    listed = html[html.index('<ul class="message-tasks">'):]
    assert '<span class="task-title">Buy milk</span>' in listed
    assert "priority-high" in listed and "#shop" in listed and "due " in listed
