"""Answering the agent's question with a click, in a real browser, with JavaScript on and off."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.helpers.pages import send, sign_up, unique_email, watch_console

pytestmark = [pytest.mark.browser, pytest.mark.live]


def click_choice(page, label: str, javascript: bool) -> None:
    button = page.locator("#messages .choices button", has_text=label)
    if javascript:
        count = page.locator("#messages .message.assistant:not(.streaming)").count()
        button.click()
        expect(page.locator("#messages .message.assistant:not(.streaming)")).to_have_count(count + 1)
    else:
        with page.expect_navigation():
            button.click()


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_a_click_on_a_choice_answers_the_question(new_context, screenshot, javascript):
    page = new_context(java_script_enabled=javascript).new_page()
    problems = watch_console(page)
    sign_up(page, unique_email())
    send(page, "add call the bank", javascript)
    send(page, "add call the plumber", javascript)
    send(page, "mark call done", javascript)

    asking = page.locator("#messages .message.assistant").last
    expect(asking.locator(".choices button")).to_have_text(["Call the bank (task 1)", "Call the plumber (task 2)"])
    if javascript:
        page.evaluate("window.pageMarker = 'still-here'")
    click_choice(page, "Call the plumber", javascript)

    messages = page.locator("#messages")
    expect(messages.locator(".message.user").last).to_have_text(re.compile("task 2"))
    expect(messages.locator(".message.assistant").last).to_contain_text("Marked 'Call the plumber' (task 2) as complete.")
    # The question is answered: its buttons are gone, and the task panel shows the change.
    expect(messages.locator(".choices button:visible")).to_have_count(0)
    panel = page.locator("#task-panel")
    expect(panel.locator(".tasks.pending")).to_contain_text("Call the bank")
    expect(panel.locator(".tasks.pending")).not_to_contain_text("Call the plumber")
    expect(panel.locator(".tasks.completed")).to_contain_text("Call the plumber")

    # "Really delete all?" — keep them with a click.
    send(page, "delete all my tasks", javascript)
    expect(messages.locator(".message.assistant").last.locator(".choices button")).to_have_text(
        ["Yes, delete them", "No, keep them"]
    )
    click_choice(page, "No, keep them", javascript)
    expect(messages.locator(".message.assistant").last).to_contain_text("didn't delete anything")
    expect(panel.locator(".tasks.pending")).to_contain_text("Call the bank")
    expect(messages.locator(".choices button:visible")).to_have_count(0)
    if javascript:
        assert page.evaluate("window.pageMarker") == "still-here"  # streamed in place, no page load
        assert page.evaluate("document.activeElement.id") == "message-input"
    assert problems == []
    screenshot(page)

    # Reloading shows the newest question's buttons again, from the stored message.
    send(page, "delete all my tasks", javascript)
    page.reload()
    expect(page.locator("#messages .choices button")).to_have_count(2)
    click_choice(page, "Yes, delete them", javascript)
    expect(panel.locator(".tasks.pending")).to_contain_text("Nothing pending.")
