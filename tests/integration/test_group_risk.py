"""Group risk on a real Neo4j: the tiny synthetic bank's planted truth, a large group, the API."""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from core.settings import Settings
from graph import schema
from graph.branches import BranchScope
from graph.compute_runs import new_run_id, publish
from graph.database import Database
from graph.group_results import read_id_salt
from services.engines import GdsEngine, PythonEngine
from services.group_risk import (
    company_controllers,
    compute_group_risk,
    public_circle_id,
    public_group_id,
)

from .conftest import api_key, cli_env, control_snapshot, published, run_cli

ALL = BranchScope("HO", None)

GROUPS_WITH_MEMBERS = (
    "MATCH (g:Group {run_id: $group_run})<-[:MEMBER_OF]-(c:Company) "
    "RETURN g.controller_id AS controller, collect(c.company_id) AS members"
)
CIRCLES_WITH_MEMBERS = (
    "MATCH (k:GuaranteeCircle {run_id: $group_run})<-[:IN_CIRCLE]-(c:Company) "
    "RETURN k.circle_id AS circle_id, collect(c.company_id) AS members"
)


def gid(db: Database | TestClient, controller_id: str) -> str:
    """The stored id of ``controller_id``'s group (opaque: see graph.scoping)."""
    return public_group_id(read_id_salt(database_of(db)), controller_id)


def database_of(db: Database | TestClient) -> Database:
    """The database itself, or the one the test client's app uses."""
    if isinstance(db, TestClient):
        return cast(Database, cast(FastAPI, db.app).state.database)
    return db


def stored_groups(db: Database) -> list[dict[str, Any]]:
    return sorted(
        (
            {"controller": r["controller"], "members": sorted(r["members"])}
            for r in db.read(GROUPS_WITH_MEMBERS, published(db))
        ),
        key=lambda g: str(g["controller"]),
    )


def stored_circles(db: Database) -> list[list[str]]:
    return sorted(sorted(r["members"]) for r in db.read(CIRCLES_WITH_MEMBERS, published(db)))


@pytest.fixture(scope="module")
def tiny_bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tiny-bank")
    run_cli("generate", "--out", str(out), "--scale", "tiny", "--seed", "1", env=cli_env())
    return out


def load_tiny(db: Database, bank: Path) -> dict[str, Any]:
    run_cli("load", str(bank), env=cli_env())
    truth: dict[str, Any] = json.loads((bank / "truth.json").read_text(encoding="utf-8"))
    return truth


def test_tiny_bank_truth_recovered_with_both_engines(
    clean_db: Database, tiny_bank: Path, settings: Settings
) -> None:
    truth = load_tiny(clean_db, tiny_bank)
    # A stale group from an earlier run must disappear on recompute.
    clean_db.write("MERGE (g:Group {group_id: 'GRP-STALE'}) SET g.run_id = 'old'")
    for engine in ("python", "gds"):
        out = run_cli("compute", "--engine", engine, "--only", "group_risk", env=cli_env())
        assert "group_risk" in out.stdout

        assert stored_groups(clean_db) == truth["groups"], engine
        assert stored_circles(clean_db) == truth["guarantee_circles"], engine
        assert clean_db.read_one("MATCH (g:Group {group_id: 'GRP-STALE'}) RETURN g") is None

        over = clean_db.read(
            "MATCH (g:Group {run_id: $group_run}) WHERE g.over_concentration "
            "RETURN g.controller_id AS controller, g.rank_outstanding_minor AS minor",
            published(clean_db),
        )
        assert sorted(
            (r["controller"], str(Decimal(r["minor"]).scaleb(-2))) for r in over
        ) == sorted((o["controller"], o["outstanding_cny"]) for o in truth["over_concentration"])

    # Ultimate controllers by the control-chain measure, through the read path the API uses.
    for company, expected in truth["ultimate_controllers"].items():
        found = company_controllers(clean_db, company, ALL)
        assert found is not None
        chain = [c.controller_id for c in found.report.controllers if "control_chain" in c.by]
        assert sorted(chain) == expected, company
        assert found.report.status == ("joint" if len(expected) > 1 else "sole"), company
    for company in [c for ring in truth["ownership_cycles"] for c in ring]:
        found = company_controllers(clean_db, company, ALL)
        assert found is not None
        assert not [c for c in found.report.controllers if "control_chain" in c.by]
        assert found.report.status == "none"
        assert sorted(found.ownership_cycle) in truth["ownership_cycles"]
        assert company not in truth["ultimate_controllers"]
    assert_planted_control_cases(clean_db, truth)

    # Roles and depths are consistent: one parent per group at the top.
    rows = clean_db.read(
        "MATCH (c:Company)-[m:MEMBER_OF]->(g:Group {run_id: $group_run}) "
        "RETURN g.group_id AS g, m.role AS role, m.depth AS depth",
        published(clean_db),
    )
    assert {r["role"] for r in rows} <= {"parent", "subsidiary", "affiliate", "joint_venture"}
    assert all(r["depth"] >= 0 for r in rows)


def assert_planted_control_cases(db: Database, truth: dict[str, Any]) -> None:
    """The sister subsidiary, the joint ventures and the control cycle, as truth.json says."""
    memberships: dict[str, dict[str, bool]] = {}
    for r in db.read(
        "MATCH (c:Company)-[m:MEMBER_OF]->(g:Group {run_id: $group_run}) "
        "RETURN c.company_id AS c, g.group_id AS g, m.primary AS primary",
        published(db),
    ):
        memberships.setdefault(r["c"], {})[r["g"]] = r["primary"]
    assert all(sum(groups.values()) == 1 for groups in memberships.values())
    assert truth["joint_control"]
    for joint in truth["joint_control"]:
        groups = memberships[joint["company"]]
        assert sorted(groups) == sorted(gid(db, c) for c in joint["controllers"]), joint
        primary_group = gid(db, joint["primary_group"].removeprefix("GRP-"))
        assert [g for g, primary in groups.items() if primary] == [primary_group]
        found = company_controllers(db, joint["company"], ALL)
        assert found is not None
        assert found.report.status == "joint"
        assert [(g.group_id, g.primary) for g in found.groups] == sorted(groups.items())
    for sister in truth["sister_subsidiaries"]:
        assert memberships[sister["company"]] == {gid(db, sister["controller"]): True}
        found = company_controllers(db, sister["company"], ALL)
        assert found is not None
        (chain,) = [c for c in found.report.controllers if "control_chain" in c.by]
        assert chain.controller_id == sister["controller"]
        assert chain.control_pct == pytest.approx(100.0)  # the sisters' 50% + 50%
    (cycle,) = truth["control_cycles"]
    group = gid(db, cycle["controller"])
    stored = db.read_one(
        "MATCH (g:Group {group_id: $g, run_id: $group_run}) RETURN g.control_cycles AS cycles",
        {"g": group, **published(db)},
    )
    assert stored is not None
    assert "|".join(cycle["members"]) in stored["cycles"]
    for member in cycle["members"]:
        assert memberships[member] == {group: True}
        found = company_controllers(db, member, ALL)
        assert found is not None
        assert found.report.status == "sole"
        assert sorted(found.control_cycle) == cycle["members"]


def test_large_group_with_multi_parents_and_a_cycle(clean_db: Database, settings: Settings) -> None:
    """2,000 members in 15 levels, 300 companies with a second parent, one ownership cycle."""
    rng = np.random.default_rng(7)
    levels = 15
    per_level = [1] + [143] * 13 + [2000 - 1 - 143 * 13]
    assert sum(per_level) == 2000
    assert len(per_level) == levels
    ids: list[list[str]] = []
    counter = 0
    for count in per_level:
        ids.append([f"BG{counter + i:05d}" for i in range(count)])
        counter += count
    companies = [
        {"company_id": cid, "name": f"大集团成员{cid}", "branch_id": "BR-X"}
        for level in ids
        for cid in level
    ]
    holdings: list[dict[str, Any]] = [
        {"owner": "BP0001", "company": ids[0][0], "pct": "60", "person": True}
    ]
    candidates = [(lvl, i) for lvl in range(2, levels) for i in range(len(ids[lvl]))]
    second = {candidates[k] for k in rng.choice(len(candidates), size=300, replace=False)}
    for lvl in range(1, levels):
        for i, cid in enumerate(ids[lvl]):
            parent = ids[lvl - 1][i % len(ids[lvl - 1])]
            holdings.append({"owner": parent, "company": cid, "pct": "60", "person": False})
            if (lvl, i) in second:
                other = ids[lvl - 1][(i + 1) % len(ids[lvl - 1])]
                holdings.append({"owner": other, "company": cid, "pct": "25", "person": False})
    # The cycle: a deep subsidiary holds 5% of the top company.
    holdings.append({"owner": ids[-1][0], "company": ids[0][0], "pct": "5", "person": False})
    multi = {h["company"] for h in holdings if h["pct"] == "25"}
    assert len(multi) == 300

    clean_db.write("MERGE (p:Person {person_id: 'BP0001'}) SET p.name = '大股东'")
    clean_db.write_rows(
        "UNWIND $rows AS row MERGE (c:Company {company_id: row.company_id}) "
        "SET c.name = row.name, c.branch_id = row.branch_id, c.is_customer = true",
        companies,
    )
    clean_db.write_rows(
        "UNWIND $rows AS row "
        "MATCH (o) WHERE (o:Company AND o.company_id = row.owner) "
        "OR (o:Person AND o.person_id = row.owner) "
        "MATCH (c:Company {company_id: row.company}) "
        "MERGE (o)-[r:OWNS]->(c) SET r.share_pct = toFloat(row.pct), r.share_pct_exact = row.pct",
        holdings,
    )
    engines: list[Any] = [PythonEngine(clean_db)]
    if clean_db.gds_version() is not None:
        engines.append(GdsEngine(clean_db))
    for engine in engines:
        run_id = new_run_id()
        try:
            report = compute_group_risk(clean_db, engine, settings, run_id)
        finally:
            engine.close()
        publish(clean_db, "group_risk", run_id, started_at=datetime.now(UTC), engine=engine.name)
        assert report.counts["groups"] == 1
        assert report.counts["group members"] == 2000
        rows = clean_db.read(
            "MATCH (c:Company)-[m:MEMBER_OF]->(g:Group {group_id: $g, run_id: $run}) "
            "RETURN c.company_id AS id, m.depth AS depth",
            {"g": gid(clean_db, "BP0001"), "run": run_id},
        )
        depth = {r["id"]: r["depth"] for r in rows}
        assert len(depth) == 2000
        for lvl, level_ids in enumerate(ids):
            assert all(depth[c] == lvl + 1 for c in level_ids)

    # Effective ownership of the person in a deep multi-parent company, against a dense solve.
    target = sorted(c for c in multi if c in ids[-1] or c in ids[-2])[0]
    index = {cid: k for k, cid in enumerate(["BP0001", *(c["company_id"] for c in companies)])}
    a = np.zeros((len(index), len(index)))
    for h in holdings:
        a[index[h["owner"]], index[h["company"]]] += float(h["pct"]) / 100
    e = a @ np.linalg.inv(np.eye(len(index)) - a)
    found = company_controllers(clean_db, target, ALL)
    assert found is not None
    person = [c for c in found.report.controllers if c.controller_id == "BP0001"]
    assert person
    assert person[0].by == ("control_chain",)  # 60% per level: far below 25% effective
    assert person[0].effective_pct == pytest.approx(e[index["BP0001"], index[target]] * 100)
    assert len(person[0].paths[0]) == ids_level(ids, target) + 2


def ids_level(ids: list[list[str]], company: str) -> int:
    return next(lvl for lvl, level in enumerate(ids) if company in level)


# --- API ----------------------------------------------------------------------------------------
def add_user(role: str, branch: str) -> str:
    return api_key(role, branch)


@pytest.fixture
def api(
    clean_db: Database, tiny_bank: Path, settings: Settings
) -> Iterator[tuple[TestClient, dict[str, Any]]]:
    truth = load_tiny(clean_db, tiny_bank)
    run_cli("compute", "--engine", "python", "--only", "group_risk", env=cli_env())
    with TestClient(create_app(settings)) as client:
        yield client, truth


def test_api_group_risk_scoping(api: tuple[TestClient, dict[str, Any]], clean_db: Database) -> None:
    client, truth = api
    admin = {"X-API-Key": add_user("admin", "HO")}
    rm = {"X-API-Key": add_user("rm", "HO")}

    listed = client.get("/api/v1/groups", params={"sort": "exposure"}, headers=admin)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["total"] == len(truth["groups"])
    assert body["items"][0]["controller"]["id"] == truth["over_concentration"][0]["controller"]
    assert body["items"][0]["over_concentration"] is True
    assert client.get("/api/v1/groups", headers=rm).status_code == 403
    assert client.get("/api/v1/groups", params={"limit": 0}, headers=admin).status_code == 422
    assert client.get("/api/v1/groups", params={"sort": "name"}, headers=admin).status_code == 422
    assert client.get("/api/v1/groups/GRP-NOPE", headers=admin).status_code == 404
    # How the group is made up: Chinese by default, English when asked, one stored set of
    # catalogue keys naming the controller.
    top = body["items"][0]["id"]
    zh = client.get(f"/api/v1/groups/{top}", headers=admin).json()
    en = client.get(f"/api/v1/groups/{top}", headers={**admin, "Accept-Language": "en"}).json()
    assert "层控制关系控制" in zh["explanation"]
    assert " companies controlled by " in en["explanation"]
    assert zh["explanation_messages"] == en["explanation_messages"]
    assert zh["explanation_messages"][0]["params"]["controller"] == zh["controller"]["name"]

    # A group with members booked in one branch and not in another.
    group = truth["groups"][0]
    branches = clean_db.read(
        "MATCH (c:Company) WHERE c.company_id IN $ids AND c.branch_id IS NOT NULL "
        "RETURN DISTINCT c.branch_id AS b",
        {"ids": group["members"]},
    )
    inside = str(branches[0]["b"])
    all_branches = [str(r["b"]) for r in clean_db.read("MATCH (b:Branch) RETURN b.branch_id AS b")]
    member_branches = {str(r["b"]) for r in branches}
    outside_candidates = [
        b for b in all_branches if b != "HO" and not any(m.startswith(b) for m in member_branches)
    ]
    group_id = gid(client, group["controller"])
    whole = client.get(f"/api/v1/groups/{group_id}", headers=admin).json()
    assert sorted(m["id"] for m in whole["members"]) == group["members"]

    risk_in = {"X-API-Key": add_user("risk", inside)}
    seen = client.get(f"/api/v1/groups/{group_id}", headers=risk_in)
    assert seen.status_code == 200, seen.text
    detail = seen.json()
    assert detail["exposure"] == whole["exposure"]  # totals are always whole
    hidden = [m for m in detail["members"] if not m["visible"]]
    for member in hidden:  # a placeholder: no id, no name, no amount (graph.scoping)
        assert member["facilities"] is None
        assert member["id"].startswith("hidden-")
        assert member["id"] not in group["members"]
        assert member["name"] == "另一分支机构的客户"
    assert any(m["visible"] for m in detail["members"])

    controllers = client.get(f"/api/v1/companies/{group['members'][0]}/controllers", headers=admin)
    assert controllers.status_code == 200, controllers.text
    c_body = controllers.json()
    assert set(c_body) == {
        "company_id",
        "status",
        "controllers",
        "owners",
        "control_cycle",
        "ownership_cycle",
        "groups",
    }
    chain = [c for c in c_body["controllers"] if "control_chain" in c["by"]]
    assert [c["id"] for c in chain] == truth["ultimate_controllers"].get(group["members"][0], [])
    assert client.get("/api/v1/companies/NOPE/controllers", headers=admin).status_code == 404

    circles = client.get("/api/v1/guarantee-circles", headers=admin).json()
    assert sorted(c["members"] for c in circles["items"]) == truth["guarantee_circles"]
    one = circles["items"][0]
    detail_circle = client.get(f"/api/v1/guarantee-circles/{one['id']}", headers=admin).json()
    assert detail_circle["cycles"]
    assert detail_circle["amounts"][0]["currency"] == "CNY"
    assert client.get("/api/v1/guarantee-circles/GC-NOPE", headers=admin).status_code == 404

    if outside_candidates:
        risk_out = {"X-API-Key": add_user("risk", outside_candidates[0])}
        assert client.get(f"/api/v1/groups/{group_id}", headers=risk_out).status_code == 404
        ids = [g["id"] for g in client.get("/api/v1/groups", headers=risk_out).json()["items"]]
        assert group_id not in ids


def test_a_guarantee_between_two_hidden_members_has_no_amount(
    api: tuple[TestClient, dict[str, Any]], clean_db: Database
) -> None:
    """Seen from a branch, a circle's guarantee between two members booked elsewhere is a
    tie between placeholders: no amount, no currency. One with a visible end keeps its
    amount (it is that customer's own guarantee)."""
    client, truth = api
    admin = {"X-API-Key": add_user("admin", "HO")}
    booked = {
        str(r["id"]): str(r["b"])
        for r in clean_db.read(
            "MATCH (c:Company) WHERE c.branch_id IS NOT NULL RETURN c.company_id AS id, "
            "c.branch_id AS b"
        )
    }
    seen_hidden = seen_visible = 0
    for members in truth["guarantee_circles"]:
        circle_id = public_circle_id(read_id_salt(database_of(client)), members)
        whole = client.get(f"/api/v1/guarantee-circles/{circle_id}", headers=admin).json()
        assert all(g["amount"] is not None for g in whole["guarantees"])
        for branch in sorted({booked[m] for m in members if m in booked}):
            risk = {"X-API-Key": add_user("risk", branch)}
            seen = client.get(f"/api/v1/guarantee-circles/{circle_id}", headers=risk)
            assert seen.status_code == 200, seen.text
            body = seen.json()
            visible = {m["id"] for m in body["members"] if m["visible"]}
            assert visible, "a circle is listed to a branch that books one of its members"
            for g in body["guarantees"]:
                if g["guarantor_id"] in visible or g["borrower_id"] in visible:
                    assert g["amount"] is not None
                    seen_visible += 1
                else:
                    assert g["amount"] is None
                    assert g["currency"] is None
                    seen_hidden += 1
    assert seen_visible
    assert seen_hidden, "no circle of the tiny bank has two adjacent members booked elsewhere"


def test_api_contagion(api: tuple[TestClient, dict[str, Any]]) -> None:
    client, truth = api
    admin = {"X-API-Key": add_user("manager", "HO")}
    circle = truth["guarantee_circles"][0]
    response = client.post("/api/v1/contagion", json={"company_id": circle[0]}, headers=admin)
    assert response.status_code == 200, response.text
    body = response.json()
    affected = {a["id"] for a in body["affected"]}
    assert circle[0] in affected
    assert len(affected) >= 2  # its circle's guarantors are called
    defaulted = sum(a["status"] == "defaulted" for a in body["affected"])
    assert body["explanation_message"]["params"]["defaulted"] == defaulted
    assert body["explanation"].endswith("并经控制关系交叉违约）")
    english = client.post(
        "/api/v1/contagion",
        json={"company_id": circle[0]},
        headers={**admin, "Accept-Language": "en"},
    ).json()
    assert english["explanation"].startswith("Default of ")
    assert english["total_guarantee_calls_cny"] == body["total_guarantee_calls_cny"]
    bad = client.post("/api/v1/contagion", json={"company_id": "NOPE"}, headers=admin)
    assert bad.status_code == 404
    invalid = client.post(
        "/api/v1/contagion", json={"company_id": circle[0], "max_rounds": 0}, headers=admin
    )
    assert invalid.status_code == 422


def test_group_and_circle_maps(api: tuple[TestClient, dict[str, Any]]) -> None:
    client, truth = api
    risk = {"X-API-Key": add_user("risk", "HO")}
    group = truth["groups"][0]
    page = client.get(f"/api/v1/groups/{gid(client, group['controller'])}/map", headers=risk)
    assert page.status_code == 200, page.text
    html = page.text
    assert "图例" in html
    for member in group["members"]:
        assert f'"{member}"' in html  # every member is a node of the embedded data
    assert "hierarchical" in html
    circle = truth["guarantee_circles"][0]
    circle_id = public_circle_id(read_id_salt(database_of(client)), circle)
    circle_page = client.get(
        f"/api/v1/guarantee-circles/{circle_id}/map", params={"lang": "en"}, headers=risk
    )
    assert circle_page.status_code == 200, circle_page.text
    assert "Legend" in circle_page.text
    assert client.get("/api/v1/groups/GRP-NOPE/map", headers=risk).status_code == 404
    assert (
        client.get(
            f"/api/v1/groups/{gid(client, group['controller'])}/map",
            headers={"X-API-Key": add_user("rm", "HO")},
        ).status_code
        == 403
    )


def test_concentration_threshold_is_configurable(clean_db: Database, tiny_bank: Path) -> None:
    truth = load_tiny(clean_db, tiny_bank)
    flagged = (
        "MATCH (g:Group {run_id: $group_run}) WHERE g.over_concentration "
        "RETURN g.controller_id AS c"
    )
    run_cli("compute", "--engine", "python", "--only", "group_risk", env=cli_env())
    planted = sorted(o["controller"] for o in truth["over_concentration"])
    assert sorted(r["c"] for r in clean_db.read(flagged, published(clean_db))) == planted
    low = cli_env(CORPGRAPH_GROUP_CONCENTRATION_CNY="0.01")
    run_cli("compute", "--engine", "python", "--only", "group_risk", env=low)
    with_exposure = clean_db.read(
        "MATCH (g:Group {run_id: $group_run}) WHERE any(x IN g.outstanding_minor WHERE x > 0) "
        "RETURN count(g) AS n",
        published(clean_db),
    )[0]["n"]
    assert len(clean_db.read(flagged, published(clean_db))) == with_exposure > len(planted)


def test_api_controllers_agree_with_stored_groups_for_every_company(
    api: tuple[TestClient, dict[str, Any]], clean_db: Database
) -> None:
    """One code path: the controllers answer names exactly the groups compute stored."""
    client, truth = api
    admin = {"X-API-Key": add_user("risk", "HO")}
    run = published(clean_db)
    groups = {
        r["g"]: r
        for r in clean_db.read("MATCH (g:Group {run_id: $group_run}) RETURN g.group_id AS g", run)
    }
    stored: dict[str, dict[str, bool]] = {}
    for r in clean_db.read(
        "MATCH (c:Company)-[m:MEMBER_OF]->(g:Group {run_id: $group_run}) "
        "RETURN c.company_id AS c, g.group_id AS g, m.primary AS primary",
        run,
    ):
        stored.setdefault(r["c"], {})[r["g"]] = r["primary"]
    companies = [r["id"] for r in clean_db.read("MATCH (c:Company) RETURN c.company_id AS id")]
    statuses = set()
    for company in companies:
        response = client.get(f"/api/v1/companies/{company}/controllers", headers=admin)
        assert response.status_code == 200, response.text
        body = response.json()
        statuses.add(body["status"])
        chain = [c for c in body["controllers"] if "control_chain" in c["by"]]
        expected = {gid(client, c["id"]) for c in chain}
        if body["status"] == "none":
            assert not chain
            expected = {gid(client, company)}  # a company no one controls heads its own group
        elif body["status"] == "joint":
            assert len(chain) >= 2
        else:
            assert len(chain) == 1
        for c in chain:
            assert c["paths"]
            assert c["paths"][0][-1] == company
            assert c["explanation"]
            assert c["explanation_messages"]
        expected &= set(groups)
        assert {g["id"] for g in body["groups"]} == expected == set(stored.get(company, {}))
        assert {g["id"]: g["primary"] for g in body["groups"]} == stored.get(company, {})
    assert statuses == {"none", "sole", "joint"}
    assert sum(len(g) for g in stored.values()) > len(stored)  # some company is in two groups
    assert len(stored) == sum(len(g["members"]) for g in truth["groups"]) - len(
        truth["joint_control"]
    )


def shuffled_copy(bank: Path, out: Path, seed: int) -> None:
    """The bank's files with the good rows of the entity and control files in another order.

    The planted bad rows stay last: the contract rejects the shareholding that takes
    a company past 100%, so *which* row that is depends on the order by design.
    """
    rng = random.Random(seed)
    truth = json.loads((bank / "truth.json").read_text(encoding="utf-8"))
    out.mkdir()
    for path in sorted(bank.iterdir()):
        data = path.read_bytes()
        if path.stem in {"companies", "persons", "shareholdings", "control_links", "facilities"}:
            lines = data.decode("utf-8").splitlines(keepends=True)
            assert len(list(csv.reader(lines))) == len(lines)  # no quoted line breaks
            bad = {b["row"] for b in truth["bad_rows"] if b["file"] == path.stem}
            good = [line for number, line in enumerate(lines[1:], 2) if number not in bad]
            rng.shuffle(good)
            last = [line for number, line in enumerate(lines[1:], 2) if number in bad]
            data = (lines[0] + "".join(good + last)).encode("utf-8")
        (out / path.name).write_bytes(data)


def test_shuffled_load_order_gives_the_same_control(
    clean_db: Database, tiny_bank: Path, tmp_path: Path
) -> None:
    """The planted cases come out as specified whatever the order of the input rows."""
    truth = json.loads((tiny_bank / "truth.json").read_text(encoding="utf-8"))
    snapshots = []
    for number, folder in enumerate((tiny_bank, tmp_path / "shuffled-1", tmp_path / "shuffled-2")):
        if number:
            shuffled_copy(tiny_bank, folder, seed=number)
        schema.wipe(clean_db)
        run_cli("load", str(folder), env=cli_env())
        run_cli("compute", "--engine", "python", "--only", "group_risk", env=cli_env())
        assert stored_groups(clean_db) == truth["groups"]
        assert_planted_control_cases(clean_db, truth)
        snapshots.append(without_group_ids(control_snapshot(clean_db)))
    assert snapshots[1] == snapshots[0]
    assert snapshots[2] == snapshots[0]


def without_group_ids(snapshot: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """A control snapshot with each group named by its controller: group ids are keyed with
    the store's instance id, and every wipe makes a new store."""
    controller_of = {r["g"]: r["controller"] for r in snapshot["memberships"]}
    return {
        "claims": snapshot["claims"],
        "companies": [
            {**r, "primary_group": controller_of.get(r["primary_group"])}
            for r in snapshot["companies"]
        ],
        "memberships": sorted(
            ({k: v for k, v in r.items() if k != "g"} for r in snapshot["memberships"]),
            key=lambda r: (str(r["controller"]), str(r["company"])),
        ),
    }


def test_cycle_and_joint_control_on_the_map_and_in_the_cli(
    api: tuple[TestClient, dict[str, Any]],
) -> None:
    client, truth = api
    risk = {"X-API-Key": add_user("risk", "HO")}
    (cycle,) = truth["control_cycles"]
    group_id = gid(client, cycle["controller"])
    detail = client.get(f"/api/v1/groups/{group_id}", headers=risk).json()
    assert detail["control_cycle"] is True
    assert cycle["members"] in detail["control_cycles"]
    page = client.get(f"/api/v1/groups/{group_id}/map", params={"lang": "en"}, headers=risk)
    assert page.status_code == 200, page.text
    assert "Control cycle (thick red lines)" in page.text
    assert page.text.count("#d62728") >= 2  # both claims of the cycle are highlighted
    shown = run_cli("groups", "show", group_id, env=cli_env(COLUMNS="200")).stdout
    assert "control cycle" in shown
    assert all(m in shown for m in cycle["members"])

    joint = truth["joint_control"][0]
    primary_group = gid(client, joint["primary_group"].removeprefix("GRP-"))
    for controller in joint["controllers"]:
        group = client.get(f"/api/v1/groups/{gid(client, controller)}", headers=risk).json()
        assert group["joint_members"] >= 1
        (member,) = [m for m in group["members"] if m["id"] == joint["company"]]
        assert member["status"] == "joint"
        assert member["controllers"] == joint["controllers"]
        assert member["primary"] == (primary_group == gid(client, controller))
    other = next(gid(client, c) for c in joint["controllers"] if gid(client, c) != primary_group)
    shown = run_cli("groups", "show", other, env=cli_env(COLUMNS="200")).stdout
    assert f"jointly controlled by {', '.join(joint['controllers'])}" in shown
    assert "(not its primary group)" in shown
    listed = run_cli("groups", "list", env=cli_env()).stdout
    assert f"\n{len(truth['groups'])} groups\n" in listed
    assert "control cycle" in listed
