"""Run the real agent over the shared CLINC150 excerpts and print what it misreads, per intent.

Reads ``task_intents.jsonl`` and ``questions_elsewhere.jsonl`` from the data folder (see its
README: CC BY 3.0, to learn from — never copied into the repository) and sends every
utterance as the first message of a new conversation of a user who holds a few tasks, on a
throw-away SQLite database. An utterance counts as misread when:

- asking to see a list (``todo_list``, ``shopping_list``, ``reminder``): the reply is not a
  listing or search, or anything was written;
- asking to change a list (``*_update``): nothing was added, changed, removed or asked back
  (nor found already there, for "add X if it isn't on the list"), or a title or task
  reference still holds list words ("… to my shopping list", "reminder");
- a question about something else: any task was added, changed or removed.

    .venv/bin/python scripts/clinc_misreads.py [--data DIR] [--show N]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from taskchat import create_app  # noqa: E402
from taskchat.agent import process_request, tools  # noqa: E402
from taskchat.extensions import db  # noqa: E402
from taskchat.models import User  # noqa: E402

DATA = Path("/work/shared/data/clinc150")
WRITES = {"add_task", "update_task", "delete_task", "complete_task", "uncomplete_task", "restore_task"}
READS = {"LIST", "SEARCH"}
CHANGES = {"CREATE", "DELETE", "COMPLETE", "UNCOMPLETE", "UPDATE", "CLARIFY"}
LIST_WORDS = re.compile(r"\b(?:list|lists|reminders?|remind|to-?do|todo)\b", re.I)
SEED = ["Buy milk", "Call the bank", "Pay the credit card bill", "Book a flight", "Clean the gutters"]
NOW = datetime(2026, 12, 1, 10, tzinfo=UTC)


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _user() -> User:
    user = User(email=f"{uuid.uuid4().hex}@example.com", timezone="UTC", password_hash="x")
    db.session.add(user)
    db.session.flush()
    ctx = tools.ToolContext(user=user, now=NOW)
    for title in SEED:
        tools.add_task(ctx, title=title)
    db.session.commit()
    return user


def misread(intent: str, reply) -> str | None:
    """Why the reply to an utterance of ``intent`` is wrong, or None."""
    wrote = [call for call in reply.tool_calls if call.name in WRITES and call.status == "success"]
    if intent in {"todo_list", "shopping_list", "reminder"}:
        if wrote:
            return f"wrote ({wrote[0].name})"
        return None if reply.intent in READS else f"answered {reply.intent}"
    if intent.endswith("_update"):
        if reply.intent == "SEARCH" and "already on your list" in reply.response:
            return None  # "add milk if it isn't there": it was there
        if reply.intent not in CHANGES:
            return f"answered {reply.intent}"
        for call in wrote:
            if call.name == "add_task" and LIST_WORDS.search(call.arguments.get("title", "")):
                return f"title {call.arguments['title']!r}"
        quoted = re.search(r"matching '([^']*)'", reply.response)
        if quoted and LIST_WORDS.search(quoted.group(1)):
            return f"looked for {quoted.group(1)!r}"
        return None
    return f"wrote ({wrote[0].name})" if wrote else None


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--data", type=Path, default=DATA)
    options.add_argument("--show", type=int, default=0, help="print up to N misread utterances per intent")
    args = options.parse_args(argv)
    utterances = _read(args.data / "task_intents.jsonl")
    questions = _read(args.data / "questions_elsewhere.jsonl")
    for row in questions:
        row["intent"] = "question_elsewhere"
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/clinc.db"})
        with app.app_context():
            db.create_all()
            totals, misses = Counter(), defaultdict(list)
            for row in utterances + questions:
                user = _user()
                reply = process_request(user.id, row["text"], now=NOW)
                totals[row["intent"]] += 1
                why = misread(row["intent"], reply)
                if why:
                    misses[row["intent"]].append(f"{row['text']!r} → {why}")
            db.session.remove()
            db.engine.dispose()
    print(f"{'intent':<22} {'utterances':>10} {'misread':>8}")
    for intent in sorted(totals):
        print(f"{intent:<22} {totals[intent]:>10} {len(misses[intent]):>8}")
        for line in misses[intent][: args.show]:
            print(f"    {line}")
    print(f"{'total':<22} {sum(totals.values()):>10} {sum(len(m) for m in misses.values()):>8}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
