"""Importing a file from the settings page in chromium against gunicorn, JavaScript on and off:
a plain form, the result or the bad line flashed where the person looks."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.helpers.pages import sign_up, unique_email
from tests.web.test_import import TODOIST

pytestmark = [pytest.mark.browser, pytest.mark.live]

expect.set_options(timeout=15_000)


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_a_todoist_file_is_imported_once_and_a_bad_one_names_its_line(new_context, javascript, tmp_path, screenshot):
    good, bad = tmp_path / "todoist.csv", tmp_path / "bad.csv"
    good.write_text(TODOIST)
    bad.write_text(TODOIST.replace("task,Send card,,4,", "task,Send card,,9,"))
    page = new_context(java_script_enabled=javascript).new_page()
    sign_up(page, unique_email())
    page.goto("/settings")
    for path, expected in ((good, "Imported 3 new tasks; 0 you already had"),
                           (good, "Imported 0 new tasks; 3 you already had"),
                           (bad, "Nothing was imported. line 4: PRIORITY")):
        page.get_by_label("Import tasks from a file").set_input_files(str(path))
        page.get_by_role("button", name="Import", exact=True).click()
        expect(page.locator("#flash")).to_contain_text(expected)
    screenshot(page)
    page.goto("/")
    panel = page.locator("#task-panel .tasks.pending")
    expect(panel).to_contain_text("Water plants")
    expect(panel).to_contain_text("Send card")
    assert page.locator("#task-panel .tasks.pending li", has_text="Water plants").count() == 1
