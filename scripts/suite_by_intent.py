"""The intent suite's size by intent: each case counted under the intent its last reply must
have (``intent``, or the last of ``intents``); cases that only check that nothing changed
(a question, a negated command) count as "(no change)". Also per file.

    .venv/bin/python scripts/suite_by_intent.py
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

CASES = Path(__file__).resolve().parent.parent / "tests" / "agent" / "intent_cases"


def main() -> int:
    by_intent: Counter[str] = Counter()
    by_file: Counter[str] = Counter()
    for path in sorted(CASES.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            case = json.loads(line)
            intent = case.get("intent") or (case.get("intents") or [None])[-1] or "(no change)"
            by_intent[intent] += 1
            by_file[path.name] += 1
    print(f"{'intent':14} cases")
    for intent, count in by_intent.most_common():
        print(f"{intent:14} {count:5d}")
    print(f"{'total':14} {sum(by_intent.values()):5d}")
    phone = sum(count for name, count in by_file.items() if name.startswith("phone_"))
    print(f"of which phone_*.jsonl: {phone}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
