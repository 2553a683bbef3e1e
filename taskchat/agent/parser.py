"""Text plus conversation context → an intent and its arguments.

The parser knows nothing about the database: task references stay references
(``TaskRef``) and the turn resolves them against the user's tasks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

INTENTS = (
    "CREATE",
    "LIST",
    "COMPLETE",
    "UNCOMPLETE",
    "UPDATE",
    "DELETE",
    "SEARCH",
    "HELP",
    "GREETING",
    "CLARIFY",
    "UNKNOWN",
)


@dataclass(frozen=True)
class TaskRef:
    """How the user pointed at a task: by number, by (part of) its title, or by "it"."""

    number: int | None = None
    title: str | None = None
    pronoun: bool = False


@dataclass
class ParseContext:
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    state: dict[str, Any] = field(default_factory=dict)


@dataclass
class ParsedIntent:
    intent: str
    args: dict[str, Any] = field(default_factory=dict)
    refs: list[TaskRef] = field(default_factory=list)
    # Several tasks to create at once ("add tasks: eggs, bread, milk").
    items: list[dict[str, Any]] = field(default_factory=list)


_QUOTED = re.compile(r"""["“”'‘’](?P<q>[^"“”‘’]+?)["“”'‘’](?=\W|$)""")
_TASK_NUMBER = re.compile(r"\b(?:task|number|no\.?)\s*#?(\d+)\b|#(\d+)\b", re.I)


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z']+", text.lower()))


def _quoted(text: str) -> str | None:
    match = _QUOTED.search(text)
    return match.group("q") if match else None


def _capitalise(title: str) -> str:
    title = " ".join(title.split()).strip(" .,!;:")
    return title[:1].upper() + title[1:] if title else title


def _task_ref(text: str) -> TaskRef | None:
    match = _TASK_NUMBER.search(text)
    if match:
        return TaskRef(number=int(match.group(1) or match.group(2)))
    if re.search(r"\b(it|that|this one|the last one)\b", text, re.I):
        return TaskRef(pronoun=True)
    return None


_GREETINGS = {"hi", "hello", "hey", "howdy", "greetings", "morning", "evening"}
_THANKS = {"thanks", "thank", "thx", "cheers"}


def parse_intent(text: str, context: ParseContext | None = None) -> ParsedIntent:
    """Read one user message. Order matters: the verb at the start decides before words inside."""
    context = context or ParseContext()
    stripped = text.strip()
    lower = stripped.lower()
    words = _words(stripped)

    if re.match(r"^(update|rename|change|edit|set)\b", lower):
        ref = _task_ref(stripped)
        args: dict[str, Any] = {}
        quoted = _quoted(stripped)
        match = re.search(r"\bto\s+(.+)$", stripped, re.I)
        if quoted is not None:
            args["title"] = quoted
        elif match:
            args["title"] = _capitalise(match.group(1))
        return ParsedIntent("UPDATE", args, [ref] if ref else [])

    if re.match(r"^(delete|remove|drop)\b", lower):
        ref = _task_ref(stripped)
        if ref is None:
            rest = re.sub(r"^(delete|remove|drop)\s+(the\s+)?", "", stripped, flags=re.I)
            rest = re.sub(r"\s+task$", "", rest, flags=re.I).strip()
            ref = TaskRef(title=rest) if rest else None
        return ParsedIntent("DELETE", {}, [ref] if ref else [])

    if re.match(r"^(reopen|uncomplete|unmark)\b", lower) or re.search(
        r"\bmark\b.*\b(not done|incomplete|not complete|undone|pending)\b", lower
    ):
        ref = _task_ref(stripped)
        return ParsedIntent("UNCOMPLETE", {}, [ref] if ref else [])

    if re.match(r"^(mark|complete|finish|check off|done with|tick)\b", lower):
        ref = _task_ref(stripped)
        if ref is None:
            rest = re.sub(
                r"^(mark|complete|finish|check off|done with|tick)\s+(the\s+)?", "", stripped, flags=re.I
            )
            rest = re.sub(r"\s+(as\s+)?(done|complete|completed|finished)$", "", rest, flags=re.I)
            ref = TaskRef(title=rest.strip()) if rest.strip() else None
        return ParsedIntent("COMPLETE", {}, [ref] if ref else [])

    if re.match(r"^(find|search)\b", lower):
        query = re.sub(r"^(find|search)\s+(for\s+)?(tasks?\s+)?(about\s+|with\s+|for\s+)?", "", stripped, flags=re.I)
        return ParsedIntent("SEARCH", {"query": query.strip(" ?.")})

    if re.match(r"^(add|create|new|remind me to)\b", lower):
        quoted = _quoted(stripped)
        if quoted is not None:
            title = quoted
        else:
            title = re.sub(
                r"^(add|create|new|remind me to)\s+((a|an)\s+)?((new\s+)?task\s*(to\s+|:\s*)?)?",
                "",
                stripped,
                flags=re.I,
            )
            title = _capitalise(title)
        return ParsedIntent("CREATE", {"title": title})

    if re.search(r"\b(show|list|display|view)\b", lower) or lower.rstrip("?") in {"my tasks", "tasks"}:
        status = "all"
        if re.search(r"\b(pending|open|incomplete|left)\b", lower):
            status = "pending"
        elif re.search(r"\b(completed|done|finished)\b", lower):
            status = "completed"
        return ParsedIntent("LIST", {"status": status})

    if words & {"help"} or "what can you do" in lower:
        return ParsedIntent("HELP")
    if words & _GREETINGS:
        return ParsedIntent("GREETING")
    if words & _THANKS:
        return ParsedIntent("GREETING", {"thanks": True})
    return ParsedIntent("UNKNOWN")
