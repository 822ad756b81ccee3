"""``corpgraph compute`` runs on any valid load, and both engines store the same answer.

Each case loads the tiny synthetic bank with one optional contract file left out
(or nothing but ``companies``), runs ``corpgraph compute --engine python`` and then
``--engine gds`` through the CLI, and compares what each stored: groups, guarantee
circles, influence, supply chains, prospect scores and events.

The module runs its own embedded Neo4j on a fresh data folder. Neo4j remembers a
label, relationship type or property name once anything used it, even after every
node is deleted, and GDS only rejects names the store has never seen; in the shared
test database every name exists. So the first case, only ``companies`` in a fresh
store, is the bank that made ``compute`` fail on ``SUPPLIES``,
``CONTROLS_DIRECTLY`` and ``annual_amount_minor``; the second, supply links
without amounts, is the one that then failed on the missing property.
"""

from __future__ import annotations

import csv
import math
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from algorithms.graph_algorithms import ISOLATED_ZERO, isolated_pagerank
from core.settings import Settings
from graph import schema
from graph.database import Database, create_driver
from graph.local_server import resolve_connection
from loaders.contract import CONTRACT
from loaders.pipeline import load_directory

from .conftest import cli_env, free_port, published, run_cli

#: Plan targets are not read by compute (only by the KPI endpoints), so leaving them out is
#: not a case here.
OPTIONAL_FILES = tuple(
    name for name, spec in CONTRACT.items() if not spec.required_file and name != "targets"
)
#: PageRank agrees to this between engines (see test_engine_parity_influence.py).
RELATIVE, ABSOLUTE = 1e-5, 1e-6
#: Prospect scores are stored rounded to 4 decimals: one unit of the last place.
SCORE_TOLERANCE = 1e-4

GROUPS = (
    "MATCH (c:Company)-[m:MEMBER_OF]->(g:Group {run_id: $group_run}) "
    "RETURN g.group_id AS group, c.company_id AS company, properties(m) AS membership, "
    "properties(g) AS properties ORDER BY group, company"
)
CIRCLES = (
    "MATCH (c:Company)-[:IN_CIRCLE]->(k:GuaranteeCircle {run_id: $group_run}) "
    "RETURN k.circle_id AS circle, c.company_id AS company, properties(k) AS properties "
    "ORDER BY circle, company"
)
INFLUENCE = (
    "MATCH (x:Company) "
    "OPTIONAL MATCH (c:CompanyResult {run_id: $prospect_run, company_id: x.company_id}) "
    "RETURN x.company_id AS id, c.influence_supply_pagerank AS supply_pr, "
    "c.influence_supply_degree AS supply_degree, "
    "c.influence_supply_betweenness AS supply_btw, c.influence_flow_pagerank AS flow_pr, "
    "c.influence_flow_degree AS flow_degree ORDER BY id"
)
CHAINS = (
    "MATCH (c:CompanyResult {run_id: $prospect_run}) WHERE c.supply_chain_id IS NOT NULL "
    "RETURN c.company_id AS id, c.supply_chain_id AS chain, c.core_enterprise AS core "
    "ORDER BY id"
)
PROSPECTS = (
    "MATCH (c:Prospect {run_id: $prospect_run}) "
    "RETURN c.company_id AS id, c.prospect_score AS score, "
    "c.prospect_linked_customers AS linked ORDER BY id"
)
EVENTS = (
    "MATCH (e:Event)-[:ABOUT]->(c:Company) WHERE e.run_id <= $event_run "
    "RETURN e.event_id AS id, e.type AS type, c.company_id AS customer, e.month AS month "
    "ORDER BY id"
)
FORGET_EVENTS = (
    "MATCH (n) WHERE n:Event OR n:EventsSnapshot OR (n:ComputeRun AND n.step = 'events') "
    "DETACH DELETE n"
)


def _without_run_id(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_run_id(v) for k, v in value.items() if k != "run_id"}
    return value


def snapshot(db: Database) -> dict[str, list[dict[str, Any]]]:
    """What compute published, per kind of result (run ids left out)."""
    runs = published(db)
    return {
        name: [_without_run_id(row) for row in db.read(query, runs)]
        for name, query in (
            ("groups", GROUPS),
            ("circles", CIRCLES),
            ("influence", INFLUENCE),
            ("chains", CHAINS),
            ("prospects", PROSPECTS),
            ("events", EVENTS),
        )
    }


def _close(a: float | None, b: float | None, rel: float, absolute: float) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=rel, abs_tol=absolute)


def assert_same_answer(python: dict[str, Any], gds: dict[str, Any]) -> None:
    for exact in ("groups", "circles", "chains", "events"):
        assert gds[exact] == python[exact], exact
    assert [r["id"] for r in gds["influence"]] == [r["id"] for r in python["influence"]]
    for p, g in zip(python["influence"], gds["influence"], strict=True):
        for column in ("supply_pr", "supply_degree", "supply_btw", "flow_pr", "flow_degree"):
            assert _close(p[column], g[column], RELATIVE, ABSOLUTE), (p["id"], column)
    assert [(r["id"], r["linked"]) for r in gds["prospects"]] == [
        (r["id"], r["linked"]) for r in python["prospects"]
    ]
    for p, g in zip(python["prospects"], gds["prospects"], strict=True):
        assert _close(p["score"], g["score"], 0.0, SCORE_TOLERANCE), p["id"]


@pytest.fixture(scope="module")
def fresh_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Database]]:
    """A private embedded Neo4j on an empty data folder, and a driver to it."""
    root = tmp_path_factory.mktemp("fresh-neo4j")
    port = free_port()
    env = cli_env(
        CORPGRAPH_HOME=str(root / "home"),
        CORPGRAPH_LOCAL_NEO4J_PORT=str(port),
        CORPGRAPH_LOCAL_NEO4J_HEAP="1g",
    )
    run_cli("neo4j", "start", "--port", str(port), "--data-dir", str(root / "data"), env=env)
    settings = Settings(_env_file=None, home=root / "home", local_neo4j_port=port, neo4j_uri=None)
    driver = create_driver(resolve_connection(settings), settings)
    try:
        db = Database(driver, resolve_connection(settings).database)
        if db.gds_version() is None:
            pytest.skip("this Neo4j has no Graph Data Science library")
        schema.apply_schema(db)
        yield settings, db
    finally:
        driver.close()
        run_cli("neo4j", "stop", env=env, check=False)


@pytest.fixture(scope="module")
def tiny_bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("partial-tiny")
    run_cli("generate", "--scale", "tiny", "--seed", "3", "--out", str(out), env=cli_env())
    return out


def _supply_links_without_amounts(source: Path, target: Path) -> None:
    with (
        (source / "supply_links.csv").open(encoding="utf-8-sig", newline="") as read,
        (target / "supply_links.csv").open("w", encoding="utf-8", newline="") as write,
    ):
        rows = list(csv.DictReader(read))
        writer = csv.DictWriter(write, ["supplier_id", "buyer_id", "category", "since"])
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in writer.fieldnames})


#: Fresh-store cases first (see the module docstring), then each optional file
#: left out in turn.
CASES = ("companies only", "supply links without amounts", *(f"no {f}" for f in OPTIONAL_FILES))


@pytest.mark.parametrize("case", CASES)
def test_compute_runs_and_both_engines_agree(
    case: str, fresh_server: tuple[Settings, Database], tiny_bank: Path, tmp_path: Path
) -> None:
    settings, db = fresh_server
    bank = tmp_path / "bank"
    bank.mkdir()
    if case == "companies only":
        files = {"companies"}
    elif case == "supply links without amounts":
        # The branch tree too, or the customers (booked at branches) would be rejected.
        files = {"branches", "relationship_managers", "companies"}
        _supply_links_without_amounts(tiny_bank, bank)
    else:
        files = set(CONTRACT) - {case.removeprefix("no ")}
    for name in files:
        shutil.copy(tiny_bank / f"{name}.csv", bank / f"{name}.csv")
    schema.wipe(db)
    load_directory(db, bank, settings, rejects_path=tmp_path / "rejects.csv")

    env = cli_env(
        CORPGRAPH_HOME=str(settings.home), CORPGRAPH_LOCAL_NEO4J_PORT=str(settings.local_neo4j_port)
    )
    stored = {}
    for engine in ("python", "gds"):
        db.run_autocommit(FORGET_EVENTS)
        done = run_cli("compute", "--engine", engine, env=env)
        assert f"engine: {engine}" in done.stdout
        assert "Traceback" not in done.stderr
        stored[engine] = snapshot(db)
    assert_same_answer(stored["python"], stored["gds"])

    python = stored["python"]
    companies = python["influence"]
    assert companies  # every case has companies, each with its influence stored
    if case in {"companies only", "supply links without amounts", "no transactions"}:
        # Nobody pays anybody: every company holds the isolated PageRank and degree.
        isolated = (isolated_pagerank(0.85), ISOLATED_ZERO)
        assert {(c["flow_pr"], c["flow_degree"]) for c in companies} == {isolated}
    if case == "supply links without amounts":
        # Unweighted supply graph: the chains are still found, with their cores.
        assert any(c["core"] for c in python["chains"])
    if case == "no supply_links":
        assert python["chains"] == []
        assert python["prospects"]  # payments alone still make prospects
    if case == "no guarantees":
        assert python["circles"] == []
    if case in {"no transactions", "no segment_snapshots", "no guarantees"}:
        assert python["groups"]  # ownership and control are still there
