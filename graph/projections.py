"""Graph projections: which part of the graph an algorithm runs on, and the Cypher
that reads it.

A :class:`Projection` names node labels and relationship types from the allowlists
of :mod:`graph.schema`; nothing from input is ever spliced into the Cypher built
here. :func:`resolve_projection` keeps the part the store holds (one read);
:func:`read_type_edges` reads one relationship type's edges (the Python engine's
input); :func:`mark_nodes_with_edges` labels the nodes with an edge in a GDS
in-memory graph and :func:`mutate_gds` runs a GDS algorithm in mutate mode there and
returns the values of those nodes only. The engines themselves are
:mod:`services.engines`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

from core.errors import InputValidationError

from .database import Database
from .schema import NODE_KEYS, RELATIONSHIP_TYPES

logger = logging.getLogger(__name__)


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
    core.errors.InputValidationError: unknown node label 'Company; DROP'
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

    @property
    def has_edges(self) -> bool:
        """False when no relationship type is left (after :func:`resolve_projection`)."""
        return bool(self.relationships)


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


def presence_query(projection: Projection) -> str:
    """One read telling which labels, types and weight properties the store holds.

    Columns: ``label_<i>`` (a node has label ``i``), ``edges_<j>`` (an edge of type
    ``j`` joins two nodes of the projection) and ``weighted_<j>`` (one of them has
    the weight property).

    Examples
    --------
    >>> print(presence_query(Projection("s", ("Company",), (RelationshipSpec("SUPPLIES", "w"),))))
    RETURN EXISTS { MATCH (n:Company) } AS label_0, EXISTS { MATCH (a)-[r:SUPPLIES]->(b) \
WHERE (a:Company) AND (b:Company) } AS edges_0, EXISTS { MATCH (a)-[r:SUPPLIES]->(b) \
WHERE (a:Company) AND (b:Company) AND r.w IS NOT NULL } AS weighted_0
    """
    where = (
        f"{_label_predicate('a', projection.node_labels)} "
        f"AND {_label_predicate('b', projection.node_labels)}"
    )
    columns = [
        f"EXISTS {{ MATCH (n:{label}) }} AS label_{i}"
        for i, label in enumerate(projection.node_labels)
    ]
    for j, rel in enumerate(projection.relationships):
        pattern = f"MATCH (a)-[r:{rel.type}]->(b) WHERE {where}"
        columns.append(f"EXISTS {{ {pattern} }} AS edges_{j}")
        if rel.weight_property:
            columns.append(
                f"EXISTS {{ {pattern} AND r.{rel.weight_property} IS NOT NULL }} AS weighted_{j}"
            )
        else:
            columns.append(f"false AS weighted_{j}")
    return "RETURN " + ", ".join(columns)


def resolve_projection(db: Database, projection: Projection) -> Projection:
    """The part of ``projection`` that the store holds (see :func:`resolved`)."""
    return resolved(projection, db.read_one(presence_query(projection)) or {})


def resolved(projection: Projection, row: Mapping[str, Any]) -> Projection:
    """The part of ``projection`` that the :func:`presence_query` answer ``row`` shows.

    Labels without nodes and relationship types without edges are dropped; when no
    edge has any of the weight properties the projection becomes unweighted. The
    result may have no relationship type left (:attr:`Projection.has_edges`).

    Examples
    --------
    >>> spec = Projection("s", ("Company",), (RelationshipSpec("SUPPLIES", "amount"),))
    >>> resolved(spec, {"label_0": True, "edges_0": True, "weighted_0": False}).weighted
    False
    >>> resolved(spec, {"label_0": True, "edges_0": False}).has_edges
    False
    """
    labels = tuple(label for i, label in enumerate(projection.node_labels) if row.get(f"label_{i}"))
    present = [
        (rel, bool(row.get(f"weighted_{j}")))
        for j, rel in enumerate(projection.relationships)
        if row.get(f"edges_{j}")
    ]
    if not labels or not present:
        return replace(projection, relationships=())
    weighted = any(has_weight for _, has_weight in present)
    relationships = tuple(
        rel if weighted else RelationshipSpec(rel.type, None) for rel, _ in present
    )
    if weighted and any(not has_weight for _, has_weight in present):
        logger.info("projection %s: some edges lack their weight; they weigh 0", projection.name)
    return replace(projection, node_labels=labels, relationships=relationships)


EDGE_COLUMNS: Final = ("source", "target", "weight", "edges")


def edges_query(projection: Projection, rel: RelationshipSpec) -> str:
    """Cypher listing one relationship type's edges, parallel edges summed.

    ``weight`` sums the weight property (0 where an edge lacks it; 1 per edge when
    ``rel`` has none) and ``edges`` counts the parallel edges, so one read serves
    the weighted and the unweighted projection of a type.
    """
    weight = f"toFloat(coalesce(r.{rel.weight_property}, 0))" if rel.weight_property else "1.0"
    return (
        f"MATCH (a)-[r:{rel.type}]->(b) "
        f"WHERE {_label_predicate('a', projection.node_labels)} "
        f"AND {_label_predicate('b', projection.node_labels)} "
        f"RETURN {_key_expression('a')} AS source, {_key_expression('b')} AS target, "
        f"sum({weight}) AS weight, count(r) AS edges"
    )


@dataclass(frozen=True)
class TypeEdges:
    """One relationship type's edges between a projection's labels, as read once."""

    pairs: list[tuple[str, str]]
    weights: list[float]
    counts: list[float]


def read_type_edges(db: Database, projection: Projection, rel: RelationshipSpec) -> TypeEdges:
    """One relationship type's edges between ``projection``'s labels (:func:`edges_query`)."""
    read = db.read_columns(edges_query(projection, rel), EDGE_COLUMNS)
    return TypeEdges(
        [(str(s), str(t)) for s, t in zip(read["source"], read["target"], strict=True)],
        [float(w) for w in read["weight"]],
        [float(c) for c in read["edges"]],
    )


#: The GDS procedures the engine runs, all in mutate mode: names come from code, never
#: from input, and the procedure of any call must be one of these.
GDS_MUTATE_PROCEDURES: Final = frozenset(
    {
        "gds.wcc.mutate",
        "gds.scc.mutate",
        "gds.pageRank.mutate",
        "gds.betweenness.mutate",
        "gds.degree.mutate",
    }
)

#: The in-memory label of the nodes that have an edge in the projected graph (added by
#: :func:`mark_nodes_with_edges`; GDS only, never written to the store).
HAS_EDGE_LABEL: Final = "CorpgraphHasEdge"

#: The in-memory property holding a node's edge count, either direction, unweighted.
EDGE_COUNT_PROPERTY: Final = "corpgraphEdgeCount"


def mark_nodes_with_edges(db: Database, graph_name: str, *, undirected: bool) -> dict[int, str]:
    """Label the nodes with an edge in the in-memory graph ``graph_name``; their keys.

    Three calls in one query, all inside GDS but the last's rows: the unweighted degree in both
    directions is mutated into :data:`EDGE_COUNT_PROPERTY` (an undirected projection
    already counts both), the nodes where it is positive get :data:`HAS_EDGE_LABEL`,
    and the business keys of those nodes alone are read, keyed by GDS node id. An
    isolated node is never sent back; the algorithms' later streams name the label
    and so send back only the nodes listed here.
    """
    degree_config = {
        "mutateProperty": EDGE_COUNT_PROPERTY,
        "orientation": "NATURAL" if undirected else "UNDIRECTED",
    }
    # One round trip: GDS's catalogue is not transactional, so each call sees what the
    # one before it mutated.
    read = db.read_columns(
        "CALL gds.degree.mutate($graph, $degree) YIELD nodePropertiesWritten "
        "WITH count(*) AS degreed "
        "CALL gds.graph.nodeLabel.mutate($graph, $label, $labelled) YIELD nodeLabelsWritten "
        "WITH count(*) AS labelled "
        "CALL gds.graph.nodeProperty.stream($graph, $property, [$label]) YIELD nodeId "
        f"WITH nodeId, gds.util.asNode(nodeId) AS n RETURN nodeId, {_key_expression('n')} AS key",
        ("nodeId", "key"),
        {
            "graph": graph_name,
            "degree": degree_config,
            "label": HAS_EDGE_LABEL,
            "labelled": {"nodeFilter": f"n.{EDGE_COUNT_PROPERTY} > 0.0"},
            "property": EDGE_COUNT_PROPERTY,
        },
    )
    return {int(i): str(k) for i, k in zip(read["nodeId"], read["key"], strict=True)}


@dataclass(frozen=True)
class MutatedValues:
    """What a GDS procedure mutated, for the nodes with an edge only: ``values[i]`` is
    the value of GDS node ``node_ids[i]`` (keys: :func:`mark_nodes_with_edges`)."""

    node_ids: tuple[int, ...]
    values: tuple[Any, ...]


def mutate_gds(
    db: Database,
    procedure: str,
    graph_name: str,
    mutate_property: str,
    config: Mapping[str, Any],
) -> MutatedValues:
    """Run GDS ``procedure`` (one of :data:`GDS_MUTATE_PROCEDURES`) in mutate mode on the
    in-memory graph ``graph_name`` and stream back its values of the nodes that
    :func:`mark_nodes_with_edges` labelled, in one ``gds.graph.nodeProperty.stream``
    (one round trip for both).

    The algorithm runs over every projected node, isolated or not, so its answers are
    those of the stream mode; only the rows sent back are fewer.
    """
    if procedure not in GDS_MUTATE_PROCEDURES:
        raise InputValidationError(f"unknown GDS procedure {procedure!r}")
    if not mutate_property.isidentifier():
        raise InputValidationError(f"bad GDS property {mutate_property!r}")
    read = db.read_columns(
        f"CALL {procedure}($graph, $config) YIELD nodePropertiesWritten "
        "WITH count(*) AS mutated "
        "CALL gds.graph.nodeProperty.stream($graph, $property, [$label]) "
        "YIELD nodeId, propertyValue RETURN nodeId, propertyValue",
        ("nodeId", "propertyValue"),
        {
            "graph": graph_name,
            "config": {**config, "mutateProperty": mutate_property},
            "property": mutate_property,
            "label": HAS_EDGE_LABEL,
        },
    )
    return MutatedValues(tuple(map(int, read["nodeId"])), tuple(read["propertyValue"]))
