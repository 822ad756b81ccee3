"""The webhook outbox in Neo4j: one ``(:WebhookDelivery)`` per new event and receiver.

:mod:`services.webhooks` signs and sends; this module holds every query of the
outbox: enqueueing new events, claiming due deliveries under a lease, recording an
attempt, and listing the log.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final, Literal, LiteralString

from .database import Database
from .events import EVENT_FIELDS, event_item

DeliveryStatus = Literal["pending", "delivered"]

ENQUEUE: Final[LiteralString] = """
MATCH (e:Event) WHERE e.webhook_enqueue = true
UNWIND $urls AS url
MERGE (d:WebhookDelivery {delivery_id: e.event_id + '|' + url})
ON CREATE SET d.event_id = e.event_id, d.url = url, d.status = 'pending', d.attempts = 0,
    d.created_ms = $now_ms, d.next_attempt_ms = $now_ms, d.log = []
WITH DISTINCT e
SET e.webhook_enqueue = false
"""
#: An event is about a customer (``Company``) or, for ``target_at_risk``, a unit.
#: Claim due deliveries under a lease. ``SET d._lock`` takes each delivery's write lock
#: before its lease is re-read, so two workers never both claim one.
CLAIM_DUE: Final[LiteralString] = (
    "MATCH (d:WebhookDelivery {status: 'pending'}) "
    "WHERE ($force OR d.next_attempt_ms <= $now_ms) "
    "AND coalesce(d.lease_until_ms, 0) <= $now_ms AND NOT d.delivery_id IN $exclude "
    "WITH d ORDER BY d.created_ms, d.delivery_id LIMIT $limit "
    "SET d._lock = true "
    "WITH d, d.status = 'pending' AND coalesce(d.lease_until_ms, 0) <= $now_ms AS free "
    "FOREACH (_ IN CASE WHEN free THEN [1] ELSE [] END | SET d.lease_until_ms = $lease_until_ms) "
    "REMOVE d._lock "
    "WITH d, free WHERE free "
    "MATCH (e:Event {event_id: d.event_id})-[:ABOUT]->(c:Company|Branch|RelationshipManager) "
    "RETURN d.delivery_id AS delivery_id, d.url AS url, d.attempts AS attempts, "
    + EVENT_FIELDS
    + " ORDER BY d.created_ms, d.delivery_id"
)
RECORD_ATTEMPT: Final[LiteralString] = """
MATCH (d:WebhookDelivery {delivery_id: $delivery_id})
SET d.attempts = d.attempts + 1, d.status = $status, d.next_attempt_ms = $next_ms,
    d.last_status_code = $code, d.last_error = $error, d.log = d.log + [$entry],
    d.lease_until_ms = null,
    d.delivered_ms = CASE WHEN $status = 'delivered' THEN $now_ms ELSE d.delivered_ms END
"""
LIST_DELIVERIES: Final[LiteralString] = (
    "MATCH (d:WebhookDelivery) WHERE $status IS NULL OR d.status = $status "
    "RETURN d.delivery_id AS delivery_id, d.event_id AS event_id, d.url AS url, "
    "d.status AS status, d.attempts AS attempts, d.last_status_code AS last_status_code, "
    "d.last_error AS last_error, d.next_attempt_ms AS next_attempt_ms "
    "ORDER BY d.created_ms, d.delivery_id LIMIT $limit"
)


@dataclass(frozen=True)
class ClaimedDelivery:
    """A due delivery this worker now holds the lease of, with the event it carries.

    ``event`` is the event's JSON shape (:func:`graph.events.event_item`): the
    ``data`` of the webhook body, exactly as the API serves it.
    """

    delivery_id: str
    url: str
    attempts: int
    event: dict[str, Any]


@dataclass(frozen=True)
class Delivery:
    """One entry of the delivery log."""

    delivery_id: str
    event_id: str
    url: str
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_ms: int | None


@dataclass(frozen=True)
class AttemptRecord:
    """What to store of one attempt: the delivery's new status and when to retry."""

    delivery_id: str
    delivered: bool
    status_code: int | None
    error: str | None
    at_ms: int
    next_attempt_ms: int | None


def enqueue_deliveries(db: Database, urls: list[str], now_ms: int) -> int:
    """One pending delivery per URL for each event created since the last enqueue."""
    return db.write(ENQUEUE, {"urls": urls, "now_ms": now_ms}).nodes_created


def claim_due(
    db: Database,
    *,
    force: bool,
    now_ms: int,
    exclude: list[str],
    limit: int,
    lease_until_ms: int,
) -> list[ClaimedDelivery]:
    """Lease up to ``limit`` due pending deliveries (``force``: ignore the back-off)."""
    rows = db.write_returning(
        CLAIM_DUE,
        {
            "force": force,
            "now_ms": now_ms,
            "exclude": exclude,
            "limit": limit,
            "lease_until_ms": lease_until_ms,
        },
    )
    return [
        ClaimedDelivery(
            str(row["delivery_id"]), str(row["url"]), int(row["attempts"] or 0), event_item(row)
        )
        for row in rows
    ]


def record_attempt(db: Database, attempt: AttemptRecord) -> None:
    """Log ``attempt`` on its delivery, release the lease and set its next attempt."""
    db.write(
        RECORD_ATTEMPT,
        {
            "delivery_id": attempt.delivery_id,
            "status": "delivered" if attempt.delivered else "pending",
            "next_ms": attempt.next_attempt_ms,
            "code": attempt.status_code,
            "error": attempt.error,
            "now_ms": attempt.at_ms,
            "entry": json.dumps(
                {"at_ms": attempt.at_ms, "status_code": attempt.status_code, "error": attempt.error}
            ),
        },
    )


def list_deliveries(
    db: Database, status: DeliveryStatus | None = None, limit: int = 1000
) -> list[Delivery]:
    """The delivery log (newest last), optionally of one status."""
    return [
        Delivery(
            delivery_id=str(row["delivery_id"]),
            event_id=str(row["event_id"]),
            url=str(row["url"]),
            status=row["status"],
            attempts=int(row["attempts"] or 0),
            last_status_code=row["last_status_code"],
            last_error=row["last_error"],
            next_attempt_ms=row["next_attempt_ms"],
        )
        for row in db.read(LIST_DELIVERIES, {"status": status, "limit": limit})
    ]
