"""A turn while it runs: who, when, which conversation, what it remembers, what it called.

``ConversationState`` is what a conversation remembers between turns (stored as JSON on the
conversation, so every worker and every surface sees it); ``Turn`` carries it through one
turn, runs the tools (``call``) and resolves what a message points at (``resolve``: "task 2",
"it", "the second one", words of a title).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Generator
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from .. import tasks, transactions
from ..extensions import db
from ..models import Task, User, utcnow
from ..transactions import writing
from .events import ToolFinished, ToolStarted, TurnEvent
from .matching import done_fits, match_title
from .references import TaskRef
from .tools import TOOLS, ToolContext, call_tool

log = logging.getLogger(__name__)


@dataclass
class ConversationState:
    """What a conversation remembers from one turn to the next.

    ``pending``, ``confirm``, ``undo`` and ``last_action`` last one turn: the next message
    answers (or drops) them. Stored under these names (``stored``), which the parser reads.
    """

    # The tasks "it" / "that" / "the second one" mean: those last shown or touched.
    last_tasks: list[int] = field(default_factory=list)
    # A question waiting for its answer: "which one?" (intent, args, candidates…) or a title.
    pending: dict[str, Any] | None = None
    # A bulk delete waiting for its "yes": the scope and the task numbers.
    confirm: dict[str, Any] | None = None
    # The tool calls that put back what the last changing turn did (for "undo").
    undo: list[dict[str, Any]] | None = None
    # What "and pears too" repeats: the intent and its arguments.
    last_action: dict[str, Any] | None = None
    # A model asked to delete several tasks; the user's next "yes" lets it.
    llm_confirm_delete: bool = False

    @classmethod
    def from_stored(cls, stored: dict[str, Any] | None) -> ConversationState:
        stored = stored or {}
        return cls(
            last_tasks=[int(number) for number in stored.get("last_tasks") or []],
            pending=stored.get("pending"),
            confirm=stored.get("confirm"),
            undo=stored.get("undo"),
            last_action=stored.get("last_action"),
            llm_confirm_delete=bool(stored.get("llm_confirm_delete")),
        )

    def stored(self) -> dict[str, Any]:
        """The JSON kept on the conversation: only what is set."""
        return {key: value for key, value in asdict(self).items() if value}

    def copy(self) -> ConversationState:
        return ConversationState.from_stored(self.stored())


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
    except tasks.TaskError as exc:
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
    """The state of one turn while it runs: who, when, which conversation, what was called.

    ``commit_each_call``: each tool call commits on its own (a model's turn, which holds no
    write transaction while the model talks); otherwise the caller's transaction holds them.
    """

    def __init__(
        self,
        user: User,
        conversation_id: uuid.UUID,
        state: ConversationState,
        now: datetime | None = None,
        title: str | None = None,
        *,
        commit_each_call: bool = False,
    ):
        self.user = user
        self.conversation_id = conversation_id
        self.title = title
        self.ctx = ToolContext(user=user, now=now or datetime.now(UTC))
        self.state = state.copy()
        self.commit_each_call = commit_each_call
        self.calls: list[ToolFinished] = []
        # Tasks this turn's tools touched, remembered for "it" in the next turn.
        self.touched: list[int] = []
        # Set by a model turn that is cancelled mid-stream: what to store (see ``runner``).
        self.interrupted: Any = None
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
        if self.commit_each_call:
            # No event goes out while the call's transaction is open: a reader that cancels
            # between events finds every recorded call committed, and no other.
            # In a SAVEPOINT: a failure must not roll back (and expire) what the turn has read.
            steps = _call_tool(self.ctx, name, arguments, untrusted)
            yield next(steps)  # ToolStarted: nothing has run yet
            with writing():
                rest = list(steps)
            yield from rest
            finished = rest[-1]
        else:
            # The turn's first call (its write block holds nothing else yet) needs no SAVEPOINT.
            finished = yield from _call_tool(self.ctx, name, arguments, untrusted, first=not self.calls)
        self.record(finished)
        return finished

    def record(self, finished: ToolFinished) -> None:
        """Keep a finished call (run here, or refused before it ran) for the reply's rows."""
        self.calls.append(finished)
        output = finished.output if isinstance(finished.output, dict) else None
        if finished.status == "success" and output and "number" in output and finished.name != "delete_task":
            self.touched.append(output["number"])

    def remember(self, numbers: list[int]) -> None:
        """The tasks "it"/"that"/"the second one" refer to next."""
        if numbers:
            self.state.last_tasks = list(dict.fromkeys(numbers))

    def user_tasks(self) -> list[Task]:
        return tasks.all_of(self.user)

    def prepare(self, parsed: Any) -> None:
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
        if ref.number is not None:
            return [ref.number]
        last = self.state.last_tasks
        if ref.pronoun:
            return list(last)
        if ref.last or ref.ordinal is not None:
            # "the last one" / "the fifth one": of the tasks last shown, else of the whole list
            if ref.last:
                return (last if len(last) > 1 else self.listed())[-1:]
            shown = last if len(last) >= ref.ordinal else self.listed()
            return [shown[ref.ordinal - 1]] if 0 < ref.ordinal <= len(shown) else []
        if not ref.title:
            return []
        key = (ref, prefer_completed)
        if key not in self._resolved:
            self._resolved[key] = self._match(ref.title, prefer_completed)
        return list(self._resolved[key])

    def _match(self, title: str, prefer_completed: bool | None) -> list[int]:
        every = self.user_tasks()
        if prefer_completed is not None:
            preferred = {task.number: task.title for task in every if task.completed == prefer_completed}
            found = match_title(title, preferred)
            if found:
                return found
        return match_title(title, {task.number: task.title for task in every})

    def listed(self) -> list[int]:
        """The user's task numbers in the order "show my tasks" lists them."""
        return [task.number for task in tasks.find(self.user, now=self.ctx.now)]
