"""Creating tasks: "add milk to my shopping list", "remind me to …", "don't let me forget to …"."""

from __future__ import annotations

import re

from ..dates import find_due
from ..task_fields import quoted_spans, read_fields, strip_lead
from .base import ParseContext, ParsedIntent, cut_list_name

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
    r"(?:i\s+)?(?:need(?:\s+to)?|(?:have|got)\s+to|gotta|must|should|ought(?:\s+to)?)(?=\s)|i'll\s+need\s+to|i\s+(?:want|plan|intend|hope)\s+to|"
    r"i'd\s+like\s+to|i\s+would\s+like\s+to|i\s+wanna|"
    r"don't\s+forget(?:\s+to|\s+about)?|do\s+not\s+forget(?:\s+to|\s+about)?|remember\s+to|"
    r"(?:also|and)\s+(?=add\b))\s*(?P<rest>.*)$",
    re.I | re.S,
)
_MULTI = re.compile(
    r"^(?:(?:a\s+)?(?:few|some|these|the\s+following|multiple|several|two|three|four|five)\s+)?(?:new\s+)?"
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
    listed = cut_list_name(match.group("rest").strip())
    listed = type(listed)(_AFTERWORD.sub("", listed.text).strip(), listed.name, listed.preposition)
    rest, tags = _under_tag(listed.text)
    if listed.tag:
        tags.append(listed.tag)
    multi = _MULTI.match(rest)
    if not multi and not quoted_spans(rest):
        rest = strip_lead(rest)
    if multi:
        items = [
            read_fields(part, context.now, context.tz, want_description=False).arguments()
            for part in _ITEM_SPLIT.split(multi.group("items"))
            if part.strip(" .-")
        ]
        items = [item for item in items if item["title"]]
        if len(items) > 1:
            return ParsedIntent("CREATE", items[0], items=items)
        if items:
            return ParsedIntent("CREATE", items[0])
    fields = read_fields(rest, context.now, context.tz)
    if not fields.title or _NO_CONTENT.match(fields.title):
        return ParsedIntent("CREATE", {}, asked="title")
    if tags:
        fields.tags = list(dict.fromkeys((fields.tags or []) + tags))
    return ParsedIntent("CREATE", fields.arguments())




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
