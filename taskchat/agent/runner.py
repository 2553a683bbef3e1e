"""Running one chat turn: parse → tools → reply, yielded as events, stored in two commits.

``persistence.start_turn`` has stored the user's message (visible before the reply). The
runner answers it inside the second write transaction: the tools' changes, then the reply,
its tool calls and the conversation state; it announces the reply (``ReplyStarted``, with the
stored message id) before its first words, yields the words, then is done.

The backend seam: ``decide(turn)`` is a generator that yields tool events (``turn.call``) and,
if its text arrives over time, ``TextDelta`` pieces, and returns an ``Outcome``. A backend
that returns its text whole (the rule-based one) has it spoken word by word.

A language model's turn (``llm``) is slow, so it does not hold the write lock while the model
talks: its tool calls commit as they finish (``Turn.commit_each_call``), the reply is
announced (stored empty, marked interrupted until it ends) in a short transaction of its own,
and the text, tool calls and state are stored when the turn ends — or when the reader goes
away: closing the events (the stream's one cancellation hook) stores what the turn had said
and done, and stops the model.

Entry points take the user's id (and what else a worker thread needs), never a row or a
request-bound proxy: a model's turn runs in a worker thread, which has no request.
"""

from __future__ import annotations

import re
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from flask import current_app

from .. import turn_slots
from ..extensions import db
from ..models import User
from ..transactions import writing
from . import llm, reminder_talk
from .actions import act
from .events import Outcome, Reply, TextDelta, TurnDone, TurnEvent, turn_stored
from .intents import Intent
from .parser import ParseContext, ParsedIntent, TaskRef, TaskView, parse_intent
from .persistence import (
    RULES_MODEL,
    ReplyRecord,
    TurnStart,
    as_conversation_id,
    start_turn,
    state_of,
)
from .state import Turn


def _load_user(user_id: str) -> User:
    """The user's row in this session, by id.

    Entry points take the id, never a row or flask-jwt-extended's ``current_user``: a model's
    turn runs in a worker thread, which has no request (the proxy raises there) and a session
    of its own (a row of the request's session does not belong to it). In the request's own
    thread the row is already in the session's identity map, so this costs no query.
    """
    if not isinstance(user_id, str):
        raise TypeError(f"a turn takes the user's id, not {type(user_id).__name__}")
    found = db.session.get(User, user_id)
    if found is None:
        raise LookupError(f"no user {user_id}")
    return found


def _in_this_session(user: User) -> User:
    """``user`` as a row of the current session, without a query.

    A stream's events run when the client reads them, in an application context (and so a
    session) of its own; the row the view's session loaded is merged in as it is.
    """
    if user in db.session:
        return user
    return db.session.merge(user, load=False)


class TurnEvents:
    """A turn's events, as every surface reads them; ``close()`` is the one cancellation hook.

    A reader that stops early (a client that hung up, a stream pipeline shutting down) closes
    them, and the turn takes care of itself: one that never began is run to its end, so it is
    stored whole; a rule turn that began is stored already (before its first event); a
    model's turn stores what it had said and done, marked interrupted, and stops the model.

    A surface adds its own events around the turn's with ``before`` and ``each``, so that
    closing what it hands the pipeline still reaches the turn.
    """

    def __init__(self, steps: Iterator[Any]):
        self._steps = steps
        self._ahead: deque[Any] = deque()
        self._each: Callable[[Any], Iterable[Any]] | None = None
        self._started = False
        self._closed = False

    def before(self, *items: Any) -> TurnEvents:
        """Send ``items`` first (a surface's own opening events)."""
        self._ahead.extendleft(reversed(items))
        return self

    def each(self, expand: Callable[[Any], Iterable[Any]]) -> TurnEvents:
        """Send ``expand(event)`` in place of each of the turn's events."""
        self._each = expand
        return self

    def __iter__(self) -> TurnEvents:
        return self

    def __next__(self) -> Any:
        while not self._ahead:
            self._started = True
            event = next(self._steps)
            self._ahead.extend(self._each(event) if self._each else (event,))
        return self._ahead.popleft()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if not self._started:  # abandoned before it began: finish it, unread
            self._started = True
            for _ in self._steps:
                pass
        else:
            self._steps.close()


def _release_when_stored() -> None:
    """A rule turn is stored before its first event goes out: what it held for the write can
    go now, not after its words (which may be paced out over seconds). The request's turn slot
    goes back; with pacing on, so does the database connection (a stream that sleeps holds
    nothing scarce); without, the connection stays for the request's few remaining reads."""
    turn_slots.release()
    if current_app.config.get("TASKCHAT_STREAM_DELAY_MS"):
        db.session.close()


def stream_pieces(text: str) -> list[str]:
    """A reply's text as the pieces a rule turn streams: each word with the space after it."""
    return re.findall(r"\S+\s*", text)


def _decided(steps) -> tuple[list[TurnEvent], Outcome]:
    """Run a backend's ``decide`` to its end: the events it yielded, and its outcome.

    Called inside a write transaction; the events are handed on only after the commit, so
    the write lock is never held while a surface encodes them or a client reads them.
    """
    events: list[TurnEvent] = []
    try:
        while True:
            events.append(next(steps))
    except StopIteration as stop:
        return events, stop.value


def _run(
    turn: Turn, decide, user_message_id: int | None, started: float | None = None, reply_sequence: int | None = None
) -> Iterator[TurnEvent]:
    """A backend that answers at once (the rules): its tool calls and reply are stored in one
    write transaction, and only then are its events handed on. The order a surface sees is
    the same: tool events, the reply announced with its id, its words, done.

    ``started``: when the turn began, if work came before this (the parse), so that the
    turn's time and the latency metric count it. ``reply_sequence``: the number ``start_turn``
    kept for the reply."""
    started = time.perf_counter() if started is None else started
    record = ReplyRecord(turn.conversation_id, reply_sequence)
    with writing():
        events, outcome = _decided(decide(turn))
        announced = record.announce(turn.state, outcome)
        message_id = record.complete(turn.state, outcome, turn.calls, streamed=False)
    _release_when_stored()
    yield from events
    yield announced
    for word in stream_pieces(outcome.text):
        yield TextDelta(word)
    yield _done(turn, outcome, message_id, started, user_message_id)


def _model_usage(outcome: Outcome) -> dict:
    """The message columns a model's outcome sets: its name (as it reported it, else the one
    configured), the tokens it used, whether it was cut short. None of them for a rule outcome
    (a model turn the rule agent answered instead)."""
    if outcome.model is None and outcome.tokens_used is None and not outcome.interrupted:
        return {}
    return {
        "model": outcome.model or llm.configured_model(),
        "tokens_used": outcome.tokens_used,
        "interrupted": outcome.interrupted,
    }


def _run_unlocked(turn: Turn, decide, user_message_id: int | None, reply_sequence: int | None) -> Iterator[TurnEvent]:
    """``_run`` for a language model: no write lock while the model talks.

    The reply is announced in a short transaction at its first piece of text, stored empty
    and marked interrupted, so a turn that never ends (a crash) leaves an honest row. A turn
    closed early (a cancelled stream) stores what it had said and the tool calls it made.
    """
    started = time.perf_counter()
    record = ReplyRecord(turn.conversation_id, reply_sequence)
    model = llm.configured_model()
    steps = decide(turn)
    try:
        event = next(steps)
        while True:
            if isinstance(event, TextDelta) and record.message_id is None:
                with writing():
                    announced = record.announce(turn.state, None, model=model, interrupted=True)
                yield announced
            yield event
            event = next(steps)
    except StopIteration as stop:
        outcome: Outcome = stop.value
    except GeneratorExit:
        steps.close()  # the backend notes what it had (``turn.interrupted``) and stops the model
        kept = turn.interrupted
        if kept is not None:
            with writing():
                if record.message_id is None:
                    record.announce(turn.state, kept, model=model if kept.model else RULES_MODEL)
                record.complete(turn.state, kept, turn.calls, streamed=True, usage=_model_usage(kept))
        raise
    with writing():
        streamed = record.message_id is not None
        if not streamed:  # the rule agent answered instead (the model failed before saying anything)
            announced = record.announce(turn.state, outcome)
        message_id = record.complete(turn.state, outcome, turn.calls, streamed=streamed, usage=_model_usage(outcome))
    if not streamed:
        yield announced
        for word in stream_pieces(outcome.text):
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


def model_answers() -> bool:
    """Whether turns go to a language model (``TASKCHAT_LLM_BASE_URL`` is set); a turn that
    does runs in a worker thread, with heartbeats, and can be cancelled."""
    return llm.enabled(current_app.config)


def run_turn(user_id: str, start: TurnStart, now: datetime | None = None) -> TurnEvents:
    """Answer the stored user message of ``start``: tool events, the reply announced, its
    words, then done (after the commit).

    A model's turn is read in a worker thread (the stream pipeline's), so the request that
    started it holds its turn slot no longer.
    """

    def parse(turn: Turn) -> ParsedIntent | reminder_talk.ReminderRequest:
        # The user's tasks are read only if a reading needs them (most messages never do).
        def tasks() -> list[TaskView]:
            return [TaskView(task.number, task.title, task.completed) for task in turn.user_tasks()]

        context = ParseContext(now=turn.ctx.now, tz=turn.tz, state=turn.state.stored(), load_tasks=tasks)
        # Reminder phrasings first (their own module); everything else goes to the parser.
        return reminder_talk.read(start.text, context) or parse_intent(start.text, context)

    def act_on(turn: Turn, parsed):
        if isinstance(parsed, reminder_talk.ReminderRequest):
            return reminder_talk.act(turn, parsed)
        return act(turn, parsed)

    def decide(turn: Turn):
        return (yield from act_on(turn, parse(turn)))

    # A rule turn's user is loaded now, in the caller's session (the request's: no query); a
    # model's turn is read in a worker thread, which loads the user by id in its own session.
    model = model_answers()
    loaded = None if model else _load_user(user_id)

    def events() -> Iterator[TurnEvent]:
        started = time.perf_counter()
        if model:
            turn = Turn(_load_user(user_id), start.conversation_id, start.state, now, start.title, commit_each_call=True)

            def rules(turn: Turn):
                # The rule agent answering for a model that failed: whole, in one transaction.
                turn.commit_each_call = False
                with writing():
                    events, outcome = _decided(decide(turn))
                turn.interrupted = outcome  # already whole: stored as it is if the reader goes now
                yield from events
                return outcome

            yield from _run_unlocked(
                turn, lambda turn: llm.decide(turn, rules), start.user_message_id, start.reply_sequence
            )
        else:
            turn = Turn(_in_this_session(loaded), start.conversation_id, start.state, now, start.title)
            parsed = parse(turn)  # before the write transaction: the parser writes nothing
            if not isinstance(parsed, reminder_talk.ReminderRequest):
                turn.prepare(parsed)  # and the references are matched before it too
            yield from _run(turn, lambda turn: act_on(turn, parsed), start.user_message_id, started, start.reply_sequence)

    if model:
        turn_slots.release()
    return TurnEvents(events())


def run_action(
    user_id: str,
    conversation_id: str | uuid.UUID,
    intent: Intent | str,
    number: int,
    now: datetime | None = None,
) -> TurnEvents:
    """A turn started by a button (e.g. a ChatKit widget's Complete) rather than by text: the
    server's own action, answered by the rules whichever backend is configured."""

    def decide(turn: Turn):
        parsed = ParsedIntent(intent, {}, [TaskRef(number=number)])
        return (yield from act(turn, parsed))

    loaded = _load_user(user_id)  # now, in the caller's session (see ``run_turn``)

    def events() -> Iterator[TurnEvent]:
        user = _in_this_session(loaded)
        wanted = as_conversation_id(conversation_id)
        yield from _run(Turn(user, wanted, state_of(user.id, wanted), now), decide, None)

    return TurnEvents(events())


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
    return finish(run_turn(user_id, start, now=now))
