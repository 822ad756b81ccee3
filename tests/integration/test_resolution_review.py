"""The counterparty review queue end to end: loads through the CLI, decisions through the
API and the CLI, decisions re-applied on every later load, and their audit log.

The bank: customers K1 and K2, a registered supplier S1 and a registered bank R1.
K1 pays S1 by id and once under a typo with an account (merged automatically); K2
pays "Rigensis Bank AS" (R1) and K1 pays "Rigenesis Bank AS" without an account
(one letter off, no shared evidence: the review queue).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from core.codes import Role
from core.names import counterparty_id, name_key
from core.settings import Settings
from graph.database import Database
from graph.users import UserStore

from .conftest import cli_env, run_cli

TYPO = "杭州顺达物留有限公司"
LOOKALIKE = "Rigenesis Bank AS"
HEADER = (
    "txn_id,date,amount,currency,payer_id,payer_name,payer_account,payer_uscc,"
    "payee_id,payee_name,payee_account,payee_uscc,channel,purpose\n"
)
FLOWS = (
    "MATCH (a:Company)-[r:PAYS]->(b:Company) "
    "RETURN a.company_id AS payer, b.company_id AS payee, r.month AS month, "
    "r.amount_minor AS minor ORDER BY payer, payee, month"
)


def bank(folder: Path, month: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "branches.csv").write_text(
        "branch_id,name,parent_branch_id\nHO,总行,\n", encoding="utf-8"
    )
    (folder / "companies.csv").write_text(
        "company_id,name,uscc,is_customer,region,branch_id\n"
        "K1,上海华信科技有限公司,,true,上海,HO\n"
        "K2,北京远景贸易有限公司,,true,北京,HO\n"
        "S1,杭州顺达物流有限公司,,false,杭州,\n"
        "R1,Rigensis Bank AS,,false,拉脱维亚,\n",
        encoding="utf-8",
    )
    (folder / "transactions.csv").write_text(
        HEADER
        + f"T{month}1,2025-{month}-03,1000.00,CNY,K1,,,,S1,,,,,\n"
        + f"T{month}2,2025-{month}-04,200.00,CNY,K1,,,,,{TYPO},6222001,,,\n"
        + f"T{month}3,2025-{month}-05,300.00,CNY,K2,,,,,Rigensis Bank AS,LV01,,,\n"
        + f"T{month}4,2025-{month}-06,400.00,CNY,K1,,,,,{LOOKALIKE},,,,\n",
        encoding="utf-8",
    )
    return folder


@pytest.fixture(scope="module")
def loaded(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("review")
    run_cli("db", "wipe", "--yes", env=cli_env())
    out = run_cli("load", str(bank(root / "m01", "01")), env=cli_env()).stdout
    assert "review queue 1" in out, out
    return root


@pytest.fixture(scope="module")
def client(loaded: Path, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def key(db: Database, role: Role) -> dict[str, str]:
    _, secret = UserStore(db).add(f"审核员-{role.value}", role, "HO")
    return {"X-API-Key": secret}


def flows(db: Database) -> list[tuple[str, str, str, int]]:
    return [(r["payer"], r["payee"], r["month"], r["minor"]) for r in db.read(FLOWS)]


def test_review_decisions_hold_across_loads_and_are_audited(
    database: Database, loaded: Path, client: TestClient
) -> None:
    typo_id = counterparty_id(name_key(TYPO))
    lookalike_id = counterparty_id(name_key(LOOKALIKE))
    assert ("K1", "S1", "2025-01", 120_000) in flows(database)  # the typo merged into S1
    assert ("K1", lookalike_id, "2025-01", 40_000) in flows(database)

    risk = key(database, Role.RISK)
    assert (
        client.get("/api/v1/resolution/candidates", headers=key(database, Role.RM)).status_code
        == 403
    )
    page = client.get("/api/v1/resolution/candidates", headers=risk).json()
    assert (page["total"], page["limit"], page["offset"]) == (1, 50, 0)
    [pending] = page["items"]
    assert {pending["left"]["id"], pending["right"]["id"]} == {"R1", lookalike_id}
    assert 0.5 <= pending["probability"] < 0.99
    assert any(e["en"].startswith("one character apart") for e in pending["evidence"])
    assert any(e["zh"].startswith("长名称仅差一字") for e in pending["evidence"])
    merged = client.get(
        "/api/v1/resolution/candidates", params={"status": "merged"}, headers=risk
    ).json()["items"]
    [typo_pair] = [c for c in merged if typo_id in (c["left"]["id"], c["right"]["id"])]

    # Accept the look-alike through the API, reject the automatic merge through the CLI.
    bad = client.post(
        "/api/v1/resolution/candidates",
        json={"candidate_id": pending["id"], "judgement": "positive", "reason": " "},
        headers=risk,
    )
    assert bad.status_code == 422
    accepted = client.post(
        "/api/v1/resolution/candidates",
        json={
            "candidate_id": pending["id"],
            "judgement": "positive",
            "reason": "同一家拉脱维亚银行",
        },
        headers=risk,
    )
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["user_name"] == "审核员-risk"
    unknown = client.post(
        "/api/v1/resolution/candidates",
        json={"candidate_id": "RC-0000000000000000", "judgement": "negative", "reason": "x"},
        headers=risk,
    )
    assert unknown.status_code == 404
    run_cli(
        "resolve",
        "reject",
        typo_pair["id"],
        "--reason",
        "物留是另一家公司",
        "--by",
        "李审核",
        env=cli_env(),
    )
    assert client.get("/api/v1/resolution/candidates", headers=risk).json()["total"] == 0

    # Two more loads: the same month again, then a new one.
    run_cli("load", str(loaded / "m01"), env=cli_env())
    run_cli("load", str(bank(loaded / "m02", "02")), env=cli_env())
    got = flows(database)
    for month in ("2025-01", "2025-02"):
        assert ("K1", "R1", month, 40_000) in got  # the accepted pair stays merged
        assert ("K1", typo_id, month, 20_000) in got  # the rejected pair stays apart
        assert ("K1", "S1", month, 100_000) in got
    assert all(lookalike_id not in (payer, payee) for payer, payee, _, _ in got)
    assert database.read(
        "MATCH (c:Company {company_id: $id}) RETURN count(c) AS n", {"id": lookalike_id}
    ) == [{"n": 0}]
    statuses = {
        c["id"]: c["status"]
        for c in client.get(
            "/api/v1/resolution/candidates", params={"status": "all"}, headers=risk
        ).json()["items"]
    }
    assert statuses[pending["id"]] == "accepted"
    assert statuses[typo_pair["id"]] == "rejected"

    # The audit log: who, when, why, and that both loads applied each decision.
    log = client.get("/api/v1/resolution/decisions", headers=risk).json()
    assert log["total"] == 2
    decisions = {d["candidate_id"]: d for d in log["items"]}
    assert decisions[pending["id"]]["judgement"] == "positive"
    assert decisions[pending["id"]]["reason"] == "同一家拉脱维亚银行"
    assert decisions[typo_pair["id"]]["judgement"] == "negative"
    assert decisions[typo_pair["id"]]["user_name"] == "李审核"
    assert all(d["applied_count"] == 2 and d["decided_at"] for d in log["items"])
    cli_log = run_cli("resolve", "log", env=cli_env()).stdout
    assert "李审核" in cli_log
    assert "物留是另一家公司" in cli_log


def test_decisions_survive_a_wipe_through_export_and_import(
    database: Database, loaded: Path, tmp_path: Path
) -> None:
    exported = tmp_path / "decisions.json"
    run_cli("resolve", "export", str(exported), env=cli_env())
    assert len(json.loads(exported.read_text(encoding="utf-8"))) == 2
    run_cli("db", "wipe", "--yes", env=cli_env())
    run_cli("resolve", "import", str(exported), env=cli_env())
    run_cli("load", str(loaded / "m01"), env=cli_env())
    got = flows(database)
    assert ("K1", "R1", "2025-01", 40_000) in got
    assert ("K1", counterparty_id(name_key(TYPO)), "2025-01", 20_000) in got
