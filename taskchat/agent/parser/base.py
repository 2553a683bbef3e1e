"""What every intent family shares: the context, the typed parse result, and phrase helpers."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from ..intents import Intent
from ..matching import words
from ..references import TaskRef

INTENTS = tuple(Intent)


@dataclass(frozen=True)
class TaskView:
    """What the parser may know of one of the user's tasks: enough to score a reading."""

    number: int
    title: str
    completed: bool


@dataclass
class ParseContext:
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    state: dict[str, Any] = field(default_factory=dict)
    # The user's tasks, read only when a reading needs them (a clear command never does, so
    # most turns cost no query for them); None where no user is known.
    load_tasks: Callable[[], list[TaskView]] | None = None
    _tasks: list[TaskView] | None = field(default=None, repr=False, compare=False)

    def tasks(self) -> list[TaskView]:
        if self._tasks is None:
            self._tasks = list(self.load_tasks()) if self.load_tasks else []
        return self._tasks

    def own_words(self) -> list[str]:
        return [word for task in self.tasks() for word in words(task.title, digits=False)]


@dataclass
class ParsedIntent:
    """One reading of a message: the intent, its tool arguments, and typed hints for the turn."""

    intent: str
    # Arguments for the tool the intent maps to (JSON-serialisable: they may be stored).
    args: dict[str, Any] = field(default_factory=dict)
    refs: list[TaskRef] = field(default_factory=list)
    # Several tasks to create at once ("add tasks: eggs, bread, milk").
    items: list[dict[str, Any]] = field(default_factory=list)
    # Small talk: None (a greeting), "thanks", "bye" or "ack".
    talk: str | None = None
    # What the message left out and the reply should ask for: "title", "note", a field name.
    asked: str | None = None
    # A bulk delete: "all" or "completed" (asks first), then "confirmed" or "cancelled".
    bulk: str | None = None
    # "never mind" in answer to a question.
    cancelled: bool = False
    # Text that may be a task said without "add", offered back rather than guessed.
    suggest: str | None = None
    # "how many": answer with a count.
    count: bool = False
    # A listing window the list tool has no filter for: "tomorrow" or "next week".
    due_on: str | None = None
    # "mark everything as done".
    every: bool = False
    # Move the due date by this many minutes ("push the report out two days").
    shift_minutes: int | None = None
    # "I've emailed the landlord": which open task is done is found by lemma, not by title.
    statement: bool = False
    # "don't delete task 2": a command said in the negative, which changes nothing.
    negated: bool = False
    # "add milk if it's not on my list already": add only when no task holds those words.
    unless_listed: bool = False
    # A second action in the same message ("remove wine and add beer").
    then: ParsedIntent | None = None
    # Read from the message's shape alone, with no command word ("dentist friday 3pm" as a new
    # task): a reading with a command word corrected into place ("ad …") comes first.
    guessed: bool = False
    # No reading clearly led: the likely ones, offered as choices (label, the reply that picks it).
    options: list[tuple[str, str]] = field(default_factory=list)


Rule = Callable[[str, str, ParseContext], ParsedIntent | None]

def collapse_whitespace(text: str) -> str:
    """Each run of spaces as one space, each line kept (a list typed one item a line), blank
    lines dropped. The rules then never meet a long run of spaces: a pattern such as "spaces,
    then a word, then the end" retried at every space of a run costs its length squared."""
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


# ---------------------------------------------------------------- the list named in a sentence

# Names of "the list" itself: they say where a task goes, never what it is.
PLAIN_LISTS = frozenset(
    ["to-do", "todo", "do", "shopping", "grocery", "groceries", "reminder", "reminders", "task", "tasks", "chore", "chores", "pending", "things", "whole", "entire", "current", "daily", "weekly", "big", "main", "usual", "own"]
)
_OF_LIST = (
    r"(?:\s+(?:of|for)\s+(?P<of>things\s+(?:to|i\s+need\s+to)\s+(?:do|buy|get)|chores(?:\s+to\s+(?:do|complete))?|"
    r"(?:pending\s+)?tasks(?:\s+to\s+(?:do|complete))?|reminders|errands|shopping|groceries|to-?dos)|\s+of\s+(?P<of2>[a-z]+))?"
)
_NAMED = r"(?P<name>(?:[a-z][\w-]*\s+){0,3}?)(?:(?:to\s+do|to-do|todo)\s+)?"
# "to my shopping list", "off of my to do list", "in my reminders"; then, without a preposition,
# "my errands list" as the object of a sentence ("clear my to do list").
LIST_PHRASES = (
    re.compile(
        rf"\s*\b(?P<prep>to|on|onto|off(?:\s+of)?|from|in|into|for)\s+(?:my|the|our|this|your)\s+{_NAMED}"
        rf"(?:lists?{_OF_LIST}|reminders|chores|agenda|to-?dos|to\s+do's|tasks)(?=$|[\s,.!?;])",
        re.I,
    ),
    re.compile(rf"\s*\b(?:my|the|our|this)\s+{_NAMED}list{_OF_LIST}(?=$|[\s,.!?;])", re.I),
    re.compile(
        r"\s*\b(?P<prep>to|on|onto|off|from|in)\s+(?P<name>shopping|grocery|to\s+do|to-do|todo|reminder|task|errands?)\s+list(?=$|[\s,.!?;])",
        re.I,
    ),
)


@dataclass(frozen=True)
class ListName:
    """Where a message said a task goes or comes from, once cut out of the message."""

    text: str
    name: str | None
    preposition: str | None

    @property
    def tag(self) -> str | None:
        """A list with a name of its own ("my errands list") is a tag; the to-do list is not."""
        named = [word for word in (self.name or "").lower().split() if word not in PLAIN_LISTS]
        return named[0] if len(named) == 1 and len(named[0]) > 2 else None


# Every list phrase ends in one of these; a text without any is not searched (the phrases try
# a dozen words at every word of the text, and several rules ask about the same text).
_LIST_WORDS = ("list", "reminders", "chores", "agenda", "todos", "to-dos", "do's", "tasks")


@lru_cache(maxsize=64)
def cut_list_name(text: str) -> ListName:
    """'add eggs to my shopping list tomorrow' → ('add eggs tomorrow', 'shopping', 'to')."""
    lowered = text.lower()
    if not any(word in lowered for word in _LIST_WORDS):
        return ListName(text, None, None)
    match = next((found for pattern in LIST_PHRASES if (found := pattern.search(text))), None)
    if not match:
        return ListName(text, None, None)
    groups = match.groupdict()
    name = " ".join(filter(None, ((groups.get("name") or "").strip(), groups.get("of") or groups.get("of2") or "")))
    rest = (text[: match.start()] + " " + text[match.end():]).strip()
    prep = groups.get("prep")
    return ListName(" ".join(rest.split()), name or None, prep.split()[0].lower() if prep else None)


# ---------------------------------------------------------------- numbers said in words

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
}
_NUMBER_WORD = "|".join(NUMBER_WORDS)
_TASK_NUMBER_WORDS = re.compile(
    rf"\b(?P<head>tasks?|numbers?|no\.|items?)\s+(?P<list>(?:{_NUMBER_WORD})(?:\s*(?:,|and|&)\s*(?:{_NUMBER_WORD}))*)\b",
    re.I,
)


def digits_for_number_words(text: str) -> str:
    """'finish task four' → 'finish task 4'; 'tasks one and three' → 'tasks 1 and 3'."""
    if not _TASK_NUMBER_WORDS.search(text):
        return text

    def to_digits(match: re.Match) -> str:
        spoken = re.sub(
            rf"\b(?:{_NUMBER_WORD})\b", lambda m: str(NUMBER_WORDS[m.group(0).lower()]), match.group("list"), flags=re.I
        )
        return f"{match.group('head')} {spoken}"

    return _TASK_NUMBER_WORDS.sub(to_digits, text)


# ---------------------------------------------------------------- questions and negation

# A message that asks rather than tells; after "can you"/"could you" is stripped, what is left
# starting like this is a question and never changes a task.
QUESTION = re.compile(
    # "did the shopping", "just did task 1": "did" with no subject after it, and no question mark, tells
    r"^(?:is|are|was|were|am|did(?!\s+(?:the|a|an|task|tasks|number|all|some|\d+)\b[^?]*$)|do|does|didn't|doesn't|don't\s+i|have|has|had|haven't|hasn't|should|shall|"
    r"(?:would|could|can|may|might|will|shall)(?!\s+(?:we|you|u|i\s+suggest)\b)|must(?!\s+(?:remember|not\s+forget|get|buy|call|do|pay|book|send|finish|ring|email)\b)|what|what's|whats|which|who|whom|whose|when|where|why|how|isn't|aren't)\b"
    r"(?<!^do(?=\s+me\b))",
    re.I,
)
NEGATED = re.compile(
    r"^(?:(?:please|pls|but|and|no|oh|wait|actually)[\s,]+)*(?:i\s+)?(?:do\s+not|don't|dont|never(?!\s+mind)|please\s+don't|"
    r"didn't|haven't|have\s+not|hasn't|won't|will\s+not|shouldn't|should\s+not|can't|cannot|mustn't)\b"
    r"(?!\s+(?:let\s+me\s+)?forget\b|\s+need\b|\s+want\b|\s+have\s+any\s*more\b)",
    re.I,
)
