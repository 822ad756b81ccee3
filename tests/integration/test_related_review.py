"""The related-party review end to end (issue 16): the queue, confirm and dismiss through
the API and the CLI, the exact change of the group of connected counterparties, the
audit log, decisions that survive a reload and a recompute, and branch scoping.

The bank (branches HO → BJ, SH): person 张伟 (P1) controls 北京甲集团 (G1, 60%), which
holds 70% of 北京甲科技 (G2): one control group. 北京乙贸易 (X1) has no equity tie to
it but shares G2's financial controller (P9); 北京丙物流 (X2) shares G1's phone,
written differently. 上海丁实业 (Y1), booked in Shanghai, shares a director (P8) with
X1. Each company has facilities of different amounts, so that any double count or
wrong member shows in the totals.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from core.judgements import related_pair_id
from core.settings import Settings
from graph.database import Database

from .conftest import api_key, cli_env, run_cli

pytestmark = pytest.mark.integration

FILES = {
    "branches.csv": "branch_id,name,parent_branch_id\nHO,总行,\nBJ,北京分行,HO\nSH,上海分行,HO\n",
    "companies.csv": (
        "company_id,name,uscc,is_customer,region,branch_id\n"
        "G1,北京甲集团有限公司,,true,北京,BJ\n"
        "G2,北京甲科技有限公司,,true,北京,BJ\n"
        "X1,北京乙贸易有限公司,,true,北京,BJ\n"
        "X2,北京丙物流有限公司,,true,北京,BJ\n"
        "Y1,上海丁实业有限公司,,true,上海,SH\n"
    ),
    "persons.csv": "person_id,name\nP1,张伟\nP8,王芳\nP9,李娜\n",
    "shareholdings.csv": (
        "owner_id,owner_type,company_id,share_pct,as_of\n"
        "P1,person,G1,60,2024-01-01\n"
        "G1,company,G2,70,2024-01-01\n"
    ),
    "facilities.csv": (
        "facility_id,customer_id,product,limit,outstanding,currency,maturity\n"
        "F1,G1,loan,2000000.00,1000000.00,CNY,2027-12-31\n"
        "F2,G2,loan,800000.00,500000.00,CNY,2027-12-31\n"
        "F3,X1,loan,400000.00,300000.50,CNY,2027-12-31\n"
        "F4,X1,trade,50000.00,20000.25,CNY,2027-06-30\n"
        "F5,X2,loan,250000.00,200000.00,CNY,2027-12-31\n"
        "F6,Y1,loan,150000.00,100000.00,CNY,2027-12-31\n"
    ),
    "key_persons.csv": (
        "company_id,person_id,person_name,role,since,until\n"
        "G1,P1,,legal_representative,2020-01-01,\n"
        "G2,P9,,financial_controller,2021-01-01,\n"
        "X1,P9,,financial_controller,2022-01-01,\n"
        "X1,P8,,director,2022-01-01,\n"
        "Y1,P8,,director,2023-01-01,\n"
    ),
    "company_contacts.csv": (
        "company_id,kind,value\nG1,phone,010-8888 6666\nX2,phone,+86 10 88886666\n"
    ),
}
#: X1's facilities: what confirming G2–X1 must add to the group's connected exposure.
X1_OUTSTANDING = Decimal("320000.75")
X1_LIMIT = Decimal("450000.00")


def write_bank(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def load_and_compute(bank: Path) -> None:
    run_cli("load", str(bank), env=cli_env())
    steps = ("group_risk", "interdependence", "related_parties")
    run_cli("compute", "--engine", "python", *(f"--only={s}" for s in steps), env=cli_env())


@pytest.fixture(scope="module")
def bank(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = write_bank(tmp_path_factory.mktemp("related-review") / "bank")
    run_cli("db", "wipe", "--yes", env=cli_env())
    load_and_compute(folder)
    return folder


@pytest.fixture(scope="module")
def client(bank: Path, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def keys(bank: Path) -> dict[str, dict[str, str]]:
    return {
        "risk": {"X-API-Key": api_key("risk", "HO", "风控甲")},
        "risk_bj": {"X-API-Key": api_key("risk", "BJ", "北京风控")},
        "rm_bj": {"X-API-Key": api_key("rm", "BJ", "北京客户经理")},
    }


def cny(items: list[dict[str, str]], field: str) -> Decimal:
    return sum((Decimal(e[field]) for e in items if e["currency"] == "CNY"), Decimal(0))


def group_id(client: TestClient, headers: dict[str, str]) -> str:
    """张伟's group: the bank's one group."""
    [group] = client.get("/api/v1/groups", headers=headers).json()["items"]
    assert group["controller"]["name"] == "张伟"
    return str(group["id"])


def group_view(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    response = client.get(f"/api/v1/groups/{group_id(client, headers)}", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def figures(group: dict[str, Any]) -> dict[str, Decimal]:
    related = group["confirmed_related_parties"]
    return {
        "control_outstanding": cny(group["exposure"], "outstanding"),
        "connected_outstanding": cny(related["connected_exposure"], "outstanding"),
        "connected_limit": cny(related["connected_exposure"], "limit"),
        "combined_outstanding": cny(related["combined_exposure"], "outstanding"),
    }


def queue(client: TestClient, headers: dict[str, str], **params: str) -> dict[str, Any]:
    response = client.get(
        "/api/v1/related-parties/review", params={"limit": 100, **params}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def pairs(page: dict[str, Any]) -> set[frozenset[str]]:
    return {frozenset((i["company"]["id"], i["related"]["company"]["id"])) for i in page["items"]}


def test_confirm_adds_exactly_the_member_and_dismiss_changes_nothing_across_reloads(
    bank: Path, client: TestClient, keys: dict[str, dict[str, str]], database: Database
) -> None:
    risk = keys["risk"]
    start = queue(client, risk)
    assert pairs(start) >= {
        frozenset(("G2", "X1")),
        frozenset(("G1", "X2")),
        frozenset(("X1", "Y1")),
    }
    assert start["run_id"]
    g2_x1 = next(i for i in start["items"] if pairs({"items": [i]}) == {frozenset(("G2", "X1"))})
    assert g2_x1["review_id"] == related_pair_id("G2", "X1")
    assert g2_x1["status"] == "pending"
    strength = {s["kind"]["code"]: s["count"] for s in g2_x1["related"]["strength"]}
    assert strength == {"shared_key_person": 1}
    [path] = g2_x1["related"]["evidence"]
    assert [n["name"] for n in path["nodes"]][1] == "李娜"

    before = figures(group_view(client, risk))
    assert before["control_outstanding"] == Decimal("1500000.00")
    assert before["connected_outstanding"] == before["control_outstanding"]

    # Confirm G2–X1: the group of connected counterparties gains exactly X1's exposure, at once.
    blank = client.post(
        f"/api/v1/related-parties/review/{g2_x1['review_id']}/confirm",
        json={"note": "   "},
        headers=risk,
    )
    assert blank.status_code == 422
    confirmed = client.post(
        f"/api/v1/related-parties/review/{g2_x1['review_id']}/confirm",
        json={"note": "同一财务负责人，资金往来密切"},
        headers=risk,
    )
    assert confirmed.status_code == 201, confirmed.text
    record = confirmed.json()
    assert record["decision"]["verdict"] == "confirmed"
    assert record["decision"]["user_name"] == "风控甲"
    assert record["applies"] == "decision"
    after_confirm = group_view(client, risk)
    after = figures(after_confirm)
    assert after["connected_outstanding"] - before["connected_outstanding"] == X1_OUTSTANDING
    assert after["connected_limit"] - before["connected_limit"] == X1_LIMIT
    assert after["combined_outstanding"] - before["combined_outstanding"] == X1_OUTSTANDING
    assert after["control_outstanding"] == before["control_outstanding"]
    related = after_confirm["confirmed_related_parties"]
    [connection] = related["connections"]
    assert (connection["member"]["id"], connection["related"]["id"]) == ("G2", "X1")
    assert connection["kind"]["code"] == "confirmed_related_party"
    assert related["related_companies"] == 1 == related["connected_companies"]
    assert related["applies"] == "decision"

    # Dismiss G1–X2: nothing changes.
    g1_x2 = related_pair_id("G1", "X2")
    dismissed = client.post(
        f"/api/v1/related-parties/review/{g1_x2}/dismiss",
        json={"note": "共用代账公司电话"},
        headers=risk,
    )
    assert dismissed.status_code == 201, dismissed.text
    assert figures(group_view(client, risk)) == after
    left = queue(client, risk)
    assert frozenset(("G2", "X1")) not in pairs(left)
    assert frozenset(("G1", "X2")) not in pairs(left)
    assert left["total"] == start["total"] - 2

    # Load the same files again and recompute: the decisions hold, the figures too.
    load_and_compute(bank)
    again = queue(client, risk)
    assert again["run_id"] != start["run_id"]
    assert pairs(again) == pairs(left)
    assert figures(group_view(client, risk)) == after
    assert pairs(queue(client, risk, status="dismissed")) == {frozenset(("G1", "X2"))}
    assert pairs(queue(client, risk, status="confirmed")) == {frozenset(("G2", "X1"))}

    # The customer view shows suspected and confirmed apart, the decision with the confirmed.
    def related_of(customer: str, status: str) -> dict[str, Any]:
        response = client.get(
            f"/api/v1/customers/{customer}/related", params={"status": status}, headers=risk
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    x1_confirmed = related_of("X1", "confirmed")
    [item] = x1_confirmed["items"]
    assert item["company"]["id"] == "G2"
    assert item["decision"]["note"] == "同一财务负责人，资金往来密切"
    assert item["evidence"][0]["nodes"][0]["id"] == "X1"  # oriented from the customer
    assert "G2" not in {i["company"]["id"] for i in related_of("X1", "suspected")["items"]}
    assert "Y1" in {i["company"]["id"] for i in related_of("X1", "suspected")["items"]}
    assert [i["company"]["id"] for i in related_of("G1", "dismissed")["items"]] == ["X2"]

    # The audit log: who, when, what, why; nothing is rewritten by the reload.
    log = client.get("/api/v1/related-parties/decisions", headers=risk).json()
    assert log["total"] == 2
    by_pair = {d["review_id"]: d for d in log["items"]}
    assert by_pair[g2_x1["review_id"]]["decision"]["verdict"] == "confirmed"
    assert by_pair[g1_x2]["decision"]["note"] == "共用代账公司电话"
    assert all(d["decision"]["decided_at"] and d["run_id"] for d in log["items"])
    stored = database.read("MATCH (d:RelatedPartyDecision) RETURN count(d) AS n")
    assert stored == [{"n": 2}]


def test_cli_lists_shows_decides_and_groups_show_the_connected_exposure(
    bank: Path, client: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    listed = run_cli("related", "review", "list", env=cli_env()).stdout
    x1_y1 = related_pair_id("X1", "Y1")
    assert x1_y1 in listed
    shown = run_cli("related", "show", "X1", env=cli_env()).stdout
    assert "上海丁实业有限公司" in shown
    run_cli(
        "related",
        "review",
        "dismiss",
        x1_y1,
        "--note",
        "董事同名不同人",
        "--by",
        "李审核",
        env=cli_env(),
    )
    assert x1_y1 not in run_cli("related", "review", "list", env=cli_env()).stdout
    log = client.get(
        "/api/v1/related-parties/decisions", params={"review_id": x1_y1}, headers=keys["risk"]
    ).json()
    assert [d["decision"]["user_name"] for d in log["items"]] == ["李审核"]
    group = run_cli("groups", "show", group_id(client, keys["risk"]), env=cli_env()).stdout
    assert "北京乙贸易有限公司" in group
    assert "1,820,000.75" in group  # 1,500,000.00 + X1's 320,000.75
    # A decision on an unknown pair is a clear error, not a traceback.
    unknown = run_cli(
        "related",
        "review",
        "confirm",
        "RP-0000000000000000",
        "--note",
        "x",
        "--by",
        "李审核",
        env=cli_env(),
        check=False,
    )
    assert unknown.returncode != 0
    assert "Traceback" not in unknown.stderr


def test_an_rm_or_a_branch_reviewer_reaches_nothing_outside_their_branch(
    bank: Path, client: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    # Confirm X1–Y1 at head office: the Shanghai company is now X1's confirmed related party.
    x1_y1 = related_pair_id("X1", "Y1")
    confirmed = client.post(
        f"/api/v1/related-parties/review/{x1_y1}/confirm",
        json={"note": "王芳兼任两家董事"},
        headers=keys["risk"],
    )
    assert confirmed.status_code == 201, confirmed.text

    rm = keys["rm_bj"]
    for path in ("/api/v1/related-parties/review", "/api/v1/related-parties/decisions"):
        assert client.get(path, headers=rm).status_code == 403
    assert (
        client.post(
            f"/api/v1/related-parties/review/{x1_y1}/dismiss", json={"note": "x"}, headers=rm
        ).status_code
        == 403
    )
    for status in ("suspected", "confirmed", "dismissed"):
        hidden = client.get("/api/v1/customers/Y1/related", params={"status": status}, headers=rm)
        unknown = client.get(
            "/api/v1/customers/C404/related", params={"status": status}, headers=rm
        )
        assert hidden.status_code == unknown.status_code == 404
        assert hidden.json()["type"] == unknown.json()["type"]
    mine = client.get("/api/v1/customers/X1/related", params={"status": "confirmed"}, headers=rm)
    assert mine.status_code == 200
    text = json.dumps(mine.json(), ensure_ascii=False)
    assert "Y1" not in text
    assert "上海丁实业" not in text
    placeholders = [i for i in mine.json()["items"] if not i["company"]["visible"]]
    assert len(placeholders) == 1
    assert placeholders[0]["company"]["id"] is None

    # A Beijing reviewer neither sees nor decides the pair with the Shanghai company.
    reviewer = keys["risk_bj"]
    for status in ("pending", "confirmed", "dismissed"):
        page = queue(client, reviewer, status=status)
        assert "Y1" not in json.dumps(page, ensure_ascii=False)
    hidden_pair = client.post(
        f"/api/v1/related-parties/review/{x1_y1}/dismiss", json={"note": "x"}, headers=reviewer
    )
    unknown_pair = client.post(
        "/api/v1/related-parties/review/RP-0000000000000000/dismiss",
        json={"note": "x"},
        headers=reviewer,
    )
    assert hidden_pair.status_code == unknown_pair.status_code == 404
    assert hidden_pair.json()["type"] == unknown_pair.json()["type"]
    audit = client.get("/api/v1/related-parties/decisions", headers=reviewer).json()
    assert x1_y1 not in {d["review_id"] for d in audit["items"]}
    # Its own pairs it does see: the confirmed G2–X1.
    assert frozenset(("G2", "X1")) in pairs(queue(client, reviewer, status="confirmed"))
