"""``corpgraph compute``: run every analytics step and store its results in Neo4j.

A step is a function ``(db, engine, settings) -> StepReport``. Steps are listed in
:data:`COMPUTE_STEPS` in the order they run; later steps may read what earlier
ones stored (events read groups, for example).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .database import Database
from .engines import EngineMode, GraphEngine, select_engine
from .settings import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StepReport:
    """What one step computed: a few counts for the CLI table."""

    step: str
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


ComputeStep = Callable[[Database, GraphEngine, Settings], StepReport]

#: (name, step) in run order. Capabilities register their step here.
COMPUTE_STEPS: list[tuple[str, ComputeStep]] = []


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


def _register_steps() -> None:
    from .group_risk import compute_group_risk

    COMPUTE_STEPS.append(("group_risk", compute_group_risk))
    from .interdependence import compute_interdependence

    COMPUTE_STEPS.append(("interdependence", compute_interdependence))
    from .prospects_store import compute_prospects

    COMPUTE_STEPS.append(("prospects", compute_prospects))
    from .events import compute_events

    COMPUTE_STEPS.append(("events", compute_events))


_register_steps()
