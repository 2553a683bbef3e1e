"""The chat page on a phone-sized screen (375 px): no sideways scrolling, long words and URLs
wrap, and the conversations and the tasks are one tap away — with CSS only."""

from __future__ import annotations

import os
import shutil

import pytest
from playwright.sync_api import expect

from tests.helpers.pages import send, sign_up, unique_email

pytestmark = [pytest.mark.browser, pytest.mark.live]

PHONE = {"width": 375, "height": 740}
LONG_WORD = "Pneumonoultramicroscopicsilicovolcanoconiosis" * 2
LONG_URL = "https://example.com/" + "/".join(f"segment{n}-without-any-spaces" for n in range(8))

OVERFLOW = """() => ({
    page: document.scrollingElement.scrollWidth,
    viewport: window.innerWidth,
    wider: [...document.querySelectorAll('body *')]
        .filter(el => el.getBoundingClientRect().right > window.innerWidth + 0.5)
        .filter(el => !el.closest('.visually-hidden'))
        .map(el => el.tagName + '.' + el.className),
})"""


# On a phone the layout viewport grows to fit content wider than the screen: then name the widest.
WIDEST = """() => [...document.querySelectorAll('body *')]
    .map(el => [el.getBoundingClientRect().right, el.tagName + '.' + el.className])
    .sort((a, b) => b[0] - a[0]).slice(0, 6)"""


def assert_no_horizontal_overflow(page) -> None:
    found = page.evaluate(OVERFLOW)
    assert found["viewport"] == PHONE["width"], page.evaluate(WIDEST)
    assert found["page"] <= found["viewport"], found
    assert found["wider"] == [], found


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_the_chat_fits_a_phone_and_everything_is_reachable(new_context, tmp_path, screenshot, javascript):
    context = new_context(viewport=PHONE, is_mobile=True, has_touch=True, java_script_enabled=javascript)
    page = context.new_page()
    sign_up(page, unique_email())
    send(page, "add call the bank", javascript)
    send(page, f"add read {LONG_URL}", javascript)
    send(page, f"add {LONG_WORD}", javascript)
    send(page, f"look at {LONG_URL} please, it is {LONG_WORD}", javascript)
    send(page, "mark call done", javascript)  # no task matches both: it asks, with buttons
    send(page, "show my tasks", javascript)
    send(page, "delete all my tasks", javascript)  # a question with answer buttons at the bottom
    # Sent (streamed, or posted and redirected to #latest), the newest answer is on screen.
    expect(page.locator("#messages .choices button").last).to_be_in_viewport(ratio=1)
    page.reload()  # the whole page as it loads, not only what was swapped in
    expect(page.locator("#messages .choices button").last).to_be_in_viewport(ratio=1)

    panel = page.locator("#task-panel")
    expect(panel.locator(".task-title")).to_have_count(3)
    expect(page.locator("#messages .choices button")).to_have_count(2)
    assert_no_horizontal_overflow(page)
    # The long title wraps inside the panel: its box is no wider than the panel's.
    title = panel.locator(".task-title", has_text=LONG_WORD[:20]).bounding_box()
    box = panel.bounding_box()
    assert title["x"] + title["width"] <= box["x"] + box["width"]
    assert title["height"] > 30  # more than one line

    # The chat comes first; the top bar's links reach the tasks, the conversations and back.
    assert page.locator("#conversation").bounding_box()["y"] < box["y"]
    page.locator(".jump a", has_text="Tasks").click()
    expect(panel.locator("h2")).to_be_in_viewport()
    page.locator(".jump a", has_text="All chats").click()
    conversations = page.locator("#conversation-list")
    expect(conversations).to_be_in_viewport()
    expect(conversations.locator("li")).to_have_count(1)
    assert_no_horizontal_overflow(page)
    page.locator(".jump").get_by_role("link", name="Chat", exact=True).click()
    expect(page.locator("#messages .choices button").last).to_be_in_viewport()

    # What the phone shows (the newest messages above the message box), and the whole page.
    shot, whole = tmp_path / "phone.png", tmp_path / "phone-full.png"
    page.screenshot(path=str(shot))
    page.screenshot(path=str(whole), full_page=True)
    assert shot.stat().st_size > 10_000 and whole.stat().st_size > shot.stat().st_size
    screenshot(page)
    # For a report: TASKCHAT_PHONE_SCREENSHOT=<path.png> keeps copies of the JavaScript-on shots.
    keep = os.environ.get("TASKCHAT_PHONE_SCREENSHOT")
    if keep and javascript:
        shutil.copy(shot, keep)
        shutil.copy(whole, keep.removesuffix(".png") + "-full.png")

    # A conversation opens from the list on the phone too.
    page.click("a.new-conversation")
    expect(page.locator("#conversation-title")).to_have_text("New conversation")
    page.locator(".jump a", has_text="All chats").click()
    if javascript:
        page.locator("#conversation-list a").first.click()
    else:
        with page.expect_navigation():
            page.locator("#conversation-list a").first.click()
    expect(page.locator("#messages .message.assistant").last).to_contain_text("Delete 3 tasks")
    assert_no_horizontal_overflow(page)
