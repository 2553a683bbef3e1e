"""Conversations: newest first (optionally those matching ``q``), one with its messages and
tool calls, rename, delete."""

from flask_jwt_extended import current_user, jwt_required
from pydantic import Field

from ..agent import get_conversation
from ..agent.history import delete_conversation, messages_of
from ..conversation_admin import MAX_QUERY_CHARS, ConversationTitleInvalid, find_page, rename
from ..errors import APIError
from ..models import TITLE_CHARS
from ..schemas import NonBlank, Strict
from ..services import InvalidCursor
from . import bp
from .schemas import (
    ConversationDetail,
    ConversationOut,
    ConversationPage,
    ConversationQuery,
    OkResponse,
)
from .validation import documented, json_body, query_args


class ConversationSearch(ConversationQuery):
    q: str | None = Field(
        default=None, max_length=MAX_QUERY_CHARS,
        description="Only conversations whose title or any message contains these words (case-insensitive).",
    )


class ConversationRename(Strict):
    title: NonBlank = Field(min_length=1, max_length=TITLE_CHARS)


@bp.get("/conversations")
@jwt_required()
@documented(summary="The user's conversations, newest first; q searches titles and messages",
            query=ConversationSearch, response=ConversationPage, errors=(400, 422))
def conversations_index():
    query = query_args(ConversationSearch)
    try:
        rows, next_cursor = find_page(current_user.id, query.limit, query.cursor, query.q)
    except InvalidCursor as exc:
        # Well-formed (the schema's pattern) but not one this API handed out (its signature fails).
        raise APIError(400, "invalid_cursor", "Not a cursor of this API; use next_cursor from a page.") from exc
    return {"conversations": [row.to_dict() for row in rows], "next_cursor": next_cursor}


@bp.get("/conversations/<conversation_id>")
@jwt_required()
@documented(summary="One conversation with its messages and tool calls", response=ConversationDetail,
            errors=(404,))
def conversations_show(conversation_id: str):
    conversation = get_conversation(current_user.id, conversation_id)
    return {**conversation.to_dict(), "messages": [m.to_dict() for m in messages_of(conversation)]}


@bp.patch("/conversations/<conversation_id>")
@jwt_required()
@documented(summary="Rename a conversation", body=ConversationRename, response=ConversationOut,
            errors=(404, 422))
def conversations_rename(conversation_id: str):
    body = json_body(ConversationRename)
    try:
        conversation = rename(current_user.id, conversation_id, body.title)
    except ConversationTitleInvalid as exc:
        raise APIError(422, "invalid_fields", str(exc)) from exc
    return conversation.to_dict()


@bp.delete("/conversations/<conversation_id>")
@jwt_required()
@documented(summary="Delete a conversation and its messages", response=OkResponse, errors=(404,))
def conversations_delete(conversation_id: str):
    delete_conversation(current_user.id, conversation_id)
    return {"ok": True}
