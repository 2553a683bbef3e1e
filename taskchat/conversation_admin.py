"""Finding and tidying a user's conversations: search (titles and messages), rename, delete
several at once. Shared by the JSON API and the page; every query filters by the user."""

from __future__ import annotations

import uuid

from sqlalchemy import exists, func, or_, select

from .agent.persistence import ConversationNotFound, as_conversation_id, get_conversation
from .extensions import db
from .models import TITLE_CHARS, Conversation, Message
from .paging import keyset_page
from .services import decode_cursor, encode_cursor
from .tasks import one_line_title
from .transactions import writing

MAX_QUERY_CHARS = 200
MAX_BULK = 100


class ConversationTitleInvalid(ValueError):
    """A title that is empty or too long once its spaces are tidied."""


def find_page(user_id: str, limit: int, cursor: str | None = None, q: str | None = None):
    """A page of the user's conversations, newest first (keyset on ``updated_at``, ``id``),
    and the next page's cursor; with ``q``, only those whose title or a message contains it
    (case-insensitive, ``%`` and ``_`` taken literally)."""
    stmt = select(Conversation).where(Conversation.user_id == user_id)
    words = " ".join((q or "").split()).lower()[:MAX_QUERY_CHARS]
    if words:
        in_messages = exists(
            select(Message.id).where(
                Message.conversation_id == Conversation.id,
                func.lower(Message.content).contains(words, autoescape=True),
            )
        )
        stmt = stmt.where(or_(func.lower(Conversation.title).contains(words, autoescape=True), in_messages))
    start = decode_cursor(cursor) if cursor else None
    rows, more = keyset_page(stmt, (Conversation.updated_at, Conversation.id), limit, start)
    return rows, encode_cursor(rows[-1]) if more else None


def clean_title(title: str) -> str:
    return one_line_title(title, noun="conversation", limit=TITLE_CHARS, error=ConversationTitleInvalid)


def rename(user_id: str, conversation_id: str | uuid.UUID, title: str) -> Conversation:
    """Give the user's conversation a new title (its place in the list stays: a rename is not
    activity); commits."""
    title = clean_title(title)
    with writing():
        conversation = get_conversation(user_id, conversation_id)
        conversation.title = title
    return conversation


def owned(user_id: str, ids: list[str]) -> list[Conversation]:
    """The user's conversations with these ids, newest first; ``ConversationNotFound`` if any
    one is unknown or someone else's (so a mixed list deletes nothing)."""
    wanted = {as_conversation_id(value) for value in ids[:MAX_BULK]}
    if not wanted:
        return []
    rows = list(
        db.session.scalars(
            select(Conversation)
            .where(Conversation.user_id == user_id, Conversation.id.in_(wanted))
            .order_by(Conversation.updated_at.desc(), Conversation.id.desc())
        )
    )
    if len(rows) != len(wanted):
        missing = wanted - {row.id for row in rows}
        raise ConversationNotFound(str(next(iter(missing))))
    return rows


def delete_many(user_id: str, ids: list[str]) -> int:
    """Delete the user's conversations ``ids`` (at most ``MAX_BULK``) with their messages, all
    or none; commits; how many went."""
    if len(ids) > MAX_BULK:
        raise ValueError(f"At most {MAX_BULK} conversations at once.")
    with writing():
        rows = owned(user_id, ids)
        for row in rows:
            db.session.delete(row)
    return len(rows)


__all__ = ["ConversationTitleInvalid", "MAX_BULK", "clean_title", "delete_many", "find_page", "owned", "rename"]
