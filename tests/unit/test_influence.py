"""Supply chains, core enterprises and tiers: pure functions."""

from __future__ import annotations

from algorithms.influence import core_enterprises, supply_tiers
from algorithms.prospects import SupplyLink
from core.messages import render
from visualizations.supply import tiers_map_spec

LINKS = [
    SupplyLink("s1", "core", 500),
    SupplyLink("s2", "core", 300),
    SupplyLink("s3", "core", 200),
    SupplyLink("t1", "s1", 100),
    SupplyLink("t2", "s2", 50),
    SupplyLink("core", "b1", 700),
    SupplyLink("core", "b2", 400),
    SupplyLink("b1", "bb1", 90),
    SupplyLink("x", "y", 10),  # a pair, not a chain
]
NAMES = {"core": "核心制造", "s1": "一级供应商"}


def test_tiers_around_core() -> None:
    tiers = supply_tiers("core", LINKS, NAMES, {"core", "s1"})
    assert [m.company_id for m in tiers.upstream[0]] == ["s1", "s2", "s3"]
    assert [m.company_id for m in tiers.upstream[1]] == ["t1", "t2"]
    assert [(m.company_id, m.via) for m in tiers.downstream[1]] == [("bb1", "b1")]
    assert tiers.upstream[0][0].annual_amount_minor == 500
    assert tiers.upstream[0][0].is_customer
    assert tiers.member_ids == {"s1", "s2", "s3", "t1", "t2", "b1", "b2", "bb1"}


def test_core_is_the_most_influential_member() -> None:
    communities = {
        n: ("x" if n in {"x", "y"} else "b1")
        for link in LINKS
        for n in (link.supplier_id, link.buyer_id)
    }
    influence = {"core": 3.0, "s1": 1.0, "b1": 1.5}
    chains = core_enterprises(communities, influence, LINKS, NAMES, {"core"}, min_size=5)
    assert len(chains) == 1
    chain = chains[0]
    assert (chain.core_id, chain.core_name, chain.core_is_customer) == ("core", "核心制造", True)
    assert chain.size == 9
    assert chain.rank_of("core") == 1
    assert chain.rank_of("b1") == 2
    assert "核心制造" in render(chain.explanation, "zh")
    assert "3 suppliers and 2 buyers" not in render(chain.explanation, "en")  # counts two tiers
    assert "5 suppliers and 3 buyers" in render(chain.explanation, "en")


def test_map_spec_levels() -> None:
    spec = tiers_map_spec(supply_tiers("core", LINKS, NAMES))
    levels = {n.id: n.level for n in spec.nodes}
    assert [levels[n] for n in ("t1", "s1", "core", "b1", "bb1")] == [0, 1, 2, 3, 4]
    assert spec.hierarchical
    assert ("t1", "s1") in {(e.source, e.target) for e in spec.edges}
    assert all(e.relation == "SUPPLIES" for e in spec.edges)
