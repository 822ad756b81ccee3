"""Each compute step's slice of the fund flows, cut in memory from the run's one read.

``corpgraph compute`` reads every monthly ``PAYS`` edge once
(:func:`graph.flow_cells.read_flow_cells`) into a frame of :data:`CELL_COLUMNS`;
these pure functions give each consumer what its own query used to return:

- :func:`prospect_flows`: payments between a non-customer and a customer, seen from
  the non-customer (:data:`algorithms.prospects.FLOW_COLUMNS`);
- :func:`customer_flows`: each customer's flows in one currency, a flow between two
  customers once for each (:data:`algorithms.events.FLOW_COLUMNS`);
- :func:`window_cells`: the flows of a window of months with a customer on one side
  (economic interdependence);
- :func:`pair_totals`: each payer and payee's amounts summed and flows counted (the
  Python engine's flow projections);
- :func:`last_month`: the latest month with a flow in a currency.

Examples
--------
>>> cells = cell_frame(
...     payer=["C1", "P1", "C1", "C2"], payee=["P1", "C1", "C2", "P2"],
...     payer_customer=[True, False, True, True], payee_customer=[False, True, True, False],
...     month=["2025-01", "2025-02", "2025-02", "2025-03"], currency=["CNY", "CNY", "USD", "CNY"],
...     amount_minor=[100, 50, 7, 9], txn_count=[1, 2, 1, 1],
... )
>>> columns = ["prospect_id", "customer_id", "direction", "amount_minor"]
>>> prospect_flows(cells)[columns].values.tolist()
[['P1', 'C1', 'in', 100], ['P2', 'C2', 'in', 9], ['P1', 'C1', 'out', 50]]
>>> customer_flows(cells, "USD").values.tolist()
[['C1', 'C2', '2025-02', 'out', 7], ['C2', 'C1', '2025-02', 'in', 7]]
>>> last_month(cells, "USD"), last_month(cells, "EUR")
('2025-02', None)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import pandas as pd

from . import events, prospects

#: The run's flow frame: one row per payer, payee, month and currency.
CELL_COLUMNS: Final = (
    "payer",
    "payee",
    "payer_customer",
    "payee_customer",
    "month",
    "currency",
    "amount_minor",
    "txn_count",
)

#: Columns of :func:`prospect_flows` and :func:`customer_flows`: what their consumers take.
PROSPECT_COLUMNS: Final = prospects.FLOW_COLUMNS
CUSTOMER_COLUMNS: Final = events.FLOW_COLUMNS


def cell_frame(
    *,
    payer: Sequence[str],
    payee: Sequence[str],
    payer_customer: Sequence[bool],
    payee_customer: Sequence[bool],
    month: Sequence[str],
    currency: Sequence[str],
    amount_minor: Sequence[int],
    txn_count: Sequence[int],
) -> pd.DataFrame:
    """The run's flow frame (:data:`CELL_COLUMNS`) from its columns."""
    return pd.DataFrame(
        {
            "payer": pd.Series(payer, dtype="object"),
            "payee": pd.Series(payee, dtype="object"),
            "payer_customer": pd.Series(payer_customer, dtype="bool"),
            "payee_customer": pd.Series(payee_customer, dtype="bool"),
            "month": pd.Series(month, dtype="object"),
            "currency": pd.Series(currency, dtype="object"),
            # Neo4j integers are 64-bit: int64 holds every stored amount (consumers sum
            # them as Python integers or floats, never as int64).
            "amount_minor": pd.Series(amount_minor, dtype="int64"),
            "txn_count": pd.Series(txn_count, dtype="int64"),
        },
        columns=list(CELL_COLUMNS),
    )


def prospect_flows(cells: pd.DataFrame) -> pd.DataFrame:
    """Payments between a non-customer and a customer, seen from the non-customer.

    ``direction`` is ``in`` when the customer paid the non-customer (``prospect_id``).
    """
    out = cells[~cells["payer_customer"] & cells["payee_customer"]]
    paid_in = cells[cells["payer_customer"] & ~cells["payee_customer"]]
    parts = [
        pd.DataFrame(
            {
                "prospect_id": paid_in["payee"],
                "customer_id": paid_in["payer"],
                "direction": "in",
                "month": paid_in["month"],
                "currency": paid_in["currency"],
                "amount_minor": paid_in["amount_minor"],
                "txn_count": paid_in["txn_count"],
            },
            columns=list(PROSPECT_COLUMNS),
        ),
        pd.DataFrame(
            {
                "prospect_id": out["payer"],
                "customer_id": out["payee"],
                "direction": "out",
                "month": out["month"],
                "currency": out["currency"],
                "amount_minor": out["amount_minor"],
                "txn_count": out["txn_count"],
            },
            columns=list(PROSPECT_COLUMNS),
        ),
    ]
    return pd.concat(parts, ignore_index=True)


def customer_flows(cells: pd.DataFrame, currency: str) -> pd.DataFrame:
    """Each customer's flows in ``currency``: what it paid (``out``) and received (``in``).

    A flow between two customers is one row for each of them.
    """
    in_currency = cells[cells["currency"] == currency]
    paid = in_currency[in_currency["payer_customer"]]
    received = in_currency[in_currency["payee_customer"]]
    parts = [
        pd.DataFrame(
            {
                "customer_id": paid["payer"],
                "counterparty_id": paid["payee"],
                "month": paid["month"],
                "direction": "out",
                "amount_minor": paid["amount_minor"],
            },
            columns=list(CUSTOMER_COLUMNS),
        ),
        pd.DataFrame(
            {
                "customer_id": received["payee"],
                "counterparty_id": received["payer"],
                "month": received["month"],
                "direction": "in",
                "amount_minor": received["amount_minor"],
            },
            columns=list(CUSTOMER_COLUMNS),
        ),
    ]
    return pd.concat(parts, ignore_index=True)


def window_cells(cells: pd.DataFrame, first_month: str, last: str) -> pd.DataFrame:
    """The flows of months ``first_month`` to ``last`` with a customer on at least one side.

    Examples
    --------
    >>> cells = cell_frame(
    ...     payer=["C1", "P1", "P2"], payee=["P1", "P2", "C1"],
    ...     payer_customer=[True, False, False], payee_customer=[False, False, True],
    ...     month=["2025-01", "2025-02", "2024-12"], currency=["CNY"] * 3,
    ...     amount_minor=[1, 2, 3], txn_count=[1, 1, 1],
    ... )
    >>> window_cells(cells, "2025-01", "2025-02")["payer"].tolist()
    ['C1']
    """
    months = cells["month"]
    keep = (
        (months >= first_month)
        & (months <= last)
        & (cells["payer_customer"] | cells["payee_customer"])
    )
    return cells[keep]


def pair_totals(cells: pd.DataFrame) -> tuple[list[tuple[str, str]], list[float], list[float]]:
    """Each (payer, payee): its amounts summed (every currency, as a float) and its flows
    counted; the input of a weighted and an unweighted flow projection.

    Examples
    --------
    >>> cells = cell_frame(
    ...     payer=["A", "A", "B"], payee=["B", "B", "A"], payer_customer=[False] * 3,
    ...     payee_customer=[False] * 3, month=["2025-01", "2025-02", "2025-01"],
    ...     currency=["CNY"] * 3, amount_minor=[5, 7, 1], txn_count=[1, 1, 1],
    ... )
    >>> pair_totals(cells)
    ([('A', 'B'), ('B', 'A')], [12.0, 1.0], [2.0, 1.0])
    """
    if cells.empty:
        return [], [], []
    # Summed as floats, as the projection's Cypher did (``sum(toFloat(...))``): int64
    # sums of large amounts would wrap.
    amounts = cells.assign(amount_minor=cells["amount_minor"].astype("float64"))
    grouped = amounts.groupby(["payer", "payee"], sort=True)["amount_minor"]
    sums, counts = grouped.sum(), grouped.size()
    pairs = [(str(a), str(b)) for a, b in sums.index.tolist()]
    return pairs, [float(v) for v in sums.tolist()], [float(v) for v in counts.tolist()]


def last_month(cells: pd.DataFrame, currency: str) -> str | None:
    """The latest month with a flow in ``currency``, or ``None``."""
    months = cells.loc[cells["currency"] == currency, "month"]
    return None if months.empty else str(months.max())
