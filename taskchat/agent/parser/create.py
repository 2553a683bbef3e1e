"""Creating tasks: "add milk to my shopping list", "remind me to …", "don't let me forget to …"."""

from __future__ import annotations

import re

from ..task_fields import quoted_spans, read_fields, strip_lead
from .base import ParseContext, ParsedIntent, cut_list_name

# Reminders asked for indirectly: what follows is the task; with nothing after, ask what.
_REMINDER_HEAD = re.compile(
    r"^(?:(?:i|we)\s+(?:want|need|would\s+like|'d\s+like|wanna)\s+(?:you\s+)?to\s+(?:be\s+reminded|remember)|"
    r"(?:i\s+)?(?:need|want|would\s+like|'d\s+like)\s+(?:a|an|another|some)\s+(?:new\s+)?reminder(?:\s+(?:set|made|set\s+up))?|"
    r"(?:i\s+(?:need|want|have)\s+to\s+|let\s+me\s+|(?:can|could)\s+i\s+|i'd\s+like\s+to\s+)?"
    r"(?:set|make|create|add|put|schedule|give|open)(?:\s+up)?\s+(?:me\s+|myself\s+)?(?:(?:a|an|another|one\s+more|the)\s+)?(?:new\s+)?reminder(?:\s+(?:up|made|set))?|"
    r"(?:how\s+about|what\s+about)\s+a\s+reminder|"
    r"(?:don't|do\s+not|dont)\s+let\s+me\s+forget|(?:please\s+)?help\s+me\s+(?:to\s+)?remember|make\s+sure\s+(?:that\s+)?i\s+(?:remember|don't\s+forget)|"
    r"ping\s+me|nudge\s+me|alert\s+me|prompt\s+me|tell\s+me|(?:you\s+(?:need|have)\s+to|i\s+need\s+you\s+to|i\s+want\s+you\s+to)\s+remind\s+me|"
    r"remember\s+to\s+remind\s+me|remind\s+me\s+later|remind\s+me)"
    r"(?:\s+(?:for|to)\s+(?:me|myself))?(?:\s+(?:later|please))?"
    r"(?:\s*[,:-]\s*|\s+(?:to|about|that|of|for|so\s+i\s+remember\s+to)\s+|\s+(?=(?:at|on|in|tomorrow|tonight|today)\b)|\s*$)(?P<rest>.*)$",
    re.I | re.S,
)
# What a reminder says when it says nothing yet: "set a reminder for me", "remind me of something".
_NO_CONTENT = re.compile(
    r"^(?:something|anything|a\s+thing|this|that|it|later|me|myself|for\s+me|please|now|one|"
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


def reminder(body: str, lower: str, context: ParseContext) -> ParsedIntent | None:
    """"set a reminder for me to call my brother at 8 pm" → "Call my brother" at 20:00."""
    match = _REMINDER_HEAD.match(body.strip(" .!?"))
    if not match:
        return None
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
    r"(?:i\s+)?(?:need|have|got|gotta|must|should|ought)(?:\s+to)?(?=\s)|i'll\s+need\s+to|i\s+(?:want|plan|intend|hope)\s+to|"
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


def create(body: str, lower: str, context: ParseContext) -> ParsedIntent | None:
    match = _CREATE.match(body.strip())
    if not match:
        return None
    listed = cut_list_name(match.group("rest").strip())
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


