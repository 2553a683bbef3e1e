"""The one chat turn every surface drives: parse → tools → reply, yielded as events.

Two write transactions per turn. ``start_turn`` stores the user's message (so it is visible
before the reply) and returns what the turn needs of the conversation. ``run_turn`` runs the
backend inside the second one: the tools' changes, then the reply, its tool calls and the
conversation state; it announces the reply (``ReplyStarted``, with the stored message id)
before its first words, yields the words, then commits. ``finish`` drains a turn that a
surface stopped reading (a client that hung up) so that it is still stored whole.

The backend seam: ``decide(turn)`` is a generator that yields tool events (``turn.call``) and,
if its text arrives over time, ``TextDelta`` pieces, and returns an ``Outcome``. A backend
that returns its text whole (the rule-based one) has it spoken word by word.

A language model's turn (``agent/llm.py``) is slow, so it does not hold the write lock while
the model talks: its tool rounds commit as they finish, the reply is announced (stored empty,
marked interrupted until it ends) in a short transaction of its own, and the text, tool calls
and state are stored when the turn ends, or when it is cancelled (``_run_unlocked``).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Generator, Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, case, insert, select, update

from .. import transactions
from ..extensions import db
from ..models import Conversation, Message, Task, ToolCall, User, utcnow
from ..transactions import writing
from . import llm
from .actions import Outcome, act
from .events import (
    Reply,
    ReplyStarted,
    TextDelta,
    ToolFinished,
    ToolStarted,
    TurnDone,
    TurnEvent,
    turn_stored,
)
from .matching import done_fits, match_title
from .parser import ParseContext, ParsedIntent, TaskRef, TaskView, parse_intent
from .tools import TOOLS, ToolContext, ToolError, call_tool, list_tasks

log = logging.getLogger(__name__)

MODEL_NAME = "taskchat-rules"
TITLE_LENGTH = 60


class ConversationNotFound(LookupError):
    """The conversation does not exist or belongs to someone else (both answer 404)."""


@dataclass(frozen=True)
class TurnStart:
    """The stored user message and what the turn needs of its conversation (no re-reading)."""

    conversation_id: uuid.UUID
    user_message_id: int
    created: bool
    title: str | None
    text: str
    created_at: datetime
    state: dict[str, Any] = field(default_factory=dict)
    conversation_created_at: datetime | None = None


def as_conversation_id(value: str | uuid.UUID | None) -> uuid.UUID | None:
    """``value`` as a conversation id; ``ConversationNotFound`` when it cannot be one."""
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
            Conversation.id == as_conversation_id(conversation_id), Conversation.user_id == user_id
        )
    )
    if conversation is None:
        raise ConversationNotFound(str(conversation_id))
    return conversation


def title_from(message: str) -> str:
    text = " ".join(message.split())
    return text if len(text) <= TITLE_LENGTH else text[: TITLE_LENGTH - 1].rstrip() + "…"


# The turn's own rows are written with Core statements on the session's connection (same
# transaction): the ORM's unit of work and bulk-DML layer cost more than the SQL itself here.
# Each statement is built once, with bind parameters, so a turn only looks up its compiled form
# (building a statement anew each time cost as much as running it).
_CONVERSATIONS = Conversation.__table__
_MESSAGES = Message.__table__
_TOOL_CALLS = ToolCall.__table__

_NEW_CONVERSATION = insert(_CONVERSATIONS)
# Reserve the conversation's next message number, checking it is the user's, in one
# ``UPDATE … RETURNING`` (the row lock orders concurrent writers); no row when not found.
# An untitled conversation takes its title from the message.
_NEXT_SEQUENCE = (
    update(_CONVERSATIONS)
    .where(_CONVERSATIONS.c.id == bindparam("b_id"), _CONVERSATIONS.c.user_id == bindparam("b_user_id"))
    .values(
        last_sequence=_CONVERSATIONS.c.last_sequence + 1,
        updated_at=bindparam("b_now"),
        title=case(
            (_CONVERSATIONS.c.title.is_(None) | (_CONVERSATIONS.c.title == ""), bindparam("b_title")),
            else_=_CONVERSATIONS.c.title,
        ),
    )
    .returning(
        _CONVERSATIONS.c.last_sequence, _CONVERSATIONS.c.title, _CONVERSATIONS.c.state, _CONVERSATIONS.c.created_at
    )
)
# The reply's number, with the conversation state as the turn left it.
_REPLY_SEQUENCE = (
    update(_CONVERSATIONS)
    .where(_CONVERSATIONS.c.id == bindparam("b_id"))
    .values(last_sequence=_CONVERSATIONS.c.last_sequence + 1, updated_at=bindparam("b_now"), state=bindparam("b_state"))
    .returning(_CONVERSATIONS.c.last_sequence)
)
_SET_STATE = update(_CONVERSATIONS).where(_CONVERSATIONS.c.id == bindparam("b_id"))
_INSERT_MESSAGE = insert(_MESSAGES).returning(_MESSAGES.c.id)
_UPDATE_MESSAGE = update(_MESSAGES).where(_MESSAGES.c.id == bindparam("b_id"))
_INSERT_TOOL_CALLS = insert(_TOOL_CALLS)


def _insert_message(conversation_id: uuid.UUID, role: str, *, sequence: int, **fields: Any):
    """Insert a message (``content`` and the other columns in ``fields``); its id and creation time."""
    created_at = utcnow()
    message_id = transactions.connection().execute(
        _INSERT_MESSAGE,
        {
            "conversation_id": conversation_id,
            "role": role,
            "sequence_number": sequence,
            "created_at": created_at,
            **fields,
        },
    ).scalar_one()
    return message_id, created_at


def start_turn(user_id: str, message: str, conversation_id: str | uuid.UUID | None = None) -> TurnStart:
    """Store the user's message (in a new conversation when no id is given) and commit it."""
    # PostgreSQL text cannot hold NUL; keep the message, mark where the character was.
    message = message.replace("\x00", "\ufffd")
    wanted = as_conversation_id(conversation_id)
    with writing():
        connection = transactions.connection()
        if wanted is None:
            conversation_key, title, state, since = uuid.uuid4(), title_from(message), {}, utcnow()
            sequence = 1
            connection.execute(
                _NEW_CONVERSATION,
                {
                    "id": conversation_key,
                    "user_id": user_id,
                    "title": title,
                    "state": state,
                    "last_sequence": sequence,
                    "created_at": since,
                    "updated_at": since,
                },
            )
        else:
            row = connection.execute(
                _NEXT_SEQUENCE,
                {"b_id": wanted, "b_user_id": user_id, "b_now": utcnow(), "b_title": title_from(message)},
            ).one_or_none()
            if row is None:
                raise ConversationNotFound(str(conversation_id))
            conversation_key = wanted
            sequence, title, state, since = row
        message_id, created_at = _insert_message(conversation_key, "user", sequence=sequence, content=message)
    return TurnStart(
        conversation_id=conversation_key,
        user_message_id=message_id,
        created=wanted is None,
        title=title,
        text=message,
        created_at=created_at,
        state=dict(state or {}),
        conversation_created_at=since,
    )


def _call_tool(
    ctx: ToolContext, name: str, arguments: dict[str, Any], untrusted: bool = False, first: bool = False
) -> Generator[TurnEvent, None, ToolFinished]:
    """Run one tool; a failure undoes only its own changes and is recorded, not raised.

    Each call runs in a SAVEPOINT — except the ``first`` change of its write transaction,
    which has nothing before it to keep: if it fails, the whole transaction is rolled back
    and begun anew (``transactions.restart``). Most turns call one tool, and so save the
    SAVEPOINT and its RELEASE (two round trips on PostgreSQL).
    """
    yield ToolStarted(name, arguments)
    started_at = utcnow()
    clock = time.perf_counter()
    output: Any = None
    error: str | None = None
    try:
        with nullcontext() if first else db.session.begin_nested():
            if untrusted:  # a model's arguments: validated against the tool's schema first
                output = call_tool(ctx, name, arguments)
            else:
                output = TOOLS[name].function(ctx, **arguments)
    except ToolError as exc:
        error = str(exc)
    except Exception as exc:  # a broken tool is recorded and answered, not a lost turn
        log.exception("tool %s failed", name)
        error = f"{name} failed: {exc.__class__.__name__}"
    if error is not None and first:
        transactions.restart()
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

    def __init__(
        self,
        user: User,
        conversation_id: uuid.UUID,
        state: dict[str, Any],
        now: datetime | None = None,
        title: str | None = None,
    ):
        self.user = user
        self.conversation_id = conversation_id
        self.title = title
        self.ctx = ToolContext(user=user, now=now or datetime.now(UTC))
        self.state: dict[str, Any] = dict(state or {})
        self.calls: list[ToolFinished] = []
        # Tasks this turn's tools touched, remembered for "it" in the next turn.
        self.touched: list[int] = []
        # Set by a model turn that is cancelled mid-stream: what to store (see ``_run_unlocked``).
        self.interrupted: Outcome | None = None
        # What references meant, found once (``prepare``, before the write transaction).
        self._resolved: dict[tuple[TaskRef, bool | None], list[int]] = {}
        self._fits: dict[str, list[int]] = {}

    @property
    def tz(self):
        return self.ctx.tz

    def call(self, name: str, **arguments: Any) -> Generator[TurnEvent, None, ToolFinished]:
        return (yield from self._call(name, arguments, untrusted=False))

    def call_untrusted(self, name: str, arguments: Any) -> Generator[TurnEvent, None, ToolFinished]:
        """A tool call as a language model asked for it: unknown tools and bad arguments are tool errors."""
        return (yield from self._call(name, arguments, untrusted=True))

    def _call(self, name: str, arguments: Any, untrusted: bool) -> Generator[TurnEvent, None, ToolFinished]:
        # The turn's first call of a rule (its write block holds nothing else yet) needs no
        # SAVEPOINT; a model's calls share their blocks with its other rounds, so they keep one.
        first = not untrusted and not self.calls
        finished = yield from _call_tool(self.ctx, name, arguments, untrusted, first)
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

    def prepare(self, parsed: ParsedIntent) -> None:
        """Resolve the message's title references and done-statements now, before the write
        transaction: matching words against every title is the costly part of a turn, and
        inside the transaction it held the database's write lock (on SQLite, every writer's).
        The turn then reads the tasks as they were when the message came."""
        for step in (parsed, parsed.then):
            if step is None:
                continue
            prefer = {"COMPLETE": False, "UNCOMPLETE": True}.get(step.intent)
            for ref in step.refs:
                if step.statement:
                    self.fits(ref.title or "")
                elif ref.title:
                    self.resolve(ref, prefer)

    def fits(self, statement: str) -> list[int]:
        """Open tasks a statement that something is done fits (``matching.done_fits``)."""
        if statement not in self._fits:
            open_tasks = {task.number: task.title for task in self.user_tasks() if not task.completed}
            self._fits[statement] = done_fits(statement, open_tasks)
        return list(self._fits[statement])

    def resolve(self, ref: TaskRef, prefer_completed: bool | None = None) -> list[int]:
        """Task numbers a reference may mean: one, several (ask which), or none.

        ``prefer_completed`` narrows a title match to open (False) or done (True) tasks when
        any of those match, so "check off milk" skips the milk task already checked off.
        A title's answer is kept for the turn (see ``prepare``).
        """
        if ref.title and ref.number is None and not (ref.pronoun or ref.last or ref.ordinal is not None):
            key = (ref, prefer_completed)
            if key not in self._resolved:
                self._resolved[key] = self._match(ref.title, prefer_completed)
            return list(self._resolved[key])
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
        return []

    def _match(self, title: str, prefer_completed: bool | None) -> list[int]:
        tasks = self.user_tasks()
        if prefer_completed is not None:
            preferred = {task.number: task.title for task in tasks if task.completed == prefer_completed}
            found = match_title(title, preferred)
            if found:
                return found
        return match_title(title, {task.number: task.title for task in tasks})

    def listed(self) -> list[int]:
        """The user's task numbers in the order "show my tasks" lists them."""
        return [task["number"] for task in list_tasks(self.ctx)["tasks"]]


def _words(text: str) -> Iterator[str]:
    yield from re.findall(r"\S+\s*", text)


class _Recorder:
    """Stores the reply of a turn inside its write transaction, announcing it once."""

    def __init__(self, turn: Turn):
        self.turn = turn
        self.message_id: int | None = None
        self.state_written: dict[str, Any] | None = None

    def announce(self, outcome: Outcome | None, interrupted: bool = False) -> ReplyStarted:
        """Insert the assistant message (with the outcome when it is already known).

        ``interrupted``: a model's reply, stored before its text, says so until it ends.
        """
        turn = self.turn
        sequence = transactions.connection().execute(
            _REPLY_SEQUENCE, {"b_id": turn.conversation_id, "b_now": utcnow(), "b_state": turn.state}
        ).scalar_one()
        self.state_written = dict(turn.state)
        fields = {"content": "", **self._fields(outcome)}
        self.message_id, created_at = _insert_message(
            turn.conversation_id, "assistant", sequence=sequence, model=MODEL_NAME, interrupted=interrupted, **fields
        )
        return ReplyStarted(
            self.message_id, str(turn.conversation_id), created_at, outcome.display if outcome else None
        )

    @staticmethod
    def _fields(outcome: Outcome | None) -> dict[str, Any]:
        if outcome is None:
            return {}
        return {
            "content": outcome.text,
            "intent": outcome.intent,
            "display": outcome.display,
            "choices": [choice.to_dict() for choice in outcome.choices] or None,
        }

    def complete(self, outcome: Outcome, streamed: bool) -> int:
        """The outcome and the tool calls onto the announced message; the state, if it changed."""
        turn, message_id = self.turn, self.message_id
        assert message_id is not None
        connection = transactions.connection()
        values = self._fields(outcome) if streamed else {}
        if isinstance(outcome, llm.ModelOutcome):  # the model's name and usage, as it reported them
            values.update(model=outcome.model or MODEL_NAME, tokens_used=outcome.tokens_used,
                          interrupted=outcome.interrupted)
        if values:
            connection.execute(_UPDATE_MESSAGE, {"b_id": message_id, **values})
        if turn.calls:
            connection.execute(
                _INSERT_TOOL_CALLS,
                [
                    {
                        "message_id": message_id,
                        "tool_name": call.name,
                        "tool_input": call.arguments,
                        "tool_output": call.output,
                        "status": call.status,
                        "error_message": call.error,
                        "execution_time_ms": call.execution_time_ms,
                        "created_at": call.started_at or utcnow(),
                        "completed_at": call.finished_at or utcnow(),
                    }
                    for call in turn.calls
                ],
            )
        if turn.state != self.state_written:
            connection.execute(_SET_STATE, {"b_id": turn.conversation_id, "state": turn.state})
        return message_id


def _run(turn: Turn, decide, user_message_id: int | None, started: float | None = None) -> Iterator[TurnEvent]:
    """A backend that answers at once (the rules): its tool calls and reply are stored in one
    write transaction, and only then are its events handed on — the write lock is never held
    while a surface encodes them or a client reads them. The order a surface sees is the
    same: tool events, the reply announced with its id, its words, done.

    ``started``: when the turn began, if work came before this (the parse), so that the
    turn's time and the latency metric count it."""
    started = time.perf_counter() if started is None else started
    recorder = _Recorder(turn)
    with writing():
        steps = decide(turn)
        events: list[TurnEvent] = []
        try:
            while True:
                events.append(next(steps))
        except StopIteration as stop:
            outcome: Outcome = stop.value
        announced = recorder.announce(outcome)
        message_id = recorder.complete(outcome, streamed=False)
    yield from events
    yield announced
    for word in _words(outcome.text):
        yield TextDelta(word)
    yield _done(turn, outcome, message_id, started, user_message_id)


def _run_unlocked(turn: Turn, decide, user_message_id: int | None) -> Iterator[TurnEvent]:
    """``_run`` for a language model: no write lock while the model talks.

    The backend commits its own tool rounds (``with writing():`` around each). The reply is
    announced in a short transaction at its first piece of text, stored empty and marked
    interrupted, so a turn that never ends (a crash) leaves an honest row. A turn closed
    early (a cancelled stream) stores what it had said and the tool calls it made.
    """
    started = time.perf_counter()
    recorder = _Recorder(turn)
    steps = decide(turn)
    try:
        event = next(steps)
        while True:
            if isinstance(event, TextDelta) and recorder.message_id is None:
                with writing():
                    announced = recorder.announce(None, interrupted=True)
                yield announced
            yield event
            event = next(steps)
    except StopIteration as stop:
        outcome: Outcome = stop.value
    except GeneratorExit:
        steps.close()  # the backend notes what it had (``turn.interrupted``) and stops the model
        if turn.interrupted is not None:
            with writing():
                if recorder.message_id is None:
                    recorder.announce(turn.interrupted)
                recorder.complete(turn.interrupted, streamed=True)
        raise
    with writing():
        streamed = recorder.message_id is not None
        if not streamed:
            announced = recorder.announce(outcome)
        message_id = recorder.complete(outcome, streamed)
    if not streamed:  # the rule agent answered instead (the model failed before saying anything)
        yield announced
        for word in _words(outcome.text):
            yield TextDelta(word)
    yield _done(turn, outcome, message_id, started, user_message_id)


def _done(turn: Turn, outcome: Outcome, message_id: int, started: float, user_message_id: int | None) -> TurnDone:
    reply = Reply(
        response=outcome.text,
        conversation_id=str(turn.conversation_id),
        intent=outcome.intent,
        tool_calls=list(turn.calls),
        execution_time_ms=round((time.perf_counter() - started) * 1000),
        message_id=message_id,
        user_message_id=user_message_id,
        display=outcome.display,
        title=turn.title,
        choices=list(outcome.choices),
    )
    turn_stored.send(reply)
    return TurnDone(reply)


def _as_user(user: User | str) -> User:
    """The user as a row of this session: loaded by id, or an already loaded row merged
    without a query (a turn in a worker thread has a session of its own). Callers pass the
    row (``get_current_user()``), never the ``current_user`` proxy: a worker has no request."""
    if not isinstance(user, User):
        found = db.session.get(User, user)
        if found is None:
            raise LookupError(f"no user {user}")
        return found
    if user in db.session:
        return user
    return db.session.merge(user, load=False)


def run_turn(user: User | str, start: TurnStart, now: datetime | None = None) -> Iterator[TurnEvent]:
    """Answer the stored user message of ``start``: tool events, the reply announced, its
    words, then done (after the commit)."""

    def parse(turn: Turn) -> ParsedIntent:
        # The user's tasks are read only if a reading needs them (most messages never do).
        def tasks() -> list[TaskView]:
            return [TaskView(task.number, task.title, task.completed) for task in turn.user_tasks()]

        return parse_intent(start.text, ParseContext(now=turn.ctx.now, tz=turn.tz, state=turn.state, load_tasks=tasks))

    def decide(turn: Turn):
        return (yield from act(turn, parse(turn)))

    def events() -> Iterator[TurnEvent]:
        started = time.perf_counter()
        turn = Turn(_as_user(user), start.conversation_id, start.state, now, start.title)
        if llm.enabled():
            yield from _run_unlocked(turn, lambda turn: llm.decide(turn, decide), start.user_message_id)
        else:
            parsed = parse(turn)  # before the write transaction: the parser writes nothing
            turn.prepare(parsed)  # and the references are matched before it too
            yield from _run(turn, lambda turn: act(turn, parsed), start.user_message_id, started)

    return events()


def run_action(
    user: User | str,
    conversation_id: str | uuid.UUID,
    intent: str,
    number: int,
    now: datetime | None = None,
) -> Iterator[TurnEvent]:
    """A turn started by a button (e.g. a ChatKit widget's Complete) rather than by text."""

    def decide(turn: Turn):
        parsed = ParsedIntent(intent, {}, [TaskRef(number=number)])
        return (yield from act(turn, parsed))

    def events() -> Iterator[TurnEvent]:
        row = _as_user(user)
        wanted = as_conversation_id(conversation_id)
        state = db.session.scalar(
            select(Conversation.state).where(Conversation.id == wanted, Conversation.user_id == row.id)
        )
        if state is None:
            raise ConversationNotFound(str(conversation_id))
        yield from _run(Turn(row, wanted, state, now), decide, None)

    return events()


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
    user: User | str,
    message: str,
    conversation_id: str | uuid.UUID | None = None,
    now: datetime | None = None,
) -> Reply:
    """One whole turn, synchronously: store the message, act, store and return the reply."""
    user_id = user.id if isinstance(user, User) else user
    start = start_turn(user_id, message, conversation_id)
    return finish(run_turn(user, start, now=now))
