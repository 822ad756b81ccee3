"""Pure graph algorithms over an edge list: the Python engine's computations.

Each function takes an :class:`EdgeList` (node keys plus integer-indexed edges)
and returns ``{node key: value}`` for every node of the list. They reproduce the
definitions the GDS library uses, so that the two engines can be compared (see
``services.engines``):

- components are returned with the *smallest node key* of the component as its
  label, so partitions compare directly;
- PageRank follows GDS: ``PR(v) = (1 - d) + d · Σ_u PR(u) · w(u,v) / W(u)``
  over in-neighbours ``u`` (``W(u)``: u's total out-weight, or out-degree when
  unweighted), starting from ``1 - d``, with no redistribution of dangling mass,
  stopping when every score changes by less than ``tolerance`` or after
  ``max_iterations`` supersteps (the first of which only initialises, as in GDS);
- betweenness is Brandes' exact unnormalised count over ordered pairs (directed)
  as in GDS, unweighted, computed by igraph (C) on the weakly connected
  components of at least three nodes only: in a smaller one no node lies between
  two others, so every score there is exactly 0;
- degree is the (weighted) out-degree in the projection's orientation.

A node without any edge contributes nothing to anybody else's value under these
definitions, so an engine can leave isolated nodes out of the edge list and give
them :data:`ISOLATED` values (what GDS returns for them) without reading them:
:class:`NodeScores` carries such a result.

Examples
--------
>>> edges = EdgeList.from_pairs([("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")])
>>> strongly_connected_components(edges)
{'a': 'a', 'b': 'a', 'c': 'a', 'd': 'd'}
>>> sorted(set(weakly_connected_components(edges).values()))
['a']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.sparse import csgraph

#: Betweenness and degree of a node without edges (GDS gives 0 for both).
ISOLATED_ZERO: Final = 0.0
#: Betweenness is only computed in weakly connected components of at least this many
#: nodes: in a smaller one nobody lies on a path between two others.
MIN_BETWEENNESS_COMPONENT: Final = 3


def isolated_pagerank(damping: float) -> float:
    """PageRank of a node without edges, as GDS gives it: ``1 - d`` (the teleport term only).

    Examples
    --------
    >>> round(isolated_pagerank(0.85), 12)
    0.15
    """
    return 1.0 - damping


@dataclass(frozen=True)
class NodeScores:
    """A score for every node of a projection, with the isolated nodes left implicit.

    ``values`` holds (at least) every node with an edge in the projection; every
    other node of the projection scores ``isolated``. An engine therefore never has
    to read or ship the thousands of companies that have no edge of a given type.

    Examples
    --------
    >>> scores = NodeScores({"a": 0.4}, isolated=0.15)
    >>> scores.get("a"), scores.get("nobody")
    (0.4, 0.15)
    """

    values: Mapping[str, float]
    isolated: float

    def get(self, key: str) -> float:
        """The score of ``key`` (any node of the projection)."""
        return self.values.get(key, self.isolated)


@dataclass(frozen=True)
class EdgeList:
    """A directed graph as node keys and parallel arrays of edge endpoints and weights.

    Parallel edges are allowed; their weights add up.
    """

    nodes: tuple[str, ...]
    sources: NDArray[np.int64]
    targets: NDArray[np.int64]
    weights: NDArray[np.float64]

    @classmethod
    def from_pairs(
        cls,
        pairs: Iterable[tuple[str, str]],
        weights: Sequence[float] | None = None,
        nodes: Iterable[str] = (),
    ) -> EdgeList:
        """Build from ``(source, target)`` key pairs (plus optional isolated nodes)."""
        pair_list = list(pairs)
        keys = sorted({*nodes, *(s for s, _ in pair_list), *(t for _, t in pair_list)})
        index = {k: i for i, k in enumerate(keys)}
        src = np.fromiter((index[s] for s, _ in pair_list), dtype=np.int64, count=len(pair_list))
        dst = np.fromiter((index[t] for _, t in pair_list), dtype=np.int64, count=len(pair_list))
        w = (
            np.asarray(weights, dtype=np.float64)
            if weights is not None
            else np.ones(len(pair_list), dtype=np.float64)
        )
        return cls(tuple(keys), src, dst, w)

    @property
    def size(self) -> int:
        return len(self.nodes)

    def matrix(self) -> sparse.csr_matrix:
        """Adjacency matrix ``M[s, t] = Σ weights`` (parallel edges summed)."""
        n = self.size
        return sparse.csr_matrix((self.weights, (self.sources, self.targets)), shape=(n, n))

    def structure(self) -> sparse.csr_matrix:
        """Adjacency matrix with 1 per edge: connectivity without weights (a weight may be 0)."""
        n = self.size
        ones = np.ones(len(self.sources), dtype=np.int8)
        return sparse.csr_matrix((ones, (self.sources, self.targets)), shape=(n, n))

    def undirected(self) -> EdgeList:
        """Both directions of every edge."""
        return EdgeList(
            self.nodes,
            np.concatenate([self.sources, self.targets]),
            np.concatenate([self.targets, self.sources]),
            np.concatenate([self.weights, self.weights]),
        )


def _label_components(edges: EdgeList, labels: NDArray[np.int32]) -> dict[str, str]:
    smallest: dict[int, str] = {}
    for key, label in zip(edges.nodes, labels.tolist(), strict=True):
        if label not in smallest or key < smallest[label]:
            smallest[label] = key
    return {key: smallest[label] for key, label in zip(edges.nodes, labels.tolist(), strict=True)}


def weakly_connected_components(edges: EdgeList) -> dict[str, str]:
    """Each node's weakly connected component, labelled by its smallest key."""
    if edges.size == 0:
        return {}
    _, labels = csgraph.connected_components(edges.structure(), directed=True, connection="weak")
    return _label_components(edges, labels)


def strongly_connected_components(edges: EdgeList) -> dict[str, str]:
    """Each node's strongly connected component, labelled by its smallest key."""
    if edges.size == 0:
        return {}
    _, labels = csgraph.connected_components(edges.structure(), directed=True, connection="strong")
    return _label_components(edges, labels)


def pagerank(
    edges: EdgeList,
    *,
    damping: float = 0.85,
    max_iterations: int = 20,
    tolerance: float = 1e-7,
    weighted: bool = False,
) -> dict[str, float]:
    """PageRank with GDS's definition (see the module docstring)."""
    n = edges.size
    if n == 0:
        return {}
    weights = edges.weights if weighted else np.ones_like(edges.weights)
    m = sparse.csr_matrix((weights, (edges.sources, edges.targets)), shape=(n, n))
    out_weight = np.asarray(m.sum(axis=1)).ravel()
    inverse = np.divide(1.0, out_weight, out=np.zeros_like(out_weight), where=out_weight > 0)
    transition = sparse.diags(inverse) @ m  # row-stochastic for non-dangling rows
    transposed = transition.T.tocsr()
    scores = np.full(n, 1.0 - damping)
    # GDS runs PageRank on Pregel: superstep 0 only initialises the scores, so
    # ``max_iterations`` supersteps perform ``max_iterations - 1`` updates.
    for _ in range(max_iterations - 1):
        updated = (1.0 - damping) + damping * (transposed @ scores)
        converged = np.all(np.abs(updated - scores) < tolerance)
        scores = updated
        if converged:
            break
    return dict(zip(edges.nodes, scores.tolist(), strict=True))


def betweenness(edges: EdgeList) -> dict[str, float]:
    """Unnormalised directed betweenness (Brandes, exact), unweighted, as GDS computes it.

    Only the weakly connected components of at least :data:`MIN_BETWEENNESS_COMPONENT`
    nodes are handed to igraph; parallel edges count once and self-loops not at all
    (neither lies on a shortest path between two other nodes).

    Examples
    --------
    >>> betweenness(EdgeList.from_pairs([("a", "b"), ("b", "c"), ("x", "y")]))
    {'a': 0.0, 'b': 1.0, 'c': 0.0, 'x': 0.0, 'y': 0.0}
    """
    scores = np.zeros(edges.size, dtype=np.float64)
    if edges.size >= MIN_BETWEENNESS_COMPONENT and len(edges.sources):
        _, labels = csgraph.connected_components(
            edges.structure(), directed=True, connection="weak"
        )
        in_large = np.bincount(labels)[labels] >= MIN_BETWEENNESS_COMPONENT
        kept = np.flatnonzero(in_large)
        if kept.size:
            local = np.full(edges.size, -1, dtype=np.int64)
            local[kept] = np.arange(kept.size)
            # Both ends of an edge share a component, so one end's mask is the edge's.
            chosen = in_large[edges.sources] & (edges.sources != edges.targets)
            pairs = np.unique(
                np.column_stack((local[edges.sources[chosen]], local[edges.targets[chosen]])),
                axis=0,
            )
            import igraph  # slow to import (it loads matplotlib); only betweenness needs it

            graph = igraph.Graph(n=int(kept.size), edges=pairs.tolist(), directed=True)
            scores[kept] = graph.betweenness(directed=True)
    return dict(zip(edges.nodes, scores.tolist(), strict=True))


def degree(edges: EdgeList, *, weighted: bool = False) -> dict[str, float]:
    """Out-degree (sum of out-weights when ``weighted``)."""
    values = edges.weights if weighted else np.ones_like(edges.weights)
    totals = np.bincount(edges.sources, weights=values, minlength=edges.size)
    return dict(zip(edges.nodes, totals.astype(float).tolist(), strict=True))
