"""Connection paths and neighbour pages through HTTP on the synthetic bank.

The paths the API returns are checked against networkx's shortest paths on the
same relationships, read independently of graph/paths.py.
"""

from __future__ import annotations

import functools
import json
import random
from collections.abc import Iterator

import networkx as nx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from core.settings import Settings
from graph.database import Database

from .conftest import api_key as new_api_key
from .conftest import cli_env, run_cli

ALL_TIES = (
    "MATCH (a)-[r:OWNS|CONTROLS|SUPPLIES|GUARANTEES|PAYS]->(b) "
    "RETURN DISTINCT coalesce(a.company_id, a.person_id) AS a, "
    "coalesce(b.company_id, b.person_id) AS b"
)
CUSTOMERS = (
    "MATCH (c:Company) WHERE c.is_customer RETURN c.company_id AS id, c.branch_id AS branch "
    "ORDER BY id"
)


@functools.cache
def api_key(role: str, branch: str) -> str:
    """One user per role and branch for the module (creating one runs the CLI)."""
    return new_api_key(role, branch)


@pytest.fixture(scope="module")
def loaded(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Database:
    from graph.schema import wipe

    out = tmp_path_factory.mktemp("paths") / "bank"
    run_cli("generate", "--scale", "tiny", "--seed", "11", "--out", str(out), env=cli_env())
    wipe(database)
    run_cli("load", str(out), "--rejects", str(out.parent / "r.csv"), env=cli_env())
    return database


@pytest.fixture(scope="module")
def client(loaded: Database, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def graph(loaded: Database) -> nx.Graph:
    g: nx.Graph = nx.Graph()
    g.add_edges_from((r["a"], r["b"]) for r in loaded.read(ALL_TIES))
    return g


def test_paths_match_networkx_shortest_paths(
    client: TestClient, graph: nx.Graph, loaded: Database
) -> None:
    headers = {"X-API-Key": api_key("manager", "HO")}
    customers = [r["id"] for r in loaded.read(CUSTOMERS)]
    rng = random.Random(3)
    checked = connected = 0
    for _ in range(40):
        source, target = rng.sample(customers, 2)
        answer = client.get(
            "/api/v1/paths",
            params={"source": source, "target": target, "depth": 4, "limit": 50},
            headers=headers,
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        try:
            expected = {tuple(p) for p in nx.all_shortest_paths(graph, source, target)}
        except (nx.NetworkXNoPath, nx.NodeNotFound):
            expected = set()
        if expected and len(next(iter(expected))) - 1 > 4:
            expected = set()  # beyond the depth asked for
        got = {tuple(p["parties"]) for p in body["paths"]}
        checked += 1
        if not expected:
            assert got == set()
            assert body["hops"] is None
            continue
        connected += 1
        assert body["hops"] == len(next(iter(expected))) - 1
        if len(expected) <= 50:
            assert got == expected
            assert body["truncated"] is False
        else:
            assert got <= expected
            assert len(got) == 50
            assert body["truncated"] is True
        for path in body["paths"]:  # every hop has at least one tie, in the graph
            for left, right in zip(path["parties"], path["parties"][1:], strict=False):
                ties = [t for t in path["ties"] if {t["source"], t["target"]} == {left, right}]
                assert ties
                assert graph.has_edge(left, right)
    assert checked == 40
    assert connected >= 10, connected


def test_paths_scope_hides_intermediates(
    client: TestClient, graph: nx.Graph, loaded: Database
) -> None:
    customers = {r["id"]: r["branch"] for r in loaded.read(CUSTOMERS)}
    # a path between two customers of one branch through a customer of another branch
    found = None
    for source, branch in sorted(customers.items()):
        for target, other_branch in sorted(customers.items()):
            if source >= target or branch != other_branch:
                continue
            try:
                paths = list(nx.all_shortest_paths(graph, source, target))
            except nx.NetworkXNoPath:
                continue
            if len(paths[0]) > 5 or len(paths) > 20:
                continue
            hidden = [n for n in paths[0][1:-1] if n in customers and customers[n] != branch]
            if hidden:
                found = (source, target, branch, set(paths[0][1:-1]))
                break
        if found:
            break
    assert found is not None, "the synthetic bank has a cross-branch path"
    source, target, branch, _middle = found
    rm = {"X-API-Key": api_key("rm", branch)}
    answer = client.get(
        "/api/v1/paths", params={"source": source, "target": target, "depth": 4}, headers=rm
    )
    assert answer.status_code == 200, answer.text
    text = answer.text
    hidden_ids = {c for c, b in customers.items() if b != branch}
    assert not any(f'"{c}"' in text for c in hidden_ids)
    body = json.loads(text)
    placeholders = [p for p in body["parties"] if not p["visible"]]
    assert placeholders
    assert all(p["name"] is None and p["kind"] == "outside" for p in placeholders)
    assert all(p["key"].startswith("outside-") for p in placeholders)
    # the map page of the same answer names no hidden customer either
    page = client.get(
        "/api/v1/paths/map", params={"source": source, "target": target}, headers=rm
    ).text
    assert not any(c in page for c in hidden_ids)
    assert "分行范围外" in page


def test_paths_refuse_bad_input_and_hidden_ends(client: TestClient, loaded: Database) -> None:
    customers = {r["id"]: r["branch"] for r in loaded.read(CUSTOMERS)}
    headers = {"X-API-Key": api_key("manager", "HO")}
    a, b = sorted(customers)[:2]
    for params in (
        {"source": a, "target": b, "depth": 0},
        {"source": a, "target": b, "depth": 7},
        {"source": a, "target": b, "types": "KNOWS"},
        {"source": a, "target": a},
    ):
        response = client.get("/api/v1/paths", params=params, headers=headers)
        assert response.status_code in (400, 422), (params, response.text)
    branch = customers[a]
    elsewhere = next(c for c, br in customers.items() if br != branch)
    rm = {"X-API-Key": api_key("rm", branch)}
    response = client.get("/api/v1/paths", params={"source": a, "target": elsewhere}, headers=rm)
    assert response.status_code == 404  # exactly as for an id that does not exist


def test_neighbour_pages_cover_the_visible_neighbours(
    client: TestClient, graph: nx.Graph, loaded: Database
) -> None:
    customers = {r["id"]: r["branch"] for r in loaded.read(CUSTOMERS)}
    hub = max(customers, key=lambda c: graph.degree(c) if c in graph else 0)
    headers = {"X-API-Key": api_key("manager", "HO")}
    seen: list[str] = []
    offset = 0
    while True:
        page = client.get(
            f"/api/v1/nodes/{hub}/neighbours",
            params={"offset": offset, "limit": 7},
            headers=headers,
        ).json()
        seen += [item["nodes"][0]["id"] for item in page["items"]]
        assert all(
            {e["source"], e["target"]} == {hub, item["nodes"][0]["id"]}
            for item in page["items"]
            for e in item["edges"]
        )
        offset += 7
        if offset >= page["total"]:
            break
    assert len(seen) == len(set(seen)) == page["total"] == graph.degree(hub)
    assert set(seen) == set(graph.neighbors(hub))
    # an RM of the hub's branch sees the others counted, not listed
    branch = customers[hub]
    rm = {"X-API-Key": api_key("rm", branch)}
    page = client.get(f"/api/v1/nodes/{hub}/neighbours", params={"limit": 200}, headers=rm).json()
    outside = {n for n in graph.neighbors(hub) if n in customers and customers[n] != branch}
    assert page["outside_scope"] == len(outside)
    assert page["total"] == graph.degree(hub) - len(outside)
    assert not any(n in json.dumps(page) for n in outside)


HIDDEN_TIES = (
    "MATCH (s:Company {company_id: $id})-[r:OWNS|CONTROLS|SUPPLIES|GUARANTEES|PAYS]-(m:Company) "
    "WHERE m.is_customer AND NOT m.branch_id IN $branches "
    "RETURN type(r) AS relation, count(DISTINCT m) AS hidden ORDER BY relation"
)


def test_maps_mark_ties_outside_the_branch_without_their_ids(
    client: TestClient, loaded: Database
) -> None:
    from graph.branches import BranchScope, read_branch_tree

    customers = {r["id"]: r["branch"] for r in loaded.read(CUSTOMERS)}
    tree = read_branch_tree(loaded)
    marked = 0
    for branch in sorted(set(customers.values())):
        scope = BranchScope.for_home_branch(tree, branch)
        mine = sorted(c for c, b in customers.items() if scope.allows(b))
        hidden_ids = {c for c, b in customers.items() if not scope.allows(b)}
        headers = {"X-API-Key": api_key("rm", branch)}
        for customer in mine[:6]:
            response = client.get(
                f"/api/v1/customers/{customer}/network",
                params={"depth": 1, "limit": 200},
                headers=headers,
            )
            assert response.status_code == 200, response.text
            assert not any(f'"{h}' in response.text or f":{h}" in response.text for h in hidden_ids)
            body = response.json()
            expected = {
                r["relation"]: r["hidden"]
                for r in loaded.read(
                    HIDDEN_TIES, {"id": customer, "branches": sorted(scope.branch_ids or ())}
                )
            }
            got = {
                n["id"].split(":")[2]: n["details"]["outside"]
                for n in body["nodes"]
                if n["kind"] == "outside"
            }
            assert got == expected, (customer, got, expected)
            marked += sum(got.values())
            # the map page and the supply-chain map name no hidden id either
            for path in (
                f"/api/v1/customers/{customer}/map",
                f"/api/v1/customers/{customer}/supply-chain/map",
            ):
                page = client.get(path, headers=headers)
                assert page.status_code == 200, (path, page.text)
                assert not any(h in page.text for h in hidden_ids), path
    assert marked > 0, "the synthetic bank has ties across branches"


OWNERS = (
    "MATCH (o)-[r:OWNS]->(c:Company {company_id: $id}) "
    "RETURN coalesce(o.company_id, o.person_id) AS id, max(r.share_pct) AS share"
)
HOLDINGS = (
    "MATCH (c:Company {company_id: $id})-[r:OWNS]->(o) "
    "RETURN o.company_id AS id, max(r.share_pct) AS share"
)
OWNED_AND_OWNING = (
    "MATCH (a)-[:OWNS]->(c:Company)-[:OWNS]->(b) WHERE c.is_customer "
    "RETURN c.company_id AS id, c.branch_id AS branch ORDER BY id LIMIT 5"
)


def test_ownership_look_through_up_and_down(client: TestClient, loaded: Database) -> None:
    from graph.branches import BranchScope, read_branch_tree

    candidates = loaded.read(OWNED_AND_OWNING)
    assert candidates, "the synthetic bank has customers both owned and owning"
    headers = {"X-API-Key": api_key("manager", "HO")}
    for row in candidates:
        company = row["id"]
        body = client.get(
            f"/api/v1/customers/{company}/ownership",
            params={"up": 1, "down": 1, "limit": 200},
            headers=headers,
        ).json()
        levels = {n["id"]: n["level"] for n in body["nodes"]}
        assert levels[company] == 1
        owners = {r["id"]: r["share"] for r in loaded.read(OWNERS, {"id": company})}
        holdings = {r["id"]: r["share"] for r in loaded.read(HOLDINGS, {"id": company})}
        # a cross-holding partner is drawn once, above (shareholders are walked first)
        assert {i for i, lv in levels.items() if lv == 0} == set(owners)
        assert {i for i, lv in levels.items() if lv == 2} == set(holdings) - set(owners)
        labels = {(e["source"], e["target"]): e["label"] for e in body["edges"]}
        for owner, share in owners.items():
            assert labels[(owner, company)] == f"{share:.2f}%"
        for held, share in holdings.items():
            assert labels[(company, held)] == f"{share:.2f}%"
    # an RM sees the same structure with other branches' customers as placeholders
    row = candidates[0]
    tree = read_branch_tree(loaded)
    scope = BranchScope.for_home_branch(tree, row["branch"])
    hidden = {r["id"] for r in loaded.read(CUSTOMERS) if not scope.allows(r["branch"])}
    rm = {"X-API-Key": api_key("rm", row["branch"])}
    page = client.get(
        f"/api/v1/customers/{row['id']}/ownership/map", params={"up": 2, "down": 2}, headers=rm
    )
    assert page.status_code == 200
    assert "股权穿透" in page.text
    assert not any(h in page.text for h in hidden)
