"""Guarantee circles (担保圈) and guarantee chains.

Definitions
-----------
- The guarantee graph has an edge guarantor → borrower per guarantee.
- A **circle** is a strongly connected component of two or more companies (the
  engine's SCC). Its id is ``GC-`` + its smallest member id. For each circle:
  the *elementary cycles* inside it (Johnson's algorithm, stopped after
  ``max_cycles``; ``cycles_complete`` says whether it finished), the *mutual
  pairs* (A guarantees B and B guarantees A), and the *total guaranteed amount*
  of the guarantees between its members, exact per currency.
- A **chain** is a longest guarantee path that ends at a customer, on the
  guarantee graph with edges *inside* circles removed (the rest is acyclic, so
  longest paths are well defined and found by dynamic programming in
  topological order). Only chains of two or more guarantees are reported, and a
  chain contained in a longer reported chain is dropped.

Examples
--------
>>> edges = [GuaranteeEdge("g1", "A", "B", 100, "CNY"), GuaranteeEdge("g2", "B", "A", 50, "CNY"),
...          GuaranteeEdge("g3", "C", "A", 10, "CNY")]
>>> comps = {"A": "A", "B": "A", "C": "C"}
>>> circle = build_circles(comps, edges)[0]
>>> circle.members, circle.mutual_pairs, circle.cycles, circle.amounts
(('A', 'B'), (('A', 'B'),), (('A', 'B'),), (('CNY', 150),))
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import networkx as nx


#: Default bound of the elementary cycles listed per circle.
DEFAULT_MAX_CYCLES = 1000
#: Default bound of the reported chains.
DEFAULT_MAX_CHAINS = 100


@dataclass(frozen=True)
class GuaranteeEdge:
    """One guarantee: ``guarantor_id`` guarantees ``borrower_id`` for an amount."""

    guarantee_id: str
    guarantor_id: str
    borrower_id: str
    amount_minor: int
    currency: str


@dataclass(frozen=True)
class Circle:
    """One guarantee circle (an SCC of two or more companies)."""

    circle_id: str
    members: tuple[str, ...]
    cycles: tuple[tuple[str, ...], ...]
    cycles_complete: bool
    mutual_pairs: tuple[tuple[str, str], ...]
    amounts: tuple[tuple[str, int], ...]  # (currency, guaranteed minor units) inside the circle
    guarantee_ids: tuple[str, ...]

    @property
    def explanation(self) -> str:
        more = "" if self.cycles_complete else " (enumeration stopped early)"
        return (
            f"{len(self.members)} companies guarantee each other around "
            f"{len(self.cycles)} elementary cycles{more}, {len(self.mutual_pairs)} mutual pairs"
        )


@dataclass(frozen=True)
class Chain:
    """A longest guarantee path ``nodes[0]`` → … → ``nodes[-1]`` (a customer)."""

    nodes: tuple[str, ...]
    guarantee_ids: tuple[str, ...]

    @property
    def length(self) -> int:
        return len(self.guarantee_ids)


def circle_id_for(members: Iterable[str]) -> str:
    """``GC-`` + the smallest member id.

    Examples
    --------
    >>> circle_id_for(["C9", "C2"])
    'GC-C2'
    """
    return f"GC-{min(members)}"


def elementary_cycles(
    members: Iterable[str], edges: Iterable[tuple[str, str]], max_cycles: int
) -> tuple[tuple[tuple[str, ...], ...], bool]:
    """Elementary cycles of a sub-graph, each rotated to start at its smallest node.

    Returns the cycles (sorted) and whether the enumeration finished.

    Examples
    --------
    >>> elementary_cycles("ABC", [("A", "B"), ("B", "C"), ("C", "A"), ("B", "A")], 10)
    ((('A', 'B'), ('A', 'B', 'C')), True)
    >>> elementary_cycles("ABC", [("A", "B"), ("B", "C"), ("C", "A"), ("B", "A")], 1)[1]
    False
    """
    import networkx as nx  # slow to import; only guarantee circles need it

    graph: nx.DiGraph[str] = nx.DiGraph()
    graph.add_nodes_from(members)
    graph.add_edges_from(edges)
    found: list[tuple[str, ...]] = []
    complete = True
    for cycle in nx.simple_cycles(graph):
        if len(found) >= max_cycles:
            complete = False
            break
        start = cycle.index(min(cycle))
        found.append(tuple(cycle[start:] + cycle[:start]))
    return tuple(sorted(found, key=lambda c: (len(c), c))), complete


def build_circles(
    components: Mapping[str, str],
    edges: Iterable[GuaranteeEdge],
    *,
    max_cycles: int = DEFAULT_MAX_CYCLES,
) -> list[Circle]:
    """Circles from the SCC labels of the guarantee graph, sorted by id."""
    members: dict[str, set[str]] = {}
    for node, label in components.items():
        members.setdefault(label, set()).add(node)
    inside: dict[str, list[GuaranteeEdge]] = {}
    for e in edges:
        edge_label = components.get(e.guarantor_id)
        if edge_label is not None and edge_label == components.get(e.borrower_id):
            inside.setdefault(edge_label, []).append(e)
    circles = []
    for label, nodes in members.items():
        if len(nodes) < 2:
            continue
        internal = inside.get(label, [])
        pairs = {(e.guarantor_id, e.borrower_id) for e in internal}
        cycles, complete = elementary_cycles(sorted(nodes), sorted(pairs), max_cycles)
        mutual = sorted({(a, b) for a, b in pairs if a < b and (b, a) in pairs})
        amounts: dict[str, int] = {}
        for e in internal:
            amounts[e.currency] = amounts.get(e.currency, 0) + int(e.amount_minor)
        circles.append(
            Circle(
                circle_id=circle_id_for(nodes),
                members=tuple(sorted(nodes)),
                cycles=cycles,
                cycles_complete=complete,
                mutual_pairs=tuple(mutual),
                amounts=tuple(sorted(amounts.items())),
                guarantee_ids=tuple(sorted(e.guarantee_id for e in internal)),
            )
        )
    return sorted(circles, key=lambda c: c.circle_id)


def longest_chains(
    components: Mapping[str, str],
    edges: Iterable[GuaranteeEdge],
    customers: Iterable[str],
    *,
    min_length: int = 2,
    max_chains: int = DEFAULT_MAX_CHAINS,
) -> list[Chain]:
    """Longest guarantee paths ending at each customer, longest first.

    Examples
    --------
    >>> e = [GuaranteeEdge("g1", "A", "B", 1, "CNY"), GuaranteeEdge("g2", "B", "C", 1, "CNY"),
    ...      GuaranteeEdge("g3", "X", "B", 1, "CNY")]
    >>> [c.nodes for c in longest_chains({}, e, ["C"])]
    [('A', 'B', 'C')]
    """
    import networkx as nx  # slow to import; only guarantee chains need it

    graph: nx.DiGraph[str] = nx.DiGraph()
    for e in sorted(edges, key=lambda x: x.guarantee_id):
        label = components.get(e.guarantor_id)
        if label is not None and label == components.get(e.borrower_id):
            continue
        if not graph.has_edge(e.guarantor_id, e.borrower_id):
            graph.add_edge(e.guarantor_id, e.borrower_id, guarantee_id=e.guarantee_id)
    best: dict[str, tuple[int, str | None]] = {}
    for node in nx.lexicographical_topological_sort(graph):
        length, previous = 0, None
        for pred in sorted(graph.predecessors(node)):
            if best[pred][0] + 1 > length:
                length, previous = best[pred][0] + 1, pred
        best[node] = (length, previous)
    chains = []
    for customer in sorted(set(customers)):
        if customer not in best or best[customer][0] < min_length:
            continue
        path = [customer]
        while (previous := best[path[-1]][1]) is not None:
            path.append(previous)
        path.reverse()
        ids = tuple(str(graph.edges[a, b]["guarantee_id"]) for a, b in itertools.pairwise(path))
        chains.append(Chain(tuple(path), ids))
    chains.sort(key=lambda c: (-c.length, c.nodes))
    kept: list[Chain] = []
    for chain in chains:
        text = _joined(chain.nodes)
        if any(text in _joined(k.nodes) for k in kept):
            continue
        kept.append(chain)
        if len(kept) >= max_chains:
            break
    return kept


def guaranteed_amounts(
    guarantee_ids: Iterable[str], edges: Iterable[GuaranteeEdge]
) -> tuple[tuple[str, int], ...]:
    """The sum of the guarantees ``guarantee_ids`` per currency (minor units), by currency.

    Examples
    --------
    >>> e = [GuaranteeEdge("g1", "A", "B", 100, "CNY"), GuaranteeEdge("g2", "B", "C", 7, "USD"),
    ...      GuaranteeEdge("g3", "X", "B", 5, "CNY"), GuaranteeEdge("g4", "C", "D", 1, "CNY")]
    >>> guaranteed_amounts(["g1", "g2", "g4"], e)
    (('CNY', 101), ('USD', 7))
    """
    wanted = set(guarantee_ids)
    amounts: dict[str, int] = {}
    for e in edges:
        if e.guarantee_id in wanted:
            amounts[e.currency] = amounts.get(e.currency, 0) + int(e.amount_minor)
    return tuple(sorted(amounts.items()))


def _joined(nodes: tuple[str, ...]) -> str:
    return "\x1f" + "\x1f".join(nodes) + "\x1f"
