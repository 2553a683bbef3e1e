"""The intent suite's cases and a module-wide app: each case gets its own user, so no case
sees another's tasks and the tables need emptying only once per module."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from taskchat import create_app, tasks
from taskchat.extensions import db
from taskchat.models import User
from tests.conftest import empty_tables

CASES_DIR = Path(__file__).parent / "intent_cases"
# Written before the parser was tuned for everyday phrasing and never tuned on: accuracy only.
HELD_OUT_DIR = Path(__file__).parent / "held_out"
DEFAULT_NOW = "2026-12-01T10:00"  # a Tuesday
DEFAULT_TZ = "UTC"


def load_cases(folder: Path = CASES_DIR) -> list[dict[str, Any]]:
    """Every case in ``folder/*.jsonl`` (one JSON object per line); the intent suite by default."""
    cases = []
    for path in sorted(folder.glob("*.jsonl")):
        for line_number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                case = json.loads(line)
                case.setdefault("id", f"{path.stem}-{line_number}")
                case["file"] = f"{path.name}:{line_number}"
                cases.append(case)
    return cases


@pytest.fixture(scope="module")
def agent_app(database_url, _schema):
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        yield app
        db.session.remove()
        empty_tables()
        db.session.remove()
        db.engine.dispose()


def frozen_now(case: dict[str, Any]) -> datetime:
    tz = ZoneInfo(case.get("tz", DEFAULT_TZ))
    return datetime.fromisoformat(case.get("now", DEFAULT_NOW)).replace(tzinfo=tz)


@dataclass
class Seeded:
    user: User
    now: datetime
    tz: ZoneInfo


def due_value(text: str, tz: ZoneInfo) -> tuple[datetime, bool]:
    """'2026-12-02' (a whole day) or '2026-12-02 17:00' in the case's zone."""
    if " " in text:
        return datetime.fromisoformat(text).replace(tzinfo=tz), True
    return datetime.fromisoformat(text + "T00:00").replace(tzinfo=tz), False


def seed_user(case: dict[str, Any]) -> Seeded:
    """A fresh user in the case's zone holding the case's starting tasks (added through the task service)."""
    tz = ZoneInfo(case.get("tz", DEFAULT_TZ))
    user = User(email=f"{uuid.uuid4().hex}@example.com", timezone=str(tz), password_hash="x")
    db.session.add(user)
    db.session.flush()
    now = frozen_now(case)
    for spec in case.get("tasks", []):
        spec = {"title": spec} if isinstance(spec, str) else dict(spec)
        done = spec.pop("done", False)
        if "due" in spec:
            due, has_time = due_value(spec.pop("due"), tz)
            spec.update(due_at=due.isoformat(), due_has_time=has_time)
        task = tasks.add(user, **spec)
        if done:
            tasks.set_completed(user, task.number)
    db.session.commit()
    return Seeded(user, now, tz)
