"""The events one chat turn yields, in order, to whichever surface is driving it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from blinker import Namespace

from ..models import TaskList

# Sent with the Reply once a turn's reply is committed (whatever surface drove it): what
# operations code listens to (metrics), so the agent carries none of it.
turn_stored = Namespace().signal("turn-stored")


@dataclass(frozen=True)
class ToolStarted:
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class ToolFinished:
    name: str
    arguments: dict[str, Any]
    output: Any
    status: str  # "success" | "error"
    error: str | None
    execution_time_ms: int
    started_at: datetime | None = None
    finished_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "tool_name": self.name,
            "tool_input": self.arguments,
            "tool_output": self.output,
            "status": self.status,
            "error_message": self.error,
            "execution_time_ms": self.execution_time_ms,
        }


@dataclass(frozen=True)
class ReplyStarted:
    """The reply is about to be spoken: its stored message id (``items.list`` and the history
    name it so) and creation time. Comes before the reply's first ``TextDelta``."""

    message_id: int
    conversation_id: str
    created_at: datetime
    # What rich surfaces will show besides the text, when the backend knows it up front.
    display: TaskList | None = None


@dataclass(frozen=True)
class TextDelta:
    """A piece of the reply's text, as the backend produced it."""

    text: str


@dataclass(frozen=True)
class Choice:
    """One answer the agent offers when it asks: a button's ``label``, and the ``reply`` it sends.

    Sending ``reply`` as the next message picks the choice, so a button and typing are one path.
    """

    label: str
    reply: str

    def to_dict(self) -> dict[str, str]:
        return {"label": self.label, "reply": self.reply}


@dataclass(frozen=True)
class Reply:
    """The outcome of a turn, stored as the assistant message."""

    response: str
    conversation_id: str
    intent: str
    tool_calls: list[ToolFinished]
    execution_time_ms: int
    message_id: int
    user_message_id: int | None
    # What rich surfaces show besides the text.
    display: TaskList | None = None
    title: str | None = None
    # The answers offered when the agent asks (which task? really delete?); empty otherwise.
    choices: list[Choice] = field(default_factory=list)

    @property
    def tool_called(self) -> str | None:
        return self.tool_calls[0].name if self.tool_calls else None


@dataclass(frozen=True)
class TurnDone:
    reply: Reply


@dataclass
class Outcome:
    """What a turn decided: the reply text and what the surfaces may show besides.

    ``model``, ``tokens_used`` and ``interrupted`` are a language model's (its name as it
    reported it, the tokens it used, whether the stream was cut short); None for the rules.
    """

    text: str
    intent: str
    display: TaskList | None = None
    choices: list[Choice] = field(default_factory=list)
    model: str | None = None
    tokens_used: int | None = None
    interrupted: bool = False


@dataclass(frozen=True)
class ModelUnavailable:
    """The language model could not answer (unreachable, an error, a timeout) before saying
    anything: the rules answer this turn instead. Surfaces may tell the user so."""

    reason: str


TurnEvent = ToolStarted | ToolFinished | ReplyStarted | TextDelta | TurnDone | ModelUnavailable
