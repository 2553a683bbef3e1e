"""Text plus conversation context → an intent and its arguments.

A message is first normalised (``agent/normalise.py``: chat spelling, missing apostrophes,
emoji, typos corrected against the parser's vocabulary and the user's own task words), then
read. The parser does not query the database itself: task references stay references
(``TaskRef``) and the turn resolves them, and the user's tasks (``ParseContext.tasks``) are
loaded only when a reading needs them. The verb-anchored rules each propose a reading, so a
word inside a title ("Update task 2 title to 'Mark as done'") never decides the intent, and
words are matched as words ("ship" is not "hi"). A message with no clear command verb — a
state said about a task ("gym membership sorted"), a create that may be one ("still need to
do the laundry") — is scored against readings about the user's tasks (``readings``), and
when none clearly leads the likely ones are offered as choices. Each intent family has its
module; this one reads the conversation (answers, corrections, undo, "and pears too"),
splits two actions, and keeps questions and negated commands from ever changing a task.
"""

from __future__ import annotations

import re

from ..dates import find_due
from ..matching import STOPWORDS, done_fits, lemma, words
from ..normalise import normalise
from ..references import TaskRef, parse_refs
from . import (
    asking,
    complete,
    corrections,
    create,
    delete,
    listing,
    readings,
    talk,
    update,
    update_forms,
)
from .base import (
    INTENTS,
    NEGATED,
    QUESTION,
    ParseContext,
    ParsedIntent,
    Rule,
    TaskView,
    collapse_whitespace,
    digits_for_number_words,
)
from .talk import answer_to_confirm

__all__ = ["INTENTS", "ParseContext", "ParsedIntent", "TaskRef", "TaskView", "parse_intent"]

WRITES = frozenset({"CREATE", "COMPLETE", "UNCOMPLETE", "UPDATE", "DELETE"})

# ---------------------------------------------------------------- politeness

_POLITE_HEAD = re.compile(
    r"^(?:(?:ok(?:ay)?|so|um+|uh+|well|please|pls|plz|hey|hi|hello|yo|now|and|also|then|actually|oh|oops|nah|yeah|yep|yup|hmm+|lol|"
    r"sorry|wait|thanks|thank\s+you|thx|cheers|great|cool|alright|right|never\s+mind|nevermind|"
    r"no(?=[\s,]+(?:add|delete|remove|mark|show|list|put|move|change|rename|make|set|tick|complete)\b)|"
    r"can\s+you|could\s+you|would\s+you|will\s+you|can\s+u|could\s+u|would\s+you\s+mind|kindly|"
    r"go\s+ahead\s+and|just|quickly|taskchat|bot)\b[\s,!.:]*)+",
    re.I,
)
_WANT_HEAD = re.compile(
    r"^(?:i\s+want\s+to|i'd\s+like\s+to|i\s+would\s+like\s+to|i\s+wanna|let's|lets|help\s+me|"
    # "I need to finish the report" is a new task; "I need to see my tasks" is not
    r"(?:i\s+need\s+to|i\s+have\s+to|i\s+must)(?=\s+(?:see|view|list|show|check|find|look|search)\b.*\b(?:tasks?|list|to-?dos?|pending|overdue)\b)|"
    # "I need to delete tomatoes from my list": the list says it is a command, not a new task
    r"(?:i\s+need\s+to|i\s+have\s+to|i\s+want\s+you\s+to|i\s+need\s+you\s+to|you\s+can|you\s+should|i'd\s+like\s+you\s+to|would\s+you\s+please|"
    r"hurry\s+up\s+and|please\s+go\s+ahead\s+and)"
    r"(?=\s+(?:just\s+)?(?:add|delete|remove|erase|put|include|take|clear|mark|rename)\b.*\b(?:list|reminders|chores|task\s+\d+|it)\b))\s+",
    re.I,
)
_COMMAND_VERB = re.compile(
    r"^(?:add|create|delete|remove|complete|mark|see|view|list|show|find|search|rename|update|"
    r"change|move|reopen|edit|set|clear|check|tick|finish|get\s+rid|make\s+a|look|put|include|take|erase|scratch|nix|cross)\b",
    re.I,
)
# One polite word at the end, after a separator ("…, please", "… thank you"). The chain of
# them is stripped one word at a time from the end (``_strip_polite_tail``): as one pattern,
# ``(?:[\s,]+(?:please|…))+$`` was retried from every word of "please please please …".
_POLITE_WORD_AT_END = re.compile(r"[\s,](?:please|pls|plz|thanks|thank\s+you|thx|for\s+me|okay|ok|(?<!from\s)now)$", re.I)


def _strip_polite_tail(text: str) -> str:
    """'add milk, please thanks!' → 'add milk'; end punctuation goes only with a polite word."""
    end = len(text.rstrip(" \t\n.!?"))
    stripped = False
    while word := _POLITE_WORD_AT_END.search(text, max(0, end - 24), end):
        end = word.start()
        while end and text[end - 1] in " \t\n,":
            end -= 1
        stripped = True
    return text[:end] if stripped else text


# "i need you to add milk": asked of the agent, so the command follows ("i need to …" is a task)
_ASKED_OF_YOU = re.compile(
    r"^(?:(?:i\s+)?(?:need|want|would\s+like|'d\s+like)\s+(?:you|u)\s+to|(?:you|u)\s+(?:can|could|should|need\s+to|have\s+to))\s+"
    r"(?=(?:add|create|delete|remove|mark|complete|tick|show|list|find|search|rename|update|change|move|reopen|clear|put|take|set|make|remind)\b)",
    re.I,
)


def unwrap(raw: str) -> str:
    text = raw
    # Twice: wrappers come in either order ("let's go ahead and …", "hurry up and just …").
    for _ in range(2):
        text = _POLITE_HEAD.sub("", text).strip()
        text = _ASKED_OF_YOU.sub("", text, count=1)
        want = _WANT_HEAD.match(text)
        if want and _COMMAND_VERB.match(re.sub(r"^(?:just\s+|go\s+ahead\s+and\s+)+", "", text[want.end():], flags=re.I)):
            text = text[want.end():]
    text = _strip_polite_tail(text).strip()
    return text or raw



RULES: tuple[Rule, ...] = (
    delete.bulk_delete,
    complete.bare_verb,
    asking.wants_to_know,
    create.onto_list,
    create.reminder,
    update_forms.update_special,
    update_forms.priority_level,
    update_forms.mark_priority,
    update.shift,
    complete.reopen,
    complete.complete,
    delete.delete,
    update.update,
    update.field_statement,
    asking.question_search,
    listing.search,
    create.create,
    listing.list_tasks,
    complete.done_statement,
)

# ---------------------------------------------------------------- two actions, and "and pears too"

_SECOND = re.compile(
    r"^(?P<a>.+?)(?:\s*[,;]\s*|\s+)(?:and\s+then|and\s+also|and|then|also|plus)\s+"
    r"(?P<b>(?:please\s+)?(?:add|delete|remove|complete|mark|finish|put|take|tick|check\s+off|cross|move|rename|reopen|"
    r"show|list|erase|include|create|get\s+rid\s+of)\b.+)$",
    re.I | re.S,
)
_ACTS = WRITES | {"LIST", "SEARCH"}
# The end's punctuation is read from its first character only (the lookbehind): from each
# length "rest" could have, "also add !!!…" re-read the whole run.
_CONTINUE = re.compile(
    r"^(?:(?:oh|ah|um|oops|wait|actually)[\s,]+)*(?:and|also|plus|and\s+also)\s+(?P<rest>.+?)"
    r"(?:\s+(?:too|as\s+well|also))?(?<![\s.!])[\s.!]*$|^(?P<rest2>.+?)\s+(?:too|as\s+well)[\s.!]*$",
    re.I,
)
# Verbs a title may start with that a follow-up keeps: after "buy apples", "and pears" is "buy pears".
_TASK_VERBS = frozenset(
    ["buy", "get", "call", "phone", "ring", "email", "text", "pay", "book", "order", "send", "post", "return", "pick", "clean", "wash", "water", "feed", "fix", "visit", "read", "write", "print", "check", "renew", "cancel", "collect", "drop", "take", "bring", "mow", "iron", "cook", "make", "finish", "file"]
)


def _two_actions(body: str, context: ParseContext) -> ParsedIntent | None:
    match = _SECOND.match(body)
    if not match or QUESTION.match(match.group("a")) or re.search(r"\bif\b", match.group("a"), re.I):
        return None
    first, second = _rules(match.group("a").strip(" ,"), context), _rules(match.group("b").strip(" ,"), context)
    if not (first and second) or first.intent not in _ACTS or second.intent not in _ACTS:
        return None
    if first.asked or second.asked or first.bulk or second.bulk:
        return None
    if second.intent == "CREATE" and str(second.args.get("title", "")).lower() in {"it", "them", "that", "those", "these"}:
        return None  # "…, if not add them": one request about one thing
    first.then = second
    return first


def _continuation(body: str, context: ParseContext) -> ParsedIntent | None:
    """"and pears too" after "add buy apples": the last action again, on a new object."""
    last = (context.state or {}).get("last_action")
    match = _CONTINUE.match(body)
    if not last or not match:
        return None
    rest = (match.group("rest") or match.group("rest2")).strip(" ,.!")
    if not rest or talk.small_talk(rest, rest.lower(), context):
        return None
    again = _rules(rest, context)
    if again and again.intent != "UNKNOWN" and not again.statement:
        return again  # "and delete task 2": a command of its own
    intent = last.get("intent")
    if intent == "CREATE":
        before = words(last.get("title") or "", digits=False)
        said = words(rest, digits=False)
        if len(before) > 1 and before[0] in _TASK_VERBS and said and lemma(said[0]) not in _TASK_VERBS:
            rest = f"{before[0]} {rest}"
        return create.create("add " + rest, rest.lower(), context)
    if intent in WRITES:
        refs = parse_refs(rest)
        return ParsedIntent(intent, dict(last.get("args") or {}), refs) if refs else None
    return None


# ---------------------------------------------------------------- questions never change tasks


def _as_question(parsed: ParsedIntent, body: str, context: ParseContext) -> ParsedIntent:
    """A question that reads like a command ("is task 2 done?") answers with what it names."""
    asked = asking.question_search(body, body.lower(), context)
    if asked is not None:
        return asked
    titles = [ref.title for ref in parsed.refs if ref.title and not parsed.statement]
    if titles:
        return ParsedIntent("SEARCH", {"query": titles[0]})
    if parsed.refs:
        return ParsedIntent("LIST", {})
    return ParsedIntent("UNKNOWN")


# "on the shopping list, did I put tomato": a question once the list named first is set aside
_LIST_AHEAD = re.compile(r"^(?:on|in|for)\s+(?:my|the)\s+(?:[\w-]+\s+){0,3}?(?:list|reminders)\s*,?\s*", re.I)
_LIST_FIRST = re.compile(
    r"^(?P<phrase>(?:for|on|to|in|onto|from)\s+(?:my|the)\s+(?:[\w-]+\s+){0,4}?(?:list|reminders)(?:\s+of\s+[\w\s]+?)?)"
    r"(?:\s*[,:]\s*|\s+(?=(?:please|add|remove|delete|put|take|i\s+need)\b))(?:please\s+)?(?P<rest>.+)$"
    r"|^(?:update|edit|change)\s+(?:my|the)\s+(?:[\w-]+\s+){0,3}(?:list|reminders)\s*[,:;-]\s*(?P<rest2>.+)$",
    re.I | re.S,
)


def _list_last(body: str) -> str:
    """"on my to-do list, add dishes" → "add dishes on my to-do list": the list goes last."""
    match = _LIST_FIRST.match(body)
    if not match:
        return body
    if match.group("rest2"):
        return match.group("rest2")
    phrase = match.group("phrase")
    phrase = re.sub(r"^(?:for|in|on)\b", "to", phrase) if re.match(r"(?:please\s+)?(?:add|put|include)\b", match.group("rest"), re.I) else phrase
    return f"{match.group('rest')} {phrase}"


def _answers_title(parsed: ParsedIntent | None, text: str) -> bool:
    """Whether a message after "what should I remind you about?" is the answer, not a new request."""
    if talk.NO.match(text) or QUESTION.match(text) or re.search(r"\d", text):
        return False
    return parsed is None or (parsed.intent in WRITES and parsed.intent != "CREATE" and not parsed.bulk) or (
        parsed.intent == "UNKNOWN" and not parsed.negated
    )


def _rules(body: str, context: ParseContext) -> ParsedIntent | None:
    lower = body.lower()
    for rule in RULES:
        parsed = rule(body, lower, context)
        if parsed is not None:
            return parsed
    return None


def _rules_or_dated(body: str, context: ParseContext) -> ParsedIntent | None:
    """The rules' reading, else a task said without "add" with its date ("the vet friday")."""
    parsed = _rules(body, context)
    if parsed is not None:
        return parsed
    dated = _dated_task(body, context, False, corrected=True) if _suggestion(body) else None
    return dated.parsed if dated else None


_PREAMBLE_TAIL = re.compile(
    r"^(?:add|put|create|delete|remove|mark|tick|show|list|what|what's|whats|how|help|remind|move|change|find|search|"
    r"can|could|would|pls|please|is|are|do|did|have)\b",
    re.I,
)


def _after_preamble(text: str) -> tuple[str, str] | None:
    """(first clause, the rest) when a short first clause ("ugh forgot again", "i'm confused")
    is followed by what opens like a request of its own; a first clause that starts with a task
    verb ("call mom, add milk") is a request too, so it is not set aside."""
    if "\n" in text or len(text) > 300:
        return None
    head, comma, tail = text.partition(",")
    tail = tail.strip()
    said = words(head, digits=False)
    if not comma or not tail or not said or len(said) > 6 or not _PREAMBLE_TAIL.match(tail):
        return None
    if re.search(r"\b(?:it|them|that|those|these)\b", tail, re.I):
        return None  # "i'm out of rice, add it to the list": the first clause is what "it" is
    return head, tail


def _means_nothing(parsed: ParsedIntent) -> bool:
    return parsed.intent == "UNKNOWN" and not (parsed.negated or parsed.cancelled or parsed.options)


def parse_intent(text: str, context: ParseContext | None = None) -> ParsedIntent:
    """Read one user message: normalised first (chat spelling, emoji, typos), then read.

    A command word corrected only because it stood where a command stands ("ad walk the
    dog") is read when the message as typed has no reading at all.
    """
    context = context or ParseContext()
    raw = collapse_whitespace(text)
    if not raw:
        return ParsedIntent("UNKNOWN")
    own = context.own_words if context.load_tasks else ()
    lines = [normalise(line, own) for line in raw.splitlines() if line.strip()] or [normalise(raw, own)]
    plain = "\n".join(line.text for line in lines)
    split = _after_preamble(plain or raw) if not (context.state or {}).get("confirm") else None
    if split:
        # "omg i totally forgot, add renew car tax": a first clause that asks nothing, then the
        # request; "washed the car, add buy wax": two of them, each read on its own
        head, tail = split
        again = _read(tail, context)
        if not _means_nothing(again) and not (again.suggest or again.guessed or again.options or again.asked) and not find_due(
            head, context.now, context.tz
        ).due:
            before = _read(head, context)
            idle = _means_nothing(before) or before.suggest or before.statement or before.guessed or before.intent == "GREETING"
            if idle and lemma(words(head, digits=False)[0]) not in _TASK_VERBS:
                return again  # "call mom, add milk" keeps its first clause: it may be a task too
            if (
                before.intent in WRITES and again.intent in _ACTS and before.then is None and again.then is None
                and not (before.options or before.asked or before.bulk or again.asked or again.bulk)
            ):
                before.then = again
                return before
    parsed = _read(plain or raw, context)
    forced = "\n".join(line.forced for line in lines)
    if (_means_nothing(parsed) or parsed.guessed) and forced != plain:
        again = _read(forced, context)
        if not _means_nothing(again) and not again.suggest and not again.guessed:
            return again
    return parsed


def _read(text: str, context: ParseContext) -> ParsedIntent:
    """The normalised message's best reading. Order matters where readings are equally good:
    the verb at the start decides before words inside."""
    raw = text.strip()
    if not raw:
        return ParsedIntent("GREETING", talk="ack")
    state = context.state or {}
    flat = " ".join(raw.split())
    if state.get("confirm"):
        answer = answer_to_confirm(flat)
        if answer is True or talk.YES.match(flat):
            return ParsedIntent("DELETE", bulk="confirmed")
        if answer is False or talk.NO.match(flat):
            return ParsedIntent("DELETE", bulk="cancelled")
    pending = state.get("pending") or {}
    if pending and pending.get("intent") != "CREATE":
        answer = talk.choice(flat, pending)
        if answer:
            return answer
    small = talk.small_talk(flat, flat.lower(), context)
    if small:
        return small
    undo = talk.undo(flat)
    if undo:
        return undo
    fixed = corrections.after_write(flat, context)
    if fixed is not None:
        return fixed
    body = digits_for_number_words(_list_last(unwrap(raw if "\n" in raw else flat)))
    negated = NEGATED.match(body) is not None or NEGATED.match(flat) is not None
    if negated or body.lower().startswith("not "):
        # "I haven't actually sent the parcels": a done task said to be open, not a request
        reopened = readings.not_done_statement(body, context) or readings.not_done_statement(flat, context)
        if reopened is not None:
            return reopened
    if negated:
        return ParsedIntent("UNKNOWN", negated=True)
    inline = corrections.inline(body, context, _rules_or_dated)
    # "and …" is read before politeness is unwrapped, which would drop the "and".
    parsed = inline or _continuation(digits_for_number_words(flat), context) or _two_actions(body, context) or _rules(body, context)
    # After "can you"/"could you" is unwrapped, what still starts like a question asks.
    asking = QUESTION.match(body) is not None or QUESTION.match(_LIST_AHEAD.sub("", body)) is not None
    if parsed is not None and asking and parsed.intent in WRITES and not (parsed.asked or parsed.unless_listed):
        return _as_question(parsed, body, context)
    if pending.get("intent") == "CREATE" and _answers_title(parsed, flat):
        # The answer to "what should I remind you about?" is the task, whatever verb it starts with.
        return create.create("add " + body, body.lower(), context) or ParsedIntent("UNKNOWN")
    if asking and parsed is None:
        return readings.question_about(body, context) or ParsedIntent("UNKNOWN")
    return _scored(parsed, body, context)


# A create said with a head that may as well be a statement about a task already there
# ("still need to do the laundry" after it was ticked off): scored against the task readings.
_WEAK_CREATE = re.compile(r"^(?:i\s+)?(?:still\s+|really\s+)?(?:need|have|got|gotta|must|should|ought)\b", re.I)


def _scored(parsed: ParsedIntent | None, body: str, context: ParseContext) -> ParsedIntent:
    """The rule reading against the readings about the user's tasks: the best if it clearly
    leads, else the likely ones as choices; a task said without "add" as the last of them."""
    weak = parsed is None or parsed.statement or (parsed.intent == "CREATE" and _WEAK_CREATE.match(body) is not None)
    if not weak:
        return parsed
    candidates: list[readings.Scored] = []
    if parsed is not None:
        score, key = _rule_score(parsed, context)
        candidates.append(readings.Scored(parsed, score, "rule", key))
    if context.load_tasks is not None:
        # a new date said for a task ("the dentist got moved to monday") is not a done statement
        candidates += (
            readings.moved_statement(body, context)
            or readings.priority_statement(body, context)
            or readings.state_statement(body, context)
        )
    suggest = _suggestion(body) if parsed is None else None
    if suggest:
        dated = _dated_task(suggest, context, bool(candidates))
        if dated is not None:
            candidates.append(dated)
    best, likely = readings.choose(candidates)
    if best is not None:
        return best.parsed
    both = _two_statements(body, context)
    if both is not None:
        return both
    offered = [r for r in likely if r.label != "rule" and r.parsed.refs and r.parsed.refs[0].number is not None]
    if offered and (parsed is None or parsed.statement):
        options = [(r.label, r.reply or _reply_for(r.parsed)) for r in offered]
        title = suggest or body.strip(" .!?")
        if title and len(words(title, digits=False)) <= 8:
            options.append((f"Add '{title[:1].upper() + title[1:]}' as a task", f"add {title}"))
        return ParsedIntent("UNKNOWN", options=options)
    if parsed is not None:
        return parsed
    if suggest:
        # Maybe a task said without "add": offer it rather than guess.
        return ParsedIntent("UNKNOWN", suggest=suggest)
    return ParsedIntent("UNKNOWN")


def _two_statements(body: str, context: ParseContext) -> ParsedIntent | None:
    """"called the plumber and paid the rent": two statements, each clearly about a task of its own."""
    if context.load_tasks is None or len(body) > 160:
        return None
    parts = re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+|\s*&\s*", body.strip(" .!"), maxsplit=1)
    if len(parts) != 2 or not all(parts):
        return None
    found = []
    for part in parts:
        best, _likely = readings.choose(readings.state_statement(part, context))
        if best is None or not best.parsed.refs or best.parsed.refs[0].number is None:
            return None
        found.append(best.parsed)
    if found[0].refs[0].number == found[1].refs[0].number:
        return None
    found[0].then = found[1]
    return found[0]


def _rule_score(parsed: ParsedIntent, context: ParseContext) -> tuple[float, tuple | None]:
    """A weak rule reading's score (and what it does): a create said with "need to"; a
    statement that something is done, by how many open tasks it fits by lemma (one: clear;
    several: the turn asks which)."""
    if not parsed.statement:
        return 0.7, None
    if context.load_tasks is None:
        return 0.8, None
    said = parsed.refs[0].title if parsed.refs else ""
    fits = done_fits(said or "", {task.number: task.title for task in context.tasks() if not task.completed})
    if len(fits) == 1:
        return 0.95, (parsed.intent, fits[0])
    return (0.8, None) if fits else (0.3, None)


_HEDGES = frozenset(["maybe", "perhaps", "possibly", "might", "probably", "prob", "idk", "dunno", "or"])
_STATEMENT_WORDS = frozenset(["is", "are", "was", "were", "isn't", "aren't", "moved", "now", "instead", "been", "it's", "that's"])


def _dated_task(text: str, context: ParseContext, rivals: bool, corrected: bool = False) -> readings.Scored | None:
    """"dentist friday 3pm": a short phrase with a due date and nothing else to read is a task
    said without "add". The date is the cue; a reading about a task already there (moving the
    dentist) competes with it, and then neither leads and both are offered."""
    due = find_due(text, context.now, context.tz)
    if not due.due:
        return None
    left = text
    for start, end in sorted(due.spans, reverse=True):
        left = left[:start] + " " + left[end:]
    said = words(left, digits=False)
    if said and lemma(said[0]) in _TASK_VERBS and not corrected:
        # "buy milk tomorrow" reads as an order to the assistant as much as a note: offered
        # (unless its date was corrected in the same breath: "book the vet friday - no, saturday")
        return None
    if any(word in _HEDGES for word in said):
        return None  # "dentist next week maybe": offered, not taken
    if any(word in _STATEMENT_WORDS for word in said):
        return None  # "the dentist is on thursday now" says something of a task; it names none
    title_words = [word for word in said if word not in STOPWORDS]
    if not 1 <= len(title_words) <= 6:
        return None
    parsed = create.create("add " + text, ("add " + text).lower(), context)
    if parsed is None or parsed.intent != "CREATE" or not parsed.args.get("title") or parsed.items:
        return None
    parsed.guessed = True
    return readings.Scored(parsed, 0.6 if rivals else 0.8, f"Add '{parsed.args['title']}' as a task", reply=f"add {text}")


def _suggestion(body: str) -> str | None:
    found = words(body, digits=False)
    if 1 < len(found) <= 8 and "?" not in body and not re.match(r"(?:what|how|why|who|when|where|is|are|do|does|can)\b", body.lower()):
        return body.strip(" .!")
    return None


def _reply_for(parsed: ParsedIntent) -> str:
    number = parsed.refs[0].number
    if parsed.intent == "COMPLETE":
        return f"mark task {number} done"
    if parsed.intent == "UNCOMPLETE":
        return f"reopen task {number}"
    if parsed.intent == "DELETE":
        return f"delete task {number}"
    return f"task {number}"


# Sentences that load what the parser loads on first use (lemma dictionaries, dateparser's
# language data, compiled patterns).
_WARM_UP = (
    "add buy milk tomorrow at 5pm !high #shopping",
    "remind me to call mom next friday",
    "i paid the rent",
    "what's due this week?",
    "move the dentist to the 3rd of next month",
    "delete the second one",
)


def warm_up() -> None:
    """Parse a few sentences so a server's first user does not wait for lazy loading (a
    worker calls this before it takes requests; see ``gunicorn.conf.py``)."""
    for sentence in _WARM_UP:
        parse_intent(sentence)
