"""The chat page in a real browser: Playwright driving Debian's chromium against gunicorn.

Each test saves a screenshot of its final page in test-artifacts/.
"""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

from tests.helpers.pages import PASSWORD, send, sign_up, unique_email, watch_console

pytestmark = [pytest.mark.browser, pytest.mark.live]


# CI machines are shared and slow at times; a page that answers never arrives late by 15 s.
expect.set_options(timeout=15_000)


def test_js_on_chat_streams_reply_and_completes_task_from_panel(new_context, screenshot):
    page = new_context().new_page()
    problems = watch_console(page)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_up(page, unique_email())
    assert page.evaluate("htmx.version").startswith("4.")
    # A full page load would wipe this marker; htmx swaps keep it.
    page.evaluate("window.pageMarker = 'still-here'")
    # Count the separate text insertions into the streaming reply: more than one = word by word.
    page.evaluate(
        """() => {
            window.replyInsertions = 0;
            new MutationObserver(records => {
                for (const r of records) {
                    if (r.target.closest && r.target.closest('.streaming') && r.addedNodes.length) {
                        window.replyInsertions += 1;
                    }
                }
            }).observe(document.getElementById('messages'), {childList: true, subtree: true});
        }"""
    )

    box = page.locator("#message-input")
    box.press("Enter")  # empty: refused beside the box, nothing sent
    expect(page.locator("#composer-error")).to_contain_text("Message can't be empty.")
    box.fill("Add a task to buy groceries")
    box.press("Shift+Enter")  # a new line, not a send
    assert box.input_value() == "Add a task to buy groceries\n"
    assert page.locator("#messages .message").count() == 0
    box.press("Backspace")
    box.press("Enter")

    reply = page.locator("#messages .message.assistant").last
    expect(reply).to_contain_text("Added 'Buy groceries' (task 1).")
    expect(page.locator("#composer-error")).to_have_text("")
    expect(page.locator("#messages .message.user")).to_have_text(re.compile("Add a task to buy groceries"))
    expect(page.locator("#messages .streaming")).to_have_count(0)
    assert page.evaluate("window.pageMarker") == "still-here"
    assert page.evaluate("window.replyInsertions") > 1
    expect(page).to_have_url(re.compile(r"/c/[0-9a-f-]{36}$"))
    expect(page.locator("#conversation-list")).to_contain_text("Add a task to buy groceries")
    expect(page.locator("#conversation-title")).to_have_text("Add a task to buy groceries")
    assert page.evaluate("document.activeElement.id") == "message-input"
    assert box.input_value() == ""

    panel = page.locator("#task-panel")
    expect(panel.locator(".tasks.pending")).to_contain_text("Buy groceries")
    page.check("#task-check-1")
    expect(panel.locator(".tasks.pending")).to_contain_text("Nothing pending.")
    expect(panel.locator(".tasks.completed")).to_contain_text("Buy groceries")
    assert page.evaluate("window.pageMarker") == "still-here"

    # A second message continues the same conversation (the form learnt its id).
    box.fill("show completed")
    box.press("Enter")
    expect(page.locator("#messages .message.assistant").last).to_contain_text("Buy groceries")
    # The words arrive before the turn ends: wait for the stored reply, so the server is done
    # before the tables are emptied (PostgreSQL's TRUNCATE would deadlock with a running turn).
    expect(page.locator("#messages .streaming")).to_have_count(0)
    expect(page.locator("#conversation-list li")).to_have_count(1)
    panel.locator("#completed-tasks > summary").click()
    assert dialogs == []
    # The one expected console line: the browser reports the refused empty message's 422.
    assert [p for p in problems if "status of 422" not in p] == [], problems
    screenshot(page)


def test_js_on_switch_scroll_and_delete_conversations(new_context, screenshot):
    page = new_context(viewport={"width": 1280, "height": 600}).new_page()
    problems = watch_console(page)
    page.on("dialog", lambda dialog: dialog.accept())  # hx-confirm's "Delete this conversation?"
    sign_up(page, unique_email())
    box = page.locator("#message-input")
    box.fill("Add a task to buy groceries")
    box.press("Enter")
    expect(page.locator("#messages .message.assistant:not(.streaming)")).to_have_count(1)
    first_url = page.url

    page.evaluate("window.pageMarker = 'still-here'")
    page.click("a.new-conversation")
    expect(page.locator("#conversation-title")).to_have_text("New conversation")
    expect(page).to_have_url(re.compile(r"/$"))
    for number in range(1, 8):
        box.fill(f"add chore number {number}")
        box.press("Enter")
        expect(page.locator("#messages .message.assistant:not(.streaming)")).to_have_count(number)
    # The newest message is scrolled into view and the box has the focus again.
    expect(page.locator("#messages .message").last).to_be_in_viewport()
    assert page.evaluate("document.activeElement.id") == "message-input"
    expect(page.locator("#conversation-list li")).to_have_count(2)
    expect(page.locator("#task-panel .tasks.pending li.task")).to_have_count(8)

    # Switch back through the side list: a fragment swap, the address follows.
    page.click("#conversation-list a:text('Add a task to buy groceries')")
    expect(page).to_have_url(first_url)
    expect(page.locator("#messages .message")).to_have_count(2)
    expect(page.locator("#conversation-list li.current")).to_contain_text("Add a task to buy groceries")

    # Delete the other conversation in place.
    page.click("#conversation-list li:has-text('add chore number 1') button[type=submit]")
    expect(page.locator("#conversation-list li")).to_have_count(1)
    assert page.evaluate("window.pageMarker") == "still-here"

    assert problems == [], problems

    # Back: htmx restores history with a whole-page request; that conversation is gone now.
    page.go_back()
    expect(page).to_have_url(re.compile(r"/c/[0-9a-f-]{36}$"))
    expect(page.locator("main")).to_contain_text("There is no such conversation.")
    page.go_forward()
    expect(page).to_have_url(first_url)
    expect(page.locator("#messages .message")).to_have_count(2)
    screenshot(page)


def test_js_off_same_flow_through_full_page_loads(new_context, screenshot):
    page = new_context(java_script_enabled=False).new_page()
    sign_up(page, unique_email())
    # The page's scripts did not run (app.js marks <html class="js">; htmx never loaded).
    assert page.evaluate("document.documentElement.className") == ""
    assert page.evaluate("typeof window.htmx") == "undefined"
    page.fill("#message-input", "Add a task to buy groceries")
    with page.expect_navigation():
        page.click("#composer button[type=submit]")
    expect(page).to_have_url(re.compile(r"/c/[0-9a-f-]{36}#latest$"))
    first_conversation = page.url.split("#")[0]
    expect(page.locator("#messages .message.assistant")).to_contain_text("Added 'Buy groceries' (task 1).")
    expect(page.locator("#task-panel .tasks.pending")).to_contain_text("Buy groceries")

    # Empty message: refused beside the box, nothing stored.
    with page.expect_navigation():
        page.click("#composer button[type=submit]")
    expect(page.locator("#composer-error")).to_contain_text("Message can't be empty")
    expect(page.locator("#messages .message")).to_have_count(2)

    # Complete it from the panel: the button posts the form.
    with page.expect_navigation():
        page.click("#task-1 button[name=set]")
    expect(page.locator("#task-panel .tasks.pending")).to_contain_text("Nothing pending.")
    expect(page.locator("#task-panel .tasks.completed")).to_contain_text("Buy groceries")

    # A second conversation, then switch back to the first one.
    page.click("a.new-conversation")
    expect(page.locator("#conversation-title")).to_have_text("New conversation")
    page.fill("#message-input", "hello")
    with page.expect_navigation():
        page.click("#composer button[type=submit]")
    expect(page.locator("#conversation-list li")).to_have_count(2)
    page.click("#conversation-list a:text('Add a task to buy groceries')")
    expect(page).to_have_url(first_conversation)
    expect(page.locator("#messages .message.user")).to_have_text(re.compile("Add a task to buy groceries"))

    # Delete the other conversation from the list: a page asks first.
    with page.expect_navigation():
        page.click("#conversation-list li:has-text('hello') button[type=submit]")
    expect(page.locator("h1")).to_have_text("Delete this conversation?")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    expect(page.locator("#conversation-list li")).to_have_count(1)
    expect(page.locator("#flash")).to_contain_text("Conversation deleted.")
    screenshot(page)

    # Sign out: back at the sign-in page, and the chat is closed to us.
    with page.expect_navigation():
        page.click("text=Sign out")
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=%2F$"))


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_markup_in_messages_and_task_titles_renders_as_text(new_context, screenshot, javascript):
    page = new_context(java_script_enabled=javascript).new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_up(page, unique_email())
    attacks = [
        "<img src=x onerror=alert(1)>",
        'add "<img src=x onerror=alert(1)>"',
        "add <script>alert(1)</script>",
    ]
    for attack in attacks:
        send(page, attack, javascript)

    messages = page.locator("#messages")
    expect(messages.locator(".message.user").first).to_have_text(re.compile(re.escape(attacks[0])))
    expect(messages).to_contain_text("Added '<img src=x onerror=alert(1)>' (task 1).")
    expect(messages).to_contain_text("Added '<script>alert(1)</script>' (task 2).")
    panel = page.locator("#task-panel .tasks.pending")
    expect(panel).to_contain_text("<img src=x onerror=alert(1)>")
    expect(panel).to_contain_text("<script>alert(1)</script>")
    # Reload: the full page renders the same rows as text too.
    page.reload()
    expect(page.locator("#task-panel .tasks.pending")).to_contain_text("<script>alert(1)</script>")
    assert page.locator("img[src=x]").count() == 0
    assert page.locator("#messages script, #task-panel script").count() == 0
    page.wait_for_timeout(300)  # give a stray handler the chance to fire
    assert dialogs == []
    screenshot(page)


def test_signed_out_visit_returns_to_the_conversation_after_sign_in(new_context, live_server, screenshot):
    email = unique_email()
    api = requests.Session()
    registered = api.post(
        f"{live_server.url}/api/v1/auth/register", json={"email": email, "password": PASSWORD}, timeout=10
    )
    assert registered.status_code == 201
    token = registered.json()["access_token"]
    chat = requests.post(
        f"{live_server.url}/api/v1/chat",
        json={"message": "Add a task to water the plants"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    conversation_id = chat.json()["conversation_id"]

    page = new_context().new_page()
    page.goto(f"/c/{conversation_id}")
    expect(page).to_have_url(re.compile(rf"/login\?next=%2Fc%2F{conversation_id}$"))
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(rf"/c/{conversation_id}$"))
    expect(page.locator("#messages")).to_contain_text("Added 'Water the plants' (task 1).")
    expect(page.locator("#task-panel")).to_contain_text("Water the plants")
    screenshot(page)
