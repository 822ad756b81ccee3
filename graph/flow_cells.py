"""The compute run's one read of the fund flows: every monthly ``PAYS`` edge between companies.

Four compute steps need the flows: economic interdependence (the window's flows
touching a customer), the Python engine's flow projections (every edge, summed per
pair), prospects (payments between non-customers and customers) and events (each
customer's flows in one currency). Each used to read its own slice; now
:func:`read_flow_cells` reads them all once per compute run
(:class:`services.compute_inputs.ComputeInputs` keeps them for the run) and the pure
views of :mod:`algorithms.flow_views` cut each step's slice in memory.

Only companies with a flow are read (a node without a ``PAYS`` edge never appears).
The read is grouped by payer and payee: one record of parallel lists per pair, so a
pair's two ids and customer flags travel once rather than once per month, and
:meth:`Database.read_columns` collects the pairs into one record, which the driver
decodes several times faster than one record per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, LiteralString

from .database import Database

#: One record per payer and payee, its monthly cells as parallel lists. Columns read with
#: :meth:`Database.read_columns` must not be null: amounts and counts are coalesced; the
#: loader always sets a flow's month and currency.
READ_FLOW_CELLS: Final[LiteralString] = """
MATCH (a:Company)-[r:PAYS]->(b:Company)
WHERE a.company_id IS NOT NULL AND b.company_id IS NOT NULL
WITH a, b, collect(r) AS cells
RETURN a.company_id AS payer, b.company_id AS payee,
       a:Customer AS payer_customer, b:Customer AS payee_customer,
       [r IN cells | r.month] AS months, [r IN cells | r.currency] AS currencies,
       [r IN cells | coalesce(r.amount_minor, 0)] AS amounts,
       [r IN cells | coalesce(r.txn_count, 0)] AS counts
"""
FLOW_PAIR_COLUMNS: Final = (
    "payer",
    "payee",
    "payer_customer",
    "payee_customer",
    "months",
    "currencies",
    "amounts",
    "counts",
)


@dataclass(frozen=True)
class FlowCells:
    """Every monthly flow between two companies, column-wise: cell ``i`` says that
    ``payer[i]`` paid ``payee[i]`` ``amount_minor[i]`` in ``currency[i]`` in ``month[i]``
    (``YYYY-MM``) in ``txn_count[i]`` payments. ``payer_customer[i]`` and
    ``payee_customer[i]`` tell whether each side is a customer (``:Customer``)."""

    payer: list[str]
    payee: list[str]
    payer_customer: list[bool]
    payee_customer: list[bool]
    month: list[str]
    currency: list[str]
    amount_minor: list[int]
    txn_count: list[int]

    def __len__(self) -> int:
        return len(self.payer)


def read_flow_cells(db: Database) -> FlowCells:
    """Every ``PAYS`` edge between two companies (see the module docstring)."""
    read = db.read_columns(READ_FLOW_CELLS, FLOW_PAIR_COLUMNS)
    cells = FlowCells([], [], [], [], [], [], [], [])
    for payer, payee, payer_customer, payee_customer, months, currencies, amounts, counts in zip(
        *(read[c] for c in FLOW_PAIR_COLUMNS), strict=True
    ):
        n = len(months)
        cells.payer.extend([str(payer)] * n)
        cells.payee.extend([str(payee)] * n)
        cells.payer_customer.extend([bool(payer_customer)] * n)
        cells.payee_customer.extend([bool(payee_customer)] * n)
        cells.month.extend(map(str, months))
        cells.currency.extend(map(str, currencies))
        cells.amount_minor.extend(map(int, amounts))
        cells.txn_count.extend(map(int, counts))
    return cells
