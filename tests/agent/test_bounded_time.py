"""Every message up to the length limit parses in bounded time, by test and by construction.

A pattern with nested or adjacent unbounded quantifiers that can match the same text
backtracks exponentially ("add milk " + 24 dashes + "x" kept a worker busy 30 s) or retries
a run from each of its characters (4 000 spaces took 14 s). Three guards:

- the inputs that were reported, and a property test over long runs of every kind of
  character after every verb the grammar knows, and random mixes: no parse over 50 ms;
- every compiled pattern of the agent (module attributes, and the literal patterns passed
  to ``re.*`` calls, found in the source) run against such runs: a new slow pattern fails
  here even if no rule reaches it yet;
- the turn's ``execution_time_ms`` (and so the latency metric) includes the parse.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import taskchat.agent
from taskchat.agent import process_request
from taskchat.agent.parser import ParseContext, parse_intent
from taskchat.agent.parser.base import collapse_whitespace
from taskchat.extensions import db
from taskchat.models import User
from taskchat.services import MAX_MESSAGE_CHARS
from tests.agent.red_team import FOUND, TAILS, UNITS, VERBS, corpus, message

PARSE_BUDGET_MS = 50
NOW = datetime(2026, 12, 1, 10, tzinfo=UTC)


def parse_ms(text: str, tries: int = 3) -> float:
    """The quickest of a few parses of ``text``, in ms of this thread's CPU time: on a shared
    machine a parse waits for a core now and then, which says nothing about the parser; a slow
    pattern is slow every time."""
    best = float("inf")
    for _ in range(tries):
        started = time.thread_time()
        parse_intent(text, ParseContext(now=NOW))
        best = min(best, (time.thread_time() - started) * 1000)
        if best <= PARSE_BUDGET_MS:
            break
    return best


@pytest.fixture(scope="module", autouse=True)
def _warm():
    """The lazy imports and first compilations are not the parse's cost."""
    parse_intent("warm up: add x due june", ParseContext(now=NOW))


@pytest.mark.parametrize("text", FOUND, ids=lambda text: f"{text[:24]!r}…{len(text)}")
def test_reported_messages_parse_in_milliseconds(text):
    assert parse_ms(text) <= PARSE_BUDGET_MS


def test_a_run_of_dashes_is_still_read_as_a_title():
    parsed = parse_intent("add milk ------------------------x", ParseContext(now=NOW))
    assert parsed.intent == "CREATE"
    assert parsed.args["title"] == "Milk ------------------------x"
    assert parse_intent("add milk, and please!", ParseContext(now=NOW)).args["title"] == "Milk"


def test_whitespace_runs_are_collapsed_and_lines_kept():
    assert collapse_whitespace("add x" + " " * 3993 + "\ny") == "add x\ny"
    assert collapse_whitespace("  a \t b \n\n \n c  ") == "a b\nc"
    parsed = parse_intent("add tasks:\n" + " " * 500 + "eggs\n\n\nbread", ParseContext(now=NOW))
    assert [item["title"] for item in parsed.items] == ["Eggs", "Bread"]


def test_the_corpus_parses_in_milliseconds():
    slow = {text[:40]: ms for text in corpus() if (ms := parse_ms(text)) > PARSE_BUDGET_MS}
    assert not slow


RUNS = st.builds(
    message,
    st.sampled_from(VERBS),
    st.sampled_from(UNITS) | st.lists(st.sampled_from(UNITS), min_size=2, max_size=4).map("".join),
    st.sampled_from(TAILS),
    st.integers(1, MAX_MESSAGE_CHARS),
)
MIXES = st.text(
    st.sampled_from("".join(unit for unit in UNITS if len(unit) == 1) + "abc xyz 0123456789"),
    min_size=1,
    max_size=MAX_MESSAGE_CHARS,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(text=st.one_of(RUNS, MIXES, st.sampled_from(VERBS).flatmap(lambda verb: MIXES.map(lambda rest: (verb + rest)[:MAX_MESSAGE_CHARS]))))
def test_any_message_parses_within_the_budget(text):
    assert len(text) <= MAX_MESSAGE_CHARS
    assert parse_ms(text) <= PARSE_BUDGET_MS, text[:60]


# ---------------------------------------------------------------- every pattern of the agent

_RE_CALLS = {"compile": 1, "match": 2, "search": 2, "fullmatch": 2, "findall": 2, "finditer": 2, "split": 3, "sub": 4, "subn": 4}


def _evaluate(node: ast.expr, namespace: dict):
    return eval(compile(ast.Expression(node), "<pattern>", "eval"), namespace)  # noqa: S307 - our own source


def agent_patterns() -> dict[str, re.Pattern]:
    """Every compiled pattern the agent holds, by where it is: module attributes (also inside
    lists and tuples), and each ``re.compile/match/search/sub/…`` call whose pattern is a literal
    or an f-string of module names, compiled with its flags."""
    found: dict[tuple[str, int], tuple[str, re.Pattern]] = {}
    for info in pkgutil.walk_packages(taskchat.agent.__path__, "taskchat.agent."):
        module = importlib.import_module(info.name)
        namespace = vars(module)
        for name, value in namespace.items():
            for index, item in enumerate(value if isinstance(value, list | tuple) else [value]):
                if isinstance(item, re.Pattern) and isinstance(item.pattern, str):
                    where = f"{info.name}.{name}" + (f"[{index}]" if item is not value else "")
                    found.setdefault((item.pattern, item.flags), (where, item))
        tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            call = node if isinstance(node, ast.Call) else None
            if not (
                call
                and isinstance(call.func, ast.Attribute)
                and isinstance(call.func.value, ast.Name)
                and call.func.value.id == "re"
                and call.func.attr in _RE_CALLS
                and call.args
            ):
                continue
            try:
                pattern = _evaluate(call.args[0], namespace)
            except NameError:
                continue  # a pattern chosen at run time (a loop variable): a module attribute anyway
            if not isinstance(pattern, str):
                continue
            flags = 0
            position = _RE_CALLS[call.func.attr]
            if len(call.args) > position:
                flags = _evaluate(call.args[position], namespace)
            flags = next((_evaluate(k.value, namespace) for k in call.keywords if k.arg == "flags"), flags)
            compiled = re.compile(pattern, flags)
            found.setdefault((compiled.pattern, compiled.flags), (f"{info.name}:{call.lineno}", compiled))
    return {where: compiled for where, compiled in found.values()}


PATTERNS = agent_patterns()
# Runs as the rules see them: whitespace collapsed, as ``parse_intent`` does first.
SHORT_RUNS = [collapse_whitespace(head + unit * (16 // len(unit) + 1) + tail) for unit in UNITS for head in ("", "x ") for tail in ("x", "\n!", "")]
LONG_RUNS = [collapse_whitespace(message("x ", unit, tail)) for unit in UNITS for tail in ("x", "")]
# A short run costs next to nothing unless the pattern is exponential.
SHORT_BUDGET_MS = 5
# One pattern over a whole message may not take the parse's whole budget, and 16 times the
# text may not cost 64 times as much: a linear pattern costs 16 times as much (on a busy machine,
# up to twice that), one that re-reads a run from each of its characters 256 times.
LONG_BUDGET_MS = PARSE_BUDGET_MS
SPAN, GROWTH = 16, 64


def search_ms(pattern: re.Pattern, text: str, tries: int = 3) -> float:
    """The quickest of a few searches, in CPU time (see ``parse_ms``)."""
    best = float("inf")
    for _ in range(tries):
        started = time.thread_time()
        pattern.search(text)
        best = min(best, (time.thread_time() - started) * 1000)
    return best


def test_the_scan_finds_the_patterns():
    """Module attributes and inline patterns alike (a rename or move must not empty the scan)."""
    assert len(PATTERNS) > 120
    assert "taskchat.agent.task_fields._QUOTED" in PATTERNS
    assert any(where.startswith("taskchat.agent.parser.update:") for where in PATTERNS)


@pytest.mark.parametrize("where", sorted(PATTERNS))
def test_no_pattern_backtracks_on_long_runs(where):
    """Short runs first (an exponential pattern is already slow at 16 characters and would
    never finish at 4 000), then runs as long as a message can be, against a sixteenth of them."""
    pattern = PATTERNS[where]
    slow = {text[:30]: ms for text in SHORT_RUNS if (ms := search_ms(pattern, text, tries=1)) > SHORT_BUDGET_MS}
    slow = {text: ms for text, ms in slow.items() if search_ms(pattern, text) > SHORT_BUDGET_MS}
    assert not slow, "exponential backtracking"
    for text in LONG_RUNS:
        if search_ms(pattern, text, tries=1) <= 1:
            continue  # fast whatever the growth; timer noise would decide the ratio
        part = text[: len(text) // SPAN]
        # Interleaved, so that both lengths are timed under the same load.
        whole, small = float("inf"), float("inf")
        for _ in range(5):
            whole, small = min(whole, search_ms(pattern, text, 1)), min(small, search_ms(pattern, part, 1))
        assert whole <= LONG_BUDGET_MS, (text[:30], whole)
        assert whole <= GROWTH * max(small, 0.02), ("a run is re-read from each of its characters", text[:30], whole, small)


# ---------------------------------------------------------------- the turn's clock


def test_the_turn_time_includes_the_parse(agent_app):
    """A long message whose parse costs more than the rest of its turn: the time the reply
    reports (and the latency metric observes) cannot be less than half of that parse."""
    user = User(email=f"{uuid.uuid4().hex}@example.com", password_hash="x")
    db.session.add(user)
    db.session.commit()
    text = "what " + "a " * 1990
    parse_alone = min(parse_ms(text, tries=1) for _ in range(3))
    reply = process_request(user.id, text, now=NOW)
    assert reply.execution_time_ms >= parse_alone / 2
