"""``POST /api/v1/chatkit``: the ChatKit protocol and the seed's format, told apart by the body.

A body with ``"type"`` is a ChatKit request (as the ChatKit web component sends it); a body
with ``"messages"`` is the seed's chat-completions format (see ``completions``). ChatKit
requests are validated with the ``openai-chatkit`` types; anything wrong is a JSON 4xx before
a stream begins. Streaming requests store the user's message first, then answer
``text/event-stream`` with one ChatKit event per ``data:`` frame.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from flask import Response
from flask_jwt_extended import current_user, jwt_required
from pydantic import ValidationError

from .. import limits, sse
from ..agent import (
    ConversationNotFound,
    finish,
    model_answers,
    restart_from,
    run_action,
    start_turn,
)
from ..agent.history import NotAUserMessage, delete_conversation, truncate_after
from ..chatkit import choices, controls, dictation, entities, protocol, questions, responder, store
from ..chatkit.completions import ChatKitBody, complete
from ..chatkit.protocol import ck
from ..chatkit.widgets import ACTIONS, CHANGE_KIND, CHOICE_ACTION, UNDO_ACTION, card_of
from ..errors import APIError, validation_details
from ..models import TITLE_CHARS
from ..services import check_message
from . import bp
from .validation import documented, json_object

# ChatKit requests that run a turn of the agent and stream it; a refusal is an ``error`` event.
STREAMING_TURN_TYPES = frozenset(
    {"threads.create", "threads.add_user_message", "threads.retry_after_item", "threads.custom_action",
     "threads.add_structured_input"}
)
# Every ChatKit request that runs a turn counts against the chat limit: a task card's checkbox
# or date picker (``threads.sync_custom_action``, answered as JSON) runs one too. The rest
# (lists, renames…) do not; chat messages sent here are a turn like any other.
TURN_TYPES = STREAMING_TURN_TYPES | {"threads.sync_custom_action"}


def _runs_a_turn() -> bool:
    body = limits.json_body()
    # a body that is not a JSON object counts (the view answers it with its 4xx)
    return body is None or "messages" in body or body.get("type") in TURN_TYPES


def _refused_as_event(message: str) -> Response | None:
    """For a ChatKit request that would stream, the refusal as the ``error`` event it can show."""
    body = limits.json_body()
    if body is None or body.get("type") not in STREAMING_TURN_TYPES:
        return None
    return Response(protocol.rate_limited_frames(message), headers=sse.SSE_HEADERS)


limits.configure("api.chatkit", counts=_runs_a_turn, refusal=_refused_as_event)


@bp.post("/chatkit")
@jwt_required()
@documented(
    summary="ChatKit protocol (body with \"type\") or the seed's chat-completions format (\"messages\")",
    body=ChatKitBody,
    errors=(400, 404, 409, 413, 415, 422, 503),
    streams=True,
)
def chatkit():
    """Answer a ChatKit request, or a seed-format chat turn."""
    body = json_object()
    if ("type" in body) == ("messages" in body):
        raise APIError(
            422,
            "invalid_fields",
            'Send either a ChatKit request (with "type") or chat messages (with "messages"), '
            + ("not both." if "type" in body else "not neither."),
        )
    if "messages" in body:
        return complete(current_user.id, body)
    return answer(parse_request(body))


def parse_request(body: dict[str, Any]) -> Any:
    """The body as a ``ChatKitReq``; unsupported and invalid requests are 4xx."""
    kind = body.get("type")
    if kind == "input.transcribe" and not dictation.available():
        raise APIError(400, "not_supported", "input.transcribe is not supported: no speech-to-text server is configured.")
    if isinstance(kind, str) and kind in protocol.UNSUPPORTED_TYPES:
        raise APIError(
            400, "not_supported", f"{kind} is not supported: this assistant takes typed text only."
        )
    try:
        # Strict, as the document states the types: "5" is not a limit, nor false one.
        return protocol.REQUEST.validate_json(json.dumps(body), strict=True)
    except ValidationError as exc:
        if any(error["type"] == "union_tag_invalid" for error in exc.errors()):
            raise APIError(
                422, "unknown_type", f"Unknown ChatKit request type {kind!r}.", validation_details(exc)
            ) from exc
        raise APIError(422, "invalid_fields", "The ChatKit request is invalid.", validation_details(exc)) from exc


def answer(req: Any):
    handler = HANDLERS[req.type]
    try:
        return handler(req)
    except (store.NotFound, ConversationNotFound) as exc:
        raise APIError(404, "not_found", "No such thread or item.") from exc


# --- JSON answers --------------------------------------------------------------------------


def json_answer(model: Any = None) -> Response:
    return Response(protocol.dump(model) if model is not None else "{}", mimetype="application/json")


def get_thread(req: ck.ThreadsGetByIdReq) -> Response:
    conversation = store.conversation_for(current_user.id, req.params.thread_id)
    return json_answer(store.full_thread(current_user.id, conversation, _structured(req)))


def list_threads(req: ck.ThreadsListReq) -> Response:
    params = req.params
    return json_answer(store.threads_page(current_user.id, params.limit, params.order, params.after))


def list_items(req: ck.ItemsListReq) -> Response:
    params = req.params
    conversation = store.conversation_for(current_user.id, params.thread_id)
    return json_answer(
        store.items_page(current_user.id, conversation, params.limit, params.order, params.after, _structured(req))
    )


def update_thread(req: ck.ThreadsUpdateReq) -> Response:
    conversation = store.conversation_for(current_user.id, req.params.thread_id)
    title = " ".join(req.params.title.split())
    if not title or len(title) > TITLE_CHARS:
        raise APIError(422, "invalid_fields", f"The title must be 1 to {TITLE_CHARS} characters.")
    store.rename(conversation, title)
    return json_answer(store.thread_of(conversation))


def delete_thread(req: ck.ThreadsDeleteReq) -> Response:
    delete_conversation(current_user.id, store.conversation_for(current_user.id, req.params.thread_id).id)
    return json_answer()


def give_feedback(req: ck.ItemsFeedbackReq) -> Response:
    conversation = store.conversation_for(current_user.id, req.params.thread_id)
    try:
        store.record_feedback(conversation, req.params.item_ids, req.params.kind)
    except store.TooManyItems as exc:
        raise APIError(422, "invalid_fields", str(exc)) from exc
    return json_answer()


def sync_action(req: ck.ThreadsSyncCustomActionReq) -> Response:
    """A control or button with ``streaming: false``: do it, and answer with the redrawn widget.

    A task card's controls change the task with no turn (``controls``); the older task buttons
    run the agent's action."""
    if req.params.action.type == CHOICE_ACTION:
        raise APIError(
            422, "streaming_action", f"{CHOICE_ACTION} is answered with a stream: send it as threads.custom_action."
        )
    if controls.is_control(req.params.action.type):
        conversation = store.conversation_for(current_user.id, req.params.thread_id)
        try:
            card = controls.apply(current_user.id, conversation, req.params.item_id, req.params.action)
        except controls.ControlError as exc:
            raise APIError(exc.status, exc.code, str(exc)) from exc
        return json_answer(ck.SyncCustomActionResponse(updated_item=card))
    conversation, intent, number, widget_message_id = _action(req.params)
    finish(run_action(current_user.id, conversation.id, intent, number))
    updated = None
    if widget_message_id is not None:
        updated = store.refresh_task_list(current_user.id, widget_message_id)
    return json_answer(ck.SyncCustomActionResponse(updated_item=updated))


# --- streams -------------------------------------------------------------------------------
# A stream's events may run in a worker thread (a model's turn), where there is no request:
# they get plain values (the user's id and zone), never the ``current_user`` proxy.


def _zone():
    return current_user.zone


def _structured(req: Any) -> bool:
    return protocol.wants_structured_input(req)


def stream(events_and_encoder: tuple[Iterator[Any], responder.ChatKitEncoder], text_turn: bool = False) -> Response:
    """Send the events as ChatKit ``data:`` frames through the one stream pipeline.

    ``text_turn``: the events answer a message, which a language model may be answering (then
    in a worker thread, and the user may stop it); a button's action is the rules' own.
    """
    events, encoder = events_and_encoder
    return sse.stream_response(events, encoder, responder.ERROR_FRAME, background=text_turn and model_answers())


def _user_text(message_input: ck.UserMessageInput) -> str:
    if message_input.attachments:
        raise APIError(400, "not_supported", "Attachments are not supported: this assistant takes typed text only.")
    return check_message(entities.message_text(message_input.content))


def create_thread(req: ck.ThreadsCreateReq) -> Response:
    start = start_turn(current_user.id, _user_text(req.params.input))
    return stream(responder.respond(current_user.id, _zone(), start, structured=_structured(req)), text_turn=True)


def add_user_message(req: ck.ThreadsAddUserMessageReq) -> Response:
    conversation_id = protocol.parse_thread_id(req.params.thread_id)
    if conversation_id is None:
        raise store.NotFound(req.params.thread_id)
    start = start_turn(current_user.id, _user_text(req.params.input), conversation_id)
    return stream(responder.respond(current_user.id, _zone(), start, structured=_structured(req)), text_turn=True)


def retry_after_item(req: ck.ThreadsRetryAfterItemReq) -> Response:
    """Drop what followed the user's message and answer it again."""
    conversation = store.conversation_for(current_user.id, req.params.thread_id)
    message, is_widget = store.message_for(conversation, req.params.item_id)
    try:
        if is_widget:
            raise NotAUserMessage(req.params.item_id)
        truncate_after(current_user.id, conversation.id, message.id)
    except NotAUserMessage as exc:
        raise APIError(422, "not_a_user_message", "Only a user message can be retried.") from exc
    start = restart_from(conversation, message)
    return stream(
        responder.respond(current_user.id, _zone(), start, echo_user=False, structured=_structured(req)),
        text_turn=True,
    )


def _action(params: ck.ThreadCustomActionParams):
    """The thread, intent, task number and sender widget of a button press, or 4xx."""
    conversation = store.conversation_for(current_user.id, params.thread_id)
    intent = ACTIONS.get(params.action.type)
    if intent is None:
        raise APIError(
            422, "unknown_action", f"Unknown action {params.action.type!r}; known: {', '.join(sorted(ACTIONS))}."
        )
    payload = params.action.payload
    number = payload.get("number") if isinstance(payload, dict) else None
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise APIError(422, "invalid_fields", 'The action payload must be {"number": <task number>}.')
    widget_message_id = None
    if params.item_id:
        message, is_widget = store.message_for(conversation, params.item_id)
        if not is_widget:
            raise APIError(422, "not_a_widget", "Actions come from widget items.")
        widget_message_id = message.id
    return conversation, intent, number, widget_message_id


def custom_action(req: ck.ThreadsCustomActionReq) -> Response:
    if req.params.action.type == CHOICE_ACTION:
        return pick_choice(req.params)
    if req.params.action.type == UNDO_ACTION:
        return undo_change(req.params)
    if controls.is_control(req.params.action.type):
        store.conversation_for(current_user.id, req.params.thread_id)
        raise APIError(
            422, "sync_action", f"{req.params.action.type} is a sync action: send it as threads.sync_custom_action."
        )
    conversation, intent, number, widget_message_id = _action(req.params)
    return stream(responder.act(current_user.id, _zone(), conversation.id, intent, number, widget_message_id))


def undo_change(params: ck.ThreadCustomActionParams) -> Response:
    """A change card's Undo: the agent's undo, streamed; on an older card, closed with a word why."""
    conversation = store.conversation_for(current_user.id, params.thread_id)
    if not params.item_id:
        raise APIError(422, "invalid_fields", "Undo comes from a change's card: send its item_id.")
    message, is_widget = store.message_for(conversation, params.item_id)
    card = card_of(message) if is_widget else None
    if card is None or card.kind != CHANGE_KIND:
        raise APIError(422, "not_a_change_card", "Undo comes from the card of a change the assistant made.")
    if not store.is_latest(conversation, message) or not store.can_undo(conversation):
        item = store.redraw_card(current_user.id, message, conversation)
        closed = ck.ThreadItemUpdatedEvent(item_id=item.id, update=ck.WidgetRootUpdated(widget=item.widget))
        return stream(choices.too_late(closed, UNDO_TOO_LATE))
    return stream(responder.undo(current_user.id, _zone(), conversation, message.id))


UNDO_TOO_LATE = "That change can no longer be undone from its card (only the latest one can); say what to change instead."


def pick_choice(params: ck.ThreadCustomActionParams) -> Response:
    """A question's answer button: its reply becomes the user's message, answered in the stream."""
    conversation = store.conversation_for(current_user.id, params.thread_id)
    try:
        question, text = choices.picked(conversation, params.item_id, params.action.payload)
    except choices.ChoiceError as exc:
        raise APIError(422, exc.code, str(exc)) from exc
    answered = choices.answered(question, _zone())
    if not store.is_latest(conversation, question):
        return stream(choices.too_late(answered))
    start = start_turn(current_user.id, text, conversation.id)
    return stream(choices.answer(current_user.id, _zone(), start, answered), text_turn=True)


def add_structured_input(req: ck.ThreadsAddStructuredInputReq) -> Response:
    """The answer to a question asked as structured input: the question closed (replaced,
    answered), then the answer as the user's message and the agent's turn. A question a later
    message already answered is closed with a word why, and nothing is stored."""
    params = req.params
    conversation = store.conversation_for(current_user.id, params.thread_id)
    if not protocol.is_structured_id(params.item_id):
        raise store.NotFound(params.item_id)
    question, _ = store.message_for(conversation, params.item_id)
    if not question.choices:
        raise APIError(422, "not_a_question", "Structured input answers the item of a message that asks.")
    if not store.is_latest(conversation, question):
        closed = ck.ThreadItemReplacedEvent(
            item=questions.question_item(question, store.assistant_text(question), answered=True)
        )
        return stream(choices.too_late(closed))
    try:
        text = check_message(questions.reply_for(question, params.input))
    except questions.SubmissionError as exc:
        raise APIError(422, "invalid_fields", str(exc)) from exc
    start = start_turn(current_user.id, text, conversation.id)
    closed = ck.ThreadItemReplacedEvent(
        item=questions.question_item(question, store.assistant_text(question), answered=True, answer=text)
    )
    events, encoder = responder.respond(current_user.id, _zone(), start, structured=True)
    return stream((events.before(closed), encoder), text_turn=True)


def transcribe(req: ck.InputTranscribeReq) -> Response:
    """Dictation: the audio's text, from the model server's speech-to-text endpoint."""
    try:
        return json_answer(dictation.transcribe(req.params))
    except dictation.TranscriptionError as exc:
        raise APIError(exc.status, exc.code, str(exc)) from exc


def add_client_tool_output(req: ck.ThreadsAddClientToolOutputReq) -> Response:
    store.conversation_for(current_user.id, req.params.thread_id)
    return stream(responder.no_pending_tool_call())


HANDLERS: dict[str, Callable[[Any], Response]] = {
    "threads.get_by_id": get_thread,
    "threads.list": list_threads,
    "items.list": list_items,
    "threads.update": update_thread,
    "threads.delete": delete_thread,
    "items.feedback": give_feedback,
    "threads.sync_custom_action": sync_action,
    "threads.create": create_thread,
    "threads.add_user_message": add_user_message,
    "threads.retry_after_item": retry_after_item,
    "threads.custom_action": custom_action,
    "threads.add_client_tool_output": add_client_tool_output,
    "threads.add_structured_input": add_structured_input,
    "input.transcribe": transcribe,
}
