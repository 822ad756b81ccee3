"""Webhook push of new events: an outbox in Neo4j, HMAC-signed bodies, retries with back-off.

Every new event gets one ``(:WebhookDelivery {delivery_id})`` per configured URL
(the outbox), created in the same compute that created the event. A delivery
stays ``pending`` until the receiver answers 2xx; each attempt is appended to the
delivery's ``log``, and a failed one schedules the next at
``base × 2^(attempts−1)`` seconds (capped). Deliveries are never dropped, so a
receiver that was down gets every event once it is back: ``corpgraph compute``
attempts the due ones, and ``corpgraph events deliver`` retries them.

The body is the event's API JSON plus ``delivery_id``. The header
``X-Corpgraph-Signature: sha256=<hex>`` is the HMAC-SHA256 of the raw body bytes
with :attr:`Settings.webhook_secret`; receivers recompute it and compare in
constant time (:func:`verify_signature`). Receivers should de-duplicate on
``X-Corpgraph-Delivery``: a delivery whose 2xx answer was lost is sent again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Mapping
from typing import Any, Final, LiteralString

import httpx

from core.settings import Settings
from graph.database import Database
from graph.events import EVENT_FIELDS, event_item

logger = logging.getLogger(__name__)

SIGNATURE_HEADER: Final = "X-Corpgraph-Signature"
DELIVERY_HEADER: Final = "X-Corpgraph-Delivery"

ENQUEUE: Final[LiteralString] = """
MATCH (e:Event) WHERE e.webhook_enqueue = true
UNWIND $urls AS url
MERGE (d:WebhookDelivery {delivery_id: e.event_id + '|' + url})
ON CREATE SET d.event_id = e.event_id, d.url = url, d.status = 'pending', d.attempts = 0,
    d.created_ms = $now_ms, d.next_attempt_ms = $now_ms, d.log = []
WITH DISTINCT e
SET e.webhook_enqueue = false
"""
READ_DUE: Final[LiteralString] = (
    "MATCH (d:WebhookDelivery {status: 'pending'}) "
    "WHERE $force OR d.next_attempt_ms <= $now_ms "
    "MATCH (e:Event {event_id: d.event_id})-[:ABOUT]->(c:Company) "
    "RETURN d.delivery_id AS delivery_id, d.url AS url, d.attempts AS attempts, "
    + EVENT_FIELDS
    + " ORDER BY d.created_ms, d.delivery_id LIMIT $limit"
)
RECORD_ATTEMPT: Final[LiteralString] = """
MATCH (d:WebhookDelivery {delivery_id: $delivery_id})
SET d.attempts = d.attempts + 1, d.status = $status, d.next_attempt_ms = $next_ms,
    d.last_status_code = $code, d.last_error = $error, d.log = d.log + [$entry],
    d.delivered_ms = CASE WHEN $status = 'delivered' THEN $now_ms ELSE d.delivered_ms END
"""
LIST_DELIVERIES: Final[LiteralString] = (
    "MATCH (d:WebhookDelivery) WHERE $status IS NULL OR d.status = $status "
    "RETURN d.delivery_id AS delivery_id, d.event_id AS event_id, d.url AS url, "
    "d.status AS status, d.attempts AS attempts, d.last_status_code AS last_status_code, "
    "d.last_error AS last_error, d.next_attempt_ms AS next_attempt_ms "
    "ORDER BY d.created_ms, d.delivery_id LIMIT $limit"
)


def sign_body(secret: bytes, body: bytes) -> str:
    """The signature header value for ``body``.

    Examples
    --------
    >>> sign_body(b"k", b"{}")[:7]
    'sha256='
    """
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify_signature(secret: bytes, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is the signature of ``body`` (constant-time comparison).

    Examples
    --------
    >>> verify_signature(b"k", b"{}", sign_body(b"k", b"{}"))
    True
    >>> verify_signature(b"k", b"{ }", sign_body(b"k", b"{}"))
    False
    """
    if not header:
        return False
    return hmac.compare_digest(sign_body(secret, body), header)


def backoff_s(attempts: int, base_s: float, max_s: float) -> float:
    """Delay before the next attempt after ``attempts`` failures.

    Examples
    --------
    >>> [backoff_s(n, 30, 3600) for n in (1, 2, 3, 10)]
    [30.0, 60.0, 120.0, 3600.0]
    """
    return float(min(max_s, base_s * 2 ** max(attempts - 1, 0)))


def payload(delivery_id: str, event: Mapping[str, Any]) -> bytes:
    """The exact body bytes that are signed and sent."""
    body = {"delivery_id": delivery_id, "event": dict(event)}
    return json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")


def enqueue_new_events(db: Database, settings: Settings) -> int:
    """Create the pending deliveries of events created since the last enqueue."""
    counters = db.write(
        ENQUEUE, {"urls": list(settings.webhook_urls), "now_ms": int(time.time() * 1000)}
    )
    return counters.nodes_created


def deliver_pending(
    db: Database, settings: Settings, *, force: bool = False, limit: int = 10_000
) -> tuple[int, int]:
    """Attempt every due pending delivery; return (delivered, still pending).

    ``force`` ignores the back-off schedule (the CLI's ``--now``).
    """
    if settings.webhook_secret is None:
        logger.info("webhook secret unset: no deliveries attempted")
        return 0, 0
    secret = settings.webhook_secret.get_secret_value().encode("utf-8")
    now_ms = int(time.time() * 1000)
    due = db.read(READ_DUE, {"force": force, "now_ms": now_ms, "limit": limit})
    delivered = failed = 0
    down: set[str] = set()  # a URL that refused to connect is not tried again this round
    with httpx.Client(timeout=settings.webhook_timeout_s) as client:
        for row in due:
            url, delivery_id = str(row["url"]), str(row["delivery_id"])
            attempts = int(row["attempts"] or 0) + 1
            code: int | None = None
            error: str | None = None
            if url in down:
                error = "skipped: receiver unreachable in this round"
            else:
                body = payload(delivery_id, event_item(row))
                try:
                    response = client.post(
                        url,
                        content=body,
                        headers={
                            "Content-Type": "application/json",
                            SIGNATURE_HEADER: sign_body(secret, body),
                            DELIVERY_HEADER: delivery_id,
                        },
                    )
                    code = response.status_code
                    if not 200 <= code < 300:
                        error = f"HTTP {code}"
                except httpx.HTTPError as exc:
                    error = type(exc).__name__
                    if isinstance(exc, httpx.ConnectError):
                        down.add(url)
            ok = error is None
            now = int(time.time() * 1000)
            next_ms = now + int(
                1000
                * backoff_s(
                    attempts, settings.webhook_backoff_base_s, settings.webhook_backoff_max_s
                )
            )
            db.write(
                RECORD_ATTEMPT,
                {
                    "delivery_id": delivery_id,
                    "status": "delivered" if ok else "pending",
                    "next_ms": None if ok else next_ms,
                    "code": code,
                    "error": error,
                    "now_ms": now,
                    "entry": json.dumps({"at_ms": now, "status_code": code, "error": error}),
                },
            )
            if ok:
                delivered += 1
            else:
                failed += 1
    if failed:
        logger.warning("webhooks: %d delivered, %d still pending", delivered, failed)
    return delivered, failed


def list_deliveries(
    db: Database, status: str | None = None, limit: int = 1000
) -> list[dict[str, Any]]:
    """The delivery log (newest last)."""
    return db.read(LIST_DELIVERIES, {"status": status, "limit": limit})
