"""Screening and the 360 through HTTP on the tiny synthetic bank, branch-scoped."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, LiteralString, TypeVar, cast

import pytest
from fastapi.testclient import TestClient
from neo4j import ManagedTransaction
from openpyxl import load_workbook  # type: ignore[import-untyped]

from api.app import create_app
from core.i18n import gettext, pgettext
from core.settings import Settings
from graph.database import Database
from visualizations.network import more_label

from .conftest import api_key, cli_env, run_cli

T = TypeVar("T")

SECTIONS = {
    "profile",
    "segment_history",
    "products",
    "facilities",
    "guarantees",
    "supply_chain",
    "counterparties",
}


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("c360") / "bank"
    run_cli("generate", "--scale", "tiny", "--seed", "5", "--out", str(out), env=cli_env())
    return out


def key_for(role: str, branch: str) -> str:
    return api_key(role, branch)


@pytest.fixture(scope="module")
def loaded(database: Database, bank: Path) -> Database:
    """The tiny bank, loaded once for the module (the tests only read it)."""
    from graph.schema import wipe

    wipe(database)
    run_cli("load", str(bank), "--rejects", str(bank.parent / "r.csv"), env=cli_env())
    return database


@pytest.fixture(scope="module")
def client(loaded: Database, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def companies(bank: Path) -> list[dict[str, str]]:
    with (bank / "companies.csv").open(encoding="utf-8") as handle:
        return [r for r in csv.DictReader(handle) if r["is_customer"] == "true"]


def test_screening_is_scoped_and_paginated(client: TestClient, bank: Path) -> None:
    head_office = {"X-API-Key": key_for("manager", "HO")}
    sub_branch = {"X-API-Key": key_for("rm", "BR-BJ-01")}
    every = client.get("/api/v1/customers", params={"limit": 500}, headers=head_office).json()
    customers = companies(bank)
    assert every["total"] == len({c["company_id"] for c in customers})
    mine = client.get("/api/v1/customers", params={"limit": 500}, headers=sub_branch).json()
    expected_mine = {c["company_id"] for c in customers if c["branch_id"] == "BR-BJ-01"}
    assert {i["id"] for i in mine["items"]} == expected_mine
    page = client.get(
        "/api/v1/customers",
        params={"limit": 5, "offset": 5, "sort": "exposure", "order": "desc"},
        headers=head_office,
    ).json()
    assert len(page["items"]) == 5
    exposures = [Decimal(i["exposure"]["amount"]) for i in page["items"]]
    assert exposures == sorted(exposures, reverse=True)
    floor = exposures[2]
    above = client.get(
        "/api/v1/customers", params={"min_exposure": str(floor), "limit": 500}, headers=head_office
    ).json()
    assert above["total"] >= 8
    assert all(Decimal(i["exposure"]["amount"]) >= floor for i in above["items"])


def test_search_by_partial_chinese_name_and_uscc(client: TestClient, bank: Path) -> None:
    headers = {"X-API-Key": key_for("manager", "HO")}
    target = next(c for c in companies(bank) if c["uscc"])
    by_name = client.get("/api/v1/customers", params={"q": target["name"][2:6]}, headers=headers)
    assert target["company_id"] in {i["id"] for i in by_name.json()["items"]}
    one_character = client.get(
        "/api/v1/customers", params={"q": target["name"][2], "limit": 500}, headers=headers
    )
    assert target["company_id"] in {i["id"] for i in one_character.json()["items"]}
    by_uscc = client.get("/api/v1/customers", params={"q": target["uscc"].lower()}, headers=headers)
    assert [i["id"] for i in by_uscc.json()["items"]] == [target["company_id"]]


def test_360_has_every_section_and_exact_money(client: TestClient, bank: Path) -> None:
    headers = {"X-API-Key": key_for("risk", "HO")}
    with (bank / "facilities.csv").open(encoding="utf-8") as handle:
        facilities = list(csv.DictReader(handle))
    customer = facilities[0]["customer_id"]
    view = client.get(f"/api/v1/customers/{customer}", headers=headers)
    assert view.status_code == 200, view.text
    body = view.json()
    assert set(body) >= SECTIONS
    expected: dict[str, Decimal] = {}
    for f in facilities:
        if f["customer_id"] == customer and f["outstanding"]:
            expected[f["currency"]] = expected.get(f["currency"], Decimal(0)) + Decimal(
                f["outstanding"]
            )
    got = {t["currency"]: Decimal(t["amount"]) for t in body["facilities"]["outstanding_total"]}
    assert got == expected
    assert body["counterparties"]["window"] == {"from": "2025-01", "to": "2025-12"}
    row = next(c for c in companies(bank) if c["company_id"] == customer)
    if row["registered_capital"]:
        assert body["profile"]["registered_capital"] == {
            "amount": row["registered_capital"],
            "currency": "CNY",
        }


def test_other_branch_customer_is_404_everywhere(client: TestClient, bank: Path) -> None:
    sub_branch = {"X-API-Key": key_for("rm", "BR-BJ-01")}
    other = next(c for c in companies(bank) if c["branch_id"] == "BR-SH-01")
    assert (
        client.get(f"/api/v1/customers/{other['company_id']}", headers=sub_branch).status_code
        == 404
    )
    search = client.get("/api/v1/customers", params={"q": other["name"]}, headers=sub_branch)
    assert search.json()["items"] == []
    export = client.get("/api/v1/customers/export", headers=sub_branch)
    names = {row[0] for row in csv.reader(io.StringIO(export.content.decode("utf-8-sig")))}
    assert len(names) > 1, "the sub-branch's own customers are exported"
    assert other["name"] not in names
    assert client.get("/api/v1/customers/NOPE", headers=sub_branch).status_code == 404


def test_export_is_csv_with_bom_and_audited(client: TestClient, loaded: Database) -> None:
    headers = {"X-API-Key": key_for("manager", "BR-GZ")}
    audits = "MATCH (a:ExportAudit {kind: 'customers'}) RETURN a.row_count AS rows ORDER BY a.at"
    before = len(loaded.read(audits))
    response = client.get("/api/v1/customers/export", params={"segment": "core"}, headers=headers)
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows
    # Chinese by default: headers and the segment's name from the catalogue, never the code.
    segment = gettext("zh", "Segment")
    assert all(r[segment] == pgettext("zh", "segment", "core") != "core" for r in rows)
    assert response.headers["content-disposition"].endswith(".csv")
    audit = loaded.read(audits)
    assert len(audit) == before + 1
    assert audit[-1] == {"rows": len(rows)}


def test_bad_parameters_are_422_not_500(client: TestClient) -> None:
    headers = {"X-API-Key": key_for("manager", "HO")}
    for params in [{"limit": "0"}, {"sort": "evil"}, {"min_exposure": "-1"}, {"limit": "x"}]:
        response = client.get("/api/v1/customers", params=params, headers=headers)
        assert response.status_code == 422, params
        assert response.headers["content-type"].startswith("application/problem+json")


def test_prospecting_role_may_screen_but_unknown_roles_may_not(client: TestClient) -> None:
    assert (
        client.get(
            "/api/v1/customers", headers={"X-API-Key": key_for("prospecting", "HO")}
        ).status_code
        == 200
    )


def busiest_customer(bank: Path, branch: str | None = None) -> str:
    counts: dict[str, int] = {}
    with (bank / "transactions.csv").open(encoding="utf-8") as handle:
        for t in csv.DictReader(handle):
            for side in (t["payer_id"], t["payee_id"]):
                if side:
                    counts[side] = counts.get(side, 0) + 1
    customers = {
        c["company_id"] for c in companies(bank) if branch is None or c["branch_id"] == branch
    }
    return max(customers, key=lambda c: (counts.get(c, 0), c))


def test_network_caps_supernodes_and_validates(client: TestClient, bank: Path) -> None:
    headers = {"X-API-Key": key_for("rm", "HO")}
    hub = busiest_customer(bank)
    full = client.get(f"/api/v1/customers/{hub}/network", params={"limit": 200}, headers=headers)
    assert full.status_code == 200
    neighbours = {n["id"] for n in full.json()["nodes"]} - {hub}
    capped = client.get(f"/api/v1/customers/{hub}/network", params={"limit": 3}, headers=headers)
    body = capped.json()
    more = [n for n in body["nodes"] if n["kind"] == "more"]
    assert len(more) == 1
    assert more[0]["label"] == more_label(len(neighbours) - 3, "zh")
    assert more[0]["details"]["hidden"] == len(neighbours) - 3
    assert len(body["nodes"]) == 1 + 3 + 1
    deep = client.get(
        f"/api/v1/customers/{hub}/network", params={"depth": 2, "limit": 5}, headers=headers
    ).json()
    assert {n["level"] for n in deep["nodes"]} == {0, 1, 2}
    only_pays = client.get(
        f"/api/v1/customers/{hub}/network", params={"types": "PAYS"}, headers=headers
    ).json()
    assert {e["relation"] for e in only_pays["edges"]} == {"PAYS"}
    bad_params: list[dict[str, str | int]] = [{"depth": 4}, {"types": "OWNS,HACK"}, {"limit": 0}]
    for params in bad_params:
        bad = client.get(f"/api/v1/customers/{hub}/network", params=params, headers=headers)
        assert bad.status_code == 422, params


def test_network_and_map_hide_other_branches(client: TestClient, bank: Path) -> None:
    head_office = {"X-API-Key": key_for("rm", "HO")}
    sub_branch = {"X-API-Key": key_for("rm", "BR-BJ-01")}
    mine = busiest_customer(bank, "BR-BJ-01")
    other = busiest_customer(bank, "BR-SH-01")
    assert client.get(f"/api/v1/customers/{other}/network", headers=sub_branch).status_code == 404
    assert client.get(f"/api/v1/customers/{other}/map", headers=sub_branch).status_code == 404
    assert client.get(f"/api/v1/nodes/{other}/network", headers=sub_branch).status_code == 404
    branch_of = {c["company_id"]: c["branch_id"] for c in companies(bank)}
    seen = client.get(
        f"/api/v1/customers/{mine}/network", params={"depth": 3, "limit": 200}, headers=sub_branch
    ).json()
    for node in seen["nodes"]:
        if node["kind"] == "customer":
            assert branch_of[node["id"]] == "BR-BJ-01", node
    everything = client.get(
        f"/api/v1/customers/{mine}/network", params={"depth": 3, "limit": 200}, headers=head_office
    ).json()
    assert len(everything["nodes"]) >= len(seen["nodes"])


def test_map_is_a_self_contained_page(client: TestClient, bank: Path) -> None:
    headers = {"X-API-Key": key_for("risk", "HO")}
    hub = busiest_customer(bank)
    page = client.get(f"/api/v1/customers/{hub}/map", params={"depth": 2}, headers=headers)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "图例" in html
    assert "/api/v1/nodes/{id}/network" in html
    for external in ('src="http', 'href="http', "src='http", "cdn."):
        assert external not in html


def test_export_xlsx_is_a_workbook_a_banker_can_filter(
    client: TestClient, loaded: Database
) -> None:
    headers = {"X-API-Key": key_for("manager", "BR-GZ")}
    listed = client.get("/api/v1/customers", params={"limit": 500}, headers=headers).json()
    response = client.get(
        "/api/v1/customers/export", params={"format": "xlsx", "lang": "en"}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Company name"
    assert rows[0][-1] == "Exposure (CNY)"
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref
    assert len(rows) - 1 == listed["total"]
    by_name = {r[0]: r for r in rows[1:]}
    for item in listed["items"]:
        row = by_name[item["name"]]
        # Branches and RMs by name; exposure a number equal to the API's exact amount.
        assert row[5] == item["branch_name"]
        assert row[6] == item["rm_name"]
        if item["exposure"]:
            assert Decimal(str(row[7])) == Decimal(item["exposure"]["amount"])


class CountingTransaction:
    """A managed transaction that counts the statements run through it."""

    def __init__(self, tx: ManagedTransaction, counter: list[str]) -> None:
        self.tx = tx
        self.counter = counter

    def run(self, query: LiteralString, parameters: Any = None, **kwargs: Any) -> Any:
        self.counter.append(query)
        return self.tx.run(query, parameters, **kwargs)


class CountingDatabase(Database):
    """The Database port, counting every statement sent (each is one round trip)."""

    def __init__(self, database: Database) -> None:
        super().__init__(database.driver, database.database)
        self.statements: list[str] = []

    def read(self, query: LiteralString, parameters: Mapping[str, Any] | None = None) -> Any:
        self.statements.append(query)
        return super().read(query, parameters)

    def read_tx(self, work: Callable[[ManagedTransaction], T]) -> T:
        def counted(tx: ManagedTransaction) -> T:
            return work(cast(ManagedTransaction, CountingTransaction(tx, self.statements)))

        return super().read_tx(counted)


def test_a_360_makes_few_round_trips(client: TestClient, bank: Path) -> None:
    headers = {"X-API-Key": key_for("risk", "HO")}
    with (bank / "facilities.csv").open(encoding="utf-8") as handle:
        customer = next(csv.DictReader(handle))["customer_id"]
    first = client.get(f"/api/v1/customers/{customer}", headers=headers)
    assert first.status_code == 200, first.text
    served = client.app.state.database  # type: ignore[attr-defined]
    counting = CountingDatabase(served)
    client.app.state.database = counting  # type: ignore[attr-defined]
    try:
        again = client.get(f"/api/v1/customers/{customer}", headers=headers)
    finally:
        client.app.state.database = served  # type: ignore[attr-defined]
    assert again.json() == first.json()
    # The auth version; in the 360's read transaction the published runs, the folded
    # sections, the folded counterparties, the events (count, page), the opportunities
    # (count, page) and the key persons; then the recommendations and the FX rates.
    assert len(counting.statements) <= 16, "\n".join(counting.statements)
