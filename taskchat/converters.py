"""URL converters: what a path can name is bounded by what the database can hold."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

# Integer columns (task numbers) are 32-bit on PostgreSQL; a larger number names nothing.
MAX_PATH_INT = 2**31 - 1

# 0 … 2147483647 (leading zeros allowed), digit by digit. The range lives in the regex, not in
# ``to_python``: werkzeug turns a converter's refusal into a 405 when a sibling rule for another
# method matches the same path, while a path the regex does not match is a plain 404.
_UP_TO_MAX = (
    r"0*(?:\d{1,9}|1\d{9}|20\d{8}|21[0-3]\d{7}|214[0-6]\d{6}|2147[0-3]\d{5}|21474[0-7]\d{4}"
    r"|214748[0-2]\d{3}|2147483[0-5]\d{2}|21474836[0-3]\d|214748364[0-7])"
)


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` matching only 0 … 2³¹−1, so ``/tasks/99999999999999999999`` is a 404 from
    routing instead of an overflow at the database (a 500)."""

    regex = _UP_TO_MAX


def register_converters(app) -> None:
    """Replace Flask's ``int`` converter for every route; call before blueprints are registered."""
    app.url_map.converters["int"] = BoundedIntConverter
