"""``target_at_risk`` events: a unit likely to miss its target, raised to its manager.

They live in the one event store (``(:Event)`` nodes, pushed by the webhook
worker like every other event), but an event about a *unit* is ``ABOUT`` the unit
itself — the ``(:Branch)`` or the ``(:RelationshipManager)`` — not a customer, so
the customer event lists (which match ``ABOUT`` a ``Company``) do not show it.

- **Idempotent:** one event per target (``event_id`` is ``target_at_risk|`` and the
  target's key), created once with the evidence of the day it was first raised;
  recomputing creates nothing and never touches its status or history.
- **To the manager:** ``branch_id`` is the manager's branch — an RM's branch, or a
  branch's parent (the head office's own for the root) — so the event is scoped to
  the managers who oversee the unit.
- Its run stamp is empty: it is not part of a compute run, so readers show it at once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final, LiteralString

from .branches import BranchScope, scope_predicate
from .database import Database, Reader

EVENT_TYPE: Final = "target_at_risk"

WRITE_TARGET_EVENTS: Final[LiteralString] = """
UNWIND $rows AS row
OPTIONAL MATCH (b:Branch {branch_id: row.scope_id}) WHERE row.scope_type = 'branch'
OPTIONAL MATCH (m:RelationshipManager {rm_id: row.scope_id}) WHERE row.scope_type = 'rm'
WITH row, coalesce(b, m) AS unit WHERE unit IS NOT NULL
MERGE (e:Event {event_id: row.event_id})
ON CREATE SET e.type = 'target_at_risk', e.severity = row.severity, e.month = row.month,
    e.evidence_json = row.evidence_json, e.explanation = row.explanation,
    e.suggested_action = null, e.counterparty_id = null, e.related = [],
    e.status = 'new', e.owner_rm_id = null, e.branch_id = row.manager_branch_id,
    e.scope_type = row.scope_type, e.scope_id = row.scope_id, e.target_id = row.target_id,
    e.created_ms = $now_ms, e.created_at = datetime({epochMillis: $now_ms}),
    e.history = [], e.webhook_enqueue = $webhooks
MERGE (e)-[:ABOUT]->(unit)
"""
LIST_TARGET_EVENTS: Final[LiteralString] = (
    "MATCH (e:Event {type: 'target_at_risk'}) WHERE "
    + scope_predicate("e")
    + " AND ($period IS NULL OR e.month = $period) "
    "RETURN e.event_id AS event_id, e.scope_type AS scope_type, e.scope_id AS scope_id, "
    "e.target_id AS target_id, e.branch_id AS manager_branch_id, e.severity AS severity, "
    "e.month AS period, e.status AS status, e.evidence_json AS evidence_json, "
    "e.explanation AS explanation ORDER BY e.event_id"
)


@dataclass(frozen=True)
class TargetRiskRow:
    """One event to raise (the row :data:`WRITE_TARGET_EVENTS` writes)."""

    target_id: str
    scope_type: str
    scope_id: str
    manager_branch_id: str | None
    period: str
    severity: str
    evidence: dict[str, Any]
    #: Catalogue JSON (:func:`core.messages.to_json`).
    explanation: str

    @property
    def event_id(self) -> str:
        return f"{EVENT_TYPE}|{self.target_id}"


@dataclass(frozen=True)
class TargetRiskEvent:
    """A stored ``target_at_risk`` event."""

    event_id: str
    scope_type: str
    scope_id: str
    target_id: str
    manager_branch_id: str | None
    severity: str
    period: str
    status: str
    evidence: dict[str, Any]
    explanation: str


def write_target_events(
    db: Database, rows: list[TargetRiskRow], *, now_ms: int, webhooks: bool
) -> int:
    """Create the events not yet raised; the number created (0 on a recompute)."""
    return db.write_rows(
        WRITE_TARGET_EVENTS,
        (
            {
                "event_id": r.event_id,
                "target_id": r.target_id,
                "scope_type": r.scope_type,
                "scope_id": r.scope_id,
                "manager_branch_id": r.manager_branch_id,
                "month": r.period,
                "severity": r.severity,
                "evidence_json": json.dumps(r.evidence, sort_keys=True, ensure_ascii=False),
                "explanation": r.explanation,
            }
            for r in rows
        ),
        extra_parameters={"now_ms": now_ms, "webhooks": webhooks},
    ).nodes_created


def list_target_events(
    db: Reader, scope: BranchScope, period: str | None = None
) -> list[TargetRiskEvent]:
    """The ``target_at_risk`` events of the managers in ``scope``."""
    return [
        TargetRiskEvent(
            str(r["event_id"]),
            str(r["scope_type"]),
            str(r["scope_id"]),
            str(r["target_id"]),
            r["manager_branch_id"],
            str(r["severity"]),
            str(r["period"]),
            str(r["status"]),
            json.loads(r["evidence_json"] or "{}"),
            str(r["explanation"] or ""),
        )
        for r in db.read(LIST_TARGET_EVENTS, {**scope.parameters(), "period": period})
    ]
