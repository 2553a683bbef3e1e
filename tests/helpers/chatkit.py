"""ChatKit helpers: every request the tests send and every byte the server answers is validated
with the ``openai-chatkit`` package's own pydantic types."""

from __future__ import annotations

import json
import time
import uuid
import warnings
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from pydantic import TypeAdapter

from tests.helpers.app import Account

# The package warns while defining its (deprecated) named widget classes; see the marker below.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from chatkit.types import ChatKitReq, Page, Thread, ThreadItem, ThreadStreamEvent

# Validating a widget with the package's types instantiates those classes, which warns again.


# Validating a widget with the package's types instantiates those classes, which warns again.
IGNORE_WIDGET_DEPRECATION = pytest.mark.filterwarnings(
    "ignore:Direct usage of named widget classes is deprecated:DeprecationWarning"
)

REQUEST = TypeAdapter(ChatKitReq)

EVENT = TypeAdapter(ThreadStreamEvent)

THREAD = TypeAdapter(Thread)

THREAD_PAGE = TypeAdapter(Page[Thread])

ITEM_PAGE = TypeAdapter(Page[ThreadItem])

URL = "/api/v1/chatkit"

def user_input(text: str) -> dict[str, Any]:
    return {"content": [{"type": "input_text", "text": text}], "attachments": [], "inference_options": {}}

def conversation_uuid(thread_id: str) -> uuid.UUID:
    assert thread_id.startswith("thr_")
    return uuid.UUID(hex=thread_id[4:])

def parse_sse(text: str) -> tuple[list[str], list[str]]:
    """``(data payloads, comments)`` of an event stream."""
    payloads, comments = [], []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        lines = block.split("\n")
        if all(line.startswith(":") for line in lines):
            comments.extend(lines)
            continue
        data = [line[len("data: "):] for line in lines if line.startswith("data: ")]
        assert len(data) == len(lines), f"unexpected SSE lines: {lines!r}"
        payloads.append("\n".join(data))
    return payloads, comments

@dataclass
class Stream:
    events: list[Any]
    comments: list[str]
    raw: str

    @property
    def types(self) -> list[str]:
        return [event.type for event in self.events]

    def updates(self) -> list[Any]:
        return [event.update for event in self.events if event.type == "thread.item.updated"]

    def done_items(self) -> list[Any]:
        return [event.item for event in self.events if event.type == "thread.item.done"]

    def text(self) -> str:
        return "".join(u.delta for u in self.updates() if u.type == "assistant_message.content_part.text_delta")

class ChatKitClient:
    """Sends ChatKit requests as one account and validates what comes back."""

    def __init__(self, client, account: Account):
        self.client = client
        self.account = account

    def post(self, body: Any, **kwargs):
        return self.client.post(URL, json=body, headers=self.account.headers, **kwargs)

    def send(self, body: dict[str, Any]):
        REQUEST.validate_python(body)  # what the tests send is a real ChatKit request
        return self.post(body)

    def stream(self, body: dict[str, Any]) -> Stream:
        response = self.send(body)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.mimetype == "text/event-stream"
        assert response.headers["Cache-Control"] == "no-cache"
        assert response.headers["X-Accel-Buffering"] == "no"
        raw = response.get_data(as_text=True)
        payloads, comments = parse_sse(raw)
        assert "[DONE]" not in payloads
        return Stream([EVENT.validate_json(payload) for payload in payloads], comments, raw)

    def json(self, body: dict[str, Any], adapter: TypeAdapter | None = None):
        response = self.send(body)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.mimetype == "application/json"
        if adapter is None:
            assert response.get_json() == {}
            return None
        return adapter.validate_json(response.get_data())

    def create(self, text: str) -> tuple[str, Stream]:
        stream = self.stream({"type": "threads.create", "params": {"input": user_input(text)}})
        return stream.events[0].thread.id, stream

    def say(self, thread_id: str, text: str) -> Stream:
        return self.stream(
            {"type": "threads.add_user_message", "params": {"thread_id": thread_id, "input": user_input(text)}}
        )

    def thread(self, thread_id: str) -> Any:
        return self.json({"type": "threads.get_by_id", "params": {"thread_id": thread_id}}, THREAD)

    def items(self, thread_id: str, **params: Any) -> Any:
        return self.json({"type": "items.list", "params": {"thread_id": thread_id, **params}}, ITEM_PAGE)

def register_over_http(base_url: str) -> Account:
    email = f"live-{uuid.uuid4().hex[:10]}@example.com"
    response = requests.post(
        base_url + "/api/v1/auth/register", json={"email": email, "password": "correct-horse-1"}, timeout=10
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return Account(email, "correct-horse-1", body["access_token"], body["user"]["id"])

def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05):
    """Poll ``predicate`` until it returns something truthy (a turn finishing in another process)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)

def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))
