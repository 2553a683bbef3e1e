"""Importing tasks back: the export's JSON, the tasks CSV, and Todoist's CSV export, through
``POST /api/v1/import``; exporting through ``GET /api/v1/export``."""

from __future__ import annotations


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
