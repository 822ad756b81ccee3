"""The 360 of a planted group member holds the planted facts (issue: Customer 360).

Its group and controller, the group's exposure total, its guarantee circle, and its
top counterparties are checked against truth.json and the input files, not against
what the graph says.
"""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from core.settings import Settings
from graph.database import Database
from graph.group_results import read_id_salt
from graph.schema import wipe
from services.group_risk import public_group_id

from .conftest import cli_env, run_cli

KEY = re.compile(r"cg_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def bank(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("truth360")
    run_cli("generate", "--scale", "tiny", "--seed", "1", "--out", str(out / "bank"), env=cli_env())
    wipe(database)
    run_cli("load", str(out / "bank"), "--rejects", str(out / "rejects.csv"), env=cli_env())
    run_cli("compute", "--engine", "python", "--only", "group_risk", env=cli_env())
    return out


def good_rows(bank: Path, file: str) -> list[dict[str, str]]:
    rejected = {int(r["row"]) for r in rows(bank / "rejects.csv") if r["file"] == file}
    return [
        r
        for line, r in enumerate(rows(bank / "bank" / f"{file}.csv"), start=2)
        if line not in rejected
    ]


def top_counterparties(bank: Path, customer: str) -> tuple[str, str]:
    """The largest payee and payer of ``customer`` over the year, from the files."""
    resolved = {
        (r["name"], r["uscc"]): r["company_id"] for r in rows(bank / "rejects.resolutions.csv")
    }
    paid: dict[str, Decimal] = defaultdict(Decimal)
    received: dict[str, Decimal] = defaultdict(Decimal)
    for t in good_rows(bank, "transactions"):
        payer = t["payer_id"] or resolved[(t["payer_name"], t["payer_uscc"])]
        payee = t["payee_id"] or resolved[(t["payee_name"], t["payee_uscc"])]
        if payer == customer:
            paid[payee] += Decimal(t["amount"])
        if payee == customer:
            received[payer] += Decimal(t["amount"])
    return max(paid, key=lambda k: (paid[k], k)), max(received, key=lambda k: (received[k], k))


def test_group_member_360_holds_the_planted_facts(
    bank: Path, database: Database, settings: Settings
) -> None:
    truth: dict[str, Any] = json.loads((bank / "bank" / "truth.json").read_text(encoding="utf-8"))
    in_circle = {m: c for c in truth["guarantee_circles"] for m in c}
    group = next(g for g in truth["groups"] if any(m in in_circle for m in g["members"]))
    customers = {
        c["company_id"] for c in good_rows(bank, "companies") if c["is_customer"] == "true"
    }
    member = next(m for m in group["members"] if m in in_circle and m in customers)

    key = KEY.findall(
        run_cli(
            "users", "add", "--name", "risk", "--role", "risk", "--branch", "HO", env=cli_env()
        ).stdout
    )[0]
    with TestClient(create_app(settings)) as client:
        response = client.get(f"/api/v1/customers/{member}", headers={"X-API-Key": key})
    assert response.status_code == 200, response.text
    view = response.json()

    assert view["group"]["group_id"] == public_group_id(read_id_salt(database), group["controller"])
    assert view["group"]["controller"]["id"] == group["controller"]

    outstanding: dict[str, Decimal] = defaultdict(Decimal)
    for f in good_rows(bank, "facilities"):
        if f["customer_id"] in group["members"] and f["outstanding"]:
            outstanding[f["currency"]] += Decimal(f["outstanding"])
    got = {
        m["currency"]: Decimal(m["amount"]) for m in view["group"]["exposure"]["outstanding_total"]
    }
    assert got == dict(outstanding)

    [circle] = view["guarantees"]["circles"]
    assert sorted(m["id"] for m in circle["members"]) == in_circle[member]

    top_payee, top_payer = top_counterparties(bank, member)
    assert view["counterparties"]["top_out"][0]["company_id"] == top_payee
    assert view["counterparties"]["top_in"][0]["company_id"] == top_payer

    for section in (
        "profile",
        "segment_history",
        "products",
        "facilities",
        "group",
        "guarantees",
        "supply_chain",
        "counterparties",
        "introduced_prospects",
        "recommendations",
        "contribution",
    ):
        assert section in view, section
