"""A reminder that came due is a ChatKit ``notice`` event at the start of the next reply (every
frame checked against the openai-chatkit types), once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from taskchat import delivery
from tests.chatkit.conftest import IGNORE_WIDGET_DEPRECATION, ChatKitClient


@IGNORE_WIDGET_DEPRECATION
def test_a_due_reminder_is_a_notice_on_the_next_reply(app, client, auth):
    me = auth.register()
    kit = ChatKitClient(client, me)
    thread_id, _ = kit.create("add call mom")
    due = datetime.now(UTC) + timedelta(minutes=5)
    client.patch("/api/v1/tasks/1", json={"due_at": due.isoformat()}, headers=me.headers)
    client.post("/api/v1/tasks/1/reminders", json={"before_due_minutes": 0}, headers=me.headers)
    with app.app_context():
        delivery.deliver_due(lambda: due + timedelta(seconds=1))
    stream = kit.say(thread_id, "what's pending?")
    notices = [event for event in stream.events if event.type == "notice"]
    assert [(n.title, n.level) for n in notices] == [("Reminder", "info")]
    assert "Call mom" in notices[0].message
    assert stream.types.index("notice") < stream.types.index("thread.item.added")
    again = kit.say(thread_id, "what's pending?")
    assert "notice" not in again.types  # shown once
    assert client.get("/api/v1/notifications", headers=me.headers).get_json()["unread"] == 0
