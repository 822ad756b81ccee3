"""Compute runs: every result is written under a run id and published by one pointer.

Why
---
``corpgraph compute`` rewrites groups, circles, dependencies, prospects and events
while the API serves them. Writing in place (``MERGE`` then delete what is stale)
lets a request read half of one run and half of the next. Instead:

- each step of each run gets a **run id** (:func:`new_run_id`: opaque, and ordered
  by time as a string, so ``a < b`` means ``a`` started first);
- every result the step stores carries that id (a ``run_id`` property on a node or
  relationship that belongs to the run alone; see :data:`RUN_SCOPED`);
- when the step has written everything, **one small transaction** switches the
  step's pointer ``(:ComputeRun {step})``: ``current_run_id`` becomes the new run,
  ``previous_run_id`` the one before, with ``finished_at`` and ``engine``;
- readers resolve the pointer (:func:`published_runs`) and read only rows of the
  current run. An answer made of several queries resolves the pointer once and
  passes the same run id to each, so the whole answer is one run's: a published
  run's rows never change, and they are kept until two newer runs have published
  (the *previous* run stays for readers that resolved the pointer just before a
  switch);
- the next run of a step first **collects** (:func:`collect_garbage`) every row of
  that step whose run id is neither the current nor the previous one, in batched
  deletes. A run that failed or was killed never moved the pointer, so readers
  never saw its rows, and they are collected the same way.

Results that used to be properties of shared nodes (a company's control status,
its influence scores, its prospect score) moved to run-scoped nodes that name the
company: ``(:ControlResult {run_id, company_id})`` and
``(:CompanyResult {run_id, company_id})``. Versioning the properties on the
company itself would need a property name per run; a node per company and run is
the simplest thing that can be switched by the pointer and collected by label.

Events are different: they are stateful facts (acknowledged, linked to an
opportunity) whose identity must survive runs. An event keeps the ``run_id`` of
the run that first detected it and readers show an event only when that run is
published (``run_id <= current``, run ids being ordered). See :mod:`graph.events`.

Runs must not overlap: a run collects everything but the current and the previous
published runs, so a second compute would delete the first one's rows. One compute
at a time holds the store's **compute lease** (:func:`take_lease`): a single
``(:ComputeLease {key: 'compute'})`` node naming its holder and an expiry, taken
under the node's write lock, renewed at every step and released at the end.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, LiteralString

from .database import Database, Reader

logger = logging.getLogger(__name__)

#: The compute steps that publish results, in run order.
STEPS: Final[tuple[str, ...]] = (
    "group_risk",
    "interdependence",
    "prospects",
    "events",
    "related_parties",
)

READ_POINTERS: Final[LiteralString] = (
    "MATCH (p:ComputeRun) WHERE p.step IN $steps "
    "RETURN p.step AS step, p.current_run_id AS current, p.previous_run_id AS previous, "
    "p.finished_at AS finished_at, p.engine AS engine"
)
#: Publishing: the only statement that makes a run visible. One node, one small transaction.
PUBLISH: Final[LiteralString] = """
MERGE (p:ComputeRun {step: $step})
SET p.previous_run_id = CASE WHEN p.current_run_id = $run_id THEN p.previous_run_id
                             ELSE p.current_run_id END,
    p.current_run_id = $run_id, p.finished_at = datetime($finished_at),
    p.started_at = datetime($started_at), p.engine = $engine
RETURN p.previous_run_id AS previous
"""

#: An event is shown once the run that detected it is published (run ids sort by time);
#: events stored before compute runs existed have no run id and are always shown.
EVENT_PUBLISHED: Final[LiteralString] = "(e.run_id IS NULL OR e.run_id <= $event_run)"

#: Run-scoped results per step: (label or relationship type, is a relationship).
#: Relationships that hang off a run-scoped node (``MEMBER_OF``, ``IN_CIRCLE``) go with it.
RUN_SCOPED: Final[dict[str, tuple[tuple[str, bool], ...]]] = {
    "group_risk": (
        ("CONTROL_CLAIM", True),
        ("ControlResult", False),
        ("Group", False),
        ("GuaranteeCircle", False),
        ("GuaranteeChain", False),
    ),
    "interdependence": (("DEPENDS_ON", True), ("InterdependenceRule", False)),
    "prospects": (("CompanyResult", False),),
    "events": (("EventsSnapshot", False),),
    "related_parties": (("SuspectedRelation", False),),
}


def _collect_nodes(label: LiteralString) -> LiteralString:
    return (
        "MATCH (n:" + label + ") WHERE n.run_id IS NULL OR NOT n.run_id IN $keep "
        "CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS"
    )


def _collect_relationships(rel_type: LiteralString) -> LiteralString:
    return (
        "MATCH ()-[r:" + rel_type + "]->() WHERE r.run_id IS NULL OR NOT r.run_id IN $keep "
        "CALL (r) { DELETE r } IN TRANSACTIONS OF 10000 ROWS"
    )


#: The GC statements, built from the allowlist above (never from input).
COLLECT: Final[dict[str, tuple[LiteralString, ...]]] = {
    "group_risk": (
        _collect_relationships("CONTROL_CLAIM"),
        _collect_nodes("Group"),
        _collect_nodes("GuaranteeCircle"),
        _collect_nodes("GuaranteeChain"),
    ),
    "interdependence": (
        _collect_relationships("DEPENDS_ON"),
        _collect_nodes("InterdependenceRule"),
    ),
    "prospects": (),
    "events": (_collect_nodes("EventsSnapshot"),),
    "related_parties": (),
}
#: The results whose nodes have no relationship (one row per company or pair, keyed by
#: ids): deleting them locks no other node, so it runs beside other steps' writes
#: (``standalone=True`` in :func:`collect_garbage`). They are most of the rows.
COLLECT_STANDALONE: Final[dict[str, tuple[LiteralString, ...]]] = {
    "group_risk": (_collect_nodes("ControlResult"),),
    "interdependence": (),
    "prospects": (_collect_nodes("CompanyResult"),),
    "events": (),
    "related_parties": (_collect_nodes("SuspectedRelation"),),
}
#: Events detected by a run that never published (and so were never shown) are dropped;
#: the next run detects them again under its own id.
COLLECT_UNPUBLISHED_EVENTS: Final[LiteralString] = (
    "MATCH (e:Event) WHERE e.run_id IS NOT NULL AND e.run_id <> $run_id "
    "AND ($current IS NULL OR e.run_id > $current) "
    "AND coalesce(e.status, 'new') = 'new' AND size(coalesce(e.history, [])) = 0 "
    "AND e.opportunity_id IS NULL "
    "CALL (e) { DETACH DELETE e } IN TRANSACTIONS OF 5000 ROWS"
)


def new_run_id(now: datetime | None = None) -> str:
    """An opaque run id that sorts by start time (UTC, microseconds, then random).

    Examples
    --------
    >>> a = new_run_id(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    >>> a[:22], len(a)
    ('R20260102T030405000000', 31)
    >>> a < new_run_id(datetime(2026, 1, 2, 3, 4, 6, tzinfo=UTC))
    True
    """
    at = now or datetime.now(UTC)
    return f"R{at:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class PublishedRun:
    """The run a step's readers see, and the one before it."""

    step: str
    run_id: str | None
    previous_run_id: str | None = None
    finished_at: datetime | None = None
    engine: str | None = None


@dataclass(frozen=True)
class PublishedRuns:
    """Every step's published run, resolved once for one answer."""

    by_step: dict[str, PublishedRun]

    def of(self, step: str) -> PublishedRun:
        return self.by_step.get(step) or PublishedRun(step, None)

    def run_id(self, step: str) -> str | None:
        return self.of(step).run_id

    @property
    def group_risk(self) -> str | None:
        return self.run_id("group_risk")

    @property
    def interdependence(self) -> str | None:
        return self.run_id("interdependence")

    @property
    def prospects(self) -> str | None:
        return self.run_id("prospects")

    @property
    def events(self) -> str | None:
        return self.run_id("events")

    def parameters(self) -> dict[str, str | None]:
        """``$group_run``, ``$dependency_run``, ``$prospect_run`` and ``$event_run``."""
        return {
            "group_run": self.group_risk,
            "dependency_run": self.interdependence,
            "prospect_run": self.prospects,
            "event_run": self.events,
        }


def run_fields(runs: PublishedRuns, step: str) -> dict[str, Any]:
    """``run_id`` and ``computed_at`` of a list answer (:class:`core.pagination.Page`)."""
    run = runs.of(step)
    return {"run_id": run.run_id, "computed_at": run.finished_at}


def _as_datetime(value: object) -> datetime | None:
    if value is None:
        return None
    to_native = getattr(value, "to_native", None)
    native = to_native() if callable(to_native) else value
    return native if isinstance(native, datetime) else None


def published_runs(db: Reader, steps: tuple[str, ...] = STEPS) -> PublishedRuns:
    """Every step's pointer in one read (a step never published has ``run_id`` ``None``)."""
    return runs_from_rows(db.read(READ_POINTERS, {"steps": list(steps)}))


def runs_from_rows(rows: Iterable[Mapping[str, Any]]) -> PublishedRuns:
    """The answer of :data:`READ_POINTERS` (run inside a caller's own transaction)."""
    return PublishedRuns(
        {
            str(r["step"]): PublishedRun(
                str(r["step"]),
                r["current"],
                r["previous"],
                _as_datetime(r["finished_at"]),
                r["engine"],
            )
            for r in rows
        }
    )


def publish(db: Database, step: str, run_id: str, *, started_at: datetime, engine: str) -> None:
    """Switch ``step``'s pointer to ``run_id``: from now on readers see this run."""
    db.write(
        PUBLISH,
        {
            "step": step,
            "run_id": run_id,
            "started_at": started_at.isoformat(),
            "finished_at": datetime.now(UTC).isoformat(),
            "engine": engine,
        },
    )
    logger.info("compute step %s published run %s", step, run_id)


def collect_garbage(db: Database, step: str, run_id: str, *, standalone: bool | None = None) -> int:
    """Delete ``step``'s rows of every run but the current, the previous and ``run_id``.

    Returns how many nodes and relationships went. Batched: a large run never needs
    one large transaction. ``standalone`` limits it to the results without
    relationships (:data:`COLLECT_STANDALONE`, ``True``) or to the others (``False``);
    ``None`` collects both.
    """
    pointer = published_runs(db, (step,)).of(step)
    keep = [r for r in (pointer.run_id, pointer.previous_run_id, run_id) if r is not None]
    statements = (*(() if standalone is False else COLLECT_STANDALONE[step]),) + (
        () if standalone is True else COLLECT[step]
    )
    deleted = 0
    for statement in statements:
        counters = db.run_autocommit(statement, {"keep": keep})
        deleted += counters.nodes_deleted + counters.relationships_deleted
    if step == "events" and standalone is not True:
        counters = db.run_autocommit(
            COLLECT_UNPUBLISHED_EVENTS, {"run_id": run_id, "current": pointer.run_id}
        )
        deleted += counters.nodes_deleted
    if deleted:
        logger.info("compute step %s: collected %d rows of old or failed runs", step, deleted)
    return deleted


# --- the compute lease: one compute at a time -------------------------------------------------
#: Take the lease if it is free, expired, or named in ``$stale`` (a holder known to be
#: dead); the first SET takes the node's write lock, so two computes never both win.
TAKE_LEASE: Final[LiteralString] = """
MERGE (l:ComputeLease {key: 'compute'})
SET l.checked_at = datetime($now)
WITH l, l.holder AS previous, (l.holder IS NULL OR l.holder = $holder OR l.holder IN $stale
         OR l.expires_at < datetime($now)) AS free
SET l.holder = CASE WHEN free THEN $holder ELSE previous END,
    l.taken_at = CASE WHEN NOT free THEN l.taken_at
                      WHEN previous = $holder THEN coalesce(l.taken_at, datetime($now))
                      ELSE datetime($now) END,
    l.expires_at = CASE WHEN free THEN datetime($expires) ELSE l.expires_at END
RETURN free, l.holder AS holder, toString(l.taken_at) AS taken_at,
       toString(l.expires_at) AS expires_at
"""
READ_LEASE: Final[LiteralString] = (
    "MATCH (l:ComputeLease {key: 'compute'}) RETURN l.holder AS holder"
)
RELEASE_LEASE: Final[LiteralString] = (
    "MATCH (l:ComputeLease {key: 'compute'}) WHERE l.holder = $holder "
    "SET l.holder = null, l.expires_at = null, l.taken_at = null"
)


@dataclass(frozen=True)
class Lease:
    """The answer to taking the lease: whether this holder has it, and who does."""

    taken: bool
    holder: str | None
    taken_at: str | None
    expires_at: str | None


def lease_holder(db: Database) -> str | None:
    """Who holds the compute lease now (expired or not), or ``None``."""
    row = db.read_one(READ_LEASE)
    return None if row is None or row["holder"] is None else str(row["holder"])


def take_lease(db: Database, holder: str, *, seconds: float, stale: Iterable[str] = ()) -> Lease:
    """Take or renew the compute lease for ``seconds``; ``stale`` holders are known dead."""
    now = datetime.now(UTC)
    rows = db.write_returning(
        TAKE_LEASE,
        {
            "holder": holder,
            "stale": list(stale),
            "now": now.isoformat(),
            "expires": (now + timedelta(seconds=seconds)).isoformat(),
        },
    )
    row = rows[0]  # MERGE always returns its one row
    return Lease(bool(row["free"]), row["holder"], row["taken_at"], row["expires_at"])


def release_lease(db: Database, holder: str) -> None:
    """Give the lease back (a no-op if ``holder`` no longer has it)."""
    db.write(RELEASE_LEASE, {"holder": holder})
