"""Readings that depend on the user's tasks, and the scores that choose between readings.

A message like "gym membership sorted", "the invoice isn't really paid" or "the dentist is
on thursday now" starts with no command verb: it names a task by its key words and says
something about its state. These readings are proposed next to the verb-anchored ones and
scored on what the message holds — a cue (a verb at the start, a state word), the task words
it shares with one of the user's open (or done) tasks, the modifiers found — and the best
wins when it clearly leads. When it does not ("bins sorted" shares one word with "Take out
the bins"), the reply offers the likely readings as choices rather than guessing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..dates import find_due
from ..matching import STOPWORDS, _shared, content_lemmas, lemma, words
from ..references import TaskRef
from .base import QUESTION, ParseContext, ParsedIntent, TaskView

# Words that say a task is finished whatever its verb: "sorted", "dealt with", "taken care of".
_GENERIC_DONE = frozenset(
    ["done", "sorted", "finished", "complete", "completed", "handled", "dealt", "taken", "care", "ticked", "checked",
     "crossed", "sort", "finish", "handle", "deal", "cleared", "over", "settled", "fixed", "organised", "organized"]
)
_STATE_FILLER = frozenset(
    ["is", "are", "was", "were", "been", "be", "has", "have", "had", "finally", "already", "now", "just", "all",
     "at", "last", "with", "off", "out", "care", "of", "today", "yesterday", "really", "actually", "totally",
     "properly", "yay", "woo", "it's", "its", "i", "i've", "we", "we've", "the", "my", "a", "an", "thank", "god",
     "actually", "tho", "though", "yet",
     "goodness", "yes", "ok", "okay", "so", "that's", "thats", "one", "thing", "bit"]
)
_NEGATION = frozenset(["not", "isn't", "aren't", "wasn't", "weren't", "hasn't", "haven't", "didn't", "never", "no", "nope"])
_REOPEN_CUES = (
    re.compile(r"^(?:i\s+)?still\s+(?:need|have|got|gotta|must)\s+(?:to\s+)?(?P<rest>.+)$", re.I),
    re.compile(r"^(?P<rest>.{1,80}?)\s+still\s+(?:needs|need|has|have)\s+(?:to\s+be\s+)?(?P<state>doing|done|[a-z]{2,20}ing)$", re.I),
    re.compile(
        r"^(?P<rest>.+?)\s+(?:isn't|aren't|wasn't|weren't|hasn't\s+been|haven't\s+been|is\s+not|are\s+not|not)\s+"
        r"(?:really\s+|actually\s+|quite\s+|properly\s+|fully\s+)?(?P<state>[a-z]+)(?:\s+(?:yet|after\s+all|at\s+all|really|actually|tho|though|still))?$",
        re.I,
    ),
)
# The reading is clear when its score reaches this and leads the next by the margin.
CLEAR = 0.75
MARGIN = 0.2


@dataclass
class Scored:
    parsed: ParsedIntent
    score: float
    label: str
    # What the reading does, so two readings that do the same compete as one: (intent, task).
    key: tuple | None = None
    # The message that picks this reading when it is offered as a choice.
    reply: str | None = None

    def __post_init__(self) -> None:
        if self.key is None:
            target = self.parsed.refs[0].number if self.parsed.refs else None
            self.key = (self.parsed.intent, target) if target is not None else (id(self),)


# Verbs people use for one another when they say a task is done: "got the milk" / "Buy milk".
_SAME_VERB = {
    "get": "buy", "grab": "buy", "pick": "buy", "purchase": "buy", "collect": "buy", "fetch": "buy",
    "ring": "call", "phone": "call", "mail": "email", "e-mail": "email", "message": "text",
    "post": "send", "ship": "send", "tidy": "clean", "hoover": "vacuum", "sort": "do", "finish": "do",
}


def _canonical(lemmas: list[str]) -> list[str]:
    return [_SAME_VERB.get(word, word) for word in lemmas]


# Titles are mostly "verb object" ("Call the bank"), but not all ("Dentist appointment",
# "Plumber visit"): a noun title's first word is one of its objects, not a verb to set aside.
_NOT_VERBS_HINT = re.compile(r"(?:ment|ist|er|or|ion|ance|ence|ship|day|visit|appointment)$")


def _starts_with_verb(title: str) -> bool:
    from .complete import _is_past  # a title's first word in the past ("Paid …") is still a verb

    found = words(title, digits=False)
    if not found:
        return False
    first = found[0]
    if first in _TITLE_VERBS or lemma(first) in _TITLE_VERBS or _is_past(first):
        return True
    if _NOT_VERBS_HINT.search(first) or len(found) == 1:
        return False
    # "Gym membership", "Car insurance renewal": two nouns in a row read as a noun phrase;
    # an unknown first word followed by "the"/"my"/"a" is a verb ("Hoover the stairs").
    return found[1] in ("the", "my", "a", "an", "some", "our", "up", "out", "off", "to", "for", "in", "on", "back")


_TITLE_VERBS = frozenset(
    ["buy", "get", "call", "phone", "ring", "email", "text", "pay", "book", "order", "send", "post", "return", "pick",
     "clean", "wash", "water", "feed", "fix", "visit", "read", "write", "print", "check", "renew", "cancel", "collect",
     "drop", "take", "bring", "mow", "iron", "cook", "make", "finish", "file", "do", "go", "hoover", "vacuum", "tidy",
     "sort", "wrap", "plan", "prep", "prepare", "submit", "update", "change", "replace", "repair", "paint", "put",
     "empty", "clear", "defrost", "charge", "chase", "ask", "tell", "meet", "see", "find", "look", "apply", "register",
     "sign", "walk", "shovel", "rake", "weed", "plant", "mop", "dust", "grab", "fetch", "return", "review", "finish",
     "start", "practise", "practice", "study", "learn", "bake", "reply", "respond", "message", "contact", "arrange",
     "organise", "organize", "confirm", "schedule", "move", "pack", "unpack", "wipe", "scrub", "polish", "service"]
)


def _objects(title: str) -> list[str]:
    """A title's key words: its content lemmas, its verb first (one of a set of synonyms)."""
    return _canonical(list(dict.fromkeys(content_lemmas(title))))


# Words that can only mean the task is (not) finished; "sorted" may also mean put in order.
_STRONG_DONE = frozenset(["done", "finished", "complete", "completed", "ticked", "checked"])


def _fit(said: list[str], task: TaskView, generic: bool, strong: bool = False) -> float:
    """How well a statement's lemmas name a task: 0 (not at all) … 1 (every key word, verb too)."""
    own = _objects(task.title)
    if not own or not said:
        return 0.0
    shared = _shared(own, said)
    if not shared:
        return 0.0
    verb = bool(_shared(own[:1], said)) and _starts_with_verb(task.title)
    objects = own[1:] if len(own) > 1 and _starts_with_verb(task.title) else own
    covered = len(_shared(objects, said)) / len(objects)
    if verb and len(own) == 1:
        return 1.0
    score = 0.45 * covered + (0.4 if verb and len(own) > 1 else 0.0) + 0.1 * min(len(shared), 3)
    if generic and not verb and (len(_shared(objects, said)) >= 2 or (strong and covered == 1)):
        score += 0.25  # "gym membership sorted", "gutters not done": the task's words and a word that means done
    if verb and generic and all(word in _GENERIC_DONE or word == "do" or _shared([word], own) for word in said):
        score = max(score, 0.8)  # "hoovering done" / "Hoover the stairs": its verb, a done word, nothing else
    return min(score, 1.0)


def _said(text: str) -> tuple[list[str], bool, bool]:
    """(content lemmas, a generic done word, a past form) of a statement."""
    found = words(text, digits=False)
    generic = any(word in _GENERIC_DONE for word in found)
    from .complete import _is_past

    past = any(_is_past(word) for word in found if word not in _STATE_FILLER) or (bool(found) and found[0] == "got")
    # a done word stays among the lemmas: it may be the task's own verb ("dishes done" / "Do the dishes")
    lemmas = _canonical([lemma(word) for word in found if (word not in STOPWORDS or word == "got") and word not in _STATE_FILLER])
    return lemmas, generic, past


def state_statement(body: str, context: ParseContext) -> list[Scored]:
    """Readings of a message that says what state a named task is in."""
    text = body.strip(" .!?")
    if not text or QUESTION.match(text) or len(text) > 160:
        return []
    found = words(text, digits=False)
    if not found or len(found) > 12:
        return []
    readings: list[Scored] = []
    for cue in _REOPEN_CUES:
        match = cue.match(text)
        if match:
            state_word = match.groupdict().get("state") or ""
            numbered = _by_number(match.group("rest"), "UNCOMPLETE", context, done=True)
            if numbered is not None and (state_word.lower() in _STRONG_DONE or state_word.lower() in _GENERIC_DONE):
                return [numbered]  # "task 2 isn't done yet": the number names it
            lemmas, _generic, _past = _said(f"{match.group('rest')} {state_word}")
            done = [task for task in context.tasks() if task.completed]
            strong = state_word.lower() in _STRONG_DONE or match.re is not _REOPEN_CUES[-1]
            readings += _about_tasks("UNCOMPLETE", lemmas, done, generic=True, label="Reopen", strong=strong)
            if not readings:
                # said of an open task ("milk isn't done"): reopening it answers that it is open
                open_tasks = [task for task in context.tasks() if not task.completed]
                readings += _about_tasks("UNCOMPLETE", lemmas, open_tasks, generic=True, label="Reopen", strong=strong)
            break
    negated = any(word in _NEGATION for word in found)
    if not negated and not readings:
        lemmas, generic, past = _said(text)
        if generic or past:
            open_tasks = [task for task in context.tasks() if not task.completed]
            strong = any(word in _STRONG_DONE for word in found)
            readings += _about_tasks("COMPLETE", lemmas, open_tasks, generic=generic, label="Mark", done_word=True, strong=strong)
    return readings


def _by_number(phrase: str, intent: str, context: ParseContext, *, done: bool) -> Scored | None:
    """A statement whose subject is a task number ("task 2 isn't done"), when that task exists
    and is in the state the statement changes."""
    from ..references import numbers_in

    said = [word for word in words(phrase, digits=False) if word not in _STATE_FILLER and word not in ("task", "tasks", "number", "no")]
    numbers = numbers_in(phrase)
    if said or len(numbers) != 1:
        return None
    task = next((task for task in context.tasks() if task.number == numbers[0]), None)
    if task is None or task.completed != done:
        return None
    verb = "Reopen" if intent == "UNCOMPLETE" else "Mark"
    return Scored(ParsedIntent(intent, refs=[TaskRef(number=task.number)]), 0.9, f"{verb} '{task.title}'")


# "I haven't actually sent the parcels", "didn't call mom yet", "not finished the report after
# all": said in the negative of a task that is ticked off, a statement that it is still open.
_NOT_DONE = re.compile(
    r"^(?:i\s+|we\s+)?(?:haven't|hasn't|didn't|have\s+not|did\s+not|not|never)\s+"
    r"(?:(?:actually|really|even|quite|properly|yet|got\s+round\s+to|got\s+around\s+to)\s+)*(?P<rest>.{2,80}?)"
    r"(?:\s+(?:yet|after\s+all|at\s+all|actually|really|tho|though))*$",
    re.I,
)
# Commands said in the negative ("don't mark it done", "not delete that"): never a statement.
_COMMAND_WORDS = frozenset(
    ["add", "delete", "remove", "mark", "tick", "complete", "change", "move", "rename", "update", "clear", "put", "create", "set", "make", "want", "need"]
)


def not_done_statement(body: str, context: ParseContext) -> ParsedIntent | None:
    """A done task said to be not done, in the negative of its own verb: reopened, when one
    done task clearly fits; None leaves the message as a negated request."""
    text = re.sub(r"^(?:(?:oh|ah|um|wait|actually|oops|so|no|hmm)[\s,]+)+", "", body.strip(" .!?"), flags=re.I)
    match = _NOT_DONE.match(text)
    if not match or context.load_tasks is None:
        return None
    rest = match.group("rest")
    first = words(rest, digits=False)[:1]
    if not first or first[0] in _COMMAND_WORDS:
        return None
    done = [task for task in context.tasks() if task.completed]
    if not done:
        return None
    numbered = _by_number(rest, "UNCOMPLETE", context, done=True)
    if numbered is not None:
        return numbered.parsed
    lemmas, _generic, _past = _said(rest)
    best, _likely = choose(_about_tasks("UNCOMPLETE", lemmas, done, generic=True, label="Reopen", strong=True))
    return best.parsed if best is not None and best.parsed.refs and best.parsed.refs[0].number else None


def _about_tasks(
    intent: str, lemmas: list[str], tasks: list[TaskView], *, generic: bool, label: str, done_word: bool = False,
    strong: bool = False,
) -> list[Scored]:
    fits = sorted(((_fit(lemmas, task, generic, strong), task) for task in tasks), key=lambda pair: -pair[0])
    fits = [(score, task) for score, task in fits if score > 0.3]
    if not fits:
        return []
    best = fits[0][0]
    tied = [task for score, task in fits if best - score < 0.05]
    if len(tied) > 1:
        parsed = ParsedIntent(intent, refs=[TaskRef(title=" ".join(lemmas))])
        return [Scored(parsed, best * 0.8, f"{label} one of {len(tied)}")]
    task = fits[0][1]
    parsed = ParsedIntent(intent, refs=[TaskRef(number=task.number)])
    name = f"Mark '{task.title}' done" if done_word else f"{label} '{task.title}'"
    return [Scored(parsed, best, name)]


# "the dentist is on thursday now", "the rent's due friday": a new due date for a named task
_MOVED = re.compile(
    r"^(?:the\s+|my\s+)?(?P<ref>[\w' -]{2,60}?)\s*(?:'s|\s+is|\s+are|\s+has\s+moved|\s+got\s+moved|\s+moved|\s+is\s+moved|\s+'s\s+moved)"
    r"\s+(?:now\s+|been\s+moved\s+|moved\s+|changed\s+|due\s+|(?:coming|happening|booked|scheduled|set|going\s+ahead)\s+(?:now\s+)?)?(?P<when>(?:on|to|at|for|till|until|due|next|this|tomorrow|today|tonight|mon(?:day)?|tue(?:s|sday)?|wed(?:nesday)?|thu(?:rs|rsday)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?)\b.{0,60})$",
    re.I,
)
# "make the dentist 4pm", "set the dentist for thursday"; without a verb ("dentist at 4pm") it
# may as well be a new task, so that reading is offered, not taken.
_SET_WHEN = re.compile(
    r"^(?P<verb>(?:make|set|put|have|schedule|do)\s+)?(?:the\s+|my\s+)?(?P<ref>[\w' -]{2,60}?)\s+"
    r"(?P<when>(?:on|at|for|to|till|until|by|next|this|tomorrow|today|tonight|mon(?:day)?|tue(?:s|sday)?|wed(?:nesday)?|thu(?:rs|rsday)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?|\d)\S*(?:\s+\S+){0,5})$",
    re.I,
)


def _task_named(ref: str, context: ParseContext) -> tuple[float, TaskView | None]:
    """(how much of its key words, the open task) a phrase names; (0, None) when none or two alike.

    A shared verb alone names nothing ("call mum" is not "Call the dentist")."""
    lemmas = _canonical([lemma(word) for word in words(ref, digits=False) if word not in STOPWORDS])
    scored = []
    for task in context.tasks():
        if task.completed:
            continue
        own = _objects(task.title)
        objects = own[1:] if len(own) > 1 and _starts_with_verb(task.title) else own
        shared = _shared(objects, lemmas)
        if shared:
            stray = len([word for word in lemmas if not _shared([word], own)])
            scored.append((len(shared) / len(objects) - 0.2 * stray, task))
    scored.sort(key=lambda pair: -pair[0])
    if not scored or scored[0][0] < 0.5 or (len(scored) > 1 and scored[0][0] - scored[1][0] < 0.05):
        return 0.0, None
    return scored[0]


def moved_statement(body: str, context: ParseContext) -> list[Scored]:
    text = body.strip(" .!?")
    if len(text) > 120:
        return []
    match = _MOVED.match(text)
    score = 0.85
    if not match:
        match = _SET_WHEN.match(text)
        if not match:
            return []
        score = 0.9 if match.group("verb") else 0.6
    when = re.sub(r"\s+(?:now|instead)$", "", match.group("when"), flags=re.I)
    due = find_due(when, context.now, context.tz)
    if not due.due:
        return []
    left = when
    for start, end in sorted(due.spans, reverse=True):
        left = left[:start] + left[end:]
    if len(words(left, digits=False)) > 2:
        return []
    fit, task = _task_named(match.group("ref"), context)
    if task is None:
        return []
    parsed = ParsedIntent("UPDATE", due.due.arguments(), [TaskRef(number=task.number)])
    when = re.sub(r"^(?:on|at|for|to|by)\s+", "", when, flags=re.I)
    return [Scored(parsed, score, f"Move '{task.title}' to {when}", reply=f"move task {task.number} to {when}")]


# "milk is urgent", "the dentist isn't urgent": a priority said about a named task
_PRIORITY_SAID = re.compile(
    r"^(?:the\s+|my\s+)?(?P<ref>[\w' -]{2,60}?)\s*(?:'s|\s+is|\s+are|\s+isn't|\s+aren't)\s+(?P<value>(?:not\s+|now\s+|really\s+|super\s+|very\s+)?[\w -]{2,30})$",
    re.I,
)


def priority_statement(body: str, context: ParseContext) -> list[Scored]:
    from .modifiers import priority_in_words

    if len(body) > 120:
        return []
    match = _PRIORITY_SAID.match(body.strip(" .!?"))
    if not match:
        return []
    value = match.group("value")
    if re.search(r"\b(?:isn't|aren't)\b", match.group(0), re.I) and not value.lower().startswith("not"):
        value = "not " + value
    level, rest = priority_in_words(value)
    if not level or rest.strip():
        return []
    fit, task = _task_named(match.group("ref"), context)
    if task is None:
        return []
    parsed = ParsedIntent("UPDATE", {"priority": level}, [TaskRef(number=task.number)])
    return [Scored(parsed, 0.85, f"Make '{task.title}' {level} priority", reply=f"make task {task.number} {level} priority")]


def choose(readings: list[Scored]) -> tuple[Scored | None, list[Scored]]:
    """(the clear winner or None, the readings worth offering, best first)."""
    if not readings:
        return None, []
    ordered: list[Scored] = []
    for reading in sorted(readings, key=lambda r: -r.score):
        if all(reading.key != kept.key for kept in ordered):
            ordered.append(reading)
    best = ordered[0]
    runner = ordered[1].score if len(ordered) > 1 else 0.0
    if best.score >= CLEAR and best.score - runner >= MARGIN:
        return best, ordered
    return None, ordered[:3]


# "when's the dentist", "is the rent paid?", "is the milk done": a question about a task,
# answered with the tasks that match what is left once the question's own words are set aside.
_QUESTION_WORDS = frozenset(
    ["is", "are", "was", "were", "am", "did", "do", "does", "have", "has", "had", "when", "when's", "whens", "what",
     "what's", "where", "where's", "which", "who", "how", "how's", "will", "would", "could", "can", "should", "shall",
     "i", "my", "the", "a", "an", "it", "that", "this", "there", "any", "anything", "we", "you", "me", "already",
     "done", "paid", "finished", "sorted", "booked", "complete", "completed", "due", "on", "yet", "still", "set", "at",
     "time", "for", "in", "about", "get", "got", "ticked", "off", "of", "up", "is", "isn't", "aren't", "didn't",
     "status", "happening", "today", "tomorrow", "ok", "okay", "please", "been", "again", "put", "added", "list",
     "thing", "one", "to", "with", "so", "oh", "hey", "um", "did", "really", "actually", "mean", "do", "need"]
)


def question_about(body: str, context: ParseContext) -> ParsedIntent | None:
    """Only when what is asked about shares a word with one of the user's tasks: "what's the
    weather like?" is no question about the list."""
    text = body.strip(" ?.!")
    if len(text) > 160:
        return None
    said = words(text, digits=False)
    if not said or said[0] not in _QUESTION_WORDS:
        return None
    left = [word for word in said if word not in _QUESTION_WORDS and word not in STOPWORDS]
    if not left or len(left) > 4:
        return None
    asked = [lemma(word) for word in left]
    if not any(_shared(asked, content_lemmas(task.title)) for task in context.tasks()):
        return None
    return ParsedIntent("SEARCH", {"query": " ".join(left)})
