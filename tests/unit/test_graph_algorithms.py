from __future__ import annotations

import pytest

from algorithms.graph_algorithms import (
    EdgeList,
    betweenness,
    degree,
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
