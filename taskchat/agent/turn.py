"""The one chat turn every surface drives: parse → tools → reply, yielded as events.

``start_turn`` commits the user's message (so a stream can begin with it stored);
``run_turn`` does the work and commits the assistant message, its tool calls and the
conversation state in one transaction when the turn ends. ``finish`` drains a turn that
a surface stopped reading (a client that hung up) so that it is still stored whole.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update

from ..extensions import db
from ..models import Conversation, Message, Task, ToolCall, User, utcnow
from ..transactions import begin_write
from .actions import Outcome, act
from .events import Reply, TextDelta, ToolFinished, ToolStarted, TurnDone, TurnEvent
from .matching import match_title
from .parser import ParseContext, ParsedIntent, TaskRef, parse_intent
from .tools import TOOLS, ToolContext, ToolError, list_tasks

log = logging.getLogger(__name__)

MODEL_NAME = "taskchat-rules"
TITLE_LENGTH = 60


class ConversationNotFound(LookupError):
    """The conversation does not exist or belongs to someone else (both answer 404)."""


@dataclass(frozen=True)
class TurnStart:
    conversation_id: uuid.UUID
    user_message_id: int
    created: bool
    title: str | None


def _as_uuid(value: str | uuid.UUID | None) -> uuid.UUID | None:
    if value is None or isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise ConversationNotFound(str(value)) from exc


def get_conversation(user_id: str, conversation_id: str | uuid.UUID) -> Conversation:
    """The user's conversation, or ``ConversationNotFound`` (also for someone else's)."""
    conversation = db.session.scalar(
        select(Conversation).where(
            Conversation.id == _as_uuid(conversation_id), Conversation.user_id == user_id
        )
    )
    if conversation is None:
        raise ConversationNotFound(str(conversation_id))
    return conversation


def title_from(message: str) -> str:
    text = " ".join(message.split())
    return text if len(text) <= TITLE_LENGTH else text[: TITLE_LENGTH - 1].rstrip() + "…"


def add_message(conversation: Conversation, role: str, content: str, **fields: Any) -> Message:
    message = Message(
        conversation_id=conversation.id,
        role=role,
        content=content,
        sequence_number=conversation.allocate_sequence(),
        **fields,
    )
    db.session.add(message)
    return message


def start_turn(user_id: str, message: str, conversation_id: str | uuid.UUID | None = None) -> TurnStart:
    """Store the user's message (in a new conversation when no id is given) and commit it."""
    # PostgreSQL text cannot hold NUL; keep the message, mark where the character was.
    message = message.replace("\x00", "\ufffd")
    begin_write()
    created = conversation_id is None
    if created:
        conversation = Conversation(user_id=user_id, title=title_from(message), state={})
        db.session.add(conversation)
        db.session.flush()
    else:
        conversation = get_conversation(user_id, conversation_id)
        if not conversation.title:
            conversation.title = title_from(message)
    user_message = add_message(conversation, "user", message)
    db.session.commit()
    return TurnStart(conversation.id, user_message.id, created, conversation.title)


def _call_tool(ctx: ToolContext, name: str, arguments: dict[str, Any]) -> Generator[TurnEvent, None, ToolFinished]:
    yield ToolStarted(name, arguments)
    started_at = utcnow()
    clock = time.perf_counter()
    output: Any = None
    error: str | None = None
    try:
        with db.session.begin_nested():
            output = TOOLS[name].function(ctx, **arguments)
    except ToolError as exc:
        error = str(exc)
    except Exception as exc:  # a broken tool is recorded and answered, not a lost turn
        log.exception("tool %s failed", name)
        error = f"{name} failed: {exc.__class__.__name__}"
    finished = ToolFinished(
        name=name,
        arguments=arguments,
        output=output,
        status="error" if error else "success",
        error=error,
        execution_time_ms=round((time.perf_counter() - clock) * 1000),
        started_at=started_at,
        finished_at=utcnow(),
    )
    yield finished
    return finished


class Turn:
    """The state of one turn while it runs: who, when, which conversation, what was called."""

    def __init__(self, user: User, conversation: Conversation, now: datetime | None = None):
        self.user = user
        self.conversation = conversation
        self.ctx = ToolContext(user=user, now=now or datetime.now(UTC))
        self.state: dict[str, Any] = dict(conversation.state or {})
        self.calls: list[ToolFinished] = []
        # Tasks this turn's tools touched, remembered for "it" in the next turn.
        self.touched: list[int] = []

    @property
    def tz(self):
        return self.ctx.tz

    def call(self, name: str, **arguments: Any) -> Generator[TurnEvent, None, ToolFinished]:
        finished = yield from _call_tool(self.ctx, name, arguments)
        self.calls.append(finished)
        output = finished.output if isinstance(finished.output, dict) else None
        if finished.status == "success" and output and "number" in output and name != "delete_task":
            self.touched.append(output["number"])
        return finished

    def remember(self, numbers: list[int]) -> None:
        """The tasks "it"/"that"/"the second one" refer to next."""
        if numbers:
            self.state["last_tasks"] = list(dict.fromkeys(numbers))

    def user_tasks(self) -> list[Task]:
        return list(
            db.session.scalars(select(Task).where(Task.user_id == self.user.id).order_by(Task.number))
        )

    def resolve(self, ref: TaskRef, prefer_completed: bool | None = None) -> list[int]:
        """Task numbers a reference may mean: one, several (ask which), or none.

        ``prefer_completed`` narrows a title match to open (False) or done (True) tasks when
        any of those match, so "check off milk" skips the milk task already checked off.
        """
        if ref.number is not None:
            return [ref.number]
        last = [int(n) for n in self.state.get("last_tasks", [])]
        if ref.pronoun:
            return last
        if ref.last or ref.ordinal is not None:
            # "the last one" / "the fifth one": of the tasks last shown, else of the whole list
            if ref.last:
                return (last if len(last) > 1 else self.listed())[-1:]
            shown = last if len(last) >= ref.ordinal else self.listed()
            return [shown[ref.ordinal - 1]] if 0 < ref.ordinal <= len(shown) else []
        if not ref.title:
            return []
        tasks = self.user_tasks()
        if prefer_completed is not None:
            preferred = {task.number: task.title for task in tasks if task.completed == prefer_completed}
            found = match_title(ref.title, preferred)
            if found:
                return found
        return match_title(ref.title, {task.number: task.title for task in tasks})

    def listed(self) -> list[int]:
        """The user's task numbers in the order "show my tasks" lists them."""
        return [task["number"] for task in list_tasks(self.ctx)["tasks"]]


def _words(text: str) -> Iterator[str]:
    yield from re.findall(r"\S+\s*", text)


def _record(turn: Turn, outcome: Outcome, started: float, user_message_id: int | None) -> Reply:
    conversation = turn.conversation
    message = add_message(
        conversation,
        "assistant",
        outcome.text,
        model=MODEL_NAME,
        intent=outcome.intent,
        display=outcome.display,
        choices=[choice.to_dict() for choice in outcome.choices] or None,
    )
    db.session.flush()
    for call in turn.calls:
        db.session.add(
            ToolCall(
                message_id=message.id,
                tool_name=call.name,
                tool_input=call.arguments,
                tool_output=call.output,
                status=call.status,
                error_message=call.error,
                execution_time_ms=call.execution_time_ms,
                created_at=call.started_at or utcnow(),
                completed_at=call.finished_at or utcnow(),
            )
        )
    db.session.execute(
        update(Conversation).where(Conversation.id == conversation.id).values(state=turn.state)
    )
    db.session.commit()
    return Reply(
        response=outcome.text,
        conversation_id=str(conversation.id),
        intent=outcome.intent,
        tool_calls=list(turn.calls),
        execution_time_ms=round((time.perf_counter() - started) * 1000),
        message_id=message.id,
        user_message_id=user_message_id,
        display=outcome.display,
        title=conversation.title,
        choices=list(outcome.choices),
    )


def _run(
    user_id: str,
    conversation_id: str | uuid.UUID,
    decide,
    user_message_id: int | None,
    now: datetime | None,
) -> Iterator[TurnEvent]:
    started = time.perf_counter()
    begin_write()
    user = db.session.get(User, user_id)
    conversation = get_conversation(user_id, conversation_id)
    turn = Turn(user, conversation, now)
    try:
        outcome = yield from decide(turn)
    except BaseException:
        db.session.rollback()
        raise
    reply = _record(turn, outcome, started, user_message_id)
    for word in _words(reply.response):
        yield TextDelta(word)
    yield TurnDone(reply)


def run_turn(
    user_id: str,
    conversation_id: str | uuid.UUID,
    user_message_id: int,
    now: datetime | None = None,
) -> Iterator[TurnEvent]:
    """Answer the stored user message ``user_message_id``: yields tool and text events, then done."""

    def decide(turn: Turn):
        message = db.session.get(Message, user_message_id)
        context = ParseContext(now=turn.ctx.now, tz=turn.tz, state=turn.state)
        parsed = parse_intent(message.content, context)
        return (yield from act(turn, parsed))

    return _run(user_id, conversation_id, decide, user_message_id, now)


def run_action(
    user_id: str,
    conversation_id: str | uuid.UUID,
    intent: str,
    number: int,
    now: datetime | None = None,
) -> Iterator[TurnEvent]:
    """A turn started by a button (e.g. a ChatKit widget's Complete) rather than by text."""

    def decide(turn: Turn):
        parsed = ParsedIntent(intent, {}, [TaskRef(number=number)])
        return (yield from act(turn, parsed))

    return _run(user_id, conversation_id, decide, None, now)


def finish(events: Iterable[TurnEvent]) -> Reply:
    """Consume a turn's remaining events and return its reply."""
    reply = None
    for event in events:
        if isinstance(event, TurnDone):
            reply = event.reply
    if reply is None:
        raise RuntimeError("turn ended without a reply")
    return reply


def process_request(
    user_id: str,
    message: str,
    conversation_id: str | uuid.UUID | None = None,
    now: datetime | None = None,
) -> Reply:
    """One whole turn, synchronously: store the message, act, store and return the reply."""
    start = start_turn(user_id, message, conversation_id)
    return finish(run_turn(user_id, start.conversation_id, start.user_message_id, now=now))
