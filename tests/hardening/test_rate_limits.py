"""Rate limits: sign-in and sign-up per address and per email, chat turns per user, on every
surface; counters in memory, in the SQLite file the workers share when there is no Redis, and
in Redis (the one running on this machine, or ``REDIS_URL``)."""

from __future__ import annotations

import json
import os
import uuid

import pytest
import requests

from taskchat import create_app
from taskchat.config import from_environment
from taskchat.extensions import db, limiter
from taskchat.rate_limit_storage import storage_uri
from tests.helpers.app import gunicorn_server, release

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
PASSWORD = "correct-horse-1"


def fresh(name: str) -> str:
    """A name no other test (or run, in the Redis that outlives it) has counted against."""
    return f"{name}-{uuid.uuid4().hex[:12]}@example.com"


def fresh_address() -> str:
    n = uuid.uuid4().int
    return f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250 + 1}"


def limited_app(database_url: str, storage: str, tmp_path, **limits):
    app = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": storage,
            # A Redis that is not there must fail the test, not be served around.
            "RATELIMIT_SWALLOW_ERRORS": False,
            "RATELIMIT_SIGNIN_PER_ADDRESS": "6 per minute",
            "RATELIMIT_SIGNIN_PER_EMAIL": "3 per minute",
            "RATELIMIT_SIGNUP_PER_ADDRESS": "4 per minute",
            "RATELIMIT_SIGNUP_PER_EMAIL": "2 per minute",
            "RATELIMIT_CHAT_PER_USER": "3 per minute",
            **limits,
        }
    )
    app.instance_path = str(tmp_path / "instance")
    return app


@pytest.fixture(params=["memory", "file", "redis"])
def app(request, database_url, _schema, tmp_path):
    """The app with small limits, counting in memory, in a shared SQLite file or in Redis."""
    storage = {
        "memory": "memory://",
        "file": storage_uri(str(tmp_path / "rate-limits.sqlite3")),
        "redis": REDIS_URL,
    }[request.param]
    app = limited_app(database_url, storage, tmp_path)
    with app.app_context():
        assert limiter.storage.check(), f"rate-limit storage {storage} does not answer"
    yield app
    release(app)


def login(client, email, address):
    return client.post(
        "/api/v1/auth/login",
        json={"email": email, "password": "wrong-password"},
        environ_base={"REMOTE_ADDR": address},
    )


def assert_429(response):
    assert response.status_code == 429, response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) >= 1
    body = response.get_json()
    assert set(body) == {"error"} and body["error"]["code"] == "too_many_requests"
    assert "Try again in" in body["error"]["message"]
    return body


def test_sign_in_is_limited_per_email(client):
    victim, address = fresh("victim"), fresh_address()
    for _ in range(3):
        assert login(client, victim, address).status_code == 401
    body = assert_429(login(client, victim.upper(), fresh_address()))
    assert "this account" in body["error"]["message"]
    # the email's counter, not the address's: another account from the same address still may
    assert login(client, fresh("other"), address).status_code == 401


def test_sign_in_is_limited_per_address(client):
    address = fresh_address()
    for n in range(6):
        assert login(client, fresh(f"user{n}"), address).status_code == 401
    body = assert_429(login(client, fresh("late"), address))
    assert "this address" in body["error"]["message"]
    assert login(client, fresh("late"), fresh_address()).status_code == 401


def test_the_page_and_the_api_share_the_sign_in_counter(client):
    victim = fresh("victim")
    for _ in range(3):
        assert login(client, victim, fresh_address()).status_code == 401
    response = client.post(
        "/login", data={"email": victim.upper(), "password": "nope"}, environ_base={"REMOTE_ADDR": fresh_address()}
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/login")
    assert int(response.headers["Retry-After"]) >= 1
    page = client.get("/login").get_data(as_text=True)
    assert "Too many sign-in attempts for this account. Try again in" in page


def test_sign_up_is_limited_per_email_and_per_address(client):
    def register(email, address):
        return client.post(
            "/api/v1/auth/register",
            json={"email": email, "password": PASSWORD},
            environ_base={"REMOTE_ADDR": address},
        )

    taken, address = fresh("taken"), fresh_address()
    assert register(taken, address).status_code == 201
    assert register(taken, fresh_address()).status_code == 409
    assert "this email" in assert_429(register(taken, fresh_address()))["error"]["message"]
    for n in range(3):
        assert register(fresh(f"new{n}"), address).status_code == 201
    assert "this address" in assert_429(register(fresh("late"), address))["error"]["message"]
    # the page form counts with the API
    response = client.post(
        "/register", data={"email": fresh("page"), "password": PASSWORD}, environ_base={"REMOTE_ADDR": address}
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/register")
    assert "Too many sign-ups from this address" in client.get("/register").get_data(as_text=True)


def sign_up(client, email):
    response = client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD},
                           environ_base={"REMOTE_ADDR": fresh_address()})
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def chatkit_create(text):
    content = [{"type": "input_text", "text": text}]
    return {"type": "threads.create", "params": {"input": {"content": content, "attachments": [], "inference_options": {}}}}


def test_chat_turns_are_limited_per_user_across_every_surface(app, client):
    alice, bob = sign_up(client, fresh("alice")), sign_up(client, fresh("bob"))
    assert client.post("/api/v1/chat", json={"message": "add milk"}, headers=alice).status_code == 200
    completion = client.post(
        "/api/v1/chat/completions", json={"messages": [{"role": "user", "content": "add eggs"}]}, headers=alice
    )
    assert completion.status_code == 200
    stream = client.post("/api/v1/chatkit", json=chatkit_create("add bread"), headers=alice)
    assert stream.status_code == 200 and stream.mimetype == "text/event-stream"
    stream.get_data()
    # requests that are not turns do not count, and are not refused
    for _ in range(5):
        listing = client.post("/api/v1/chatkit", json={"type": "threads.list", "params": {}}, headers=alice)
        assert listing.status_code == 200

    assert_429(client.post("/api/v1/chat", json={"message": "add jam"}, headers=alice))
    assert_429(client.post("/api/v1/chat/completions", json={"messages": [{"role": "user", "content": "hi"}]},
                           headers=alice))
    assert_429(client.post("/api/v1/chatkit", json={"messages": [{"role": "user", "content": "hi"}]}, headers=alice))
    refused = client.post("/api/v1/chatkit", json=chatkit_create("add jam"), headers=alice)
    assert refused.mimetype == "text/event-stream" and int(refused.headers["Retry-After"]) >= 1
    frames = [line[len("data: "):] for line in refused.get_data(as_text=True).splitlines() if line.startswith("data: ")]
    assert len(frames) == 2  # the limit as a notice, then the error that ends the request
    notice, event = json.loads(frames[0]), json.loads(frames[1])
    assert notice["type"] == "notice" and notice["level"] == "warning"
    assert notice["message"].startswith("Too many messages. Try again in")
    assert event["type"] == "error" and event["allow_retry"] is True
    assert event["message"].startswith("Too many messages. Try again in")
    # nothing of the refused turns was stored: three turns, two messages each
    conversations = client.get("/api/v1/conversations", headers=alice).get_json()["conversations"]
    assert len(conversations) == 3
    # another user is not affected
    assert client.post("/api/v1/chat", json={"message": "add milk"}, headers=bob).status_code == 200


def test_a_sync_action_counts_as_a_chat_turn(client):
    alice = sign_up(client, fresh("alice"))
    stream = client.post("/api/v1/chatkit", json=chatkit_create("add milk"), headers=alice)
    assert stream.status_code == 200
    stream.get_data()
    thread_id = client.post("/api/v1/chatkit", json={"type": "threads.list", "params": {}},
                            headers=alice).get_json()["data"][0]["id"]
    tick = {"type": "threads.sync_custom_action",
            "params": {"thread_id": thread_id, "action": {"type": "task.complete", "payload": {"number": 1}}}}
    for _ in range(2):  # the task card's checkbox runs a turn (complete, reopen…): turns two and three
        assert client.post("/api/v1/chatkit", json=tick, headers=alice).status_code == 200
    # it answers JSON, so its refusal is the JSON 429, not a stream's error event
    assert_429(client.post("/api/v1/chatkit", json=tick, headers=alice))
    assert_429(client.post("/api/v1/chat", json={"message": "add jam"}, headers=alice))


def test_the_page_shows_the_chat_limit_as_a_flash(app):
    page = app.test_client()
    response = page.post("/register", data={"email": fresh("page"), "password": PASSWORD},
                         environ_base={"REMOTE_ADDR": fresh_address()})
    assert response.status_code == 303

    def send(message, htmx=False):
        html = page.get("/").get_data(as_text=True)
        token = html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        headers = {"HX-Request": "true"} if htmx else {}
        return page.post("/messages", data={"message": message, "csrf_token": token}, headers=headers)

    for n in range(3):
        assert send(f"add thing {n}").status_code == 303
    refused = send("add one more")
    assert refused.status_code == 303 and int(refused.headers["Retry-After"]) >= 1
    assert "Too many messages. Try again in" in page.get(refused.headers["Location"]).get_data(as_text=True)
    fragment = send("add one more", htmx=True)
    assert fragment.status_code == 429 and fragment.headers["HX-Retarget"] == "#flash"
    assert "Too many messages." in fragment.get_data(as_text=True)


def test_limits_are_off_in_the_test_config_and_with_ratelimit_enabled_false(database_url, _schema, tmp_path,
                                                                             monkeypatch):
    monkeypatch.setenv("RATELIMIT_ENABLED", "false")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setenv("RATELIMIT_CHAT_PER_USER", "1 per day")
    settings = from_environment()
    assert settings["RATELIMIT_ENABLED"] is False
    assert settings["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:1/0"
    assert settings["RATELIMIT_CHAT_PER_USER"] == "1 per day"
    for config in ({"ENV_NAME": "testing"}, {"ENV_NAME": "development", "SECRET_KEY": "x" * 40,
                                              "JWT_SECRET_KEY": "y" * 40}):
        app = create_app({**config, "SQLALCHEMY_DATABASE_URI": database_url})
        app.instance_path = str(tmp_path / "instance")
        client = app.test_client()
        try:
            victim, address = fresh("victim"), fresh_address()
            for _ in range(12):
                assert login(client, victim, address).status_code == 401
        finally:
            with app.app_context():
                db.engine.dispose()


@pytest.mark.live
def test_gunicorn_workers_share_the_counters_in_redis(database_url, _schema, tmp_path):
    """Two workers, one Redis: the limit holds across them (in memory each would count alone)."""
    with gunicorn_server(
        database_url,
        tmp_path,
        TASKCHAT_ENV="development",
        SECRET_KEY="s" * 40,
        JWT_SECRET_KEY="j" * 40,
        RATELIMIT_ENABLED="true",
        REDIS_URL=REDIS_URL,
        RATELIMIT_SIGNIN_PER_EMAIL="5 per minute",
        WEB_CONCURRENCY="2",
    ) as server:
        email = f"victim-{uuid.uuid4().hex[:8]}@example.com"
        statuses = []
        for _ in range(12):
            # a new connection each time, so both workers take requests
            response = requests.post(server.url + "/api/v1/auth/login", json={"email": email, "password": "nope"},
                                     headers={"Connection": "close"}, timeout=10)
            statuses.append(response.status_code)
        assert statuses == [401] * 5 + [429] * 7, statuses


@pytest.mark.live
def test_gunicorn_workers_share_the_counters_without_redis(database_url, _schema, tmp_path):
    """Two workers and no Redis (``make run``): the counters are in one file both workers use,
    so the limit holds for the total, not for each worker."""
    with gunicorn_server(
        database_url,
        tmp_path,
        TASKCHAT_ENV="development",
        SECRET_KEY="s" * 40,
        JWT_SECRET_KEY="j" * 40,
        RATELIMIT_ENABLED="true",
        RATELIMIT_SIGNIN_PER_EMAIL="5 per minute",
        RATELIMIT_CHAT_PER_USER="4 per minute",
        WEB_CONCURRENCY="2",
        REDIS_URL="",  # none, even when the environment names one
    ) as server:
        email = f"victim-{uuid.uuid4().hex[:8]}@example.com"
        statuses = []
        for _ in range(12):
            # a new connection each time, so both workers take requests
            response = requests.post(server.url + "/api/v1/auth/login", json={"email": email, "password": "nope"},
                                     headers={"Connection": "close"}, timeout=10)
            statuses.append(response.status_code)
        assert statuses == [401] * 5 + [429] * 7, statuses

        token = requests.post(server.url + "/api/v1/auth/register", timeout=10,
                              json={"email": fresh("turns"), "password": PASSWORD}).json()["access_token"]
        turns = [requests.post(server.url + "/api/v1/chat", json={"message": f"add thing {n}"},
                               headers={"Authorization": f"Bearer {token}", "Connection": "close"},
                               timeout=10).status_code
                 for n in range(8)]
        assert turns == [200] * 4 + [429] * 4, turns


def test_bodies_the_json_reader_refuses_get_its_answer_with_limits_on(client):
    headers = sign_up(client, fresh("deep"))
    deep = b"[" * 5000 + b"]" * 5000
    for path, extra in (("/api/v1/auth/login", {}), ("/api/v1/auth/register", {}), ("/api/v1/chatkit", headers)):
        response = client.post(path, data=deep, content_type="application/json", headers=extra,
                               environ_base={"REMOTE_ADDR": fresh_address()})
        assert response.status_code == 400, (path, response.get_data(as_text=True))
        assert response.get_json()["error"]["code"] == "json_too_deep"
