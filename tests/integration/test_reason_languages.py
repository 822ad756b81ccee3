"""A prospect's reasons are stored language-neutral and read in the caller's language.

A hand-made bank: two customers pay one non-customer every month, so it is scored as a
prospect; its stored reasons are catalogue keys, and the API renders them in Chinese
by default, in English for ``Accept-Language: en`` or ``lang=en``.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from core.messages import from_json, render
from core.settings import Settings
from graph.database import Database
from graph.schema import wipe
from graph.users import UserStore

from .conftest import cli_env, published, run_cli

MONTHS = [f"2025-{m:02d}" for m in range(1, 7)]
FILES: dict[str, list[list[str]]] = {
    "branches": [["branch_id", "name", "parent_branch_id"], ["HO", "总行", ""]],
    "relationship_managers": [["rm_id", "name", "branch_id"], ["RM1", "王经理", "HO"]],
    "companies": [
        ["company_id", "name", "is_customer", "branch_id", "rm_id"],
        ["C1", "甲制造有限公司", "true", "HO", "RM1"],
        ["C2", "乙贸易有限公司", "true", "HO", "RM1"],
        ["N1", "丙物流有限公司", "false", "", ""],
    ],
    "transactions": [
        ["txn_id", "date", "amount", "currency", "payer_id", "payee_id"],
        *(
            [f"T{payer}{month}", f"{month}-15", "1250000.00", "CNY", payer, "N1"]
            for month in MONTHS
            for payer in ("C1", "C2")
        ),
    ],
}


@pytest.fixture(scope="module")
def loaded(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Database:
    folder = tmp_path_factory.mktemp("reasons")
    for name, rows in FILES.items():
        with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows(rows)
    wipe(database)
    env = cli_env()
    run_cli("load", str(folder), "--rejects", str(Path(folder) / "rejects.csv"), env=env)
    run_cli("compute", "--only", "prospects", env=env)
    return database


@pytest.fixture(scope="module")
def client(loaded: Database, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_reasons_are_stored_as_keys_and_read_in_each_language(
    client: TestClient, loaded: Database
) -> None:
    row = loaded.read_one(
        "MATCH (c:Prospect {run_id: $prospect_run, company_id: 'N1'}) "
        "RETURN c.prospect_reasons AS reasons",
        published(loaded),
    )
    assert row is not None
    stored = from_json(row["reasons"])
    keys = [m.key for m in stored]
    assert "paid {amount} by {customers} customers over {months} months" in keys
    assert "付款" not in row["reasons"]  # language-neutral: keys and parameters only
    paid = next(m for m in stored if m.key.startswith("paid {amount} by"))
    assert paid.params["customers"] == 2
    assert paid.params["months"] == 6
    assert json.loads(row["reasons"])[keys.index(paid.key)]["params"]["amount"] == {
        "minor": 1_500_000_000,
        "currency": "CNY",
    }

    _, key = UserStore(loaded).add("reasons-reader", "prospecting", "HO")
    headers = {"X-API-Key": key}
    chinese = client.get("/api/v1/prospects", headers=headers).json()["items"]
    english = client.get(
        "/api/v1/prospects", headers={**headers, "Accept-Language": "en-US,en;q=0.9"}
    ).json()["items"]
    (zh_item,) = [i for i in chinese if i["id"] == "N1"]
    (en_item,) = [i for i in english if i["id"] == "N1"]
    assert "2家客户6个月内向其付款¥1,500.00万" in zh_item["reasons"]
    assert "paid CNY 15.00M by 2 customers over 6 months" in en_item["reasons"]
    assert zh_item["reasons"] == [render(m, "zh") for m in stored]
    assert en_item["reasons"] == [render(m, "en") for m in stored]
    assert zh_item["reason_messages"] == en_item["reason_messages"]

    detail = client.get("/api/v1/prospects/N1", params={"lang": "en"}, headers=headers).json()
    assert detail["explanation"] == "; ".join(en_item["reasons"])
    exported = client.get(
        "/api/v1/prospects/export", params={"lang": "en", "format": "csv"}, headers=headers
    )
    assert "paid CNY 15.00M by 2 customers over 6 months" in exported.text
