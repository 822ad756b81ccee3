"""A node's neighbourhood for maps: breadth-first, capped at supernodes, branch-scoped.

Customers booked outside the caller's subtree never appear as nodes, and their ids
are never in a node's id; but the tie is not silently dropped: each node that has
such ties gets one anonymous "N ties outside your branch" node per relation (a
guarantee circle whose other members are booked elsewhere stays visible as a
circle). Non-customers and persons are visible to everyone who may see maps. Each
expanded node keeps its ``limit`` strongest neighbours (by amount, or share for
ownership) and gets one "+k more" node for the rest, whose list
:func:`neighbour_page` serves page by page.

Node details carry field codes (``segment``, ``branch``, ``exposure``...) that the
map translates with the message catalogue; never a raw id.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Final, LiteralString

from core.errors import InputValidationError, NotFoundError
from core.formatting import Language, format_money
from core.i18n import gettext
from core.money import from_minor_units
from graph.branches import BranchScope, read_branches
from graph.database import Database
from graph.scoping import is_visible
from visualizations.model import MapEdge, MapNode, MapSpec, NodeKind, Relation, exposure_size

NETWORK_TYPES: Final[tuple[Relation, ...]] = ("OWNS", "CONTROLS", "SUPPLIES", "GUARANTEES", "PAYS")
MAX_DEPTH: Final = 3
MAX_LIMIT: Final = 200

NODE: Final[LiteralString] = """
CALL () {
    MATCH (n:Company {company_id: $id})
    RETURN n.company_id AS id, n.name AS name, 'Company' AS label, n.is_customer AS is_customer,
           n.branch_id AS branch_id, n.uscc AS uscc, n.segment AS segment,
           n.industry AS industry, n.region AS region, n.status AS status,
           n.exposure_cny_minor AS exposure
    UNION
    MATCH (n:Person {person_id: $id})
    RETURN n.person_id AS id, n.name AS name, 'Person' AS label, false AS is_customer,
           null AS branch_id, null AS uscc, null AS segment, null AS industry,
           null AS region, null AS status, null AS exposure
}
RETURN id, name, label, is_customer, branch_id, uscc, segment, industry, region, status, exposure
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
       m.exposure_cny_minor AS exposure, r.currency AS currency,
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


#: Detail fields a map node may carry, in display order (the map names them from the
#: message catalogue; code fields are translated through their code list).
DETAIL_FIELDS: Final[tuple[str, ...]] = (
    "segment",
    "industry",
    "region",
    "status",
    "branch",
    "exposure",
    "uscc",
)


def _details(
    row: dict[str, Any], branch_names: dict[str, str], language: Language
) -> dict[str, Any]:
    """What the details panel shows: field code → value, never an id."""
    details: dict[str, Any] = {
        key: row[key]
        for key in ("segment", "industry", "region", "status", "uscc")
        if row.get(key) is not None
    }
    branch = row.get("branch_id")
    if row.get("is_customer") and branch is not None:
        details["branch"] = branch_names.get(str(branch), "")
    if row.get("exposure"):
        details["exposure"] = _format_amount(int(row["exposure"]), "CNY", language)
    return {key: details[key] for key in DETAIL_FIELDS if details.get(key)}


def _format_amount(minor: int, currency: str | None, language: Language = "zh") -> str:
    """A map label in the one money rule (:func:`core.formatting.format_money`): ``¥1.23亿``."""
    code = currency or "CNY"
    return format_money(from_minor_units(minor, code), code, language, compact=True)


def _node_size(row: dict[str, Any]) -> float | None:
    return exposure_size(int(row["exposure"])) if row.get("is_customer") else None


def _edge(source: str, row: dict[str, Any], language: Language) -> MapEdge:
    other = str(row["other"])
    start, end = (source, other) if row["outgoing"] else (other, source)
    relation: Relation = row["rel"]
    label = (
        f"{float(row['share_pct']):.2f}%"
        if relation == "OWNS" and row["share_pct"] is not None
        else _format_amount(int(row["minor"]), row["currency"], language)
        if row["minor"]
        else ""
    )
    return MapEdge(start, end, relation, label, float(row["minor"] or 0) or None)


def _strongest_first(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Amount, then share, descending; ties by id for a stable map."""
    return sorted(
        rows, key=lambda r: (-(int(r["minor"] or 0)), -(float(r["share_pct"] or 0)), r["other"])
    )


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "mark for extraction only"
    """Mark ``message`` for the catalogue; it is translated where it is shown."""
    return message


def outside_label(count: int, language: Language) -> str:
    """The text of a node standing for ``count`` ties outside the caller's branches."""
    return gettext(language, N_("{count} ties outside your branch")).format(count=count)


def more_label(count: int, language: Language) -> str:
    """The text of a "+N more" node."""
    return gettext(language, N_("+{count} more")).format(count=count)


def network(
    db: Database,
    scope: BranchScope,
    node_id: str,
    request: NetworkRequest,
    *,
    title: str = "",
    language: Language = "zh",
) -> MapSpec:
    """The neighbourhood of ``node_id`` as a map spec, laid out around it (radial).

    Raises
    ------
    NotFoundError
        Unknown id, or a customer outside the caller's subtree.
    """
    root = db.read_one(NODE, {"id": node_id})
    if root is None or not _visible(root, scope):
        raise NotFoundError(f"{node_id} not found")
    branch_names = {b.branch_id: b.name for b in read_branches(db)}
    root_kind = _kind(root)
    nodes: dict[str, MapNode] = {
        node_id: MapNode(
            node_id,
            str(root["name"]),
            root_kind,
            0,
            size=_node_size(root),
            details=_details(root, branch_names, language),
        )
    }
    edges: dict[tuple[str, str, str], MapEdge] = {}
    frontier = [node_id]
    for level in range(1, request.depth + 1):
        rows = db.read(NEIGHBOURS, {"ids": frontier, "types": list(request.types)})
        by_source: dict[str, list[dict[str, Any]]] = defaultdict(list)
        outside: dict[tuple[str, Relation], set[str]] = defaultdict(set)
        for row in rows:
            if _visible(row, scope):
                by_source[str(row["id"])].append(row)
            else:
                outside[(str(row["id"]), row["rel"])].add(str(row["other"]))
        next_frontier: list[str] = []
        for source in frontier:
            candidates = _strongest_first(by_source.get(source, []))
            neighbours = list(dict.fromkeys(str(row["other"]) for row in candidates))
            kept = set(neighbours[: request.limit])
            for row in candidates:
                other = str(row["other"])
                if other not in kept:
                    continue
                if other not in nodes:
                    kind = _kind(row)
                    nodes[other] = MapNode(
                        other,
                        str(row["name"]),
                        kind,
                        level,
                        size=_node_size(row),
                        details=_details(row, branch_names, language),
                    )
                    next_frontier.append(other)
                edge = _edge(source, row, language)
                edges.setdefault((edge.source, edge.target, edge.relation), edge)
            hidden = len(neighbours) - len(kept)
            if hidden > 0:
                more_id = f"more:{source}:{level}"
                nodes[more_id] = MapNode(
                    more_id,
                    more_label(hidden, language),
                    "more",
                    level,
                    details={"hidden": hidden, "of": source},
                )
                edges[(source, more_id, "more")] = MapEdge(source, more_id, request.types[0])
            for relation in request.types:
                count = len(outside.get((source, relation), ()))
                if count:
                    # The id names only the visible node and the relation: never a hidden id.
                    outside_id = f"outside:{source}:{relation}"
                    nodes[outside_id] = MapNode(
                        outside_id,
                        outside_label(count, language),
                        "outside",
                        level,
                        details={"outside": count},
                    )
                    edges[(source, outside_id, relation)] = MapEdge(source, outside_id, relation)
        frontier = next_frontier
        if not frontier:
            break
    return MapSpec(
        title=title or str(root["name"]),
        nodes=tuple(nodes.values()),
        edges=tuple(edges.values()),
        expand_url=f"/api/v1/nodes/{{id}}/network?depth=1&lang={language}",
        subject=node_id,
        layout="radial",
        relations=request.types,
    )


@dataclass(frozen=True)
class NeighbourPage:
    """One page of a node's visible neighbours (the list behind a "+N more" node).

    ``items`` are map fragments (one node and its edges to the centre) that the map
    merges as they are added; ``outside_scope`` counts the ties hidden by scope.
    """

    total: int
    offset: int
    limit: int
    items: tuple[MapSpec, ...]
    outside_scope: int


def neighbour_page(
    db: Database,
    scope: BranchScope,
    node_id: str,
    relations: tuple[Relation, ...],
    *,
    offset: int = 0,
    limit: int = 20,
    language: Language = "zh",
) -> NeighbourPage:
    """The visible neighbours of ``node_id`` by the relations, strongest first, one page.

    Raises
    ------
    NotFoundError
        Unknown id, or a customer outside the caller's subtree.
    InputValidationError
        A negative offset or a limit outside 1 to :data:`MAX_LIMIT`.
    """
    if offset < 0 or not 1 <= limit <= MAX_LIMIT:
        raise InputValidationError(f"offset must be >= 0 and limit between 1 and {MAX_LIMIT}")
    root = db.read_one(NODE, {"id": node_id})
    if root is None or not _visible(root, scope):
        raise NotFoundError(f"{node_id} not found")
    branch_names = {b.branch_id: b.name for b in read_branches(db)}
    rows = db.read(NEIGHBOURS, {"ids": [node_id], "types": list(relations)})
    visible = _strongest_first([r for r in rows if _visible(r, scope)])
    outside = {str(r["other"]) for r in rows if not _visible(r, scope)}
    order = list(dict.fromkeys(str(r["other"]) for r in visible))
    chosen = order[offset : offset + limit]
    items = []
    for other in chosen:
        mine = [r for r in visible if str(r["other"]) == other]
        first = mine[0]
        kind = _kind(first)
        node = MapNode(
            other,
            str(first["name"]),
            kind,
            size=_node_size(first),
            details=_details(first, branch_names, language),
        )
        items.append(
            MapSpec(
                title=str(first["name"]),
                nodes=(node,),
                edges=tuple(_edge(node_id, r, language) for r in mine),
            )
        )
    return NeighbourPage(len(order), offset, limit, tuple(items), len(outside))


def spec_to_json(spec: MapSpec) -> dict[str, Any]:
    """The JSON shape the map page's expand call and API clients read."""
    return {
        "title": spec.title,
        "nodes": [
            {
                "id": n.id,
                "label": n.label,
                "kind": n.kind,
                "level": n.level,
                "size": n.size,
                "details": n.details,
            }
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
