"""Helpers for the ChatKit endpoint tests: every request the tests send and every byte the
server answers is validated with the ``openai-chatkit`` package's own pydantic types."""

from __future__ import annotations

import warnings

import pytest

from tests.helpers.app import gunicorn_server
from tests.helpers.chatkit import (  # noqa: F401 (re-exported for the fixtures here)
    EVENT,
    IGNORE_WIDGET_DEPRECATION,
    ITEM_PAGE,
    REQUEST,
    THREAD,
    THREAD_PAGE,
    URL,
    ChatKitClient,
    Stream,
    conversation_uuid,
    dumps,
    parse_sse,
    register_over_http,
    user_input,
    wait_for,
)

# The package warns while defining its (deprecated) named widget classes; see the marker below.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)


@pytest.fixture
def chatkit(client, auth):
    """A ChatKit client for a fresh account; ``chatkit.for_(account)`` for another one."""
    made = ChatKitClient(client, auth.register())
    made.for_ = lambda account: ChatKitClient(client, account)  # type: ignore[attr-defined]
    return made


@pytest.fixture(scope="session")
def paced_server(database_url, _schema, tmp_path_factory):
    """The app under gunicorn pacing streamed words by 30 ms, so a client can
    hang up while a reply is still being sent."""
    with gunicorn_server(
        database_url, tmp_path_factory.mktemp("paced"), TASKCHAT_STREAM_DELAY_MS="30", TASKCHAT_THREADS="4"
    ) as server:
        yield server


