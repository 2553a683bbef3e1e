"""Every question the agent asks that has discrete answers offers them as choices, and sending
a choice's ``reply`` as the next message picks it (a button and typing are one path)."""

from __future__ import annotations

from sqlalchemy import select

from taskchat.agent import process_request
from taskchat.extensions import db
from taskchat.models import Task

from .conftest import seed_user


def ask_then_pick(tasks: list, first: str, pick: int):
    seeded = seed_user({"tasks": tasks})
    asked = process_request(seeded.user.id, first, now=seeded.now)
    assert asked.intent == "CLARIFY", asked.response
    assert asked.choices, asked.response
    answer = process_request(seeded.user.id, asked.choices[pick].reply, asked.conversation_id, now=seeded.now)
    db.session.expire_all()
    left = {task.number: task for task in db.session.scalars(select(Task).where(Task.user_id == seeded.user.id))}
    return asked, answer, left


def test_which_task_offers_the_matching_tasks(agent_app):
    asked, answer, left = ask_then_pick(["Call mom", "Call dad", "Gym"], "delete the call task", 1)
    assert [choice.label for choice in asked.choices] == ["Call mom (task 1)", "Call dad (task 2)"]
    assert answer.intent == "DELETE" and sorted(left) == [1, 3]


def test_a_bare_verb_offers_the_open_tasks(agent_app):
    asked, answer, left = ask_then_pick(["A", {"title": "B", "done": True}, "C"], "complete", 1)
    assert [choice.reply for choice in asked.choices] == ["task 1", "task 3"]
    assert answer.intent == "COMPLETE" and left[3].completed and not left[1].completed


def test_a_done_statement_that_fits_two_tasks_offers_both(agent_app):
    asked, answer, left = ask_then_pick(["Wash the car", "Wash the dog", "Gym"], "I washed up", 0)
    assert len(asked.choices) == 2
    assert answer.intent == "COMPLETE" and left[1].completed and not left[2].completed


def test_a_due_shift_without_a_task_asks_which_and_keeps_the_amount(agent_app):
    asked, answer, left = ask_then_pick(["A", {"title": "B", "due": "2026-12-03"}], "push it out two days", 1)
    assert answer.intent == "UPDATE" and left[2].due_at.day == 5


def test_bulk_delete_offers_yes_and_no(agent_app):
    asked, answer, left = ask_then_pick(["A", "B"], "clear my to-do list", 1)
    assert [choice.reply for choice in asked.choices] == ["yes", "no"]
    assert answer.intent == "DELETE" and sorted(left) == [1, 2]
    asked, answer, left = ask_then_pick(["A", "B"], "blank out my list", 0)
    assert left == {}


def test_something_that_may_be_a_task_offers_to_add_it(agent_app):
    seeded = seed_user({})
    asked = process_request(seeded.user.id, "dentist next week maybe", now=seeded.now)
    assert [choice.reply for choice in asked.choices] == ["add dentist next week maybe"]
    added = process_request(seeded.user.id, asked.choices[0].reply, asked.conversation_id, now=seeded.now)
    assert added.intent == "CREATE"
