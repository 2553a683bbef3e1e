"""Reminders in a real browser (Playwright + chromium against gunicorn): the sign-up picks the
browser's zone; a reminder that comes due shows up without a reload (JS on) or on the next load
(JS off), with plain forms to snooze or complete it."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from taskchat import delivery

pytestmark = [pytest.mark.browser, pytest.mark.live]
PASSWORD = "correct-horse-1"
expect.set_options(timeout=15_000)


def _sign_up(page) -> str:
    email = f"remind-{uuid.uuid4().hex[:10]}@example.com"
    page.goto("/register")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/$"))
    page.wait_for_load_state("load")
    return email


def _deliver_a_reminder(app, page, title: str) -> None:
    """Through the API with the page's own cookie and CSRF token, then one delivery run."""
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    due = datetime.now(UTC) + timedelta(minutes=5)
    api = page.context.request
    task = api.post("/api/v1/tasks", data={"title": title, "due_at": due.isoformat()}, headers={"X-CSRF-TOKEN": token})
    assert task.status == 201, task.text()
    number = task.json()["number"]
    added = api.post(f"/api/v1/tasks/{number}/reminders", data={"before_due_minutes": 0}, headers={"X-CSRF-TOKEN": token})
    assert added.status == 201, added.text()
    with app.app_context():
        assert delivery.deliver_due(lambda: due + timedelta(seconds=1)).notices == 1


def test_js_on_sign_up_takes_the_browser_zone_and_a_notice_arrives_without_reload(new_context, app, screenshot):
    context = new_context(timezone_id="Europe/Berlin")
    page = context.new_page()
    page.goto("/register")
    expect(page.locator("#timezone")).to_have_value("Europe/Berlin")
    _sign_up(page)
    expect(page.locator("[data-notice-count]")).to_have_text("0")
    _deliver_a_reminder(app, page, "Call mom")
    page.evaluate("window.taskchatPollNotices()")  # the 30 s poll, now
    expect(page.locator("[data-notice-count]")).to_have_text("1")
    notice = page.locator("#notices .notice")
    expect(notice).to_contain_text("Call mom")
    with page.expect_navigation():
        notice.get_by_role("button", name="Snooze 1 hour").click()
    expect(page.locator("#notices .notice")).to_have_count(0)
    expect(page.locator("#flash")).to_contain_text("remind you again in 1 hour")
    screenshot(page)


def test_js_off_a_notice_shows_on_the_next_load_and_done_completes_the_task(new_context, app, screenshot):
    page = new_context(java_script_enabled=False).new_page()
    _sign_up(page)
    _deliver_a_reminder(app, page, "Pay rent")
    page.reload()
    expect(page.locator("[data-notice-count]")).to_have_text("1")
    with page.expect_navigation():
        page.locator("#notices .notice").get_by_role("button", name="Done").click()
    expect(page.locator("#flash")).to_contain_text("Marked 'Pay rent' as complete")
    expect(page.locator("[data-notice-count]")).to_have_text("0")
    screenshot(page)
