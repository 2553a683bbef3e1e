"""URL converters: what a path can name is bounded by what the database can hold."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

# Integer columns (task numbers) are 32-bit on PostgreSQL; a larger number names nothing.
MAX_PATH_INT = 2**31 - 1


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` that matches only 0 … 2³¹−1, so ``/tasks/99999999999999999999`` is a 404
    from routing instead of an overflow at the database (a 500)."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's parameter name
        kwargs.setdefault("max", MAX_PATH_INT)
        super().__init__(map, *args, **kwargs)


def register_converters(app) -> None:
    """Replace Flask's ``int`` converter for every route; call before blueprints are registered."""
    app.url_map.converters["int"] = BoundedIntConverter
