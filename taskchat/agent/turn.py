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

from rapidfuzz import fuzz, process
from sqlalchemy import select, update

from ..extensions import db
from ..models import Conversation, Message, Task, ToolCall, User, utcnow
from ..transactions import begin_write
from . import replies
from .events import Reply, TextDelta, ToolFinished, ToolStarted, TurnDone, TurnEvent
from .parser import ParseContext, ParsedIntent, TaskRef, parse_intent
from .tools import TOOLS, ToolContext, ToolError

log = logging.getLogger(__name__)

MODEL_NAME = "taskchat-rules"
TITLE_LENGTH = 60
FUZZY_THRESHOLD = 70


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


@dataclass
class Outcome:
    """What a turn decided: the reply text and what the surfaces may show besides."""

    text: str
    intent: str
    display: dict[str, Any] | None = None


class Turn:
    """The state of one turn while it runs: who, when, which conversation, what was called."""

    def __init__(self, user: User, conversation: Conversation, now: datetime | None = None):
        self.user = user
        self.conversation = conversation
        self.ctx = ToolContext(user=user, now=now or datetime.now(UTC))
        self.state: dict[str, Any] = dict(conversation.state or {})
        self.calls: list[ToolFinished] = []

    @property
    def tz(self):
        return self.ctx.tz

    def call(self, name: str, **arguments: Any) -> Generator[TurnEvent, None, ToolFinished]:
        finished = yield from _call_tool(self.ctx, name, arguments)
        self.calls.append(finished)
        output = finished.output if isinstance(finished.output, dict) else None
        if finished.status == "success" and output and "number" in output:
            self.remember([output["number"]])
        return finished

    def remember(self, numbers: list[int]) -> None:
        """The tasks "it"/"that" refer to next."""
        if numbers:
            self.state["last_tasks"] = list(numbers)

    def user_tasks(self) -> list[Task]:
        return list(db.session.scalars(select(Task).where(Task.user_id == self.user.id)))

    def resolve(self, ref: TaskRef) -> list[int]:
        """Task numbers a reference may mean: one, several (ask which), or none."""
        if ref.number is not None:
            return [ref.number]
        if ref.pronoun:
            return list(self.state.get("last_tasks", []))[-1:]
        if not ref.title:
            return []
        tasks = self.user_tasks()
        choices = {task.number: task.title for task in tasks}
        exact = [n for n, title in choices.items() if title.lower() == ref.title.lower()]
        if exact:
            return exact
        matches = process.extract(
            ref.title, choices, scorer=fuzz.WRatio, processor=str.lower, score_cutoff=FUZZY_THRESHOLD
        )
        if not matches:
            return []
        best = matches[0][1]
        return [number for _title, score, number in matches if best - score < 5]


def _words(text: str) -> Iterator[str]:
    yield from re.findall(r"\S+\s*", text)


def _task_targets(turn: Turn, parsed: ParsedIntent, verb: str) -> tuple[list[int], str | None]:
    """Numbers the parsed references point at, or a question/complaint for the user."""
    if not parsed.refs:
        return [], f"Which task should I {verb}? Say e.g. \"{verb} task 1\"."
    numbers: list[int] = []
    for ref in parsed.refs:
        found = turn.resolve(ref)
        if not found:
            if ref.pronoun:
                return [], f"I'm not sure which task you mean — say e.g. \"{verb} task 1\"."
            return [], f"I couldn't find a task matching '{ref.title}'."
        if len(found) > 1:
            turn.state["pending"] = {"intent": parsed.intent, "args": parsed.args, "candidates": found}
            return found, None
        numbers.extend(found)
    return numbers, None


TOOL_FOR = {
    "COMPLETE": ("complete_task", "complete"),
    "UNCOMPLETE": ("uncomplete_task", "reopen"),
    "DELETE": ("delete_task", "delete"),
    "UPDATE": ("update_task", "update"),
}


def _clarify(turn: Turn, numbers: list[int], verb: str) -> Outcome:
    tasks = {task.number: task for task in turn.user_tasks()}
    lines = [f"{i}. {tasks[n].title} (task {n})" for i, n in enumerate(numbers, 1) if n in tasks]
    return Outcome(f"Several tasks match — which one should I {verb}?\n" + "\n".join(lines), "CLARIFY")


def act(turn: Turn, parsed: ParsedIntent) -> Generator[TurnEvent, None, Outcome]:
    """Carry out a parsed intent with tools; return what to say."""
    tz = turn.tz
    intent = parsed.intent
    if intent == "CREATE":
        items = parsed.items or [parsed.args]
        added = []
        for item in items:
            done = yield from turn.call("add_task", **item)
            if done.status == "error":
                return Outcome(f"I couldn't add that task: {done.error}", intent)
            added.append(done.output)
        turn.remember([task["number"] for task in added])
        text = "Added " + "; ".join(replies.describe(task, tz) for task in added) + "."
        return Outcome(text, intent)

    if intent in ("LIST", "SEARCH"):
        if intent == "SEARCH":
            done = yield from turn.call("search_tasks", **parsed.args)
        else:
            done = yield from turn.call("list_tasks", **parsed.args)
        if done.status == "error":
            return Outcome(f"I couldn't list your tasks: {done.error}", intent)
        tasks = done.output["tasks"]
        turn.remember([task["number"] for task in tasks])
        if intent == "SEARCH":
            heading = f"Tasks matching '{parsed.args.get('query', '')}':"
            empty = f"No tasks match '{parsed.args.get('query', '')}'."
        else:
            heading = f"You have {len(tasks)} task{'s' if len(tasks) != 1 else ''}:"
            empty = "You have no tasks yet. Try \"Add a task to buy groceries\"."
        text = replies.task_list(tasks, tz, heading, empty)
        return Outcome(text, intent, {"kind": "task_list", "title": heading, "tasks": tasks})

    if intent in TOOL_FOR:
        tool_name, verb = TOOL_FOR[intent]
        numbers, problem = _task_targets(turn, parsed, verb)
        if problem:
            return Outcome(problem, intent)
        if len(numbers) > 1 and parsed.refs and not any(r.number for r in parsed.refs):
            return _clarify(turn, numbers, verb)
        if intent == "UPDATE" and not parsed.args:
            return Outcome(
                f"What should I change about task {numbers[0]}? E.g. \"rename task {numbers[0]} to …\".",
                intent,
            )
        texts = []
        for number in numbers:
            done = yield from turn.call(tool_name, number=number, **parsed.args)
            texts.append(_action_text(intent, done, tz))
        return Outcome(" ".join(texts), intent)

    if intent == "HELP":
        return Outcome(replies.HELP_TEXT, intent)
    if intent == "GREETING":
        if parsed.args.get("thanks"):
            return Outcome("You're welcome! Anything else on your list?", intent)
        return Outcome("Hi! I keep your tasks. Say \"help\" to see what I can do.", intent)
    return Outcome(
        "I'm not sure what you mean. I can add, list, complete, update, delete and search tasks — "
        "try \"Add a task to buy groceries\" or say \"help\".",
        "UNKNOWN",
    )


def _action_text(intent: str, done: ToolFinished, tz) -> str:
    if done.status == "error":
        return f"I couldn't do that: {done.error}"
    task = done.output
    ref = f"'{task['title']}' (task {task['number']})"
    if intent == "COMPLETE":
        return f"{ref} was already complete." if task.get("already") else f"Marked {ref} as complete."
    if intent == "UNCOMPLETE":
        return f"{ref} is already open." if task.get("already") else f"Reopened {ref}."
    if intent == "DELETE":
        return f"Deleted {ref}."
    changed = [field for field in task.get("changed", []) if field not in ("completed_at",)]
    if not changed:
        return f"{ref} already looks like that."
    return f"Updated {replies.describe(task, tz)} (changed: {', '.join(changed)})."


def _record(turn: Turn, outcome: Outcome, started: float, user_message_id: int | None) -> Reply:
    conversation = turn.conversation
    message = add_message(
        conversation,
        "assistant",
        outcome.text,
        model=MODEL_NAME,
        intent=outcome.intent,
        display=outcome.display,
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
