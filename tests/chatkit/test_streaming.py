"""How streams behave: heartbeats while idle, pacing, errors after the stream began,
and a turn that outlives its reader."""

from __future__ import annotations

import threading
import time
from zoneinfo import ZoneInfo

from sqlalchemy import select

from taskchat import sse
from taskchat.agent.replies import HELP_TEXT
from taskchat.chatkit.protocol import ck
from taskchat.chatkit.responder import ERROR_FRAME, ChatKitEncoder
from taskchat.extensions import db
from taskchat.models import Message
from tests.helpers.chatkit import EVENT, IGNORE_WIDGET_DEPRECATION, conversation_uuid, parse_sse

pytestmark = IGNORE_WIDGET_DEPRECATION


def slow_events():
    yield ck.StreamOptionsEvent(stream_options=ck.StreamOptions(allow_cancel=False))
    time.sleep(0.5)  # a busy turn (a slow model, say)
    yield ck.NoticeEvent(level="info", message="done")


def failing_events():
    yield ck.StreamOptionsEvent(stream_options=ck.StreamOptions(allow_cancel=False))
    raise RuntimeError("the model fell over")


def encode(events, app, heartbeat_seconds):
    """The pipeline as a slow backend's turn uses it: driven in a worker thread."""
    encoder = ChatKitEncoder(ZoneInfo("UTC"))
    return list(sse.frames(events, encoder, ERROR_FRAME, heartbeat_seconds=heartbeat_seconds, app=app))


def test_comment_heartbeats_while_the_turn_is_busy(app):
    frames = encode(slow_events(), app, heartbeat_seconds=0.1)
    payloads, comments = parse_sse("".join(frames))
    assert [EVENT.validate_json(p).type for p in payloads] == ["stream_options", "notice"]
    assert len(comments) >= 1 and all(c == ": keep-alive" for c in comments)
    assert frames[0].startswith("data: ")  # the first frame went out before any wait


def test_an_exception_after_the_stream_began_is_an_error_event(app, caplog):
    frames = encode(failing_events(), app, heartbeat_seconds=5)
    payloads, _ = parse_sse("".join(frames))
    events = [EVENT.validate_json(p) for p in payloads]
    assert [e.type for e in events] == ["stream_options", "error"]
    assert events[1].code == "stream.error" and events[1].allow_retry is True
    assert "the model fell over" in caplog.text


def test_a_failure_inside_the_request_thread_is_an_error_event_too(app, caplog):
    frames = list(sse.frames(failing_events(), ChatKitEncoder(ZoneInfo("UTC")), ERROR_FRAME))
    payloads, _ = parse_sse("".join(frames))
    assert [EVENT.validate_json(p).type for p in payloads] == ["stream_options", "error"]
    assert "the model fell over" in caplog.text


def test_in_background_yields_in_order_and_reraises(app):
    assert list(sse.in_background(iter([1, 2, 3]), app, heartbeat_seconds=5)) == [1, 2, 3]

    def broken():
        yield 1
        raise KeyError("boom")

    reader = sse.in_background(broken(), app, heartbeat_seconds=5)
    assert next(reader) == 1
    try:
        next(reader)
    except KeyError as exc:
        assert "boom" in str(exc)
    else:
        raise AssertionError("the worker's exception was not re-raised")


def test_words_are_paced_by_the_configured_delay(app, client, auth):
    from tests.helpers.chatkit import ChatKitClient, user_input

    kit = ChatKitClient(client, auth.register())
    app.config["TASKCHAT_STREAM_DELAY_MS"] = 15
    started = time.perf_counter()
    response = kit.send({"type": "threads.create", "params": {"input": user_input("help")}})
    first = next(response.response)
    first_at = time.perf_counter() - started
    rest = b"".join(response.response)
    elapsed = time.perf_counter() - started
    payloads, _ = parse_sse((first + rest).decode())
    deltas = [p for p in payloads if "text_delta" in p]
    assert len(deltas) > 10
    assert elapsed >= (len(deltas) - 1) * 0.015
    assert first_at < 1.0  # thread.created did not wait for the words


def test_a_reader_that_stops_early_does_not_stop_the_turn(app, client, auth):
    from tests.helpers.chatkit import ChatKitClient, user_input

    kit = ChatKitClient(client, auth.register())
    app.config["TASKCHAT_STREAM_DELAY_MS"] = 20
    response = kit.send({"type": "threads.create", "params": {"input": user_input("help")}})
    first = next(response.response)
    response.close()  # what the server does when the client hangs up
    thread_id = EVENT.validate_json(first.decode()[len("data: "):].strip()).thread.id
    deadline = time.monotonic() + 10
    with app.app_context():
        while True:
            roles = list(db.session.scalars(
                select(Message.role).where(Message.conversation_id == conversation_uuid(thread_id))
            ))
            if roles == ["user", "assistant"] or time.monotonic() > deadline:
                break
            db.session.rollback()
            time.sleep(0.05)
        assert roles == ["user", "assistant"]
        assert db.session.scalar(select(Message.content).where(Message.role == "assistant")) == HELP_TEXT


def test_a_response_never_read_still_answers_and_stores_the_turn(app, client, auth):
    from tests.helpers.chatkit import ChatKitClient, user_input, wait_for

    kit = ChatKitClient(client, auth.register())
    response = kit.send({"type": "threads.create", "params": {"input": user_input("add buy milk")}})
    response.close()  # not one byte read
    with app.app_context():
        def stored():
            db.session.rollback()
            return list(db.session.scalars(select(Message.content).order_by(Message.sequence_number)))

        assert wait_for(lambda: len(stored()) == 2 and stored()) == ["add buy milk", "Added 'Buy milk' (task 1)."]


def test_a_reader_that_pauses_mid_stream_does_not_hold_the_write_lock(app, client, auth):
    """A rule turn is stored before its events go out: while its reader sits on the first
    frame, the same user's next turn (which needs the write lock on SQLite and the user's
    row on PostgreSQL) still goes through."""
    from tests.helpers.chatkit import ChatKitClient, user_input

    account = auth.register()
    kit = ChatKitClient(client, account)
    response = kit.send({"type": "threads.create", "params": {"input": user_input("add read the paper")}})
    first = b""
    while b"text_delta" not in first:  # the reply has begun: its words are going out
        first += next(response.response)

    answered: list[int] = []

    def another_turn() -> None:
        answered.append(
            app.test_client().post("/api/v1/chat", json={"message": "add buy stamps"}, headers=account.headers).status_code
        )

    other = threading.Thread(target=another_turn, daemon=True)
    other.start()
    other.join(timeout=15)
    assert answered == [200], "the paused stream held the write transaction"
    rest = b"".join(response.response)
    payloads, _ = parse_sse((first + rest).decode())
    assert "thread.item.done" in [EVENT.validate_json(p).type for p in payloads]
