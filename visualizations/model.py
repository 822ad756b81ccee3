"""What a relationship map shows, independent of how it is drawn.

Every map in corpgraph (customer network, ownership tree, guarantee circle,
supply-chain tiers) is a :class:`MapSpec` rendered by the one map builder
(``visualizations.builder.render_map``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal

NodeKind = Literal["customer", "non_customer", "person", "contact", "group", "more", "outside"]
#: The node kinds of people and contacts: what the maps' "persons and contacts" toggle hides.
PEOPLE_KINDS: Final[tuple[NodeKind, ...]] = ("person", "contact")
Relation = Literal[
    "OWNS",
    "CONTROLS",
    "SUPPLIES",
    "GUARANTEES",
    "PAYS",
    "KEY_PERSON_OF",
    "FAMILY_OF",
    "HAS_CONTACT",
]
#: Flags a map shows above the drawing (texts in the builder's catalogue).
Badge = Literal["control_cycle", "cross_holding", "joint_control"]
#: How the map is laid out: ``radial`` rings around the subject (a customer's network),
#: ``hierarchical`` levels (ownership look-through, supply tiers, control trees) top-down
#: or, with ``direction="LR"``, left to right (a path), ``force`` a force-directed layout.
Layout = Literal["force", "radial", "hierarchical"]


@dataclass(frozen=True)
class MapNode:
    """A node: ``kind`` picks colour and shape; ``details`` show when it is clicked."""

    id: str
    label: str
    kind: NodeKind
    level: int | None = None  # for hierarchical layouts (0 = top)
    size: float | None = None  # drawn size (follows exposure where there is one)
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MapEdge:
    """A directed edge; ``label`` is the amount or percentage written on it.

    ``highlight`` draws it in the alert style (e.g. a claim inside a control cycle).
    """

    source: str
    target: str
    relation: Relation
    label: str = ""
    weight: float | None = None
    highlight: bool = False


@dataclass(frozen=True)
class MapSpec:
    """A whole map.

    ``expand_url`` is a URL template with ``{id}`` that returns more nodes and
    edges as JSON (the network endpoint); clicking "expand" on a node calls it.
    ``badges`` are flags shown above the drawing.
    """

    title: str
    nodes: tuple[MapNode, ...]
    edges: tuple[MapEdge, ...]
    hierarchical: bool = False
    expand_url: str | None = None
    badges: tuple[Badge, ...] = ()
    #: The node the map is about: centred and highlighted.
    subject: str | None = None
    #: ``radial`` needs a subject; ``hierarchical`` is implied by ``hierarchical=True``.
    layout: Layout = "force"
    #: Hierarchical direction: ``UD`` top-down, ``LR`` left to right.
    direction: Literal["UD", "LR"] = "UD"
    #: Edge labels of amounts below this weight show only on hover (None: always shown).
    label_min_weight: float | None = None
    #: Relations the map was drawn with (the "+N more" list asks for these).
    relations: tuple[Relation, ...] = ()
    #: Whether persons and contacts show when the page opens (the map's toggle flips it).
    #: On where the map is about who runs a company (a customer's network); off where it
    #: is about trade (the supply chain), whose persons are shareholders at most.
    people_shown: bool = True


#: Node sizes (vis-network pixels at zoom 1) for no exposure and for the largest.
MIN_NODE_SIZE: Final = 12.0
MAX_NODE_SIZE: Final = 36.0


def exposure_size(exposure_cny_minor: int | None) -> float:
    """A node's drawn size from its CNY exposure (minor units): logarithmic, bounded.

    Each tenfold of exposure above ¥1万 adds 3 px, so ¥1亿 is clearly bigger than
    ¥100万 and a ¥500亿 group still fits on the screen.

    Examples
    --------
    >>> exposure_size(None), exposure_size(0), exposure_size(100_000_000 * 100)
    (12.0, 12.0, 24.0)
    >>> exposure_size(10**20)
    36.0
    """
    if not exposure_cny_minor or exposure_cny_minor <= 0:
        return MIN_NODE_SIZE
    units = exposure_cny_minor / 100 / 10_000  # in 万
    return min(MAX_NODE_SIZE, MIN_NODE_SIZE + 3.0 * math.log10(max(1.0, units)))


def anonymise(spec: MapSpec, hidden: set[str] | frozenset[str]) -> MapSpec:
    """``spec`` with the nodes of ``hidden`` ids renamed ``outside-1``, ``outside-2``...

    A map's node ids travel to the browser (vis-network's ids, the expand calls), so a
    party outside the caller's branches must not be keyed by its real id. Its node
    keeps its label (the caller decides what that shows), becomes an ``outside``
    node (no expand) and loses its details; edges follow the new ids.

    Examples
    --------
    >>> spec = MapSpec("x", (MapNode("A", "甲", "customer"), MapNode("H", "乙", "customer",
    ...     details={"segment": "strategic"})), (MapEdge("A", "H", "GUARANTEES"),), subject="A")
    >>> out = anonymise(spec, {"H"})
    >>> [(n.id, n.kind, n.details) for n in out.nodes], out.edges[0].target
    ([('A', 'customer', {}), ('outside-1', 'outside', {})], 'outside-1')
    """
    renamed: dict[str, str] = {}
    for node in spec.nodes:
        if node.id in hidden:
            renamed[node.id] = f"outside-{len(renamed) + 1}"
    if not renamed:
        return spec
    nodes = tuple(
        MapNode(renamed[n.id], n.label, "outside", n.level, n.size) if n.id in renamed else n
        for n in spec.nodes
    )
    edges = tuple(
        MapEdge(
            renamed.get(e.source, e.source),
            renamed.get(e.target, e.target),
            e.relation,
            e.label,
            e.weight,
            e.highlight,
        )
        for e in spec.edges
    )
    subject = renamed.get(spec.subject, spec.subject) if spec.subject else None
    return replace(spec, nodes=nodes, edges=edges, subject=subject)
