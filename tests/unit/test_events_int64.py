"""The int64 array paths of flow-event detection give what the Python-integer paths give.

``detect_flow_events`` sums flows and explains months (late payments, recurring lumps)
over int64 arrays when the amounts cannot overflow them, and row by row in Python
integers otherwise. Random ledgers full of the patterns the rules look at (gaps,
lumps, catch-ups, zero and negative months) must give the same numbers both ways.
"""

from __future__ import annotations

import random

import pandas as pd
import pytest

from algorithms.events import (
    FLOW_COLUMNS,
    EventConfig,
    _customers,
    _customers_exact,
    _explained,
    _late_catch_up,
    _recurring_lumps,
    detect_flow_events,
    month_axis,
)

AXIS = month_axis("2024-01", "2025-06")


def _ledger(seed: int) -> pd.DataFrame:
    """Customers with regular, gappy and lumpy counterparties, some months doubled."""
    rng = random.Random(seed)
    rows = []
    for c in range(12):
        customer = f"C{c:02d}"
        first = rng.randrange(0, 6)
        for k in range(rng.randrange(1, 7)):
            counterparty = f"P{rng.randrange(20):02d}"
            direction = rng.choice(("out", "in"))
            usual = rng.choice((1_000, 50_000, 3_000_000))
            every = rng.choice((1, 1, 2, 4))  # monthly, every other month, quarterly
            for i in range(first, len(AXIS)):
                if (i - first) % every or rng.random() < 0.15:
                    continue  # a missed month: the next one may catch up
                amount = usual * rng.choice((1, 1, 1, 2, 3, 10)) + rng.randrange(-500, 500)
                if rng.random() < 0.03:
                    amount = -amount  # a reversal
                rows.append((customer, counterparty, AXIS[i], direction, amount))
                if rng.random() < 0.1:  # two payments in one month
                    rows.append((customer, counterparty, AXIS[i], direction, usual))
            if k == 0 and rng.random() < 0.3:
                rows.append((customer, "LUMP", AXIS[-1], "out", usual * 40))
        if c % 3 == 0:  # equipment bought now and then: the second lump exactly 3x the first
            rows.append((customer, "EQUIP", AXIS[first + 1], "out", 10_000))
            rows.append((customer, "EQUIP", AXIS[first + 8], "out", 30_000))
    return pd.DataFrame(rows, columns=list(FLOW_COLUMNS))


@pytest.mark.parametrize("seed", range(8))
def test_int64_customers_equal_the_python_integer_ones(seed: int) -> None:
    flows = _ledger(seed)
    assert flows["amount_minor"].dtype == "int64"
    fast, exact = _customers(flows, AXIS), _customers_exact(flows, AXIS)
    assert sorted(fast) == sorted(exact)
    for customer, found in fast.items():
        expected = exact[customer]
        assert found.out == expected.out
        assert found.inflow == expected.inflow
        assert found.by_counterparty == expected.by_counterparty
        assert found.paid_to == expected.paid_to
        assert found.paid_by == expected.paid_by


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("min_history", [0, 1, 3])
def test_explained_months_equal_the_month_by_month_rule(seed: int, min_history: int) -> None:
    config = EventConfig(min_history_months=min_history)
    checked = 0
    for cust in _customers_exact(_ledger(seed), AXIS).values():
        total = [a + b for a, b in zip(cust.out, cust.inflow, strict=True)]
        start = next((i for i, v in enumerate(total) if v), 0)
        for side in (cust.paid_to, cust.paid_by):
            expected = [
                _late_catch_up(side, i, config) + _recurring_lumps(side, start, i, config)
                if i >= start + min_history
                else 0
                for i in range(len(AXIS))
            ]
            assert _explained(side, start, len(AXIS), config) == expected
            checked += sum(1 for v in expected if v)
    assert checked > 0  # the ledger has late payments and lumps to explain


@pytest.mark.parametrize("seed", range(8))
def test_detection_is_the_same_over_python_integers(seed: int) -> None:
    flows = _ledger(seed)
    as_objects = flows.assign(amount_minor=flows["amount_minor"].astype(object))
    fast = detect_flow_events(flows)
    assert fast == detect_flow_events(as_objects)  # object amounts: the row-by-row path
    assert repr(fast) == repr(detect_flow_events(as_objects))


def test_amounts_beyond_int64_sums_take_the_python_integer_path() -> None:
    huge = 2**62
    rows = [("C1", "S1", m, "out", huge) for m in AXIS[:6]]
    rows += [("C1", "S2", m, "in", huge) for m in AXIS[:6]]
    rows.append(("C1", "S1", AXIS[6], "out", 9 * huge))
    flows = pd.DataFrame(rows, columns=list(FLOW_COLUMNS))
    events = detect_flow_events(flows, months=AXIS[:7])
    assert [(e.type, e.month) for e in events] == [("large_outflow", AXIS[6])]
    assert events[0].evidence["amount_minor"] == 9 * huge  # no int64 wrap-around
