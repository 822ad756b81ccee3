"""A read's records become the same dicts as ``Record.data()`` gives, by the fast path or not."""

from __future__ import annotations

from datetime import date

import neo4j
import pytest
from neo4j.time import Date

from graph.database import _row

pytestmark = pytest.mark.unit


def _record(pairs: list[tuple[str, object]]) -> neo4j.Record:
    """A record as the driver builds it from a result row (its constructor is untyped)."""
    return neo4j.Record(pairs)  # type: ignore[no-untyped-call]


@pytest.mark.parametrize(
    "pairs",
    [
        [("id", "C1"), ("amount", 2**63 - 1), ("share", 0.25), ("customer", True), ("x", None)],
        [("cells", [["2025-01", "CNY", 100], ["2025-02", "USD", 7]]), ("ids", [])],
        [("r", {"share": 0.5, "months": [1, 2], "inner": {"k": None}})],
        [("as_of", Date(2025, 1, 31)), ("id", "C1")],
        [("when", [Date(2025, 1, 31)])],
    ],
)
def test_a_row_equals_what_record_data_gives(pairs: list[tuple[str, object]]) -> None:
    record = _record(pairs)
    row = _row(record)
    assert row == record.data()
    assert list(row) == record.keys()


def test_a_temporal_value_keeps_its_driver_type() -> None:
    row = _row(_record([("as_of", Date(2025, 1, 31))]))
    assert isinstance(row["as_of"], Date)
    assert row["as_of"].to_native() == date(2025, 1, 31)
