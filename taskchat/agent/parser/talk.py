"""Small talk, help, and answers to the agent's own questions (yes/no, which one?, undo)."""

from __future__ import annotations

import re
from typing import Any

from ..matching import pick, words
from ..references import ORDINALS, TaskRef, clean_title_ref, parse_refs
from .base import ParseContext, ParsedIntent

_GREETING_CORE = {"hi", "hello", "hey", "hiya", "howdy", "yo", "greetings", "sup", "hola", "morning", "afternoon", "evening", "heya"}
_GREETING_WORDS = _GREETING_CORE | {
    "good", "there", "again", "everyone", "all", "bot", "taskchat", "how", "are", "you", "doing",
    "what's", "whats", "up", "today", "u", "r", "is", "it", "going", "ya", "friend", "buddy",
}
_THANKS_CORE = {"thanks", "thank", "thx", "ty", "cheers", "tysm", "ta"}
_ACK_WORDS = {
    "ok", "okay", "k", "cool", "great", "awesome", "perfect", "nice", "got", "it", "that's", "thats",
    "all", "for", "now", "good", "sounds", "fine", "alright", "sure", "lovely", "brilliant",
    # chat filler said on its own
    "lol", "haha", "hahaha", "hehe", "lmao", "yay", "omg", "wow", "ah", "oh", "hmm", "ahh", "oops",
}
_THANKS_WORDS = _THANKS_CORE | _ACK_WORDS | {"you", "so", "much", "very", "a", "lot", "many", "again", "mate"}
_BYE_CORE = {"bye", "goodbye", "cya", "later", "farewell", "goodnight", "ttyl"}
_BYE_WORDS = _BYE_CORE | {"see", "you", "good", "night", "for", "now", "ok", "thanks", "talk", "to", "soon", "then"}
_HELP = re.compile(
    r"^(?:help(?:\s+me)?|\?+|commands|menu|options|usage|examples?|instructions|"
    r"what\s+(?:else\s+)?can\s+(?:you|i)\s+(?:do|say|ask|type)(?:\s+here)?|what\s+do\s+you\s+do|"
    r"(?:what|how)\s+(?:else\s+)?can\s+you\s+help(?:\s+me)?(?:\s+with)?|"
    r"how\s+does\s+(?:this|it)\s+work|how\s+do\s+i\s+use\s+(?:this|you|it|taskchat)|"
    r"what\s+are\s+you|who\s+are\s+you|what\s+is\s+this|what\s+commands(?:\s+are\s+there)?|"
    r"i\s+need\s+help|show\s+(?:me\s+)?(?:the\s+)?(?:help|commands)|"
    r"how\s+(?:do|can|should|would|could|might)\s+(?:i|you|one|we)\s+(?:go\s+about\s+)?(?:add|create|delete|remove|complete|mark|list|see|find|search|rename|edit|change|use|tag|undo|set|make|move|finish|check|get\s+rid\s+of|clear|reopen|update)\b[\w\s'-]{0,40})$",
    re.I,
)


# Greeting and politeness around a request for help ("hi, what can you help me with",
# "help pls"): set aside word by word, so the help forms need not list every wrapper.
_HELP_WRAP = frozenset(["hi", "hey", "hello", "hiya", "ok", "okay", "so", "um", "umm", "please", "pls", "plz", "thanks", "lol", "again", "quick", "just"])


def _unwrapped_for_help(lower: str) -> str:
    said = lower.strip(" .!?").replace(",", " ").split()
    while said and said[0] in _HELP_WRAP:
        said.pop(0)
    while said and said[-1].strip(".!?") in _HELP_WRAP:
        said.pop()
    return " ".join(said).strip(" .!?")


def small_talk(body: str, lower: str, context: ParseContext) -> ParsedIntent | None:
    if _HELP.match(lower.strip(" .!?") or ("?" if "?" in lower else "")) or (
        len(lower) < 80 and (bare := _unwrapped_for_help(lower)) and _HELP.match(bare)
    ):
        return ParsedIntent("HELP")
    found = set(words(lower, digits=False))
    if re.search(r"\d|#", lower) or not found:
        return None
    if found & _GREETING_CORE and found <= _GREETING_WORDS:
        return ParsedIntent("GREETING")
    if found in ({"what's", "up"}, {"whats", "up"}, {"what's", "up", "bot"}, {"you", "there"}, {"are", "you", "there"}):
        return ParsedIntent("GREETING")
    if {"how", "are", "you"} <= found and found <= _GREETING_WORDS:
        return ParsedIntent("GREETING")
    if found & _THANKS_CORE and found <= _THANKS_WORDS:
        return ParsedIntent("GREETING", talk="thanks")
    if found & _BYE_CORE and found <= _BYE_WORDS:
        return ParsedIntent("GREETING", talk="bye")
    if found <= _ACK_WORDS and len(found) <= 4:
        return ParsedIntent("GREETING", talk="ack")
    return None


YES = re.compile(
    r"^(?:y|ya|yes|yeah|yep|yup|sure|ok|okay|confirm(?:ed)?|do\s+it|go\s+ahead|please\s+do|"
    r"yes\s+please|absolutely|correct|delete\s+them|i'm\s+sure|i\s+am\s+sure)[\s.!]*$",
    re.I,
)
NO = re.compile(
    r"^(?:n|no|nope|nah|cancel|stop|don't|do\s+not|never\s*mind|nevermind|forget\s+it|abort|"
    r"wait|no\s+thanks|no\s+don't|keep\s+them)[\s.!]*$",
    re.I,
)
UNDO = re.compile(
    r"^(?:(?:oops|whoops|oh\s+no|no|wait|sorry|argh|ugh|hmm|uh\s+oh|my\s+bad|ah)[\s,.!]+)*"
    r"(?:please\s+)?(?:undo(?:\s+(?:that|it|this|the\s+last\s+(?:one|change|thing|step)|my\s+last\s+(?:change|request)|what\s+you\s+(?:just\s+)?did))?"
    r"|take\s+(?:that|it)\s+back|revert\s+(?:that|it|the\s+last\s+change)|put\s+it\s+back(?:\s+the\s+way\s+it\s+was)?"
    r"|that\s+was\s+a\s+mistake|go\s+back|reverse\s+(?:that|it)|cancel\s+that|scrap\s+that"
    r"|wrong\s+one|(?:that's|that\s+is)\s+wrong|not\s+that\s+one|(?:i\s+)?didn't\s+mean\s+(?:that|to))"
    r"(?:[\s,.!]+(?:please|pls|thanks|that\s+was\s+a\s+mistake|i\s+didn't\s+mean\s+(?:it|that)))*[\s.!]*$",
    re.I,
)


def undo(body: str) -> ParsedIntent | None:
    return ParsedIntent("UNDO") if UNDO.match(body.strip()) else None


_NOT_AN_ANSWER = re.compile(
    r"^(?:add|create|delete|remove|mark|complete|tick|show|list|find|search|rename|update|change|move|reopen|clear|"
    r"what|what's|how|is|are|do|does|did|can|could|help|undo|hi|hello|thanks)\b",
    re.I,
)


def _named_answer(text: str, intent: str, args: dict[str, Any], shift: Any) -> ParsedIntent | None:
    """A task named in answer to "which task?": by position or by (part of) its title."""
    text = re.sub(r"^(?:i\s+mean|i\s+meant|um|uh|oh|just)\s+|\s+(?:please|pls|thanks)$", "", text).strip()
    if not text or len(text.split()) > 5 or _NOT_AN_ANSWER.match(text) or NO.match(text):
        return None
    text = re.sub(r"^(?:the\s+)?(\d+)(?:st|nd|rd|th)(?=\s|$)", lambda m: f"the {_ORDINAL_WORDS.get(m.group(1), m.group(1))}", text)
    refs = parse_refs(text)
    if not refs:
        return None
    return ParsedIntent(intent, args, refs, shift_minutes=shift)


_ORDINAL_WORDS = {"1": "first", "2": "second", "3": "third", "4": "fourth", "5": "fifth", "6": "sixth", "7": "seventh", "8": "eighth"}


def choice(raw: str, pending: dict[str, Any]) -> ParsedIntent | None:
    """The answer to "which one?": an ordinal, a position, a task number, or part of a title."""
    candidates: list[int] = list(pending.get("candidates") or [])
    titles: list[str] = list(pending.get("titles") or [])
    intent, args = pending.get("intent", "UNKNOWN"), dict(pending.get("args") or {})
    shift = pending.get("shift_minutes")

    def answer(*numbers: int) -> ParsedIntent:
        return ParsedIntent(intent, args, [TaskRef(number=n) for n in numbers], shift_minutes=shift)

    text = raw.strip(" .!?").lower()
    if not candidates:
        # "Which task should I delete?" → "task 2" / "2" / "#2", or "the dentist one", "the 2nd one"
        named = re.fullmatch(r"(?:the\s+)?(?:(?:task|number|no\.?)\s*)?#?\s*(\d+)", text)
        if named:
            return answer(int(named.group(1)))
        return _named_answer(text, intent, args, shift)
    text = re.sub(r"^(?:the|i\s+mean|i\s+meant|oh|um|uh)\s+|\s+(?:one|task|please)$", "", text).strip()
    text = re.sub(r"^(?:the)\s+", "", text)
    if NO.match(text):
        return ParsedIntent("UNKNOWN", cancelled=True)
    if text in {"both", "all", "all of them", "both of them", "each", "every one"}:
        return answer(*candidates)
    if text in {"last", "the last", "last one"}:
        return answer(candidates[-1])
    if text in ORDINALS and ORDINALS[text] <= len(candidates):
        return answer(candidates[ORDINALS[text] - 1])
    if text.isdigit():
        value = int(text)
        return answer(candidates[value - 1]) if 1 <= value <= len(candidates) else answer(value)
    named = re.fullmatch(r"(?:task|number|no\.?|#)\s*#?(\d+)", text)
    if named:
        return answer(int(named.group(1)))
    number = pick(clean_title_ref(text), candidates, titles)
    return answer(number) if number is not None else None


# Everyday answers to "are you sure?": a yes word ("yeah do it", "ok fine", "sure") or a no
# word ("nah leave it", "hmm no"), with only words around it that an answer carries.
_YES_CORE = frozenset(
    ["y", "ya", "yes", "yeah", "yep", "yup", "yas", "sure", "ok", "okay", "confirm", "confirmed", "absolutely", "definitely",
     "correct", "affirmative", "certainly", "aye", "fine", "alright", "go", "do", "proceed", "course", "indeed", "totally"]
)
_YES_WORDS = _YES_CORE | frozenset(
    ["it", "ahead", "please", "for", "on", "then", "thanks", "just", "delete", "them", "all", "that", "sounds", "good",
     "great", "i'm", "i", "am", "of", "why", "not", "right", "so", "everything", "the", "lot", "and", "really", "yesss",
     "let's", "lets", "hit", "bin", "clear", "wipe", "away", "mate", "thank", "you", "is", "what", "want", "said", "whole",
     "thing", "now", "get", "rid", "yea", "yeh", "fire", "sure", "thx", "cheers", "perfect", "cool", "oh", "well", "hmm",
     # "yep ✅" arrives as "yep done"
     "done", "course", "bye", "lol", "haha"]
)
_NO_CORE = frozenset(["not", "n", "no", "nope", "nah", "cancel", "stop", "don't", "dont", "never", "nevermind", "abort", "leave", "keep", "hold", "wait", "nooo", "nay"])
_NO_WORDS = _NO_CORE | frozenset(
    ["it", "them", "thanks", "mind", "do", "not", "that", "actually", "hmm", "um", "uh", "forget", "please", "just", "alone",
     "all", "for", "now", "as", "is", "changed", "my", "i've", "on", "second", "thought", "thoughts", "they", "are", "hang",
     "off", "sorry", "oh", "way", "thank", "you", "there", "be", "let", "me", "think", "mistake", "didn't", "mean", "i",
     "was", "a", "the", "lot", "anything", "delete", "one", "maybe", "later", "rather", "nothing", "yet", "ok", "okay"]
)


def answer_to_confirm(text: str) -> bool | None:
    """True for an everyday yes, False for a no, None for anything else."""
    found = words(text.lower(), digits=False)
    if not found or len(found) > 8:
        return None
    said = set(found)
    if said & _NO_CORE and said <= _NO_WORDS and not ({"ok", "okay"} & said and not said & {"no", "nope", "nah", "don't", "dont", "cancel", "stop"}):
        return False
    if said & _YES_CORE and said <= _YES_WORDS and not said & _NO_CORE:
        return True
    return None
