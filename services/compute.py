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

Two computes never overlap: the runner holds the store's compute lease
(:func:`graph.compute_runs.take_lease`) from start to end, renewing it at every step;
a second ``compute`` meanwhile stops with :class:`~core.errors.ConflictError`
naming the holder. A holder on this host whose process has died (a killed compute)
is taken over at once; one on another host only when its lease expires
(``CORPGRAPH_COMPUTE_LEASE_S``).
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Final

from core.errors import ConflictError
from core.settings import Settings
from graph.compute_runs import (
    collect_garbage,
    lease_holder,
    new_run_id,
    publish,
    release_lease,
    take_lease,
)
from graph.database import Database

from .compute_inputs import ComputeInputs
from .engines import EngineMode, select_engine
from .events import compute_events
from .group_risk import compute_group_risk
from .interdependence import compute_interdependence
from .prospects import compute_prospects
from .related_parties import compute_related_parties
from .steps import ComputeStep, StepReport
from .webhooks import enqueue_new_events

logger = logging.getLogger(__name__)


#: (name, step) in run order; later steps read what earlier ones published.
COMPUTE_STEPS: Final[tuple[tuple[str, ComputeStep], ...]] = (
    ("group_risk", compute_group_risk),
    ("interdependence", compute_interdependence),
    ("prospects", compute_prospects),
    ("events", compute_events),
    ("related_parties", compute_related_parties),
)


def run_compute(
    db: Database,
    settings: Settings,
    *,
    engine_mode: EngineMode = "auto",
    only: set[str] | None = None,
) -> tuple[str, list[StepReport]]:
    """Run the registered steps, publishing each; return the engine used and the reports.

    Raises
    ------
    ConflictError
        When another compute holds the store's compute lease.
    """
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    _take_lease(db, holder, settings)
    try:
        return _run_steps(db, settings, holder, engine_mode, only)
    finally:
        release_lease(db, holder)


def holder_is_dead(holder: str, host: str | None = None) -> bool:
    """Whether ``holder`` (``host:pid:nonce``) names a process of this host that has ended.

    A holder on another host cannot be checked from here: it is never called dead.

    Examples
    --------
    >>> holder_is_dead(f"{socket.gethostname()}:{os.getpid()}:x")
    False
    >>> holder_is_dead("elsewhere:1:x", host="here")
    False
    >>> holder_is_dead("garbled")
    False
    """
    name, _, rest = holder.partition(":")
    pid, _, _ = rest.partition(":")
    if name != (host or socket.gethostname()) or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def _take_lease(db: Database, holder: str, settings: Settings) -> None:
    current = lease_holder(db)
    stale = [current] if current is not None and holder_is_dead(current) else []
    lease = take_lease(db, holder, seconds=settings.compute_lease_s, stale=stale)
    if not lease.taken:
        raise ConflictError(
            "another compute is running on this database; wait for it to finish",
            details={
                "holder": lease.holder,
                "since": lease.taken_at,
                "lease_expires": lease.expires_at,
            },
        )


def _run_steps(
    db: Database,
    settings: Settings,
    holder: str,
    engine_mode: EngineMode,
    only: set[str] | None,
) -> tuple[str, list[StepReport]]:
    inputs = ComputeInputs(db)  # the flows, read once for every step of the run
    engine = select_engine(db, engine_mode, inputs)
    try:
        reports = []
        for name, step in COMPUTE_STEPS:
            if only is not None and name not in only:
                continue
            _take_lease(db, holder, settings)  # renewed at every step
            start = time.perf_counter()
            started_at = datetime.now(UTC)
            run_id = new_run_id(started_at)
            collected = collect_garbage(db, name, run_id)
            report = step(db, engine, settings, run_id, run_inputs=inputs)
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
    finally:
        engine.close()  # the GDS engine's in-memory graphs, whatever happened
    return engine.name, reports
