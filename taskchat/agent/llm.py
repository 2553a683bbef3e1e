"""The optional language-model backend: any OpenAI-compatible chat-completions server.

On when ``TASKCHAT_LLM_BASE_URL`` is set (with ``OPENAI_API_KEY`` if the server wants one and
``TASKCHAT_LLM_MODEL``). ``decide`` has the rule agent's shape — a generator of the turn's
events that returns an ``Outcome`` — so every surface drives it the same way. The model is
offered the task tools with their generated schemas; the server runs each one for the
authenticated user and keeps its rules (one task deleted per turn unless the user said yes;
bad arguments and unknown tools are tool errors the model reads and may correct).

The reply streams as the model writes it: each content delta is a ``TextDelta`` yielded at
once. Tool rounds commit as they finish, so a slow model never holds the database's write
lock; the reply and the tool-call rows are stored when the turn ends (or is cancelled).

When the model cannot be reached (connection, timeout, HTTP error) before anything was said
or done, the rule agent answers instead; afterwards the turn ends with what it has and says
plainly that the model stopped.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import current_app

from ..extensions import db
from ..models import utcnow
from . import persistence
from .events import (
    ModelUnavailable,
    Outcome,
    TaskList,
    TextDelta,
    ToolFinished,
    ToolStarted,
    TurnEvent,
)
from .intents import INTENT_OF_TOOL, Intent
from .state import Turn
from .tools import offered_tools

if TYPE_CHECKING:
    from openai import OpenAI

log = logging.getLogger(__name__)

DEFAULT_MODEL = "gpt-4o-mini"
HISTORY_MESSAGES = 20
TOOL_OUTPUT_CHARS = 4000
MAX_TOOL_ROUNDS = 6
CANCELLED_NOTE = "The user cancelled the stream. Stop responding to the prior request."
_CONFIRMED = re.compile(
    r"^\s*(?:y|yes|yeah|yep|sure|ok|okay|confirm(?:ed)?|do\s+it|go\s+ahead|yes,?\s+(?:please|delete\s+them))[\s.!]*$",
    re.I,
)
SYSTEM_PROMPT = """\
You are the assistant of taskchat, a to-do list. You can only manage the user's own tasks, \
with the tools given; tasks are addressed by their number. The user's time zone is {tz}; it is \
now {now} ({weekday}). Give due dates as ISO 8601 with the user's UTC offset. Delete only what \
the user asked for; to delete more than one task, ask first and delete after they answer yes. \
Answer briefly, in plain text."""


class ModelFailed(Exception):
    """The model could not give a usable answer; ``reason`` is said to the user or logged."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class _Progress:
    """What the turn has said and done so far (kept if it is cancelled or the model fails)."""

    text: str = ""
    model: str | None = None
    tokens: int = 0
    intents: list[str] = field(default_factory=list)
    # The last task list a tool returned, for surfaces that show one (ChatKit's widget).
    display: TaskList | None = None

    def outcome(self, interrupted: bool = False) -> Outcome:
        return Outcome(
            # A reply cancelled before its first word still needs some content to be stored.
            self.text.strip() or "…",
            self.intents[-1] if self.intents else Intent.UNKNOWN,
            self.display,
            model=self.model or configured_model(),
            tokens_used=self.tokens or None,
            interrupted=interrupted,
        )


def enabled(config) -> bool:
    """Whether turns go to a language model (``TASKCHAT_LLM_BASE_URL`` is set in ``config``)."""
    return bool(config.get("TASKCHAT_LLM_BASE_URL"))


def configured_model() -> str:
    """The model the app asks for (what a reply is stamped with when the server names none)."""
    return current_app.config.get("TASKCHAT_LLM_MODEL") or DEFAULT_MODEL


def client() -> OpenAI:
    """The app's ``openai`` client, made once per app (it keeps a connection pool)."""
    clients = current_app.extensions.setdefault("taskchat_llm", {})
    config = current_app.config
    key = (config["TASKCHAT_LLM_BASE_URL"], config.get("OPENAI_API_KEY"), config["TASKCHAT_LLM_TIMEOUT_SECONDS"])
    if key not in clients:
        from openai import OpenAI

        clients[key] = OpenAI(
            base_url=key[0],
            # Local servers (Ollama, vLLM) take any key; the client insists on one.
            api_key=key[1] or "not-needed",
            timeout=key[2],
            # A retry would repeat a stream the user is already reading.
            max_retries=0,
        )
    return clients[key]


def system_prompt(turn: Turn) -> str:
    local = turn.ctx.now.astimezone(turn.tz)
    return SYSTEM_PROMPT.format(tz=turn.tz.key, now=local.isoformat(timespec="minutes"), weekday=local.strftime("%A"))


def history(turn: Turn) -> list[dict[str, Any]]:
    """The conversation's last ``HISTORY_MESSAGES`` messages as chat messages, tool results included."""
    messages: list[dict[str, Any]] = []
    for message in persistence.recent_messages(turn.conversation_id, HISTORY_MESSAGES):
        if message.role == "assistant" and message.tool_calls:
            calls = [(f"call_{call.id}", call) for call in message.tool_calls]
            messages.append(
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": call_id,
                            "type": "function",
                            "function": {"name": call.tool_name, "arguments": json.dumps(call.tool_input or {})},
                        }
                        for call_id, call in calls
                    ],
                }
            )
            for call_id, call in calls:
                result = call.error_message if call.status == "error" else json.dumps(call.tool_output, default=str)
                messages.append({"role": "tool", "tool_call_id": call_id, "content": _clip(result or "")})
        messages.append({"role": message.role, "content": message.content})
        if message.interrupted:
            # As the official ChatKit server does, so the next answer does not carry the cut one on.
            messages.append({"role": "system", "content": CANCELLED_NOTE})
    return messages


def _clip(text: str) -> str:
    return text if len(text) <= TOOL_OUTPUT_CHARS else text[: TOOL_OUTPUT_CHARS - 1] + "…"


def decide(turn: Turn, fallback) -> Generator[TurnEvent, None, Outcome]:
    """Answer the turn's last user message with the model; ``fallback`` is the rule agent's ``decide``."""
    confirmed = turn.state.llm_confirm_delete and _user_said_yes(turn)
    turn.state.llm_confirm_delete = False
    progress = _Progress()
    try:
        return (yield from _converse(turn, progress, confirmed))
    except GeneratorExit:
        # The reader cancelled: keep what was said and done (``runner._run_unlocked`` stores it).
        turn.interrupted = progress.outcome(interrupted=True)
        raise
    except ModelFailed as failure:
        failed = failure
    if not progress.text and not turn.calls:
        log.warning("language model failed (%s); the rule agent answers", failed.reason)
        yield ModelUnavailable(failed.reason)
        return (yield from fallback(turn))
    log.warning("language model failed mid-turn: %s", failed.reason)
    note = f"\n\n(The language model stopped answering: {failed.reason}. What is done above is saved.)"
    progress.text += note
    turn.interrupted = progress.outcome()  # stored as it is if the reader goes now
    yield TextDelta(note)
    return progress.outcome()


def _user_said_yes(turn: Turn) -> bool:
    last = persistence.last_user_text(turn.conversation_id)
    return bool(last and _CONFIRMED.match(last))


def _converse(turn: Turn, progress: _Progress, confirmed: bool) -> Generator[TurnEvent, None, Outcome]:
    config = current_app.config
    messages = [{"role": "system", "content": system_prompt(turn)}, *history(turn)]
    tools = [tool.schema() for tool in offered_tools()]
    deletes = 0
    for _round in range(MAX_TOOL_ROUNDS + 1):
        # Nothing is held while the model thinks: no transaction stays open (tool rounds commit).
        db.session.commit()
        text, calls = yield from _stream(config, messages, tools, progress)
        if not calls:
            return progress.outcome()
        messages.append({"role": "assistant", "content": text or None, "tool_calls": calls})
        for call in calls:
            name = call["function"]["name"]
            if name == "delete_task":
                deletes += 1
            finished = yield from _run_tool(turn, name, call["function"]["arguments"], deletes > 1 and not confirmed)
            if finished.status == "success":
                progress.intents.append(INTENT_OF_TOOL.get(name, Intent.UNKNOWN))
                if name in ("list_tasks", "search_tasks"):
                    progress.display = TaskList("Your tasks", finished.output["tasks"])
            result = finished.error if finished.status == "error" else json.dumps(finished.output, default=str)
            messages.append({"role": "tool", "tool_call_id": call["id"], "content": _clip(result or "")})
    raise ModelFailed(f"it asked for more than {MAX_TOOL_ROUNDS} rounds of tool calls")


def _stream(config, messages, tools, progress: _Progress) -> Generator[TurnEvent, None, tuple[str, list[dict]]]:
    """One streamed completion: text deltas yielded as they come; returns (text, tool calls)."""
    import openai

    text = ""
    calls: dict[int, dict[str, Any]] = {}
    try:
        stream = client().chat.completions.create(
            model=config.get("TASKCHAT_LLM_MODEL") or DEFAULT_MODEL,
            messages=messages,
            tools=tools,
            stream=True,
            stream_options={"include_usage": True},
        )
    except openai.OpenAIError as exc:
        raise ModelFailed(_reason(exc)) from exc
    try:
        for chunk in stream:
            progress.model = chunk.model or progress.model
            if chunk.usage is not None:
                progress.tokens += chunk.usage.total_tokens or 0
            for choice in chunk.choices:
                delta = choice.delta
                if delta.content:
                    text += delta.content
                    progress.text += delta.content
                    yield TextDelta(delta.content)
                for part in delta.tool_calls or []:
                    slot = calls.setdefault(
                        part.index, {"id": "", "type": "function", "function": {"name": "", "arguments": ""}}
                    )
                    slot["id"] = part.id or slot["id"]
                    if part.function is not None:
                        slot["function"]["name"] += part.function.name or ""
                        slot["function"]["arguments"] += part.function.arguments or ""
    except openai.OpenAIError as exc:
        raise ModelFailed(_reason(exc)) from exc
    finally:
        # On cancel this hangs up on the model server, which stops generating.
        stream.close()
    ordered = [calls[index] for index in sorted(calls)]
    for number, call in enumerate(ordered):
        call["id"] = call["id"] or f"call_{number}"
    return text, ordered


def _reason(exc: Exception) -> str:
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return "it timed out"
    if isinstance(exc, openai.APIConnectionError):
        return "it could not be reached"
    if isinstance(exc, openai.APIStatusError):
        return f"it answered HTTP {exc.status_code}"
    return exc.__class__.__name__


def _run_tool(
    turn: Turn, name: str, raw_arguments: str, needs_yes: bool
) -> Generator[TurnEvent, None, ToolFinished]:
    """Run one tool call the model asked for; any refusal becomes a tool error it will read."""
    try:
        arguments = json.loads(raw_arguments or "{}")
    except json.JSONDecodeError:
        return (yield from _refuse(turn, name, {"raw": raw_arguments}, "The arguments are not valid JSON."))
    if needs_yes:
        turn.state.llm_confirm_delete = True
        return (
            yield from _refuse(
                turn,
                name,
                arguments,
                "Deleting more than one task needs the user's yes: ask them, and delete after they say yes.",
            )
        )
    # The turn commits each call on its own (``Turn.commit_each_call``).
    return (yield from turn.call_untrusted(name, arguments))


def _refuse(turn: Turn, name: str, arguments: Any, error: str) -> Generator[TurnEvent, None, ToolFinished]:
    """Record a call the server refused before running it, and answer the model with ``error``."""
    stored = arguments if isinstance(arguments, dict) else {"raw": arguments}
    yield ToolStarted(name, stored)
    now = utcnow()
    finished = ToolFinished(name, stored, None, "error", error, 0, started_at=now, finished_at=now)
    turn.record(finished)
    yield finished
    return finished
