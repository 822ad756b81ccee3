"""``corpgraph compute``: run every analytics step and store its results in Neo4j.

A step is a function ``(db, engine, settings, run_id) -> StepReport``. Steps are
listed in :data:`COMPUTE_STEPS`. Prospects and events read the groups that
``group_risk`` publishes; the other steps read loaded data only.

Each step runs as one compute run (:mod:`graph.compute_runs`): the runner gives it
a new run id, first collects the step's rows of runs older than the previous
published one (and of failed runs), lets the step write everything under the new
id, and then publishes it by switching the step's one pointer. A step that fails
or is killed publishes nothing: readers keep seeing the run before, and its
partial rows are collected by the step's next run. ``--only`` runs and publishes
only the named steps (the others' published runs are what they read).

**Steps run at once.** The collection of old rows linked to companies runs
first, for every step, one statement after another (it deletes relationships of
``Company`` nodes, which must not race the steps' writes); each step collects its
results without relationships itself, beside the others. Then up to
``compute_concurrent_steps`` steps run in threads (in :data:`START_ORDER`): a step
spends about half its time waiting on Neo4j, so another one computes meanwhile.
A step that reads another's results waits for it to publish just before that read
(:meth:`~services.compute_inputs.ComputeInputs.await_published`), so its work
before overlaps: prospects compute influence and supply chains while the groups
are computed. The steps share the run's reads
(:class:`~services.compute_inputs.ComputeInputs`) and one engine whose calls take
turns (:class:`~services.engines.SerialisedEngine`).
Writes of concurrent steps that lock the same company are retried by the driver's
managed transactions (a deadlock is a transient error); every batch is idempotent
or created under the step's own run id. When a step fails, the steps not started
are skipped, the running ones finish without publishing, and the first failure is
raised (an interrupted compute, too, publishes nothing more).

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
import threading
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
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

from .compute_inputs import ComputeInputs, PrerequisiteFailedError
from .engines import EngineMode, SerialisedEngine, select_engine
from .events import compute_events
from .group_risk import compute_group_risk
from .interdependence import compute_interdependence
from .prospects import compute_prospects
from .related_parties import compute_related_parties
from .steps import ComputeStep, StepReport
from .webhooks import enqueue_new_events

logger = logging.getLogger(__name__)


#: (name, step), in the order of the reports (and of a run on one thread).
COMPUTE_STEPS: Final[tuple[tuple[str, ComputeStep], ...]] = (
    ("group_risk", compute_group_risk),
    ("interdependence", compute_interdependence),
    ("prospects", compute_prospects),
    ("events", compute_events),
    ("related_parties", compute_related_parties),
)

#: Which ready step starts first when a thread is free: the longest first, so that the
#: short ones fill the gaps (prospects take about twice any other step).
START_ORDER: Final[tuple[str, ...]] = (
    "group_risk",
    "prospects",
    "related_parties",
    "interdependence",
    "events",
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
    engine = SerialisedEngine(select_engine(db, engine_mode, inputs))
    selected = [(n, step) for n, step in COMPUTE_STEPS if only is None or n in only]
    try:
        # Old rows linked to companies first, one step after another, before any step
        # writes (module docstring); each step collects its standalone results itself.
        run_ids: dict[str, str] = {}
        collected: dict[str, int] = {}
        for name, _ in selected:
            run_ids[name] = new_run_id()
            collected[name] = collect_garbage(db, name, run_ids[name], standalone=False)
        runner = _StepRunner(db, engine, settings, holder, inputs, run_ids, collected)
        reports = runner.run(selected, settings.compute_concurrent_steps)
    finally:
        engine.close()  # the GDS engine's in-memory graphs, whatever happened
    return engine.name, reports


class _StepRunner:
    """Runs the selected steps on a thread pool, each once the steps it needs published."""

    def __init__(
        self,
        db: Database,
        engine: SerialisedEngine,
        settings: Settings,
        holder: str,
        inputs: ComputeInputs,
        run_ids: dict[str, str],
        collected: dict[str, int],
    ) -> None:
        self.db = db
        self.engine = engine
        self.settings = settings
        self.holder = holder
        self.inputs = inputs
        self.run_ids = run_ids
        self.collected = collected
        # Set when a step failed: a running step then publishes nothing more.
        self.failed = threading.Event()

    def run(self, selected: list[tuple[str, ComputeStep]], workers: int) -> list[StepReport]:
        names = [name for name, _ in selected]
        starts = sorted(names, key=START_ORDER.index)
        self.inputs.expect(names)
        waiting = dict(selected)
        done: dict[str, StepReport] = {}
        running: dict[Future[StepReport], str] = {}
        failure: BaseException | None = None
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="compute") as pool:
            try:
                while failure is None and (waiting or running):
                    for name in [n for n in starts if n in waiting][: workers - len(running)]:
                        running[pool.submit(self.run_step, name, waiting.pop(name))] = name
                    finished, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in finished:
                        name = running.pop(future)
                        error = future.exception()
                        if error is not None:
                            # A prerequisite's own failure explains more than its dependants'.
                            if failure is None or isinstance(failure, PrerequisiteFailedError):
                                failure = error
                        else:
                            done[name] = future.result()
                if failure is not None:
                    raise failure
            except BaseException:
                # The steps still running finish but publish nothing (the pool waits).
                self.failed.set()
                raise
        return [done[name] for name in names]

    def run_step(self, name: str, step: ComputeStep) -> StepReport:
        """Run one step, publish it, and report (in a worker thread)."""
        published = False
        try:
            report = self._run_and_publish(name, step)
            published = report.run_id is not None
            return report
        finally:
            self.inputs.settle(name, published=published)

    def _run_and_publish(self, name: str, step: ComputeStep) -> StepReport:
        db, settings = self.db, self.settings
        _take_lease(db, self.holder, settings)  # renewed at every step
        start = time.perf_counter()
        started_at = datetime.now(UTC)
        run_id = self.run_ids[name]
        collected = self.collected[name] + collect_garbage(db, name, run_id, standalone=True)
        report = step(db, self.engine, settings, run_id, run_inputs=self.inputs)
        if self.failed.is_set():  # the compute failed meanwhile: nothing more is published
            logger.warning("compute step %s finished after a failure; not published", name)
            return replace(report, run_id=None)
        publish(db, name, run_id, started_at=started_at, engine=self.engine.name)
        counts = dict(report.counts)
        if collected:
            counts["old rows collected"] = collected
        if name == "events" and settings.webhook_urls and settings.webhook_secret is not None:
            # Only published events are pushed: a receiver never hears of an event that
            # a failed run detected and no reader was shown.
            counts["webhooks enqueued"] = enqueue_new_events(db, settings)
        seconds = time.perf_counter() - start
        logger.info("compute step %s done in %.1fs (run %s)", name, seconds, run_id)
        return replace(report, counts=counts, seconds=seconds, run_id=run_id)
