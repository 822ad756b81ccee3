"""Opportunities, the pipeline and the reports on the tiny synthetic bank (loaded once)."""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from core.settings import Settings
from graph.database import Database
from graph.users import UserStore

from .conftest import cli_env, run_cli

EVENTS = (
    "MATCH (e:Event)-[:ABOUT]->(c:Company) "
    "RETURN e.event_id AS id, c.branch_id AS branch, e.owner_rm_id AS owner ORDER BY id"
)
CUSTOMERS = (
    "MATCH (c:Customer) RETURN c.company_id AS id, c.branch_id AS branch, c.rm_id AS rm ORDER BY id"
)


@dataclass(frozen=True)
class TinyBank:
    db: Database
    path: Path
    truth: dict[str, Any]


@pytest.fixture(scope="module")
def tiny_bank(database: Database, tmp_path_factory: pytest.TempPathFactory) -> TinyBank:
    out = tmp_path_factory.mktemp("tiny-bank-opportunities")
    env = cli_env()
    run_cli("generate", "--out", str(out), "--scale", "tiny", "--seed", "3", env=env)
    # The lifecycle test counts the opportunities it makes itself (its RM's list, the
    # pipeline report); the CRM history (an optional file) is tracking's, tested in
    # test_kpi_tracking.
    (out / "opportunity_history.csv").unlink()
    run_cli("db", "wipe", "--yes", env=env)
    run_cli("load", str(out), env=env)
    run_cli("compute", "--only", "events", env=env)
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    return TinyBank(database, out, truth)


@pytest.fixture(scope="module")
def client(tiny_bank: TinyBank) -> Iterator[TestClient]:
    with TestClient(create_app(Settings())) as test_client:
        yield test_client


def _key(db: Database, role: str, branch: str, rm_id: str | None = None) -> dict[str, str]:
    _, key = UserStore(db).add(f"{role}-{branch}", role, branch, rm_id=rm_id)
    return {"X-API-Key": key}


def _patch(client: TestClient, url: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    """PATCH naming the version just read (its ETag), as the UI does."""
    etag = client.get(url, headers=headers).headers.get("ETag", '"0"')
    return client.patch(url, json=body, headers={**headers, "If-Match": etag})


def _sub_branch_with_events(db: Database) -> str:
    branches = [str(e["branch"]) for e in db.read(EVENTS) if str(e["branch"]).count("-") == 2]
    return max(sorted(set(branches)), key=branches.count)


# --- reports ---------------------------------------------------------------------------------
def test_events_report_totals_equal_the_events_list(
    client: TestClient, tiny_bank: TinyBank
) -> None:
    db = tiny_bank.db
    head = _key(db, "manager", "HO")
    branch = _sub_branch_with_events(db)
    local = _key(db, "manager", branch)
    rm = _key(db, "rm", branch)
    for headers in (head, local):
        listed = client.get("/api/v1/events", params={"limit": 500}, headers=headers).json()
        report = client.get("/api/v1/reports/events", headers=headers).json()
        overall = report["overall"]
        assert overall["total"] == listed["total"] > 0
        assert sum(overall["by_type"].values()) == listed["total"]
        assert sum(overall["by_status"].values()) == listed["total"]
        assert sum(b["total"] for b in report["branches"]) == listed["total"]
        by_type = Counter(i["type"] for i in listed["items"])
        assert {k: v for k, v in overall["by_type"].items() if v} == dict(by_type)
    local_report = client.get("/api/v1/reports/events", headers=local).json()
    assert {b["branch_id"] for b in local_report["branches"]} == {branch}

    target = client.get("/api/v1/events", headers=rm).json()["items"][0]["id"]
    client.patch(f"/api/v1/events/{target}", json={"status": "actioned"}, headers=rm)
    after = client.get("/api/v1/reports/events", headers=local).json()["overall"]
    assert after["by_status"]["actioned"] == 1
    assert after["actioned_rate"] == round(1 / after["total"], 4)
    assert sum(after["unhandled_ageing"].values()) == after["total"] - 1

    exported = client.get("/api/v1/reports/events", params={"format": "csv"}, headers=local)
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert rows[0] == ["branch_id", "dimension", "key", "value"]
    assert ["ALL", "total", "", str(after["total"])] in rows
    assert client.get("/api/v1/reports/events", headers=rm).status_code == 403


def test_segment_migration_matrix_equals_the_planted_migrations(
    client: TestClient, tiny_bank: TinyBank
) -> None:
    head = _key(tiny_bank.db, "manager", "HO")
    dates = tiny_bank.truth["snapshot_dates"]
    migrations = tiny_bank.truth["segment_migrations"]
    customers = len(tiny_bank.db.read(CUSTOMERS))
    for earlier, later in itertools.pairwise(dates):
        report = client.get(
            "/api/v1/reports/segment-migration",
            params={"from": earlier, "to": later},
            headers=head,
        ).json()
        moved = {(c["from"], c["to"]): c["count"] for c in report["matrix"] if c["from"] != c["to"]}
        planted = Counter((m["from"], m["to"]) for m in migrations if m["as_of"] == later)
        assert moved == dict(planted)
        assert report["customers"] == customers
        assert sum(c["count"] for c in report["matrix"]) == customers
        for cell in report["matrix"]:
            for exposure in cell["exposure"]:
                assert exposure["amount"].count(".") == 1
    exported = client.get(
        "/api/v1/reports/segment-migration",
        params={"from": dates[0], "to": dates[-1], "format": "csv"},
        headers=head,
    )
    assert exported.text.lstrip("\ufeff").startswith("from,to,count,exposure,currency")
    bad = client.get(
        "/api/v1/reports/segment-migration",
        params={"from": dates[-1], "to": dates[0]},
        headers=head,
    )
    assert bad.status_code == 422
    assert (
        client.get(
            "/api/v1/reports/segment-migration",
            params={"from": "2025-13-01", "to": dates[0]},
            headers=head,
        ).status_code
        == 422
    )
    branch = _sub_branch_with_events(tiny_bank.db)
    local = _key(tiny_bank.db, "manager", branch)
    scoped = client.get(
        "/api/v1/reports/segment-migration",
        params={"from": dates[0], "to": dates[-1]},
        headers=local,
    ).json()
    in_branch = sum(1 for c in tiny_bank.db.read(CUSTOMERS) if c["branch"] == branch)
    assert scoped["customers"] == in_branch < customers


# --- opportunities ---------------------------------------------------------------------------
def test_opportunity_lifecycle_stage_rules_and_scoping(
    client: TestClient, tiny_bank: TinyBank
) -> None:
    db = tiny_bank.db
    branch = _sub_branch_with_events(db)
    first_event = next(e for e in db.read(EVENTS) if e["branch"] == branch)
    rm = _key(db, "rm", branch, first_event["owner"])  # the event's owner RM
    other_branch = next(
        str(c["branch"])
        for c in db.read(CUSTOMERS)
        if str(c["branch"]).count("-") == 2
        and c["branch"] != branch
        and not str(c["branch"]).startswith(branch)
    )
    other = _key(db, "rm", other_branch)
    manager = _key(db, "manager", "HO")

    event = client.get(f"/api/v1/events/{first_event['id']}", headers=rm).json()
    created = client.post(
        "/api/v1/opportunities",
        json={
            "source": "event",
            "source_id": event["id"],
            "product": "TF-LC",
            "expected_amount": {"amount": "1234567.89", "currency": "CNY"},
            "due_date": "2026-03-31",
            "notes": "从事件转商机",
        },
        headers=rm,
    )
    assert created.status_code == 201, created.text
    opp = created.json()
    assert opp["stage"] == "identified"
    assert opp["company"]["id"] == event["customer"]["id"]
    assert opp["owner_rm_id"] == event["owner_rm_id"]
    assert opp["expected_amount"] == {"amount": "1234567.89", "currency": "CNY"}
    url = f"/api/v1/opportunities/{opp['id']}"

    assert client.get(url, headers=other).status_code == 404
    assert _patch(client, url, {"stage": "contacted"}, other).status_code == 404
    assert _patch(client, url, {"stage": "won"}, rm).status_code == 422
    visit = {"kind": "visit", "date": "2026-01-10", "text": "拜访财务总监"}
    moved = _patch(client, url, {"stage": "contacted", "activity": visit}, rm).json()
    assert moved["activities"][0]["text"] == "拜访财务总监"
    _patch(client, url, {"stage": "proposal"}, rm)
    assert _patch(client, url, {"stage": "identified"}, rm).status_code == 422
    back = _patch(client, url, {"stage": "contacted", "reason": "new CFO, restart"}, rm).json()
    assert back["history"][-1]["backwards"] is True
    _patch(client, url, {"stage": "proposal"}, rm)
    won = _patch(client, url, {"stage": "won"}, rm).json()
    assert [h["to"] for h in won["history"]] == [
        "identified",
        "contacted",
        "proposal",
        "contacted",
        "proposal",
        "won",
    ]
    assert all(h["by"] and h["at"] for h in won["history"])
    for stage in ("lost", "proposal", "identified"):
        assert _patch(client, url, {"stage": stage}, rm).status_code == 422

    customer = next(c for c in db.read(CUSTOMERS) if c["branch"] == branch)
    rec = client.post(
        "/api/v1/opportunities",
        json={"source": "recommendation", "company_id": customer["id"], "product": "CM-PAYROLL"},
        headers=rm,
    ).json()
    lost = _patch(client, f"/api/v1/opportunities/{rec['id']}", {"stage": "lost"}, manager)
    assert lost.status_code == 200, lost.text
    foreign = next(c for c in db.read(CUSTOMERS) if c["branch"] == other_branch)
    assert (
        client.post(
            "/api/v1/opportunities",
            json={"source": "recommendation", "company_id": foreign["id"]},
            headers=rm,
        ).status_code
        == 404
    )
    bad_amount = client.post(
        "/api/v1/opportunities",
        json={
            "source": "recommendation",
            "company_id": customer["id"],
            "expected_amount": {"amount": "1.234", "currency": "CNY"},
        },
        headers=rm,
    )
    assert bad_amount.status_code == 422

    prospect_id = tiny_bank.truth["prospects"][0]
    prospect = client.post(
        "/api/v1/opportunities",
        json={"source": "prospect", "source_id": prospect_id, "product": "CM-CASHPOOL"},
        headers=rm,
    )
    assert prospect.status_code == 201, prospect.text
    assert prospect.json()["company"] == {
        "id": prospect_id,
        "name": prospect.json()["company"]["name"],
        "is_customer": False,
    }
    assert prospect.json()["branch_id"] == branch  # no suggested branch: the creator's
    as_prospect = client.post(
        "/api/v1/opportunities",
        json={"source": "prospect", "source_id": customer["id"]},
        headers=rm,
    )
    assert as_prospect.status_code == 422  # a customer is not a prospect

    mine = client.get("/api/v1/opportunities", headers=rm).json()
    assert {i["id"] for i in mine["items"]} == {opp["id"], rec["id"], prospect.json()["id"]}
    assert client.get("/api/v1/opportunities", headers=other).json()["total"] == 0

    pipeline = client.get("/api/v1/reports/pipeline", headers=manager).json()
    assert pipeline["totals"]["won"] == 1
    assert pipeline["totals"]["lost"] == 1
    row = next(i for i in pipeline["items"] if i["rm_id"] == event["owner_rm_id"])
    assert {"stage": "won", "amount": "1234567.89", "currency": "CNY"} in row["expected_amounts"]
    exported = client.get("/api/v1/reports/pipeline", params={"format": "csv"}, headers=manager)
    assert exported.text.lstrip("\ufeff").splitlines()[0].startswith("branch_id,rm_id,identified")
    assert client.get("/api/v1/reports/pipeline", headers=rm).status_code == 403
