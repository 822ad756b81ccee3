"""Group and guarantee-circle maps from the stored group-risk results.

Members booked outside the caller's subtree still appear (a group is always shown
whole, as issue 4 requires) but carry no details beyond their name.
"""

from __future__ import annotations

from typing import Any

from algorithms.guarantees import GuaranteeEdge
from visualizations.model import MapEdge, MapNode, MapSpec, NodeKind

from .network import _format_amount


def _member_kind(member: dict[str, Any]) -> NodeKind:
    return "customer" if member.get("is_customer") else "non_customer"


def _member_details(member: dict[str, Any]) -> dict[str, Any]:
    if not member.get("visible"):
        return {"id": member["id"], "visible": False}
    return {
        "id": member["id"],
        "role": member.get("role"),
        "depth": member.get("depth"),
        "basis": member.get("basis"),
    }


def group_map(
    group: dict[str, Any], controller_name: str | None, members: list[dict[str, Any]]
) -> MapSpec:
    """The ownership tree: the controller on top, members by depth, % on the edges."""
    controller_id = str(group["controller_id"])
    controller_kind: NodeKind = "person" if group.get("controller_type") == "person" else "customer"
    by_id = {str(m["id"]): m for m in members}
    if controller_id in by_id:
        controller_kind = _member_kind(by_id[controller_id])
    nodes = {
        controller_id: MapNode(
            controller_id,
            controller_name or controller_id,
            controller_kind,
            0,
            details={"id": controller_id, "role": "controller"},
        )
    }
    edges = []
    for member in members:
        member_id = str(member["id"])
        if member_id == controller_id:
            continue
        nodes[member_id] = MapNode(
            member_id,
            str(member["name"]),
            _member_kind(member),
            max(int(member.get("depth") or 1), 1),
            details=_member_details(member),
        )
    for member in members:
        parent = member.get("parent_id")
        member_id = str(member["id"])
        if parent is None or member_id == controller_id or str(parent) not in nodes:
            continue
        share = member.get("share_pct")
        by_agreement = member.get("basis") not in (None, "majority", "shareholding")
        edges.append(
            MapEdge(
                str(parent),
                member_id,
                "CONTROLS" if by_agreement or share is None else "OWNS",
                f"{float(share):.2f}%" if share is not None else str(member.get("basis") or ""),
            )
        )
    return MapSpec(
        title=f"{controller_name or controller_id} · {group['group_id']}",
        nodes=tuple(nodes.values()),
        edges=tuple(edges),
        hierarchical=True,
        expand_url="/api/v1/nodes/{id}/network?depth=1",
    )


def circle_map(
    circle: dict[str, Any], members: list[dict[str, Any]], guarantees: list[GuaranteeEdge]
) -> MapSpec:
    """A guarantee circle: its members and the guarantees between them, with amounts."""
    nodes = tuple(
        MapNode(str(m["id"]), str(m["name"]), _member_kind(m), details=_member_details(m))
        for m in members
    )
    edges = tuple(
        MapEdge(
            g.guarantor_id,
            g.borrower_id,
            "GUARANTEES",
            _format_amount(g.amount_minor, g.currency),
            float(g.amount_minor),
        )
        for g in guarantees
    )
    return MapSpec(
        title=str(circle["circle_id"]),
        nodes=nodes,
        edges=edges,
        expand_url="/api/v1/nodes/{id}/network?depth=1",
    )
