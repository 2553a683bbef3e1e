"""Accuracy on held-out everyday phrasing (``held_out/*.jsonl``).

These cases were written before the parser was tuned for everyday phrasing and the parser is
never tuned on them, so they measure how it does on wording it was not shaped around. They run
through the real agent like the intent suite, but pass as a whole when accuracy stays above a
floor: the true figure is printed (``pytest -s``) and reported, not hidden behind the floor.
"""

from __future__ import annotations

from .conftest import HELD_OUT_DIR, load_cases
from .test_intent_suite import check_case

HELD_OUT = load_cases(HELD_OUT_DIR)
# Below what the agent reaches (188/190 at the last count; 60/190 before the work), so a
# regression fails without the floor inviting tuning to the last case.
ACCURACY_FLOOR = 0.9


def test_held_out_size():
    assert len(HELD_OUT) >= 150


def test_held_out_accuracy(agent_app):
    misses = []
    for case in HELD_OUT:
        try:
            check_case(case)
        except AssertionError as exc:
            misses.append(f"{case['id']}: {str(exc).splitlines()[0][:160]}")
    accuracy = 1 - len(misses) / len(HELD_OUT)
    print(f"\nheld-out accuracy: {len(HELD_OUT) - len(misses)}/{len(HELD_OUT)} = {accuracy:.1%}")
    print("\n".join(misses))
    assert accuracy >= ACCURACY_FLOOR, "\n".join(misses)
