"""The ``events`` compute step: run the detectors on what Neo4j holds and store new events.

The detectors are pure (:mod:`algorithms.events`); this module reads their inputs
through the graph layer's queries (:mod:`graph.events`), stores the detected events
and queues them for push (:mod:`services.webhooks`).
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from algorithms.events import (
    FLOW_COLUMNS,
    SNAPSHOT_COLUMNS,
    DetectedEvent,
    EventConfig,
    detect_flow_events,
    detect_segment_downgrades,
    diff_controllers,
    group_risk_events,
)
from algorithms.flow_views import customer_flows
from core.codes import EVENT_TYPES
from core.messages import to_json
from core.settings import Settings
from graph.compute_runs import published_runs
from graph.database import Database
from graph.events import (
    HAS_GROUP_RESULTS,
    READ_CONTROLLER_SNAPSHOT,
    READ_MEMBERSHIPS,
    READ_SNAPSHOTS,
    WRITE_CONTROLLER_SNAPSHOT,
    WRITE_EVENTS,
)

from .compute_inputs import ComputeInputs
from .engines import GraphEngine
from .steps import StepReport

logger = logging.getLogger(__name__)


def event_config(settings: Settings) -> EventConfig:
    """The detector thresholds from the settings."""
    return EventConfig(
        flow_rule=settings.events_flow_rule,
        flow_ratio=settings.events_flow_ratio,
        flow_zscore=settings.events_flow_zscore,
        zscore_min_ratio=settings.events_zscore_min_ratio,
        high_ratio=settings.events_high_ratio,
        min_history_months=settings.events_min_history_months,
        counterparty_share=settings.events_counterparty_share,
        high_share=settings.events_high_share,
        loss_min_months=settings.events_loss_min_months,
        new_min_months=settings.events_new_min_months,
        dormancy_months=settings.events_dormancy_months,
        currency=settings.events_currency,
        history_margin=settings.events_flow_history_margin,
        side_share=settings.events_side_share,
        loss_min_regularity=settings.events_loss_min_regularity,
    )


def read_flows(
    db: Database, currency: str, run_inputs: ComputeInputs | None = None
) -> pd.DataFrame:
    """Monthly flows of every customer in ``currency`` (:data:`FLOW_COLUMNS`), cut from
    the run's one read of the flows (``run_inputs``; read here when not given)."""
    return customer_flows((run_inputs or ComputeInputs(db)).flows(), currency).loc[
        :, list(FLOW_COLUMNS)
    ]


def read_snapshots(db: Database) -> pd.DataFrame:
    """Every customer's segment snapshots (:data:`SNAPSHOT_COLUMNS`)."""
    rows = db.read_columns(READ_SNAPSHOTS, ("snapshot",))["snapshot"]
    return pd.DataFrame(rows, columns=list(SNAPSHOT_COLUMNS))


def _group_events(
    db: Database, detected: list[DetectedEvent], month: str, run_id: str | None
) -> tuple[list[DetectedEvent], dict[str, int]]:
    """``controller_change`` and ``group_risk`` events, when group results exist.

    Groups are those of the published group-risk run; the controllers are compared
    with the snapshot of the published events run, and this run's snapshot is
    stored under ``run_id`` (nothing is stored when ``run_id`` is ``None``).
    """
    runs = published_runs(db, ("group_risk", "events")).parameters()
    row = db.read_one(HAS_GROUP_RESULTS, runs)
    if row is None or not row["groups"]:
        logger.info(
            "no group-risk results (MEMBER_OF): controller_change and group_risk skipped; "
            "run `corpgraph compute --only group_risk` first"
        )
        return [], {"skipped (no groups)": 1}
    memberships: dict[str, set[str]] = defaultdict(set)
    controllers: dict[str, str] = {}
    for r in db.read(READ_MEMBERSHIPS, runs):
        memberships[str(r["customer_id"])].add(str(r["unit"]))
        if r["controller"] is not None:
            controllers[str(r["customer_id"])] = str(r["controller"])
    stored = db.read_one(READ_CONTROLLER_SNAPSHOT, runs)
    changes: list[DetectedEvent] = []
    if stored is not None and stored["snapshot"]:
        changes = diff_controllers(json.loads(str(stored["snapshot"])), controllers, month)
    if run_id is not None:
        db.write(
            WRITE_CONTROLLER_SNAPSHOT,
            {"snapshot": json.dumps(controllers, sort_keys=True), "run_id": run_id},
        )
    spread = group_risk_events([*detected, *changes], memberships)
    return [*changes, *spread], {}


def _rows(events: list[DetectedEvent]) -> list[dict[str, Any]]:
    return [
        {
            "event_id": e.event_id,
            "type": e.type,
            "severity": e.severity,
            "customer_id": e.customer_id,
            "month": e.month,
            "evidence_json": json.dumps(e.evidence, sort_keys=True, ensure_ascii=False),
            "explanation": to_json([e.explanation]),
            "suggested_action": e.suggested_action,
            "counterparty_id": e.counterparty_id,
            "related": list(e.related),
        }
        for e in events
    ]


def detect_events(
    db: Database,
    settings: Settings,
    run_id: str | None = None,
    run_inputs: ComputeInputs | None = None,
) -> tuple[list[DetectedEvent], dict[str, int]]:
    """Run every detector on what Neo4j holds now; also the notes for the step report.

    The only write is the controller snapshot (under ``run_id``; none without one)
    that the next ``controller_change`` comparison starts from. The flows are the
    run's (``run_inputs``).
    """
    config = event_config(settings)
    flows = read_flows(db, config.currency, run_inputs)
    detected = detect_flow_events(flows, config)
    detected += detect_segment_downgrades(read_snapshots(db))
    last_month = (
        str(flows["month"].max()) if not flows.empty else datetime.now(UTC).strftime("%Y-%m")
    )
    if run_inputs is not None:  # steps run at once: the groups of this run first
        run_inputs.await_published("group_risk")
    extra, notes = _group_events(db, detected, last_month, run_id)
    return [*detected, *extra], notes


def compute_events(
    db: Database,
    engine: GraphEngine,
    settings: Settings,
    run_id: str,
    /,
    *,
    run_inputs: ComputeInputs | None = None,
) -> StepReport:
    """The ``events`` compute step: detect and store new events under ``run_id``.

    The runner queues them for push once the run is published (:mod:`services.compute`).
    """
    events, notes = detect_events(db, settings, run_id, run_inputs)
    webhooks = bool(settings.webhook_urls) and settings.webhook_secret is not None
    counters = db.write_rows(
        WRITE_EVENTS,
        _rows(events),
        extra_parameters={
            "now_ms": int(time.time() * 1000),
            "webhooks": webhooks,
            "run_id": run_id,
            "published_run": published_runs(db, ("events",)).events,
        },
    )
    counts: dict[str, int] = {"detected": len(events), "new events": counters.nodes_created}
    by_type: dict[str, int] = defaultdict(int)
    for e in events:
        by_type[e.type] += 1
    counts.update({f"detected {t}": by_type[t] for t in EVENT_TYPES if by_type[t]})
    counts.update(notes)
    logger.info(
        "events: %d detected, %d new (%s engine not used)",
        len(events),
        counters.nodes_created,
        engine.name,
    )
    return StepReport("events", counts)
