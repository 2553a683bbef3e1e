"""Exporting everything of an account from the settings page: JSON, and the tasks as CSV."""

from __future__ import annotations

import csv
import io
import json


def test_page_downloads_json_and_csv(page_user):
    user = page_user("export@example.com")
    user.send("add buy milk #shop !high")
    user.send("add =HYPERLINK(x) click")
    settings = user.client.get("/settings").get_data(as_text=True)
    assert 'href="/export.json"' in settings and 'href="/export/tasks.csv"' in settings
    download = user.client.get("/export.json")
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    assert [t["title"] for t in json.loads(download.get_data(as_text=True))["tasks"]] == ["Buy milk", "=HYPERLINK(x) click"]
    sheet = user.client.get("/export/tasks.csv")
    assert sheet.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(sheet.get_data(as_text=True))))
    assert rows[0]["title"] == "Buy milk" and rows[0]["tags"] == "shop" and rows[0]["priority"] == "high"
    assert rows[1]["title"] == "'=HYPERLINK(x) click"  # never run as a formula by a spreadsheet


def test_page_json_holds_tasks_reminders_rules_and_conversations_of_the_user_only(page_user):
    me, other = page_user("export-me@example.com"), page_user("export-other@example.com")
    me.send("add water plants every monday at 8am #home")
    me.send("remind me about task 1 tomorrow at 7am")
    other.send("add secret plan")
    body = json.loads(me.client.get("/export.json").get_data(as_text=True))
    assert body["version"] == 1 and body["account"]["email"] == me.email
    plants = body["tasks"][0]
    assert plants["title"] == "Water plants" and plants["recurrence"].startswith("FREQ=WEEKLY")
    assert plants["tags"] == ["home"] and len(plants["reminders"]) >= 1
    assert len(body["conversations"]) == 2
    assert [m["role"] for m in body["conversations"][0]["messages"]] == ["user", "assistant"]
    assert "secret plan" not in json.dumps(body)
