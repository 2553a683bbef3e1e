"""The one matcher for "which task does this mean?": by title words, fuzzily, and by lemma.

Everything that finds a task from words goes through here — a title in a command ("check off
milk"), the answer to "which one?" ("the dad one"), and a statement that something is done
("I've emailed the landlord" fits the open task "Email the landlord": same verb, same object
once both are lemmatised with ``simplemma``, so emailed/email and washed/wash meet).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import simplemma
from rapidfuzz import fuzz, process
from simplemma.strategies import DefaultStrategy

FUZZY_THRESHOLD = 70
# Bounds on the work one match may cost, whatever was typed: a reference longer than this is
# matched only exactly (no title is found by 200 characters of fuzz); queries and titles are
# compared word by word on their first distinct words only, and fuzzily on their first
# characters ("complete z z z …" against 100 titles "b b b …" compared every word with every
# word: 33 s).
MAX_REFERENCE_CHARS = 200
MAX_WORDS = 24
# A clear winner: the best score must lead the next by this much, or the user is asked.
MARGIN = 5
# A word: letters and digits ("room 101", "mp3" tell tasks apart), an apostrophe inside kept.
_WORD = re.compile(r"[^\W_]+(?:'[^\W\d_]+)?", re.UNICODE)
# The same, letters only: the parser reads numbers on their own ("complete 3" names task 3,
# "in 2 days" is a date), so its rules count and compare only the words around them.
_LETTER_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)
# Words that say nothing about which task is meant.
STOPWORDS = frozenset(
    ["a", "an", "the", "my", "our", "your", "his", "her", "their", "its", "it", "this", "that", "these", "those", "to", "of", "for", "on", "in", "at", "by", "with", "and", "or", "up", "out", "off", "now", "just", "already", "all", "some", "any", "is", "are", "was", "were", "be", "been", "being", "has", "have", "had", "i", "i've", "ive", "we", "me", "you", "got", "get", "task", "tasks", "today", "finally", "them", "him", "everything", "something"]
)


# simplemma's low-memory dictionaries: its English dictionary as a Python dict is 21 MB per
# worker process; read from its compressed stream it is 2 MB, at under a microsecond a word.
_LEMMATIZER = simplemma.Lemmatizer(
    lemmatization_strategy=DefaultStrategy(low_memory=True), cache_max_size=8192
)


@lru_cache(maxsize=8192)
def lemma(word: str) -> str:
    """The dictionary form of one lower-cased English word ("bought" → "buy")."""
    return _LEMMATIZER.lemmatize(word, lang="en").lower()


def words(text: str, *, digits: bool = True) -> list[str]:
    """Lower-cased words of a text, apostrophes inside words kept; with ``digits=False`` only
    runs of letters count as words ("milk2" is "milk", "3" is no word)."""
    pattern = _WORD if digits else _LETTER_WORD
    return [w.lower() for w in pattern.findall(text)]


def distinct(items: Sequence[str], limit: int = MAX_WORDS) -> list[str]:
    """The first ``limit`` distinct items, in order."""
    return list(dict.fromkeys(items))[:limit]


def content_lemmas(text: str) -> list[str]:
    """Lemmas of the distinct words that carry meaning, in order, the first ``MAX_WORDS``."""
    return distinct([lemma(w) for w in distinct([w for w in words(text) if w not in STOPWORDS], MAX_WORDS * 2)])


def title_score(query: str, title: str, **kwargs: Any) -> float:
    """rapidfuzz's WRatio, or word-by-word similarity when that is higher ("grocerys" ~ "groceries")."""
    query, title = query[:MAX_REFERENCE_CHARS], title[:MAX_REFERENCE_CHARS]
    whole = fuzz.WRatio(query, title, **kwargs)
    query_words, title_words = distinct(query.split()), distinct(title.split())
    if not query_words or not title_words:
        return whole
    by_word = sum(max(fuzz.ratio(q, t) for t in title_words) for q in query_words) / len(query_words)
    return max(whole, by_word)


def match_title(query: str, titles: dict[int, str]) -> list[int]:
    """Numbers whose title the query names: exact title, then every word held, then by lemma, then fuzzy."""
    wanted = query.lower().strip()
    exact = [number for number, title in titles.items() if title.lower() == wanted]
    if exact or len(wanted) > MAX_REFERENCE_CHARS:
        return exact
    query_words = set(words(wanted))
    holding = [n for n, title in titles.items() if query_words and query_words <= set(words(title))]
    if holding:
        return holding
    query_lemmas = set(content_lemmas(wanted))
    by_lemma = [n for n, title in titles.items() if query_lemmas and query_lemmas <= set(content_lemmas(title))]
    if by_lemma:
        return by_lemma
    # Very short titles only match exactly or by word: "a" is inside every query.
    choices = {number: title for number, title in titles.items() if len(title) >= 3}
    matches = process.extract(
        query, choices, scorer=title_score, processor=str.lower, score_cutoff=FUZZY_THRESHOLD, limit=None
    )
    if not matches:
        return []
    best = matches[0][1]
    return [number for _title, score, number in matches if best - score < MARGIN]


def pick(answer: str, candidates: Sequence[int], titles: Sequence[str]) -> int | None:
    """The candidate an answer to "which one?" names by (part of) its title, if one clearly wins."""
    if not answer or not titles or len(answer) > MAX_REFERENCE_CHARS:
        return None
    named = dict(zip(candidates, titles, strict=False))
    holding = match_title(answer, named)
    if len(holding) == 1:
        return holding[0]
    matches = process.extract(answer, named, scorer=fuzz.WRatio, processor=str.lower, score_cutoff=FUZZY_THRESHOLD)
    if matches and (len(matches) == 1 or matches[0][1] - matches[1][1] >= MARGIN):
        return matches[0][2]
    return None


def _same(a: str, b: str) -> bool:
    """Two lemmas of one word: equal, or one the other plus a stray ending simplemma left
    ("fixe"/"fix", "cancell"/"cancel")."""
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    return len(short) >= 3 and long.startswith(short) and len(long) - len(short) <= 2


def _shared(mine: Sequence[str], theirs: Sequence[str]) -> set[str]:
    """The lemmas of ``mine`` that ``theirs`` also holds, in either form."""
    return {word for word in mine if any(_same(word, other) for other in theirs)}


def search_by_lemma(query: str, titles: dict[int, str]) -> list[int]:
    """Tasks sharing at least half the query's lemmas ("feeding the fish" finds "Feed the fish")."""
    wanted = set(content_lemmas(query[: MAX_REFERENCE_CHARS * 4]))
    if not wanted:
        return []
    need = max(1, (len(wanted) + 1) // 2)
    return [number for number, title in titles.items() if len(_shared(sorted(wanted), content_lemmas(title))) >= need]


def done_fits(statement: str, titles: dict[int, str]) -> list[int]:
    """Tasks a statement that something is done fits, by lemma.

    A title fits when its verb (first content word) is among the statement's lemmas and, if
    the statement names an object, the title shares it: "I've emailed the landlord" fits
    "Email the landlord", "the car is washed" fits "Wash the car", "I called the dentist" does
    not fit "Call mom". The best-covered titles win; several left means asking which.
    """
    said = sorted(set(content_lemmas(statement)))
    if not said:
        return []
    scored: list[tuple[float, int]] = []
    for number, title in titles.items():
        own = list(dict.fromkeys(content_lemmas(title)))
        if not own or not _shared(own[:1], said):
            continue
        objects = own[1:]
        if objects and len(said) > 1 and not _shared(objects, said):
            continue
        shared = len(_shared(own, said))
        # A bare verb ("I've paid it") fits every title with that verb alike: ask which.
        scored.append((1.0 if len(said) == 1 else shared / len(own) + shared / len(said), number))
    if not scored:
        return []
    best = max(score for score, _number in scored)
    return [number for score, number in sorted(scored, key=lambda pair: pair[1]) if best - score < 0.01]
