"""Each step's slice of the run's one flow read is what its own query used to return."""

from __future__ import annotations

import pandas as pd
import pytest

from algorithms import events, prospects
from algorithms.flow_views import (
    cell_frame,
    customer_flows,
    last_month,
    pair_totals,
    prospect_flows,
    window_cells,
)

pytestmark = pytest.mark.unit

# (payer, payee, month, currency, amount, payments); C* are customers, P* are not.
FLOWS = [
    ("C1", "P1", "2025-01", "CNY", 100, 2),  # customer pays a non-customer
    ("P1", "C1", "2025-02", "CNY", 40, 1),  # a non-customer pays a customer
    ("C1", "C2", "2025-02", "CNY", 7, 1),  # between two customers
    ("P1", "P2", "2025-03", "CNY", 9, 1),  # between two non-customers
    ("C2", "P2", "2025-03", "USD", 5, 3),  # another currency
    ("C1", "P1", "2025-04", "CNY", 2**62, 1),  # a huge amount
    ("C1", "P1", "2025-05", "CNY", 2**62, 1),
]


def _cells() -> pd.DataFrame:
    return cell_frame(
        payer=[f[0] for f in FLOWS],
        payee=[f[1] for f in FLOWS],
        payer_customer=[f[0].startswith("C") for f in FLOWS],
        payee_customer=[f[1].startswith("C") for f in FLOWS],
        month=[f[2] for f in FLOWS],
        currency=[f[3] for f in FLOWS],
        amount_minor=[f[4] for f in FLOWS],
        txn_count=[f[5] for f in FLOWS],
    )


def test_prospect_flows_are_the_payments_between_a_non_customer_and_a_customer() -> None:
    frame = prospect_flows(_cells())
    assert tuple(frame.columns) == prospects.FLOW_COLUMNS
    rows = sorted(map(tuple, frame.values.tolist()))
    assert rows == sorted(
        [
            ("P1", "C1", "in", "2025-01", "CNY", 100, 2),
            ("P1", "C1", "out", "2025-02", "CNY", 40, 1),
            ("P2", "C2", "in", "2025-03", "USD", 5, 3),
            ("P1", "C1", "in", "2025-04", "CNY", 2**62, 1),
            ("P1", "C1", "in", "2025-05", "CNY", 2**62, 1),
        ]
    )


def test_customer_flows_give_a_flow_between_two_customers_to_each() -> None:
    frame = customer_flows(_cells(), "CNY")
    assert tuple(frame.columns) == events.FLOW_COLUMNS
    rows = sorted(map(tuple, frame.values.tolist()))
    assert rows == sorted(
        [
            ("C1", "P1", "2025-01", "out", 100),
            ("C1", "P1", "2025-02", "in", 40),
            ("C1", "C2", "2025-02", "out", 7),
            ("C2", "C1", "2025-02", "in", 7),
            ("C1", "P1", "2025-04", "out", 2**62),
            ("C1", "P1", "2025-05", "out", 2**62),
        ]
    )


def test_window_keeps_its_months_and_a_customer_side() -> None:
    window = window_cells(_cells(), "2025-02", "2025-03")
    assert sorted(zip(window["payer"], window["payee"], strict=True)) == [
        ("C1", "C2"),
        ("C2", "P2"),
        ("P1", "C1"),
    ]
    assert last_month(_cells(), "CNY") == "2025-05"
    assert last_month(_cells(), "USD") == "2025-03"
    assert last_month(_cells().iloc[0:0], "CNY") is None


def test_pair_totals_sum_every_currency_as_floats_without_wrapping() -> None:
    pairs, amounts, counts = pair_totals(_cells())
    by_pair = {p: (a, c) for p, a, c in zip(pairs, amounts, counts, strict=True)}
    assert by_pair[("C1", "P1")] == (100.0 + 2.0**63, 3.0)
    assert by_pair[("C2", "P2")] == (5.0, 1.0)
    assert len(pairs) == 5
    assert pair_totals(_cells().iloc[0:0]) == ([], [], [])
