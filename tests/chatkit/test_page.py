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
        // then an @-mention: the entity search the page wired, against the real task list
        return options.entities.onTagSearch("mil").then((found) => { this.dataset.tags = JSON.stringify(found); });
      }));
    const shown = Object.assign({}, options, {api: {url: options.api.url, domainKey: options.api.domainKey}});
    delete shown.entities;
    this.dataset.options = JSON.stringify(shown);
    this.dataset.tagSearch = typeof options.entities.onTagSearch;
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
    assert "<openai-chatkit" in html
    config = json.loads(re.search(r'id="chatkit-config">(.*?)</script>', html).group(1))
    # the script is loaded by chatkit.js, which can then tell when it fails
    assert config["scriptUrl"] == CHATKIT_SCRIPT and CHATKIT_SCRIPT not in html.replace(json.dumps(CHATKIT_SCRIPT)[1:-1], "")
    assert {key: config[key] for key in ("apiUrl", "domainKey", "loginUrl", "tasksUrl")} == {
        "apiUrl": "/api/v1/chatkit", "domainKey": "local-dev", "loginUrl": "/login", "tasksUrl": "/api/v1/tasks"}
    # the seed's widget, as settings with its values for defaults
    assert (config["title"], config["accent"], config["greeting"]) == ("Task Assistant", "#2563eb", "What's on your list?")
    assert [p["prompt"] for p in config["prompts"]] == [
        "Add a task to buy groceries", "Show me all my tasks", "Mark task 1 as complete",
        "Update task 2 title to 'Buy organic milk'"]
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self' https://cdn.platform.openai.com" in csp
    assert "'unsafe-eval'" not in csp and "script-src 'self' 'unsafe-inline'" not in csp
    assert "onclick" not in html  # no inline handlers; the config is data, the code is static/


def test_the_look_is_settings(app, client, auth):
    app.config.update(TASKCHAT_CHATKIT_TITLE="Errands <b>", TASKCHAT_CHATKIT_ACCENT="#16a34a",
                      TASKCHAT_CHATKIT_GREETING="Hi!", TASKCHAT_CHATKIT_PROMPTS=[{"label": "Go", "prompt": "show my tasks"}])
    auth.register()
    html = client.get("/chatkit").get_data(as_text=True)
    config = json.loads(re.search(r'id="chatkit-config">(.*?)</script>', html).group(1))
    assert (config["title"], config["accent"], config["greeting"]) == ("Errands <b>", "#16a34a", "Hi!")
    assert config["prompts"] == [{"label": "Go", "prompt": "show my tasks"}]
    assert "Errands <b>" not in html and "Errands &lt;b&gt;" in html  # escaped where it is shown


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
        options = json.loads(element.get_attribute("data-options"))
        assert options["header"] == {"enabled": True, "title": {"text": "Task Assistant"}}
        assert options["theme"]["color"]["accent"]["primary"] == "#2563eb"
        assert options["startScreen"]["greeting"] == "What's on your list?"
        assert options["startScreen"]["prompts"][0]["prompt"] == "Add a task to buy groceries"
        assert element.get_attribute("data-tag-search") == "function"
        expect(element).to_have_attribute("data-tags", re.compile("Buy milk"))
        assert json.loads(element.get_attribute("data-tags")) == [{
            "id": "task-1", "title": "Buy milk (task 1)", "group": "Tasks", "interactive": False, "data": {"number": 1}}]
        # the floating button, bottom-right in the theme colour, opens the panel
        launcher = page.locator("#chatkit-launcher")
        box, viewport = launcher.bounding_box(), page.viewport_size
        assert round(viewport["width"] - box["x"] - box["width"]) == 24
        assert round(viewport["height"] - box["y"] - box["height"]) == 24
        assert launcher.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(37, 99, 235)"
        expect(page.locator("#chatkit-panel")).to_be_hidden()
        launcher.click()
        expect(page.locator("#chatkit-panel")).to_be_visible()
        expect(page.locator("#chatkit-offline")).to_be_hidden()
        assert problems == []
    finally:
        context.close()
    with app.app_context():
        assert [m.content for m in db.session.scalars(select(Message).order_by(Message.id))][:1] == ["add buy milk"]


@pytest.mark.browser
@pytest.mark.live
def test_without_the_cdn_the_page_says_so_and_links_to_the_plain_chat(live_server, chromium):
    """Offline (here always): the script fails to load; the panel opens with a clear message."""
    context = chromium.new_context(base_url=live_server.url)
    context.set_default_timeout(10_000)
    # everything off this server fails, as it does without internet
    context.route("**/*", lambda route: route.abort() if not route.request.url.startswith(live_server.url)
                  else route.fallback())
    page = context.new_page()
    uncaught: list[str] = []
    page.on("pageerror", lambda error: uncaught.append(str(error)))
    try:
        page.goto("/register")
        page.fill("#email", f"offline-{uuid.uuid4().hex[:10]}@example.com")
        page.fill("#password", "correct-horse-1")
        page.click("button[type=submit]")
        expect(page).to_have_url(re.compile(r"/$"))
        page.goto("/chatkit")
        offline = page.locator("#chatkit-offline")
        expect(offline).to_be_visible(timeout=5_000)  # at once on the load error, not after the 8 s patience
        expect(offline).to_contain_text("ChatKit could not be loaded")
        expect(page.locator("openai-chatkit")).to_be_hidden()
        link = page.locator("#chatkit-plain-link")
        assert link.get_attribute("href") == "/"
        link.click()
        expect(page).to_have_url(re.compile(r"/$"))
        expect(page.locator("textarea[name=message]")).to_be_visible()
        assert uncaught == []
    finally:
        context.close()
