"""Keyset paging, for every list that pages through rows in a fixed order.

A page starts after the last row the client saw, named by that row's values of the ordering
columns (the last of which must be unique, so no two rows share a position), not by an
offset: a row written or deleted meanwhile neither repeats a row nor skips one, and reading
page 50 costs what page 1 does. How a surface names the position (a signed cursor, a thread
id) is its own business; this only turns the position into SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, and_, or_
from sqlalchemy.sql.elements import ColumnElement

from .extensions import db


def _beyond(columns: Sequence[Any], values: Sequence[Any], newest_first: bool) -> ColumnElement[bool]:
    """Rows strictly past ``values`` in the order of ``columns``: ``a < x OR (a = x AND b < y)``,
    the form both SQLite and PostgreSQL answer from an index on the columns."""
    first, *rest = columns
    value, *others = values
    past = first < value if newest_first else first > value
    if not rest:
        return past
    return or_(past, and_(first == value, _beyond(rest, others, newest_first)))


def keyset_page(
    stmt: Select,
    columns: Sequence[Any],
    size: int,
    start: Sequence[Any] | None = None,
    *,
    newest_first: bool = True,
) -> tuple[list[Any], bool]:
    """Up to ``size`` rows of ``stmt`` ordered by ``columns`` (descending when ``newest_first``),
    after the row whose column values are ``start``; and whether more rows follow (read as one
    row past the page, so no count is needed)."""
    if len(columns) == 0:
        raise ValueError("keyset paging needs at least one ordering column")
    if start is not None:
        if len(start) != len(columns):
            raise ValueError("a keyset position needs one value per ordering column")
        stmt = stmt.where(_beyond(columns, start, newest_first))
    order = [column.desc() if newest_first else column.asc() for column in columns]
    rows = list(db.session.scalars(stmt.order_by(*order).limit(size + 1)))
    return rows[:size], len(rows) > size
