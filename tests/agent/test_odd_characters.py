"""Characters a database may refuse still get an answer from the agent, never a 500.

The JSON API refuses NUL with a 422 (see tests/test_bad_input.py); the agent itself, which the
page and ChatKit also drive, stores it as U+FFFD rather than failing on PostgreSQL.
"""

from sqlalchemy import select

from taskchat.agent import process_request
from taskchat.extensions import db
from taskchat.models import Message, Task


def test_nul_in_a_message_is_stored_and_answered(app, auth):
    account = auth.register()
    with app.app_context():
        reply = process_request(account.user_id, "add buy\x00milk: note\x00here")
        assert reply.intent == "CREATE"
        task = db.session.scalars(select(Task)).one()
        assert "\x00" not in task.title and "\x00" not in (task.description or "")
        stored = db.session.scalars(select(Message.content).where(Message.role == "user")).one()
        assert stored == "add buy\ufffdmilk: note\ufffdhere"
