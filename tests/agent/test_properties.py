"""Whatever anyone types, in any script, the agent answers and never raises."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taskchat.agent import process_request
from taskchat.agent.dates import find_due
from taskchat.agent.parser import INTENTS, ParseContext, parse_intent
from taskchat.extensions import db
from taskchat.models import User

# Text from every Unicode category (surrogates aside), plus the words the rules look for,
# so that generated messages reach deep into the rules rather than all being UNKNOWN.
WORDS = st.sampled_from(
    [
        "add", "task", "tasks:", "delete", "mark", "done", "it", "the", "second", "one", "#2", "2",
        "tomorrow", "at", "5pm", "17:30", "next", "friday", "!high", "p1", "#work", "'", '"', ":",
        "every", "week", "rename", "to", "move", "show", "pending", "find", "yes", "no", "Dec",
        "12/5", "2026-02-30", "in", "3", "days", "note", "with", "v1.1.1", "bob@example.com", "hi",
    ]
)
MESSAGES = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=200),
    st.lists(st.one_of(WORDS, st.text(max_size=8)), max_size=14).map(" ".join),
)
STATES = st.one_of(
    st.just({}),
    st.fixed_dictionaries(
        {
            "last_tasks": st.lists(st.integers(1, 50), max_size=4),
            "pending": st.one_of(
                st.none(),
                st.fixed_dictionaries(
                    {
                        "intent": st.sampled_from(["COMPLETE", "DELETE", "UPDATE", "UNCOMPLETE"]),
                        "args": st.just({}),
                        "candidates": st.lists(st.integers(1, 50), max_size=4),
                        "titles": st.lists(st.text(max_size=20), max_size=4),
                    }
                ),
            ),
            "confirm": st.one_of(st.none(), st.just({"scope": "all", "numbers": [1, 2]})),
        }
    ),
)
ZONES = st.sampled_from(["UTC", "America/New_York", "Asia/Kolkata", "Pacific/Chatham", "Europe/Berlin"])
NOWS = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 12, 31)).map(
    lambda value: value.replace(tzinfo=UTC)
)


@settings(max_examples=300, deadline=None)
@given(text=MESSAGES, state=STATES, zone=ZONES, now=NOWS)
def test_parser_never_raises(text, state, zone, now):
    parsed = parse_intent(text, ParseContext(now=now, tz=ZoneInfo(zone), state=state))
    assert parsed.intent in INTENTS
    assert all(isinstance(item.get("title"), str) and item["title"] for item in parsed.items)


@settings(max_examples=300, deadline=None)
@given(text=MESSAGES, zone=ZONES, now=NOWS)
def test_dates_never_raise_and_point_inside_the_text(text, zone, now):
    found = find_due(text, now, ZoneInfo(zone))
    assert all(0 <= start <= end <= len(text) for start, end in found.spans)
    if found.due is not None:
        assert found.due.at.tzinfo is not None
        # "in 3 years" at most, give or take: nothing absurd comes out of stray digits.
        assert abs(found.due.at - now) < timedelta(days=366 * 80)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(texts=st.lists(MESSAGES.filter(lambda t: t.strip() and "\x00" not in t), min_size=1, max_size=3))
def test_agent_always_replies(agent_app, texts):
    user = User(email=f"{uuid.uuid4().hex}@example.com", timezone="Europe/Berlin", password_hash="x")
    db.session.add(user)
    db.session.commit()
    conversation_id = None
    for text in texts:
        reply = process_request(user.id, text, conversation_id, now=datetime(2026, 12, 1, 9, tzinfo=UTC))
        conversation_id = reply.conversation_id
        assert reply.response.strip()
        assert reply.intent in INTENTS


ADVERSARIAL = [
    "mark " + "1 and " * 660 + "done",
    "delete " + "#2 " * 1300,
    "add " + "#work and " * 390,
    "add " + "task " * 790,
    "task 1 is " + "tasks : " * 495,
    "delete " + ", " * 1990,
    "add '" + "a'" * 1990,
    "rename " + "x to " * 790,
    "add " + "at 5 " * 790,
    "update " + "task " * 790,
    "add " + "1 due " * 660,
]


def test_long_adversarial_messages_stay_fast():
    """Nested quantifiers once made "mark 1 and 1 and … done" take minutes (exponential
    backtracking); the API allows 4000 characters, so each of these must stay far below that (they take milliseconds)."""
    import time

    parse_intent("warm up: add x due in a fortnight")  # the lazy dateparser import is not the parser's cost
    for text in ADVERSARIAL:
        assert len(text) <= 4000
        started = time.perf_counter()
        parse_intent(text, ParseContext(now=datetime(2026, 12, 1, 10, tzinfo=UTC)))
        assert time.perf_counter() - started < 2.0, text[:40]
