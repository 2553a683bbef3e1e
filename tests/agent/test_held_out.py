"""Accuracy on held-out everyday phrasing (``held_out/*.jsonl``), one figure per file.

These cases are never tuned on, so they measure how the agent does on wording it was not
shaped around. ``everyday.jsonl`` was written before the parser work began; ``fresh.jsonl``
was written later by someone who read neither the parser nor the other cases; ``phone.jsonl``
(messages typed as on a phone: no apostrophes, typos, chat spelling) likewise, later still;
``pretuning.jsonl`` (phone-style too) was written by the helper doing the phone-typing work
before any of it, and not tuned on after; ``phone2.jsonl`` (phone-style, 203 messages) was
written before the work on general readings (a task said without "add", one day's listing,
statements in the negative, preambles) and never tuned on. They run
through the real agent like the intent suite, but each file passes as a whole when its
accuracy stays above a floor: the true figure is printed (``pytest -s``) and reported, not
hidden behind the floor. Never edit a case after seeing its result.
"""

from __future__ import annotations

import pytest

from .conftest import HELD_OUT_DIR, load_cases
from .test_intent_suite import check_case

# Below what the agent reaches, so a regression fails without the floor inviting tuning to
# the last case (everyday: 60/190 before the work, 188/190 after; fresh: 135/218 before,
# 202/218 after the phone-typing work, 208/218 after the general readings; phone: 166/301
# before the phone-typing work, 250/301 after it, 278/301 after the general readings;
# pretuning: 33/107 before it, 102/107 after; phone2: 162/203 before the general readings,
# 178/203 after).
FLOORS = {"everyday.jsonl": 0.95, "fresh.jsonl": 0.93, "phone.jsonl": 0.9, "phone2.jsonl": 0.85, "pretuning.jsonl": 0.93}
FILES = sorted(path.name for path in HELD_OUT_DIR.glob("*.jsonl"))


def test_held_out_size():
    assert len(load_cases(HELD_OUT_DIR)) >= 150
    assert set(FILES) == set(FLOORS), "every held-out file needs a floor"


@pytest.mark.parametrize("name", FILES)
def test_held_out_accuracy(agent_app, name):
    cases = [case for case in load_cases(HELD_OUT_DIR) if case["file"].split(":")[0] == name]
    misses = []
    for case in cases:
        try:
            check_case(case)
        except AssertionError as exc:
            misses.append(f"{case['id']}: {case['say']!r} -> {str(exc).splitlines()[0][:160]}")
    accuracy = 1 - len(misses) / len(cases)
    print(f"\nheld-out {name}: {len(cases) - len(misses)}/{len(cases)} = {accuracy:.1%}")
    print("\n".join(misses))
    assert accuracy >= FLOORS[name], "\n".join(misses)
