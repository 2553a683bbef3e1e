"""The chat page in a real browser (Debian's chromium) with the fake model behind gunicorn:
the reply grows piece by piece while the model writes, a working indicator shows the tool."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.chromium import WHAT_TO_INSTALL, find_chromium
from tests.helpers.fake_openai import Step
from tests.helpers.pages import CHROMIUM_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.live]

expect.set_options(timeout=15_000)


@pytest.fixture(scope="module")
def browser():
    """Chromium for this module only: Playwright's sync API keeps an event loop running in
    this thread while it is open, which the MCP tests' own loop must not meet."""
    chromium = find_chromium()
    if chromium is None:
        pytest.fail(WHAT_TO_INSTALL)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def test_model_reply_streams_into_the_page(browser, model_server, app, screenshot):
    server, fake = model_server
    fake.reset()
    pieces = ["Added ", "'Water ", "the ", "plants' ", "as ", "task ", "1."]
    fake.add(Step(tool_calls=[("add_task", json.dumps({"title": "Water the plants"}))]), Step(text=pieces, pause=0.3))
    context = browser.new_context(base_url=server.url)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto("/register")
    page.fill("#email", f"model-{uuid.uuid4().hex[:10]}@example.com")
    page.fill("#password", "correct-horse-1")
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/$"))
    page.wait_for_load_state("load")

    page.locator("#message-input").fill("please add water the plants")
    page.locator("#message-input").press("Enter")
    streaming = page.locator("#messages .message.assistant.streaming")
    # While the model is still writing: the tool's indicator and the first pieces, not the last.
    expect(streaming.locator(".working")).to_have_text("Working: add_task…")
    expect(streaming).to_contain_text("Added 'Water")
    assert "task 1." not in streaming.inner_text()
    # Then the stored message replaces the bubble, and the task panel shows the task.
    expect(page.locator("#messages .streaming")).to_have_count(0)
    expect(page.locator("#messages .message.assistant").last).to_have_text(re.compile("Added 'Water the plants' as task 1."))
    expect(page.locator("#messages .working")).to_have_count(0)
    expect(page.locator("#task-panel .tasks.pending")).to_contain_text("Water the plants")
    assert problems == []
    screenshot(page)
    context.close()
