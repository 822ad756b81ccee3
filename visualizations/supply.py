"""The supply-chain map of a customer: its supplier tiers above, its buyer tiers below."""

from __future__ import annotations

from algorithms.influence import SupplyTiers
from core.money import Money
from graph.branches import BranchScope
from graph.database import Database
from services.customer_insights import read_supply_tiers

from .model import MapEdge, MapNode, MapSpec


def supply_chain_map(db: Database, scope: BranchScope, customer_id: str) -> MapSpec:
    """The supply tiers as a hierarchical map (suppliers above, buyers below)."""
    tiers, _, _, _ = read_supply_tiers(db, scope, customer_id)
    return tiers_map_spec(tiers)


def tiers_map_spec(tiers: SupplyTiers, *, title: str | None = None) -> MapSpec:
    """A hierarchical map of supply tiers: suppliers above the centre, buyers below.

    Levels run from the farthest supplier tier (0) through the centre to the
    farthest buyer tier; edges point supplier → buyer and carry the annual amount.
    """
    up = len(tiers.upstream)
    nodes = [
        MapNode(
            tiers.center_id,
            tiers.center_name,
            "customer",
            level=up,
            size=30.0,
        )
    ]
    edges: list[MapEdge] = []
    for upstream, tier_list in ((True, tiers.upstream), (False, tiers.downstream)):
        for members in tier_list:
            for m in members:
                level = up - m.tier if upstream else up + m.tier
                nodes.append(
                    MapNode(
                        m.company_id,
                        m.name,
                        "customer" if m.is_customer else "non_customer",
                        level=level,
                        size=20.0 - 4 * m.tier,
                        details={
                            "tier": m.tier,
                            "supply_role": "supplier" if upstream else "buyer",
                            "annual_amount": Money(m.annual_amount_minor, m.currency).format("zh"),
                        },
                    )
                )
                source, target = (m.company_id, m.via) if upstream else (m.via, m.company_id)
                edges.append(
                    MapEdge(
                        source,
                        target,
                        "SUPPLIES",
                        label=Money(m.annual_amount_minor, m.currency).format("zh"),
                        weight=float(m.annual_amount_minor),
                    )
                )
    return MapSpec(
        title=title or f"{tiers.center_name} 供应链",
        nodes=tuple(nodes),
        edges=tuple(edges),
        hierarchical=True,
        subject=tiers.center_id,
        # A supply chain is about trade: persons and contacts start hidden (the toggle).
        people_shown=False,
    )
