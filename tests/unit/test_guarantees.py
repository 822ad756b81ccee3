"""Guarantee circles, bounded cycle enumeration, mutual pairs, amounts and chains."""

from __future__ import annotations

from algorithms.graph_algorithms import EdgeList, strongly_connected_components
from algorithms.guarantees import (
    GuaranteeEdge,
    build_circles,
    elementary_cycles,
    guaranteed_amounts,
    longest_chains,
)

EDGES = [
    GuaranteeEdge("g1", "A", "B", 100_00, "CNY"),
    GuaranteeEdge("g2", "B", "C", 200_00, "CNY"),
    GuaranteeEdge("g3", "C", "A", 300_00, "CNY"),
    GuaranteeEdge("g4", "B", "A", 50_00, "USD"),
    GuaranteeEdge("g5", "X", "Y", 1, "CNY"),
    GuaranteeEdge("g6", "Y", "Z", 1, "CNY"),
    GuaranteeEdge("g7", "Z", "A", 1, "CNY"),
]


def components() -> dict[str, str]:
    return strongly_connected_components(
        EdgeList.from_pairs([(e.guarantor_id, e.borrower_id) for e in EDGES])
    )


def test_circle_cycles_pairs_and_amounts() -> None:
    (circle,) = build_circles(components(), EDGES)
    assert circle.circle_id == "GC-A"
    assert circle.members == ("A", "B", "C")
    assert circle.cycles == (("A", "B"), ("A", "B", "C"))
    assert circle.cycles_complete
    assert circle.mutual_pairs == (("A", "B"),)
    assert circle.amounts == (("CNY", 600_00), ("USD", 50_00))
    assert circle.guarantee_ids == ("g1", "g2", "g3", "g4")


def test_bounded_enumeration_says_it_stopped() -> None:
    nodes = [f"N{i}" for i in range(7)]
    complete_graph = [(a, b) for a in nodes for b in nodes if a != b]
    cycles, complete = elementary_cycles(nodes, complete_graph, 50)
    assert len(cycles) == 50
    assert not complete
    (circle,) = build_circles(
        dict.fromkeys(nodes, "N0"),
        [GuaranteeEdge(f"g{a}{b}", a, b, 1, "CNY") for a, b in complete_graph],
        max_cycles=10,
    )
    assert not circle.cycles_complete
    assert "stopped early" in circle.explanation


def test_longest_chain_ends_at_a_customer() -> None:
    chains = longest_chains(components(), EDGES, customers=["A", "Z"])
    assert [c.nodes for c in chains] == [("X", "Y", "Z", "A")]
    assert chains[0].guarantee_ids == ("g5", "g6", "g7")


def test_chain_amounts_sum_its_own_guarantees_per_currency() -> None:
    (chain,) = longest_chains(components(), EDGES, customers=["A", "Z"])
    assert guaranteed_amounts(chain.guarantee_ids, EDGES) == (("CNY", 3),)
    assert guaranteed_amounts(["g1", "g4", "g5"], EDGES) == (("CNY", 100_01), ("USD", 50_00))
    assert guaranteed_amounts([], EDGES) == ()


def test_stored_chain_rows_keep_the_order_and_name_no_member() -> None:
    from services.group_risk import chain_rows, public_chain_id

    chains = longest_chains(components(), EDGES, customers=["A", "Z"])
    (row,), members = chain_rows(chains, EDGES, "salt")
    assert row["members"] == ["X", "Y", "Z", "A"]
    assert row["guarantee_ids"] == ["g5", "g6", "g7"]
    assert (row["length"], row["currencies"], row["amounts_minor"]) == (3, ["CNY"], [3])
    assert [(m["company_id"], m["position"]) for m in members] == [
        ("X", 0),
        ("Y", 1),
        ("Z", 2),
        ("A", 3),
    ]
    assert {m["chain_id"] for m in members} == {row["chain_id"]}
    assert row["chain_id"] == public_chain_id("salt", ["X", "Y", "Z", "A"])
    assert row["chain_id"] != public_chain_id("salt", ["A", "Z", "Y", "X"])
    assert row["chain_id"] != public_chain_id("other", ["X", "Y", "Z", "A"])
    assert not any(m in row["chain_id"] for m in ("X", "Y", "Z", "A"))
