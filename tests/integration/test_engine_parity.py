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
