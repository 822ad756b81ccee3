"""The graph-algorithm port: one interface, two engines.

- :class:`GdsEngine` runs algorithms inside Neo4j with the Graph Data Science
  library, through the ``graphdatascience`` client on the process's driver.
- :class:`PythonEngine` reads the projection's edges with Cypher and runs the pure
  functions of :mod:`algorithms.graph_algorithms` (scipy, networkx).

Both take the same :class:`Projection` and return ``{node key: value}`` with the
same definitions, and ``tests/integration/test_engine_parity.py`` proves they
agree. :func:`select_engine` picks GDS when the server has it (``auto``).

Labels and relationship types come from the allowlists in :mod:`graph.schema`;
nothing from input is ever spliced into Cypher.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from algorithms import graph_algorithms as algo
from algorithms.graph_algorithms import EdgeList
from corpgraph.errors import ConfigurationError, InputValidationError

from .database import Database
from .schema import NODE_KEYS, RELATIONSHIP_TYPES

logger = logging.getLogger(__name__)

EngineMode = Literal["auto", "gds", "python"]


@dataclass(frozen=True)
class RelationshipSpec:
    """One relationship type of a projection; parallel edges are summed into one."""

    type: str
    weight_property: str | None = None


@dataclass(frozen=True)
class Projection:
    """Which part of the graph an algorithm runs on.

    Examples
    --------
    >>> Projection("guarantees", ("Company",), (RelationshipSpec("GUARANTEES"),)).name
    'guarantees'
    >>> Projection("bad", ("Company; DROP",), ())
    Traceback (most recent call last):
    ...
    corpgraph.errors.InputValidationError: unknown node label 'Company; DROP'
    """

    name: str
    node_labels: tuple[str, ...]
    relationships: tuple[RelationshipSpec, ...]
    undirected: bool = False

    def __post_init__(self) -> None:
        for label in self.node_labels:
            if label not in NODE_KEYS and label != "Customer":
                raise InputValidationError(f"unknown node label {label!r}")
        for rel in self.relationships:
            if rel.type not in RELATIONSHIP_TYPES:
                raise InputValidationError(f"unknown relationship type {rel.type!r}")
            if rel.weight_property is not None and not rel.weight_property.isidentifier():
                raise InputValidationError(f"bad weight property {rel.weight_property!r}")

    @property
    def weighted(self) -> bool:
        return any(r.weight_property for r in self.relationships)


def _key_expression(variable: str) -> str:
    """A node's business key, chosen by its label (a company also has a ``branch_id``).

    Examples
    --------
    >>> _key_expression("n")[:60]
    'CASE WHEN n:Company THEN n.company_id WHEN n:Person THEN n.p'
    """
    cases = " ".join(
        f"WHEN {variable}:{label} THEN {variable}.{key}" for label, key in NODE_KEYS.items()
    )
    return f"CASE {cases} END"


def _label_predicate(variable: str, labels: tuple[str, ...]) -> str:
    return "(" + " OR ".join(f"{variable}:{label}" for label in labels) + ")"


def nodes_query(projection: Projection) -> str:
    """Cypher listing the keys of the projection's nodes (labels from the allowlist)."""
    return (
        f"MATCH (n) WHERE {_label_predicate('n', projection.node_labels)} "
        f"RETURN DISTINCT {_key_expression('n')} AS key"
    )


def edges_query(projection: Projection, rel: RelationshipSpec) -> str:
    """Cypher listing one relationship type's edges, parallel edges summed."""
    weight = f"toFloat(coalesce(r.{rel.weight_property}, 0))" if rel.weight_property else "1.0"
    return (
        f"MATCH (a)-[r:{rel.type}]->(b) "
        f"WHERE {_label_predicate('a', projection.node_labels)} "
        f"AND {_label_predicate('b', projection.node_labels)} "
        f"RETURN {_key_expression('a')} AS source, {_key_expression('b')} AS target, "
        f"sum({weight}) AS weight"
    )


class GraphEngine(Protocol):
    """What every engine computes; results map node keys to values."""

    name: str

    def wcc(self, projection: Projection) -> dict[str, str]: ...

    def scc(self, projection: Projection) -> dict[str, str]: ...

    def pagerank(
        self,
        projection: Projection,
        *,
        damping: float = 0.85,
        max_iterations: int = 20,
        tolerance: float = 1e-7,
    ) -> dict[str, float]: ...

    def betweenness(self, projection: Projection) -> dict[str, float]: ...

    def degree(self, projection: Projection) -> dict[str, float]: ...


class PythonEngine:
    """Reads edges with Cypher, computes in Python."""

    name = "python"

    def __init__(self, db: Database) -> None:
        self.db = db

    def edge_list(self, projection: Projection) -> EdgeList:
        """The projection as an in-memory edge list (summed parallel edges)."""
        nodes = [str(r["key"]) for r in self.db.read(nodes_query(projection))]
        totals: dict[tuple[str, str], float] = {}
        for rel in projection.relationships:
            for row in self.db.read(edges_query(projection, rel)):
                pair = (str(row["source"]), str(row["target"]))
                totals[pair] = totals.get(pair, 0.0) + float(row["weight"])
        edges = EdgeList.from_pairs(list(totals), list(totals.values()), nodes)
        return edges.undirected() if projection.undirected else edges

    def wcc(self, projection: Projection) -> dict[str, str]:
        return algo.weakly_connected_components(self.edge_list(projection))

    def scc(self, projection: Projection) -> dict[str, str]:
        return algo.strongly_connected_components(self.edge_list(projection))

    def pagerank(
        self,
        projection: Projection,
        *,
        damping: float = 0.85,
        max_iterations: int = 20,
        tolerance: float = 1e-7,
    ) -> dict[str, float]:
        return algo.pagerank(
            self.edge_list(projection),
            damping=damping,
            max_iterations=max_iterations,
            tolerance=tolerance,
            weighted=projection.weighted,
        )

    def betweenness(self, projection: Projection) -> dict[str, float]:
        return algo.betweenness(self.edge_list(projection))

    def degree(self, projection: Projection) -> dict[str, float]:
        return algo.degree(self.edge_list(projection), weighted=projection.weighted)


class GdsEngine:
    """Runs algorithms in Neo4j's Graph Data Science library via ``graphdatascience``."""

    name = "gds"

    def __init__(self, db: Database) -> None:
        from graphdatascience import GraphDataScience

        self.db = db
        # The client shares the process's one driver.
        self.gds = GraphDataScience(
            db.driver, database=db.database, arrow=False, show_progress=False
        )

    @contextmanager
    def _projected(self, projection: Projection) -> Iterator[Any]:
        rel_projection: dict[str, Any] = {}
        for rel in projection.relationships:
            spec: dict[str, Any] = {
                "type": rel.type,
                "orientation": "UNDIRECTED" if projection.undirected else "NATURAL",
            }
            if rel.weight_property:
                spec["properties"] = {
                    "weight": {
                        "property": rel.weight_property,
                        "defaultValue": 0.0,
                        "aggregation": "SUM",
                    }
                }
            else:
                spec["aggregation"] = "SINGLE"
            rel_projection[rel.type] = spec
        name = f"corpgraph-{projection.name}-{uuid.uuid4().hex[:8]}"
        # The result is a context manager that drops the in-memory graph on exit.
        with self.gds.graph.project.native(
            name, list(projection.node_labels), rel_projection, log_progress=False
        ) as graph:
            yield graph

    def _stream(
        self,
        procedure: str,
        projection: Projection,
        column: str,
        config: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        with self._projected(projection) as graph:
            query = (
                f"CALL {procedure}($graph, $config) YIELD nodeId, {column} "
                f"WITH gds.util.asNode(nodeId) AS n, {column} AS value "
                f"RETURN {_key_expression('n')} AS key, value"
            )
            frame = self.gds.run_cypher(query, {"graph": graph.name(), "config": config or {}})
        return dict(zip(frame["key"].astype(str), frame["value"].tolist(), strict=True))

    def _components(self, procedure: str, projection: Projection) -> dict[str, str]:
        raw = self._stream(procedure, projection, "componentId")
        smallest: dict[Any, str] = {}
        for key, component in raw.items():
            if component not in smallest or key < smallest[component]:
                smallest[component] = key
        return {key: smallest[component] for key, component in raw.items()}

    def wcc(self, projection: Projection) -> dict[str, str]:
        return self._components("gds.wcc.stream", projection)

    def scc(self, projection: Projection) -> dict[str, str]:
        return self._components("gds.scc.stream", projection)

    def pagerank(
        self,
        projection: Projection,
        *,
        damping: float = 0.85,
        max_iterations: int = 20,
        tolerance: float = 1e-7,
    ) -> dict[str, float]:
        config: dict[str, Any] = {
            "dampingFactor": damping,
            "maxIterations": max_iterations,
            "tolerance": tolerance,
        }
        if projection.weighted:
            config["relationshipWeightProperty"] = "weight"
        return {
            k: float(v)
            for k, v in self._stream("gds.pageRank.stream", projection, "score", config).items()
        }

    def betweenness(self, projection: Projection) -> dict[str, float]:
        return {
            k: float(v)
            for k, v in self._stream("gds.betweenness.stream", projection, "score").items()
        }

    def degree(self, projection: Projection) -> dict[str, float]:
        config = {"relationshipWeightProperty": "weight"} if projection.weighted else {}
        return {
            k: float(v)
            for k, v in self._stream("gds.degree.stream", projection, "score", config).items()
        }


def select_engine(db: Database, mode: EngineMode = "auto") -> GraphEngine:
    """GDS when asked for or (``auto``) when the server has it; Python otherwise."""
    if mode == "python":
        return PythonEngine(db)
    has_gds = db.gds_version() is not None
    if mode == "gds" and not has_gds:
        raise ConfigurationError("--engine gds, but this Neo4j has no Graph Data Science library")
    if has_gds:
        return GdsEngine(db)
    logger.info("GDS is absent; using the Python engine")
    return PythonEngine(db)
