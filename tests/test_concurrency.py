"""Several workers writing to one conversation at once still get gapless sequence numbers."""

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import select

from taskchat.extensions import db
from taskchat.models import Message, Task

pytestmark = pytest.mark.live


def test_parallel_turns_in_one_conversation(app, live_server):
    session = requests.Session()
    token = session.post(
        live_server.url + "/api/v1/auth/register",
        json={"email": "busy@example.com", "password": "correct-horse-1"},
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    first = session.post(live_server.url + "/api/v1/chat", json={"message": "hi"}, headers=headers).json()
    conversation_id = first["conversation_id"]

    def send(i: int) -> int:
        response = requests.post(
            live_server.url + "/api/v1/chat",
            json={"message": f"add parallel task {i}", "conversation_id": conversation_id},
            headers=headers,
            timeout=60,
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(send, range(24)))
    assert statuses == [200] * 24

    with app.app_context():
        numbers = db.session.scalars(
            select(Message.sequence_number).where(Message.conversation_id == uuid.UUID(conversation_id))
        ).all()
        assert sorted(numbers) == list(range(1, 2 + 2 * 24 + 1))
        task_numbers = sorted(db.session.scalars(select(Task.number)).all())
        assert task_numbers == list(range(1, 25))

