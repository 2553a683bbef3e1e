"""A corpus of hostile bodies and paths, over real HTTP under gunicorn, on every JSON route and
every ChatKit request that carries text.

Each answer must be a 4xx in the JSON error envelope, store nothing, and leave the kept-alive
connection usable (the next request goes over the same socket).
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests

from taskchat.extensions import db
from tests.helpers.http import KeptAliveConnection, assert_envelope, count_rows

pytestmark = pytest.mark.live

SURROGATE = "\ud800"
MARK = "__BAD__"  # placeholder swapped for raw JSON text the json module would not write


def user_input(text: str) -> dict[str, Any]:
    return {"content": [{"type": "input_text", "text": text}], "attachments": [], "inference_options": {}}


def set_at(body: Any, path: tuple, value: Any) -> Any:
    body = copy.deepcopy(body)
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return body


def with_raw(body: Any, path: tuple, raw: str) -> bytes:
    """``body`` as JSON with the value at ``path`` replaced by the raw JSON text ``raw``."""
    return json.dumps(set_at(body, path, MARK)).replace(f'"{MARK}"', raw).encode()


def nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value]
    return value


JSON = "application/json"

# (name, expected status or None for "any 4xx", build(body, path) -> (bytes, content type))
VARIANTS: list[tuple[str, int | None, Callable[[Any, tuple], tuple[bytes, str | None]]]] = [
    ("5000-deep array", 400, lambda b, p: (b"[" * 5000 + b"]" * 5000, JSON)),
    ("5000-deep object", 400, lambda b, p: (b'{"a":' * 5000 + b"1" + b"}" * 5000, JSON)),
    ("100-deep field", 400, lambda b, p: (json.dumps(set_at(b, p, nested(100))).encode(), JSON)),
    ("unpaired surrogate", 422, lambda b, p: (with_raw(b, p, '"add \\ud800 milk"'), JSON)),
    ("lone low surrogate", 422, lambda b, p: (with_raw(b, p, '"\\udfff"'), JSON)),
    ("surrogate in a key", 422, lambda b, p: (json.dumps({**b, SURROGATE: 1}).encode(), JSON)),
    ("NUL", 422, lambda b, p: (json.dumps(set_at(b, p, "add\u0000milk")).encode(), JSON)),
    ("invalid UTF-8", 400, lambda b, p: (with_raw(b, p, '"add \xff\xfe milk"').replace(b"\xc3\xbf\xc3\xbe", b"\xff\xfe"), JSON)),
    ("NaN", 400, lambda b, p: (with_raw(b, p, "NaN"), JSON)),
    ("1e999", 400, lambda b, p: (with_raw(b, p, "1e999"), JSON)),
    ("huge integer", 422, lambda b, p: (with_raw(b, p, "9" * 40), JSON)),
    ("5000-digit integer", 400, lambda b, p: (with_raw(b, p, "9" * 5000), JSON)),
    ("number for text", 422, lambda b, p: (json.dumps(set_at(b, p, 42)).encode(), JSON)),
    ("object for text", 422, lambda b, p: (json.dumps(set_at(b, p, {"a": 1})).encode(), JSON)),
    ("null for text", 422, lambda b, p: (json.dumps(set_at(b, p, None)).encode(), JSON)),
    ("huge string", 422, lambda b, p: (json.dumps(set_at(b, p, "x" * 200_000)).encode(), JSON)),
    ("blank string", 422, lambda b, p: (json.dumps(set_at(b, p, " \n\t ")).encode(), JSON)),
    ("array body", 422, lambda b, p: (json.dumps([b]).encode(), JSON)),
    ("string body", 422, lambda b, p: (b'"hello"', JSON)),
    ("null body", 400, lambda b, p: (b"null", JSON)),
    ("empty body", 400, lambda b, p: (b"", JSON)),
    ("truncated JSON", 400, lambda b, p: (json.dumps(b).encode()[:-3], JSON)),
    ("text/plain", 415, lambda b, p: (json.dumps(b).encode(), "text/plain")),
    ("form", 415, lambda b, p: (b"message=hi&title=hi", "application/x-www-form-urlencoded")),
    ("multipart", 415, lambda b, p: (b"--x\r\n\r\nhi\r\n--x--\r\n", "multipart/form-data; boundary=x")),
    ("no content type", 415, lambda b, p: (json.dumps(b).encode(), None)),
    ("2 MB body", 413, lambda b, p: (json.dumps(set_at(b, p, "x" * 2_000_000)).encode(), JSON)),
]


def thread_id(conversation_id: str) -> str:
    return "thr_" + uuid.UUID(conversation_id).hex


def targets(conversation_id: str) -> list[tuple[str, str, Any, tuple]]:
    """(method, path, a valid body, the path of a text field in it) for every route with a body."""
    thread = thread_id(conversation_id)
    return [
        ("POST", "/api/v1/auth/register", {"email": "new@example.com", "password": "correct-horse-2"}, ("password",)),
        ("POST", "/api/v1/auth/login", {"email": "owner@example.com", "password": "correct-horse-1"}, ("email",)),
        ("POST", "/api/v1/chat", {"message": "add milk", "conversation_id": conversation_id}, ("message",)),
        ("POST", "/api/v1/tasks", {"title": "Milk", "tags": ["home"]}, ("title",)),
        ("PATCH", "/api/v1/tasks/1", {"title": "Milk", "description": "two"}, ("title",)),
        ("POST", "/api/v1/chat/completions", {"messages": [{"role": "user", "content": "add milk"}]},
         ("messages", 0, "content")),
        ("POST", "/api/v1/chatkit", {"messages": [{"role": "user", "content": "add milk"}], "stream": True},
         ("messages", 0, "content")),
        ("POST", "/api/v1/chatkit", {"type": "threads.create", "params": {"input": user_input("add milk")}},
         ("params", "input", "content", 0, "text")),
        ("POST", "/api/v1/chatkit",
         {"type": "threads.add_user_message", "params": {"thread_id": thread, "input": user_input("add milk")}},
         ("params", "input", "content", 0, "text")),
        ("POST", "/api/v1/chatkit", {"type": "threads.update", "params": {"thread_id": thread, "title": "Milk"}},
         ("params", "title")),
        ("POST", "/api/v1/chatkit",
         {"type": "threads.custom_action",
          "params": {"thread_id": thread, "item_id": None, "action": {"type": "task.complete", "payload": {"number": 1}}}},
         ("params", "action", "type")),
        ("POST", "/api/v1/chatkit", {"type": "items.list", "params": {"thread_id": thread, "limit": 10}},
         ("params", "thread_id")),
    ]


@pytest.fixture
def owner(live_server):
    response = requests.post(
        live_server.url + "/api/v1/auth/register",
        json={"email": "owner@example.com", "password": "correct-horse-1"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    token = response.json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    task = requests.post(live_server.url + "/api/v1/tasks", json={"title": "Keep"}, headers=headers, timeout=10)
    assert task.status_code == 201, task.text
    reply = requests.post(live_server.url + "/api/v1/chat", json={"message": "hello"}, headers=headers, timeout=10)
    assert reply.status_code == 200, reply.text
    return headers, reply.json()["conversation_id"]


def test_every_bad_body_is_a_4xx_envelope_stores_nothing_and_keeps_the_connection(app, live_server, owner):
    headers, conversation_id = owner
    with app.app_context():
        before = count_rows()
    connection = KeptAliveConnection(live_server.url)
    checked = 0
    failures = []
    for method, path, body, field in targets(conversation_id):
        for name, status, build in VARIANTS:
            data, content_type = build(body, field)
            request_headers = dict(headers)
            if content_type:
                request_headers["Content-Type"] = content_type
            label = f"{method} {path} [{body.get('type', '')}] {name}"
            try:
                answer = connection.send(method, path, data, request_headers)
                envelope = assert_envelope(answer, label)
                # A thread id that is text but names no thread is simply not found.
                wanted = {status, 404} if field[-1] == "thread_id" and status == 422 else {status}
                if answer.status not in wanted:
                    failures.append(f"{label}: {answer.status} {envelope} (wanted {status})")
                health = connection.send("GET", "/healthz")
                assert health.status == 200, f"{label}: the next request got {health.status}"
            except AssertionError as exc:
                failures.append(str(exc))
                connection.close()
                connection = KeptAliveConnection(live_server.url)
            checked += 1
    connection.close()
    with app.app_context():
        db.session.remove()
        after = count_rows()
    assert not failures, "\n".join(failures)
    assert after == before
    assert checked == len(VARIANTS) * 12


HOSTILE_SEGMENTS = [
    "99999999999999999999",
    "2147483648",
    "-1",
    "0",
    "1e3",
    "%00",
    "%ff%fe",
    "%ed%a0%80",  # a surrogate encoded as UTF-8 bytes
    "thr_" + "0" * 32,
    "x" * 2000,
    "..%2f..%2fetc%2fpasswd",
]


def test_hostile_path_segments_are_404_or_422_on_every_route(app, live_server, owner):
    headers, _ = owner
    rules = sorted(
        (rule.rule, sorted(rule.methods - {"HEAD", "OPTIONS"}))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/") and "<" in rule.rule
    )
    assert {"/api/v1/tasks/<int:number>", "/api/v1/conversations/<conversation_id>"} <= {r for r, _ in rules}
    connection = KeptAliveConnection(live_server.url)
    failures = []
    for rule, methods in rules:
        for method in methods:
            for segment in HOSTILE_SEGMENTS:
                path = re.sub(r"<[^>]+>", segment, rule)
                body = b"{}" if method in {"POST", "PATCH", "PUT"} else None
                answer = connection.send(method, path, body, {**headers, "Content-Type": JSON})
                try:
                    assert_envelope(answer, f"{method} {path[:80]}")
                    assert answer.status in (404, 422), f"{method} {path[:80]}: {answer.status}"
                except AssertionError as exc:
                    failures.append(str(exc))
    connection.close()
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("query", ["q=%00", "tag=%00", "status=%00", "q=" + "x" * 300, "q=%ff", "q=%ed%a0%80"])
def test_hostile_query_strings_are_4xx_or_answered(app, live_server, owner, query):
    headers, _ = owner
    response = requests.get(f"{live_server.url}/api/v1/tasks?{query}", headers=headers, timeout=10)
    if response.status_code == 200:
        assert set(response.json()) == {"tasks"}
    else:
        assert response.status_code == 422, response.text
        assert set(response.json()) == {"error"}
