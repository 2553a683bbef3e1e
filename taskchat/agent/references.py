"""How a message points at tasks: numbers, "it"/"that", "the second one", or words of a title.

The parser turns text into ``TaskRef`` values; the turn resolves them against the user's
tasks and the conversation's memory (``ConversationState.last_tasks``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ORDINALS = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
    "fifth": 5, "5th": 5, "sixth": 6, "6th": 6, "seventh": 7, "7th": 7, "eighth": 8, "8th": 8,
    "ninth": 9, "9th": 9, "tenth": 10, "10th": 10,
}


@dataclass(frozen=True)
class TaskRef:
    """How the user pointed at a task: by number, by (part of) its title, or by "it".

    ``ordinal`` is a position in the tasks last shown ("the second one"); ``last`` means the
    last of them ("the last one"); ``pronoun`` is "it"/"that" (the one task last touched).
    """

    number: int | None = None
    title: str | None = None
    pronoun: bool = False
    ordinal: int | None = None
    last: bool = False


# Words allowed around the numbers of a bare number list ("tasks 2, 3 and #5").
_NUMBER_LIST_NOISE = re.compile(r"\b(?:the|tasks?|numbers?|nos?|items?|and)\b|[,&+#.]")
_NUMBER_INSIDE = re.compile(r"\b(?:task|number|no\.?|item)\s*#?\s*(\d+)\b|(?<![\w&])#(\d+)\b", re.I)
_PRONOUN = re.compile(
    r"^(?:it|that|this|that one|this one|that task|this task|the task|them|those|these|all of them|both)$",
    re.I,
)
_LAST = re.compile(r"^(?:the\s+)?(?:last|latest|newest|most recent)(?:\s+(?:one|task|item))?$", re.I)
_ORDINAL = re.compile(
    rf"^(?:the\s+)?({'|'.join(ORDINALS)})(?:\s+(?:one|task|item))?$|^(?:number|no\.?)\s*(\d+)$", re.I
)
_TITLE_NOISE = re.compile(
    r"^(?:(?:the|my|a|an|that|this|those)\s+)+|\s+(?:task|item|one|todo|to-do|thing|stuff)$"
    r"|^(?:task|item|one|todo|to-do)\s+(?:about|called|named|titled|for|to|with|saying)\s+",
    re.I,
)


def numbers_in(text: str) -> list[int]:
    """Every task number a phrase names: "task 2", "#2", "tasks 2 and 3", "2, 3 & 5"."""
    text = text.strip(" .!?")
    # Token by token rather than one nested pattern, which would backtrack exponentially.
    tokens = _NUMBER_LIST_NOISE.sub(" ", text.lower()).split()
    if tokens and all(token.isdigit() for token in tokens):
        return [int(token) for token in tokens]
    return [int(a or b) for a, b in _NUMBER_INSIDE.findall(text)]


def clean_title_ref(text: str) -> str:
    """'the groceries task' → 'groceries'."""
    text = " ".join(text.strip(" .!?,;:\"'“”‘’").split())
    for _ in range(4):
        previous = text
        text = _TITLE_NOISE.sub("", text).strip()
        if text == previous:
            break
    return text


def parse_refs(text: str) -> list[TaskRef]:
    """The task(s) a phrase names; empty when it names none."""
    phrase = " ".join(text.strip(" .!?,").split())
    if not phrase:
        return []
    numbers = numbers_in(phrase)
    if numbers:
        return [TaskRef(number=n) for n in dict.fromkeys(numbers)]
    if _PRONOUN.match(phrase):
        return [TaskRef(pronoun=True)]
    if _LAST.match(phrase):
        return [TaskRef(last=True)]
    ordinal = _ORDINAL.match(phrase)
    if ordinal:
        return [TaskRef(ordinal=ORDINALS.get((ordinal.group(1) or "").lower()) or int(ordinal.group(2)))]
    title = clean_title_ref(phrase)
    return [TaskRef(title=title)] if title else []
