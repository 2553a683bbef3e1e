"""A question's answers on the page, through the Flask test client: each answer is a plain form
that posts the answer as the next message (no JavaScript), or streams it with htmx."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from taskchat.extensions import db
from taskchat.models import Task
from tests.helpers.pages import ChoiceForms, conversation_id_from


def tasks(app) -> list[tuple[int, bool]]:
    with app.app_context():
        return [(t.number, t.completed) for t in db.session.scalars(select(Task).order_by(Task.number))]


def ask_which_call(user) -> tuple[str, str]:
    """Two 'call' tasks and an ambiguous 'mark call done'; the conversation id and its page."""
    cid = conversation_id_from(user.send("add call the bank").location)
    user.send("add call the plumber", conversation_id=cid)
    asked = user.send("mark call done", conversation_id=cid)
    assert asked.status_code == 303
    return cid, user.client.get(f"/c/{cid}").get_data(as_text=True)


def test_without_javascript_a_choice_is_a_form_that_answers_the_question(page_user, app):
    user = page_user("choose@example.com")
    cid, page = ask_which_call(user)
    parsed = ChoiceForms(page)
    assert parsed.groups == 1
    forms = parsed.forms
    assert [f.label for f in forms] == ["Call the bank (task 1)", "Call the plumber (task 2)"]
    for form in forms:
        assert form.attrs["method"] == "post" and form.attrs["action"] == "/messages"
        assert form.attrs["hx-post"] == "/messages" and form.attrs["hx-target"] == "#messages"
        assert form.fields["conversation_id"] == cid
        assert form.fields["csrf_token"] == user.token()
    assert [f.fields["message"] for f in forms] == ["task 1", "task 2"]
    # The buttons sit under the asking message, the newest one.
    assert page.rindex('class="message assistant"') < page.index('class="choices"')

    # Press "Call the plumber": the browser posts exactly the form's fields.
    response = user.client.post(forms[1].attrs["action"], data=forms[1].fields)
    assert response.status_code == 303 and conversation_id_from(response.location) == cid
    assert tasks(app) == [(1, False), (2, True)]
    after = user.client.get(f"/c/{cid}").get_data(as_text=True)
    assert "Marked &#39;Call the plumber&#39; (task 2) as complete." in after
    # The question was answered: it stays in the history, without buttons.
    assert "Several tasks match" in after or "Which one should I complete?" in after
    assert ChoiceForms(after).groups == 0


def test_typing_the_answer_still_works_and_expires_the_buttons(page_user, app):
    user = page_user("typed@example.com")
    cid, page = ask_which_call(user)
    assert ChoiceForms(page).groups == 1
    user.send("the first one", conversation_id=cid)
    assert tasks(app) == [(1, True), (2, False)]
    assert ChoiceForms(user.client.get(f"/c/{cid}").get_data(as_text=True)).groups == 0


@pytest.mark.parametrize(("pick", "left"), [(0, []), (1, [(1, False), (2, False)])], ids=["yes", "no"])
def test_bulk_delete_is_confirmed_or_cancelled_with_a_button(page_user, app, pick, left):
    user = page_user(f"bulk-{pick}@example.com")
    cid = conversation_id_from(user.send("add milk").location)
    user.send("add eggs", conversation_id=cid)
    user.send("delete all my tasks", conversation_id=cid)
    forms = ChoiceForms(user.client.get(f"/c/{cid}").get_data(as_text=True)).forms
    assert [(f.label, f.fields["message"]) for f in forms] == [("Yes, delete them", "yes"), ("No, keep them", "no")]
    assert user.client.post("/messages", data=forms[pick].fields).status_code == 303
    assert tasks(app) == left


def test_with_htmx_the_streamed_question_carries_its_buttons(page_user, app):
    user = page_user("streamed@example.com")
    cid = conversation_id_from(user.send("add call the bank").location)
    user.send("add call the plumber", conversation_id=cid)
    body = user.send("mark call done", conversation_id=cid, htmx=True).get_data(as_text=True)
    done = [frame for frame in body.split("\n\n") if 'hx-swap="outerHTML"' in frame and "message assistant" in frame]
    assert len(done) == 1
    forms = ChoiceForms("\n".join(line[6:] for line in done[0].splitlines() if line.startswith("data: "))).forms
    assert [f.fields["message"] for f in forms] == ["task 1", "task 2"]
    assert all(f.fields["conversation_id"] == cid and f.fields["csrf_token"] for f in forms)

    # The button's htmx post is the message box's: the answer streams back.
    answer = user.client.post("/messages", data=forms[0].fields, headers={"HX-Request": "true"})
    assert answer.mimetype == "text/event-stream"
    text = answer.get_data(as_text=True)
    assert "Marked &#39;Call the bank&#39; (task 1) as complete." in re.sub(r"<[^>]+>|\ndata: ", "", text)
    assert tasks(app) == [(1, True), (2, False)]
    assert ChoiceForms(text).groups == 0  # the reply does not ask


def test_answers_are_escaped(page_user, app):
    user = page_user("escape@example.com")
    cid = conversation_id_from(user.send("add call the <b>bank</b>").location)
    user.send("add call the <img src=x onerror=alert(1)> plumber", conversation_id=cid)
    user.send("mark call done", conversation_id=cid)
    page = user.client.get(f"/c/{cid}").get_data(as_text=True)
    choices = page[page.index('class="choices"'):]
    assert "<b>" not in choices and "<img" not in choices
    labels = [f.label for f in ChoiceForms(page).forms]
    assert labels == ["Call the <b>bank</b> (task 1)", "Call the <img src=x onerror=alert(1)> plumber (task 2)"]
