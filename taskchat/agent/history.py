"""A conversation's stored past: reading it, dropping what followed a message (to answer it
again), deleting it. Every surface goes through these, so ownership and locking live here once."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select, update
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Conversation, Message
from ..transactions import writing
from .persistence import ConversationNotFound, get_conversation


class NotAUserMessage(ValueError):
    """Only a user's message can be answered again."""


def truncate_after(user_id: str, conversation_id: str | uuid.UUID, message_id: int) -> None:
    """Delete the messages after ``message_id`` (their tool calls cascade) and commit.

    The conversation's sequence counter goes back to that message, so the next reply takes
    the following number and the sequence stays gapless. ``ConversationNotFound`` for someone
    else's conversation or a message outside it; ``NotAUserMessage`` for an assistant message.
    """
    with writing():
        conversation = get_conversation(user_id, conversation_id)
        message = db.session.scalar(
            select(Message).where(Message.id == message_id, Message.conversation_id == conversation.id)
        )
        if message is None:
            raise ConversationNotFound(f"message {message_id}")
        if message.role != "user":
            raise NotAUserMessage(f"message {message_id} is an assistant message")
        db.session.execute(
            delete(Message).where(
                Message.conversation_id == conversation.id,
                Message.sequence_number > message.sequence_number,
            )
        )
        db.session.execute(
            update(Conversation)
            .where(Conversation.id == conversation.id)
            .values(last_sequence=message.sequence_number)
        )


def messages_of(conversation: Conversation) -> list[Message]:
    """The conversation's messages in sequence order, with their tool calls loaded."""
    return list(
        db.session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation.id)
            .order_by(Message.sequence_number)
            .options(selectinload(Message.tool_calls))
        )
    )


def delete_conversation(user_id: str, conversation_id: str | uuid.UUID) -> None:
    """Delete the user's conversation with its messages and tool calls, and commit.

    ``ConversationNotFound`` for an unknown id or someone else's conversation.
    """
    with writing():
        db.session.delete(get_conversation(user_id, conversation_id))
