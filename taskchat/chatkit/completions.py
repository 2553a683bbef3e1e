"""The seed's "ChatKit format", which is OpenAI's chat-completions format: the dialect itself.

``{"messages": [{"role", "content"}], "stream": bool}`` plus an optional ``X-Conversation-Id``
header; the last user message is the turn. Two views speak it — ``POST /api/v1/chat/completions``
(so the official ``openai`` clients work unchanged, model ``task-assistant``) and, for bodies
with ``"messages"``, ``POST /api/v1/chatkit`` — so it lives here, below both.
"""

from __future__ import annotations

import time
import typing
import uuid
import warnings
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from flask import Response, jsonify, request
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    StrictBool,
    TypeAdapter,
    ValidationError,
)
from pydantic.json_schema import JsonSchemaValue, PydanticJsonSchemaWarning

from .. import public_ids, sse
from ..agent import TextDelta, TurnDone, model_answers, process_request, run_turn, start_turn
from ..errors import APIError, validation_details
from ..schemas import NOT_BLANK, NonBlank
from ..services import MAX_MESSAGE_CHARS, check_message

MODEL = "task-assistant"
CONVERSATION_HEADER = "X-Conversation-Id"


class ContentPart(BaseModel):
    # Clients send more part types (images, audio); only text parts make up the turn.
    model_config = ConfigDict(extra="ignore")
    type: str
    text: str | None = None


class TextPart(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: Literal["text"]
    text: NonBlank = Field(max_length=MAX_MESSAGE_CHARS)


# What the turn reads: the text, as a string or as one text part (the content-parts form
# OpenAI's clients send); not blank, at most ``MAX_MESSAGE_CHARS``, as ``check_message`` holds it.
UserContent = Annotated[NonBlank, Field(max_length=MAX_MESSAGE_CHARS)] | Annotated[
    list[TextPart], Field(min_length=1, max_length=1)
]


class UserMessage(BaseModel):
    """A user message: every one is held to what the turn needs of the last one, so that
    the document can say what is refused (JSON Schema cannot point at "the last")."""

    model_config = ConfigDict(extra="ignore")
    role: Literal["user"]
    content: UserContent

    @property
    def text(self) -> str:
        return self.content if isinstance(self.content, str) else self.content[0].text


class OtherMessage(BaseModel):
    """The conversation so far (the stored one is what the agent reads): taken, not used."""

    model_config = ConfigDict(extra="ignore")
    role: Literal["system", "developer", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None


CompletionMessage = UserMessage | OtherMessage

# The turn is the last user message: a list without one is refused (422), as documented.
Messages = Annotated[
    list[CompletionMessage],
    Field(
        min_length=1,
        json_schema_extra={"contains": {"type": "object", "properties": {"role": {"const": "user"}}, "required": ["role"]}},
    ),
]


class CompletionRequest(BaseModel):
    # OpenAI clients send options this assistant has no use for (temperature, n, …).
    model_config = ConfigDict(extra="ignore")
    messages: Messages
    stream: StrictBool = False
    model: str | None = None


def _supported_requests() -> TypeAdapter:
    """``ChatKitReq`` without the request types the view always refuses (attachments)."""
    # Deferred: the protocol module imports the chatkit package, which the chat-completions
    # view need not load.
    from .protocol import UNSUPPORTED_TYPES, ck

    union = typing.get_args(typing.get_args(ck.ChatKitReq)[0])
    kept = [req for req in union if typing.get_args(req.model_fields["type"].annotation)[0] not in UNSUPPORTED_TYPES]
    return TypeAdapter(Annotated[typing.Union[tuple(kept)], Field(discriminator="type")])  # noqa: UP007


class ChatKitBody(BaseModel):
    """What ``POST /api/v1/chatkit`` takes: a ChatKit request (``{"type", "params", "metadata"}``,
    validated with the ``openai-chatkit`` package's ``ChatKitReq``) or chat messages
    (``{"messages", "stream"}``, as ``/chat/completions`` takes them) — one or the other.

    The view validates the body itself; this model is the document's account of it, generated
    from those very types so that what the document allows is what the view takes."""

    model_config = ConfigDict(extra="allow")

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        with warnings.catch_warnings():
            # An action's generic payload defaults to its type variable, which has no JSON; the
            # document leaves that default out, as pydantic warns it does.
            warnings.simplefilter("ignore", PydanticJsonSchemaWarning)
            chatkit_req = handler(_supported_requests().core_schema)
        messages = handler(TypeAdapter(CompletionRequest).core_schema)
        return {
            "oneOf": [
                # A body with both keys is refused, whichever way it would read.
                {"allOf": [chatkit_req, {"not": {"required": ["messages"]}}]},
                {"allOf": [messages, {"not": {"required": ["type"]}}]},
            ]
        }

    @staticmethod
    def adjust_definitions(schemas: dict[str, Any], config: Mapping[str, Any]) -> None:
        """What the view holds a ChatKit request to beyond the package's types, said in the
        document's definitions (in place)."""
        message_input = schemas["UserMessageInput"]["properties"]
        # Typed text only: a message with attachments is refused.
        message_input["attachments"]["maxItems"] = 0
        # The turn is the parts' text joined (a task's tag reads "task N"): not blank, so some
        # part must say something. (Its length, at most MAX_MESSAGE_CHARS after trimming, is a
        # sum over parts that JSON Schema cannot state; that refusal is a 422.)
        message_input["content"]["contains"] = {
            "anyOf": [
                {"type": "object", "properties": {"text": {"type": "string", "pattern": NOT_BLANK}}, "required": ["text"],
                 "not": {"properties": {"type": {"const": "input_tag"}}, "required": ["type"]}},
                {"type": "object", "required": ["type", "data"], "properties": {
                    "type": {"const": "input_tag"},
                    "data": {"type": "object", "properties": {"number": {"type": "integer", "minimum": 1}}, "required": ["number"]},
                }},
                {"type": "object", "required": ["type", "text"], "properties": {
                    "type": {"const": "input_tag"}, "text": {"type": "string", "pattern": NOT_BLANK},
                    "data": {"not": {"properties": {"number": {"type": "integer", "minimum": 1}}, "required": ["number"]}},
                }},
            ]
        }
        if not config.get("TASKCHAT_LLM_BASE_URL"):
            # Dictation is offered only with a speech-to-text server to send the audio to.
            union = schemas["ChatKitBody"]["oneOf"][0]["allOf"][0]
            ref = union["discriminator"]["mapping"].pop("input.transcribe")
            union["oneOf"].remove({"$ref": ref})


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
        if isinstance(message, UserMessage):
            return check_message(message.text)
    raise APIError(422, "invalid_fields", "There is no user message to answer.")


def conversation_header() -> uuid.UUID | None:
    value = request.headers.get(CONVERSATION_HEADER, "").strip()
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise APIError(422, "invalid_fields", f"{CONVERSATION_HEADER} must be a UUID.") from exc


def complete(user_id: str, body: dict[str, Any]) -> Response:
    """Run the user's turn in ``body`` (already a JSON object) and answer as chat.completion(s)."""
    try:
        data = CompletionRequest.model_validate(body)
    except ValidationError as exc:
        raise APIError(422, "invalid_fields", "Some fields are invalid.", validation_details(exc)) from exc
    text = turn_text(data)
    conversation_id = conversation_header()
    if data.stream:
        start = start_turn(user_id, text, conversation_id)
        events = run_turn(user_id, start).before(Opening())
        encoder = CompletionEncoder(f"chatcmpl-{public_ids.opaque(start.user_message_id)}")
        return sse.stream_response(
            events, encoder, ERROR_FRAME, headers={CONVERSATION_HEADER: str(start.conversation_id)},
            background=model_answers(),  # a client that hangs up stops the model, as ChatKit's Stop does
        )

    reply = process_request(user_id, text, conversation_id)
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


