"""A node's neighbourhood for maps: breadth-first, capped at supernodes, branch-scoped.

Customers booked outside the caller's subtree never appear (not as nodes, not in
"+k more" counts). Non-customers and persons are visible to everyone who may see
maps. Each expanded node keeps its ``limit`` strongest neighbours (by amount, or
share for ownership) and gets one "+k more" node for the rest.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Final, LiteralString

from core.formatting import format_money
from corpgraph.errors import InputValidationError, NotFoundError
from loaders.parsing import from_minor_units
from visualizations.model import MapEdge, MapNode, MapSpec, NodeKind, Relation

from .branches import BranchScope
from .database import Database
from .scoping import is_visible

NETWORK_TYPES: Final[tuple[Relation, ...]] = ("OWNS", "CONTROLS", "SUPPLIES", "GUARANTEES", "PAYS")
MAX_DEPTH: Final = 3
MAX_LIMIT: Final = 200

NODE: Final[LiteralString] = """
CALL () {
    MATCH (n:Company {company_id: $id})
    RETURN n.company_id AS id, n.name AS name, 'Company' AS label, n.is_customer AS is_customer,
           n.branch_id AS branch_id, n.uscc AS uscc, n.segment AS segment,
           n.industry AS industry, n.region AS region, n.status AS status
    UNION
    MATCH (n:Person {person_id: $id})
    RETURN n.person_id AS id, n.name AS name, 'Person' AS label, false AS is_customer,
           null AS branch_id, null AS uscc, null AS segment, null AS industry,
           null AS region, null AS status
}
RETURN id, name, label, is_customer, branch_id, uscc, segment, industry, region, status
"""

# Neighbours of a frontier, one row per (node, neighbour, relation, direction, currency).
NEIGHBOURS: Final[LiteralString] = """
UNWIND $ids AS id
CALL (id) {
    MATCH (n:Company {company_id: id}) RETURN n
    UNION
    MATCH (n:Person {person_id: id}) RETURN n
}
MATCH (n)-[r]-(m)
WHERE type(r) IN $types AND (m:Company OR m:Person)
WITH id, m, r, type(r) AS rel, startNode(r) = n AS outgoing
RETURN id, rel, outgoing,
       CASE WHEN m:Company THEN m.company_id ELSE m.person_id END AS other,
       m.name AS name, m:Person AS is_person, coalesce(m.is_customer, false) AS is_customer,
       m.branch_id AS branch_id, m.uscc AS uscc, m.segment AS segment,
       m.industry AS industry, m.region AS region, m.status AS status,
       r.currency AS currency,
       sum(CASE rel WHEN 'PAYS' THEN r.amount_minor WHEN 'GUARANTEES' THEN r.amount_minor
                    WHEN 'SUPPLIES' THEN coalesce(r.annual_amount_minor, 0) ELSE 0 END) AS minor,
       max(CASE rel WHEN 'OWNS' THEN r.share_pct ELSE null END) AS share_pct
"""


@dataclass(frozen=True)
class NetworkRequest:
    """Validated parameters of a network query."""

    depth: int = 1
    types: tuple[Relation, ...] = NETWORK_TYPES
    limit: int = 25

    @classmethod
    def parse(cls, depth: int, types: str | None, limit: int) -> NetworkRequest:
        """Validate ``depth`` (1-3), ``types`` (comma-separated allowlist) and ``limit``."""
        if not 1 <= depth <= MAX_DEPTH:
            raise InputValidationError(f"depth must be between 1 and {MAX_DEPTH}")
        if not 1 <= limit <= MAX_LIMIT:
            raise InputValidationError(f"limit must be between 1 and {MAX_LIMIT}")
        chosen: list[Relation] = []
        for raw in (types or ",".join(NETWORK_TYPES)).split(","):
            name = raw.strip().upper()
            if name not in NETWORK_TYPES:
                raise InputValidationError(
                    f"unknown relationship type {raw!r}; use {', '.join(NETWORK_TYPES)}"
                )
            if name not in chosen:
                chosen.append(name)
        return cls(depth, tuple(chosen), limit)


def _kind(row: dict[str, Any]) -> NodeKind:
    if row.get("label") == "Person" or row.get("is_person"):
        return "person"
    return "customer" if row.get("is_customer") else "non_customer"


def _visible(row: dict[str, Any], scope: BranchScope) -> bool:
    """The one rule of :func:`graph.scoping.is_visible` (persons carry no branch)."""
    return is_visible(
        scope, is_customer=bool(row.get("is_customer")), branch_id=row.get("branch_id")
    )


def _details(row: dict[str, Any], kind: NodeKind) -> dict[str, Any]:
    fields = ("uscc", "segment", "industry", "region", "status", "branch_id")
    details: dict[str, Any] = {"id": row.get("id") or row.get("other"), "kind": kind}
    details.update({k: row[k] for k in fields if row.get(k) is not None})
    return details


def _format_amount(minor: int, currency: str | None) -> str:
    """A map label in the one money rule (:func:`core.formatting.format_money`): ``¥1.23亿``."""
    code = currency or "CNY"
    return format_money(from_minor_units(minor, code), code, "zh")


def network(
    db: Database, scope: BranchScope, node_id: str, request: NetworkRequest, *, title: str = ""
) -> MapSpec:
    """The neighbourhood of ``node_id`` as a map spec.

    Raises
    ------
    NotFoundError
        Unknown id, or a customer outside the caller's subtree.
    """
    root = db.read_one(NODE, {"id": node_id})
    if root is None or not _visible(root, scope):
        raise NotFoundError(f"{node_id} not found")
    root_kind = _kind(root)
    nodes: dict[str, MapNode] = {
        node_id: MapNode(
            node_id, str(root["name"]), root_kind, 0, details=_details(root, root_kind)
        )
    }
    edges: dict[tuple[str, str, str], MapEdge] = {}
    frontier = [node_id]
    for level in range(1, request.depth + 1):
        rows = db.read(NEIGHBOURS, {"ids": frontier, "types": list(request.types)})
        by_source: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            if _visible(row, scope):
                by_source[str(row["id"])].append(row)
        next_frontier: list[str] = []
        for source in frontier:
            candidates = by_source.get(source, [])
            # Strongest first: amount, then share; ties by id for a stable map.
            candidates.sort(
                key=lambda r: (-(int(r["minor"] or 0)), -(float(r["share_pct"] or 0)), r["other"])
            )
            neighbours: list[str] = []
            for row in candidates:
                other = str(row["other"])
                if other not in neighbours:
                    neighbours.append(other)
            kept = set(neighbours[: request.limit])
            for row in candidates:
                other = str(row["other"])
                if other not in kept:
                    continue
                if other not in nodes:
                    kind = _kind(row)
                    nodes[other] = MapNode(
                        other, str(row["name"]), kind, level, details=_details(row, kind)
                    )
                    next_frontier.append(other)
                start, end = (source, other) if row["outgoing"] else (other, source)
                relation: Relation = row["rel"]
                label = (
                    f"{float(row['share_pct']):.2f}%"
                    if relation == "OWNS" and row["share_pct"] is not None
                    else _format_amount(int(row["minor"]), row["currency"])
                    if row["minor"]
                    else ""
                )
                edges.setdefault(
                    (start, end, relation),
                    MapEdge(start, end, relation, label, float(row["minor"] or 0) or None),
                )
            hidden = len(neighbours) - len(kept)
            if hidden > 0:
                more_id = f"more:{source}:{level}"
                nodes[more_id] = MapNode(
                    more_id, f"+{hidden}", "more", level, details={"hidden": hidden, "of": source}
                )
                edges[(source, more_id, "more")] = MapEdge(source, more_id, request.types[0])
        frontier = next_frontier
        if not frontier:
            break
    return MapSpec(
        title=title or str(root["name"]),
        nodes=tuple(nodes.values()),
        edges=tuple(edges.values()),
        expand_url="/api/v1/nodes/{id}/network?depth=1",
    )


def spec_to_json(spec: MapSpec) -> dict[str, Any]:
    """The JSON shape the map page's expand call and API clients read."""
    return {
        "title": spec.title,
        "nodes": [
            {"id": n.id, "label": n.label, "kind": n.kind, "level": n.level, "details": n.details}
            for n in spec.nodes
        ],
        "edges": [
            {
                "source": e.source,
                "target": e.target,
                "relation": e.relation,
                "label": e.label,
                "weight": e.weight,
            }
            for e in spec.edges
        ],
    }
