"""Messages built to make a backtracking pattern slow: long runs of one kind of character after
a verb the grammar knows, up to the length limit of a chat message.

The property test (``test_bounded_time.py``) draws from these with hypothesis; ``make bench``
times the deterministic corpus and the inputs that once froze a worker (``FOUND``).
"""

from __future__ import annotations

from taskchat.services import MAX_MESSAGE_CHARS

# How messages start: every verb and lead-in the rules anchor on (create, complete, update,
# delete, list, search, reminders, questions, negations, answers).
VERBS = (
    "", "add ", "add task ", "add tasks: ", "create ", "new task: ", "put ", "remind me to ", "remind me ",
    "set a reminder to ", "don't let me forget to ", "i need to ", "i have to ", "todo: ", "remember to ",
    "complete ", "mark ", "mark task 1 as ", "finish ", "check off ", "tick off ", "done with ", "i finished ",
    "i've ", "reopen ", "undo ", "rename ", "rename task 1 to ", "update ", "update task 1 title to ",
    "change ", "move ", "move task 1 to ", "set priority of task 1 to ", "push task 1 back ", "snooze ",
    "add note to task 1: ", "tag ", "tag task 1 ", "untag ", "remove tag ", "stop repeating ",
    "delete ", "remove ", "take ", "cross ", "clear ", "get rid of ", "show ", "list ", "show my ",
    "what's ", "what ", "find ", "search for ", "is ", "are there any tasks about ", "did i put ",
    "on my list, ", "for my shopping list ", "i'm out of ", "make sure ", "can you ", "please ",
    "don't ", "and ", "also add ", "task 1 is ", "2 ", "#2 ", "yes ", "no ", "hi ", "help ", "thanks ",
)
# One of each kind of character, and the short words and pieces the rules look for.
UNITS = tuple(" \t\n-,;:.!?'\"#@/()[]{}<>—–_*+=&%$~`|\\^") + (
    "a", "Z", "1", "é", "ß", "中", "😀", "\u00a0", "\u200b",
    "and ", "to ", "the ", "a ", "at ", "on ", "by ", "due ", "is ", "it ", "my ", "1 ", "#a ", "a'",
    "- ", ", ", ": ", ". ", "! ", "task ", "tasks ", "x to ", "in 3 days ", "every ", "at 5 ", "1 due ",
    "on my list ", "please ", "and then add ", "'a' ", "\" ", "--", "—x", "a-", "!!",
)
# How the run ends: nothing, a letter (so an anchored pattern fails at the very end), punctuation.
TAILS = ("", "x", "?", "\n", " x", "!")


def message(verb: str, unit: str, tail: str, length: int = MAX_MESSAGE_CHARS) -> str:
    """``verb`` + ``unit`` repeated + ``tail``, at most ``length`` characters in all."""
    room = max(0, length - len(verb) - len(tail))
    return verb + (unit * (room // len(unit) + 1))[:room] + tail


def corpus() -> list[str]:
    """Every unit and every verb at full length, each with the first three tails: the unit
    runs after a verb that changes with it, and the verbs before a unit that changes with them
    (hypothesis tries the other pairings)."""
    found = []
    tails = TAILS[:3]
    for index, unit in enumerate(UNITS):
        for offset, tail in enumerate(tails):
            found.append(message(VERBS[(index + offset * 7) % len(VERBS)], unit, tail))
    for index, verb in enumerate(VERBS):
        for offset, tail in enumerate(tails):
            found.append(message(verb, UNITS[(index * 3 + offset * 11) % len(UNITS)], tail))
    return found


# What the report found: a worker busy for 30 s and more, or 14 s on spaces.
FOUND = (
    "add milk ------------------------x",
    "add milk ,,,,,,,,,,,,,,,,,,,,,,,,x",
    "add milk ::::::::::::::::::::::::x",
    "add milk ————————————————————————x",
    "rename task 1 to " + "-" * 24 + "x",
    "remind me to " + "-" * 24 + "x",
    "complete " + "-" * 24 + "\n",
    "mark " + " " * 400 + "x",
    "add x" + " " * 3993 + "\ny",
    "complete " + "z " * 1995,
    # every "'" opened a search for its closing mark to the end of the text
    ("add " + "'and " * 800)[:MAX_MESSAGE_CHARS],
    ("add " + "''x " * 1000)[:MAX_MESSAGE_CHARS],
)
