"""Hostile-client helpers: raw HTTP on a kept-alive connection, the error envelope, row counts."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select

from taskchat.extensions import db
from taskchat.models import Conversation, Message, RevokedToken, Task, ToolCall, User

STORED = (User, Conversation, Message, ToolCall, Task, RevokedToken)

def count_rows() -> dict[str, int]:
    """How many rows each table holds (call inside an app context)."""
    return {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model)) for model in STORED
    }

@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

class KeptAliveConnection:
    """One HTTP/1.1 connection that must stay open: ``send`` fails if the server dropped it."""

    def __init__(self, base_url: str):
        parts = urlsplit(base_url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        self.conn.connect()
        self.local = self.conn.sock.getsockname()

    def send(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> Answer:
        if self.conn.sock is None or self.conn.sock.getsockname() != self.local:
            raise AssertionError("the server closed the kept-alive connection")
        self.conn.request(method, path, body=body, headers=headers or {})
        response = self.conn.getresponse()
        answer = Answer(response.status, response.headers, response.read())
        if response.will_close:
            raise AssertionError(f"{method} {path} answered {answer.status} but closes the connection")
        return answer

    def close(self) -> None:
        self.conn.close()

def assert_envelope(answer: Answer, label: str) -> dict:
    """A 4xx in the JSON error envelope."""
    assert 400 <= answer.status < 500, f"{label}: {answer.status} {answer.body[:200]!r}"
    assert answer.headers.get_content_type() == "application/json", f"{label}: {answer.headers}"
    body = answer.json()
    assert set(body) == {"error"}, f"{label}: {body}"
    assert isinstance(body["error"]["code"], str) and body["error"]["code"], f"{label}: {body}"
    assert isinstance(body["error"]["message"], str) and body["error"]["message"], f"{label}: {body}"
    return body
