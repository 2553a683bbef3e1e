"""A worker's memory after 10 000 turns, with the normalisation stage and its caches.

Runs in a process of its own, as a gunicorn worker would: the app on a throw-away SQLite
file, the parser warmed up, then the intent suite's messages as real turns
(``process_request``), each case a conversation of a new user holding the case's tasks,
round after round until 10 000 turns. Prints the resident set size (VmRSS) after warm-up
(the baseline, measured in the same run) and after the turns; the target is ≤ 120 MB.

    .venv/bin/python -m benchmarks.worker_memory [--turns N]
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "agent" / "intent_cases"
TARGET_MB = 120.0
NOW = datetime(2026, 12, 1, 10, tzinfo=UTC)


def rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024


def conversations() -> list[tuple[list[str], list]]:
    found = []
    for path in sorted(CASES.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                case = json.loads(line)
                messages = case["say"] if isinstance(case["say"], list) else [case["say"]]
                titles = [spec if isinstance(spec, str) else spec["title"] for spec in case.get("tasks", [])]
                found.append((messages, titles))
    return found


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--turns", type=int, default=10_000)
    args = options.parse_args(argv)

    import os

    # Reminders said in the turns put delivery runs on the job queue: this run's own, not the
    # checkout's instance/jobs.db (which `make run` would then work through).
    folder = tempfile.mkdtemp(prefix="taskchat-memory-")
    os.environ["TASKCHAT_JOBS_FILE"] = str(Path(folder) / "jobs.db")
    from taskchat import create_app
    from taskchat.agent import process_request, tools
    from taskchat.agent.parser import warm_up
    from taskchat.extensions import db
    from taskchat.models import User

    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db"})
        with app.app_context():
            db.create_all()
            warm_up()
            gc.collect()
            before = rss_mb()
            turns = 0
            cases = conversations()
            while turns < args.turns:
                for messages, titles in cases:
                    user = User(email=f"{uuid.uuid4().hex}@example.com", timezone="UTC", password_hash="x")
                    db.session.add(user)
                    db.session.flush()
                    ctx = tools.ToolContext(user=user, now=NOW)
                    for title in titles:
                        tools.add_task(ctx, title=title)
                    db.session.commit()
                    conversation = None
                    for message in messages:
                        reply = process_request(user.id, message, conversation, now=NOW)
                        conversation = reply.conversation_id
                        turns += 1
                    db.session.remove()
                    if turns >= args.turns:
                        break
            gc.collect()
            after = rss_mb()
    verdict = "OK" if after <= TARGET_MB else "OVER TARGET"
    print(f"worker RSS: {before:.1f} MB after warm-up (baseline) → {after:.1f} MB after {turns} turns "
          f"(+{after - before:.1f} MB); target ≤ {TARGET_MB:.0f} MB: {verdict}")
    return 0 if after <= TARGET_MB else 1


if __name__ == "__main__":
    raise SystemExit(main())
