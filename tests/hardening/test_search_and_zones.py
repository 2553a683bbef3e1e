"""Search words are literal (``%`` and ``_`` are characters, not wildcards), and the time-zone
check reads the tz database once, not on every sign-up."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime

import pytest

from taskchat import schemas
from taskchat.agent.tools import ToolContext, search_tasks
from taskchat.extensions import db
from taskchat.models import User

TITLES = ["100% juice", "1000 juice", "a_b", "axb", "back\\slash", "backslash", "plain"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("%", ["100% juice"]),
        ("0%", ["100% juice"]),
        ("_", ["a_b"]),
        ("a_b", ["a_b"]),
        ("\\", ["back\\slash"]),
        ("k\\s", ["back\\slash"]),
        ("juice", ["100% juice", "1000 juice"]),
        ("%%", []),
    ],
)
def test_search_takes_percent_underscore_and_backslash_literally(app, client, auth, query, expected):
    account = auth.register()
    for title in TITLES:
        assert client.post("/api/v1/tasks", json={"title": title}, headers=account.headers).status_code == 201
    found = client.get("/api/v1/tasks", query_string={"q": query}, headers=account.headers).get_json()["tasks"]
    assert sorted(task["title"] for task in found) == expected
    # the agent's search tool is the same filter
    with app.app_context():
        user = db.session.get(User, account.user_id)
        result = search_tasks(ToolContext(user=user, now=datetime.now(UTC)), query)
        assert sorted(task["title"] for task in result["tasks"]) == expected


def test_the_time_zone_check_reads_the_tz_database_once(client, monkeypatch):
    scans = []
    real = zoneinfo.available_timezones

    def counting():
        scans.append(1)
        return real()

    monkeypatch.setattr(schemas, "available_timezones", counting)
    schemas.known_timezones.cache_clear()
    for n, zone in enumerate(["Europe/Paris", "America/New_York", "Asia/Tokyo"]):
        response = client.post("/api/v1/auth/register",
                               json={"email": f"tz{n}@example.com", "password": "correct-horse-1", "timezone": zone})
        assert response.status_code == 201 and response.get_json()["user"]["timezone"] == zone
    refused = client.post("/api/v1/auth/register",
                          json={"email": "tz9@example.com", "password": "correct-horse-1", "timezone": "Mars/Olympus"})
    assert refused.status_code == 422
    page = client.post("/register", data={"email": "tzpage@example.com", "password": "correct-horse-1",
                                          "timezone": "Europe/Oslo"})
    assert page.status_code == 303
    assert len(scans) == 1
