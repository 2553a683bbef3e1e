"""Held-out cases: phrasing the agent was never tuned on, measured rather than required.

Every ``held_out/*.jsonl`` file (same case format as the intent suite, see
``test_intent_suite``) runs through the real agent; each file's accuracy is printed
(run with ``-s`` to see it, with its misses) and only has to stay above a modest floor,
so the true figure is reported honestly without the suite going red. Never tune the agent
on these files or edit a case after seeing its result.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from taskchat.extensions import db

from .test_intent_suite import test_intent_case as run_case

HELD_OUT_DIR = Path(__file__).parent / "held_out"
FLOORS = {"fresh.jsonl": 0.5}  # per file; a file not listed needs DEFAULT_FLOOR
DEFAULT_FLOOR = 0.5


def held_out_files() -> list[Path]:
    return sorted(HELD_OUT_DIR.glob("*.jsonl"))


def load_file(path: Path) -> list[dict[str, Any]]:
    cases = []
    for line_number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            case = json.loads(line)
            case.setdefault("id", f"{path.stem}-{line_number}")
            case["file"] = f"{path.name}:{line_number}"
            cases.append(case)
    return cases


@pytest.mark.parametrize("path", held_out_files(), ids=lambda path: path.name)
def test_held_out_accuracy(agent_app, path):
    cases = load_file(path)
    misses = []
    for case in cases:
        try:
            run_case(agent_app, case)
        except Exception as error:  # an assertion or a crash: either way a miss
            db.session.rollback()
            misses.append((case, error))
    accuracy = (len(cases) - len(misses)) / len(cases)
    print(f"\nheld-out {path.name}: {len(cases) - len(misses)}/{len(cases)} = {accuracy:.1%}")
    for case, error in misses:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        print(f"  MISS {case['id']}: {case['say']!r} -> {first_line}")
    floor = FLOORS.get(path.name, DEFAULT_FLOOR)
    assert accuracy >= floor, (
        f"{path.name}: held-out accuracy {accuracy:.1%} is below the floor {floor:.0%}"
    )
