"""The peer for ``benchmarks.http``: the official ``openai-chatkit`` ``ChatKitServer`` on
FastAPI + uvicorn, with an in-memory store and a reply that echoes the user's words.

    uvicorn benchmarks.chatkit_peer:app --workers 2

It does no database work at all, so it is the price of the ChatKit protocol alone in the
official server: what our endpoint, which stores every turn, is measured against.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response, StreamingResponse

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from chatkit import types as ck
    from chatkit.server import ChatKitServer, StreamingResult
    from chatkit.store import NotFoundError, Store


class MemoryStore(Store[dict]):
    """Threads and items in dictionaries, every operation O(1) or O(page).

    Each worker process has its own; a thread made on one worker is made on first sight by
    the other (the benchmark's requests land on either), so no request fails for that.
    """

    def __init__(self) -> None:
        self.threads: dict[str, ck.ThreadMetadata] = {}
        self.items: dict[str, list[Any]] = defaultdict(list)
        self.where: dict[str, int] = {}

    async def load_thread(self, thread_id: str, context: dict) -> ck.ThreadMetadata:
        if thread_id not in self.threads:
            self.threads[thread_id] = ck.ThreadMetadata(id=thread_id, created_at=datetime.now(UTC))
        return self.threads[thread_id]

    async def save_thread(self, thread: ck.ThreadMetadata, context: dict) -> None:
        self.threads[thread.id] = thread

    async def load_thread_items(self, thread_id, after, limit, order, context) -> ck.Page:
        items = self.items[thread_id]
        page = items[:limit] if order == "asc" else items[-limit:][::-1]
        return ck.Page(data=page, has_more=len(items) > limit)

    async def save_attachment(self, attachment, context) -> None:
        raise NotImplementedError

    async def load_attachment(self, attachment_id, context):
        raise NotImplementedError

    async def delete_attachment(self, attachment_id, context) -> None:
        raise NotImplementedError

    async def load_threads(self, limit, after, order, context) -> ck.Page:
        threads = list(self.threads.values())
        return ck.Page(data=threads[:limit], has_more=len(threads) > limit)

    async def add_thread_item(self, thread_id, item, context) -> None:
        self.where[item.id] = len(self.items[thread_id])
        self.items[thread_id].append(item)

    async def save_item(self, thread_id, item, context) -> None:
        if item.id in self.where:
            self.items[thread_id][self.where[item.id]] = item
        else:
            await self.add_thread_item(thread_id, item, context)

    async def load_item(self, thread_id, item_id, context):
        if item_id not in self.where:
            raise NotFoundError(item_id)
        return self.items[thread_id][self.where[item_id]]

    async def delete_thread(self, thread_id, context) -> None:
        self.threads.pop(thread_id, None)
        self.items.pop(thread_id, None)

    async def delete_thread_item(self, thread_id, item_id, context) -> None:
        raise NotImplementedError


class EchoServer(ChatKitServer[dict]):
    """Answers every message with its own words, streamed as deltas like a model's."""

    async def respond(self, thread, input_user_message, context) -> AsyncIterator[ck.ThreadStreamEvent]:
        text = "".join(part.text for part in input_user_message.content) if input_user_message else ""
        item_id = self.store.generate_item_id("message", thread, context)
        now = datetime.now(UTC)
        yield ck.ThreadItemAddedEvent(
            item=ck.AssistantMessageItem(id=item_id, thread_id=thread.id, created_at=now, content=[])
        )
        yield ck.ThreadItemUpdatedEvent(
            item_id=item_id,
            update=ck.AssistantMessageContentPartAdded(content_index=0, content=ck.AssistantMessageContent(text="")),
        )
        for word in text.split(" "):
            yield ck.ThreadItemUpdatedEvent(
                item_id=item_id,
                update=ck.AssistantMessageContentPartTextDelta(content_index=0, delta=word + " "),
            )
        content = ck.AssistantMessageContent(text=text)
        yield ck.ThreadItemUpdatedEvent(
            item_id=item_id, update=ck.AssistantMessageContentPartDone(content_index=0, content=content)
        )
        yield ck.ThreadItemDoneEvent(
            item=ck.AssistantMessageItem(id=item_id, thread_id=thread.id, created_at=now, content=[content])
        )


server = EchoServer(MemoryStore())
app = FastAPI()


@app.get("/healthz")
async def healthz() -> dict:
    return {"status": "ok"}


@app.post("/chatkit")
async def chatkit(request: Request):
    result = await server.process(await request.body(), {})
    if isinstance(result, StreamingResult):
        return StreamingResponse(result, media_type="text/event-stream")
    return Response(content=result.json, media_type="application/json")
