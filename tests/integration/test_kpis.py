"""KPIs and targets on a generated bank in a real Neo4j, through the HTTP API.

- every metric of every branch equals the sum (or the denominator-weighted mean) of
  its children: its child branches and the RMs who work at it (in the synthetic bank
  each customer's RM works at its booking branch);
- the balance, outstanding and customer metrics equal a recomputation straight from
  the generated CSV files (bad rows, as ``truth.json`` lists them, left out), at
  several snapshot dates;
- targets load from ``targets.csv``, are set and split through the API (the parts
  add back exactly), and every answer is scoped like the rest of the API.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from core.kpis import METRICS, Rollup
from core.settings import Settings
from graph.database import Database
from graph.users import UserStore

from .conftest import cli_env, run_cli

pytestmark = pytest.mark.integration

#: Before any USD rate (USD amounts have no equivalent) and inside the rates; the test adds
#: today, read after it acts (a module-level date goes stale when a run crosses midnight).
PAST_DATES = (date(2024, 6, 30), date(2025, 8, 15))


@dataclass(frozen=True)
class Bank:
    db: Database
    path: Path
    truth: dict[str, Any]


@pytest.fixture(scope="module")
def bank(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Bank:
    out = tmp_path_factory.mktemp("tiny-bank-kpis")
    env = cli_env()
    run_cli("generate", "--out", str(out), "--scale", "tiny", "--seed", "3", env=env)
    # The opportunity metrics are checked on the opportunities this test makes itself; the
    # CRM history (an optional file) is tracking's, tested in test_kpi_tracking.
    (out / "opportunity_history.csv").unlink()
    run_cli("db", "wipe", "--yes", env=env)
    run_cli("load", str(out), env=env)
    run_cli("compute", "--only", "events", env=env)
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    return Bank(database, out, truth)


@pytest.fixture(scope="module")
def client(bank: Bank) -> Iterator[TestClient]:
    with TestClient(create_app(Settings())) as test_client:
        yield test_client


def _key(db: Database, role: str, branch: str, rm_id: str | None = None) -> dict[str, str]:
    _, key = UserStore(db).add(f"{role}-{branch}-{rm_id}", role, branch, rm_id=rm_id)
    return {"X-API-Key": key}


def _all_kpis(client: TestClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        page = client.get(
            "/api/v1/kpis", params={**params, "limit": 500, "offset": len(items)}, headers=headers
        )
        assert page.status_code == 200, page.text
        body = page.json()
        items += body["items"]
        if len(items) >= body["total"]:
            return items


def _rows(bank: Bank, name: str) -> list[dict[str, str]]:
    """The good rows of a generated file: planted bad rows and repeated keys left out."""
    bad = {int(b["row"]) for b in bank.truth["bad_rows"] if b["file"] == name}
    with (bank.path / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return [row for line, row in enumerate(csv.DictReader(handle), start=2) if line not in bad]


def _fen(amount: str) -> int:
    whole, cents = amount.split(".")
    return int(whole) * 100 + int(cents)


def _recomputed(bank: Bank, on: date) -> dict[tuple[str, str, str, str | None], tuple[int, int]]:
    """Balances, outstanding, customers and products per customer from the CSV files."""
    parents = {r["branch_id"]: r["parent_branch_id"] or None for r in _rows(bank, "branches")}
    customers = {r["company_id"]: r for r in _rows(bank, "companies") if r["is_customer"] == "true"}
    category = {r["product_code"]: r["category"] for r in _rows(bank, "products")}
    rates: dict[str, tuple[str, Decimal]] = {}
    for r in _rows(bank, "fx_rates"):
        if r["rate_date"] <= on.isoformat() and r["rate_date"] > rates.get(r["currency"], ("",))[0]:
            rates[r["currency"]] = (r["rate_date"], Decimal(r["cny_per_unit"]))
    exact: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)  # (metric, cust, cat)
    no_rate: set[tuple[str, str, str]] = set()
    since: dict[str, str] = {}
    products: dict[str, set[str]] = defaultdict(set)
    closings: dict[str, list[str]] = defaultdict(list)
    for r in _rows(bank, "holdings"):
        if r["customer_id"] not in customers:
            continue
        closings[r["customer_id"]].append(r["closed"])
        if r["opened"]:
            since[r["customer_id"]] = min(since.get(r["customer_id"], r["opened"]), r["opened"])
        if r["opened"] and r["opened"] > on.isoformat():
            continue
        if r["closed"] and r["closed"] <= on.isoformat():
            continue
        products[r["customer_id"]].add(r["product_code"])
        key = ("holding_balance", r["customer_id"], category[r["product_code"]])
        _convert(exact, no_rate, key, r["balance"], r["currency"], rates)
    for r in _rows(bank, "facilities"):
        if r["customer_id"] not in customers:
            continue
        if r["maturity"] and r["maturity"] < on.isoformat():
            continue
        key = ("facility_outstanding", r["customer_id"], category.get(r["product"], r["product"]))
        _convert(exact, no_rate, key, r["outstanding"], r["currency"], rates)
    out: dict[tuple[str, str, str, str | None], list[int]] = defaultdict(lambda: [0, 0])

    def add(customer: str, metric: str, cat: str | None, numerator: int) -> None:
        row = customers[customer]
        units = [("rm", row["rm_id"])] if row["rm_id"] else []
        branch: str | None = row["branch_id"] if row["branch_id"] in parents else None
        while branch is not None:
            units.append(("branch", branch))
            branch = parents[branch]
        for scope_type, scope_id in units:
            out[(scope_type, scope_id, metric, cat)][0] += numerator
            out[(scope_type, scope_id, metric, cat)][1] += 1

    for (metric, customer, cat), amount in exact.items():
        fen = int((amount * 100).quantize(Decimal(1), ROUND_HALF_UP))
        add(customer, metric, cat, fen)
        add(customer, metric, None, fen)
    day = on.isoformat()
    for customer in customers:
        closed = closings.get(customer, [])
        lost_on = max(closed) if closed and all(closed) else None
        if customer in since and since[customer] <= day:
            add(customer, "new_customers_won", None, 1)
        if lost_on is not None and lost_on <= day:
            add(customer, "lost_customers", None, 1)
            continue
        if customer in since and since[customer] > day:
            continue
        add(customer, "customers", None, 1)
        add(customer, "products_per_customer", None, len(products[customer]))
    # Visits and calls count for their RM and the branch the RM works at.
    rm_branch = {r["rm_id"]: r["branch_id"] for r in _rows(bank, "relationship_managers")}
    for r in _rows(bank, "activities"):
        if r["kind"] not in ("visit", "call") or r["date"] > day:
            continue
        units = [("rm", r["rm_id"])]
        at: str | None = rm_branch[r["rm_id"]]
        while at is not None:
            units.append(("branch", at))
            at = parents[at]
        for unit in units:
            for kind in (r["kind"], None):
                out[(*unit, "sales_activities", kind)][0] += 1
                out[(*unit, "sales_activities", kind)][1] += 1
    return {k: (v[0], v[1]) for k, v in out.items()}


def _convert(
    exact: dict[tuple[str, str, str], Decimal],
    no_rate: set[tuple[str, str, str]],
    key: tuple[str, str, str],
    amount: str,
    currency: str,
    rates: dict[str, tuple[str, Decimal]],
) -> None:
    if currency == "CNY":
        exact[key] += Decimal(amount)
    elif currency in rates:
        exact[key] += Decimal(amount) * rates[currency][1]
    else:
        exact[key] += 0  # the customer still has a (possibly zero) converted total
        no_rate.add(key)


def _act_on_events_and_opportunities(client: TestClient, bank: Bank) -> None:
    """Handle some events and win an opportunity, so those metrics have something."""
    head = _key(bank.db, "manager", "HO")
    events = client.get("/api/v1/events", params={"limit": 6}, headers=head).json()["items"]
    assert len(events) >= 4
    for event, status in zip(events, ("acknowledged", "actioned", "dismissed"), strict=False):
        changed = client.patch(
            f"/api/v1/events/{event['id']}", json={"status": status}, headers=head
        )
        assert changed.status_code == 200, changed.text
    customer = events[3]["customer"]["id"]
    created = client.post(
        "/api/v1/opportunities",
        json={
            "source": "recommendation",
            "company_id": customer,
            "product": "TF-LC",
            "expected_amount": {"amount": "1000.01", "currency": "USD"},
        },
        headers=head,
    )
    assert created.status_code == 201, created.text
    url = f"/api/v1/opportunities/{created.json()['id']}"
    for stage in ("proposal", "won"):
        etag = client.get(url, headers=head).headers.get("ETag", '"0"')
        moved = client.patch(url, json={"stage": stage}, headers={**head, "If-Match": etag})
        assert moved.status_code == 200, moved.text


def test_every_level_is_the_sum_or_weighted_mean_of_its_children_and_of_the_files(
    client: TestClient, bank: Bank
) -> None:
    _act_on_events_and_opportunities(client, bank)
    today = date.today()
    dates = (*PAST_DATES, today)
    head = _key(bank.db, "manager", "HO")
    branches = {r["branch_id"]: r["parent_branch_id"] or None for r in _rows(bank, "branches")}
    rm_branch = {r["rm_id"]: r["branch_id"] for r in _rows(bank, "relationship_managers")}
    for on in dates:
        items = _all_kpis(client, head, on=on.isoformat())
        got = {(i["scope_type"], i["scope_id"], i["metric"], i["category"]): i for i in items}
        assert {k[0] for k in got} == {"branch", "rm"}
        assert {k[1] for k in got} == set(branches) | set(rm_branch)
        metrics_seen = {k[2] for k in got}
        assert metrics_seen == set(METRICS)
        # 1. every branch from its children: child branches and the RMs who work there
        for (scope_type, branch, metric, category), item in got.items():
            if scope_type != "branch":
                continue
            children = [
                got[("branch", b, metric, category)] for b, p in branches.items() if p == branch
            ] + [got[("rm", r, metric, category)] for r, b in rm_branch.items() if b == branch]
            assert item["numerator"] == sum(c["numerator"] for c in children), (branch, metric)
            assert item["denominator"] == sum(c["denominator"] for c in children)
            if METRICS[metric].rollup is Rollup.WEIGHTED_MEAN and item["denominator"]:
                weighted = sum(
                    Fraction(c["numerator"], c["denominator"]) * c["denominator"]
                    for c in children
                    if c["denominator"]
                )
                assert Fraction(item["numerator"], item["denominator"]) == (
                    weighted / item["denominator"]
                )
        # 2. the file-based metrics from the CSV files directly
        expected = _recomputed(bank, on)
        for key, item in got.items():
            if key[2] not in (
                "holding_balance",
                "facility_outstanding",
                "customers",
                "products_per_customer",
                "new_customers_won",
                "lost_customers",
                "sales_activities",
            ):
                continue
            numerator, count = expected.get(key, (0, 0))
            assert item["numerator"] == numerator, (on, key)
            if key[2] == "products_per_customer":
                assert item["denominator"] == count, (on, key)
        # the totals are not trivially zero: the test can fail
        assert got[("branch", "HO", "holding_balance", "deposit")]["numerator"] > 0
        assert got[("branch", "HO", "customers", None)]["numerator"] > 0
        assert got[("branch", "HO", "sales_activities", "visit")]["numerator"] > 0
    # the planted lost customers are lost from their day on, and not before
    lost = bank.truth["lost_customers"]
    assert lost
    last = max(lost.values())
    at_end = {
        (i["scope_type"], i["scope_id"]): i["numerator"]
        for i in _all_kpis(client, head, on=last, metric="lost_customers")
    }
    assert at_end[("branch", "HO")] == len(lost)
    before = _all_kpis(client, head, on=PAST_DATES[0].isoformat(), metric="lost_customers")
    assert all(i["numerator"] == 0 for i in before)
    before_usd = {
        (i["scope_id"], i["category"]): i
        for i in _all_kpis(
            client, head, on=PAST_DATES[0].isoformat(), metric="facility_outstanding"
        )
        if i["scope_type"] == "branch"
    }
    assert before_usd[("HO", None)]["no_rate"], "USD facilities have no rate before 2025"
    on_today = {
        (i["metric"], i["category"]): i
        for i in _all_kpis(client, head, on=today.isoformat(), scope_id="HO")
    }
    assert on_today[("opportunities_won", None)]["numerator"] == 1
    # 1000.01 USD at the latest rate, 7.0288: 7028.870288 → 7028.87
    assert on_today[("opportunities_won_amount", None)]["value"] == "7028.87"
    assert on_today[("events_actioned_share", None)]["numerator"] == 1
    assert on_today[("event_response_hours", None)]["denominator"] == 3
    assert on_today[("stage_conversion", "won")]["value"] == "100.0000"


def test_scoping_an_rm_sees_their_own_a_manager_their_subtree(
    client: TestClient, bank: Bank
) -> None:
    rms = _rows(bank, "relationship_managers")
    rm = rms[0]
    own = _key(bank.db, "rm", rm["branch_id"], rm["rm_id"])
    mine = _all_kpis(client, own, metric="customers")
    assert [(i["scope_type"], i["scope_id"]) for i in mine] == [("rm", rm["rm_id"])]
    assert (
        client.get("/api/v1/kpis", params={"scope_id": rm["branch_id"]}, headers=own).status_code
        == 404
    )
    other_rm = next(r for r in rms if r["branch_id"] != rm["branch_id"])
    assert (
        client.get("/api/v1/kpis", params={"scope_id": other_rm["rm_id"]}, headers=own).status_code
        == 404
    )

    branches = {r["branch_id"]: r["parent_branch_id"] for r in _rows(bank, "branches")}
    local_branch = next(b for b, p in branches.items() if p == "HO")
    local = _key(bank.db, "manager", local_branch)
    seen = {(i["scope_type"], i["scope_id"]) for i in _all_kpis(client, local, metric="customers")}
    subtree = {local_branch} | {b for b, p in branches.items() if p == local_branch}
    rm_here = {r["rm_id"] for r in rms if r["branch_id"] in subtree}
    assert seen == {("branch", b) for b in subtree} | {("rm", r) for r in rm_here}
    assert client.get("/api/v1/kpis", params={"scope_id": "HO"}, headers=local).status_code == 404
    risk = _key(bank.db, "risk", "HO")
    assert client.get("/api/v1/kpis", headers=risk).status_code == 403
    assert (
        client.get("/api/v1/kpis", params={"metric": "nonsense"}, headers=local).status_code == 422
    )


def test_targets_load_split_exactly_and_are_scoped(client: TestClient, bank: Bank) -> None:
    head = _key(bank.db, "manager", "HO")
    loaded = _rows(bank, "targets")
    listed = client.get("/api/v1/targets", params={"limit": 500}, headers=head).json()
    assert listed["total"] == len(loaded) > 0
    assert {(t["scope_id"], t["target_value"]) for t in listed["items"]} == {
        (r["scope_id"], r["target_value"]) for r in loaded
    }
    assert all(t["source"] == "file" for t in listed["items"])
    run_cli("load", str(bank.path), env=cli_env())  # loading again changes nothing
    again = client.get("/api/v1/targets", params={"limit": 500}, headers=head).json()
    assert again == listed

    branches = {r["branch_id"]: r["parent_branch_id"] for r in _rows(bank, "branches")}
    rms = _rows(bank, "relationship_managers")
    body = {
        "scope_type": "branch",
        "scope_id": "HO",
        "metric": "holding_balance",
        "category": "deposit",
        "period": "2026",
        "target_value": "987654321.07",
        "decomposition": "history",
    }
    written = client.post("/api/v1/targets", json=body, headers=head)
    assert written.status_code == 201, written.text
    parent, *parts = written.json()["items"]
    assert parent["target_value"] == "987654321.07"
    assert {p["scope_id"] for p in parts} == {b for b, p in branches.items() if p == "HO"} | {
        r["rm_id"] for r in rms if r["branch_id"] == "HO"
    }
    assert sum(Decimal(p["target_value"]) for p in parts) == Decimal("987654321.07")
    history = {
        i["scope_id"]: i["numerator"]
        for i in _all_kpis(
            client, head, on="2025-12-31", metric="holding_balance", category="deposit"
        )
    }
    total_history = sum(history[p["scope_id"]] for p in parts)
    for part in parts:  # within a fen of the exact proportional share
        share = Fraction(98765432107 * history[part["scope_id"]], total_history)
        assert abs(Fraction(Decimal(part["target_value"]) * 100) - share) < 1

    child = next(b for b, p in branches.items() if p == "HO")
    grandchildren = [b for b, p in branches.items() if p == child]
    weights = {f"branch:{b}": n + 1 for n, b in enumerate(grandchildren)}
    by_weights = client.post(
        "/api/v1/targets",
        json={
            **body,
            "scope_id": child,
            "metric": "customers",
            "category": None,
            "target_value": "100",
            "decomposition": "weights",
            "weights": weights,
        },
        headers=head,
    ).json()["items"]
    assert sum(int(Decimal(p["target_value"])) for p in by_weights[1:]) == 100

    local = _key(bank.db, "manager", child)
    outside = next(b for b, p in branches.items() if p == "HO" and b != child)
    assert (
        client.post(
            "/api/v1/targets",
            json={**body, "scope_id": outside, "decomposition": "none"},
            headers=local,
        ).status_code
        == 404
    )
    assert (
        client.post(
            "/api/v1/targets", json={**body, "scope_id": child, "period": "2026-13"}, headers=local
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/api/v1/targets",
            json={**body, "scope_id": child, "metric": "products_per_customer", "category": None},
            headers=local,
        ).status_code
        == 422
    )  # a mean does not split
    rm = rms[0]
    own = _key(bank.db, "rm", rm["branch_id"], rm["rm_id"])
    assert client.post("/api/v1/targets", json=body, headers=own).status_code == 403
    mine = client.get("/api/v1/targets", params={"limit": 500}, headers=own).json()["items"]
    assert mine
    assert {(t["scope_type"], t["scope_id"]) for t in mine} == {("rm", rm["rm_id"])}
    local_seen = client.get("/api/v1/targets", params={"limit": 500}, headers=local).json()
    rm_local = {
        r["rm_id"] for r in rms if branches.get(r["branch_id"]) == child or r["branch_id"] == child
    }
    assert {t["scope_id"] for t in local_seen["items"]} <= ({child, *grandchildren} | rm_local)


def test_kpi_export_is_a_file_in_the_reader_language(client: TestClient, bank: Bank) -> None:
    head = _key(bank.db, "manager", "HO")
    answer = client.get(
        "/api/v1/kpis/export", params={"metric": "customers", "format": "csv"}, headers=head
    )
    assert answer.status_code == 200
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0][3] == "指标"
    assert len(rows) == 1 + len(_all_kpis(client, head, metric="customers"))
    xlsx = client.get(
        "/api/v1/kpis/export",
        params={"metric": "customers", "format": "xlsx", "lang": "en"},
        headers=head,
    )
    assert xlsx.content[:2] == b"PK"


def test_cli_show_and_export_give_the_api_rows(
    client: TestClient, bank: Bank, tmp_path: Path
) -> None:
    head = _key(bank.db, "manager", "HO")
    out = tmp_path / "kpis.csv"
    run_cli(
        "kpi",
        "export",
        "--out",
        str(out),
        "--on",
        "2025-12-31",
        "--metric",
        "customers",
        env=cli_env(),
    )
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    api = _all_kpis(client, head, on="2025-12-31", metric="customers")
    assert [(r[1], r[7]) for r in rows[1:]] == [(i["scope_id"], str(i["numerator"])) for i in api]
    shown = run_cli("kpi", "show", "--unit", "HO", "--metric", "customers", env=cli_env())
    assert "HO" in shown.stdout
    bad = run_cli("kpi", "show", "--on", "2025-13-01", env=cli_env(), check=False)
    assert bad.returncode == 2
    assert "YYYY-MM-DD" in bad.stderr + bad.stdout


# --- activities and scorecards (issue 15, T14) ----------------------------------------------
def _sales_activities(client: TestClient, headers: dict[str, str], rm_id: str, on: str) -> int:
    found = client.get(
        "/api/v1/kpis",
        params={"on": on, "scope_id": rm_id, "metric": "sales_activities"},
        headers=headers,
    ).json()["items"]
    return int(next(i["numerator"] for i in found if i["category"] is None))


def test_activities_are_recorded_by_their_rm_within_scope_and_counted(
    client: TestClient, bank: Bank
) -> None:
    head = _key(bank.db, "manager", "HO")
    rms = _rows(bank, "relationship_managers")
    customers = [r for r in _rows(bank, "companies") if r["is_customer"] == "true" and r["rm_id"]]
    customer = customers[0]
    rm_id, branch = customer["rm_id"], customer["branch_id"]
    own = _key(bank.db, "rm", branch, rm_id)
    created = client.post(
        "/api/v1/opportunities",
        json={"source": "manual", "company_id": customer["company_id"], "owner_rm_id": rm_id},
        headers=head,
    )
    assert created.status_code == 201, created.text
    url = f"/api/v1/opportunities/{created.json()['id']}/activities"
    day = "2025-11-20"
    before = _sales_activities(client, head, rm_id, day)
    day_before = _sales_activities(client, head, rm_id, "2025-11-19")
    posted = client.post(
        url, json={"kind": "visit", "date": day, "notes": "拜访财务总监"}, headers=own
    )
    assert posted.status_code == 201, posted.text
    logged = posted.json()["activities"]
    assert [(a["kind"], a["date"], a["text"], a["rm_id"]) for a in logged] == [
        ("visit", day, "拜访财务总监", rm_id)
    ]
    proposal = client.post(url, json={"kind": "proposal_sent", "date": day}, headers=own)
    assert proposal.status_code == 201
    # a visit counts, a proposal sent is no visit or call
    assert _sales_activities(client, head, rm_id, day) == before + 1
    assert _sales_activities(client, head, rm_id, "2025-11-19") == day_before
    # bad input, other RMs and managers outside the subtree
    assert client.post(url, json={"kind": "lunch", "date": day}, headers=own).status_code == 422
    assert (
        client.post(url, json={"kind": "call", "date": "2025-02-30"}, headers=own).status_code
        == 422
    )
    other = next(r for r in rms if r["rm_id"] != rm_id)
    other_key = _key(bank.db, "rm", other["branch_id"], other["rm_id"])
    assert client.post(url, json={"kind": "call", "date": day}, headers=other_key).status_code in (
        403,
        404,
    )
    branches = {r["branch_id"]: r["parent_branch_id"] for r in _rows(bank, "branches")}
    elsewhere = next(
        b for b, p in branches.items() if p == "HO" and b != branch and branches.get(branch) != b
    )
    outside = _key(bank.db, "manager", elsewhere)
    assert client.post(url, json={"kind": "call", "date": day}, headers=outside).status_code == 404
    by_manager = client.post(url, json={"kind": "call", "date": day}, headers=head)
    assert by_manager.status_code == 201
    assert _sales_activities(client, head, rm_id, day) == before + 2


def _all_scorecards(
    client: TestClient, headers: dict[str, str], **params: Any
) -> list[dict[str, Any]]:
    page = client.get("/api/v1/scorecards", params={**params, "limit": 500}, headers=headers)
    assert page.status_code == 200, page.text
    body = page.json()
    assert body["total"] == len(body["items"])
    return list(body["items"])


def test_scorecards_are_scoped_and_read_the_kpis(client: TestClient, bank: Bank) -> None:
    head = _key(bank.db, "manager", "HO")
    on = "2025-12-31"
    cards = _all_scorecards(client, head, on=on)
    rms = _rows(bank, "relationship_managers")
    branches = {r["branch_id"]: r["parent_branch_id"] or None for r in _rows(bank, "branches")}
    assert {(c["scope_type"], c["scope_id"]) for c in cards} == {
        ("branch", b) for b in branches
    } | {("rm", r["rm_id"]) for r in rms}
    # every line is the KPI at the date, or what it added over the window, per month
    kpis = {
        (i["scope_type"], i["scope_id"], i["metric"], i["on"]): i
        for day in (on, cards[0]["window_start"])
        for i in _all_kpis(client, head, on=day)
        if i["category"] is None
    }
    rm_cards = [c for c in cards if c["scope_type"] == "rm"]
    for card in rm_cards:
        lines = {line["code"]: line for line in card["lines"]}
        key = ("rm", card["scope_id"])
        won = (
            kpis[(*key, "new_customers_won", on)]["numerator"]
            - kpis[(*key, "new_customers_won", card["window_start"])]["numerator"]
        )
        assert Decimal(lines["new_customers"]["value"]) == won
        calls = (
            kpis[(*key, "sales_activities", on)]["numerator"]
            - kpis[(*key, "sales_activities", card["window_start"])]["numerator"]
        )
        assert Decimal(lines["activities"]["value"]) == (Decimal(calls) / 3).quantize(
            Decimal("0.0001")
        )
        assert card["peers"] == len(rms)
    # ranks run 1.. among the RMs, best score first
    ranked = sorted((c for c in rm_cards if c["score"] is not None), key=lambda c: c["rank"])
    assert ranked[0]["rank"] == 1
    scores = [Decimal(c["score"]) for c in ranked]
    assert scores == sorted(scores, reverse=True)
    assert len({c["score"] for c in ranked}) > 1, "the synthetic RMs differ in diligence"

    # an RM sees only their own scorecard; a manager their subtree
    rm = rms[0]
    own = _key(bank.db, "rm", rm["branch_id"], rm["rm_id"])
    mine = _all_scorecards(client, own, on=on)
    assert [(c["scope_type"], c["scope_id"]) for c in mine] == [("rm", rm["rm_id"])]
    assert mine[0]["rank"] == next(c["rank"] for c in rm_cards if c["scope_id"] == rm["rm_id"])
    for unit in (rm["branch_id"], next(r["rm_id"] for r in rms if r["rm_id"] != rm["rm_id"])):
        assert (
            client.get("/api/v1/scorecards", params={"scope_id": unit}, headers=own).status_code
            == 404
        )
    local_branch = next(b for b, p in branches.items() if p == "HO")
    local = _key(bank.db, "manager", local_branch)
    subtree = {local_branch} | {b for b, p in branches.items() if p == local_branch}
    seen = {(c["scope_type"], c["scope_id"]) for c in _all_scorecards(client, local, on=on)}
    assert seen == {("branch", b) for b in subtree} | {
        ("rm", r["rm_id"]) for r in rms if r["branch_id"] in subtree
    }
    assert (
        client.get("/api/v1/scorecards", params={"scope_id": "HO"}, headers=local).status_code
        == 404
    )
    assert client.get("/api/v1/scorecards", headers=_key(bank.db, "risk", "HO")).status_code == 403

    # the export in both languages, names not ids
    zh = client.get("/api/v1/scorecards/export", params={"on": on}, headers=own)
    assert zh.status_code == 200
    rows = list(csv.reader(io.StringIO(zh.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["单位类型", "单位"]
    assert {r[1] for r in rows[1:]} == {rm["name"]}
    assert len(rows) == 1 + len(mine[0]["lines"])
    en = client.get(
        "/api/v1/scorecards/export", params={"on": on, "format": "xlsx", "lang": "en"}, headers=own
    )
    assert en.content[:2] == b"PK"


def test_cli_scorecard_gives_the_api_scores(client: TestClient, bank: Bank, tmp_path: Path) -> None:
    head = _key(bank.db, "manager", "HO")
    out = tmp_path / "scorecards.csv"
    run_cli(
        "kpi", "scorecard", "--on", "2025-12-31", "--out", str(out), "--lang", "en", env=cli_env()
    )
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    api = _all_scorecards(client, head, on="2025-12-31")
    assert {(r["Unit"], r["Score"] or None) for r in rows} == {
        (c["scope_name"], c["score"]) for c in api
    }


def test_target_aid_reads_the_history_and_is_scoped(client: TestClient, bank: Bank) -> None:
    head = _key(bank.db, "manager", "HO")
    rm = _rows(bank, "relationship_managers")[0]
    params = {
        "scope_type": "rm",
        "scope_id": rm["rm_id"],
        "metric": "sales_activities",
        "period": "2026-Q1",
    }
    answer = client.get("/api/v1/targets/aid", params=params, headers=head)
    assert answer.status_code == 200, answer.text
    aid = answer.json()
    assert [h["period"] for h in aid["history"]] == [
        f"{year}-Q{q}" for year in (2024, 2025) for q in (1, 2, 3, 4)
    ]
    # each period's figure is what the cumulative KPI added across it
    edges = ["2023-12-31", "2024-03-31", "2024-06-30", "2024-09-30", "2024-12-31"]
    edges += ["2025-03-31", "2025-06-30", "2025-09-30", "2025-12-31"]
    counts = [_sales_activities(client, head, rm["rm_id"], day) for day in edges]
    assert [Decimal(h["value"]) for h in aid["history"]] == [
        after - before for before, after in pairwise(counts)
    ]
    assert sum(counts[1:]) > 0
    assert aid["suggested_target"] is not None
    assert aid["peers"] == len(_rows(bank, "relationship_managers"))
    assert aid["reasons"][-1].startswith("建议目标")
    english = client.get("/api/v1/targets/aid", params={**params, "lang": "en"}, headers=head)
    assert english.json()["reasons"][-1].startswith("Suggested target")

    own = _key(bank.db, "rm", rm["branch_id"], rm["rm_id"])
    assert client.get("/api/v1/targets/aid", params=params, headers=own).status_code == 200
    other = next(r for r in _rows(bank, "relationship_managers") if r["rm_id"] != rm["rm_id"])
    assert (
        client.get(
            "/api/v1/targets/aid", params={**params, "scope_id": other["rm_id"]}, headers=own
        ).status_code
        == 404
    )
    assert (
        client.get("/api/v1/targets/aid", params={**params, "period": "2026-Q9"}, headers=head)
    ).status_code == 422
    assert (
        client.get("/api/v1/targets/aid", params=params, headers=_key(bank.db, "risk", "HO"))
    ).status_code == 403


def test_cli_splits_a_target_by_a_weights_file(
    client: TestClient, bank: Bank, tmp_path: Path
) -> None:
    branches = {r["branch_id"]: r["parent_branch_id"] for r in _rows(bank, "branches")}
    child = next(b for b, p in branches.items() if p == "HO")
    grandchildren = sorted(b for b, p in branches.items() if p == child)
    weights = tmp_path / "weights.csv"
    weights.write_text(
        "scope_type,scope_id,weight\n"
        + "".join(f"branch,{b},{n + 1}\n" for n, b in enumerate(grandchildren)),
        encoding="utf-8",
    )
    run_cli(
        "kpi", "target", "--type", "branch", "--unit", child, "--metric", "new_customers_won",
        "--period", "2027", "--value", "101", "--split", "weights", "--weights", str(weights),
        env=cli_env(),
    )  # fmt: skip
    head = _key(bank.db, "manager", "HO")
    listed = client.get(
        "/api/v1/targets",
        params={"metric": "new_customers_won", "period": "2027", "limit": 500},
        headers=head,
    ).json()["items"]
    parts = {t["scope_id"]: Decimal(t["target_value"]) for t in listed if t["parent_target_id"]}
    assert set(parts) == set(grandchildren)
    assert sum(parts.values()) == 101
    bad = tmp_path / "bad.csv"
    bad.write_text("unit,weight\nX,1\n", encoding="utf-8")
    refused = run_cli(
        "kpi", "target", "--type", "branch", "--unit", child, "--metric", "customers",
        "--period", "2027", "--value", "1", "--split", "weights", "--weights", str(bad),
        env=cli_env(), check=False,
    )  # fmt: skip
    assert refused.returncode == 2


def test_a_manager_reassigns_to_a_specialist_and_back_with_history(
    client: TestClient, bank: Bank
) -> None:
    rms = _rows(bank, "relationship_managers")
    branches = {r["branch_id"]: r["parent_branch_id"] or None for r in _rows(bank, "branches")}
    # a customer of a sub-branch, so that its manager's subtree is not the whole bank
    customer = next(
        r
        for r in _rows(bank, "companies")
        if r["is_customer"] == "true"
        and r["rm_id"]
        and branches.get(r["branch_id"]) not in (None, "HO")
    )
    owner, branch = customer["rm_id"], customer["branch_id"]
    manager_branch = str(branches[branch])
    subtree = {manager_branch} | {b for b, p in branches.items() if p == manager_branch}
    manager = _key(bank.db, "manager", manager_branch)
    created = client.post(
        "/api/v1/opportunities",
        json={"source": "manual", "company_id": customer["company_id"], "owner_rm_id": owner},
        headers=manager,
    )
    assert created.status_code == 201, created.text
    url = f"/api/v1/opportunities/{created.json()['id']}"
    specialist, _ = UserStore(bank.db).add("产品经理", "prospecting", manager_branch)
    colleague = next(r for r in rms if r["branch_id"] in subtree and r["rm_id"] != owner)

    def reassign(kind: str, to: str, headers: dict[str, str], etag: str | None = None) -> Any:
        tag = etag or client.get(url, headers=manager).headers["ETag"]
        return client.post(
            url + "/reassign",
            json={"assignee_kind": kind, "assignee_id": to, "reason": "方案需要产品支持"},
            headers={**headers, "If-Match": tag},
        )

    stale = client.get(url, headers=manager).headers["ETag"]
    handed = reassign("product_specialist", specialist.user_id, manager)
    assert handed.status_code == 200, handed.text
    assert handed.json()["specialist_id"] == specialist.user_id
    assert handed.json()["owner_rm_id"] == owner
    # a second change on the version read before the first: refused, nothing lost
    assert reassign("rm", colleague["rm_id"], manager, stale).status_code == 412
    back = reassign("rm", colleague["rm_id"], manager)
    assert back.status_code == 200, back.text
    body = back.json()
    assert (body["owner_rm_id"], body["specialist_id"]) == (colleague["rm_id"], None)
    history = [(a["kind"], a["from"], a["to"]) for a in body["assignments"]]
    assert history == [
        ("product_specialist", owner, specialist.user_id),
        ("rm", specialist.user_id, colleague["rm_id"]),
    ]
    assert all(a["by"] and a["at"] for a in body["assignments"])
    # scoped: an RM may not reassign; a manager elsewhere does not see it; no If-Match
    own = _key(bank.db, "rm", colleague["branch_id"], colleague["rm_id"])
    assert reassign("rm", owner, own).status_code == 403
    elsewhere = next(b for b, p in branches.items() if p == "HO" and b != manager_branch)
    assert reassign("rm", owner, _key(bank.db, "manager", elsewhere)).status_code == 404
    outside_rm = next(r for r in rms if r["branch_id"] not in subtree)
    assert reassign("rm", outside_rm["rm_id"], manager).status_code == 422
    no_tag = client.post(
        url + "/reassign", json={"assignee_kind": "rm", "assignee_id": owner}, headers=manager
    )
    assert no_tag.status_code == 428
