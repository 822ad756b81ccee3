"""Webhook push of new events after the Standard Webhooks spec: an outbox in Neo4j, a worker.

``corpgraph compute`` only *records* what to deliver: every new event gets one
``(:WebhookDelivery {delivery_id})`` per configured URL (the outbox), created in the
same compute that created the event. Sending is the worker's job
(:func:`deliver_pending`), run by ``corpgraph webhooks deliver`` or by the API
process (:class:`DeliveryWorker`), never by compute, so a slow or dead receiver
cannot hold compute up.

Each request follows `Standard Webhooks <https://www.standardwebhooks.com/>`_ and is
signed by the ``standardwebhooks`` library: headers ``webhook-id`` (the same for
every attempt of one event, for the receiver's de-duplication), ``webhook-timestamp``
(the attempt's time) and ``webhook-signature`` (``v1,<base64 HMAC-SHA256>`` of
``id.timestamp.body`` with :attr:`Settings.webhook_secret`, a ``whsec_`` secret).
Receivers verify with ``standardwebhooks.Webhook(secret).verify(body, headers)``,
which rejects a request whose timestamp is more than five minutes off: a captured
delivery cannot be replayed later, and changing its timestamp breaks the signature.

Delivery is at least once. The worker claims due deliveries under a lease (so two
workers never send the same one at once) and sends at most
:attr:`Settings.webhook_concurrency` requests at a time. A delivery stays
``pending`` until the receiver answers 2xx. A failure (an error status, a refused
connection, or a timeout) is logged on the delivery and schedules the next attempt
after ``base × 2^(attempts−1)`` seconds (capped); a receiver that refused or timed
out is not tried again in the same round. Deliveries are never dropped, so a
receiver that was down gets every event once it is back; a request that timed out
may have arrived, which is why receivers de-duplicate on ``webhook-id``.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import httpx
from standardwebhooks import Webhook

from core.settings import Settings
from graph.database import Database
from graph.webhook_store import (
    AttemptRecord,
    ClaimedDelivery,
    claim_due,
    enqueue_deliveries,
    record_attempt,
)

logger = logging.getLogger(__name__)

#: The Standard Webhooks headers.
ID_HEADER: Final = "webhook-id"
TIMESTAMP_HEADER: Final = "webhook-timestamp"
SIGNATURE_HEADER: Final = "webhook-signature"
#: The payload's ``type`` (Standard Webhooks: full-stop delimited).
EVENT_TYPE: Final = "event.created"


def message_id(event_id: str) -> str:
    """The ``webhook-id`` of an event: the same on every attempt and every endpoint.

    Examples
    --------
    >>> message_id("EV-1")
    'msg_EV-1'
    """
    return f"msg_{event_id}"


def signed_headers(secret: str, msg_id: str, body: bytes, at: datetime) -> dict[str, str]:
    """The Standard Webhooks headers of ``body`` sent at ``at``, signed with ``secret``.

    Examples
    --------
    >>> secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    >>> headers = signed_headers(secret, "msg_1", b"{}", datetime.now(UTC))
    >>> Webhook(secret).verify(b"{}", headers)
    {}
    """
    return {
        "Content-Type": "application/json",
        ID_HEADER: msg_id,
        TIMESTAMP_HEADER: str(math.floor(at.timestamp())),
        SIGNATURE_HEADER: Webhook(secret).sign(msg_id, at, body.decode("utf-8")),
    }


def backoff_s(attempts: int, base_s: float, max_s: float) -> float:
    """Delay before the next attempt after ``attempts`` failures.

    Examples
    --------
    >>> [backoff_s(n, 30, 3600) for n in (1, 2, 3, 10)]
    [30.0, 60.0, 120.0, 3600.0]
    """
    return float(min(max_s, base_s * 2 ** max(attempts - 1, 0)))


def payload(event: Mapping[str, Any]) -> bytes:
    """The exact body bytes that are signed and sent (Standard Webhooks' envelope).

    Examples
    --------
    >>> json.loads(payload({"id": "EV-1", "created_at": "2026-01-01T00:00:00+00:00"}))["type"]
    'event.created'
    """
    body = {"type": EVENT_TYPE, "timestamp": event.get("created_at"), "data": dict(event)}
    return json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")


def enqueue_new_events(db: Database, settings: Settings) -> int:
    """Create the pending deliveries of events created since the last enqueue."""
    return enqueue_deliveries(db, list(settings.webhook_urls), int(time.time() * 1000))


@dataclass(frozen=True)
class Attempt:
    """What one send achieved: the HTTP status (if any), and the error (``None``: 2xx)."""

    delivery_id: str
    url: str
    attempts: int
    status_code: int | None
    error: str | None


def _send(
    client: httpx.Client,
    secret: str,
    claimed: ClaimedDelivery,
    down: set[str],
    lock: threading.Lock,
) -> Attempt:
    url, delivery_id = claimed.url, claimed.delivery_id
    attempts = claimed.attempts + 1
    with lock:
        skip = url in down
    if skip:
        return Attempt(delivery_id, url, attempts, None, "skipped: receiver unreachable this round")
    event = claimed.event
    body = payload(event)
    headers = signed_headers(secret, message_id(str(event["id"])), body, datetime.now(UTC))
    try:
        response = client.post(url, content=body, headers=headers)
    except httpx.TransportError as exc:  # refused, reset, or timed out: the receiver is down
        with lock:
            down.add(url)
        return Attempt(delivery_id, url, attempts, None, type(exc).__name__)
    code = response.status_code
    return Attempt(delivery_id, url, attempts, code, None if 200 <= code < 300 else f"HTTP {code}")


def _record(db: Database, settings: Settings, attempt: Attempt) -> None:
    ok = attempt.error is None
    now = int(time.time() * 1000)
    delay_s = backoff_s(
        attempt.attempts, settings.webhook_backoff_base_s, settings.webhook_backoff_max_s
    )
    record_attempt(
        db,
        AttemptRecord(
            delivery_id=attempt.delivery_id,
            delivered=ok,
            status_code=attempt.status_code,
            error=attempt.error,
            at_ms=now,
            next_attempt_ms=None if ok else now + int(1000 * delay_s),
        ),
    )


def deliver_pending(
    db: Database, settings: Settings, *, force: bool = False, limit: int = 10_000
) -> tuple[int, int]:
    """Send every due pending delivery once; return (delivered, failed in this round).

    ``force`` ignores the back-off schedule (the CLI's ``--now``). At most
    :attr:`Settings.webhook_concurrency` requests are in flight; deliveries are
    claimed in batches under a lease long enough for a batch to time out entirely.
    """
    if settings.webhook_secret is None:
        logger.info("webhook secret unset: no deliveries attempted")
        return 0, 0
    secret = settings.webhook_secret.get_secret_value()
    workers = settings.webhook_concurrency
    batch = workers * 8
    lease_ms = int(1000 * (settings.webhook_timeout_s * math.ceil(batch / workers) + 60))
    delivered = failed = 0
    seen: list[str] = []
    down: set[str] = set()
    lock = threading.Lock()
    timeout = httpx.Timeout(settings.webhook_timeout_s)
    pool_limits = httpx.Limits(max_connections=workers, max_keepalive_connections=workers)
    with (
        httpx.Client(timeout=timeout, limits=pool_limits) as client,
        ThreadPoolExecutor(max_workers=workers, thread_name_prefix="webhook") as pool,
    ):
        while len(seen) < limit:
            now_ms = int(time.time() * 1000)
            claimed = claim_due(
                db,
                force=force,
                now_ms=now_ms,
                exclude=seen,
                limit=min(batch, limit - len(seen)),
                lease_until_ms=now_ms + lease_ms,
            )
            if not claimed:
                break
            seen.extend(c.delivery_id for c in claimed)
            for attempt in pool.map(lambda c: _send(client, secret, c, down, lock), claimed):
                _record(db, settings, attempt)
                if attempt.error is None:
                    delivered += 1
                else:
                    failed += 1
    if failed:
        logger.warning("webhooks: %d delivered, %d failed this round", delivered, failed)
    return delivered, failed


def deliver_round(db: Database, settings: Settings, *, force: bool = False) -> tuple[int, int, int]:
    """Enqueue new events' deliveries, then send the due ones: (enqueued, delivered, failed)."""
    enqueued = enqueue_new_events(db, settings) if settings.webhook_urls else 0
    delivered, failed = deliver_pending(db, settings, force=force)
    return enqueued, delivered, failed


class DeliveryWorker:
    """A background thread that runs :func:`deliver_round` every ``interval_s`` seconds.

    The API process starts one when webhooks are configured; ``stop`` ends it at the
    next interval. A failed round (Neo4j down) is logged and retried next time.
    """

    def __init__(self, db: Database, settings: Settings, interval_s: float) -> None:
        self.db = db
        self.settings = settings
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="webhook-worker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self.settings.webhook_timeout_s * 2 + self.interval_s)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                deliver_round(self.db, self.settings)
            except Exception:  # keep the worker alive; the next round retries
                logger.exception("webhook delivery round failed")
            self._stop.wait(self.interval_s)
