"""Fixtures for the language-model backend: the fake OpenAI-compatible server on loopback."""

from __future__ import annotations

import pytest

from tests.helpers.app import free_port, gunicorn_server
from tests.helpers.fake_openai import MODEL, FakeOpenAI


@pytest.fixture
def fake_llm(app):
    """A scripted chat-completions server the app is pointed at (``TASKCHAT_LLM_BASE_URL``)."""
    fake = FakeOpenAI()
    app.config.update(
        TASKCHAT_LLM_BASE_URL=fake.url,
        TASKCHAT_LLM_MODEL=MODEL,
        OPENAI_API_KEY="sk-test",
        TASKCHAT_LLM_TIMEOUT_SECONDS=2.0,
    )
    yield fake
    fake.close()


@pytest.fixture
def unreachable_llm(app):
    """The app pointed at a loopback port nothing listens on."""
    app.config.update(TASKCHAT_LLM_BASE_URL=f"http://127.0.0.1:{free_port()}/v1", TASKCHAT_LLM_MODEL=MODEL)


@pytest.fixture(scope="session")
def model_server(database_url, _schema, tmp_path_factory):
    """gunicorn running the app with the LLM backend pointed at a fake model on loopback:
    ``(server, fake)``; tests ``fake.reset()`` first, as the pair is shared."""
    fake = FakeOpenAI()
    with gunicorn_server(
        database_url,
        tmp_path_factory.mktemp("model"),
        TASKCHAT_LLM_BASE_URL=fake.url,
        TASKCHAT_LLM_MODEL=MODEL,
        TASKCHAT_THREADS="4",
    ) as server:
        yield server, fake
    fake.close()
