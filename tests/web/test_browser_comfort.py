"""Comfort on the chat page in chromium: dark mode from the system preference with a toggle
that is remembered, and the keyboard shortcuts ("/" to the message box, "?" lists them)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.helpers.pages import sign_up, unique_email, watch_console

pytestmark = [pytest.mark.browser, pytest.mark.live]

expect.set_options(timeout=15_000)

BACKGROUND = "getComputedStyle(document.documentElement).backgroundColor"


def test_dark_mode_follows_the_system_and_the_toggle_is_remembered(new_context, screenshot):
    context = new_context(color_scheme="dark")
    page = context.new_page()
    problems = watch_console(page)
    sign_up(page, unique_email())
    dark = page.evaluate(BACKGROUND)
    assert dark == "rgb(18, 21, 27)", dark
    toggle = page.locator("#theme-toggle")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    screenshot(page, "-dark")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "false")
    assert page.evaluate(BACKGROUND) == "rgb(246, 247, 249)"
    page.reload()  # remembered in this browser
    expect(page.locator("#theme-toggle")).to_have_attribute("aria-pressed", "false")
    assert page.evaluate(BACKGROUND) == "rgb(246, 247, 249)"
    page.locator("#theme-toggle").click()
    page.goto("/settings")
    assert page.evaluate(BACKGROUND) == "rgb(18, 21, 27)"
    assert problems == [], problems


def test_light_system_is_light_and_javascript_off_has_no_dead_toggle(new_context):
    page = new_context(color_scheme="light").new_page()
    sign_up(page, unique_email())
    assert page.evaluate(BACKGROUND) == "rgb(246, 247, 249)"
    off = new_context(color_scheme="dark", java_script_enabled=False).new_page()
    sign_up(off, unique_email())
    assert off.evaluate(BACKGROUND) == "rgb(18, 21, 27)"  # the system's choice needs no script
    expect(off.locator("#theme-toggle")).to_be_hidden()


def test_keyboard_shortcuts(new_context):
    page = new_context().new_page()
    sign_up(page, unique_email())
    page.locator("a.brand").focus()
    page.keyboard.press("/")
    expect(page.locator("#message-input")).to_be_focused()
    assert page.locator("#message-input").input_value() == ""  # the slash was not typed
    page.keyboard.type("what? /")  # in the box the keys are text
    assert page.locator("#message-input").input_value() == "what? /"
    expect(page.locator("#shortcuts")).to_be_hidden()
    page.locator("a.brand").focus()
    page.keyboard.press("?")
    shortcuts = page.locator("#shortcuts")
    expect(shortcuts).to_be_visible()
    expect(shortcuts).to_contain_text("Go to the message box")
    page.keyboard.press("Escape")
    expect(shortcuts).to_be_hidden()
