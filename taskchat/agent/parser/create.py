"""Creating tasks: "add milk to my shopping list", "remind me to …", "don't let me forget to …"."""

from __future__ import annotations

import re

from ..dates import find_due
from ..task_fields import quoted_spans, read_fields, strip_lead
from .base import ParseContext, ParsedIntent, cut_list_name
from .modifiers import cut_modifiers

# Reminders asked for indirectly: what follows is the task; with nothing after, ask what.
_REMINDER_HEAD = re.compile(
    r"^(?:(?:i|we)\s+(?:want|need|would\s+like|'d\s+like|wanna)\s+(?:you\s+)?to\s+(?:be\s+reminded|remember)|"
    r"(?:i\s+|i'd\s+)?(?:need|want|would\s+like|'d\s+like|like)\s+(?:to\s+have\s+)?(?:a|an|another|some)\s+(?:new\s+)?reminder(?:\s+(?:set\s+up|set|made))?|"
    r"(?:i\s+(?:need|want|have)\s+(?:you\s+)?to\s+|let\s+me\s+|(?:can|could)\s+i\s+|i'd\s+like\s+(?:you\s+)?to\s+)?"
    r"(?:set|make|create|add|put|schedule|give|open|have|get)(?:\s+up)?\s+(?:me\s+|myself\s+)?(?:(?:a|an|another|one\s+more|the)\s+)?(?:new\s+)?reminder(?:\s+(?:set\s+up|up|made|set))?|"
    r"(?:how\s+about|what\s+about)\s+a\s+reminder|"
    r"(?:don't|do\s+not|dont)\s+let\s+me\s+forget|(?:please\s+)?help\s+me\s+(?:to\s+)?remember|make\s+sure\s+(?:that\s+)?i\s+(?:remember|don't\s+forget)|"
    r"ping\s+me|nudge\s+me|alert\s+me|prompt\s+me|tell\s+me(?=\s+to\b)|(?:you\s+(?:need|have)\s+to|i\s+need\s+you\s+to|i\s+want\s+you\s+to)\s+remind\s+me|"
    r"remember\s+to\s+remind\s+me|remind\s+me\s+later|remind\s+me)"
    r"(?:\s+(?:for|to)\s+(?:me|myself))?(?:\s+(?:later|please))?"
    r"(?:\s*[,:-]\s*|\s+(?:to|about|that|of|for|so\s+i\s+remember\s+to)\s+|\s+(?=(?:at|on|in|tomorrow|tonight|today)\b)|\s*$|\s+)(?P<rest>.*)$",
    re.I | re.S,
)
# What a reminder says when it says nothing yet: "set a reminder for me", "remind me of something".
_NO_CONTENT = re.compile(
    r"^(?:something|anything|a\s+thing|this|that|it|later|me|myself|for\s+me|please|now|"
    r"do\s+something|get\s+something\s+done|something\s+later|this\s+later|a\s+reminder|remind\s+me)$",
    re.I,
)
_UNDER = re.compile(r"(?:\s+and)?\s+(?:file\s+(?:it\s+)?|put\s+it\s+|tag\s+it\s+)?under\s+#?(?P<tag>[a-z][\w-]*)\b", re.I)


def _under_tag(text: str) -> tuple[str, list[str]]:
    """'buy stamps under errands' → ('buy stamps', ['errands'])."""
    match = _UNDER.search(text)
    if not match:
        return text, []
    return (text[: match.start()] + text[match.end():]).strip(), [match.group("tag").lower()]


_REMIND_INSIDE = re.compile(r"(?:^|[,;.]\s*|\s)(?:please\s+|so\s+|and\s+)?remind\s+me\s+(?:to|about)\s+(?P<rest>.+)$", re.I)


def reminder(body: str, lower: str, context: ParseContext) -> ParsedIntent | None:
    """"set a reminder for me to call my brother at 8 pm" → "Call my brother" at 20:00."""
    match = _REMINDER_HEAD.match(body.strip(" .!?"))
    if not match:
        inside = _REMIND_INSIDE.search(body.strip(" .!?"))
        if not inside or inside.start() == 0:
            return None
        # "at 4 tomorrow afternoon, remind me to start the oven": the lead says when, if anything
        lead = body[: inside.start()].strip(" ,;.")
        when = find_due(lead, context.now, context.tz)
        return create("add " + inside.group("rest") + (" " + lead if when.due else ""), lower, context)
    rest = re.sub(r"^(?:to\s+remind\s+me\s+(?:to|about|that)\s+|remind\s+me\s+(?:to|about)\s+|i\s+(?:need|have)\s+to\s+)", "", match.group("rest").strip(), flags=re.I)
    if not rest or _NO_CONTENT.match(rest.strip(" .!?")):
        return ParsedIntent("CREATE", {}, asked="title")
    return create("add " + rest, lower, context)


_CREATE = re.compile(
    r"^(?:(?:please\s+)?(?:add|create|new|insert|jot\s+down|note\s+down|write\s+down|capture|log|put|enter|save|"
    r"include|stick|pop|throw|bung|place|"
    r"make\s+(?=(?:a|an|me\s+a|new)\s+(?:new\s+)?(?:task|todo|to-do|reminder|note)\b)|"
    r"set\s+(?=(?:a|an)\s+(?:reminder|task)\b)|schedule)\b(?:\s+me\b)?"
    r"|remind\s+me(?:\s+to\b|\s+about\b|\s+that\s+i\s+(?:need|have)\s+to\b)?|reminder(?:\s+to)?\s*:?|todo\s*:|to-do\s*:|task\s*:|"
    r"(?:todo|to-do)(?=\s+(?!list|lists|items|tasks)[a-z])|note\s+to\s+self\s*[:,-]?|"
    r"(?:i\s+)?(?:still\s+)?(?:need(?:\s+to)?|(?:have|got)\s+to|gotta|must|should|ought(?:\s+to)?)(?=\s)|i'll\s+need\s+to|i\s+(?:want|plan|intend|hope)\s+to|"
    r"i'd\s+like\s+to|i\s+would\s+like\s+to|i\s+wanna|"
    r"don't\s+forget(?:\s+to|\s+about)?|do\s+not\s+forget(?:\s+to|\s+about)?|remember\s+to|"
    r"(?:also|and)\s+(?=add\b))\s*(?P<rest>.*)$",
    re.I | re.S,
)
_MULTI = re.compile(
    r"^(?:(?:a\s+)?(?:few|some|these|the\s+following|multiple|several|two|three|four|five|[2-9])\s+)?(?:new\s+)?"
    r"(?:tasks|todos|to-dos|items|things)\s*(?::|-|\n)?\s*(?:to\s+my\s+list\s*:?\s*)?(?P<items>.+)$",
    re.I | re.S,
)
_ITEM_SPLIT = re.compile(r"\s*(?:[,;\n]|\band\b|\s-\s|•)\s*(?:and\s+)?(?:-\s*)?", re.I)


# Said after the task, not part of it: "as I'm out", "; please remind me", "as well". A run of
# separators is read from its first character only: from each one, ", , , …" cost its length squared.
_AFTERWORD = re.compile(
    r"(?:(?:\s*[;,]\s*|\s+(?:as|since|because)\s+)(?:i|we)(?:'m|\s+am|'re|\s+are)\s+(?:all\s+|completely\s+)?out(?:\s+of\s+(?:it|them|\w+))?"
    r"|(?<![\s,;])[\s,;]+(?:please\s+)?remind\s+me(?:\s+(?:later|about\s+it|of\s+it))?|\s+as\s+well|\s+too|\s+(?:to|on|onto)\s+(?:it|there)|\s+for\s+me)$",
    re.I,
)


def create(body: str, lower: str, context: ParseContext) -> ParsedIntent | None:
    match = _CREATE.match(body.strip())
    if not match:
        return None
    # "I wanna remember to buy a present": what to remember is the task
    rest = re.sub(
        r"^(?:remember\s+(?:to|that\s+i\s+(?:need|have)\s+to)|not\s+forget\s+to|set\s+(?:a|an|the)\s+reminder\s+(?:for\s+me\s+)?to|remind\s+me\s+to)\s+",
        "", match.group("rest").strip(), flags=re.I,
    )
    # "i should really ring the optician", "i need to prob call the bank": an adverb of the
    # wish, not the task's first word
    rest = re.sub(r"^(?:really|prob|probably|definitely|defo|def|honestly|seriously|totally|actually|still|also)\s+(?=\w)", "", rest, flags=re.I)
    # "can u put mow the lawn on there for sunday": "on there" is the list, wherever it stands
    rest = re.sub(r"\s+(?:on|onto)\s+there\b(?=\s+\w)", "", rest, flags=re.I)
    # "add milk to list", "add to list: milk": the list named without "my"/"the"
    rest = re.sub(r"^(?:to|on|onto)\s+(?:the\s+|my\s+)?(?:list|to-?do\s+list)\s*[:,-]?\s+", "", rest, flags=re.I)
    rest = re.sub(
        r"\s+(?:to|on|onto)\s+(?:the\s+|my\s+)?(?:list|to-?do\s+list|lists|shopping|groceries|grocery|to-?dos?)$", "", rest, flags=re.I
    )
    listed = cut_list_name(rest)
    listed = type(listed)(_AFTERWORD.sub("", listed.text).strip(), listed.name, listed.preposition)
    rest = listed.text
    priority: str | None = None
    worded_tags: list[str] = []
    if not quoted_spans(rest):
        rest, priority, worded_tags = cut_modifiers(rest, context.now, context.tz)
    rest, tags = _under_tag(rest)
    tags = worded_tags + tags
    if listed.tag:
        tags.append(listed.tag)
    multi = _MULTI.match(rest)
    if not multi and not quoted_spans(rest):
        rest = strip_lead(rest)
    parts = _ITEM_SPLIT.split(multi.group("items")) if multi else _several(rest, context)
    if parts:
        items = [
            read_fields(part, context.now, context.tz, want_description=False).arguments()
            for part in parts
            if part.strip(" .-")
        ]
        items = [_with(item, priority, tags) for item in items if item["title"]]
        if len(items) > 1:
            return ParsedIntent("CREATE", items[0], items=items)
        if items:
            return ParsedIntent("CREATE", items[0])
    fields = read_fields(rest, context.now, context.tz)
    if not fields.title or _NO_CONTENT.match(fields.title):
        return ParsedIntent("CREATE", {}, asked="title")
    return ParsedIntent("CREATE", _with(fields.arguments(), priority, tags))


def _with(args: dict, priority: str | None, tags: list[str]) -> dict:
    """A task's arguments with the modifiers said in words for the whole message."""
    if priority and not args.get("priority"):
        args["priority"] = priority
    if tags:
        args["tags"] = list(dict.fromkeys((args.get("tags") or []) + tags))
    return args


# "x, y and z" (short items, a comma and an "and", or two commas); "x by monday and y by
# wednesday" (each with a date of its own); "these: x; y; z".
_THESE = re.compile(r"^(?:these|the\s+following|this\s+lot|a\s+few|some|them\s+all)\s*[:;–—-]\s*(?P<items>.+)$", re.I | re.S)
_LIST_SEP = re.compile(r"\s*(?:,|;|\s&\s|\band\b)\s*", re.I)


def _several(rest: str, context: ParseContext) -> list[str] | None:
    if quoted_spans(rest) or len(rest) > 300:
        return None
    these = _THESE.match(rest)
    if these:
        return [part for part in _ITEM_SPLIT.split(these.group("items")) if part.strip(" .-")]
    if ";" in rest:
        parts = [part for part in re.split(r"\s*;\s*", rest) if part.strip(" .-")]
        return parts if len(parts) > 1 and all(len(part.split()) <= 6 for part in parts) else None
    commas = rest.count(",")
    if commas and (commas >= 2 or re.search(r"\band\b|\s&\s", rest, re.I)):
        parts = [part for part in _LIST_SEP.split(rest) if part.strip(" .-")]
        if len(parts) > 2 and all(1 <= len(part.split()) <= 4 for part in parts) and not find_due(rest, context.now, context.tz).due:
            return parts
    if re.search(r"\band\b|\s&\s|\bthen\b", rest, re.I):
        parts = [part for part in re.split(r"\s+(?:and(?:\s+then)?|&|then)\s+", rest, flags=re.I) if part.strip()]
        if 2 <= len(parts) <= 4 and all(len(part.split()) >= 2 for part in parts):
            dated = [find_due(part, context.now, context.tz).due for part in parts]
            if all(dated):
                return parts
    return None




# Ways of saying "put X on the list" once the list is cut out of the sentence.
_ONTO = [
    re.compile(pattern, re.I)
    for pattern in (
        r"^(?:please\s+)?(?:make|be)\s+sure\s+(?:to\s+|you\s+|that\s+you\s+)?(?:put|add|include|write|get)\s+(?P<x>.+)$",
        r"^(?:will\s+you\s+|please\s+)?make\s+sure\s+(?:that\s+)?(?P<x>.+?)\s+(?:is|are|gets?\s+(?:added|put)|get\s+added)(?:\s+on)?$",
        r"^(?:(?:can|could|shall|should)\s+we|(?:maybe\s+)?we\s+(?:can|could|should)|may\s+i\s+suggest\s+(?:we|you)|do\s+me\s+a\s+favou?r\s+and)\s+(?:put|add)\s+(?P<x>.+)$",
        r"^(?:please\s+)?get\s+(?P<x>.+?)\s+(?:added|put)(?:\s+on)?$",
        r"^(?:i\s+need|i\s+want|i'd\s+like)\s+(?P<x>.+?)\s+added$",
        r"^(?P<x>.+?)\s+(?:needs|has)\s+to\s+(?:be|go)(?:\s+(?:added|put))?(?:\s+(?:on|to))?$",
        r"^(?:should|needs\s+to|must)\s+(?:have|include|contain)\s+(?P<x>.+?)(?:\s+on\s+it)?$",
        r"^(?:write|list|pencil(?:\s+in)?|jot)\s+(?P<x>(?!(?:all|everything|what|my|the\s+(?:tasks|items)|out|each|every|them)\b).+)$",
    )
]
_OUT_OF = re.compile(
    r"^(?:(?:i'?m|i\s+am|we'?re|we\s+are)\s+(?:all\s+|almost\s+|nearly\s+|running\s+)?(?:out\s+of|low\s+on)|(?:i|we)\s+(?:just\s+)?ran\s+out\s+of"
    r"|(?:i|we)\s+(?:don't|do\s+not)\s+have\s+any\s*more)\s+"
    r"(?P<x>[\w\s'-]+?)(?=\s*[;,.]|\s+(?:so|and|can|could|please|add|put|need)\b)",
    re.I,
)
_IF_MISSING = re.compile(
    r"\bif\s+(?:(?:it|they|that|those)\s*(?:'s|is|are|'re)?\s*(?:not|n't)|(?:it|they)\s+(?:isn't|aren't)|not|i\s+haven't|it\s+is\s+not|they're\s+not)\b",
    re.I,
)
_PRONOUN = re.compile(r"^(?:it|them|that|those|these|one|some)$", re.I)


def onto_list(body: str, lower: str, context: ParseContext) -> ParsedIntent | None:
    """"make sure walnuts are on my shopping list", "I'm out of rice, add it to the list"."""
    text = body.strip(" .!?")
    listed = cut_list_name(text)
    asks_first = re.match(r"^(?:is|are|do\s+i\s+have)\b", text, re.I) and re.search(r"\b(?:add|put)\s+(?:it|them)\b", text, re.I)
    if asks_first or (_IF_MISSING.search(text) and re.search(r"\b(?:add|put|include)\b", text, re.I)):
        return _add_if_missing(text, context)
    out = _OUT_OF.match(text)
    if out and re.search(r"\b(?:add|put|list)\b", text, re.I):
        return create("add " + out.group("x"), lower, context)
    if listed.name is None and listed.preposition is None:
        return None
    for pattern in _ONTO:
        match = pattern.match(listed.text)
        if match and not _PRONOUN.match(match.group("x").strip()):
            parsed = create("add " + match.group("x"), lower, context)
            if parsed and listed.tag and parsed.args.get("title"):
                parsed.args["tags"] = [*parsed.args.get("tags", []), listed.tag]
            return parsed
    return None


def _add_if_missing(text: str, context: ParseContext) -> ParsedIntent | None:
    named = re.search(r"\b(?:add|put|include)\s+(?P<x>.+?)(?=\s+(?:to|on|onto|if)\b|[,;]|$)", text, re.I)
    item = named.group("x") if named and not _PRONOUN.match(named.group("x").strip()) else None
    if item is None:
        # The item is bounded and the "is already listed" words possessive: "is is is …" was
        # otherwise re-read from every word for every length the item could have.
        asked = re.search(
            r"^(?:(?:i'm\s+)?not\s+sure\s+if|is|are|do\s+i\s+have|check\s+if)\s+(?:the\s+)?(?P<x>.{1,200}?)\s+(?:(?:is|are|already|listed)\s+){0,3}+(?:on|in|[,;]|if\b|$)",
            text,
            re.I,
        )
        item = asked.group("x") if asked else None
    if not item:
        return None
    parsed = create("add " + item, item.lower(), context)
    if parsed and parsed.args.get("title"):
        parsed.unless_listed = True
        return parsed
    return None
