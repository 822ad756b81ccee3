"""The 360's monthly receipts and payments: every counterparty counted, per currency."""

from __future__ import annotations

import pytest

from graph.customers import _monthly_totals

pytestmark = pytest.mark.unit

WINDOW = ["2025-10", "2025-11", "2025-12"]


def _row(currency: str, *months: tuple[str, int]) -> dict[str, object]:
    return {"currency": currency, "months": [{"month": m, "amount_minor": a} for m, a in months]}


def test_totals_sum_every_counterparty_by_month_and_currency() -> None:
    rows_in = [
        _row("CNY", ("2025-10", 100_00), ("2025-12", 50_00)),
        _row("CNY", ("2025-12", 25_00), ("2025-09", 999_00)),  # before the window: left out
        _row("USD", ("2025-11", 7_00)),
    ]
    rows_out = [_row("CNY", ("2025-11", 300_00))]
    cny, usd = _monthly_totals(rows_in, rows_out, WINDOW)
    assert cny["currency"] == "CNY"  # the larger total first: the chart's currency
    assert [m["amount"] for m in cny["inflow"]] == ["100.00", "0.00", "75.00"]
    assert [m["amount"] for m in cny["outflow"]] == ["0.00", "300.00", "0.00"]
    assert [m["amount"] for m in usd["inflow"]] == ["0.00", "7.00", "0.00"]
    assert _monthly_totals([], [], WINDOW) == []
