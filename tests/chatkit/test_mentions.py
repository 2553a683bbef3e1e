"""@-mentions of tasks: a user message's ``input_tag`` with ``data.number`` refers to exactly
that task; replies carry the tasks they name as entity annotations."""

from __future__ import annotations

from sqlalchemy import select

from taskchat.extensions import db
from taskchat.models import Message, Task
from tests.helpers.chatkit import IGNORE_WIDGET_DEPRECATION

pytestmark = IGNORE_WIDGET_DEPRECATION


def mention(thread_id, before, number, title, after):
    tag = {"type": "input_tag", "id": f"task-{number}", "text": f"{title} (task {number})",
           "data": {"number": number}, "interactive": False}
    content = [{"type": "input_text", "text": before}, tag, {"type": "input_text", "text": after}]
    return {"type": "threads.add_user_message",
            "params": {"thread_id": thread_id, "input": {"content": content, "attachments": [], "inference_options": {}}}}


def two_dentists(chatkit):
    thread_id, _ = chatkit.create("add dentist appointment")
    chatkit.say(thread_id, "add dentist bill")
    return thread_id


def due_dates(app):
    with app.app_context():
        return {t.number: t.due_at for t in db.session.scalars(select(Task))}


def test_a_tagged_task_is_exactly_that_task(app, chatkit):
    thread_id = two_dentists(chatkit)
    # typed, the words fit both tasks: the agent asks which
    asked = chatkit.say(thread_id, "move dentist to friday")
    assert "which" in asked.text().lower()
    assert due_dates(app) == {1: None, 2: None}

    stream = chatkit.stream(mention(thread_id, "move ", 2, "Dentist bill", " to friday"))
    assert "error" not in stream.types, stream.raw
    dues = due_dates(app)
    assert dues[1] is None and dues[2] is not None and dues[2].weekday() in (3, 4)  # Friday (UTC midnight ±)
    assert "Dentist bill" in stream.text() and "which" not in stream.text().lower()
    # the reply names the task as an entity the client can link
    done = [item for item in stream.done_items() if item.type == "assistant_message"][0]
    [annotation] = done.content[0].annotations
    assert annotation.source.type == "entity" and annotation.source.id == "task-2"
    assert annotation.source.data == {"number": 2} and annotation.source.title == "Dentist bill"
    # stored: the message as the agent read it, and the annotations when the thread loads
    with app.app_context():
        said = db.session.scalars(select(Message.content).where(Message.role == "user").order_by(Message.id.desc())).first()
    assert said == "move task 2 to friday"
    stored = [item for item in chatkit.items(thread_id).data if item.id == done.id][0]
    assert [a.source.id for a in stored.content[0].annotations] == ["task-2"]


def test_a_tag_without_a_task_number_is_its_text(app, chatkit):
    thread_id, _ = chatkit.create("add milk")
    body = mention(thread_id, "add ", 1, "eggs", "")
    body["params"]["input"]["content"][1]["data"] = {"kind": "food"}
    body["params"]["input"]["content"][1]["text"] = "eggs"
    stream = chatkit.stream(body)
    assert stream.text() == "Added 'Eggs' (task 2)."


def test_a_listing_names_each_task_once(chatkit):
    thread_id = two_dentists(chatkit)
    stream = chatkit.say(thread_id, "show my tasks")
    done = [item for item in stream.done_items() if item.type == "assistant_message"][0]
    assert [a.source.id for a in done.content[0].annotations] == ["task-1", "task-2"]
