"""Event detection, push (webhooks, SSE) and the events API on the small synthetic bank.

The bank is generated, loaded and computed once for the module; the webhook
receiver is down during that compute. Tests run in file order: the last one
loads a new month.

Precision and recall count the four planted types (``large_outflow``,
``counterparty_loss``, ``dormancy``, ``new_major_counterparty``) as
``(customer, type, month)`` triples. The other types are not planted in
``truth.json`` events and are scored on their own: ``segment_downgrade`` must
equal the downward ``segment_migrations`` exactly; ``large_inflow``,
``controller_change`` (no earlier controller snapshot) and ``group_risk`` (no
planted risk event is on a group or circle member) must not appear.
"""

from __future__ import annotations

import csv
import json
import statistics
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from algorithms.events import event_id, precision_recall
from api.app import create_app
from core.settings import Settings
from graph.database import Database
from graph.events import WRITE_EVENTS
from graph.users import UserStore

from .conftest import cli_env, free_port, published, run_cli

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
PLANTED_TYPES = {"large_outflow", "counterparty_loss", "dormancy", "new_major_counterparty"}
SEGMENT_RANK = {"strategic": 0, "core": 1, "growth": 2, "basic": 3}

ALL_EVENTS = (
    "MATCH (e:Event)-[:ABOUT]->(c:Company) RETURN e.event_id AS id, e.type AS type, "
    "c.company_id AS customer, e.month AS month, e.status AS status, c.branch_id AS branch"
)
DELIVERIES = (
    "MATCH (d:WebhookDelivery) RETURN d.event_id AS event_id, d.status AS status, "
    "d.attempts AS attempts, size(d.log) AS logged"
)


class Receiver:
    """A local webhook receiver that verifies every delivery with the standardwebhooks library."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.received: list[tuple[str, bool]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                try:
                    Webhook(SECRET).verify(body, dict(self.headers.items()))
                    ok = True
                except WebhookVerificationError:
                    ok = False
                with receiver._lock:
                    receiver.received.append((json.loads(body)["data"]["id"], ok))
                self.send_response(200 if ok else 401)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


@dataclass
class SmallBank:
    db: Database
    path: Path
    truth: dict[str, Any]
    hook_env: dict[str, str]
    receiver: Receiver
    first_compute: str = ""
    notes: dict[str, Any] = field(default_factory=dict)


@pytest.fixture(scope="module")
def small_bank(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmallBank]:
    out = tmp_path_factory.mktemp("small-bank-events")
    env = cli_env()
    port = free_port()
    hook_env = cli_env(
        CORPGRAPH_WEBHOOK_URLS=json.dumps([f"http://127.0.0.1:{port}/hook"]),
        CORPGRAPH_WEBHOOK_SECRET=SECRET,
        CORPGRAPH_EVENTS_STREAM_POLL_S="0.5",
    )
    run_cli("generate", "--out", str(out), "--scale", "small", "--seed", "1", env=env)
    run_cli("db", "wipe", "--yes", env=env)
    run_cli("load", str(out), env=env)
    run_cli("compute", "--only", "group_risk", env=env)
    # Compute only enqueues: the receiver (down) is not contacted by it.
    computed = run_cli("compute", "--only", "events", env=hook_env)
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    receiver = Receiver(port)
    bank = SmallBank(database, out, truth, hook_env, receiver, computed.stdout)
    yield bank
    receiver.stop()


def _events(db: Database) -> list[dict[str, Any]]:
    return db.read(ALL_EVENTS)


def test_detection_finds_the_planted_events(small_bank: SmallBank) -> None:
    events = _events(small_bank.db)
    found = {(e["customer"], e["type"], e["month"]) for e in events if e["type"] in PLANTED_TYPES}
    planted = {(e["customer_id"], e["type"], e["month"]) for e in small_bank.truth["events"]}
    precision, recall = precision_recall(found, planted)
    print(  # noqa: T201 - the acceptance figures
        f"\nevent detection on the small bank: precision {precision:.3f}, recall {recall:.3f} "
        f"(planted {len(planted)}, found {len(found)}, missed {sorted(planted - found)})"
    )
    assert precision >= 0.95
    assert recall >= 0.95

    downgrades = {(e["customer"], e["month"]) for e in events if e["type"] == "segment_downgrade"}
    planted_downgrades = {
        (m["customer_id"], m["as_of"][:7])
        for m in small_bank.truth["segment_migrations"]
        if SEGMENT_RANK[m["to"]] > SEGMENT_RANK[m["from"]]
    }
    assert downgrades == planted_downgrades
    others = {e["type"] for e in events} - PLANTED_TYPES - {"segment_downgrade"}
    assert others == set(), others
    assert all(e["status"] == "new" for e in events)


def test_webhooks_reach_a_receiver_that_was_down(small_bank: SmallBank) -> None:
    db = small_bank.db
    events = {e["id"] for e in _events(db)}
    before = db.read(DELIVERIES)
    assert {d["event_id"] for d in before} == events
    assert all(d["status"] == "pending" and d["attempts"] == 0 for d in before)
    # The worker meets a receiver that is down: every delivery fails and stays pending.
    down = run_cli("webhooks", "deliver", env=small_bank.hook_env)
    assert "delivered 0" in down.stdout
    assert all(d["status"] == "pending" and d["attempts"] == 1 for d in db.read(DELIVERIES))

    small_bank.receiver.start()
    delivered = run_cli("webhooks", "deliver", "--now", env=small_bank.hook_env)
    assert f"delivered {len(events)}" in delivered.stdout
    received = small_bank.receiver.received
    assert {event for event, _ in received} == events
    assert all(ok for _, ok in received)
    after = db.read(DELIVERIES)
    assert all(d["status"] == "delivered" and d["logged"] == d["attempts"] for d in after)
    # Nothing is pending, so another round sends nothing twice.
    run_cli("events", "deliver", "--now", env=small_bank.hook_env)
    assert len(small_bank.receiver.received) == len(events)


def test_a_second_compute_adds_no_event(small_bank: SmallBank) -> None:
    before = {e["id"] for e in _events(small_bank.db)}
    again = run_cli("compute", "--only", "events", env=small_bank.hook_env)
    assert "new events 0" in again.stdout
    assert {e["id"] for e in _events(small_bank.db)} == before


# --- the API --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def client(small_bank: SmallBank) -> Iterator[TestClient]:
    settings = Settings(events_stream_poll_s=0.3, events_stream_heartbeat_s=1.0)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _key(db: Database, role: str, branch: str) -> dict[str, str]:
    _, key = UserStore(db).add(f"{role}-{branch}", role, branch)
    return {"X-API-Key": key}


def _busiest_sub_branch(events: list[dict[str, Any]]) -> str:
    branches = [str(e["branch"]) for e in events if str(e["branch"]).count("-") == 2]
    return max(sorted(set(branches)), key=branches.count)


def test_events_api_scoping_ack_and_status(client: TestClient, small_bank: SmallBank) -> None:
    db = small_bank.db
    events = _events(db)
    branch = _busiest_sub_branch(events)
    head = _key(db, "manager", "HO")
    local = _key(db, "rm", branch)

    every = client.get("/api/v1/events", params={"limit": 500}, headers=head).json()
    assert every["total"] == len(events)
    mine = client.get("/api/v1/events", params={"limit": 500}, headers=local).json()
    in_scope = {e["id"] for e in events if e["branch"] == branch}
    assert {i["id"] for i in mine["items"]} == in_scope
    assert mine["total"] == len(in_scope)
    outside = next(e["id"] for e in events if e["branch"] != branch)
    assert client.get(f"/api/v1/events/{outside}", headers=local).status_code == 404
    assert client.post(f"/api/v1/events/{outside}/ack", headers=local).status_code == 404
    assert (
        client.patch(
            f"/api/v1/events/{outside}", json={"status": "dismissed"}, headers=local
        ).status_code
        == 404
    )

    target = sorted(in_scope)[0]
    detail = client.get(f"/api/v1/events/{target}", headers=local).json()
    assert detail["evidence"]
    assert detail["suggested_action"] in {"retention_visit", "cross_sell", "risk_review"}
    assert detail["owner_rm_id"]
    acked = client.post(f"/api/v1/events/{target}/ack", json={"note": "called"}, headers=local)
    assert acked.status_code == 200
    assert acked.json()["status"] == "acknowledged"
    done = client.patch(f"/api/v1/events/{target}", json={"status": "actioned"}, headers=local)
    history = done.json()["history"]
    assert [(h["from"], h["to"]) for h in history] == [
        ("new", "acknowledged"),
        ("acknowledged", "actioned"),
    ]
    assert all(h["by"] and h["at"] for h in history)
    assert history[0]["note"] == "called"
    bad = client.patch(f"/api/v1/events/{target}", json={"status": "closed"}, headers=local)
    assert bad.status_code == 422
    filtered = client.get("/api/v1/events", params={"status": "actioned"}, headers=local).json()
    assert [i["id"] for i in filtered["items"]] == [target]
    prospecting = _key(db, "prospecting", "HO")
    assert client.get("/api/v1/events", headers=prospecting).status_code == 403
    # Status changes survive a recompute.
    run_cli("compute", "--only", "events", env=cli_env())
    assert client.get(f"/api/v1/events/{target}", headers=local).json()["status"] == "actioned"


def test_screening_and_360_show_open_events(client: TestClient, small_bank: SmallBank) -> None:
    db = small_bank.db
    head = _key(db, "manager", "HO")
    open_customers = {
        str(r["id"])
        for r in db.read(
            "MATCH (e:Event)-[:ABOUT]->(c:Customer) WHERE e.status IN ['new', 'acknowledged'] "
            "RETURN DISTINCT c.company_id AS id"
        )
    }
    assert open_customers
    listed = client.get(
        "/api/v1/customers", params={"has_open_events": "true", "limit": 500}, headers=head
    ).json()
    assert listed["total"] == len(open_customers)
    assert {i["id"] for i in listed["items"]} <= open_customers
    without = client.get(
        "/api/v1/customers", params={"has_open_events": "false", "limit": 1}, headers=head
    ).json()
    everyone = client.get("/api/v1/customers", params={"limit": 1}, headers=head).json()
    assert without["total"] + listed["total"] == everyone["total"]

    planted = small_bank.truth["events"][0]
    view = client.get(f"/api/v1/customers/{planted['customer_id']}", headers=head).json()
    assert (planted["type"], planted["month"]) in {(e["type"], e["month"]) for e in view["events"]}


def test_event_stream_sends_new_events_in_scope_only(
    client: TestClient, small_bank: SmallBank
) -> None:
    db = small_bank.db
    events = _events(db)
    branch = _busiest_sub_branch(events)
    local = _key(db, "rm", branch)
    customers = db.read(
        "MATCH (c:Customer) RETURN c.company_id AS id, c.branch_id AS branch ORDER BY id"
    )
    mine = next(c["id"] for c in customers if c["branch"] == branch)
    theirs = next(c["id"] for c in customers if c["branch"] != branch)
    result: dict[str, str] = {}

    def listen() -> None:
        response = client.get("/api/v1/events/stream", params={"max_seconds": 6}, headers=local)
        result["status"] = str(response.status_code)
        result["body"] = response.text

    listener = threading.Thread(target=listen)
    listener.start()
    time.sleep(2.0)
    rows = [
        {
            "event_id": f"EV-SSE-{customer}",
            "type": "large_inflow",
            "severity": "medium",
            "customer_id": customer,
            "month": "2026-02",
            "evidence_json": json.dumps({"ratio": 4.2}),
            "explanation": "stream test",
            "suggested_action": "cross_sell",
            "counterparty_id": None,
            "related": [],
        }
        for customer in (mine, theirs)
    ]
    # As the events step writes them: stamped with the published events run.
    run = published(db)["event_run"]
    db.write_rows(
        WRITE_EVENTS,
        rows,
        extra_parameters={
            "now_ms": int(time.time() * 1000),
            "webhooks": False,
            "run_id": run,
            "published_run": run,
        },
    )
    listener.join(timeout=30)
    assert result["status"] == "200"
    messages = [
        json.loads(line[len("data: ") :])
        for line in result["body"].splitlines()
        if line.startswith("data: ")
    ]
    assert [m["id"] for m in messages] == [f"EV-SSE-{mine}"]
    assert ": heartbeat" in result["body"] or ": connected" in result["body"]
    db.write("MATCH (e:Event) WHERE e.event_id STARTS WITH 'EV-SSE-' DETACH DELETE e")


# --- a new month ------------------------------------------------------------------------------
STEADY_PAYMENTS = """
MATCH (c:Customer)-[r:PAYS {currency: 'CNY'}]->(p:Company)
WHERE NOT c.company_id IN $exclude
  AND NOT EXISTS { (c)-[:MEMBER_OF]->(:Group) } AND NOT EXISTS { (c)-[:IN_CIRCLE]->() }
RETURN c.company_id AS customer, p.company_id AS payee, r.month AS month,
       r.amount_minor AS amount_minor, coalesce(p.is_customer, false) AS payee_is_customer
ORDER BY customer
"""


def test_a_new_month_with_a_planted_outflow_adds_exactly_that_event(
    small_bank: SmallBank, tmp_path: Path
) -> None:
    db = small_bank.db
    exclude = sorted({e["customer_id"] for e in small_bank.truth["events"]})
    outflow: dict[str, dict[str, int]] = {}
    by_payee: dict[tuple[str, str], int] = {}
    for r in db.read(STEADY_PAYMENTS, {"exclude": exclude}):
        months = outflow.setdefault(r["customer"], {})
        months[r["month"]] = months.get(r["month"], 0) + int(r["amount_minor"])
        if not r["payee_is_customer"]:  # a customer payee would get an inflow event
            key = (r["customer"], r["payee"])
            by_payee[key] = by_payee.get(key, 0) + int(r["amount_minor"])
    customer = next(
        c
        for c, months in sorted(outflow.items())
        if len(months) == 12 and any(k[0] == c for k in by_payee)
    )
    payee = max((p for c, p in by_payee if c == customer), key=lambda p: by_payee[(customer, p)])
    usual = int(statistics.median(outflow[customer].values()))
    amount = usual * 6  # one payment of 6x the usual monthly outflow, as the generator plants

    folder = tmp_path / "2026-01"
    folder.mkdir()
    for name in ("branches", "relationship_managers", "companies"):
        (folder / f"{name}.csv").write_bytes((small_bank.path / f"{name}.csv").read_bytes())
    with (small_bank.path / "transactions.csv").open(encoding="utf-8") as source:
        header = next(csv.reader(source))
    with (folder / "transactions.csv").open("w", encoding="utf-8", newline="") as target:
        writer = csv.DictWriter(target, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerow(
            {
                "txn_id": "T2026010000001",
                "date": "2026-01-15",
                "amount": f"{amount // 100}.{amount % 100:02d}",
                "currency": "CNY",
                "payer_id": customer,
                "payee_id": payee,
                "channel": "网上银行",
                "purpose": "货款",
            }
        )
    before = {e["id"] for e in _events(db)}
    run_cli("load", str(folder), env=cli_env())
    run_cli("compute", "--only", "events", env=cli_env())
    added = [e for e in _events(db) if e["id"] not in before]
    assert [(e["customer"], e["type"], e["month"]) for e in added] == [
        (customer, "large_outflow", "2026-01")
    ]
    assert added[0]["id"] == event_id("large_outflow", customer, "2026-01")
