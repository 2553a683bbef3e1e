"""Questions as ChatKit structured input: a client that says it takes structured input
(request metadata) gets the question as a ``StructuredInputItem`` and answers it with
``threads.add_structured_input``; others keep the answer buttons."""

from __future__ import annotations

from sqlalchemy import func, select

from taskchat.extensions import db
from taskchat.models import Message, Task
from tests.helpers.chatkit import IGNORE_WIDGET_DEPRECATION, ITEM_PAGE, THREAD, user_input

pytestmark = IGNORE_WIDGET_DEPRECATION

STRUCTURED = {"structured_input": True}


def say(chatkit, thread_id, text):
    return chatkit.stream({"type": "threads.add_user_message", "metadata": STRUCTURED,
                           "params": {"thread_id": thread_id, "input": user_input(text)}})


def ask(chatkit):
    thread_id, _ = chatkit.create("add call the bank")
    chatkit.say(thread_id, "add call the plumber")
    stream = say(chatkit, thread_id, "mark call done")
    done = stream.done_items()
    assert [item.type for item in done] == ["user_message", "assistant_message", "structured_input"]
    return thread_id, done[2]


def answer(thread_id, item_id, values, status="answered"):
    return {"type": "threads.add_structured_input", "metadata": STRUCTURED,
            "params": {"thread_id": thread_id, "item_id": item_id,
                       "input": {"status": status, "answers": {"answer": {"values": values}}}}}


def tasks(app):
    with app.app_context():
        return [(t.number, t.completed) for t in db.session.scalars(select(Task).order_by(Task.number))]


def message_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Message.id)))


def test_a_question_is_structured_input_and_an_option_answers_it(app, chatkit):
    thread_id, question = ask(chatkit)
    assert question.id.startswith("inp_") and question.status == "pending"
    [asked] = question.inputs
    assert asked.type == "multiple_choice" and asked.question == "Which one should I complete?"
    labels = [option.value for option in asked.options]
    assert len(labels) == 2 and all("task" in label for label in labels)
    # the stored thread draws it the same way for this client, and as buttons for others
    assert chatkit.json({"type": "items.list", "metadata": STRUCTURED, "params": {"thread_id": thread_id}},
                        ITEM_PAGE).data[0].id == question.id
    assert chatkit.items(thread_id).data[0].type == "widget"

    plumber = [label for label in labels if "plumber" in label.lower()][0]
    stream = chatkit.stream(answer(thread_id, question.id, [plumber]))
    assert stream.types[0] == "thread.item.replaced"
    closed = stream.events[0].item
    assert closed.id == question.id and closed.status == "answered"
    assert closed.inputs[0].answer.values == [plumber]
    assert stream.events[1].type == "thread.item.done" and stream.events[1].item.type == "user_message"
    assert stream.text() == "Marked 'Call the plumber' (task 2) as complete."
    assert tasks(app) == [(1, False), (2, True)]
    # loaded again, the question is drawn answered, with its answer
    page = chatkit.json({"type": "threads.get_by_id", "metadata": STRUCTURED, "params": {"thread_id": thread_id}},
                        THREAD)
    stored = [item for item in page.items.data if item.id == question.id][0]
    assert stored.status == "answered" and stored.inputs[0].answer.values == [plumber]


def test_an_answer_of_ones_own_is_the_users_message(app, chatkit):
    thread_id, question = ask(chatkit)
    stream = chatkit.stream(answer(thread_id, question.id, ["the first one"]))
    assert stream.events[0].item.inputs[0].answer.values == ["the first one"]
    assert stream.events[1].item.content[0].text == "the first one"
    assert tasks(app) == [(1, True), (2, False)]


def test_a_question_answered_by_typing_is_closed(app, chatkit):
    thread_id, question = ask(chatkit)
    say(chatkit, thread_id, "task 2")  # typed instead (or on another surface)
    stored = [item for item in chatkit.json(
        {"type": "items.list", "metadata": STRUCTURED, "params": {"thread_id": thread_id, "limit": 50}},
        ITEM_PAGE).data if item.id == question.id][0]
    assert stored.status == "answered" and stored.inputs[0].answer.values[0].lower().count("plumber") == 1
    before = message_count(app)
    late = chatkit.stream(answer(thread_id, question.id, ["task 1"]))
    assert late.types == ["thread.item.replaced", "error"]
    assert late.events[0].item.status == "answered" and late.events[1].allow_retry is False
    assert message_count(app) == before and tasks(app) == [(1, False), (2, True)]


def test_skipping_and_wrong_items_are_refused(app, chatkit):
    thread_id, question = ask(chatkit)
    before = message_count(app)
    skipped = chatkit.send(answer(thread_id, question.id, [], status="skipped"))
    assert skipped.status_code == 422
    not_a_question = chatkit.items(thread_id).data[-1].id  # the first user message
    assert chatkit.send(answer(thread_id, not_a_question, ["x"])).status_code == 404
    msg_id = question.id.replace("inp_", "msg_")
    assert chatkit.send(answer(thread_id, msg_id, ["x"])).status_code == 404
    list_thread, _ = chatkit.create("add milk")
    card = [i for i in chatkit.say(list_thread, "show my tasks").done_items() if i.type == "widget"][0]
    refused = chatkit.send(answer(list_thread, card.id.replace("wdg_", "inp_"), ["x"]))
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "not_a_question"
    assert message_count(app) == before + 4 and tasks(app)[:2] == [(1, False), (2, False)]
