"""Keyset paging: every row once, in order, in either direction, when rows tie on the first column."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from taskchat.extensions import db
from taskchat.models import Conversation
from taskchat.paging import keyset_page
from taskchat.transactions import writing

COLUMNS = (Conversation.created_at, Conversation.id)


def _walk(user_id: str, size: int, newest_first: bool) -> list[uuid.UUID]:
    """Every page from the first, each started after the last row of the one before."""
    seen, start = [], None
    while True:
        stmt = select(Conversation).where(Conversation.user_id == user_id)
        rows, more = keyset_page(stmt, COLUMNS, size, start, newest_first=newest_first)
        assert len(rows) <= size
        seen += [row.id for row in rows]
        if not more:
            return seen
        start = (rows[-1].created_at, rows[-1].id)


@pytest.mark.parametrize("newest_first", [True, False])
def test_pages_through_ties_once_each_in_order(app, auth, newest_first):
    account = auth.register()
    other = auth.register()
    base = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    # Three rows share each stamp: only the id tells them apart, as rows written in the same
    # instant do.
    stamps = [base + timedelta(minutes=minute) for minute in (0, 0, 0, 1, 2, 2, 2, 3)]
    with app.app_context():
        with writing():
            for stamp in stamps:
                db.session.add(Conversation(user_id=account.user_id, created_at=stamp, updated_at=stamp))
                db.session.add(Conversation(user_id=other.user_id, created_at=stamp, updated_at=stamp))
        rows = db.session.scalars(select(Conversation).where(Conversation.user_id == account.user_id)).all()
        expected = [row.id for row in sorted(rows, key=lambda row: (row.created_at, row.id), reverse=newest_first)]
        for size in (1, 2, 3, 8, 20):
            assert _walk(account.user_id, size, newest_first) == expected, size


def test_a_full_last_page_says_no_more(app, auth):
    account = auth.register()
    with app.app_context():
        with writing():
            for _ in range(4):
                db.session.add(Conversation(user_id=account.user_id))
        stmt = select(Conversation).where(Conversation.user_id == account.user_id)
        rows, more = keyset_page(stmt, COLUMNS, 4)
        assert len(rows) == 4 and not more
        rows, more = keyset_page(stmt, COLUMNS, 3)
        assert len(rows) == 3 and more


def test_a_position_needs_a_value_per_column(app):
    with app.app_context(), pytest.raises(ValueError):
        keyset_page(select(Conversation), COLUMNS, 5, (datetime.now(UTC),))
