"""The seed's "ChatKit format", which is OpenAI's chat-completions format.

``{"messages": [{"role", "content"}], "stream": bool}`` plus an optional ``X-Conversation-Id``
header; the last user message is the turn. Served at ``POST /api/v1/chat/completions`` (so the
official ``openai`` clients work unchanged, model ``task-assistant``) and, for bodies with
``"messages"``, at ``POST /api/v1/chatkit``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any, Literal

from flask import Response, current_app, jsonify, request, stream_with_context
from flask_jwt_extended import current_user, jwt_required
from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError

from .. import sse
from ..agent import ConversationNotFound, TextDelta, process_request, run_turn, start_turn
from ..errors import APIError, validation_details
from . import bp
from .schemas import MAX_MESSAGE_CHARS
from .validation import documented, json_object

MODEL = "task-assistant"
CONVERSATION_HEADER = "X-Conversation-Id"


class ContentPart(BaseModel):
    # Clients send more part types (images, audio); only text parts make up the turn.
    model_config = ConfigDict(extra="ignore")
    type: str
    text: str | None = None


class CompletionMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None


class CompletionRequest(BaseModel):
    # OpenAI clients send options this assistant has no use for (temperature, n, …).
    model_config = ConfigDict(extra="ignore")
    messages: list[CompletionMessage] = Field(min_length=1)
    stream: StrictBool = False
    model: str | None = None


class CompletionChoiceMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class CompletionChoice(BaseModel):
    index: int = 0
    message: CompletionChoiceMessage
    finish_reason: Literal["stop"] = "stop"


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str = MODEL
    choices: list[CompletionChoice]


class ModelOut(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelOut]


def turn_text(data: CompletionRequest) -> str:
    """The text of the last user message, or 422."""
    for message in reversed(data.messages):
        if message.role != "user":
            continue
        content = message.content
        if isinstance(content, list):
            content = "".join(part.text or "" for part in content if part.type == "text")
        text = (content or "").strip()
        limit = MAX_MESSAGE_CHARS
        if not text or len(text) > limit:
            raise APIError(422, "invalid_fields", f"The last user message must be 1 to {limit} characters.")
        return text
    raise APIError(422, "invalid_fields", "There is no user message to answer.")


def conversation_header() -> uuid.UUID | None:
    value = request.headers.get(CONVERSATION_HEADER, "").strip()
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise APIError(422, "invalid_fields", f"{CONVERSATION_HEADER} must be a UUID.") from exc


def complete(body: dict[str, Any]) -> Response:
    """Run the turn in ``body`` (already a JSON object) and answer as chat.completion(s)."""
    try:
        data = CompletionRequest.model_validate(body)
    except ValidationError as exc:
        raise APIError(422, "invalid_fields", "Some fields are invalid.", validation_details(exc)) from exc
    text = turn_text(data)
    conversation_id = conversation_header()
    try:
        if data.stream:
            start = start_turn(current_user.id, text, conversation_id)
        else:
            reply = process_request(current_user.id, text, conversation_id)
    except ConversationNotFound as exc:
        raise APIError(404, "conversation_not_found", "No such conversation.") from exc

    if data.stream:
        config = current_app.config
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        turn = run_turn(current_user.id, start.conversation_id, start.user_message_id)
        frames = completion_chunks(
            sse.in_background(turn, app, config["TASKCHAT_HEARTBEAT_SECONDS"]),
            chunk_id=f"chatcmpl-{start.user_message_id}",
            delay_ms=config["TASKCHAT_STREAM_DELAY_MS"],
        )
        response = Response(stream_with_context(frames), headers=sse.SSE_HEADERS)
        response.headers[CONVERSATION_HEADER] = str(start.conversation_id)
        return response

    completion = ChatCompletion(
        id=str(reply.message_id),
        created=int(time.time()),
        choices=[CompletionChoice(message=CompletionChoiceMessage(content=reply.response))],
    )
    response = jsonify(completion.model_dump())
    response.headers[CONVERSATION_HEADER] = reply.conversation_id
    return response


def _chunk(chunk_id: str, created: int, delta: dict[str, Any], finish_reason: str | None = None) -> str:
    return sse.frame(
        {
            "id": chunk_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": MODEL,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        }
    )


def completion_chunks(source: Iterator[Any], *, chunk_id: str, delay_ms: int) -> Iterator[str]:
    """A turn's events (read from its worker, ``None`` when idle) as ``chat.completion.chunk``
    frames, a word each, then ``[DONE]``. The role chunk goes first, without waiting."""
    created = int(time.time())
    yield _chunk(chunk_id, created, {"role": "assistant", "content": ""})
    words = 0
    try:
        for event in source:
            if event is None:
                yield sse.comment("keep-alive")
            elif isinstance(event, TextDelta):
                if words:
                    sse.pause(delay_ms)
                words += 1
                yield _chunk(chunk_id, created, {"content": event.text})
        yield _chunk(chunk_id, created, {}, "stop")
    except Exception:  # already logged by the worker; the status line has gone, so say it in-band
        yield sse.frame({"error": {"code": "internal_error", "message": "Something went wrong on our side."}})
    yield sse.frame("[DONE]")


@bp.post("/chat/completions")
@jwt_required()
@documented(summary="OpenAI-compatible chat completions (model task-assistant)", body=CompletionRequest,
            response=ChatCompletion, errors=(404,))
def chat_completions():
    """One turn in the chat-completions format; ``stream: true`` answers SSE chunks."""
    return complete(json_object())


@bp.get("/models")
@jwt_required()
@documented(summary="The models served here (OpenAI-compatible)", response=ModelList)
def models():
    """The one model: ``task-assistant``."""
    return ModelList(data=[ModelOut(id=MODEL, created=0, owned_by="taskchat")]).model_dump()
