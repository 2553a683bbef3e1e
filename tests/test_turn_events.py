"""A turn's events and their one cancellation hook: closing them early never loses the turn."""

from __future__ import annotations

from sqlalchemy import select

from taskchat.agent import ReplyStarted, TurnDone, run_turn, start_turn
from taskchat.agent.runner import TurnEvents
from taskchat.extensions import db
from taskchat.models import Message, Task


def replies(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Message.content).where(Message.role == "assistant")))


def test_a_turn_closed_before_it_began_is_run_to_its_end_and_stored(app, auth):
    account = auth.register()
    with app.app_context():
        start = start_turn(account.user_id, "add buy milk")
        events = run_turn(account.user_id, start).before("opening")
        events.close()
        events.close()  # a second close is harmless
    assert replies(app) == ["Added 'Buy milk' (task 1)."]
    with app.app_context():
        assert db.session.scalar(select(Task.title)) == "Buy milk"


def test_a_rule_turn_closed_after_its_first_event_is_stored_already(app, auth):
    account = auth.register()
    with app.app_context():
        start = start_turn(account.user_id, "add buy milk")
        events = run_turn(account.user_id, start)
        first = next(iter(events))
        events.close()
    assert not isinstance(first, TurnDone)
    assert replies(app) == ["Added 'Buy milk' (task 1)."]


def test_before_and_each_keep_the_order_and_the_hook():
    closed = []

    def steps():
        try:
            yield 1
            yield 2
            yield 3
        finally:
            closed.append(True)

    events = TurnEvents(steps()).before("a", "b").each(lambda n: [n, n * 10] if n == 2 else [n])
    assert [next(events) for _ in range(5)] == ["a", "b", 1, 2, 20]
    events.close()
    assert closed == [True]


def test_a_surface_event_can_come_before_the_reply_is_announced(app, auth):
    account = auth.register()
    with app.app_context():
        start = start_turn(account.user_id, "add buy milk")
        seen = list(
            run_turn(account.user_id, start).each(
                lambda event: ["before reply", event] if isinstance(event, ReplyStarted) else [event]
            )
        )
    position = seen.index("before reply")
    assert isinstance(seen[position + 1], ReplyStarted) and isinstance(seen[-1], TurnDone)
