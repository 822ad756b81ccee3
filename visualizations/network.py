"""A node's neighbourhood for maps: breadth-first, capped at supernodes, branch-scoped.

Customers booked outside the caller's subtree never appear as nodes, and their ids
are never in a node's id; but the tie is not silently dropped: each node that has
such ties gets one anonymous "N ties outside your branch" node per relation (a
guarantee circle whose other members are booked elsewhere stays visible as a
circle). Non-customers are visible to everyone who may see maps. Persons and
contacts are visible only through a company the caller may see (:func:`party_visible`):
one tied only to companies booked elsewhere (a relative of another branch's
customer's director, that customer's phone) is counted in the "outside" node like a
hidden company, and cannot be a map's root or expanded. Each
expanded node keeps its ``limit`` strongest neighbours (by amount, or share for
ownership) and gets one "+k more" node for the rest, whose list
:func:`neighbour_page` serves page by page.

Node details carry field codes (``segment``, ``branch``, ``exposure``...) that the
map translates with the message catalogue; never a raw id.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Final

from core.errors import InputValidationError, NotFoundError
from core.formatting import Language, format_money
from core.i18n import gettext, pgettext
from core.money import from_minor_units
from graph.branches import BranchScope, read_branches
from graph.database import Database
from graph.maps import (
    MAP_RELATIONS,
    PEOPLE_RELATIONS,
    MapParty,
    NeighbourTie,
    read_neighbours,
    read_party,
)
from graph.scoping import is_visible
from visualizations.model import MapEdge, MapNode, MapSpec, NodeKind, Relation, exposure_size

#: The relations a map follows by default: ties of companies (and of persons as
#: shareholders and controllers). The API's default is unchanged by people and contacts.
NETWORK_TYPES: Final[tuple[Relation, ...]] = MAP_RELATIONS
#: The ties of people and contacts, followed when asked for (``types`` or ``people``).
PEOPLE_TYPES: Final[tuple[Relation, ...]] = PEOPLE_RELATIONS
#: Every relation a network map may follow.
ALL_NETWORK_TYPES: Final[tuple[Relation, ...]] = NETWORK_TYPES + PEOPLE_TYPES
#: The code list naming each people tie's code on its edge (a role, a relation, a kind).
_EDGE_CODE_LISTS: Final[dict[str, str]] = {
    "KEY_PERSON_OF": "key_person_role",
    "FAMILY_OF": "family_relation",
    "HAS_CONTACT": "contact_kind",
}
MAX_DEPTH: Final = 3
MAX_LIMIT: Final = 200
#: A map node's id at most: a company or person id, or a contact's normal form
#: (``address|`` and a whole street address) when a map shows contacts.
NODE_ID_MAX: Final = 256


@dataclass(frozen=True)
class NetworkRequest:
    """Validated parameters of a network query."""

    depth: int = 1
    types: tuple[Relation, ...] = NETWORK_TYPES
    limit: int = 25

    @classmethod
    def parse(
        cls, depth: int, types: str | None, limit: int, *, people: bool = False
    ) -> NetworkRequest:
        """Validate ``depth`` (1-3), ``types`` (comma-separated allowlist) and ``limit``;
        ``people`` adds the ties of persons and contacts (:data:`PEOPLE_TYPES`)."""
        if not 1 <= depth <= MAX_DEPTH:
            raise InputValidationError(f"depth must be between 1 and {MAX_DEPTH}")
        if not 1 <= limit <= MAX_LIMIT:
            raise InputValidationError(f"limit must be between 1 and {MAX_LIMIT}")
        chosen: list[Relation] = []
        for raw in (types or ",".join(NETWORK_TYPES)).split(","):
            name = raw.strip().upper()
            if name not in ALL_NETWORK_TYPES:
                raise InputValidationError(
                    f"unknown relationship type {raw!r}; use {', '.join(ALL_NETWORK_TYPES)}"
                )
            if name not in chosen:
                chosen.append(name)
        if people:
            chosen.extend(r for r in PEOPLE_TYPES if r not in chosen)
        return cls(depth, tuple(chosen), limit)


def _kind(party: MapParty) -> NodeKind:
    if party.is_person:
        return "person"
    if party.is_contact:
        return "contact"
    return "customer" if party.is_customer else "non_customer"


def party_visible(party: MapParty, scope: BranchScope) -> bool:
    """Whether the caller may see ``party`` on a map.

    A company: the one rule of :func:`graph.scoping.is_visible`. A person or contact:
    only through a company it is directly tied to that the caller may see (its
    ``anchors``); one tied to no company at all is not shown either, since nothing
    the caller may see leads to it.

    Examples
    --------
    >>> from graph.branches import BranchTree
    >>> scope = BranchScope.for_home_branch(BranchTree.from_parents({"HO": None, "A": "HO",
    ...     "B": "HO"}), "A")
    >>> person = MapParty("P1", "张三", is_person=True, anchors=((True, "B"),))
    >>> party_visible(person, scope)
    False
    >>> party_visible(MapParty("P1", "张三", is_person=True,
    ...     anchors=((True, "B"), (False, None))), scope)
    True
    >>> party_visible(MapParty("K1", "x", is_contact=True, anchors=()), scope)
    False
    """
    if party.is_person or party.is_contact:
        return any(
            is_visible(scope, is_customer=booked, branch_id=branch)
            for booked, branch in party.anchors
        )
    return is_visible(scope, is_customer=party.is_customer, branch_id=party.branch_id)


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
    "contact_family",
)


def _details(party: MapParty, branch_names: dict[str, str], language: Language) -> dict[str, Any]:
    """What the details panel shows: field code → value, never an id."""
    details: dict[str, Any] = {
        key: value
        for key, value in (
            ("segment", party.segment),
            ("industry", party.industry),
            ("region", party.region),
            ("status", party.status),
            ("uscc", party.uscc),
        )
        if value is not None
    }
    if party.is_customer and party.branch_id is not None:
        details["branch"] = branch_names.get(party.branch_id, "")
    if party.exposure_minor:
        details["exposure"] = _format_amount(party.exposure_minor, "CNY", language)
    if party.is_contact and party.contact_family:
        details["contact_family"] = party.contact_family
    return {key: details[key] for key in DETAIL_FIELDS if details.get(key)}


def _format_amount(minor: int, currency: str | None, language: Language = "zh") -> str:
    """A map label in the one money rule (:func:`core.formatting.format_money`): ``¥1.23亿``."""
    code = currency or "CNY"
    return format_money(from_minor_units(minor, code), code, language, compact=True)


def _node_size(party: MapParty) -> float | None:
    return exposure_size(int(party.exposure_minor or 0)) if party.is_customer else None


def _edge(source: str, tie: NeighbourTie, language: Language) -> MapEdge:
    other = tie.other.party_id
    start, end = (source, other) if tie.outgoing else (other, source)
    relation: Relation = tie.relation
    code_list = _EDGE_CODE_LISTS.get(relation)
    label = (
        "、".join(pgettext(language, code_list, code) for code in tie.codes)
        if code_list is not None
        else f"{tie.share_pct:.2f}%"
        if relation == "OWNS" and tie.share_pct is not None
        else _format_amount(tie.minor, tie.currency, language)
        if tie.minor
        else ""
    )
    return MapEdge(start, end, relation, label, float(tie.minor) or None)


def _strongest_first(ties: list[NeighbourTie]) -> list[NeighbourTie]:
    """Amount, then share, descending; ties by id for a stable map."""
    return sorted(ties, key=lambda t: (-t.minor, -(t.share_pct or 0.0), t.other.party_id))


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
    root = read_party(db, node_id)
    if root is None or not party_visible(root, scope):
        raise NotFoundError(f"{node_id} not found")
    branch_names = {b.branch_id: b.name for b in read_branches(db)}
    root_kind = _kind(root)
    nodes: dict[str, MapNode] = {
        node_id: MapNode(
            node_id,
            str(root.name),
            root_kind,
            0,
            size=_node_size(root),
            details=_details(root, branch_names, language),
        )
    }
    edges: dict[tuple[str, str, str], MapEdge] = {}
    frontier = [node_id]
    for level in range(1, request.depth + 1):
        by_source: dict[str, list[NeighbourTie]] = defaultdict(list)
        outside: dict[tuple[str, Relation], set[str]] = defaultdict(set)
        for tie in read_neighbours(db, frontier, request.types):
            if party_visible(tie.other, scope):
                by_source[tie.source_id].append(tie)
            else:
                outside[(tie.source_id, tie.relation)].add(tie.other.party_id)
        next_frontier: list[str] = []
        for source in frontier:
            candidates = _strongest_first(by_source.get(source, []))
            neighbours = list(dict.fromkeys(tie.other.party_id for tie in candidates))
            kept = set(neighbours[: request.limit])
            for tie in candidates:
                other = tie.other.party_id
                if other not in kept:
                    continue
                if other not in nodes:
                    kind = _kind(tie.other)
                    nodes[other] = MapNode(
                        other,
                        str(tie.other.name),
                        kind,
                        level,
                        size=_node_size(tie.other),
                        details=_details(tie.other, branch_names, language),
                    )
                    next_frontier.append(other)
                edge = _edge(source, tie, language)
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
        title=title or str(root.name),
        nodes=tuple(nodes.values()),
        edges=tuple(edges.values()),
        # Expanding follows the relations the map was drawn with (people and contacts too).
        expand_url=(
            f"/api/v1/nodes/{{id}}/network?depth=1&lang={language}&types={','.join(request.types)}"
        ),
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
    root = read_party(db, node_id)
    if root is None or not party_visible(root, scope):
        raise NotFoundError(f"{node_id} not found")
    branch_names = {b.branch_id: b.name for b in read_branches(db)}
    ties = read_neighbours(db, [node_id], relations)
    visible = _strongest_first([t for t in ties if party_visible(t.other, scope)])
    outside = {t.other.party_id for t in ties if not party_visible(t.other, scope)}
    order = list(dict.fromkeys(t.other.party_id for t in visible))
    chosen = order[offset : offset + limit]
    items = []
    for other in chosen:
        mine = [t for t in visible if t.other.party_id == other]
        first = mine[0].other
        kind = _kind(first)
        node = MapNode(
            other,
            str(first.name),
            kind,
            size=_node_size(first),
            details=_details(first, branch_names, language),
        )
        items.append(
            MapSpec(
                title=str(first.name),
                nodes=(node,),
                edges=tuple(_edge(node_id, t, language) for t in mine),
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
