"""Pure graph algorithms over an edge list: the Python engine's computations.

Each function takes an :class:`EdgeList` (node keys plus integer-indexed edges)
and returns ``{node key: value}``. They reproduce the definitions the GDS library
uses, so that the two engines can be compared (see ``graph.engines``):

- components are returned with the *smallest node key* of the component as its
  label, so partitions compare directly;
- PageRank follows GDS: ``PR(v) = (1 - d) + d · Σ_u PR(u) · w(u,v) / W(u)``
  over in-neighbours ``u`` (``W(u)``: u's total out-weight, or out-degree when
  unweighted), starting from ``1 - d``, with no redistribution of dangling mass,
  stopping when every score changes by less than ``tolerance`` or after
  ``max_iterations`` supersteps (the first of which only initialises, as in GDS);
- betweenness is Brandes' unnormalised count over ordered pairs (directed) as in
  GDS, unweighted;
- degree is the (weighted) out-degree in the projection's orientation.

Examples
--------
>>> edges = EdgeList.from_pairs([("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")])
>>> strongly_connected_components(edges)
{'a': 'a', 'b': 'a', 'c': 'a', 'd': 'd'}
>>> sorted(set(weakly_connected_components(edges).values()))
['a']
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.sparse import csgraph


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
    _, labels = csgraph.connected_components(edges.matrix(), directed=True, connection="weak")
    return _label_components(edges, labels)


def strongly_connected_components(edges: EdgeList) -> dict[str, str]:
    """Each node's strongly connected component, labelled by its smallest key."""
    if edges.size == 0:
        return {}
    _, labels = csgraph.connected_components(edges.matrix(), directed=True, connection="strong")
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
    """Unnormalised directed betweenness (Brandes), unweighted, as GDS computes it."""
    graph = nx.DiGraph()
    graph.add_nodes_from(edges.nodes)
    graph.add_edges_from(
        (edges.nodes[s], edges.nodes[t])
        for s, t in zip(edges.sources.tolist(), edges.targets.tolist(), strict=True)
    )
    scores: dict[str, float] = nx.betweenness_centrality(graph, normalized=False)
    return scores


def degree(edges: EdgeList, *, weighted: bool = False) -> dict[str, float]:
    """Out-degree (sum of out-weights when ``weighted``)."""
    values = edges.weights if weighted else np.ones_like(edges.weights)
    totals = np.bincount(edges.sources, weights=values, minlength=edges.size)
    return dict(zip(edges.nodes, totals.astype(float).tolist(), strict=True))
