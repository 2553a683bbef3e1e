"""The intent suite: what people type → the intent answered and the tasks left behind.

Each case in ``intent_cases/*.jsonl`` runs through the real agent (``process_request``)
against the real database, with a frozen "now" and the user's time zone. The expected
result is *state*: which tasks were created (with every field — a created task's unstated
fields must be empty, so a date left in a title or read out of "monitor" fails), which
starting tasks changed and how (everything else must be untouched), which were deleted.

Case keys: ``say`` (a message or a list of messages in one conversation), ``tasks``
(starting tasks: titles or objects with title/done/priority/due/tags/description/recurrence),
``now`` and ``tz``, ``intent`` (of the last reply) or ``intents`` (one per message),
``created``, ``changed`` ({number: {field: value}}), ``deleted``, ``listed`` (task numbers
shown by the last reply, in order) and ``reply_has`` (text the last reply contains).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from taskchat.agent import process_request
from taskchat.extensions import db
from taskchat.models import Task

from .conftest import due_value, load_cases, seed_user

CASES = load_cases()
CREATED_DEFAULTS = {"due": None, "priority": "none", "tags": [], "description": None, "recurrence": None, "completed": False}


def snapshot(user_id: str) -> dict[int, dict[str, Any]]:
    db.session.expire_all()
    tasks = db.session.scalars(select(Task).where(Task.user_id == user_id).order_by(Task.number))
    return {
        task.number: {
            "title": task.title,
            "description": task.description,
            "priority": task.priority,
            "tags": list(task.tags or []),
            "recurrence": task.recurrence,
            "completed": task.completed,
            "due_at": task.due_at,
            "due_has_time": task.due_has_time,
        }
        for task in tasks
    }


def expected_fields(spec: dict[str, Any], tz) -> dict[str, Any]:
    """A case's field spec in snapshot terms ('due' becomes due_at + due_has_time)."""
    fields = dict(spec)
    if "done" in fields:
        fields["completed"] = fields.pop("done")
    if "due" in fields:
        due = fields.pop("due")
        if due is None:
            fields["due_at"], fields["due_has_time"] = None, False
        else:
            fields["due_at"], fields["due_has_time"] = due_value(due, tz)
    return fields


def check_fields(actual: dict[str, Any], wanted: dict[str, Any], label: str) -> None:
    for name, value in wanted.items():
        got = actual[name]
        assert got == value, f"{label}: {name} is {got!r}, expected {value!r}"


def check_case(case: dict[str, Any]) -> None:
    """Run one case through the real agent; an ``AssertionError`` says what came out wrong."""
    seeded = seed_user(case)
    before = snapshot(seeded.user.id)
    messages = case["say"] if isinstance(case["say"], list) else [case["say"]]
    conversation_id = None
    replies = []
    for message in messages:
        reply = process_request(seeded.user.id, message, conversation_id, now=seeded.now)
        conversation_id = reply.conversation_id
        replies.append(reply)
    after = snapshot(seeded.user.id)
    last = replies[-1]
    trail = " | ".join(f"{r.intent}: {r.response}" for r in replies)

    if "intents" in case:
        assert [r.intent for r in replies] == case["intents"], trail
    if "intent" in case:
        assert last.intent == case["intent"], trail

    created = [number for number in after if number not in before]
    wanted_created = case.get("created", [])
    assert len(created) == len(wanted_created), f"created {[after[n]['title'] for n in created]}; {trail}"
    for number, spec in zip(created, wanted_created, strict=True):
        check_fields(after[number], expected_fields({**CREATED_DEFAULTS, **spec}, seeded.tz), f"new task {number}")

    deleted = sorted(number for number in before if number not in after)
    assert deleted == sorted(case.get("deleted", [])), trail

    changed = {int(number): spec for number, spec in case.get("changed", {}).items()}
    for number in after:
        if number not in before:
            continue
        wanted = {**before[number], **expected_fields(changed.get(number, {}), seeded.tz)}
        check_fields(after[number], wanted, f"task {number}")
        if number in changed:
            assert after[number] != before[number], f"task {number} did not change; {trail}"

    if "listed" in case:
        shown = [task["number"] for task in (last.display.tasks if last.display else [])]
        assert shown == case["listed"], trail
    for text in [case["reply_has"]] if isinstance(case.get("reply_has"), str) else case.get("reply_has", []):
        assert text in last.response, trail
    assert last.response.strip()


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_intent_case(agent_app, case):
    check_case(case)
