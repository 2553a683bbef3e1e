"""A gunicorn worker SIGKILLed while it streams a reply: nothing half-written is left behind, the
conversation goes on, and gunicorn serves again."""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from taskchat.extensions import db
from taskchat.models import Message, ToolCall
from tests.helpers.app import gunicorn_server

pytestmark = pytest.mark.live

MESSAGE = "add tasks: eggs, bread, milk"


def workers_of(master: int) -> set[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return {int(pid) for pid in children}


def register(url: str) -> dict[str, str]:
    response = requests.post(url + "/api/v1/auth/register",
                             json={"email": f"k-{uuid.uuid4().hex[:10]}@example.com", "password": "correct-horse-1"},
                             timeout=10)
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def open_stream(url: str, headers: dict, surface: str):
    """Start a streamed turn; return its lines (one iterator: requests' is not restartable) and
    its conversation id."""
    if surface == "completions":
        response = requests.post(url + "/api/v1/chat/completions", headers=headers, stream=True, timeout=30,
                                 json={"messages": [{"role": "user", "content": MESSAGE}], "stream": True})
        assert response.status_code == 200, response.text
        return response.iter_lines(), response.headers["X-Conversation-Id"]
    body = {"type": "threads.create", "params": {"input": {
        "content": [{"type": "input_text", "text": MESSAGE}], "attachments": [], "inference_options": {}}}}
    response = requests.post(url + "/api/v1/chatkit", headers=headers, json=body, stream=True, timeout=30)
    assert response.status_code == 200, response.text
    lines = response.iter_lines()
    for line in lines:
        if line.startswith(b"data: "):
            event = json.loads(line[len(b"data: "):])
            if event["type"] == "thread.created":
                return lines, str(uuid.UUID(hex=event["thread"]["id"][len("thr_"):]))
    raise AssertionError("no thread.created event")


def read_until_text(lines) -> None:
    """Read frames until the first piece of reply text has arrived."""
    for line in lines:
        if line.startswith(b"data: ") and (b'"content":"' in line and b'"content":""' not in line
                                            or b'.text_delta"' in line):
            return
    raise AssertionError("the stream ended before any reply text")


@pytest.mark.parametrize("surface", ["completions", "chatkit"])
def test_a_worker_killed_mid_stream_leaves_nothing_half_written(app, database_url, tmp_path, surface):
    with gunicorn_server(database_url, tmp_path, TASKCHAT_STREAM_DELAY_MS="300", TASKCHAT_THREADS="4") as server:
        master = server.process.pid
        headers = register(server.url)
        lines, conversation_id = open_stream(server.url, headers, surface)
        read_until_text(lines)
        (victim,) = workers_of(master)
        os.kill(victim, signal.SIGKILL)
        rest = b""
        try:
            for line in lines:
                rest += line + b"\n"
        except requests.RequestException:  # the connection broke off mid-body
            pass
        # the worker died before the reply was finished on the wire
        assert b"[DONE]" not in rest and b"content_part.done" not in rest, rest[-300:]

        # gunicorn replaces the worker and serves again
        deadline = time.monotonic() + 30
        while True:
            workers = workers_of(master) - {victim}
            try:
                if workers and requests.get(server.url + "/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, "gunicorn did not serve again"
            time.sleep(0.2)

        # what a whole reply to the same message looks like (another user's first turn)
        expected = requests.post(server.url + "/api/v1/chat", json={"message": MESSAGE},
                                 headers=register(server.url), timeout=10).json()["response"]

        with app.app_context():
            rows = list(db.session.scalars(
                select(Message).where(Message.conversation_id == uuid.UUID(conversation_id))
                .order_by(Message.sequence_number)
            ))
            assert [m.sequence_number for m in rows] == list(range(1, len(rows) + 1))
            assert (rows[0].role, rows[0].content) == ("user", MESSAGE)
            for message in rows[1:]:
                # stored whole or not at all
                assert message.role == "assistant" and message.content == expected
            unfinished = db.session.scalars(
                select(ToolCall).where(ToolCall.status.not_in(["success", "error"]) | ToolCall.status.is_(None))
            ).all()
            assert unfinished == []
            db.session.remove()

        # the conversation goes on
        follow_up = requests.post(server.url + "/api/v1/chat", headers=headers, timeout=10,
                                  json={"message": "what's pending?", "conversation_id": conversation_id})
        assert follow_up.status_code == 200, follow_up.text
        assert follow_up.json()["conversation_id"] == conversation_id
        detail = requests.get(f"{server.url}/api/v1/conversations/{conversation_id}", headers=headers, timeout=10)
        sequence = [m["sequence_number"] for m in detail.json()["messages"]]
        assert sequence == list(range(1, len(sequence) + 1)) and len(sequence) >= 3
