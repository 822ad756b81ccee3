"""Economic interdependence on a real Neo4j: the tiny bank through the CLI, the store, the API."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from algorithms.interdependence import find_dependencies
from api.app import create_app
from core.settings import Settings
from graph import schema
from graph.database import Database
from services.interdependence import read_inputs, rule_from

from .conftest import api_key, cli_env, published, run_cli

DEPENDENT_KINDS = {"captive_supplier", "landlord", "exclusive_distributor"}
STORED = """
MATCH (d:Company)-[r:DEPENDS_ON {run_id: $dependency_run}]->(k:Company)
RETURN d.company_id AS dependent, k.company_id AS counterparty, r.direction AS direction,
       r.basis AS basis, r.share AS share, r.months_observed AS months_observed,
       r.months_above AS months_above, r.counterparty_minor AS counterparty_minor,
       r.total_minor AS total_minor, r.run_id AS run_id
"""
BRANCHES = (
    "UNWIND $ids AS id MATCH (c:Company {company_id: id}) "
    "RETURN c.company_id AS id, c.branch_id AS branch"
)


def stored(db: Database) -> dict[tuple[str, str, str, str], dict[str, Any]]:
    return {
        (r["dependent"], r["counterparty"], r["direction"], r["basis"]): r
        for r in db.read(STORED, published(db))
    }


@pytest.fixture(scope="module")
def tiny_bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tiny-bank")
    run_cli("generate", "--out", str(out), "--scale", "tiny", "--seed", "1", env=cli_env())
    return out


@pytest.fixture(scope="module")
def computed(database: Database, tiny_bank: Path) -> dict[str, Any]:
    """The tiny bank loaded and computed through the CLI, once for the module; its truth.

    Tests that change what is stored put it back; the one that wipes the store comes last.
    """
    schema.wipe(database)
    run_cli("load", str(tiny_bank), env=cli_env())
    out = run_cli(
        "compute",
        "--engine",
        "python",
        "--only",
        "group_risk",
        "--only",
        "interdependence",
        env=cli_env(),
    )
    assert "interdependence" in out.stdout
    truth: dict[str, Any] = json.loads((tiny_bank / "truth.json").read_text(encoding="utf-8"))
    return truth


def test_the_planted_cases_are_stored_and_the_contrast_is_not(
    computed: dict[str, Any], database: Database, settings: Settings
) -> None:
    found = stored(database)
    by_pair: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    for dependent, counterparty, direction, basis in found:
        by_pair[(dependent, counterparty)].add((direction, basis))
    cases = computed["economic_dependence"]
    assert {c["relationship"] for c in cases} == DEPENDENT_KINDS | {"major_customer"}
    for case in cases:
        pair = (case["dependent"], case["counterparty"])
        if case["relationship"] in DEPENDENT_KINDS:
            expected = {(case["direction"], "flows")}
            if case["supply_link"]:
                expected.add((case["direction"], "supply"))
            assert by_pair[pair] == expected, case
            evidence = found[(*pair, case["direction"], "flows")]
            assert abs(Decimal(evidence["share"]) - Decimal(case["planted_share"])) < Decimal(
                "0.05"
            )
            assert evidence["months_observed"] == evidence["months_above"] == 12
        else:
            assert by_pair[pair] == set(), case

    # The store holds exactly what the pure rule says about what the store holds.
    rule = rule_from(settings)
    inputs = read_inputs(database, rule)
    expected_rows = {
        (d.dependent_id, d.counterparty_id, d.direction, d.basis): (
            str(d.share_decimal(6)),
            d.counterparty_minor,
            d.total_minor,
            d.months_above,
        )
        for d in find_dependencies(
            inputs.flows, inputs.supply, inputs.customers, rule, last_month=inputs.last_month
        )
    }
    assert {
        key: (r["share"], r["counterparty_minor"], r["total_minor"], r["months_above"])
        for key, r in found.items()
    } == expected_rows
    customers = {r["id"] for r in database.read("MATCH (c:Customer) RETURN c.company_id AS id")}
    assert {dependent for dependent, _, _, _ in found} <= customers


def test_recompute_is_idempotent_drops_stale_and_follows_the_settings(
    computed: dict[str, Any], database: Database
) -> None:
    before = stored(database)
    database.write(
        "MATCH (a:Customer), (b:Customer) WHERE a <> b WITH a, b LIMIT 1 "
        "CREATE (a)-[:DEPENDS_ON {direction: 'receipts', basis: 'flows', run_id: 'old'}]->(b)"
    )
    run_cli("compute", "--only", "interdependence", env=cli_env())
    after = stored(database)
    assert set(after) == set(before)
    assert all(r["run_id"] != "old" for r in after.values())
    # Collected, not merely hidden: a run older than the previous published one is deleted.
    left = database.read_one("MATCH ()-[r:DEPENDS_ON {run_id: 'old'}]->() RETURN count(r) AS n")
    assert left is not None
    assert left["n"] == 0
    strip = {k: {f: v for f, v in r.items() if f != "run_id"} for k, r in after.items()}
    assert strip == {k: {f: v for f, v in r.items() if f != "run_id"} for k, r in before.items()}

    run_cli(
        "compute",
        "--only",
        "interdependence",
        env=cli_env(
            CORPGRAPH_INTERDEPENDENCE_SHARE="0.9", CORPGRAPH_INTERDEPENDENCE_MIN_MONTHS="12"
        ),
    )
    strict = stored(database)
    assert set(strict) < set(before)
    assert all(Decimal(r["share"]) >= Decimal("0.9") for r in strict.values())
    assert all(r["months_above"] in (None, 12) for r in strict.values())
    rule = database.read_one(
        "MATCH (m:InterdependenceRule {run_id: $dependency_run}) "
        "RETURN m.share AS s, m.min_months AS n",
        published(database),
    )
    assert rule == {"s": "0.9", "n": 12}
    run_cli("compute", "--only", "interdependence", env=cli_env())  # back to the defaults
    assert stored(database).keys() == before.keys()


@pytest.fixture
def api(
    computed: dict[str, Any], settings: Settings
) -> Iterator[tuple[TestClient, dict[str, Any]]]:
    with TestClient(create_app(settings)) as client:
        yield client, computed


def test_company_endpoint_with_evidence_and_scoping(
    api: tuple[TestClient, dict[str, Any]], database: Database
) -> None:
    client, truth = api
    cases = [c for c in truth["economic_dependence"] if c["relationship"] == "captive_supplier"]
    ids = [i for c in cases for i in (c["dependent"], c["counterparty"])]
    branches = {r["id"]: str(r["branch"]) for r in database.read(BRANCHES, {"ids": ids})}

    def apart(a: str, b: str) -> bool:  # neither is booked in the other's subtree
        return not branches[a].startswith(branches[b]) and not branches[b].startswith(branches[a])

    case = next(c for c in cases if apart(c["dependent"], c["counterparty"]))
    dependent, counterparty = case["dependent"], case["counterparty"]
    admin = {"X-API-Key": api_key("admin", "HO")}
    response = client.get(f"/api/v1/companies/{dependent}/interdependence", headers=admin)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["company"]["id"] == dependent
    assert body["rule"]["share_threshold"] == "0.5"
    assert body["rule"]["window_start"] == "2025-01"
    mine = [d for d in body["depends_on"] if d["counterparty"]["id"] == counterparty]
    assert {(d["direction"], d["basis"]) for d in mine} == {
        ("receipts", "flows"),
        ("receipts", "supply"),
    }
    flows = next(d for d in mine if d["basis"] == "flows")
    assert flows["months_above"] == 12
    assert flows["counterparty_amount"]["currency"] == "CNY"
    ratio = Decimal(flows["counterparty_amount"]["amount"]) / Decimal(
        flows["dependent_total"]["amount"]
    )
    assert abs(ratio - Decimal(flows["share"])) <= Decimal("0.00005")
    # The explanation answers in Chinese by default and in English when asked; both are the
    # stored catalogue keys rendered, with the amounts of the answer.
    assert "该交易对手的付款占本公司CNY收款的" in flows["explanation"]
    assert flows["explanation_messages"][0]["params"]["amount"] == flows["counterparty_amount"]
    english = client.get(
        f"/api/v1/companies/{dependent}/interdependence",
        headers={**admin, "Accept-Language": "en-GB,en;q=0.8"},
    ).json()
    english_flows = next(
        d
        for d in english["depends_on"]
        if d["counterparty"]["id"] == counterparty and d["basis"] == "flows"
    )
    assert english_flows["explanation"].startswith("From Jan 2025 to ")
    assert "this counterparty paid" in english_flows["explanation"]
    assert english_flows["explanation_messages"] == flows["explanation_messages"]
    back = client.get(f"/api/v1/companies/{counterparty}/interdependence", headers=admin).json()
    assert dependent in {d["dependent"]["id"] for d in back["depended_on_by"]}

    assert client.get("/api/v1/companies/NOPE/interdependence", headers=admin).status_code == 404
    prospecting = {"X-API-Key": api_key("prospecting", "HO")}
    assert (
        client.get(
            f"/api/v1/companies/{dependent}/interdependence", headers=prospecting
        ).status_code
        == 403
    )

    # An RM of the dependent's branch sees its evidence; the counterparty, booked elsewhere, is
    # an anonymous placeholder.
    rm_dependent = {"X-API-Key": api_key("rm", branches[dependent])}
    seen = client.get(f"/api/v1/companies/{dependent}/interdependence", headers=rm_dependent)
    assert seen.status_code == 200, seen.text
    hidden = [d for d in seen.json()["depends_on"] if d["counterparty"]["visible"] is False]
    assert len(hidden) >= 2  # by flows and by the supply link
    assert all(
        d["counterparty"]["id"] is None and d["counterparty"]["name"] is None for d in hidden
    )
    assert counterparty not in seen.text
    # From the counterparty's branch the dependent is hidden, and so are its amounts.
    rm_counterparty = {"X-API-Key": api_key("rm", branches[counterparty])}
    assert (
        client.get(
            f"/api/v1/companies/{dependent}/interdependence", headers=rm_counterparty
        ).status_code
        == 404
    )
    other = client.get(f"/api/v1/companies/{counterparty}/interdependence", headers=rm_counterparty)
    assert other.status_code == 200, other.text
    anonymous = [d for d in other.json()["depended_on_by"] if d["dependent"]["visible"] is False]
    assert anonymous
    for d in anonymous:
        assert d["dependent"]["id"] is None
        assert d["counterparty_amount"] is None
        assert d["dependent_total"] is None
        assert d["explanation"] is None
        assert Decimal(d["share"]) >= Decimal("0.5")
    assert dependent not in other.text


def test_group_detail_shows_the_connections_apart_from_its_exposure(
    api: tuple[TestClient, dict[str, Any]], database: Database
) -> None:
    client, truth = api
    admin = {"X-API-Key": api_key("admin", "HO")}
    # A group member that a company outside its group depends on: a planted case when the
    # generator could give one a group member as counterparty, else any such dependency.
    planted = {(c["dependent"], c["counterparty"]) for c in truth["economic_dependence"]}
    rows = database.read(
        "MATCH (d:Company)-[:DEPENDS_ON {run_id: $dependency_run}]->(c:Company)"
        "-[:MEMBER_OF]->(g:Group {run_id: $group_run}) "
        "WHERE NOT (d)-[:MEMBER_OF]->(g) "
        "RETURN g.group_id AS gid, c.company_id AS member, d.company_id AS dependent "
        "ORDER BY gid, member, dependent",
        published(database),
    )
    assert rows, "some group member should be depended on from outside its group"
    rows.sort(key=lambda r: (r["dependent"], r["member"]) not in planted)
    gid, member, dependent = rows[0]["gid"], rows[0]["member"], rows[0]["dependent"]
    detail = client.get(f"/api/v1/groups/{gid}", headers=admin)
    assert detail.status_code == 200, detail.text
    body = detail.json()
    view = body["economic_interdependence"]
    assert view == client.get(f"/api/v1/groups/{gid}/interdependence", headers=admin).json()
    members = {m["id"] for m in body["members"]}
    connection = next(
        c for c in view["connections"] if c["dependency"]["dependent"]["id"] == dependent
    )
    assert connection["member_side"] == "counterparty"
    assert connection["dependency"]["counterparty"]["id"] == member
    for c in view["connections"]:
        sides = (c["dependency"]["dependent"]["id"], c["dependency"]["counterparty"]["id"])
        inside = [s in members for s in sides]
        assert inside.count(True) == 1  # a member and a company outside the group
        assert (c["member_side"] == "dependent") == inside[0]

    # The connected exposure is the outside companies' facilities, each once, kept apart.
    outside = sorted(
        {
            s
            for c in view["connections"]
            for s in (c["dependency"]["dependent"]["id"], c["dependency"]["counterparty"]["id"])
            if s not in members
        }
    )
    assert view["connected_companies"] == len(outside)
    facilities = database.read(
        "UNWIND $ids AS id MATCH (:Company {company_id: id})-[:HAS_FACILITY]->(f:Facility) "
        "RETURN f.currency AS currency, sum(f.outstanding_minor) AS minor",
        {"ids": outside},
    )
    expected = {r["currency"]: Decimal(r["minor"]).scaleb(-2) for r in facilities}
    assert {
        e["currency"]: Decimal(e["outstanding"]) for e in view["connected_exposure"]
    } == expected
    group_total = {e["currency"]: Decimal(e["outstanding"]) for e in body["exposure"]}
    assert {e["currency"]: Decimal(e["outstanding"]) for e in view["group_exposure"]} == group_total
    combined = {e["currency"]: Decimal(e["outstanding"]) for e in view["combined_exposure"]}
    for currency in set(group_total) | set(expected):
        assert combined[currency] == group_total.get(currency, 0) + expected.get(currency, 0)
    assert view["label"].startswith("经济依存关联方敞口单独列示")
    assert view["group_outstanding_cny"]["amount"]["currency"] == "CNY"
    assert client.get("/api/v1/groups/GRP-NOPE/interdependence", headers=admin).status_code == 404


def test_compute_on_a_bank_of_only_companies(clean_db: Database, tmp_path: Path) -> None:
    (tmp_path / "companies.csv").write_text(
        "company_id,name,is_customer\nA1,甲公司,true\nB1,乙公司,false\n", encoding="utf-8"
    )
    run_cli("load", str(tmp_path), env=cli_env())
    run_cli("compute", "--only", "interdependence", env=cli_env())  # exits 0
    assert stored(clean_db) == {}
    rule = clean_db.read_one(
        "MATCH (m:InterdependenceRule {run_id: $dependency_run}) "
        "RETURN m.share AS share, m.window_start AS start",
        published(clean_db),
    )
    assert rule == {"share": "0.5", "start": None}  # no flows: no window
