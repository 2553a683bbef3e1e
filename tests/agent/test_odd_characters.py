"""Characters a database may refuse still get an answer, never a 500."""

from sqlalchemy import select

from taskchat.extensions import db
from taskchat.models import Message, Task


def test_nul_in_a_chat_message_is_stored_and_answered(app, auth, chat):
    account = auth.register()
    reply = chat(account, "add buy\x00milk: note\x00here")
    assert reply["metadata"]["intent"] == "CREATE"
    with app.app_context():
        task = db.session.scalars(select(Task)).one()
        assert "\x00" not in task.title and "\x00" not in (task.description or "")
        stored = db.session.scalars(select(Message.content).where(Message.role == "user")).one()
        assert stored == "add buy\ufffdmilk: note\ufffdhere"
