"""How many SQL statements each kind of turn costs, auth included (a count, not a timing).

BEGIN, COMMIT, ROLLBACK, SAVEPOINT and RELEASE are transaction control, not work, and are not
counted. The budgets hold a turn to its real work: it must not re-read rows it already holds
(each re-read is a round trip to the database on every turn).
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event

from taskchat import create_app
from taskchat.extensions import db
from taskchat.rate_limit_storage import storage_uri
from tests.helpers.app import release
from tests.helpers.chatkit import IGNORE_WIDGET_DEPRECATION, ChatKitClient

CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@contextmanager
def counting(app):
    """Collect the statements the app's engine executes inside the block."""
    statements: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _executemany):
        if not statement.lstrip().upper().startswith(CONTROL):
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _chat(client, account, message, conversation_id=None):
    response = client.post(
        "/api/v1/chat", json={"message": message, "conversation_id": conversation_id}, headers=account.headers
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.fixture(params=[False, True], ids=["limits-off", "limits-on"])
def app(request, database_url, _schema, tmp_path):
    """The budgets hold as the tests run (rate limits off) and as production runs (limits on:
    the limiter verifies the token for its key before the view does, and reads nothing more)."""
    app = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "RATELIMIT_ENABLED": request.param,
            # counters of this test alone: the default file under instance/ outlives the run,
            # and a second run within the minute would meet the sign-up limit
            "RATELIMIT_STORAGE_URI": storage_uri(str(tmp_path / "rate-limits.sqlite3")),
        }
    )
    app.instance_path = str(tmp_path / "instance")
    yield app
    release(app)


@pytest.mark.parametrize(
    ("message", "budget"),
    [("add buy milk tomorrow", 7), ("show my tasks", 6)],
    ids=["add-task", "list"],
)
def test_chat_turn_in_a_conversation(app, client, auth, message, budget):
    account = auth.register()
    conversation_id = _chat(client, account, "add call mom")["conversation_id"]
    with counting(app) as statements:
        body = _chat(client, account, message, conversation_id)
    assert body["metadata"]["tool_calls"][0]["status"] == "success"
    assert len(statements) <= budget, "\n".join(statements)


@IGNORE_WIDGET_DEPRECATION
def test_chatkit_add_user_message_add_task(app, client, auth):
    kit = ChatKitClient(client, auth.register())
    thread_id, _ = kit.create("add call mom")
    with counting(app) as statements:
        stream = kit.say(thread_id, "add buy milk tomorrow")
    assert stream.types[-1] == "thread.item.done"
    assert "Buy milk" in stream.text()
    assert len(statements) <= 7, "\n".join(statements)
