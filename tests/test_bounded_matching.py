"""Which task a message means is found in bounded time, and not while holding the write lock.

"complete z z z …" (4 000 characters) against 100 titles "b b b …" compared every word with
every word, twice, for 33 s inside the turn's write transaction: on SQLite every other
writer (another user adding a task) waited for it. Now query and title words are
de-duplicated and capped, a reference longer than ``MAX_REFERENCE_CHARS`` is matched only
exactly, references are resolved before the write transaction, and an account holds at most
``TASKCHAT_MAX_TASKS_PER_USER`` tasks.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import event, func, select

from taskchat.agent.matching import MAX_REFERENCE_CHARS, MAX_WORDS, content_lemmas, match_title
from taskchat.agent.task_fields import _QUOTED, quoted_spans
from taskchat.extensions import db
from taskchat.models import Task

LONG_TITLE = ("Write the annual report for the board and send it to every member " * 4).strip()


def make_tasks(client, account, *titles):
    for title in titles:
        response = client.post("/api/v1/tasks", json={"title": title}, headers=account.headers)
        assert response.status_code == 201, response.get_json()


def test_references_are_matched_before_the_write_transaction(app, client, auth, chat):
    """The tasks a reference is matched against are read before the turn's write block
    begins (that block is where the write lock is held)."""
    account = auth.register()
    make_tasks(client, account, "Buy milk", "Call mom")
    reads: list[bool] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and " tasks" in statement:
            reads.append(bool(db.session().info.get("writing")))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        reply = chat(account, "complete the milk")
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert reply["metadata"]["intent"] == "COMPLETE"
    assert "Buy milk" in reply["response"]
    assert reads and reads[0] is False, reads


def test_a_long_reference_is_matched_only_exactly():
    """Past ``MAX_REFERENCE_CHARS`` no fuzz: the exact title still finds its task."""
    assert len(LONG_TITLE) > MAX_REFERENCE_CHARS
    titles = {1: LONG_TITLE, 2: "Call mom"}
    typo = LONG_TITLE.replace("annual", "anual", 1)
    assert match_title(typo, titles) == []
    assert match_title(LONG_TITLE.upper(), titles) == [1]
    short = {1: "Write the annual report", 2: "Call mom"}
    assert match_title("write the anual report", short) == [1]


def test_words_are_counted_once_and_capped():
    assert content_lemmas("milk milk milk bought bought") == ["milk", "buy"]
    many = " ".join(f"word{i}" for i in range(MAX_WORDS * 3))
    assert len(content_lemmas(many)) == MAX_WORDS


def test_the_reported_turn_answers(client, auth, chat):
    """The reported messages against the reported tasks: an answer, no task changed."""
    account = auth.register()
    make_tasks(client, account, *[("b " * 250)[:499]] * 100)
    reply = chat(account, "complete " + "z " * 1995)
    assert reply["metadata"]["intent"] in {"COMPLETE", "UNKNOWN", "CLARIFY"}
    tasks = client.get("/api/v1/tasks?status=completed", headers=account.headers).get_json()["tasks"]
    assert tasks == []


# ---------------------------------------------------------------- the quota


@pytest.fixture
def small_quota(app):
    app.config["TASKCHAT_MAX_TASKS_PER_USER"] = 3
    return 3


def count_tasks(app, user_id: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Task).where(Task.user_id == user_id))


def test_the_quota_is_a_clear_422_on_rest(app, client, auth, small_quota):
    account, other = auth.register(), auth.register()
    make_tasks(client, account, "one", "two", "three")
    response = client.post("/api/v1/tasks", json={"title": "four"}, headers=account.headers)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "task_limit_reached"
    assert "3" in error["message"]
    assert count_tasks(app, account.user_id) == 3
    make_tasks(client, other, "someone else's first")  # the limit is per user
    client.delete("/api/v1/tasks/2", headers=account.headers)
    make_tasks(client, account, "four, now there is room")
    assert count_tasks(app, account.user_id) == 3


def test_the_quota_is_a_clear_reply_in_chat(app, client, auth, chat, small_quota):
    account = auth.register()
    make_tasks(client, account, "one", "two", "three")
    reply = chat(account, "add buy milk")
    assert "as many as one account can hold" in reply["response"]
    assert reply["metadata"]["tool_calls"][0]["status"] == "error"
    assert count_tasks(app, account.user_id) == 3
    reply = chat(account, "add tasks: eggs, bread")
    assert "as many as one account can hold" in reply["response"]
    assert count_tasks(app, account.user_id) == 3


def test_the_quota_is_a_setting(monkeypatch):
    from taskchat import create_app

    monkeypatch.setenv("TASKCHAT_MAX_TASKS_PER_USER", "25")
    assert create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["TASKCHAT_MAX_TASKS_PER_USER"] == 25
    monkeypatch.delenv("TASKCHAT_MAX_TASKS_PER_USER")
    assert create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["TASKCHAT_MAX_TASKS_PER_USER"] == 10_000


QUOTE_TEXT = st.text(st.sampled_from(list("ab '\"“”‘’ .,!?;:)([]\n")), max_size=24)


@settings(max_examples=3000, deadline=None)
@given(text=QUOTE_TEXT)
def test_quoted_spans_finds_what_the_quote_pattern_finds(text):
    """The one-pass finder gives exactly the pattern's own matches (quotes under the length cap)."""
    found = [(m.span(), m.group("open"), m.group("q"), m.group("close")) for m in quoted_spans(text)]
    assert found == [(m.span(), m.group("open"), m.group("q"), m.group("close")) for m in _QUOTED.finditer(text)]

