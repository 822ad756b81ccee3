from __future__ import annotations

import random

import networkx as nx
import pytest

from algorithms.graph_algorithms import (
    ISOLATED_ZERO,
    EdgeList,
    NodeScores,
    betweenness,
    degree,
    isolated_pagerank,
    pagerank,
    strongly_connected_components,
    weakly_connected_components,
)


def test_pagerank_follows_the_gds_definition() -> None:
    # a -> b: a keeps 1 - d; b gets 1 - d + d * PR(a)
    scores = pagerank(EdgeList.from_pairs([("a", "b")]))
    assert scores["a"] == pytest.approx(0.15)
    assert scores["b"] == pytest.approx(0.15 + 0.85 * 0.15)


def test_weighted_pagerank_splits_by_weight() -> None:
    edges = EdgeList.from_pairs([("a", "b"), ("a", "c")], weights=[3.0, 1.0])
    scores = pagerank(edges, weighted=True)
    assert scores["b"] == pytest.approx(0.15 + 0.85 * 0.15 * 0.75)
    assert scores["c"] == pytest.approx(0.15 + 0.85 * 0.15 * 0.25)


def test_parallel_edges_add_up() -> None:
    edges = EdgeList.from_pairs([("a", "b"), ("a", "b")], weights=[2.0, 5.0])
    assert degree(edges, weighted=True) == {"a": 7.0, "b": 0.0}


def test_components_are_labelled_by_their_smallest_key() -> None:
    edges = EdgeList.from_pairs([("x", "y"), ("y", "x"), ("y", "z")], nodes=["lonely"])
    assert strongly_connected_components(edges) == {
        "lonely": "lonely",
        "x": "x",
        "y": "x",
        "z": "z",
    }
    assert weakly_connected_components(edges) == {"lonely": "lonely", "x": "x", "y": "x", "z": "x"}


def test_betweenness_counts_directed_pairs() -> None:
    edges = EdgeList.from_pairs([("a", "b"), ("b", "c")])
    assert betweenness(edges) == {"a": 0.0, "b": 1.0, "c": 0.0}


def test_empty_graph() -> None:
    empty = EdgeList.from_pairs([])
    assert pagerank(empty) == {}
    assert strongly_connected_components(empty) == {}


def test_isolated_nodes_take_the_gds_value() -> None:
    # Leaving a node without edges out changes nobody else's value.
    edges = EdgeList.from_pairs([("a", "b"), ("b", "c")])
    with_lonely = EdgeList.from_pairs([("a", "b"), ("b", "c")], nodes=["lonely"])
    for algorithm, isolated in (
        (pagerank, isolated_pagerank(0.85)),
        (betweenness, ISOLATED_ZERO),
        (degree, ISOLATED_ZERO),
    ):
        full = algorithm(with_lonely)
        sparse = NodeScores(algorithm(edges), isolated)
        assert full["lonely"] == sparse.get("lonely")
        assert all(full[k] == sparse.get(k) for k in edges.nodes), algorithm


def test_betweenness_skips_small_components_and_counts_parallel_edges_once() -> None:
    edges = EdgeList.from_pairs(
        [("a", "b"), ("a", "b"), ("b", "c"), ("c", "c"), ("x", "y"), ("y", "x")]
    )
    assert betweenness(edges) == {"a": 0.0, "b": 1.0, "c": 0.0, "x": 0.0, "y": 0.0}


def test_betweenness_matches_brandes_on_a_random_graph() -> None:
    rng = random.Random(5)
    pairs = {(f"n{rng.randrange(40)}", f"n{rng.randrange(40)}") for _ in range(120)}
    pairs |= {("p", "q"), ("r", "s"), ("s", "t")}  # a pair and a path outside the big part
    graph = nx.DiGraph(p for p in pairs if p[0] != p[1])
    expected = nx.betweenness_centrality(graph, normalized=False)
    got = betweenness(EdgeList.from_pairs(sorted(pairs)))
    assert got.keys() == expected.keys()
    assert all(got[k] == pytest.approx(expected[k], abs=1e-9) for k in got)
    assert got["s"] == 1.0
