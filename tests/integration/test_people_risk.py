"""Hidden guarantee risk and warm introductions on the synthetic bank (issue 16, items 3-4).

The bank plants a guarantee circle run by one family and one between unrelated
companies (two share only a registration agent's address), prospects whose director is
a customer's legal representative or whose legal representative is a relative of one,
and a prospect that only shares an address with a customer. The truth says what was
planted; the files confirm every path the API shows. Scoping: an introducer outside the
caller's branches is a placeholder, and so is every person only it would reveal.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from core.judgements import related_pair_id
from core.settings import Settings
from graph.database import Database
from graph.schema import wipe

from .conftest import api_key, cli_env, run_cli

pytestmark = pytest.mark.integration


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def bank(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("people-risk")
    run_cli("generate", "--scale", "tiny", "--seed", "1", "--out", str(out / "bank"), env=cli_env())
    wipe(database)
    run_cli("load", str(out / "bank"), "--rejects", str(out / "rejects.csv"), env=cli_env())
    steps = ("group_risk", "prospects", "related_parties")
    run_cli(
        "compute", "--engine", "python", *(a for s in steps for a in ("--only", s)), env=cli_env()
    )
    return out / "bank"


@pytest.fixture(scope="module")
def truth(bank: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((bank / "truth.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def client(bank: Path, settings: Settings) -> Any:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def risk_key(bank: Path) -> str:
    return api_key("risk", "HO", "risk-people")


def get(client: TestClient, path: str, key: str, **params: Any) -> Any:
    response = client.get(path, params=params, headers={"X-API-Key": key})
    assert response.status_code == 200, response.text
    return response.json()


def circles_by_members(client: TestClient, key: str) -> dict[tuple[str, ...], dict[str, Any]]:
    page = get(client, "/api/v1/guarantee-circles", key, limit=500, lang="en")
    assert page["total"] <= 500
    return {tuple(sorted(c["members"])): c for c in page["items"]}


def legal_representatives(bank: Path) -> dict[str, str]:
    return {
        r["company_id"]: r["person_id"]
        for r in rows(bank / "key_persons.csv")
        if r["role"] == "legal_representative"
    }


def test_the_family_run_circle_is_flagged_with_family_evidence(
    bank: Path, truth: dict[str, Any], client: TestClient, risk_key: str
) -> None:
    planted = next(c for c in truth["people_cases"]["guarantee_circles"] if c["run_by"])
    members = tuple(planted["members"])
    listed = circles_by_members(client, risk_key)[members]
    flag = listed["hidden_risk"]
    assert flag is not None
    assert flag["kind"]["code"] == "one_family"
    assert flag["explanation"].startswith("Mutual guarantees between companies run by one family")
    assert flag["pairs"]
    assert all(p["evidence"] == [] for p in flag["pairs"])  # the list carries no paths

    detail = get(client, f"/api/v1/guarantee-circles/{listed['id']}", risk_key, lang="zh")
    flag = detail["hidden_risk"]
    assert flag["kind"]["code"] == "one_family"
    assert flag["kind"]["name"] == "一个家族控制的企业间互保"
    assert "一个家族控制的企业间互保" in flag["explanation"]
    assert set(flag["related_members"]) == set(members)
    # Every family path is what the files say: the two legal representatives are family.
    legal = legal_representatives(bank)
    family = {
        frozenset((r["person_id"], r["related_person_id"]))
        for r in rows(bank / "person_relations.csv")
    }
    family_paths = [
        e
        for p in flag["pairs"]
        for e in p["evidence"]
        if e["kind"]["code"] == "family_of_key_persons"
    ]
    assert family_paths
    for path in family_paths:
        start, first, second, end = (n["id"] for n in path["nodes"])
        assert {start, end} <= set(members)
        assert (legal[start], legal[end]) == (first, second)
        assert frozenset((first, second)) in family


def test_the_unrelated_circle_is_not_flagged(
    truth: dict[str, Any], client: TestClient, risk_key: str
) -> None:
    planted = next(c for c in truth["people_cases"]["guarantee_circles"] if not c["run_by"])
    listed = circles_by_members(client, risk_key)[tuple(planted["members"])]
    assert listed["hidden_risk"] is None
    detail = get(client, f"/api/v1/guarantee-circles/{listed['id']}", risk_key)
    assert detail["hidden_risk"] is None
    # The bank's own circles are made of companies with no people or contact ties either.
    flagged = [c for c in circles_by_members(client, risk_key).values() if c["hidden_risk"]]
    assert [tuple(sorted(c["members"])) for c in flagged] == [
        tuple(c["members"]) for c in truth["people_cases"]["guarantee_circles"] if c["run_by"]
    ]


def test_a_risk_officer_elsewhere_sees_no_person_only_a_hidden_member_reveals(
    bank: Path, truth: dict[str, Any], client: TestClient
) -> None:
    companies = {r["company_id"]: r for r in rows(bank / "companies.csv")}
    planted = next(c for c in truth["people_cases"]["guarantee_circles"] if c["run_by"])
    branches = {companies[m]["branch_id"] for m in planted["members"]}
    mine = planted["members"][0]
    home = companies[mine]["branch_id"]
    assert len(branches) > 1, "the family circle's members are booked at several branches"
    key = api_key("risk", home, f"risk-people-{home}")
    hidden = [m for m in planted["members"] if companies[m]["branch_id"] != home]
    listed = circles_by_members(client, key)
    (circle,) = [c for c in listed.values() if mine in c["members"]]
    detail = get(client, f"/api/v1/guarantee-circles/{circle['id']}", key, lang="en")
    assert detail["hidden_risk"]["kind"]["code"] == "one_family"
    text = json.dumps(detail, ensure_ascii=False)
    legal = legal_representatives(bank)
    for member in hidden:
        assert member not in text
        assert companies[member]["name"] not in text
        assert legal[member] not in text  # their legal representative: known only through them


def chains_by_members(client: TestClient, key: str) -> dict[tuple[str, ...], dict[str, Any]]:
    page = get(client, "/api/v1/guarantee-chains", key, limit=500, lang="en")
    assert page["total"] == len(page["items"])
    return {tuple(c["members"]): c for c in page["items"]}


def test_the_family_run_chain_is_flagged_and_the_unrelated_one_is_not(
    bank: Path, truth: dict[str, Any], client: TestClient, risk_key: str
) -> None:
    planted = truth["people_cases"]["guarantee_chains"]
    family = next(c for c in planted if c["run_by"])
    unrelated = next(c for c in planted if not c["run_by"])
    listed = chains_by_members(client, risk_key)
    chain = listed[tuple(family["members"])]  # in order: the guarantor first
    assert chain["length"] == len(family["members"]) - 1
    assert chain["hidden_risk"]["kind"]["code"] == "one_family"
    assert all(p["evidence"] == [] for p in chain["hidden_risk"]["pairs"])
    assert listed[tuple(unrelated["members"])]["hidden_risk"] is None

    detail = get(client, f"/api/v1/guarantee-chains/{chain['id']}", risk_key, lang="zh")
    assert [m["id"] for m in detail["members"]] == family["members"]
    flag = detail["hidden_risk"]
    assert flag["kind"]["name"] == "一个家族控制的企业间互保"
    assert set(flag["related_members"]) == set(family["members"])
    # The guarantees are the files' own, in chain order, with their amounts.
    guarantees = {r["guarantee_id"]: r for r in rows(bank / "guarantees.csv") if r["guarantor_id"]}
    shown = detail["guarantees"]
    assert [(g["guarantor_id"], g["borrower_id"]) for g in shown] == list(
        itertools.pairwise(family["members"])
    )
    for g in shown:
        assert Decimal(g["amount"]) == Decimal(guarantees[g["guarantee_id"]]["amount"])
    total = sum(Decimal(g["amount"]) for g in shown)
    assert [(a["currency"], Decimal(a["amount"])) for a in detail["amounts"]] == [("CNY", total)]
    legal = legal_representatives(bank)
    relations = {
        frozenset((r["person_id"], r["related_person_id"]))
        for r in rows(bank / "person_relations.csv")
    }
    for p in flag["pairs"]:
        for path in p["evidence"]:
            if path["kind"]["code"] == "family_of_key_persons":
                start, first, second, end = (n["id"] for n in path["nodes"])
                assert (legal[start], legal[end]) == (first, second)
                assert frozenset((first, second)) in relations

    unrelated_detail = get(
        client, f"/api/v1/guarantee-chains/{listed[tuple(unrelated['members'])]['id']}", risk_key
    )
    assert unrelated_detail["hidden_risk"] is None


def test_chains_are_scoped_like_circles(
    bank: Path, truth: dict[str, Any], client: TestClient, risk_key: str
) -> None:
    """A chain is listed when one member is booked in the caller's branches; the others
    are placeholders; a chain with no visible member is not listed and answers 404."""
    companies = {r["company_id"]: r for r in rows(bank / "companies.csv")}
    family = next(c for c in truth["people_cases"]["guarantee_chains"] if c["run_by"])
    mine = family["members"][-1]
    home = companies[mine]["branch_id"]
    key = api_key("risk", home, f"risk-chains-{home}")
    parents = {r["branch_id"]: r["parent_branch_id"] for r in rows(bank / "branches.csv")}

    def in_subtree(branch: str | None) -> bool:
        while branch:
            if branch == home:
                return True
            branch = parents.get(branch)
        return False

    everything = chains_by_members(client, risk_key)
    visible = {
        c["id"]
        for m, c in everything.items()
        if any(in_subtree(companies[i]["branch_id"]) for i in m)
    }
    assert visible
    assert visible != {c["id"] for c in everything.values()}
    scoped = chains_by_members(client, key)
    assert {c["id"] for c in scoped.values()} == visible
    (chain,) = [c for c in scoped.values() if mine in c["members"]]
    assert chain["hidden_risk"]["kind"]["code"] == "one_family"
    detail = get(client, f"/api/v1/guarantee-chains/{chain['id']}", key, lang="en")
    text = json.dumps(detail, ensure_ascii=False)
    legal = legal_representatives(bank)
    hidden_members = [m for m in family["members"] if not in_subtree(companies[m]["branch_id"])]
    assert hidden_members, "the family chain's members are booked at several branches"
    for member in hidden_members:
        assert member not in text
        assert companies[member]["name"] not in text
        assert legal[member] not in text
    hidden = next(c["id"] for c in everything.values() if c["id"] not in visible)
    response = client.get(f"/api/v1/guarantee-chains/{hidden}", headers={"X-API-Key": key})
    assert response.status_code == 404


def test_the_cli_lists_chains_with_the_flag(truth: dict[str, Any], bank: Path) -> None:
    out = run_cli("groups", "chains", "--limit", "500", env=cli_env(COLUMNS="400")).stdout
    family = next(c for c in truth["people_cases"]["guarantee_chains"] if c["run_by"])
    flagged = [line for line in out.splitlines() if "run by one family" in line]
    assert any(" → ".join(family["members"]) in line for line in flagged)
    assert "flagged" in out.splitlines()[-1]


def introducers(client: TestClient, key: str, prospect: str, lang: str = "en") -> Any:
    return get(client, f"/api/v1/prospects/{prospect}", key, lang=lang)["warm_introducers"]


def test_planted_warm_introductions_are_found_with_their_paths(
    bank: Path, truth: dict[str, Any], client: TestClient
) -> None:
    key = api_key("prospecting", "HO", "prospecting-people")
    legal = legal_representatives(bank)
    family = {
        frozenset((r["person_id"], r["related_person_id"]))
        for r in rows(bank / "person_relations.csv")
    }
    planted = truth["people_cases"]["warm_introductions"]
    assert {p["via"] for p in planted} == {"same_person", "relative"}
    for intro in planted:
        found = introducers(client, key, intro["prospect"])
        mine = [i for i in found if i["customer"]["id"] == intro["introducer"]]
        assert mine, intro
        (introducer,) = mine
        assert introducer["direct"] is (intro["via"] == "same_person")
        path = introducer["paths"][0]
        nodes = [n["id"] for n in path["nodes"]]
        assert nodes[0] == intro["prospect"]
        assert nodes[-1] == intro["introducer"]
        if intro["via"] == "same_person":
            assert nodes[1] == legal[intro["introducer"]]
            assert [link["code"] for link in path["links"]] == ["director", "legal_representative"]
        else:
            assert nodes[1:3] == [legal[intro["prospect"]], legal[intro["introducer"]]]
            assert frozenset(nodes[1:3]) in family
    # The list shows them too.
    page = get(client, "/api/v1/prospects", key, limit=500, lang="en")
    listed = {p["id"]: p["warm_introducers"] for p in page["items"]}
    for intro in planted:
        assert intro["introducer"] in {i["customer"]["id"] for i in listed[intro["prospect"]]}


def test_a_shared_address_is_no_introduction(truth: dict[str, Any], client: TestClient) -> None:
    key = api_key("prospecting", "HO", "prospecting-people-2")
    (case,) = truth["people_cases"]["not_introductions"]
    found = introducers(client, key, case["prospect"])
    assert case["customer"] not in {i["customer"]["id"] for i in found}


def test_warm_introductions_are_in_both_languages_exports(
    truth: dict[str, Any], client: TestClient
) -> None:
    key = api_key("prospecting", "HO", "prospecting-people-3")
    intro = truth["people_cases"]["warm_introductions"][0]
    detail = get(client, f"/api/v1/prospects/{intro['prospect']}", key, lang="zh")
    name = next(
        i["customer"]["name"]
        for i in detail["warm_introducers"]
        if i["customer"]["id"] == intro["introducer"]
    )
    for lang, company, header in (
        ("zh", "企业名称", "熟人引荐"),
        ("en", "Company name", "Warm introductions"),
    ):
        response = client.get(
            "/api/v1/prospects/export",
            params={"format": "csv", "lang": lang},
            headers={"X-API-Key": key},
        )
        assert response.status_code == 200, response.text
        table = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
        (row,) = [r for r in table if r[company] == detail["name"]]
        assert name in row[header]


def test_an_introducer_outside_the_callers_branches_is_a_placeholder(
    bank: Path, truth: dict[str, Any], client: TestClient
) -> None:
    companies = {r["company_id"]: r for r in rows(bank / "companies.csv")}
    parents = {r["branch_id"]: r["parent_branch_id"] for r in rows(bank / "branches.csv")}

    def ancestors(branch: str) -> set[str]:
        seen = set()
        while branch:
            seen.add(branch)
            branch = parents.get(branch) or ""
        return seen

    head = api_key("prospecting", "HO", "prospecting-people-4")
    cases = []
    for intro in truth["people_cases"]["warm_introductions"]:
        suggested = get(client, f"/api/v1/prospects/{intro['prospect']}", head)["suggested_branch"][
            "id"
        ]
        if suggested not in ancestors(companies[intro["introducer"]]["branch_id"]):
            cases.append((intro, suggested))
    assert cases, "some introducer is booked outside the prospect's suggested branch"
    legal = legal_representatives(bank)
    for intro, branch in cases:
        key = api_key("prospecting", branch, f"prospecting-people-{intro['prospect']}")
        found = introducers(client, key, intro["prospect"])
        text = json.dumps(found, ensure_ascii=False)
        assert intro["introducer"] not in text
        assert companies[intro["introducer"]]["name"] not in text
        hidden = [i for i in found if not i["customer"]["visible"]]
        assert hidden
        assert all(i["customer"]["id"] is None for i in hidden)
        if intro["via"] == "relative":
            # The customer's legal representative is known only through the customer.
            assert legal[intro["introducer"]] not in text


def test_the_cli_lists_circles_with_the_flag(truth: dict[str, Any], bank: Path) -> None:
    wide = cli_env(COLUMNS="400")  # one table row a line
    out = run_cli("groups", "circles", "--limit", "500", env=wide).stdout
    family = next(c for c in truth["people_cases"]["guarantee_circles"] if c["run_by"])
    assert "run by one family" in out
    flagged = [line for line in out.splitlines() if "run by one family" in line]
    assert len(flagged) == 1
    assert ", ".join(family["members"]) in flagged[0]
    assert f"{len(truth['guarantee_circles'])} circles, 1 flagged" in out


def test_a_dismissed_pair_flags_nothing_and_a_confirmed_one_flags_again(
    truth: dict[str, Any], client: TestClient, risk_key: str
) -> None:
    """A reviewer who dismisses the suspicions behind a flag removes the flag: dismissed
    pairs are not related. Deciding again (confirming) brings it back. Runs last: it
    leaves the pairs confirmed, which flags exactly as the suspicions did."""
    planted = next(c for c in truth["people_cases"]["guarantee_circles"] if c["run_by"])
    members = tuple(planted["members"])
    flagged = circles_by_members(client, risk_key)[members]["hidden_risk"]
    assert flagged is not None
    pairs = [related_pair_id(p["first"], p["second"]) for p in flagged["pairs"]]
    assert pairs

    def decide(verdict: str) -> None:
        for pair in pairs:
            response = client.post(
                f"/api/v1/related-parties/review/{pair}/{verdict}",
                json={"note": f"test: {verdict}"},
                headers={"X-API-Key": risk_key},
            )
            assert response.status_code == 201, response.text

    decide("dismiss")
    assert circles_by_members(client, risk_key)[members]["hidden_risk"] is None
    decide("confirm")
    again = circles_by_members(client, risk_key)[members]["hidden_risk"]
    assert again is not None
    assert again["kind"]["code"] == flagged["kind"]["code"]
