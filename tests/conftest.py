"""Fixtures shared by the whole suite.

The database is real: a SQLite file by default, or the PostgreSQL database named by
``TEST_DATABASE_URL`` (``.ci/run`` runs the suite once on each). Tables are created once per
session and emptied after every test, so each test starts clean.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from taskchat import create_app
from taskchat.extensions import db
from tests.helpers.app import (  # noqa: F401 (re-exported for the fixtures here)
    ROOT,
    Account,
    AuthActions,
    LiveServer,
    empty_tables,
    free_port,
    gunicorn_server,
    release,
)
from tests.helpers.pages import ARTIFACTS

# Every /api answer of the suite, in-process or from a gunicorn it starts, is checked against the
# OpenAPI document (taskchat.api.docs.check_response); a drifted body or status is a 500.
os.environ.setdefault("TASKCHAT_CHECK_RESPONSES", "1")

# The lane of each test module that needs one beyond its own ``pytestmark`` (setup.cfg lists
# the lanes): kept here, in one place, so a module's lane is read at a glance.
LANES = {
    "tests/agent/test_intent_suite.py": "slow",
    "tests/agent/test_held_out.py": "slow",
    "tests/agent/test_properties.py": "slow",
    "tests/agent/test_bounded_time.py": "slow",
    "tests/agent/test_questions_never_change.py": "slow",
    "tests/test_schema.py": "slow",
    "tests/test_mcp.py": "live",
    "tests/test_setup.py": "npm",
}


def pytest_collection_modifyitems(items) -> None:
    for item in items:
        lane = LANES.get(Path(item.path).relative_to(ROOT).as_posix())
        if lane:
            item.add_marker(lane)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'taskchat-test.db'}"


@pytest.fixture(scope="session")
def _schema(database_url):
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def app(database_url, _schema, tmp_path):
    app = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": database_url,
        }
    )
    app.instance_path = str(tmp_path / "instance")
    yield app
    release(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def chat(client):
    """Send one chat message as ``account``; returns the JSON reply (asserting 200)."""

    def send(account: Account, message: str, conversation_id: str | None = None) -> dict:
        response = client.post(
            "/api/v1/chat",
            json={"message": message, "conversation_id": conversation_id},
            headers=account.headers,
        )
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    return send


@pytest.fixture(scope="session")
def live_server(database_url, _schema, tmp_path_factory):
    """The app under gunicorn on loopback, shared by the session's live tests."""
    with gunicorn_server(database_url, tmp_path_factory.mktemp("gunicorn")) as server:
        yield server


@pytest.fixture
def screenshot(request):
    """Save the page's final look as test-artifacts/<test name>.png (git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, suffix: str = "") -> Path:
        path = ARTIFACTS / f"{request.node.name}{suffix}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
