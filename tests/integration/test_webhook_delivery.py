"""The webhook worker against real local receivers: slow, down, then up.

Events are written with the compute step's own statement (``WRITE_EVENTS``) on a
handful of customers; the events compute step then only records the deliveries
(it never contacts a receiver), and :func:`deliver_pending` sends them. Every
request is verified by the receiver with ``standardwebhooks.Webhook(secret).verify``.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from core.settings import Settings
from graph.database import Database
from graph.events import WRITE_EVENTS
from services.compute import run_compute
from services.webhooks import deliver_pending

from .conftest import free_port

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
EVENTS = 6
CUSTOMERS = (
    "UNWIND range(1, $n) AS i "
    "CREATE (:Company:Customer {company_id: 'C' + i, name: '客户' + i, is_customer: true, "
    "branch_id: 'BR-1', rm_id: 'RM-1'})"
)
DELIVERIES = (
    "MATCH (d:WebhookDelivery) RETURN d.event_id AS event_id, d.status AS status, "
    "d.attempts AS attempts, d.next_attempt_ms AS next_ms, d.log AS log, "
    "d.last_error AS error ORDER BY event_id"
)


class Receiver:
    """A webhook receiver that verifies each request, can be slow, and counts concurrency."""

    def __init__(self, port: int, delay_s: float = 0.0) -> None:
        self.port = port
        self.delay_s = delay_s
        self.received: list[tuple[str, str, bool]] = []  # (webhook-id, event id, verified)
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                with receiver._lock:
                    receiver.in_flight += 1
                    receiver.max_in_flight = max(receiver.max_in_flight, receiver.in_flight)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                try:
                    Webhook(SECRET).verify(body, dict(self.headers.items()))
                    ok = True
                except WebhookVerificationError:
                    ok = False
                time.sleep(receiver.delay_s)
                with receiver._lock:
                    receiver.in_flight -= 1
                    event_id = json.loads(body)["data"]["id"]
                    receiver.received.append((str(self.headers["webhook-id"]), event_id, ok))
                try:
                    self.send_response(204 if ok else 401)
                    self.end_headers()
                except OSError:  # the sender gave up (timed out) meanwhile
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


@pytest.fixture
def events_db(clean_db: Database) -> Database:
    clean_db.write(CUSTOMERS, {"n": EVENTS})
    rows: list[dict[str, Any]] = [
        {
            "customer_id": f"C{i}",
            "event_id": f"EV-TEST-{i}",
            "type": "dormancy",
            "severity": "medium",
            "month": "2026-01",
            "evidence_json": "{}",
            "explanation": "测试",
            "suggested_action": "visit",
            "counterparty_id": None,
            "related": [],
        }
        for i in range(1, EVENTS + 1)
    ]
    # Stored as by a compute before runs were kept (no run id): always shown.
    clean_db.write_rows(
        WRITE_EVENTS,
        rows,
        extra_parameters={
            "now_ms": int(time.time() * 1000),
            "webhooks": True,
            "run_id": None,
            "published_run": None,
        },
    )
    return clean_db


@pytest.fixture
def port() -> int:
    return free_port()


def _settings(port: int, **overrides: Any) -> Settings:
    return Settings(
        webhook_urls=[f"http://127.0.0.1:{port}/hook"],
        webhook_secret=SECRET,
        webhook_timeout_s=0.5,
        webhook_concurrency=2,
        webhook_backoff_base_s=60.0,
        webhook_backoff_max_s=3600.0,
        **overrides,
    )


def _wait_idle(receiver: Receiver) -> None:
    """Wait until the receiver finished every request (slow handlers outlive timeouts)."""
    deadline = time.monotonic() + 60
    while receiver.in_flight and time.monotonic() < deadline:
        time.sleep(0.05)
    assert receiver.in_flight == 0


def _deliveries(db: Database) -> list[dict[str, Any]]:
    return db.read(DELIVERIES)


def test_a_slow_receiver_never_stalls_compute_and_is_retried_with_backoff(
    events_db: Database, port: int
) -> None:
    slow = Receiver(port, delay_s=2.0)
    slow.start()
    try:
        settings = _settings(port)
        _, reports = run_compute(events_db, settings, engine_mode="python", only={"events"})
        # Compute only recorded the deliveries: the receiver heard nothing from it.
        assert reports[0].counts["webhooks enqueued"] == EVENTS
        assert slow.received == []
        assert slow.max_in_flight == 0
        assert all(d["status"] == "pending" and d["attempts"] == 0 for d in _deliveries(events_db))

        delivered, failed = deliver_pending(events_db, settings)
        assert (delivered, failed) == (0, EVENTS)
        first = _deliveries(events_db)
        assert all(d["status"] == "pending" and d["attempts"] == 1 for d in first)
        assert any(d["error"] == "ReadTimeout" for d in first)
        for d in first:  # next attempt = base back-off after the failed one
            assert d["next_ms"] - json.loads(d["log"][-1])["at_ms"] == 60_000
        # Not due yet: a round without --now sends nothing.
        assert deliver_pending(events_db, settings) == (0, 0)
        _wait_idle(slow)
        assert deliver_pending(events_db, settings, force=True) == (0, EVENTS)
        for d in _deliveries(events_db):  # the back-off doubles
            assert d["attempts"] == 2
            assert d["next_ms"] - json.loads(d["log"][-1])["at_ms"] == 120_000
        assert slow.max_in_flight <= settings.webhook_concurrency

        _wait_idle(slow)
        slow.delay_s = 0.0
        assert deliver_pending(events_db, settings, force=True) == (EVENTS, 0)
        assert all(d["status"] == "delivered" for d in _deliveries(events_db))
        # At least once: a timed-out request may have arrived too; the webhook-id,
        # the same on every attempt, lets the receiver drop the duplicates.
        assert all(ok for _, _, ok in slow.received)
        by_id = {webhook_id: event for webhook_id, event, _ in slow.received}
        assert sorted(by_id.values()) == sorted(f"EV-TEST-{i}" for i in range(1, EVENTS + 1))
        assert all(webhook_id == f"msg_{event}" for webhook_id, event in by_id.items())
    finally:
        slow.stop()


def test_a_receiver_that_was_down_gets_every_event_once(events_db: Database, port: int) -> None:
    settings = _settings(port)
    run_compute(events_db, settings, engine_mode="python", only={"events"})
    assert deliver_pending(events_db, settings) == (0, EVENTS)  # nobody listens
    assert all(d["error"] == "ConnectError" for d in _deliveries(events_db)[:1])
    receiver = Receiver(port)
    receiver.start()
    try:
        assert deliver_pending(events_db, settings, force=True) == (EVENTS, 0)
        assert deliver_pending(events_db, settings, force=True) == (0, 0)
        counts = Counter(event for _, event, _ in receiver.received)
        assert counts == Counter(f"EV-TEST-{i}" for i in range(1, EVENTS + 1))
        assert all(ok for _, _, ok in receiver.received)
        assert receiver.max_in_flight <= settings.webhook_concurrency
    finally:
        receiver.stop()
