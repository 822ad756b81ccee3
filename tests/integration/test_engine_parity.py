"""The two engines of the graph-algorithm port give the same answers on the same data."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from algorithms.graph_algorithms import NodeScores
from graph.database import Database
from services.engines import GdsEngine, Projection, PythonEngine, RelationshipSpec

from .conftest import cli_env, run_cli

#: PageRank and betweenness are floating point in both engines (GDS in Java
#: doubles, Python in numpy); they agree to far better than this.
RELATIVE_TOLERANCE = 1e-6

GUARANTEES = Projection("guarantees", ("Company",), (RelationshipSpec("GUARANTEES"),))
OWNERSHIP = Projection("ownership", ("Company", "Person"), (RelationshipSpec("OWNS"),))
FLOWS = Projection("flows", ("Company",), (RelationshipSpec("PAYS", "amount_minor"),))
SUPPLY = Projection("supply", ("Company",), (RelationshipSpec("SUPPLIES"),))


@pytest.fixture(scope="module")
def loaded_tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("parity")
    run_cli("generate", "--scale", "tiny", "--seed", "3", "--out", str(out / "bank"), env=cli_env())
    return out


@pytest.fixture
def engines(clean_db: Database, loaded_tiny: Path) -> Iterator[tuple[PythonEngine, GdsEngine]]:
    run_cli(
        "load", str(loaded_tiny / "bank"), "--rejects", str(loaded_tiny / "r.csv"), env=cli_env()
    )
    with GdsEngine(clean_db) as gds:
        yield PythonEngine(clean_db), gds


def close(a: NodeScores, b: NodeScores) -> bool:
    """Same nodes listed (those with edges), same isolated value, values within tolerance."""
    return (
        bool(a.values)
        and a.values.keys() == b.values.keys()
        and a.isolated == b.isolated
        and all(
            math.isclose(a.values[k], b.values[k], rel_tol=RELATIVE_TOLERANCE, abs_tol=1e-9)
            for k in a.values
        )
    )


def test_components_are_identical(engines: tuple[PythonEngine, GdsEngine]) -> None:
    python, gds = engines
    circles = python.scc(GUARANTEES)
    assert circles == gds.scc(GUARANTEES)
    assert any(k != v for k, v in circles.items())  # the bank has real circles
    assert python.wcc(OWNERSHIP) == gds.wcc(OWNERSHIP)


def test_pagerank_weighted_and_unweighted(engines: tuple[PythonEngine, GdsEngine]) -> None:
    python, gds = engines
    assert close(python.pagerank(FLOWS), gds.pagerank(FLOWS))
    assert close(python.pagerank(SUPPLY), gds.pagerank(SUPPLY))


def test_betweenness_and_degree(engines: tuple[PythonEngine, GdsEngine]) -> None:
    python, gds = engines
    assert close(python.betweenness(SUPPLY), gds.betweenness(SUPPLY))
    assert close(python.degree(FLOWS), gds.degree(FLOWS))
    assert close(python.degree(SUPPLY), gds.degree(SUPPLY))


def _in_memory_graphs(db: Database) -> set[str]:
    rows = db.read("CALL gds.graph.list() YIELD graphName RETURN graphName")
    return {str(row["graphName"]) for row in rows}


def test_gds_keeps_one_graph_per_projection_and_sends_back_only_nodes_with_edges(
    engines: tuple[PythonEngine, GdsEngine],
) -> None:
    python, _ = engines
    db = python.db
    before = _in_memory_graphs(db)
    companies = db.read_one("MATCH (c:Company) RETURN count(c) AS n")
    assert companies is not None
    with GdsEngine(db) as gds:
        scores = [gds.pagerank(SUPPLY), gds.degree(SUPPLY), gds.betweenness(SUPPLY)]
        components = gds.wcc(SUPPLY)
        # Three algorithms and the components ran on one in-memory graph.
        assert len(_in_memory_graphs(db) - before) == 1
        # Only the companies with a supply link came back; the others are isolated.
        with_edges = set(python.wcc(SUPPLY))
        assert 0 < len(with_edges) < companies["n"]
        assert set(components) == with_edges
        assert all(set(s.values) == with_edges for s in scores)
        gds.scc(GUARANTEES)
        assert len(_in_memory_graphs(db) - before) == 2
    assert _in_memory_graphs(db) == before  # closing dropped them
