"""Group and guarantee-circle maps from the stored group-risk results.

Members booked outside the caller's subtree still appear (a group is always shown
whole, as issue 4 requires) but carry no details beyond their name.
"""

from __future__ import annotations

from typing import Any

from algorithms.control import SHARE_BASES
from services.group_risk import CircleDetail, StoredGroup
from visualizations.model import Badge, MapEdge, MapNode, MapSpec, NodeKind, anonymise
from visualizations.network import _format_amount


def _share_label(share_pct: float | None, basis: str | None) -> str:
    return f"{share_pct:.2f}%" if share_pct is not None else str(basis or "")


def group_map(group: StoredGroup) -> MapSpec:
    """The control tree: the controller on top, members by depth, % or basis on the edges.

    A root control cycle's members are all on top. The claims inside the group's
    control cycles are highlighted (drawn as extra edges where they are not tree
    edges); the page shows a badge for control cycles, cross-shareholdings and
    jointly controlled members.
    """
    nodes: dict[str, MapNode] = {}
    if group.controller_type != "cycle":
        controller = next((m for m in group.members if m.id == group.controller_id), None)
        kind: NodeKind = "person"
        if group.controller_type != "person":
            kind = "customer" if controller and controller.is_customer else "non_customer"
        nodes[group.controller_id] = MapNode(
            group.controller_id,
            group.controller_name or group.controller_id,
            kind,
            0,
        )
    for member in group.members:
        if member.id in nodes:
            continue
        details: dict[str, Any] = {}
        if member.visible:
            details = {"role": member.role, "depth": member.depth}
            if member.status != "sole":
                details["control_status"] = member.status
        nodes[member.id] = MapNode(
            member.id,
            member.name,
            "customer" if member.is_customer else "non_customer",
            member.depth,
            details=details,
        )
    in_cycles = {(e.source, e.target): e for e in group.cycle_edges}
    edges = []
    for member in group.members:
        if member.parent_id is None or member.parent_id not in nodes:
            continue
        edges.append(
            MapEdge(
                member.parent_id,
                member.id,
                "OWNS" if member.basis in SHARE_BASES else "CONTROLS",
                _share_label(member.share_pct, member.basis),
                highlight=in_cycles.pop((member.parent_id, member.id), None) is not None,
            )
        )
    for (source, target), edge in sorted(in_cycles.items()):
        if source in nodes and target in nodes:
            edges.append(
                MapEdge(
                    source,
                    target,
                    "OWNS" if edge.basis in SHARE_BASES else "CONTROLS",
                    _share_label(edge.share_pct, edge.basis),
                    highlight=True,
                )
            )
    badges: list[Badge] = []
    if group.control_cycles:
        badges.append("control_cycle")
    if group.ownership_cycles:
        badges.append("cross_holding")
    if group.joint_members:
        badges.append("joint_control")
    spec = MapSpec(
        title=f"{group.controller_name or group.controller_id} · {group.group_id}",
        nodes=tuple(nodes.values()),
        edges=tuple(edges),
        hierarchical=True,
        expand_url="/api/v1/nodes/{id}/network?depth=1",
        badges=tuple(badges),
    )
    # Members booked elsewhere keep their names (a group is shown whole) but not their ids.
    return anonymise(spec, {m.id for m in group.members if not m.visible})


def circle_map(found: CircleDetail) -> MapSpec:
    """A guarantee circle: its members and the guarantees between them, with amounts."""
    nodes = tuple(
        MapNode(
            m.id,
            str(m.name),
            "customer" if m.is_customer else "non_customer",
            details={},
        )
        for m in found.members
    )
    edges = tuple(
        MapEdge(
            g.guarantor_id,
            g.borrower_id,
            "GUARANTEES",
            _format_amount(g.amount_minor, g.currency),
            float(g.amount_minor),
        )
        if g.amount_minor is not None and g.currency is not None
        # Between two members outside the caller's branches: the tie, not its amount.
        else MapEdge(g.guarantor_id, g.borrower_id, "GUARANTEES")
        for g in found.guarantees
    )
    spec = MapSpec(
        title=found.circle.circle_id,
        nodes=nodes,
        edges=edges,
        expand_url="/api/v1/nodes/{id}/network?depth=1",
    )
    # Members booked elsewhere keep their names (a circle is shown whole) but not their ids.
    return anonymise(spec, {m.id for m in found.members if not m.visible})
