"""The side list in chromium with JavaScript on: search as you type, older pages appended in
place, rename, delete several (the browser asks first)."""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import expect

from tests.helpers.pages import PASSWORD, send, unique_email

pytestmark = [pytest.mark.browser, pytest.mark.live]

expect.set_options(timeout=15_000)


def test_js_on_search_page_rename_and_delete_several(new_context, live_server, screenshot):
    email = unique_email()
    api = requests.Session()
    token = api.post(f"{live_server.url}/api/v1/auth/register", json={"email": email, "password": PASSWORD},
                     timeout=10).json()["access_token"]
    for n in range(52):  # each call without a conversation id starts one
        api.post(f"{live_server.url}/api/v1/chat", json={"message": f"note {n}"},
                 headers={"Authorization": f"Bearer {token}"}, timeout=10)
    page = new_context().new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    page.evaluate("window.pageMarker = 'still-here'")

    items = page.locator("#conversation-list li:not(.more)")
    expect(items).to_have_count(50)
    page.click("#conversation-list li.more a")
    expect(items).to_have_count(52)
    expect(page.locator("#conversation-list li.more")).to_have_count(0)

    page.fill("#conversation-q", "note 7")  # typing searches, no button needed
    expect(items).to_have_count(1)
    expect(items).to_contain_text("note 7")
    page.fill("#conversation-q", "")
    expect(items).to_have_count(50)

    page.click("#conversation-list a:text-is('note 51')")
    expect(page.locator("#conversation-title")).to_have_text("note 51")
    page.click("details.rename summary")
    page.fill("#rename-title", "Shopping list ideas")
    page.click("details.rename button[type=submit]")
    expect(page.locator("#conversation-title")).to_have_text("Shopping list ideas")
    expect(page.locator("#conversation-list li.current")).to_contain_text("Shopping list ideas")
    send(page, "add buy milk", True)  # the renamed conversation still talks

    page.check("#conversation-list li:has-text('note 50') input.pick")
    page.check("#conversation-list li:has-text('note 49') input.pick")
    page.click("#bulk-delete button[type=submit]")
    expect(page.locator("#conversation-list li:has-text('note 50')")).to_have_count(0)
    expect(page.locator("#conversation-list li:has-text('note 49')")).to_have_count(0)
    assert dialogs == ["Delete the selected conversations?"]
    assert page.evaluate("window.pageMarker") == "still-here"
    screenshot(page)
