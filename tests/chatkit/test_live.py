"""Against a real server on loopback: the official ``openai`` client, and clients that hang up
in the middle of a streamed reply."""

from __future__ import annotations

import asyncio
import json
import socket
import time
import uuid
from urllib.parse import urlsplit

import openai
import pytest
import requests
from sqlalchemy import select

from taskchat.agent.replies import HELP_TEXT
from taskchat.extensions import db
from taskchat.models import Message, ToolCall
from tests.helpers.chatkit import (
    EVENT,
    IGNORE_WIDGET_DEPRECATION,
    conversation_uuid,
    dumps,
    register_over_http,
    user_input,
    wait_for,
)

pytestmark = [pytest.mark.live, IGNORE_WIDGET_DEPRECATION]


def test_openai_client_non_streaming_and_streaming(app, live_server):
    account = register_over_http(live_server.url)
    client = openai.OpenAI(base_url=live_server.url + "/api/v1", api_key=account.token, max_retries=0)

    completion = client.chat.completions.create(
        model="task-assistant", messages=[{"role": "user", "content": "Add a task to buy groceries"}]
    )
    assert completion.object == "chat.completion" and completion.model == "task-assistant"
    assert completion.choices[0].message.content == "Added 'Buy groceries' (task 1)."
    assert completion.choices[0].finish_reason == "stop"

    raw = client.chat.completions.with_raw_response.create(
        model="task-assistant", messages=[{"role": "user", "content": "add call the bank"}]
    )
    conversation_id = raw.headers["X-Conversation-Id"]
    assert raw.parse().choices[0].message.content == "Added 'Call the bank' (task 2)."

    # streaming, continuing that conversation through the seed's header
    stream = client.chat.completions.create(
        model="task-assistant",
        messages=[{"role": "user", "content": "Show me all my tasks"}],
        stream=True,
        extra_headers={"X-Conversation-Id": conversation_id},
    )
    chunks = list(stream)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks)
    assert text == "You have 2 tasks:\n[ ] 1. Buy groceries\n[ ] 2. Call the bank"
    assert chunks[-1].choices[0].finish_reason == "stop"

    follow = client.chat.completions.with_raw_response.create(
        model="task-assistant",
        messages=[{"role": "user", "content": "Mark task 1 as complete"}],
        extra_headers={"X-Conversation-Id": conversation_id},
    )
    assert follow.headers["X-Conversation-Id"] == conversation_id
    assert "as complete" in follow.parse().choices[0].message.content
    with app.app_context():
        rows = list(db.session.scalars(
            select(Message).where(Message.conversation_id == uuid.UUID(conversation_id)).order_by(Message.sequence_number)
        ))
        assert [m.role for m in rows] == ["user", "assistant"] * 3
        assert rows[3].content == text

    assert [model.id for model in client.models.list()] == ["task-assistant"]
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=live_server.url + "/api/v1", api_key="nope", max_retries=0).chat.completions.create(
            model="task-assistant", messages=[{"role": "user", "content": "hi"}]
        )


def open_stream(base_url: str, path: str, token: str, body: dict) -> tuple[socket.socket, bytes]:
    """POST ``body`` on a raw socket and read until the headers and the first frames are in."""
    parts = urlsplit(base_url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    payload = dumps(body).encode()
    sock.sendall(
        f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n".encode() + payload
    )
    received = b""
    while received.count(b"\n\n") < 3:
        chunk = sock.recv(4096)
        assert chunk, "the server closed the stream early"
        received += chunk
    return sock, received


def hang_up(sock: socket.socket) -> None:
    # RST rather than FIN, like a browser tab being closed mid-download
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    sock.close()


def test_chatkit_stream_survives_a_client_hanging_up(app, paced_server):
    account = register_over_http(paced_server.url)
    body = {"type": "threads.create", "params": {"input": user_input("help")}}
    sock, received = open_stream(paced_server.url, "/api/v1/chatkit", account.token, body)
    head, _, rest = received.partition(b"\r\n\r\n")
    assert b" 200 " in head.split(b"\r\n")[0] and b"text/event-stream" in head
    first = rest.split(b"\n")
    frame = next(line for line in first if line.startswith(b"data: "))
    thread_id = EVENT.validate_json(frame[len(b"data: "):]).thread.id
    assert b"thread.updated" not in received  # 90-odd words at 30 ms each: far from the end
    hang_up(sock)

    with app.app_context():
        def stored():
            db.session.rollback()
            rows = list(db.session.scalars(
                select(Message).where(Message.conversation_id == conversation_uuid(thread_id))
                .order_by(Message.sequence_number)
            ))
            return rows if len(rows) == 2 else None

        user, assistant = wait_for(stored)
        assert (user.role, user.content) == ("user", "help")
        assert (assistant.role, assistant.content) == ("assistant", HELP_TEXT)
    # the server is fine afterwards
    assert requests.get(paced_server.url + "/healthz", timeout=5).status_code == 200


def test_completion_stream_survives_a_client_hanging_up(app, paced_server):
    account = register_over_http(paced_server.url)
    headers = {"Authorization": f"Bearer {account.token}"}
    for n in range(8):
        response = requests.post(paced_server.url + "/api/v1/chat",
                                 json={"message": f"add errand number {n}"}, headers=headers, timeout=10)
        assert response.status_code == 200
    body = {"messages": [{"role": "user", "content": "show my tasks"}], "stream": True}
    sock, received = open_stream(paced_server.url, "/api/v1/chat/completions", account.token, body)
    head = received.partition(b"\r\n\r\n")[0].decode()
    conversation_id = next(
        line.split(":", 1)[1].strip() for line in head.split("\r\n") if line.lower().startswith("x-conversation-id")
    )
    assert b"[DONE]" not in received
    hang_up(sock)

    with app.app_context():
        def stored():
            db.session.rollback()
            rows = list(db.session.scalars(
                select(Message).where(Message.conversation_id == uuid.UUID(conversation_id))
                .order_by(Message.sequence_number)
            ))
            return rows if len(rows) == 2 else None

        user, assistant = wait_for(stored)
        assert user.content == "show my tasks"
        assert assistant.content.startswith("You have 8 tasks:") and "[ ] 8. Errand number 7" in assistant.content
        calls = list(db.session.scalars(select(ToolCall).where(ToolCall.message_id == assistant.id)))
        assert [(c.tool_name, c.status) for c in calls] == [("list_tasks", "success")]


def test_live_chatkit_frames_validate(app, live_server):
    account = register_over_http(live_server.url)
    response = requests.post(
        live_server.url + "/api/v1/chatkit",
        json={"type": "threads.create", "params": {"input": user_input("add buy milk")}},
        headers={"Authorization": f"Bearer {account.token}"},
        stream=True,
        timeout=10,
    )
    assert response.headers["Content-Type"].startswith("text/event-stream")
    events = [
        EVENT.validate_json(line[len("data: "):])
        for line in response.iter_lines(decode_unicode=True)
        if line.startswith("data: ")
    ]
    assert events[0].type == "thread.created" and events[-1].type == "thread.updated"
    assert json.loads(events[-1].model_dump_json())["thread"]["title"] == "add buy milk"


def test_parallel_streams_into_one_thread_stay_gapless(app, live_server):
    from concurrent.futures import ThreadPoolExecutor

    account = register_over_http(live_server.url)
    headers = {"Authorization": f"Bearer {account.token}"}
    first = requests.post(live_server.url + "/api/v1/chatkit", headers=headers, timeout=20,
                          json={"type": "threads.create", "params": {"input": user_input("hello")}})
    thread_id = EVENT.validate_json(first.text.split("\n\n")[0][len("data: "):]).thread.id

    def send(n: int) -> list[str]:
        body = {"type": "threads.add_user_message",
                "params": {"thread_id": thread_id, "input": user_input(f"add parallel errand {n}")}}
        response = requests.post(live_server.url + "/api/v1/chatkit", json=body, headers=headers, timeout=30)
        assert response.status_code == 200
        return [EVENT.validate_json(line[len("data: "):]).type
                for line in response.text.split("\n\n") if line.startswith("data: ")]

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(send, range(6)))
    assert all(types[-1] == "thread.item.done" and "error" not in types for types in results)
    with app.app_context():
        rows = list(db.session.scalars(
            select(Message).where(Message.conversation_id == conversation_uuid(thread_id))
            .order_by(Message.sequence_number)
        ))
        assert [m.sequence_number for m in rows] == list(range(1, 15))
        users = sorted(m.content for m in rows if m.role == "user" and m.content != "hello")
        assert users == [f"add parallel errand {n}" for n in range(6)]


def test_one_worker_holds_hundreds_of_paced_streams_and_still_answers(app, paced_server):
    """gunicorn.conf.py's worker (gevent; the fixture runs one) keeps 200 replies paced at
    30 ms a word open at once, and answers /healthz while they are still being sent."""
    port = urlsplit(paced_server.url).port
    account = register_over_http(paced_server.url)
    body = dumps({"type": "threads.create", "params": {"input": user_input("help")}})
    request = (
        f"POST /api/v1/chatkit HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {account.token}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body.encode()

    async def stream() -> tuple[bool, float]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request)
        data = await asyncio.wait_for(reader.read(-1), timeout=120)
        writer.close()
        return b'"thread.item.done"' in data, time.monotonic()

    async def healthz_meanwhile() -> tuple[int, float]:
        await asyncio.sleep(0.5)  # the streams are open and pacing by now
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
        data = await asyncio.wait_for(reader.read(-1), timeout=60)
        writer.close()
        return int(data.split(b" ", 2)[1]), time.monotonic()

    async def main():
        return await asyncio.gather(healthz_meanwhile(), *(stream() for _ in range(200)))

    (status, answered_at), *streams = asyncio.run(main())
    assert all(done for done, _ in streams)
    assert status == 200
    # Answered while replies were still going out, not after a queue of them drained.
    assert answered_at < max(finished for _, finished in streams)
