"""The rough edges a daily user hits on the chat page, in chromium against gunicorn.

Each test drives the page as a person would (keyboard, clicks) with JavaScript on, and off
where the behaviour differs, and checks what they see: where errors show, what stays in the
message box, where the keyboard focus goes, what the task panel holds.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.helpers.pages import send, sign_up, unique_email, watch_console

pytestmark = [pytest.mark.browser, pytest.mark.live]

expect.set_options(timeout=15_000)

LIMIT = 4000


def watch_csp(page) -> list[str]:
    """Every Content-Security-Policy violation the page reports (inline styles and scripts)."""
    page.add_init_script(
        """window.cspViolations = [];
        document.addEventListener('securitypolicyviolation',
            e => window.cspViolations.push(e.violatedDirective + ' ' + (e.sourceFile || '') + ':' + e.lineNumber));"""
    )
    return []


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_undo_of_a_delete_names_the_task_and_the_panel_shows_it(new_context, javascript, screenshot):
    page = new_context(java_script_enabled=javascript).new_page()
    sign_up(page, unique_email())
    send(page, "add buy milk", javascript)
    send(page, "delete task 1", javascript)
    expect(page.locator("#task-panel .tasks.pending")).to_contain_text("Nothing pending.")
    send(page, "undo that", javascript)
    reply = page.locator("#messages .message.assistant").last
    expect(reply).to_contain_text("Undone — 'Buy milk' (task 1) is back.")
    expect(page.locator("#task-panel .tasks.pending")).to_contain_text("Buy milk")
    screenshot(page)


def test_js_on_errors_show_beside_the_composer_in_a_long_conversation(new_context, screenshot):
    page = new_context(viewport={"width": 1280, "height": 600}).new_page()
    sign_up(page, unique_email())
    for number in range(1, 7):
        send(page, f"add chore number {number}", True)
    box = page.locator("#message-input")
    box.press("Enter")  # empty
    error = page.locator("#composer-error")
    expect(error).to_contain_text("Message can't be empty.")
    expect(error).to_be_in_viewport()
    assert error.get_attribute("aria-live") == "assertive"
    # The error sits in the message form, next to the box, not in the flash area at the top.
    assert page.locator("#composer #composer-error").count() == 1
    expect(page.locator("#flash")).to_have_text("")
    box.fill("add one more")
    box.press("Enter")
    expect(page.locator("#messages .message.assistant:not(.streaming)")).to_have_count(7)
    expect(error).to_have_text("")  # a sent message clears the old refusal
    screenshot(page)


def test_js_on_a_message_over_the_limit_is_kept_with_the_limit_and_a_counter(new_context, screenshot):
    page = new_context().new_page()
    problems = watch_console(page)
    sign_up(page, unique_email())
    box = page.locator("#message-input")
    count = page.locator("#message-count")
    box.fill("x" * 100)
    expect(count).to_have_text("")  # far from the limit: no counter in the way
    text = "add " + "x" * LIMIT
    box.fill(text)
    expect(count).to_contain_text(f"{len(text)} / {LIMIT}")
    expect(count).to_contain_text("4 too many")
    box.press("Enter")
    expect(page.locator("#composer-error")).to_contain_text(f"at most {LIMIT} characters")
    assert box.input_value() == text
    assert page.locator("#messages .message").count() == 0
    assert box.get_attribute("aria-invalid") == "true"
    # The server refuses it too when the script's check is passed by (a forged form):
    # the text comes back into the box.
    page.evaluate("document.getElementById('message-input').dataset.limit = '100000'")
    box.press("Enter")
    expect(page.locator("#composer-error")).to_contain_text("Message is too long (at most 4000 characters).")
    expect(box).to_have_value(text)
    assert page.locator("#messages .message").count() == 0
    assert [p for p in problems if "status of 422" not in p] == [], problems
    screenshot(page)


def test_js_off_a_refused_message_comes_back_in_the_box_beside_its_reason(new_context, screenshot):
    page = new_context(java_script_enabled=False).new_page()
    sign_up(page, unique_email())
    send(page, "add buy milk", False)
    text = "add " + "y" * LIMIT
    page.fill("#message-input", text)
    with page.expect_navigation():
        page.click("#composer button[type=submit]")
    expect(page.locator("#composer #composer-error")).to_contain_text(f"at most {LIMIT} characters")
    expect(page.locator("#message-input")).to_have_value(text)
    expect(page.locator("#messages .message")).to_have_count(2)
    expect(page.locator("#message-count")).to_contain_text(f"Up to {LIMIT} characters.")
    screenshot(page)


def test_js_on_server_gone_keeps_the_text_and_unticks_the_task(new_context, screenshot):
    context = new_context()
    page = context.new_page()
    sign_up(page, unique_email())
    send(page, "add buy milk", True)
    # The server stops answering: every request of the page fails at the network level.
    page.route("**/messages", lambda route: route.abort("connectionrefused"))
    page.route("**/tasks/*/status", lambda route: route.abort("connectionrefused"))
    box = page.locator("#message-input")
    box.fill("add call the plumber")
    box.press("Enter")
    expect(page.locator("#composer-error")).to_contain_text("Could not reach taskchat")
    expect(box).to_have_value("add call the plumber")
    tick = page.locator("#task-check-1")
    tick.click()  # not check(): the box is meant to spring back, which check() reports as a failure
    expect(page.locator("#panel-error")).to_contain_text("the task was not changed")
    expect(tick).not_to_be_checked()
    expect(page.locator("#task-panel .tasks.pending")).to_contain_text("Buy milk")
    screenshot(page)


def test_js_on_ticking_by_keyboard_keeps_focus_and_the_open_completed_section(new_context, screenshot):
    page = new_context().new_page()
    sign_up(page, unique_email())
    send(page, "add tasks: eggs, bread, milk", True)
    expect(page.locator("#task-panel .tasks.pending li.task")).to_have_count(3)
    page.locator("#completed-tasks summary").click()
    expect(page.locator("#completed-tasks")).to_have_attribute("open", "")

    page.locator("#task-check-1").focus()
    page.keyboard.press("Space")
    expect(page.locator("#task-panel .tasks.completed")).to_contain_text("Eggs")
    # Same id, new element: the focus moved to the box in its new place, not to <body>.
    expect(page.locator("#task-check-1")).to_be_focused()
    expect(page.locator("#completed-tasks")).to_have_attribute("open", "")

    # Reopen it from the completed list with the keyboard: still focused, still open.
    page.keyboard.press("Space")
    expect(page.locator("#task-panel .tasks.pending li.task")).to_have_count(3)
    expect(page.locator("#task-check-1")).to_be_focused()
    expect(page.locator("#completed-tasks")).to_have_attribute("open", "")
    # A change from the chat keeps the section open too.
    send(page, "mark task 2 as complete", True)
    expect(page.locator("#task-panel .tasks.completed")).to_contain_text("Bread")
    expect(page.locator("#completed-tasks")).to_have_attribute("open", "")
    screenshot(page)


def test_js_off_no_dead_tick_box_right_placeholder_and_delete_asks_first(new_context, screenshot):
    page = new_context(java_script_enabled=False).new_page()
    sign_up(page, unique_email())
    placeholder = page.locator("#message-input").get_attribute("placeholder")
    assert "Enter sends" not in placeholder
    send(page, "add buy milk", False)
    expect(page.locator("#task-1 button[name=set]")).to_be_visible()
    expect(page.locator("#task-check-1")).to_be_hidden()

    url = page.url.split("#")[0]
    with page.expect_navigation():
        page.click("#conversation-list li button[type=submit]")
    expect(page.locator("h1")).to_have_text("Delete this conversation?")
    expect(page.locator("main")).to_contain_text("add buy milk")
    # Cancel: nothing is gone.
    with page.expect_navigation():
        page.click("text=Cancel")
    expect(page.locator("#conversation-list li")).to_have_count(1)
    with page.expect_navigation():
        page.click("#conversation-list li button[type=submit]")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    expect(page.locator("#flash")).to_contain_text("Conversation deleted.")
    expect(page.locator("#conversation-list")).to_contain_text("No conversations yet.")
    assert page.url.split("#")[0] != url
    screenshot(page)


def test_js_on_placeholder_says_enter_sends_and_the_tick_box_shows(new_context):
    page = new_context().new_page()
    sign_up(page, unique_email())
    expect(page.locator("#message-input")).to_have_attribute("placeholder", re.compile("Enter sends"))
    send(page, "add buy milk", True)
    expect(page.locator("#task-check-1")).to_be_visible()
    expect(page.locator("#task-1 button[name=set]")).to_be_hidden()


def test_js_on_turns_raise_no_content_security_policy_violation(new_context, screenshot):
    page = new_context().new_page()
    watch_csp(page)
    problems = watch_console(page)
    sign_up(page, unique_email())
    for text in ["add buy milk tomorrow !high #shop", "show me all my tasks", "delete task 1", "undo that",
                 "add buy milk", "delete milk"]:
        send(page, text, True)
    page.locator("#task-check-1").check()
    expect(page.locator("#task-panel .tasks.completed")).to_contain_text("Buy milk")
    page.click("a.new-conversation")
    expect(page.locator("#conversation-title")).to_have_text("New conversation")
    assert page.evaluate("window.cspViolations") == []
    assert problems == [], problems
    # Nothing on the page carries an inline style a strict policy would refuse.
    assert page.locator("[style]").count() == 0
    screenshot(page)
