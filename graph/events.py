"""Major events in Neo4j: the queries that store, list and update them.

The ``events`` compute step (:func:`services.events.compute_events`):

1. takes each customer's monthly flows (``PAYS`` in :attr:`Settings.events_currency`,
   from the run's one read of the flows: :mod:`services.compute_inputs`)
   and segment snapshots, and runs :mod:`algorithms.events`;
2. when group-risk results exist (``MEMBER_OF`` → ``Group``), compares each
   customer's group controller with the one stored at the previous compute
   (``controller_change``) and spreads risk events to the other members of a group
   or guarantee circle (``group_risk``); without them both are skipped with a log
   line;
3. ``MERGE``\\s ``(:Event {event_id})-[:ABOUT]->(:Company)``. Ids are deterministic,
   so a second compute creates nothing, and an existing event's status and history
   are never touched;
4. stamps a new event with the run that detected it (``run_id``). Events are
   stateful facts (acknowledged, actioned, linked to an opportunity), so they are
   *not* copied per run like groups are (:mod:`graph.compute_runs`): one node keeps
   its identity and state across runs. Readers show an event only when its run is
   published (:data:`EVENT_PUBLISHED`), so an events answer never shows half of a
   run; events of a run that failed before publishing are dropped by the next
   run's collection unless someone acted on them (which cannot happen: no reader
   showed them);
5. after publishing, the runner enqueues new events for the configured webhooks;
   the delivery worker sends them (:mod:`services.webhooks`), never compute.

Events are scoped through the customer they are ``ABOUT``: a caller sees an event
only when its customer is in the caller's branch subtree.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final, LiteralString

from core.codes import STATUSES
from core.errors import InputValidationError, NotFoundError
from core.formatting import Language
from core.messages import from_json, params_json, render, rewrite_text

from .branches import BranchScope, scope_predicate
from .compute_runs import EVENT_PUBLISHED, PublishedRuns, published_runs
from .customers import money
from .database import Database, Reader
from .models import EventOut
from .scoping import Anonymiser, anonymiser_for

logger = logging.getLogger(__name__)

# --- inputs ---------------------------------------------------------------------------------
#: One list per snapshot, read as one column (:meth:`Database.read_columns`).
READ_SNAPSHOTS: Final[LiteralString] = (
    "MATCH (c:Customer)-[:HAS_SEGMENT]->(s:SegmentSnapshot) "
    "RETURN [c.company_id, toString(s.as_of), s.segment] AS snapshot"
)
READ_MEMBERSHIPS: Final[LiteralString] = """
MATCH (c:Customer)-[m:MEMBER_OF]->(g:Group {run_id: $group_run})
RETURN c.company_id AS customer_id, 'group:' + g.group_id AS unit,
       CASE WHEN coalesce(m.primary, true) THEN g.controller_id END AS controller
UNION ALL
MATCH (c:Customer)-[:IN_CIRCLE]->(k:GuaranteeCircle {run_id: $group_run})
RETURN c.company_id AS customer_id, 'circle:' + k.circle_id AS unit, null AS controller
"""
HAS_GROUP_RESULTS: Final[LiteralString] = (
    "RETURN EXISTS { MATCH (:Company)-[:MEMBER_OF]->(:Group {run_id: $group_run}) } AS groups"
)
#: The snapshot of the published events run; before the first run, the one a version
#: without compute runs kept on ``CorpgraphMeta``.
READ_CONTROLLER_SNAPSHOT: Final[LiteralString] = (
    "OPTIONAL MATCH (s:EventsSnapshot {run_id: $event_run}) "
    "OPTIONAL MATCH (m:CorpgraphMeta {key: 'events.controllers'}) "
    "RETURN coalesce(s.controllers_json, m.controllers_json) AS snapshot"
)
#: Run-scoped, so a failed run's snapshot never becomes the next comparison's start.
WRITE_CONTROLLER_SNAPSHOT: Final[LiteralString] = (
    "MERGE (s:EventsSnapshot {run_id: $run_id}) "
    "SET s.controllers_json = $snapshot, s.updated_at = datetime()"
)

# --- writes ---------------------------------------------------------------------------------
#: Creates an event once, stamped with the detecting run; on a later compute nothing of an
#: existing event changes, except that an event of a run that never published (never
#: shown, so never acted on) is claimed by this run.
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
    e.webhook_enqueue = $webhooks, e.run_id = $run_id
ON MATCH SET e.run_id = CASE
    WHEN e.run_id IS NOT NULL AND ($published_run IS NULL OR e.run_id > $published_run)
    THEN $run_id ELSE e.run_id END
MERGE (e)-[:ABOUT]->(c)
"""

# --- reads for the API ----------------------------------------------------------------------
EVENT_FIELDS: Final[LiteralString] = (
    "e.event_id AS id, e.type AS type, e.severity AS severity, e.month AS month, "
    "e.status AS status, e.evidence_json AS evidence_json, e.explanation AS explanation, "
    "e.suggested_action AS suggested_action, e.counterparty_id AS counterparty_id, "
    "e.owner_rm_id AS owner_rm_id, e.created_ms AS created_ms, e.history AS history, "
    "e.related AS related, e.opportunity_id AS opportunity_id, "
    "c.company_id AS customer_id, c.name AS customer_name, "
    "c.branch_id AS branch_id, c.rm_id AS rm_id"
)
#: The list's filters other than the customer (published events only). ``$x IS NULL OR ...``
#: keeps one query text per filter set, but hides the customer from the planner; so a
#: customer's events (the 360, the events list filtered by customer) anchor on its
#: ``company_id`` index seek instead, and only the unfiltered list walks the events.
LIST_FILTERS: Final[LiteralString] = (
    scope_predicate("c") + " "
    "AND " + EVENT_PUBLISHED + " "
    "AND ($type IS NULL OR e.type = $type) "
    "AND ($status IS NULL OR e.status = $status) "
    "AND ($severity IS NULL OR e.severity = $severity) "
    "AND ($month IS NULL OR e.month = $month) "
    "AND ($rm IS NULL OR e.owner_rm_id = $rm) "
    "AND ($branch_ids IS NULL OR c.branch_id IN $branch_ids) "
)
LIST_MATCH: Final[LiteralString] = "MATCH (e:Event)-[:ABOUT]->(c:Company) WHERE " + LIST_FILTERS
#: One customer's events: an index seek on the customer, then its ``ABOUT`` edges.
LIST_MATCH_CUSTOMER: Final[LiteralString] = (
    "MATCH (c:Company {company_id: $customer}) MATCH (e:Event)-[:ABOUT]->(c) WHERE " + LIST_FILTERS
)
_LIST_ORDER: Final[LiteralString] = (
    "ORDER BY e.month DESC, e.created_ms DESC, e.event_id SKIP $offset LIMIT $limit"
)
LIST_COUNT: Final[LiteralString] = LIST_MATCH + "RETURN count(e) AS total"
LIST_PAGE: Final[LiteralString] = LIST_MATCH + "RETURN " + EVENT_FIELDS + " " + _LIST_ORDER
LIST_COUNT_CUSTOMER: Final[LiteralString] = LIST_MATCH_CUSTOMER + "RETURN count(e) AS total"
LIST_PAGE_CUSTOMER: Final[LiteralString] = (
    LIST_MATCH_CUSTOMER + "RETURN " + EVENT_FIELDS + " " + _LIST_ORDER
)
GET_EVENT: Final[LiteralString] = (
    "MATCH (e:Event {event_id: $event_id})-[:ABOUT]->(c:Company) WHERE "
    + scope_predicate("c")
    + " AND "
    + EVENT_PUBLISHED
    + " RETURN "
    + EVENT_FIELDS
)
#: Events created at or after ``$since_ms`` (the stream re-reads a small overlap).
EVENTS_SINCE: Final[LiteralString] = (
    "MATCH (e:Event)-[:ABOUT]->(c:Company) WHERE e.created_ms >= $since_ms AND "
    + scope_predicate("c")
    + " AND "
    + EVENT_PUBLISHED
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


# --- API reads and status changes -----------------------------------------------------------
def event_run(db: Reader, runs: PublishedRuns | None) -> dict[str, str | None]:
    """``{"event_run": ...}``: the published events run (resolved now unless given)."""
    return {"event_run": (runs or published_runs(db, ("events",))).events}


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


def _explanation(
    stored: str | None, anon: Anonymiser | None, language: Language
) -> tuple[str | None, dict[str, Any] | None]:
    """The stored explanation in ``language`` and as key and parameters.

    An event stores its explanation as a catalogue key with parameters (JSON,
    :mod:`core.messages`); one stored before that holds finished text, shown as it is.
    """
    if not stored or not stored.startswith("["):
        return (anon.scrub(stored) if anon is not None else stored), None
    messages = from_json(stored)
    if anon is not None:
        messages = [rewrite_text(m, lambda text: str(anon.scrub(text))) for m in messages]
    if not messages:
        return None, None
    first = messages[0]
    return render(first, language), {"key": first.key, "params": params_json(first)}


def event_item(
    row: Mapping[str, Any], anon: Anonymiser | None = None, language: Language = "zh"
) -> dict[str, Any]:
    """The JSON shape of one event, its explanation in ``language``; with ``anon``, scoped
    (:mod:`graph.scoping`)."""
    created = row.get("created_ms")
    counterparty = row["counterparty_id"]
    explanation, explanation_message = _explanation(row["explanation"], anon, language)
    if anon is not None:
        counterparty = anon.id(counterparty)
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
        "explanation_message": explanation_message,
        "evidence": _evidence(row.get("evidence_json"), anon),
        "related_event_ids": list(row.get("related") or []),
        "opportunity_id": row.get("opportunity_id"),
        "created_at": (
            datetime.fromtimestamp(int(created) / 1000, UTC).isoformat()
            if created is not None
            else None
        ),
        "history": [json.loads(h) for h in row.get("history") or []],
    }


def list_events(
    db: Reader,
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
    runs: PublishedRuns | None = None,
    language: Language = "zh",
) -> tuple[int, list[EventOut]]:
    """Events about customers in ``scope``, newest month first, and their total.

    Only events of published runs: the published events run of ``runs`` (resolved
    here when not given) and every run before it.
    """
    params = {
        **scope.parameters(),
        **event_run(db, runs),
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
    count, page = (
        (LIST_COUNT, LIST_PAGE)
        if customer is None
        else (
            LIST_COUNT_CUSTOMER,
            LIST_PAGE_CUSTOMER,
        )
    )
    total_row = db.read_one(count, params)
    rows = db.read(page, params)
    anon = anonymiser_for(db, scope, _mentioned_ids(rows), language=language)
    return int(total_row["total"] if total_row else 0), [
        EventOut.model_validate(event_item(r, anon, language)) for r in rows
    ]


def get_event(
    db: Database, scope: BranchScope, event_id: str, language: Language = "zh"
) -> dict[str, Any]:
    """One event; :class:`NotFoundError` when absent or outside ``scope``."""
    row = db.read_one(
        GET_EVENT, {**scope.parameters(), **event_run(db, None), "event_id": event_id}
    )
    if row is None:
        raise NotFoundError(f"event {event_id} not found")
    anon = anonymiser_for(db, scope, _mentioned_ids([row]), language=language)
    return event_item(row, anon, language)


def events_since(
    db: Database, scope: BranchScope, since_ms: int, limit: int = 500
) -> list[dict[str, Any]]:
    """Events in ``scope`` created at or after ``since_ms`` (oldest first)."""
    rows = db.read(
        EVENTS_SINCE,
        {**scope.parameters(), **event_run(db, None), "since_ms": since_ms, "limit": limit},
    )
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
