"""CNY equivalents through the HTTP API: the ``fx_rates`` file loaded into Neo4j, its bad
rows rejected, and every multi-currency total converted exactly with gaps marked."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from core.settings import Settings
from graph.database import Database
from graph.fx import read_latest_rates
from graph.schema import wipe

from .conftest import api_key, cli_env, run_cli

FILES: dict[str, list[list[str]]] = {
    "branches": [["branch_id", "name", "parent_branch_id"], ["HO", "总行", ""]],
    "companies": [
        ["company_id", "name", "is_customer", "branch_id"],
        ["C1", "甲公司", "true", "HO"],
        ["C2", "乙公司", "true", "HO"],
        ["C3", "丙公司", "true", "HO"],
    ],
    "persons": [["person_id", "name"], ["P1", "张三"]],
    "shareholdings": [
        ["owner_id", "owner_type", "company_id", "share_pct"],
        ["P1", "person", "C1", "80"],
        ["P1", "person", "C2", "70"],
    ],
    "facilities": [
        ["facility_id", "customer_id", "product", "limit", "outstanding", "currency"],
        ["F1", "C1", "LOAN", "2000000.00", "1000000.00", "CNY"],
        ["F2", "C1", "TF-LC", "500.00", "100.01", "USD"],
        ["F3", "C1", "TF-LC", "9000", "5000", "JPY"],
        ["F4", "C2", "TF-LC", "300.00", "200.00", "USD"],
        ["F5", "C3", "LOAN", "2000.00", "1000.00", "CNY"],
        ["F6", "C3", "TF-LC", "20.00", "10.00", "HKD"],
    ],
    # C1 and C2 guarantee C3: its default calls both guarantees.
    "guarantees": [
        ["guarantee_id", "guarantor_id", "borrower_id", "amount", "currency", "start_date"],
        ["G1", "C1", "C3", "100.00", "USD", "2025-01-01"],
        ["G2", "C2", "C3", "500", "JPY", "2025-01-01"],
    ],
    "fx_rates": [
        ["currency", "rate_date", "cny_per_unit"],
        ["USD", "2025-06-30", "7.1586"],
        ["USD", "2025-12-31", "7.0288"],
        ["CNY", "2025-12-31", "1"],
        ["CNY", "2025-06-30", "7"],  # a CNY rate other than 1
        ["EUR", "2025-12-31", "0"],  # not positive
        ["HKD", "2025-12-31", "0.90331234567"],  # 11 decimals
    ],
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fx")
    for name, rows in FILES.items():
        with (out / f"{name}.csv").open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows(rows)
    return out


@pytest.fixture(scope="module")
def loaded(database: Database, folder: Path) -> Database:
    wipe(database)
    env = cli_env()
    run_cli("load", str(folder), "--rejects", str(folder / "rejects.csv"), env=env)
    run_cli("compute", "--only", "group_risk", env=env)
    return database


@pytest.fixture(scope="module")
def client(loaded: Database, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_bad_rates_are_rejected_and_the_good_ones_stored(loaded: Database, folder: Path) -> None:
    with (folder / "rejects.csv").open(encoding="utf-8-sig") as handle:
        rejects = {(r["file"], r["row"], r["reason"]) for r in csv.DictReader(handle)}
    assert rejects == {
        ("fx_rates", "5", "out_of_range"),
        ("fx_rates", "6", "out_of_range"),
        ("fx_rates", "7", "invalid_decimal"),
    }
    latest = read_latest_rates(loaded)
    assert {c: str(r.cny_per_unit) for c, r in latest.items()} == {"USD": "7.0288", "CNY": "1"}
    assert latest["USD"].rate_date.isoformat() == "2025-12-31"


def test_the_360_shows_the_cny_equivalent_and_marks_amounts_without_a_rate(
    client: TestClient,
) -> None:
    headers = {"X-API-Key": api_key("risk", "HO", "fx-risk")}
    body = client.get("/api/v1/customers/C1", headers=headers).json()
    facilities = body["facilities"]
    assert {m["currency"] for m in facilities["outstanding_total"]} == {"CNY", "USD", "JPY"}
    # 1,000,000.00 + 100.01 × 7.0288 (= 702.950288) → 1,000,702.95; JPY has no rate.
    assert facilities["outstanding_total_cny"] == {
        "amount": {"amount": "1000702.95", "currency": "CNY"},
        "complete": False,
        "no_rate": [{"amount": "5000", "currency": "JPY"}],
        "rates": [{"currency": "USD", "rate_date": "2025-12-31", "cny_per_unit": "7.0288"}],
    }
    # 2,000,000.00 + 500.00 × 7.0288 = 2,003,514.40
    assert facilities["limit_total_cny"]["amount"]["amount"] == "2003514.40"
    # The group: C1 and C2 (both controlled by P1); C2 adds USD 200.00 = 1,405.76.
    group = body["group"]["exposure"]["outstanding_total_cny"]
    assert group["amount"] == {"amount": "1002108.71", "currency": "CNY"}
    assert group["no_rate"] == [{"amount": "5000", "currency": "JPY"}]


def test_group_risk_lists_the_cny_equivalent(client: TestClient) -> None:
    headers = {"X-API-Key": api_key("risk", "HO", "fx-risk-2")}
    groups = client.get("/api/v1/groups", headers=headers).json()["items"]
    assert len(groups) == 1
    assert groups[0]["outstanding_cny"]["amount"]["amount"] == "1002108.71"
    assert groups[0]["limit_cny"]["amount"]["amount"] == "2005623.04"  # + 800.00 × 7.0288
    assert not groups[0]["outstanding_cny"]["complete"]
    detail = client.get(f"/api/v1/groups/{groups[0]['id']}", headers=headers).json()
    assert detail["outstanding_cny"] == groups[0]["outstanding_cny"]


def test_a_cny_only_total_is_complete(client: TestClient) -> None:
    headers = {"X-API-Key": api_key("risk", "HO", "fx-risk-3")}
    body = client.get("/api/v1/customers/C2", headers=headers).json()
    usd_only = body["facilities"]["outstanding_total_cny"]
    assert usd_only["amount"]["amount"] == "1405.76"
    assert usd_only["complete"]
    assert usd_only["no_rate"] == []


def test_contagion_totals_show_the_cny_equivalent_and_explain_in_each_language(
    client: TestClient,
) -> None:
    headers = {"X-API-Key": api_key("risk", "HO", "fx-risk-4")}
    response = client.post("/api/v1/contagion", json={"company_id": "C3"}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total_guarantee_calls"] == [
        {"amount": "500", "currency": "JPY"},
        {"amount": "100.00", "currency": "USD"},
    ]
    # 100.00 × 7.0288 = 702.88; JPY has no rate and is listed apart.
    calls = body["total_guarantee_calls_cny"]
    assert calls["amount"] == {"amount": "702.88", "currency": "CNY"}
    assert calls["no_rate"] == [{"amount": "500", "currency": "JPY"}]
    assert not calls["complete"]
    exposure = body["total_exposure_at_default_cny"]  # C3's own facilities: CNY and HKD
    assert exposure["amount"] == {"amount": "1000.00", "currency": "CNY"}
    assert exposure["no_rate"] == [{"amount": "10.00", "currency": "HKD"}]
    # The explanation: Chinese by default, English when asked, from one stored key.
    assert body["explanation"] == (
        "丙公司违约：1轮内1家企业违约、2家企业承担担保代偿"
        "（担保代偿达资本金0.5倍即视为担保人违约，并经控制关系交叉违约）"
    )
    english = client.post(
        "/api/v1/contagion",
        json={"company_id": "C3", "control": False},
        headers={**headers, "Accept-Language": "en"},
    ).json()
    assert english["explanation"] == (
        "Default of 丙公司: 1 companies default and 2 pay guarantees within 1 rounds "
        "(guarantor default at 0.5× capital)"
    )
    assert english["explanation_message"]["params"]["seed"] == "丙公司"
    assert english["explanation_message"]["key"] != body["explanation_message"]["key"]


def test_group_interdependence_totals_show_the_cny_equivalent(client: TestClient) -> None:
    headers = {"X-API-Key": api_key("risk", "HO", "fx-risk-5")}
    gid = client.get("/api/v1/groups", headers=headers).json()["items"][0]["id"]
    view = client.get(f"/api/v1/groups/{gid}/interdependence", headers=headers).json()
    assert view["group_outstanding_cny"]["amount"]["amount"] == "1002108.71"
    assert view["group_limit_cny"]["amount"]["amount"] == "2005623.04"
    assert view["group_outstanding_cny"]["no_rate"] == [{"amount": "5000", "currency": "JPY"}]
    assert view["combined_outstanding_cny"] == view["group_outstanding_cny"]
    assert view["connected_outstanding_cny"] is None  # no connected company: no amount
    assert view["label"].startswith("经济依存关联方敞口单独列示")
    english = client.get(
        f"/api/v1/groups/{gid}/interdependence", headers={**headers, "Accept-Language": "en"}
    ).json()
    assert english["label"].startswith("Exposure to economically dependent counterparties")
