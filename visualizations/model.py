"""What a relationship map shows, independent of how it is drawn.

Every map in corpgraph (customer network, ownership tree, guarantee circle,
supply-chain tiers) is a :class:`MapSpec` rendered by the one map builder
(``visualizations.builder.render_map``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

NodeKind = Literal["customer", "non_customer", "person", "group", "more"]
Relation = Literal["OWNS", "CONTROLS", "SUPPLIES", "GUARANTEES", "PAYS"]
#: Flags a map shows above the drawing (texts in the builder's catalogue).
Badge = Literal["control_cycle", "cross_holding", "joint_control"]


@dataclass(frozen=True)
class MapNode:
    """A node: ``kind`` picks colour and shape; ``details`` show when it is clicked."""

    id: str
    label: str
    kind: NodeKind
    level: int | None = None  # for hierarchical layouts (0 = top)
    size: float | None = None
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
