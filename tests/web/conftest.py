"""Fixtures for the page tests: a signed-in test client, and Playwright driving chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright

from tests.chromium import WHAT_TO_INSTALL, find_chromium
from tests.helpers.pages import (  # noqa: F401 (re-exported for the fixtures here)
    ARTIFACTS,
    CHROMIUM_ARGS,
    ROOT,
    PageUser,
    form_token,
)


@pytest.fixture
def page_user(app):
    """A factory of users signed in through /register, each with their own test client."""

    def make(email: str) -> PageUser:
        return PageUser(app.test_client(), email)

    return make


# One per package, not per session: Playwright's sync API keeps an event loop running in this
# thread while it is open, and tests/reminders imports these fixtures, so a session-wide one
# started there stayed open through tests/test_mcp.py (whose anyio.run met that loop) and
# tests/web (whose own sync_playwright refused to start inside it).
@pytest.fixture(scope="package")
def browser():
    chromium = find_chromium()
    if chromium is None:
        pytest.fail(WHAT_TO_INSTALL)
    if not (ROOT / "static" / "vendor" / "htmx.min.js").exists():
        pytest.fail("static/vendor/htmx.min.js is missing; run `make vendor` (npm ci + scripts/vendor.mjs)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def new_context(browser, live_server, app):
    """Browser contexts on the live server; ``app`` empties the tables afterwards."""
    contexts = []

    def make(**options):
        context = browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
