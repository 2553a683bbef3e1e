"""Conversations: newest first, one with its messages and tool calls, delete."""

from flask_jwt_extended import current_user, jwt_required

from ..agent import get_conversation
from ..agent.history import delete_conversation, messages_of
from ..errors import APIError
from ..services import InvalidCursor, conversations_page
from . import bp
from .schemas import ConversationDetail, ConversationPage, ConversationQuery, OkResponse
from .validation import documented, query_args


@bp.get("/conversations")
@jwt_required()
@documented(summary="The user's conversations, newest first", query=ConversationQuery,
            response=ConversationPage, errors=(400, 422))
def conversations_index():
    query = query_args(ConversationQuery)
    try:
        rows, next_cursor = conversations_page(current_user.id, query.limit, query.cursor)
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


@bp.delete("/conversations/<conversation_id>")
@jwt_required()
@documented(summary="Delete a conversation and its messages", response=OkResponse, errors=(404,))
def conversations_delete(conversation_id: str):
    delete_conversation(current_user.id, conversation_id)
    return {"ok": True}
