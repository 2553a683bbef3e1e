"""Fixtures for the page tests: a signed-in test client, and Playwright driving chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.chromium import WHAT_TO_INSTALL, find_chromium

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def form_token(html: str) -> str:
    """The CSRF token the page put in its forms."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


class PageUser:
    """Sign up and act through the page's own forms with the Flask test client."""

    def __init__(self, client, email: str, password: str = "correct-horse-1"):
        self.client = client
        self.email = email
        self.password = password
        response = client.post("/register", data={"email": email, "password": password})
        assert response.status_code == 303, response.get_data(as_text=True)

    def token(self) -> str:
        return form_token(self.client.get("/").get_data(as_text=True))

    def send(self, message: str, conversation_id: str | None = None, htmx: bool = False):
        data = {"message": message, "csrf_token": self.token()}
        if conversation_id:
            data["conversation_id"] = conversation_id
        headers = {"HX-Request": "true"} if htmx else {}
        return self.client.post("/messages", data=data, headers=headers)


@pytest.fixture
def page_user(app):
    """A factory of users signed in through /register, each with their own test client."""

    def make(email: str) -> PageUser:
        return PageUser(app.test_client(), email)

    return make


@pytest.fixture(scope="session")
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


@pytest.fixture
def screenshot(request):
    """Save the page's final look as test-artifacts/<test name>.png (git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, suffix: str = "") -> Path:
        path = ARTIFACTS / f"{request.node.name}{suffix}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
