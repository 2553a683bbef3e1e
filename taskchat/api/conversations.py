"""Conversations: newest first, one with its messages and tool calls, delete."""

import base64
import binascii
import uuid
from datetime import datetime

from flask_jwt_extended import current_user, jwt_required
from sqlalchemy import and_, or_, select

from ..agent import ConversationNotFound, get_conversation
from ..agent.history import delete_conversation, messages_of
from ..errors import APIError
from ..extensions import db
from ..models import Conversation
from . import bp
from .schemas import ConversationDetail, ConversationPage, ConversationQuery, OkResponse
from .validation import documented, query_args


def encode_cursor(conversation: Conversation) -> str:
    raw = f"{conversation.updated_at.isoformat()}|{conversation.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, ident = raw.split("|", 1)
        return datetime.fromisoformat(stamp), uuid.UUID(ident)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        # Well-formed (the schema's pattern) but not one this API handed out: no such page.
        raise APIError(404, "cursor_not_found", "No page at this cursor; use next_cursor from a page.") from exc


def conversations_page(user_id: str, limit: int, cursor: str | None = None):
    """A page of the user's conversations, newest first, and the cursor of the next page."""
    stmt = select(Conversation).where(Conversation.user_id == user_id)
    if cursor:
        stamp, ident = decode_cursor(cursor)
        stmt = stmt.where(
            or_(
                Conversation.updated_at < stamp,
                and_(Conversation.updated_at == stamp, Conversation.id < ident),
            )
        )
    stmt = stmt.order_by(Conversation.updated_at.desc(), Conversation.id.desc()).limit(limit + 1)
    rows = list(db.session.scalars(stmt))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1]) if more else None


def _owned(conversation_id: str) -> Conversation:
    try:
        return get_conversation(current_user.id, conversation_id)
    except ConversationNotFound as exc:
        raise APIError(404, "conversation_not_found", "No such conversation.") from exc


@bp.get("/conversations")
@jwt_required()
@documented(summary="The user's conversations, newest first", query=ConversationQuery,
            response=ConversationPage, errors=(404, 422))
def conversations_index():
    query = query_args(ConversationQuery)
    rows, next_cursor = conversations_page(current_user.id, query.limit, query.cursor)
    return {"conversations": [row.to_dict() for row in rows], "next_cursor": next_cursor}


@bp.get("/conversations/<conversation_id>")
@jwt_required()
@documented(summary="One conversation with its messages and tool calls", response=ConversationDetail,
            errors=(404,))
def conversations_show(conversation_id: str):
    conversation = _owned(conversation_id)
    return {**conversation.to_dict(), "messages": [m.to_dict() for m in messages_of(conversation)]}


@bp.delete("/conversations/<conversation_id>")
@jwt_required()
@documented(summary="Delete a conversation and its messages", response=OkResponse, errors=(404,))
def conversations_delete(conversation_id: str):
    try:
        delete_conversation(current_user.id, conversation_id)
    except ConversationNotFound as exc:
        raise APIError(404, "conversation_not_found", "No such conversation.") from exc
    return {"ok": True}
