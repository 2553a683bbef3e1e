"""Importing tasks back: the export's JSON, the tasks CSV, and Todoist's CSV export, through
``POST /api/v1/import``; exporting through ``GET /api/v1/export``."""

from __future__ import annotations

import io
import json
from datetime import datetime
from zoneinfo import ZoneInfo


def test_api_export_answers_the_page_document_of_the_user_only(app, client, auth, chat):
    me, other = auth.register("api-export@example.com"), auth.register("api-export-other@example.com")
    chat(me, "add water plants every monday at 8am #home")
    chat(other, "add secret plan")
    response = client.get("/api/v1/export", headers=me.headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["account"]["email"] == me.email and body["version"] == 1
    assert [t["title"] for t in body["tasks"]] == ["Water plants"]
    assert body["tasks"][0]["recurrence"].startswith("FREQ=WEEKLY")
    assert len(body["conversations"]) == 1 and "secret plan" not in response.get_data(as_text=True)
    assert app.test_client().get("/api/v1/export").status_code == 401


TODOIST = (
    "TYPE,CONTENT,DESCRIPTION,PRIORITY,INDENT,AUTHOR,RESPONSIBLE,DATE,DATE_LANG,TIMEZONE\n"
    "section,Home,,,,,,,,\n"
    "task,Water plants @home @garden,Use the blue can,1,1,Ann (1),,every monday,en,Europe/Berlin\n"
    "task,Send card,,4,1,Ann (1),,2026-12-24,en,Europe/Berlin\n"
    "note,a note on the card,,,,,,,,\n"
    "task,Think it over,,2,2,Ann (1),,when the moon is full,en,Europe/Berlin\n"
    ",,,,,,,,,\n"
)


def _import(client, account, body, mimetype):
    kwargs = {"json": body} if mimetype == "application/json" else {"data": body, "content_type": mimetype}
    return client.post("/api/v1/import", headers=account.headers, **kwargs)


def _tasks(client, account):
    return client.get("/api/v1/export", headers=account.headers).get_json()["tasks"]


def test_an_export_imported_into_a_fresh_account_gives_the_same_tasks_once(client, auth, chat):
    source, target = auth.register("import-src@example.com"), auth.register("import-dst@example.com")
    chat(source, "add water plants every monday at 8am #home")
    chat(source, "add buy milk tomorrow #shop !high")
    chat(source, "add file taxes")
    chat(source, "complete task 3")
    chat(source, "remind me about task 1 tomorrow at 7am")
    exported = client.get("/api/v1/export", headers=source.headers).get_json()
    first = _import(client, target, exported, "application/json")
    assert first.status_code == 200, first.get_json()
    assert first.get_json() == {"added": 3, "skipped": 0}
    again = _import(client, target, exported, "application/json")
    assert again.get_json() == {"added": 0, "skipped": 3}
    fields = ("title", "priority", "due_at", "due_has_time", "tags", "recurrence", "completed", "description")
    imported = _tasks(client, target)
    assert [{k: t[k] for k in fields} for t in imported] == [{k: t[k] for k in fields} for t in exported["tasks"]]
    # The reminders still to come are set again, once.
    moments = [[r["remind_at"] for r in t["reminders"]] for t in imported]
    assert moments == [[r["remind_at"] for r in t["reminders"]] for t in exported["tasks"]]
    assert len(moments[0]) == 1


def test_the_tasks_csv_imports_back_with_its_formula_quotes_removed(client, auth, page_user):
    source = page_user("import-csv@example.com")
    source.send("add buy milk #shop !high")
    source.send("add =HYPERLINK(x) click")
    sheet = source.client.get("/export/tasks.csv").get_data(as_text=True)
    target = auth.register("import-csv-dst@example.com")
    response = _import(client, target, sheet, "text/csv")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"added": 2, "skipped": 0}
    assert _import(client, target, sheet, "text/csv").get_json() == {"added": 0, "skipped": 2}
    tasks = _tasks(client, target)
    assert [t["title"] for t in tasks] == ["Buy milk", "=HYPERLINK(x) click"]
    assert tasks[0]["tags"] == ["shop"] and tasks[0]["priority"] == "high"


def test_todoist_csv_tasks_with_labels_priorities_and_dates(client, auth):
    me = auth.register("todoist@example.com", timezone="Europe/Berlin")
    response = _import(client, me, TODOIST, "text/csv")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"added": 3, "skipped": 0}
    plants, card, think = _tasks(client, me)
    assert (plants["title"], plants["tags"], plants["priority"]) == ("Water plants", ["home", "garden"], "high")
    assert plants["recurrence"] == "FREQ=WEEKLY;BYDAY=MO" and plants["description"] == "Use the blue can"
    assert plants["due_at"] is not None
    due = datetime.fromisoformat(card["due_at"]).astimezone(ZoneInfo("Europe/Berlin"))
    assert (card["title"], card["priority"], due.isoformat()) == ("Send card", "none", "2026-12-24T00:00:00+01:00")
    assert card["due_has_time"] is False
    # A date the reader cannot read stays with the task, in its description.
    assert (think["priority"], think["due_at"]) == ("medium", None)
    assert think["description"] == "Todoist date: when the moon is full"
    assert _import(client, me, TODOIST, "text/csv").get_json() == {"added": 0, "skipped": 3}


def test_a_bad_line_is_a_422_naming_it_and_nothing_is_imported(client, auth, chat):
    me, other = auth.register("import-bad@example.com"), auth.register("import-bad-other@example.com")
    chat(other, "add keep me")
    chat(me, "add already here")
    bad = TODOIST.replace("task,Send card,,4,", "task,Send card,,7,")
    response = _import(client, me, bad, "text/csv")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_file" and "line 4" in error["message"] and "PRIORITY" in error["message"]
    assert error["details"] == [{"line": 4, "reason": error["message"].split(": ", 1)[1]}]
    assert [t["title"] for t in _tasks(client, me)] == ["Already here"]  # line 3's task was rolled back
    blank = "title,priority\nfine,low\n   ,low\n"
    response = _import(client, me, blank, "text/csv")
    assert response.status_code == 422 and response.get_json()["error"]["details"][0]["line"] == 3
    rule = {"tasks": [{"title": "ok"}, {"title": "never", "recurrence": "FREQ=YEARLY;BYSETPOS=4;INTERVAL=788;COUNT=49"}]}
    response = _import(client, me, rule, "application/json")
    assert response.status_code == 422
    assert response.get_json()["error"]["details"][0]["field"] == "tasks.1.recurrence"
    assert "never happens" in response.get_json()["error"]["details"][0]["message"]
    assert [t["title"] for t in _tasks(client, me)] == ["Already here"]
    assert [t["title"] for t in _tasks(client, other)] == ["Keep me"]


def test_files_that_are_not_an_import_are_refused(client, auth):
    me = auth.register("import-odd@example.com")
    assert _import(client, me, "name,age\nann,3\n", "text/csv").status_code == 422
    assert _import(client, me, b"\xff\xfe", "text/csv").status_code == 422
    assert _import(client, me, {"tasks": "none"}, "application/json").status_code == 422
    assert _import(client, me, "x", "text/plain").status_code == 415
    assert _import(client, me, "title\n" + "x\n" * 300_000, "text/csv").status_code == 413
    assert _tasks(client, me) == []


def test_rows_beyond_the_task_limit_are_refused_whole(app, client, auth):
    app.config["TASKCHAT_MAX_TASKS_PER_USER"] = 3
    me = auth.register("import-many@example.com")
    response = _import(client, me, "title\n" + "".join(f"task {n}\n" for n in range(4)), "text/csv")
    assert response.status_code == 422 and "3" in response.get_json()["error"]["message"]
    assert _tasks(client, me) == []


# --- the settings page ------------------------------------------------------------------------


def _upload(user, data: bytes, filename: str, token: str | None = None):
    return user.client.post(
        "/settings/import",
        data={"csrf_token": user.token() if token is None else token, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def test_the_settings_form_imports_a_file_and_says_how_many(page_user):
    source, me = page_user("page-import-src@example.com"), page_user("page-import@example.com")
    source.send("add water plants every monday at 8am #home")
    source.send("add buy milk")
    settings = me.client.get("/settings").get_data(as_text=True)
    assert 'action="/settings/import"' in settings and 'enctype="multipart/form-data"' in settings
    exported = source.client.get("/export.json").get_data()
    response = _upload(me, exported, "taskchat-export.json")
    assert response.status_code == 303 and response.headers["Location"].endswith("/settings#data")
    page = me.client.get("/settings").get_data(as_text=True)
    assert "Imported 2 new tasks; 0 you already had were skipped." in page
    _upload(me, exported, "taskchat-export.json")
    assert "Imported 0 new tasks; 2 you already had were skipped." in me.client.get("/settings").get_data(as_text=True)
    titles = [t["title"] for t in json.loads(me.client.get("/export.json").get_data())["tasks"]]
    assert titles == ["Water plants", "Buy milk"]
    _upload(me, TODOIST.encode(), "todoist.csv")
    assert "Imported 3 new tasks" in me.client.get("/settings").get_data(as_text=True)


def test_the_settings_form_shows_the_bad_line_and_imports_nothing(page_user):
    me = page_user("page-import-bad@example.com")
    _upload(me, b"title,priority\nfine,low\n<b>x</b>,urgent\n", "tasks.csv")
    page = me.client.get("/settings").get_data(as_text=True)
    assert "Nothing was imported. line 3: priority" in page and "<b>x</b>" not in page
    _upload(me, b'{"tasks": [{"title": "a"},\n {"title": }]}', "export.json")
    assert "Nothing was imported. line 2: not valid JSON" in me.client.get("/settings").get_data(as_text=True)
    assert json.loads(me.client.get("/export.json").get_data())["tasks"] == []


def test_the_settings_form_needs_its_form_token(page_user):
    me = page_user("page-import-csrf@example.com")
    response = _upload(me, b"title\nsneaky\n", "tasks.csv", token="wrong")
    assert response.status_code == 403
    assert json.loads(me.client.get("/export.json").get_data())["tasks"] == []
