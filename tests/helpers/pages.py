"""Page helpers: a user acting through the page's own forms, and chromium's flags."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from playwright.sync_api import expect

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


# --- the page through the test client ----------------------------------------------------


def conversation_id_from(location: str) -> str:
    match = re.search(r"/c/([0-9a-f-]{36})", location)
    assert match, location
    return match.group(1)


@dataclass
class ChoiceForm:
    attrs: dict[str, str]
    fields: dict[str, str] = field(default_factory=dict)
    label: str = ""

class ChoiceForms(HTMLParser):
    """The forms inside ``<div class="choices">`` of a page or fragment, as the browser would send them."""

    def __init__(self, html: str):
        super().__init__()
        self.forms: list[ChoiceForm] = []
        self.groups = 0
        self._depth = 0  # open <div>s since the choices group began
        self._in_button = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        if tag == "div":
            if self._depth:
                self._depth += 1
            elif "choices" in attrs.get("class", "").split():
                self.groups += 1
                self._depth = 1
        if not self._depth:
            return
        if tag == "form":
            self.forms.append(ChoiceForm(attrs))
        elif tag == "input":
            self.forms[-1].fields[attrs["name"]] = attrs.get("value", "")
        elif tag == "button":
            self._in_button = True

    def handle_endtag(self, tag):
        if tag == "div" and self._depth:
            self._depth -= 1
        elif tag == "button":
            self._in_button = False

    def handle_data(self, data):
        if self._in_button:
            self.forms[-1].label += data


# --- the page in chromium ------------------------------------------------------------------


PASSWORD = "correct-horse-1"

def unique_email() -> str:
    return f"page-{uuid.uuid4().hex[:10]}@example.com"

def send(page, text: str, javascript: bool) -> None:
    """Type ``text`` in the message box and send it; wait until the reply is complete."""
    page.fill("#message-input", text)
    if javascript:
        count = page.locator("#messages .message.assistant:not(.streaming)").count()
        page.press("#message-input", "Enter")
        expect(page.locator("#messages .message.assistant:not(.streaming)")).to_have_count(count + 1)
    else:
        with page.expect_navigation():
            page.click("#composer button[type=submit]")

def sign_up(page, email: str) -> None:
    page.goto("/register")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/$"))
    # The URL changes when the navigation commits; Enter-to-send is wired once app.js has run.
    page.wait_for_load_state("load")

def watch_console(page) -> list[str]:
    """Console errors and uncaught exceptions (a CSP violation is reported as a console error)."""
    problems: list[str] = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems
