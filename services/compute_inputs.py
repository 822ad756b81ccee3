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
import threading
import time
from collections.abc import Iterable

import pandas as pd

from algorithms.flow_views import cell_frame
from core.errors import CorpgraphError
from graph.database import Database
from graph.flow_cells import read_flow_cells

logger = logging.getLogger(__name__)


class PrerequisiteFailedError(CorpgraphError):
    """A step this one reads did not publish in this run (it failed); the compute stops.

    The runner raises the prerequisite's own failure, not this one."""


class ComputeInputs:
    """The run's shared reads, each read on first use and kept for the run; and which of
    the run's steps have published, for steps that read another's results.

    Steps run at once (:mod:`services.compute`): a step that reads another's published
    results calls :meth:`await_published` just before that read, so the work before it
    overlaps the other step.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._flows: pd.DataFrame | None = None
        # Steps run at once (services.compute): the first to ask reads, the others wait.
        self._lock = threading.Lock()
        self._settled = threading.Condition()
        self._pending: set[str] = set()  # steps of this run that have not finished
        self._failed: set[str] = set()

    def expect(self, steps: Iterable[str]) -> None:
        """Declare the steps this run computes: :meth:`await_published` waits for them."""
        with self._settled:
            self._pending.update(steps)

    def settle(self, step: str, *, published: bool) -> None:
        """Record that ``step`` published (or failed), waking the steps that wait for it."""
        with self._settled:
            self._pending.discard(step)
            if not published:
                self._failed.add(step)
            self._settled.notify_all()

    def await_published(self, *steps: str) -> None:
        """Wait until each of ``steps`` that this run computes has published.

        A step the run does not compute (``--only``) is read as published before.

        Raises
        ------
        PrerequisiteFailedError
            When one of them failed in this run.
        """
        wanted = set(steps)
        with self._settled:
            self._settled.wait_for(lambda: not wanted & self._pending)
            failed = sorted(wanted & self._failed)
        if failed:
            raise PrerequisiteFailedError(
                "a compute step this one reads failed", details={"steps": failed}
            )

    def flows(self) -> pd.DataFrame:
        """Every monthly flow between two companies (:data:`algorithms.flow_views.CELL_COLUMNS`)."""
        with self._lock:
            return self._read_flows()

    def _read_flows(self) -> pd.DataFrame:
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
