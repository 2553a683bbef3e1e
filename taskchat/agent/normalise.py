"""Phone-style typing made plain before parsing: apostrophes, chat spellings, emoji, typos.

``normalise(text)`` returns what the parser reads. It works word by word (never a pattern
over the whole message, so any input costs time linear in its length) and leaves quoted
text exactly as typed.

- **Contractions without apostrophes and chat spellings** ("dont", "whats", "u", "pls",
  "tmrw", "2moro") are written out. These are the ordinary spellings of a chat, a small
  lexicon, not a list of misspellings.
- **Emoji** are dropped, except a message that is only an emoji: 👍 is "ok", ✅ "done", 👎/❌
  "no". A ✅ after other words says done ("dishes done ✅" reads "dishes done").
- **Chat filler** ("lol", "haha") is dropped from a message that says something else.
- **Spelling correction** (rapidfuzz's optimal-string-alignment distance, which counts a
  swap of two letters as one edit) maps a word onto the parser's vocabulary or the user's
  own task words, but only a word that is not an English word already (simplemma's
  dictionary, the one lemmas come from): "delte" → "delete", "shwo" → "show", "tomorow" →
  "tomorrow", "dentst" → "dentist" when a task says "Dentist". A real word close to a
  command ("shower", "marks") stays itself. ``forced`` also corrects a real word in the
  command position ("ad walk the dog" → "add walk the dog"); the parser reads it only when
  the plain reading has no meaning at all.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA
from simplemma.strategies import LOW_MEMORY_DICTIONARY_FACTORY

# ---------------------------------------------------------------- chat spellings

CONTRACTIONS = {
    "dont": "don't", "doesnt": "doesn't", "didnt": "didn't", "cant": "can't", "couldnt": "couldn't",
    "wouldnt": "wouldn't", "shouldnt": "shouldn't", "wont": "won't", "isnt": "isn't", "arent": "aren't",
    "wasnt": "wasn't", "werent": "weren't", "havent": "haven't", "hasnt": "hasn't", "hadnt": "hadn't",
    "aint": "isn't", "mustnt": "mustn't", "neednt": "needn't", "ive": "i've", "im": "i'm", "youre": "you're",
    "youve": "you've", "theyre": "they're", "weve": "we've", "theyve": "they've", "thats": "that's",
    "theres": "there's", "whats": "what's", "whens": "when's", "wheres": "where's", "hows": "how's",
    "whos": "who's", "lets": "let's", "itll": "it'll", "ill": None, "id": None, "were": None,
}
CHAT = {
    "u": "you", "ur": "your", "wots": "what's", "wats": "what's", "lemme": "let me", "gimme": "give me", "r": "are", "pls": "please", "plz": "please", "plse": "please",
    "pleas": "please", "thx": "thanks", "thnx": "thanks", "thanx": "thanks", "tnx": "thanks",
    "tmrw": "tomorrow", "tmr": "tomorrow", "tmw": "tomorrow", "tmrow": "tomorrow", "tmoro": "tomorrow",
    "tomoz": "tomorrow", "2moro": "tomorrow", "2morrow": "tomorrow", "2mrw": "tomorrow", "2morow": "tomorrow",
    "tonite": "tonight", "2nite": "tonight", "2night": "tonight", "2day": "today", "tdy": "today",
    "b4": "before", "abt": "about", "appt": "appointment", "appts": "appointments", "mins": "minutes",
    "hrs": "hours", "wk": "week", "wks": "weeks", "nxt": "next", "bc": "because", "cuz": "because",
    "coz": "because", "msg": "message", "txt": "text", "wot": "what", "wat": "what", "n": "and",
    "w/": "with", "thru": "through", "rly": "really", "sth": "something", "smth": "something",
    "smthg": "something", "bday": "birthday", "b-day": "birthday", "tsk": "task", "tsks": "tasks",
    "yea": "yeah", "yeh": "yeah", "yh": "yeah", "ye": "yeah", "kk": "ok", "okie": "okay", "okey": "okay",
    "okk": "ok", "k": "ok", "nvm": "never mind", "idk": "i don't know", "gonna": "going to", "frm": "from",
    "tho": "though", "atm": "right now", "rn": "right now", "asap": "asap", "ppl": "people", "hav": "have",
    "wanna": "wanna", "gotta": "gotta", "dunno": "don't know", "bout": "about", "wknd": "weekend", "wkend": "weekend",
}
# After "on", "by", "for"…: "fri" is Friday; elsewhere it may be part of a title.
DAYS = {
    "mon": "monday", "tue": "tuesday", "tues": "tuesday", "wed": "wednesday", "weds": "wednesday",
    "thu": "thursday", "thur": "thursday", "thurs": "thursday", "fri": "friday", "sat": "saturday",
    "sun": "sunday",
}
_DAY_LEAD = frozenset({"on", "by", "for", "to", "till", "until", "next", "this", "before", "from", "til", "thru", "through", "every"})
# "pizza fri night", "ring the plumber mon": a day shorthand at the end or before a part of the day
_DAY_PART = frozenset({"night", "morning", "afternoon", "evening", "am", "pm", "at", "lunchtime", "noon"})
# "me 2 call mum": a "2" between such a word and a word is "to"; "task 2" stays a number.
_TO_LEAD = frozenset({"me", "need", "have", "got", "want", "going", "remember", "forget", "how", "time", "reminder", "ought", "able"})
# "tmrw 2 call the bank": a "2" before one of these is "to"; "2 loaves" stays a number.
_TASK_VERBS = frozenset(
    ["call", "ring", "phone", "buy", "get", "pay", "book", "email", "text", "pick", "take", "do", "go", "see", "meet", "fix", "clean", "check", "send", "post", "collect", "order", "make", "bring", "feed", "water", "walk", "finish", "renew", "cancel", "return", "visit", "write", "read", "print", "wash", "cook", "pack", "sort", "tidy"]
)
# "its not done" is "it's"; "its due date" keeps the possessive.
_ITS_NEXT = frozenset({"not", "done", "finished", "sorted", "been", "a", "an", "the", "all", "ok", "fine", "now", "still", "already", "due", "on", "in", "at", "over", "paid", "gone", "booked", "fixed", "really", "actually", "urgent", "important", "no", "just", "too", "time"})
FILLER = frozenset({"lol", "lmao", "lmfao", "haha", "hahaha", "hehe", "heh", "omg", "ugh", "tbh", "xx", "xxx", "yay", "woohoo", "phew", "rofl", "smh", "fyi"})

# ---------------------------------------------------------------- emoji

_EMOJI_WORDS = {
    "👍": "ok", "👌": "ok", "🆗": "ok", "🙆": "ok", "✅": "done", "✔": "done", "☑": "done", "✔️": "done",
    "👎": "no", "❌": "no", "✖": "no", "🙅": "no", "🚫": "no", "🙏": "thanks", "👋": "hi",
}
_DONE_EMOJI = frozenset({"✅", "✔", "☑"})
_JOINERS = frozenset({"\u200d", "\ufe0f", "\ufe0e", "\u20e3"})


def _is_emoji(char: str) -> bool:
    code = ord(char)
    return (
        0x1F000 <= code <= 0x1FAFF
        or 0x2600 <= code <= 0x27BF
        or 0x2B00 <= code <= 0x2BFF
        or char in _JOINERS
        or (code > 0x2000 and unicodedata.category(char) == "So")
    )


# ---------------------------------------------------------------- the vocabulary

# The words the parser's rules are written in: targets for correcting a typo.
VOCABULARY = frozenset(
    ["add", "create", "new", "insert", "delete", "remove", "erase", "complete", "completed", "mark", "marked", "show", "list", "lists", "display", "view", "find", "search", "look", "rename", "update", "change", "move", "edit", "modify", "reopen", "reschedule", "postpone", "clear", "check", "tick", "finish", "finished", "done", "task", "tasks", "todo", "todos", "reminder", "reminders", "remind", "tomorrow", "today", "tonight", "yesterday", "morning", "afternoon", "evening", "night", "week", "weekend", "month", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "next", "every", "priority", "high", "low", "medium", "urgent", "important", "tagged", "pending", "overdue", "shopping", "grocery", "groceries", "please", "thanks", "what", "when", "where", "which", "anything", "everything", "something", "again", "already", "about", "before", "after", "until", "undo", "cancel", "yes", "okay", "sure", "help", "through", "uncheck", "untick", "incomplete", "remaining", "outstanding", "everything", "tomorrow's", "today's", "whats", "needed", "need", "remember", "forget", "set", "due", "date", "deadline", "note", "notes", "description", "minutes", "hours", "days", "weeks", "months", "fortnight", "quarter", "half", "past", "o'clock", "noon", "midnight", "midday", "this", "that", "with", "from", "your", "yes"]
)
# Where a typo in the command position may be a real word ("ad", "creat"): corrected only in ``forced``.
COMMANDS = frozenset(
    ["add", "create", "delete", "remove", "complete", "mark", "show", "list", "find", "search", "rename", "update", "change", "move", "edit", "reopen", "clear", "check", "tick", "finish", "undo", "remind", "set"]
)
# Everyday words one edit from a command ("and"/"add", "sit"/"set"): never forced into one.
_NOT_FORCED = frozenset(
    ["a", "an", "and", "or", "but", "so", "if", "as", "at", "in", "on", "it", "is", "to", "do", "go", "no", "not", "of", "my", "me", "we", "be", "by", "up", "us", "am", "oh", "ok", "hi", "set", "sit", "sat", "let", "lot", "get", "got", "put", "mad", "had", "has", "was", "see", "sew", "bad", "dad", "odd", "aid", "and", "end", "old"]
)
_VOCAB_LIST = sorted(VOCABULARY)
_COMMAND_LIST = sorted(COMMANDS)
_TOKEN = re.compile(r"\S+")
# Words past this many are kept as typed: no chat message is that long, and the stage stays
# a small, fixed cost however long the text.
MAX_WORDS = 80
# Three runs of disjoint classes: each character has one place, so a match is linear.
_CORE = re.compile(r"^(?P<lead>[^\w'/-]*)(?P<core>[\w'/-]+)(?P<trail>[^\w'/-]*)$", re.UNICODE)
_ELONGATED = re.compile(r"([a-z])\1{2,}")
_REPEATED = re.compile(r"([a-z])\1+")
_DICTIONARY = LOW_MEMORY_DICTIONARY_FACTORY.get_dictionary("en")


@lru_cache(maxsize=4096)
def is_word(word: str) -> bool:
    """An English word or word form (simplemma's dictionary holds forms, not only lemmas)."""
    return word in VOCABULARY or word in _DICTIONARY


def _max_edits(word: str) -> int:
    return 1 if len(word) <= 5 else 2


@lru_cache(maxsize=4096)
def _closest_word(word: str) -> str | None:
    """``_closest`` against the vocabulary, cached: the same typos come back."""
    return _closest(word, _VOCAB_LIST)


def _closest(word: str, pool: list[str] | tuple[str, ...]) -> str | None:
    """The one target within a typo's reach of ``word``; None when none or several tie."""
    limit = _max_edits(word)
    found = process.extract(word, pool, scorer=OSA.distance, score_cutoff=limit, limit=4)
    if not found:
        return None
    best = min(distance for _choice, distance, _index in found)
    closest = [choice for choice, distance, _index in found if distance == best]
    if len(closest) != 1:
        return None
    choice = closest[0]
    # People rarely mistype the first letter; a swap of the first two is the exception.
    if choice[0] != word[0] and not (len(word) > 1 and choice[:2] == word[1::-1]):
        return None
    return choice


def correct(word: str, own_words: Callable[[], frozenset[str]] | None = None, command_position: bool = True) -> str:
    """``word`` spelt as the vocabulary or the user's own task words spell it, if it is a typo.

    The user's words are asked for only when a word is no English word and no vocabulary
    word is near it, so most messages never load them.
    """
    if not 3 <= len(word) <= 20 or not word.isalpha() or word in VOCABULARY:
        return word
    near = _closest_word(word)
    if near is not None:
        if near in COMMANDS and not command_position:
            return word  # a title word close to a command ("readme") stays itself
        return word if is_word(word) else near
    if own_words is None or is_word(word):
        return word
    own = own_words()
    if word in own or not own:
        return word
    return _closest(word, tuple(sorted(own))) or word


@dataclass(frozen=True)
class Normalised:
    text: str
    # The command position corrected even when it is a real word: read only if ``text`` means nothing.
    forced: str


def _quoted_spans(text: str) -> list[tuple[int, int]]:
    from .task_fields import quoted_spans

    return [match.span() for match in quoted_spans(text)]


def _kept_as_typed(word: str) -> bool:
    """Acronyms and names written with capitals inside ("README", "iPhone") are never corrected."""
    return any(char.isupper() for char in word[1:])


# Shorthand for a command, read only where a command stands ("del task 2", "rm the milk").
_COMMAND_SHORTHAND = {"del": "delete", "rm": "remove", "rem": "remove", "chk": "check", "upd": "update"}


def _plain(word: str, previous: str | None, following: str | None, then: str | None = None) -> str:
    """One word's chat spelling written out (lower-case in, lower-case out)."""
    if previous is None and word in _COMMAND_SHORTHAND and following is not None:
        return _COMMAND_SHORTHAND[word]
    if word in CONTRACTIONS:
        return CONTRACTIONS[word] or word
    if word == "its" and following in _ITS_NEXT and not (following == "due" and then == "date"):
        return "it's"
    if word in DAYS and (previous in _DAY_LEAD or (previous not in ("the", "a", "my") and (following is None or following in _DAY_PART))):
        return DAYS[word]
    if word == "2" and following and following.isalpha() and (previous in _TO_LEAD or following in _TASK_VERBS):
        return "to"
    if word == "w" and following in {"the", "my", "a", "an", "her", "him", "them", "mum", "mom", "dad"}:
        return "with"
    if word in CHAT:
        return CHAT[word]
    if following and following.isdigit() and word not in ("task", "tasks") and OSA.distance(word, "task") == 1:
        return "task"  # "mark taks 2 done": a word one edit from "task", before a number
    return word


def normalise(text: str, own_words: Iterable[str] | Callable[[], Iterable[str]] = ()) -> Normalised:
    """``text`` as the parser reads it; ``own_words`` are the words of the user's task titles
    (or a function giving them, called only if a word needs them)."""
    loaded: list[frozenset[str]] = []

    def own() -> frozenset[str]:
        if not loaded:
            found = own_words() if callable(own_words) else own_words
            loaded.append(frozenset(w.lower() for w in found))
        return loaded[0]
    stripped = text.strip()
    if not stripped:
        return Normalised(text, text)
    # A message that is only emoji: the ones that answer stand for their word.
    if all(_is_emoji(char) or char.isspace() for char in stripped):
        first = next((_EMOJI_WORDS[ch] for ch in stripped if ch in _EMOJI_WORDS), "")
        return Normalised(first, first)
    quoted = _quoted_spans(text) if any(mark in text for mark in "'\"“‘") else []
    if quoted:
        starts = [start for start, _end in quoted]
        out = []
        for match in _TOKEN.finditer(text):
            at = bisect_right(starts, match.start()) - 1  # the last quote opened before this word
            out.append((match.group(0), at >= 0 and match.start() < quoted[at][1]))
    else:
        out = [(token, False) for token in text.split()]
    done_emoji = False
    # Emoji at the start or the end of a message are dropped ("dishes done ✅", "🛒 add oat
    # milk"); one inside a title is part of it ("add 🎂 order the cake").
    for edge in (0, -1):
        while out and not out[edge][1]:
            token = out[edge][0]
            kept = "".join(char for char in token if not _is_emoji(char))
            if kept == token:
                break
            done_emoji = done_emoji or any(char in _DONE_EMOJI for char in token)
            if kept:
                out[edge] = (kept, False)
                break
            out.pop(edge)
    tail = [token for token, _inside in out[MAX_WORDS:]]
    out = out[:MAX_WORDS]
    found_words = [None if inside else _CORE.match(token) for token, inside in out]
    lowered = [(m.group("core").lower() if m else None) for m in found_words]
    result: list[str] = []
    for index, ((token, _inside), found) in enumerate(zip(out, found_words, strict=True)):
        if found is None:
            result.append(token)
            continue
        core = found.group("core")
        lower = core.lower()
        if lower in FILLER and len(out) > 1:
            trail = found.group("trail").strip()
            if trail and result:
                result[-1] += trail
            continue
        if _REPEATED.search(lower) and lower not in CHAT and lower not in CONTRACTIONS and not is_word(lower):
            # "heyyy", "noo", "pleaseee": letters held down on a phone
            single = _REPEATED.sub(r"\1", lower)
            lower = single if is_word(single) else _ELONGATED.sub(r"\1\1", lower)
        previous = lowered[index - 1] if index else None
        following = lowered[index + 1] if index + 1 < len(lowered) else None
        then = lowered[index + 2] if index + 2 < len(lowered) else None
        plain = _plain(lower, previous, following, then)
        if plain == lower and not _kept_as_typed(core):
            early = index < 3 and not any(w in COMMANDS for w in lowered[:index] if w)
            plain = correct(lower, own, command_position=early)
        if plain != core.lower() or lower != core.lower():
            core = plain if not core[:1].isupper() else plain[:1].upper() + plain[1:]
        result.append(found.group("lead") + core + found.group("trail"))
    if done_emoji and not any(w in {"done", "finished", "complete", "completed", "sorted"} for w in lowered if w):
        result.append("done")
    plain_text = " ".join(result + tail)
    if not quoted and len(plain_text) <= 600:
        plain_text = times_in_digits(plain_text)
    return Normalised(plain_text, _force_command(plain_text))


# ---------------------------------------------------------------- times said in words

_HOURS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12,
}
_HOUR = r"(?P<h>one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|1[0-2]|0?[1-9])"
_HALF_PAST = re.compile(rf"\b(?P<part>half|quarter|twenty|ten|five|twenty-five)\s+(?P<rel>past|after|to|til|till)\s+{_HOUR}\b", re.I)
# "at eleven", "by nine tonight", "eleven o'clock", "seven pm": an hour in words where a time stands
_WORD_HOUR = re.compile(
    r"\b(?P<lead>at|by|around|about|till|until|before|after|from|for)\s+(?P<h>one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b"
    r"(?!\s+(?:days?|weeks?|months?|years?|hours?|minutes?|mins?|people|things|tasks?|items?|of|more|times?|or|and)\b)"
    r"|\b(?P<h2>one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)(?=\s*(?:o'?clock|am|pm|a\.m\.|p\.m\.|tonight|this\s+(?:morning|evening|afternoon)|in\s+the\s+(?:morning|evening|afternoon)|tomorrow\s+(?:morning|evening|night|afternoon))\b)",
    re.I,
)
_OCLOCK = re.compile(r"\b(?P<h>1[0-2]|0?[1-9])\s*o'?clock\b", re.I)
_ORDINAL_OF_EVERY = re.compile(r"\b(?P<day>\d{1,2}(?:st|nd|rd|th))\s+of\s+(?P<every>every|each)\b", re.I)
_PART_OF_DAY = re.compile(r"\b(?P<t>(?:1[0-2]|0?[1-9])(?::[0-5]\d)?)\s*(?:in\s+the\s+(?P<part>morning|afternoon|evening)|at\s+(?P<part2>night))\b", re.I)
_MINUTES = {"half": 30, "quarter": 15, "twenty": 20, "ten": 10, "five": 5, "twenty-five": 25}


_DAY_AM = re.compile(
    r"\b(?P<day>tomorrow|today|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\s+(?P<half>am|pm)\b", re.I
)
_THE_WEEKEND = re.compile(r"\b(?:at|on|over)\s+the\s+weekend\b", re.I)
_BARE_HOUR = re.compile(r"\bat\s+(?P<h>1[01]|0?[1-9])(?::[0-5]\d)?(?![\d:]|\s*(?:am|pm|a\.m|p\.m)\b)", re.I)
_TIME_CUES = ("weekend", " am", " pm", "past", "after", " to ", "til", "clock", " of ", "morning", "night", "afternoon", "evening", *_HOURS)


def _hour(text: str) -> int:
    return _HOURS.get(text.lower()) or int(text)


def times_in_digits(text: str) -> str:
    """"half past six" → "6:30", "quarter to nine" → "8:45", "at eleven tonight" → "at 11
    tonight", "the 1st of every month" → "the 1st every month" (dates then reads them)."""
    lower = text.lower()
    if not any(word in lower for word in _TIME_CUES):
        return text

    def relative(match: re.Match) -> str:
        hour, minutes = _hour(match.group("h")), _MINUTES[match.group("part").lower()]
        if match.group("rel").lower() in ("to", "til", "till"):
            hour, minutes = (hour - 2) % 12 + 1, 60 - minutes
        after = match.string[match.end():].lstrip().lower()
        # "quarter past three" is an afternoon time unless the message says otherwise
        noon = "" if after.startswith(("am", "pm", "a.m", "p.m", "in the", "tonight", "this")) or hour > 6 else "pm"
        return f"{hour}:{minutes:02d}{noon}"

    text = _HALF_PAST.sub(relative, text)
    text = _WORD_HOUR.sub(
        lambda m: f"{m.group('lead')} {_HOURS[m.group('h').lower()]}" if m.group("lead") else str(_HOURS[m.group("h2").lower()]),
        text,
    )
    text = _OCLOCK.sub(lambda m: m.group("h"), text)
    text = _DAY_AM.sub(lambda m: f"{m.group('day')} {'morning' if m.group('half').lower() == 'am' else 'afternoon'}", text)
    text = _THE_WEEKEND.sub("this weekend", text)
    text = _PART_OF_DAY.sub(lambda m: m.group("t") + ("am" if (m.group("part") or "").lower() == "morning" else "pm"), text)
    if "morning" in text.lower():
        # "every morning at 8": the hour is a morning one
        text = _BARE_HOUR.sub(lambda m: f"{m.group(0)}am" if int(m.group("h")) < 12 else m.group(0), text)
    return _ORDINAL_OF_EVERY.sub(lambda m: f"{m.group('day')} {m.group('every')}", text)


def _force_command(text: str) -> str:
    """The first word corrected to a command it is one edit from ("ad" → "add", "creat" → "create")."""
    head, _, rest = text.partition(" ")
    word = head.lower()
    if word in COMMANDS or word in _NOT_FORCED or not word.isalpha() or len(word) < 2:
        return text
    found = process.extract(word, _COMMAND_LIST, scorer=OSA.distance, score_cutoff=1, limit=3)
    if len(found) != 1:
        return text
    return f"{found[0][0]} {rest}".strip()
