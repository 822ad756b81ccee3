"""``corpgraph compute``: run every analytics step and store its results in Neo4j.

A step is a function ``(db, engine, settings, run_id) -> StepReport``. Steps are
listed in :data:`COMPUTE_STEPS` in the order they run; later steps read what
earlier ones *published* (events read groups, for example).

Each step runs as one compute run (:mod:`graph.compute_runs`): the runner gives it
a new run id, first collects the step's rows of runs older than the previous
published one (and of failed runs), lets the step write everything under the new
id, and then publishes it by switching the step's one pointer. A step that fails
or is killed publishes nothing: readers keep seeing the run before, and its
partial rows are collected by the step's next run. ``--only`` runs and publishes
only the named steps.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Final

from core.settings import Settings
from graph.compute_runs import collect_garbage, new_run_id, publish
from graph.database import Database

from .engines import EngineMode, select_engine
from .events import compute_events
from .group_risk import compute_group_risk
from .interdependence import compute_interdependence
from .prospects import compute_prospects
from .steps import ComputeStep, StepReport
from .webhooks import enqueue_new_events

logger = logging.getLogger(__name__)


#: (name, step) in run order; later steps read what earlier ones published.
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
    """Run the registered steps, publishing each; return the engine used and the reports."""
    engine = select_engine(db, engine_mode)
    reports = []
    for name, step in COMPUTE_STEPS:
        if only is not None and name not in only:
            continue
        start = time.perf_counter()
        started_at = datetime.now(UTC)
        run_id = new_run_id(started_at)
        collected = collect_garbage(db, name, run_id)
        report = step(db, engine, settings, run_id)
        publish(db, name, run_id, started_at=started_at, engine=engine.name)
        counts = dict(report.counts)
        if collected:
            counts["old rows collected"] = collected
        if name == "events" and settings.webhook_urls and settings.webhook_secret is not None:
            # Only published events are pushed: a receiver never hears of an event that
            # a failed run detected and no reader was shown.
            counts["webhooks enqueued"] = enqueue_new_events(db, settings)
        reports.append(
            replace(report, counts=counts, seconds=time.perf_counter() - start, run_id=run_id)
        )
        logger.info("compute step %s done in %.1fs (run %s)", name, reports[-1].seconds, run_id)
    return engine.name, reports
