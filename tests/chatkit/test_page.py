"""``GET /chatkit``: the host page, and its custom fetch in a real browser.

OpenAI's CDN is out of reach here, so the browser test serves a stand-in for the component at
the CDN's address: a custom element that, like the real one, calls ``api.fetch`` with a ChatKit
request. What is under test is ours: the page, its CSP, its config and its fetch (cookie +
CSRF header) against the real backend under gunicorn.
"""

from __future__ import annotations

import json
import re
import uuid

import pytest
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import select

from taskchat.extensions import db
from taskchat.models import Message
from taskchat.web.chatkit_page import CHATKIT_SCRIPT
from tests.chromium import WHAT_TO_INSTALL, find_chromium
from tests.helpers.chatkit import EVENT, IGNORE_WIDGET_DEPRECATION, parse_sse

STAND_IN = """
customElements.define("openai-chatkit", class extends HTMLElement {
  setOptions(options) {
    const body = {type: "threads.create", params: {input: {
      content: [{type: "input_text", text: "add buy milk"}], attachments: [], inference_options: {}}}};
    options.api.fetch(options.api.url, {method: "POST", body: JSON.stringify(body)})
      .then((response) => response.text().then((text) => {
        this.dataset.status = String(response.status);
        this.dataset.domainKey = options.api.domainKey;
        this.dataset.stream = text;
      }));
  }
});
"""


def test_page_needs_sign_in(client):
    response = client.get("/chatkit")
    assert response.status_code == 303
    assert response.headers["Location"] == "/login?next=%2Fchatkit"


def test_page_points_the_component_at_this_backend(client, auth):
    auth.register()
    response = client.get("/chatkit")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<script src="{CHATKIT_SCRIPT}" async></script>' in html
    assert "<openai-chatkit" in html
    config = json.loads(re.search(r'id="chatkit-config">(.*?)</script>', html).group(1))
    assert config == {"apiUrl": "/api/v1/chatkit", "domainKey": "local-dev", "loginUrl": "/login"}
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self' https://cdn.platform.openai.com" in csp
    assert "'unsafe-eval'" not in csp and "script-src 'self' 'unsafe-inline'" not in csp
    assert "onclick" not in html  # no inline handlers; the config is data, the code is static/


@pytest.fixture(scope="module")
def chromium():
    executable = find_chromium()
    if executable is None:
        pytest.fail(WHAT_TO_INSTALL)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.mark.browser
@pytest.mark.live
@IGNORE_WIDGET_DEPRECATION
def test_custom_fetch_sends_cookie_and_csrf_and_streams(app, live_server, chromium):
    context = chromium.new_context(base_url=live_server.url)
    context.set_default_timeout(10_000)
    context.route("**/*", lambda route: route.abort() if not route.request.url.startswith(live_server.url)
                  and route.request.url != CHATKIT_SCRIPT else route.fallback())
    context.route(CHATKIT_SCRIPT, lambda route: route.fulfill(
        status=200, content_type="application/javascript", body=STAND_IN))
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        email = f"kit-{uuid.uuid4().hex[:10]}@example.com"
        page.goto("/register")
        page.fill("#email", email)
        page.fill("#password", "correct-horse-1")
        page.click("button[type=submit]")
        expect(page).to_have_url(re.compile(r"/$"))

        page.goto("/chatkit")
        element = page.locator("openai-chatkit")
        expect(element).to_have_attribute("data-status", "200")
        assert element.get_attribute("data-domain-key") == "local-dev"
        payloads, _ = parse_sse(element.get_attribute("data-stream"))
        events = [EVENT.validate_json(p) for p in payloads]
        assert events[0].type == "thread.created" and events[-1].type == "thread.updated"
        assert "".join(
            e.update.delta for e in events
            if e.type == "thread.item.updated" and e.update.type.endswith("text_delta")
        ) == "Added 'Buy milk' (task 1)."
        assert problems == []
    finally:
        context.close()
    with app.app_context():
        assert [m.content for m in db.session.scalars(select(Message).order_by(Message.id))][:1] == ["add buy milk"]
