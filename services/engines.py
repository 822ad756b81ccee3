"""The graph-algorithm port: one interface, two engines.

- :class:`GdsEngine` runs algorithms inside Neo4j with the Graph Data Science
  library, through the ``graphdatascience`` client on the process's driver.
- :class:`PythonEngine` reads the projection's edges with Cypher and runs the pure
  functions of :mod:`algorithms.graph_algorithms` (scipy, igraph).

Both take the same :class:`Projection` and return the same answers:
``tests/integration/test_engine_parity*.py`` prove it, and
``tests/integration/test_compute_partial_loads.py`` does for banks that lack whole
files. :func:`select_engine` picks GDS when the server has it (``auto``).

**A projection is built from what the store holds.** A bank may have no supply
links, no ownership, no amounts on its supply links, or nothing but companies.
:func:`resolve_projection` asks the store, in one read, which of the projection's
labels have nodes, which relationship types have edges between them, and whether
any edge carries the weight property; it keeps only those. A missing type is left
out, a weight property that no edge has makes the projection unweighted (edges
that lack it while others have it weigh 0, GDS's ``defaultValue``), and a
projection left with no relationship type has no edges at all: every engine then
returns the trivial answer without running anything.

**Results leave isolated nodes implicit.** Only nodes with at least one edge in
the projection are listed: components (an unlisted node is a component of its
own) and :class:`~algorithms.graph_algorithms.NodeScores` (an unlisted node has
the isolated value GDS gives it: PageRank ``1 - d``, degree and betweenness 0).
The Python engine never reads a node without an edge; the GDS engine runs every
algorithm in mutate mode and streams back only the nodes it labelled as having an
edge.

**An engine lives for one run and is closed.** The GDS engine keeps each
projection's in-memory graph for the run; :meth:`GraphEngine.close` drops them
(the Python engine's is a no-op).

Labels and relationship types come from the allowlists in :mod:`graph.schema`;
nothing from input is ever spliced into Cypher. Projections and the Cypher that
reads them are :mod:`graph.projections`.
"""

from __future__ import annotations

import logging
import threading
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from neo4j import exceptions as neo4j_errors

from algorithms import graph_algorithms as algo
from algorithms.flow_views import pair_totals
from algorithms.graph_algorithms import ISOLATED_ZERO, EdgeList, NodeScores, isolated_pagerank
from core.errors import ConfigurationError
from graph.database import Database, translate_driver_error
from graph.projections import Projection as Projection
from graph.projections import RelationshipSpec as RelationshipSpec
from graph.projections import (
    TypeEdges,
    mark_nodes_with_edges,
    mutate_gds,
    read_type_edges,
    resolve_projection,
)

from .compute_inputs import ComputeInputs

logger = logging.getLogger(__name__)

EngineMode = Literal["auto", "gds", "python"]


class GraphEngine(Protocol):
    """What every engine computes, over the nodes that have an edge in the projection.

    Components map each such node to its component's smallest key (any other node
    is a component of its own); scores are :class:`NodeScores`.
    """

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
    ) -> NodeScores: ...

    def betweenness(self, projection: Projection) -> NodeScores: ...

    def degree(self, projection: Projection) -> NodeScores: ...

    def close(self) -> None:
        """Free what the engine holds for the run (GDS: the in-memory graphs)."""


class PythonEngine:
    """Reads edges with Cypher, computes in Python; nodes without edges are never read.

    **One read per projection, for the run.** An engine lives for one compute run
    (:func:`select_engine`). It asks the store once per projection what it holds
    (:func:`resolve_projection`) and reads each relationship type's edges between
    a set of labels once, whatever weight the projections want (one read gives the
    weight sums and the edge counts); later calls reuse them. Every step writes the
    relationships it projects (``CONTROLS_DIRECTLY``) before it first reads them,
    and none writes them again in the run. A projection without relationship types
    is never read.

    **The flows come from the run's one read.** Given the run's
    :class:`~services.compute_inputs.ComputeInputs`, the ``PAYS`` edges between
    companies (weighted by ``amount_minor`` or not) are summed from the flows the
    run reads once for every step, instead of read again.
    """

    name = "python"

    #: The projections :meth:`_type_edges` takes from the run's flows: ``PAYS`` between
    #: companies, unweighted or weighted by the amount.
    FLOW_LABELS: tuple[str, ...] = ("Company",)
    FLOW_WEIGHTS: tuple[str | None, ...] = (None, "amount_minor")

    def __init__(self, db: Database, inputs: ComputeInputs | None = None) -> None:
        self.db = db
        self.inputs = inputs
        self._resolved: dict[Projection, Projection] = {}
        self._edges: dict[tuple[tuple[str, ...], str, str | None], TypeEdges] = {}
        self._lists: dict[Projection, EdgeList] = {}

    def close(self) -> None:
        """Nothing to free outside Python (the engine's reads go with it)."""

    def resolve(self, projection: Projection) -> Projection:
        """The part of ``projection`` the store holds (asked once per run)."""
        if projection not in self._resolved:
            self._resolved[projection] = resolve_projection(self.db, projection)
        return self._resolved[projection]

    def _type_edges(self, projection: Projection, rel: RelationshipSpec) -> TypeEdges:
        key = (projection.node_labels, rel.type, rel.weight_property)
        if key not in self._edges:
            unweighted = (projection.node_labels, rel.type, None)
            if rel.weight_property is None and any(k[:2] == unweighted[:2] for k in self._edges):
                # The counts of any read of the type are its unweighted edges.
                known = next(v for k, v in self._edges.items() if k[:2] == unweighted[:2])
                self._edges[key] = TypeEdges(known.pairs, known.counts, known.counts)
            elif (
                self.inputs is not None
                and rel.type == "PAYS"
                and projection.node_labels == self.FLOW_LABELS
                and rel.weight_property in self.FLOW_WEIGHTS
            ):
                pairs, amounts, counts = pair_totals(self.inputs.flows())
                weights = amounts if rel.weight_property else counts
                self._edges[key] = TypeEdges(pairs, weights, counts)
            else:
                self._edges[key] = read_type_edges(self.db, projection, rel)
        return self._edges[key]

    def read(self, projection: Projection) -> tuple[Projection, EdgeList]:
        """The resolved projection and its edges in memory (parallel edges summed)."""
        resolved = self.resolve(projection)
        if projection not in self._lists:
            if len(resolved.relationships) == 1:
                edges = self._type_edges(resolved, resolved.relationships[0])
                edge_list = EdgeList.from_pairs(edges.pairs, edges.weights)
            else:
                totals: dict[tuple[str, str], float] = {}
                for rel in resolved.relationships:
                    edges = self._type_edges(resolved, rel)
                    for pair, weight in zip(edges.pairs, edges.weights, strict=True):
                        totals[pair] = totals.get(pair, 0.0) + weight
                edge_list = EdgeList.from_pairs(list(totals), list(totals.values()))
            self._lists[projection] = edge_list.undirected() if resolved.undirected else edge_list
        return resolved, self._lists[projection]

    def edge_list(self, projection: Projection) -> EdgeList:
        """The projection's edges (see :meth:`read`)."""
        return self.read(projection)[1]

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
    ) -> NodeScores:
        resolved, edges = self.read(projection)
        values = algo.pagerank(
            edges,
            damping=damping,
            max_iterations=max_iterations,
            tolerance=tolerance,
            weighted=resolved.weighted,
        )
        return NodeScores(values, isolated_pagerank(damping))

    def betweenness(self, projection: Projection) -> NodeScores:
        return NodeScores(algo.betweenness(self.edge_list(projection)), ISOLATED_ZERO)

    def degree(self, projection: Projection) -> NodeScores:
        resolved, edges = self.read(projection)
        return NodeScores(algo.degree(edges, weighted=resolved.weighted), ISOLATED_ZERO)


@dataclass
class _InMemoryGraph:
    """A projection's GDS in-memory graph, kept for the run."""

    name: str
    #: GDS node id -> business key of the nodes with an edge (the only ones read back).
    keys: dict[int, str]
    #: Mutated properties so far; names the next one (a property is never overwritten).
    mutated: int = 0


class GdsEngine:
    """Runs algorithms in Neo4j's Graph Data Science library, in mutate mode.

    **One in-memory graph per projection, for the run.** The first algorithm on a
    projection projects it (the ``graphdatascience`` client), labels the nodes that
    have an edge there and reads their keys once
    (:func:`~graph.projections.mark_nodes_with_edges`). Every algorithm then runs in
    ``mutate`` mode on that graph, over all its nodes, and streams back the values
    of the labelled nodes only (:func:`~graph.projections.mutate_gds`): on a bank
    where most companies have no edge in a projection, that is a few thousand rows
    instead of one row per company per algorithm. Nodes not sent back are isolated
    and have the isolated value (the results' convention above). Like the Python
    engine's reads, a graph is projected once per run: every step writes the
    relationships it projects before it first runs an algorithm on them.

    The graphs live until :meth:`close` (the engine is a context manager); the
    compute run closes its engine whatever happens.
    """

    name = "gds"

    def __init__(self, db: Database) -> None:
        from graphdatascience import GraphDataScience

        self.db = db
        self._resolved: dict[Projection, Projection] = {}
        self._graphs: dict[Projection, _InMemoryGraph] = {}
        # Drops every in-memory graph on close, in reverse order of projection.
        self._drops = ExitStack()
        # The client shares the process's one driver.
        self.gds = GraphDataScience(
            db.driver, database=db.database, arrow=False, show_progress=False
        )

    def __enter__(self) -> GdsEngine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Drop the run's in-memory graphs (idempotent)."""
        self._graphs.clear()
        try:
            self._drops.close()
        except (neo4j_errors.Neo4jError, neo4j_errors.DriverError) as error:
            # The server dropped them already (restart) or is gone: nothing is left
            # to free, and the run's answer must not be lost to the clean-up.
            logger.warning("could not drop the GDS in-memory graphs: %s", error)

    def resolve(self, projection: Projection) -> Projection:
        """The part of ``projection`` the store holds (asked once per run)."""
        if projection not in self._resolved:
            self._resolved[projection] = resolve_projection(self.db, projection)
        return self._resolved[projection]

    def _in_memory(self, projection: Projection) -> _InMemoryGraph:
        """The in-memory graph of ``projection`` (resolved, with edges), projected once."""
        if projection in self._graphs:
            return self._graphs[projection]
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
        graph = self._drops.enter_context(
            self.gds.graph.project.native(
                name, list(projection.node_labels), rel_projection, log_progress=False
            )
        )
        keys = mark_nodes_with_edges(self.db, graph.name(), undirected=projection.undirected)
        self._graphs[projection] = _InMemoryGraph(graph.name(), keys)
        return self._graphs[projection]

    def _mutate(
        self,
        procedure: str,
        projection: Projection,
        config: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """``{key: value}`` of the nodes with an edge (``projection`` is resolved)."""
        if not projection.has_edges:
            return {}
        try:
            graph = self._in_memory(projection)
            graph.mutated += 1
            read = mutate_gds(
                self.db, procedure, graph.name, f"corpgraph{graph.mutated}", config or {}
            )
        except (neo4j_errors.Neo4jError, neo4j_errors.DriverError) as error:
            raise translate_driver_error(error) from error
        return {graph.keys[i]: v for i, v in zip(read.node_ids, read.values, strict=True)}

    def _components(self, procedure: str, projection: Projection) -> dict[str, str]:
        raw = self._mutate(procedure, self.resolve(projection))
        smallest: dict[Any, str] = {}
        for key, component in raw.items():
            if component not in smallest or key < smallest[component]:
                smallest[component] = key
        return {key: smallest[component] for key, component in raw.items()}

    def _scores(
        self,
        procedure: str,
        projection: Projection,
        isolated: float,
        config: dict[str, Any] | None = None,
        *,
        weighted: bool = False,
    ) -> NodeScores:
        resolved = self.resolve(projection)
        settings = dict(config or {})
        if weighted and resolved.weighted:
            settings["relationshipWeightProperty"] = "weight"
        raw = self._mutate(procedure, resolved, settings)
        return NodeScores({k: float(v) for k, v in raw.items()}, isolated)

    def wcc(self, projection: Projection) -> dict[str, str]:
        return self._components("gds.wcc.mutate", projection)

    def scc(self, projection: Projection) -> dict[str, str]:
        return self._components("gds.scc.mutate", projection)

    def pagerank(
        self,
        projection: Projection,
        *,
        damping: float = 0.85,
        max_iterations: int = 20,
        tolerance: float = 1e-7,
    ) -> NodeScores:
        config: dict[str, Any] = {
            "dampingFactor": damping,
            "maxIterations": max_iterations,
            "tolerance": tolerance,
        }
        return self._scores(
            "gds.pageRank.mutate", projection, isolated_pagerank(damping), config, weighted=True
        )

    def betweenness(self, projection: Projection) -> NodeScores:
        return self._scores("gds.betweenness.mutate", projection, ISOLATED_ZERO)

    def degree(self, projection: Projection) -> NodeScores:
        return self._scores("gds.degree.mutate", projection, ISOLATED_ZERO, weighted=True)


class SerialisedEngine:
    """An engine shared by compute steps that run at once: one call at a time.

    Both engines keep per-run state behind their calls (the Python engine's reads
    per projection, the GDS engine's in-memory graphs and the properties its
    algorithms mutate into them by name), so two steps must not call one engine at
    the same moment. The calls are a small share of a step (the algorithms take
    tenths of a second; the reads happen once per projection), so holding one lock
    around each costs the concurrent steps little.
    """

    def __init__(self, engine: GraphEngine) -> None:
        self.engine = engine
        self.name = engine.name
        self._lock = threading.RLock()

    def wcc(self, projection: Projection) -> dict[str, str]:
        with self._lock:
            return self.engine.wcc(projection)

    def scc(self, projection: Projection) -> dict[str, str]:
        with self._lock:
            return self.engine.scc(projection)

    def pagerank(
        self,
        projection: Projection,
        *,
        damping: float = 0.85,
        max_iterations: int = 20,
        tolerance: float = 1e-7,
    ) -> NodeScores:
        with self._lock:
            return self.engine.pagerank(
                projection, damping=damping, max_iterations=max_iterations, tolerance=tolerance
            )

    def betweenness(self, projection: Projection) -> NodeScores:
        with self._lock:
            return self.engine.betweenness(projection)

    def degree(self, projection: Projection) -> NodeScores:
        with self._lock:
            return self.engine.degree(projection)

    def close(self) -> None:
        with self._lock:
            self.engine.close()


def select_engine(
    db: Database, mode: EngineMode = "auto", inputs: ComputeInputs | None = None
) -> GraphEngine:
    """GDS when asked for or (``auto``) when the server has it; Python otherwise.

    ``inputs`` (the run's shared reads) lets the Python engine reuse the run's flows.
    """
    if mode == "python":
        return PythonEngine(db, inputs)
    has_gds = db.gds_version() is not None
    if mode == "gds" and not has_gds:
        raise ConfigurationError("--engine gds, but this Neo4j has no Graph Data Science library")
    if has_gds:
        return GdsEngine(db)
    logger.info("GDS is absent; using the Python engine")
    return PythonEngine(db, inputs)
