"""What several compute steps read, read once per compute run and kept for it.

``corpgraph compute`` (:func:`services.compute.run_compute`) makes one
:class:`ComputeInputs` per run and hands it to every step and to the Python engine.
The fund flows are the large read: interdependence, the Python engine's flow
projections, prospects and events each used to read their slice of the ``PAYS``
edges (four reads of up to 150k cells on the small bank, most of the compute's
time). Now the first step that needs them reads every flow once
(:func:`graph.flow_cells.read_flow_cells`) and each step cuts its slice in memory
(:mod:`algorithms.flow_views`).

The flows are read lazily (a run of ``--only group_risk`` never reads them) and
never written by a step, so the copy stays what the store holds for the whole run;
every step of the run sees the same flows, a consistent snapshot even if a load
adds flows meanwhile.
"""

from __future__ import annotations

import logging
import time

import pandas as pd

from algorithms.flow_views import cell_frame
from graph.database import Database
from graph.flow_cells import read_flow_cells

logger = logging.getLogger(__name__)


class ComputeInputs:
    """The run's shared reads: each is read on first use and kept for the run."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._flows: pd.DataFrame | None = None

    def flows(self) -> pd.DataFrame:
        """Every monthly flow between two companies (:data:`algorithms.flow_views.CELL_COLUMNS`)."""
        if self._flows is None:
            started = time.perf_counter()
            cells = read_flow_cells(self.db)
            self._flows = cell_frame(
                payer=cells.payer,
                payee=cells.payee,
                payer_customer=cells.payer_customer,
                payee_customer=cells.payee_customer,
                month=cells.month,
                currency=cells.currency,
                amount_minor=cells.amount_minor,
                txn_count=cells.txn_count,
            )
            logger.info(
                "read %d monthly flows once for the run in %.1fs",
                len(cells),
                time.perf_counter() - started,
            )
        return self._flows
