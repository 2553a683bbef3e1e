"""Editing tasks where they are shown: each task's form in the panel, and the panel's filters,
in chromium against gunicorn, with JavaScript on (htmx swaps the panel) and off (plain posts)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.helpers.pages import send, sign_up, unique_email, watch_console

pytestmark = [pytest.mark.browser, pytest.mark.live]

expect.set_options(timeout=15_000)


def submit(page, locator, javascript: bool) -> None:
    if javascript:
        locator.click()
    else:
        with page.expect_navigation():
            locator.click()


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_edit_a_task_in_the_panel_and_the_chat_sees_it(new_context, javascript, screenshot):
    page = new_context(java_script_enabled=javascript).new_page()
    problems = watch_console(page)
    page.on("dialog", lambda dialog: dialog.accept())
    sign_up(page, unique_email())
    send(page, "add buy milk", javascript)
    send(page, "add call mom", javascript)
    if javascript:
        page.evaluate("window.pageMarker = 'still-here'")

    task = page.locator("#task-1")
    task.locator("summary").click()
    form = task.locator("form.task-form")
    # The fields carry the REST API's names.
    for name in ("title", "description", "due_at", "due_time", "priority", "tags", "recurrence"):
        assert form.locator(f"[name={name}]").count() == 1, name
    form.locator("[name=title]").fill("Buy oat milk")
    form.locator("[name=description]").fill("the barista one")
    form.locator("[name=due_at]").fill("2031-05-06")
    form.locator("[name=due_time]").fill("17:30")
    form.locator("[name=priority]").select_option("high")
    form.locator("[name=tags]").fill("shop, #Errands")
    form.locator("[name=recurrence]").select_option("FREQ=WEEKLY")
    submit(page, form.locator("button[type=submit]"), javascript)

    task = page.locator("#task-1")
    expect(task.locator(".task-title")).to_have_text("Buy oat milk")
    expect(task).to_contain_text("the barista one")  # the notes are shown
    expect(task.locator(".due")).to_contain_text("5:30 PM")
    expect(task.locator(".priority")).to_have_text("high")
    expect(task.locator(".tag")).to_have_text(["#shop", "#errands"])
    expect(task.locator(".repeats")).to_contain_text("week")
    expect(task.locator("details.task-edit")).not_to_have_attribute("open", "")

    # The chat sees the change (the panel and the chat share the task service).
    send(page, "show me all my tasks", javascript)
    expect(page.locator("#messages .message.assistant").last).to_contain_text("Buy oat milk")
    # And a change from the chat shows in the panel.
    send(page, "rename task 2 to 'Call dad'", javascript)
    expect(page.locator("#task-2 .task-title")).to_have_text("Call dad")

    # A bad value: refused beside the panel, the task unchanged.
    page.locator("#task-2 summary").click()
    page.locator("#task-2 [name=due_at]").fill("")
    page.locator("#task-2 [name=due_time]").fill("09:00")
    submit(page, page.locator("#task-2 form.task-form button[type=submit]"), javascript)
    error_area = "#panel-error" if javascript else "#flash"
    expect(page.locator(error_area)).to_contain_text("A due time needs a due date.")
    expect(page.locator("#task-2 .due")).to_have_count(0)

    # Delete from the panel (with htmx the refused form is still open; a page load closed it).
    if page.locator("#task-2 details.task-edit[open]").count() == 0:
        page.locator("#task-2 summary").click()
    submit(page, page.locator("#task-2 .task-delete button"), javascript)
    expect(page.locator("#task-2")).to_have_count(0)
    expect(page.locator("#task-panel .tasks.pending li.task")).to_have_count(1)
    if javascript:
        assert page.evaluate("window.pageMarker") == "still-here"
        assert [p for p in problems if "status of 422" not in p] == [], problems
    screenshot(page)


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_panel_filters_today_upcoming_overdue_tag_completed(new_context, javascript, screenshot):
    page = new_context(java_script_enabled=javascript).new_page()
    sign_up(page, unique_email())
    send(page, "add pay rent today #bills", javascript)
    send(page, "add dentist next year", javascript)
    send(page, "add water plants #home", javascript)
    send(page, "add file taxes", javascript)
    send(page, "mark task 4 as complete", javascript)
    # Overdue: a due date in the past, set through the panel's own form.
    page.locator("#task-3 summary").click()
    page.locator("#task-3 [name=due_at]").fill("2020-01-02")
    submit(page, page.locator("#task-3 form.task-form button[type=submit]"), javascript)
    expect(page.locator("#task-3.overdue")).to_have_count(1)

    filters = page.locator("#task-panel .panel-filters")

    def shown() -> list[str]:
        return page.locator("#task-panel .tasks").first.locator(".task-title").all_inner_texts()

    def pick(name: str) -> None:
        submit(page, filters.get_by_role("link", name=name, exact=True), javascript)
        expect(filters.locator("a[aria-current]").first).to_have_text(name)

    pick("Today")
    expect(page.locator("#task-panel .tasks").first.locator(".task-title")).to_have_count(2)
    assert sorted(shown()) == ["Pay rent", "Water plants"]  # due today, and overdue
    pick("Upcoming")
    expect(page.locator("#task-panel .tasks").first.locator(".task-title")).to_have_text(["Dentist"])
    pick("Overdue")
    expect(page.locator("#task-panel .tasks").first.locator(".task-title")).to_have_text(["Water plants"])
    pick("Completed")
    expect(page.locator("#task-panel .tasks").first.locator(".task-title")).to_have_text(["File taxes"])
    pick("All")
    expect(page.locator("#task-panel .tasks.pending .task-title")).to_have_count(3)
    submit(page, filters.get_by_role("link", name="#home"), javascript)
    expect(page.locator("#task-panel .tasks.pending .task-title")).to_have_text(["Water plants"])
    if not javascript:
        expect(page).to_have_url(re.compile(r"tag=home"))
    # A tick inside a filtered panel keeps the filter.
    if javascript:
        page.locator("#task-check-3").check()
    else:
        submit(page, page.locator("#task-3 button[name=set]"), javascript)
    expect(page.locator("#task-panel .tasks.completed .task-title")).to_have_text(["Water plants"])
    expect(filters.locator("a.tag[aria-current]")).to_have_text("#home")
    screenshot(page)
