"""Major events in Neo4j: detect them in ``corpgraph compute``, store, list and update them.

:func:`compute_events` (the ``events`` compute step):

1. reads each customer's monthly flows (``PAYS`` in :attr:`Settings.events_currency`)
   and segment snapshots, and runs :mod:`algorithms.events`;
2. when group-risk results exist (``MEMBER_OF`` → ``Group``), compares each
   customer's group controller with the one stored at the previous compute
   (``controller_change``) and spreads risk events to the other members of a group
   or guarantee circle (``group_risk``); without them both are skipped with a log
   line;
3. ``MERGE``\\s ``(:Event {event_id})-[:ABOUT]->(:Company)``. Ids are deterministic,
   so a second compute creates nothing, and an existing event's status and history
   are never touched;
4. enqueues new events for the configured webhooks and attempts delivery
   (:mod:`graph.webhooks`).

Events are scoped through the customer they are ``ABOUT``: a caller sees an event
only when its customer is in the caller's branch subtree.
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, LiteralString

import pandas as pd

from algorithms.events import (
    EVENT_TYPES,
    FLOW_COLUMNS,
    SNAPSHOT_COLUMNS,
    STATUSES,
    DetectedEvent,
    EventConfig,
    detect_flow_events,
    detect_segment_downgrades,
    diff_controllers,
    group_risk_events,
)
from corpgraph.errors import InputValidationError, NotFoundError

from .branches import BranchScope, scope_predicate
from .customers import money
from .database import Database
from .engines import GraphEngine
from .scoping import Anonymiser, anonymiser_for
from .settings import Settings

if TYPE_CHECKING:  # compute imports this module to register the step
    from .compute import StepReport

logger = logging.getLogger(__name__)

# --- inputs ---------------------------------------------------------------------------------
#: Read as columns (:meth:`Database.read_columns`): no column may be null.
READ_FLOWS: Final[LiteralString] = """
MATCH (c:Customer)-[r:PAYS]->(o:Company) WHERE r.currency = $currency
RETURN c.company_id AS customer_id, o.company_id AS counterparty_id, r.month AS month,
       'out' AS direction, coalesce(r.amount_minor, 0) AS amount_minor
UNION ALL
MATCH (o:Company)-[r:PAYS]->(c:Customer) WHERE r.currency = $currency
RETURN c.company_id AS customer_id, o.company_id AS counterparty_id, r.month AS month,
       'in' AS direction, coalesce(r.amount_minor, 0) AS amount_minor
"""
READ_SNAPSHOTS: Final[LiteralString] = (
    "MATCH (c:Customer)-[:HAS_SEGMENT]->(s:SegmentSnapshot) "
    "RETURN c.company_id AS customer_id, toString(s.as_of) AS as_of, s.segment AS segment"
)
READ_MEMBERSHIPS: Final[LiteralString] = """
MATCH (c:Customer)-[m:MEMBER_OF]->(g:Group)
RETURN c.company_id AS customer_id, 'group:' + g.group_id AS unit,
       CASE WHEN coalesce(m.primary, true) THEN g.controller_id END AS controller
UNION ALL
MATCH (c:Customer)-[:IN_CIRCLE]->(k:GuaranteeCircle)
RETURN c.company_id AS customer_id, 'circle:' + k.circle_id AS unit, null AS controller
"""
HAS_GROUP_RESULTS: Final[LiteralString] = (
    "RETURN EXISTS { MATCH (:Company)-[:MEMBER_OF]->(:Group) } AS groups"
)
READ_CONTROLLER_SNAPSHOT: Final[LiteralString] = (
    "MATCH (m:CorpgraphMeta {key: 'events.controllers'}) RETURN m.controllers_json AS snapshot"
)
WRITE_CONTROLLER_SNAPSHOT: Final[LiteralString] = (
    "MERGE (m:CorpgraphMeta {key: 'events.controllers'}) "
    "SET m.controllers_json = $snapshot, m.updated_at = datetime()"
)

# --- writes ---------------------------------------------------------------------------------
#: Creates an event once; on a later compute nothing of an existing event changes.
WRITE_EVENTS: Final[LiteralString] = """
UNWIND $rows AS row
MATCH (c:Company {company_id: row.customer_id})
MERGE (e:Event {event_id: row.event_id})
ON CREATE SET e.type = row.type, e.severity = row.severity, e.customer_id = row.customer_id,
    e.month = row.month, e.evidence_json = row.evidence_json, e.explanation = row.explanation,
    e.suggested_action = row.suggested_action, e.counterparty_id = row.counterparty_id,
    e.related = row.related, e.status = 'new', e.owner_rm_id = c.rm_id,
    e.branch_id = c.branch_id, e.created_ms = $now_ms,
    e.created_at = datetime({epochMillis: $now_ms}), e.history = [],
    e.webhook_enqueue = $webhooks
MERGE (e)-[:ABOUT]->(c)
"""

# --- reads for the API ----------------------------------------------------------------------
EVENT_FIELDS: Final[LiteralString] = (
    "e.event_id AS id, e.type AS type, e.severity AS severity, e.month AS month, "
    "e.status AS status, e.evidence_json AS evidence_json, e.explanation AS explanation, "
    "e.suggested_action AS suggested_action, e.counterparty_id AS counterparty_id, "
    "e.owner_rm_id AS owner_rm_id, e.created_ms AS created_ms, e.history AS history, "
    "e.related AS related, c.company_id AS customer_id, c.name AS customer_name, "
    "c.branch_id AS branch_id, c.rm_id AS rm_id"
)
LIST_MATCH: Final[LiteralString] = (
    "MATCH (e:Event)-[:ABOUT]->(c:Company) WHERE " + scope_predicate("c") + " "
    "AND ($type IS NULL OR e.type = $type) "
    "AND ($status IS NULL OR e.status = $status) "
    "AND ($severity IS NULL OR e.severity = $severity) "
    "AND ($month IS NULL OR e.month = $month) "
    "AND ($customer IS NULL OR c.company_id = $customer) "
    "AND ($rm IS NULL OR e.owner_rm_id = $rm) "
    "AND ($branch_ids IS NULL OR c.branch_id IN $branch_ids) "
)
LIST_COUNT: Final[LiteralString] = LIST_MATCH + "RETURN count(e) AS total"
LIST_PAGE: Final[LiteralString] = (
    LIST_MATCH + "RETURN " + EVENT_FIELDS + " "
    "ORDER BY e.month DESC, e.created_ms DESC, e.event_id SKIP $offset LIMIT $limit"
)
GET_EVENT: Final[LiteralString] = (
    "MATCH (e:Event {event_id: $event_id})-[:ABOUT]->(c:Company) WHERE "
    + scope_predicate("c")
    + " RETURN "
    + EVENT_FIELDS
)
#: Events created at or after ``$since_ms`` (the stream re-reads a small overlap).
EVENTS_SINCE: Final[LiteralString] = (
    "MATCH (e:Event)-[:ABOUT]->(c:Company) WHERE e.created_ms >= $since_ms AND "
    + scope_predicate("c")
    + " RETURN "
    + EVENT_FIELDS
    + " ORDER BY e.created_ms, e.event_id LIMIT $limit"
)
SET_STATUS: Final[LiteralString] = (
    "MATCH (e:Event {event_id: $event_id})-[:ABOUT]->(c:Company) WHERE "
    + scope_predicate("c")
    + " SET e.history = coalesce(e.history, []) + [$entry], e.status = $status, "
    "e.status_changed_at = datetime($at), e.status_changed_by = $user_id "
    "RETURN e.event_id AS id"
)


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


def read_flows(db: Database, currency: str) -> pd.DataFrame:
    """Monthly flows of every customer in ``currency`` (:data:`FLOW_COLUMNS`)."""
    columns = db.read_columns(READ_FLOWS, FLOW_COLUMNS, {"currency": currency})
    frame = pd.DataFrame(columns, columns=list(FLOW_COLUMNS))
    frame["amount_minor"] = frame["amount_minor"].astype("int64")
    return frame


def read_snapshots(db: Database) -> pd.DataFrame:
    """Every customer's segment snapshots (:data:`SNAPSHOT_COLUMNS`)."""
    return pd.DataFrame(db.read(READ_SNAPSHOTS), columns=list(SNAPSHOT_COLUMNS))


def _group_events(
    db: Database, detected: list[DetectedEvent], month: str
) -> tuple[list[DetectedEvent], dict[str, int]]:
    """``controller_change`` and ``group_risk`` events, when group results exist."""
    row = db.read_one(HAS_GROUP_RESULTS)
    if row is None or not row["groups"]:
        logger.info(
            "no group-risk results (MEMBER_OF): controller_change and group_risk skipped; "
            "run `corpgraph compute --only group_risk` first"
        )
        return [], {"skipped (no groups)": 1}
    memberships: dict[str, set[str]] = defaultdict(set)
    controllers: dict[str, str] = {}
    for r in db.read(READ_MEMBERSHIPS):
        memberships[str(r["customer_id"])].add(str(r["unit"]))
        if r["controller"] is not None:
            controllers[str(r["customer_id"])] = str(r["controller"])
    stored = db.read_one(READ_CONTROLLER_SNAPSHOT)
    changes: list[DetectedEvent] = []
    if stored is not None and stored["snapshot"]:
        changes = diff_controllers(json.loads(str(stored["snapshot"])), controllers, month)
    db.write(WRITE_CONTROLLER_SNAPSHOT, {"snapshot": json.dumps(controllers, sort_keys=True)})
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
            "explanation": e.explanation,
            "suggested_action": e.suggested_action,
            "counterparty_id": e.counterparty_id,
            "related": list(e.related),
        }
        for e in events
    ]


def detect_events(db: Database, settings: Settings) -> tuple[list[DetectedEvent], dict[str, int]]:
    """Run every detector on what Neo4j holds now; also the notes for the step report.

    The only write is the controller snapshot that the next ``controller_change``
    comparison starts from.
    """
    config = event_config(settings)
    flows = read_flows(db, config.currency)
    detected = detect_flow_events(flows, config)
    detected += detect_segment_downgrades(read_snapshots(db))
    last_month = (
        str(flows["month"].max()) if not flows.empty else datetime.now(UTC).strftime("%Y-%m")
    )
    extra, notes = _group_events(db, detected, last_month)
    return [*detected, *extra], notes


def compute_events(db: Database, engine: GraphEngine, settings: Settings) -> StepReport:
    """The ``events`` compute step: detect, store new events, push them."""
    from .compute import StepReport
    from .webhooks import deliver_pending, enqueue_new_events

    events, notes = detect_events(db, settings)
    webhooks = bool(settings.webhook_urls) and settings.webhook_secret is not None
    counters = db.write_rows(
        WRITE_EVENTS,
        _rows(events),
        extra_parameters={"now_ms": int(time.time() * 1000), "webhooks": webhooks},
    )
    counts: dict[str, int] = {"detected": len(events), "new events": counters.nodes_created}
    by_type: dict[str, int] = defaultdict(int)
    for e in events:
        by_type[e.type] += 1
    counts.update({f"detected {t}": by_type[t] for t in EVENT_TYPES if by_type[t]})
    counts.update(notes)
    if webhooks:
        counts["webhooks enqueued"] = enqueue_new_events(db, settings)
        delivered, failed = deliver_pending(db, settings)
        counts["webhooks delivered"] = delivered
        counts["webhooks pending"] = failed
    logger.info(
        "events: %d detected, %d new (%s engine not used)",
        len(events),
        counters.nodes_created,
        engine.name,
    )
    return StepReport("events", counts)


# --- API reads and status changes -----------------------------------------------------------
def _evidence(raw: str | None, anon: Anonymiser | None = None) -> dict[str, Any]:
    """Evidence with ``*_minor`` integers turned into exact money objects.

    With ``anon``, a company id outside the caller's subtree (a counterparty, the
    source customer of a spread event, a controller) is replaced by the placeholder.
    """
    data: dict[str, Any] = json.loads(raw) if raw else {}
    currency = data.get("currency")
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key.endswith("_minor") and isinstance(value, int) and isinstance(currency, str):
            out[key[: -len("_minor")]] = money(value, currency)
        elif anon is not None and isinstance(value, str) and not anon.visible(value):
            out[key] = anon.placeholder
        else:
            out[key] = value
    return out


def _mentioned_ids(rows: list[dict[str, Any]]) -> list[str]:
    """Every string an event row's counterparty or evidence holds: the company ids among
    them are what :class:`~graph.scoping.Anonymiser` must know."""
    ids: list[str] = []
    for row in rows:
        if row.get("counterparty_id") is not None:
            ids.append(str(row["counterparty_id"]))
        evidence = json.loads(row["evidence_json"]) if row.get("evidence_json") else {}
        ids.extend(v for v in evidence.values() if isinstance(v, str))
    return ids


def event_item(row: Mapping[str, Any], anon: Anonymiser | None = None) -> dict[str, Any]:
    """The JSON shape of one event; with ``anon``, scoped (:mod:`graph.scoping`)."""
    created = row.get("created_ms")
    counterparty = row["counterparty_id"]
    explanation = row["explanation"]
    if anon is not None:
        counterparty = anon.id(counterparty)
        explanation = anon.scrub(explanation)
    return {
        "id": row["id"],
        "type": row["type"],
        "severity": row["severity"],
        "month": row["month"],
        "status": row["status"],
        "customer": {
            "id": row["customer_id"],
            "name": row["customer_name"],
            "branch_id": row["branch_id"],
            "rm_id": row["rm_id"],
        },
        "owner_rm_id": row["owner_rm_id"],
        "counterparty_id": counterparty,
        "suggested_action": row["suggested_action"],
        "explanation": explanation,
        "evidence": _evidence(row.get("evidence_json"), anon),
        "related_event_ids": list(row.get("related") or []),
        "created_at": (
            datetime.fromtimestamp(int(created) / 1000, UTC).isoformat()
            if created is not None
            else None
        ),
        "history": [json.loads(h) for h in row.get("history") or []],
    }


def list_events(
    db: Database,
    scope: BranchScope,
    *,
    event_type: str | None = None,
    status: str | None = None,
    severity: str | None = None,
    month: str | None = None,
    customer: str | None = None,
    rm: str | None = None,
    branch_ids: list[str] | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[dict[str, Any]]]:
    """Events about customers in ``scope``, newest month first, and their total."""
    params = {
        **scope.parameters(),
        "type": event_type,
        "status": status,
        "severity": severity,
        "month": month,
        "customer": customer,
        "rm": rm,
        "branch_ids": branch_ids,
        "limit": limit,
        "offset": offset,
    }
    total_row = db.read_one(LIST_COUNT, params)
    rows = db.read(LIST_PAGE, params)
    anon = anonymiser_for(db, scope, _mentioned_ids(rows))
    return int(total_row["total"] if total_row else 0), [event_item(r, anon) for r in rows]


def get_event(db: Database, scope: BranchScope, event_id: str) -> dict[str, Any]:
    """One event; :class:`NotFoundError` when absent or outside ``scope``."""
    row = db.read_one(GET_EVENT, {**scope.parameters(), "event_id": event_id})
    if row is None:
        raise NotFoundError(f"event {event_id} not found")
    return event_item(row, anonymiser_for(db, scope, _mentioned_ids([row])))


def events_since(
    db: Database, scope: BranchScope, since_ms: int, limit: int = 500
) -> list[dict[str, Any]]:
    """Events in ``scope`` created at or after ``since_ms`` (oldest first)."""
    rows = db.read(EVENTS_SINCE, {**scope.parameters(), "since_ms": since_ms, "limit": limit})
    anon = anonymiser_for(db, scope, _mentioned_ids(rows))
    return [{**event_item(r, anon), "created_ms": int(r["created_ms"] or 0)} for r in rows]


def set_status(
    db: Database,
    scope: BranchScope,
    event_id: str,
    status: str,
    *,
    user_id: str,
    note: str | None = None,
) -> dict[str, Any]:
    """Change an event's status and append who and when to its history."""
    if status not in STATUSES:
        raise InputValidationError(f"unknown status {status}", details={"allowed": list(STATUSES)})
    current = get_event(db, scope, event_id)
    at = datetime.now(UTC).isoformat()
    entry = json.dumps(
        {"from": current["status"], "to": status, "by": user_id, "at": at, "note": note},
        ensure_ascii=False,
    )
    db.write_returning(
        SET_STATUS,
        {
            **scope.parameters(),
            "event_id": event_id,
            "status": status,
            "entry": entry,
            "at": at,
            "user_id": user_id,
        },
    )
    return get_event(db, scope, event_id)
