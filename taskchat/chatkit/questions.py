"""The agent's questions as ChatKit structured input (``StructuredInputItem``), answered by
``threads.add_structured_input``.

A question ("which task?", "really delete them all?") is one multiple-choice input whose
options are the answers the agent offers; the client may also send an answer of its own
(free-form), which is then the user's next message as typed. Either way the answer becomes the
user's message and the agent's turn, as a click on an answer button or typing it does, so the
three are one path. The agent keeps a question for one turn only: a question followed by any
message is answered (closed), drawn with the answer that followed it when known.
"""

from __future__ import annotations

from typing import Any

from ..models import Message
from . import protocol
from .protocol import ck

QUESTION_ID = "answer"


class SubmissionError(ValueError):
    """A submission that answers nothing (skipped, or empty)."""


def _shown_answer(choices: list[dict[str, str]], text: str | None) -> str | None:
    """What the answer says: the label of the choice whose reply it is, or the text typed."""
    if text is None:
        return None
    for choice in choices:
        if choice["reply"] == text:
            return choice["label"]
    return text


def question_item(
    message: Message, text: str, *, answered: bool, answer: str | None = None
) -> ck.StructuredInputItem:
    """The question of ``message`` (it has choices), worded ``text``, as a structured input item.

    ``answered``: a later message followed; ``answer`` the user's message that did, if known.
    """
    choices = message.choices or []
    shown = _shown_answer(choices, answer) if answered else None
    return ck.StructuredInputItem(
        id=protocol.structured_item_id(message.id),
        thread_id=protocol.thread_id(message.conversation_id),
        created_at=message.created_at,
        status="answered" if answered else "pending",
        inputs=[
            ck.StructuredInputMultipleChoice(
                id=QUESTION_ID,
                question=text,
                options=[ck.StructuredInputMultipleChoiceOption(value=choice["label"]) for choice in choices],
                answer=ck.StructuredInputAnswer(values=[shown]) if shown else None,
            )
        ],
    )


def asked(reply: Any, text: str, thread_id: str, created_at: Any) -> ck.StructuredInputItem:
    """The question a turn's reply asks, worded ``text``, as its structured input item (pending)."""
    choices = [choice.to_dict() for choice in reply.choices]
    return ck.StructuredInputItem(
        id=protocol.structured_item_id(reply.message_id),
        thread_id=thread_id,
        created_at=created_at,
        inputs=[
            ck.StructuredInputMultipleChoice(
                id=QUESTION_ID,
                question=text,
                options=[ck.StructuredInputMultipleChoiceOption(value=choice["label"]) for choice in choices],
            )
        ],
    )


def reply_for(message: Message, submission: Any) -> str:
    """The user's message a submission stands for: a picked option's reply, or the text of an
    answer of one's own. A skipped or empty submission is refused (``SubmissionError``)."""
    answer = submission.answers.get(QUESTION_ID)
    if submission.status == "skipped" or answer is None or answer.skipped or not answer.values:
        raise SubmissionError("Skipping is not an answer here: type what you want instead.")
    value = answer.values[0]
    for choice in message.choices or []:
        if choice["label"] == value:
            return choice["reply"]
    return value
