"""``POST /api/v1/chat/completions`` and ``GET /api/v1/models``: OpenAI's chat-completions
format (the dialect is ``chatkit.completions``), so the official ``openai`` clients work unchanged."""

from __future__ import annotations

from flask_jwt_extended import current_user, jwt_required

from ..chatkit.completions import (
    MODEL,
    ChatCompletion,
    CompletionRequest,
    ModelList,
    ModelOut,
    complete,
)
from . import bp
from .validation import documented, json_object


@bp.post("/chat/completions")
@jwt_required()
@documented(summary="OpenAI-compatible chat completions (model task-assistant)", body=CompletionRequest,
            response=ChatCompletion, errors=(404,), streams=True)
def chat_completions():
    """One turn in the chat-completions format; ``stream: true`` answers SSE chunks."""
    return complete(current_user.id, json_object())


@bp.get("/models")
@jwt_required()
@documented(summary="The models served here (OpenAI-compatible)", response=ModelList)
def models():
    """The one model: ``task-assistant``."""
    return ModelList(data=[ModelOut(id=MODEL, created=0, owned_by="taskchat")]).model_dump()
