"""Notices and errors on ChatKit streams: what the user reads as a ``notice`` event, and an
``error`` that offers a retry only where a retry can succeed."""

from __future__ import annotations

import pytest

from tests.helpers.chatkit import IGNORE_WIDGET_DEPRECATION
from tests.helpers.fake_openai import MODEL, FakeOpenAI, Step

pytestmark = IGNORE_WIDGET_DEPRECATION


@pytest.fixture
def failing_model(app):
    fake = FakeOpenAI()
    app.config.update(TASKCHAT_LLM_BASE_URL=fake.url, TASKCHAT_LLM_MODEL=MODEL, OPENAI_API_KEY="sk-test",
                      TASKCHAT_LLM_TIMEOUT_SECONDS=2.0)
    yield fake
    fake.close()


def test_a_model_that_fails_is_a_notice_and_the_rules_answer(chatkit, failing_model):
    failing_model.add(Step(status=503))
    _thread, stream = chatkit.create("add buy milk")
    notices = [event for event in stream.events if event.type == "notice"]
    assert len(notices) == 1
    assert notices[0].level == "warning" and notices[0].title == "Model unavailable"
    assert "the built-in rules answered" in notices[0].message
    assert "error" not in stream.types
    assert stream.text() == "Added 'Buy milk' (task 1)."
    # the notice comes before the reply it explains
    assert stream.types.index("notice") < stream.types.index("thread.item.added")


def test_a_model_that_answers_sends_no_notice(chatkit, failing_model):
    failing_model.add(Step(text=["Hello", " there."]))
    _thread, stream = chatkit.create("hi")
    assert "notice" not in stream.types and stream.text() == "Hello there."


def test_errors_offer_a_retry_only_where_one_can_succeed(chatkit):
    from taskchat.chatkit import protocol

    thread_id, _ = chatkit.create("hello")
    # no client tool call will ever be waiting: retrying cannot help
    stream = chatkit.stream({"type": "threads.add_client_tool_output",
                             "params": {"thread_id": thread_id, "result": {}}})
    assert stream.types == ["error"] and stream.events[0].allow_retry is False
    # a stream that broke on our side may well work the next time; a rate limit after its wait
    assert '"allow_retry":true' in protocol.rate_limited_frames("Too many messages.")
    from taskchat.chatkit.responder import ERROR_FRAME

    assert '"allow_retry":true' in ERROR_FRAME
