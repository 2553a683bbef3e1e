"""The seed's "ChatKit format", which is OpenAI's chat-completions format.

``{"messages": [{"role", "content"}], "stream": bool}`` plus an optional ``X-Conversation-Id``
header; the last user message is the turn. Served at ``POST /api/v1/chat/completions`` (so the
official ``openai`` clients work unchanged, model ``task-assistant``) and, for bodies with
``"messages"``, at ``POST /api/v1/chatkit``.
"""

from __future__ import annotations

import time
import uuid
from typing import Any, Literal

from flask import Response, jsonify, request
from flask_jwt_extended import current_user, get_current_user, jwt_required
from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError

from .. import public_ids, sse
from ..agent import TextDelta, TurnDone, llm, process_request, run_turn, start_turn
from ..errors import APIError, validation_details
from . import bp
from .validation import documented, json_object, message_text

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
        return message_text(content or "")
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
    if data.stream:
        start = start_turn(current_user.id, text, conversation_id)
        events = sse.opened_with(Opening(), run_turn(get_current_user(), start))
        encoder = CompletionEncoder(f"chatcmpl-{public_ids.opaque(start.user_message_id)}")
        return sse.stream_response(
            events, encoder, ERROR_FRAME, headers={CONVERSATION_HEADER: str(start.conversation_id)},
            cancellable=llm.enabled(),  # a client that hangs up stops the model, as ChatKit's Stop does
        )

    reply = process_request(current_user, text, conversation_id)
    completion = ChatCompletion(
        id=f"chatcmpl-{public_ids.opaque(reply.message_id)}",
        created=int(time.time()),
        choices=[CompletionChoice(message=CompletionChoiceMessage(content=reply.response))],
    )
    response = jsonify(completion.model_dump())
    response.headers[CONVERSATION_HEADER] = reply.conversation_id
    return response


class Opening:
    """The stream's first item, before the agent's own events: the role chunk."""


ERROR_FRAME = sse.frame({"error": {"code": "internal_error", "message": "Something went wrong on our side."}}) + (
    sse.frame("[DONE]")
)


class CompletionEncoder:
    """A turn's events as ``chat.completion.chunk`` frames: the role, a chunk per text piece,
    the stop chunk and ``[DONE]``."""

    def __init__(self, chunk_id: str):
        self.chunk_id = chunk_id
        self.created = int(time.time())

    def _chunk(self, delta: dict[str, Any], finish_reason: str | None = None) -> str:
        return sse.frame(
            {
                "id": self.chunk_id,
                "object": "chat.completion.chunk",
                "created": self.created,
                "model": MODEL,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
            }
        )

    def __call__(self, event: Any) -> tuple[str, ...]:
        if isinstance(event, Opening):
            return (self._chunk({"role": "assistant", "content": ""}),)
        if isinstance(event, TextDelta):
            return (self._chunk({"content": event.text}),)
        if isinstance(event, TurnDone):
            return self._chunk({}, "stop"), sse.frame("[DONE]")
        return ()


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
