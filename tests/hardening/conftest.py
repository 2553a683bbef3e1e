"""Helpers for the hardening tests: raw HTTP on one kept-alive connection, row counts."""

from __future__ import annotations

from tests.helpers.http import (  # noqa: F401 (re-exported for the fixtures here)
    STORED,
    Answer,
    KeptAliveConnection,
    assert_envelope,
    count_rows,
)


