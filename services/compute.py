"""``corpgraph compute``: run every analytics step and store its results in Neo4j.

A step is a function ``(db, engine, settings) -> StepReport``. Steps are listed in
:data:`COMPUTE_STEPS` in the order they run; later steps may read what earlier
ones stored (events read groups, for example).
"""

from __future__ import annotations

import logging
import time
from typing import Final

from core.settings import Settings
from graph.database import Database

from .engines import EngineMode, select_engine
from .events import compute_events
from .group_risk import compute_group_risk
from .interdependence import compute_interdependence
from .prospects import compute_prospects
from .steps import ComputeStep, StepReport

logger = logging.getLogger(__name__)


#: (name, step) in run order; later steps read what earlier ones stored.
COMPUTE_STEPS: Final[tuple[tuple[str, ComputeStep], ...]] = (
    ("group_risk", compute_group_risk),
    ("interdependence", compute_interdependence),
    ("prospects", compute_prospects),
    ("events", compute_events),
)


def run_compute(
    db: Database,
    settings: Settings,
    *,
    engine_mode: EngineMode = "auto",
    only: set[str] | None = None,
) -> tuple[str, list[StepReport]]:
    """Run the registered steps; return the engine used and each step's report."""
    engine = select_engine(db, engine_mode)
    reports = []
    for name, step in COMPUTE_STEPS:
        if only is not None and name not in only:
            continue
        start = time.perf_counter()
        report = step(db, engine, settings)
        reports.append(StepReport(report.step, report.counts, seconds=time.perf_counter() - start))
        logger.info("compute step %s done in %.1fs", name, reports[-1].seconds)
    return engine.name, reports
