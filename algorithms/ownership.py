"""Effective (integrated) ownership over the shareholding graph.

Definition
----------
Let ``A[i, j]`` be owner ``i``'s direct share of company ``j`` as a fraction.
The effective-ownership matrix is

    E = A (I − A)⁻¹ = A + A² + A³ + …

the sum over *all walks* owner → … → company of the product of the direct
shares on the walk. Because every company's owners hold at most 100% of it and
some equity is held from outside every cycle, the series converges and
``I − A`` is invertible; cross-holdings and cycles are therefore handled exactly
by one linear solve, never by a walk that loops or is silently cut off. With
this definition the effective shares of the *ultimate* owners (persons, and
companies that no one owns) in a company add up to its whole held equity, even
through a cross-holding.

For one target company ``t`` only column ``E[:, t] = (I − A)⁻¹ A e_t`` is needed,
and only the owners upstream of ``t`` can be non-zero, so :func:`owners_of`
solves ``(I − A_U) x = A_U e_t`` on the upstream sub-graph ``U`` with a sparse
LU factorisation (scipy ``spsolve``). Nothing is ever inverted densely; a
company in a 500,000-company registry costs what its upstream costs.

For *every* company at once, :func:`effective_ownership` sums the Neumann series
``E = A + A² + A³ + …`` as one sparse computation by repeated squaring (``S₂ₖ =
Sₖ + Aᵏ Sₖ``, ``A²ᵏ = Aᵏ Aᵏ``): an acyclic registry is exact once ``Aᵏ`` is empty
(``k`` past its depth), and through a cycle the remainder is bounded and the sum
stops below a stated tolerance, after about ``log₂`` of the terms a plain series
would need. It equals the per-company solves within that tolerance
(``tests/unit/test_ownership_all.py``), and a closed cycle that holds all of itself
(``I − A`` singular) is an error, as it is for the solve.

The contributing paths are listed separately as *simple* paths (no repeated
node), bounded by ``max_depth`` and ``max_paths``. Those limits only shorten the
explanation: the percentages always come from the solve.

Examples
--------
>>> graph = OwnershipGraph.from_holdings(
...     [Holding("P", "A", 100.0), Holding("A", "T", 20.0),
...      Holding("P", "B", 80.0), Holding("B", "T", 40.0)]
... )
>>> result = owners_of(graph, "T")
>>> round(result.owner("P").effective_pct, 9)
52.0
>>> [list(p.nodes) for p in result.owner("P").paths]
[['P', 'A', 'T'], ['P', 'B', 'T']]
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

import numpy as np
from scipy import sparse
from scipy.sparse import linalg as sparse_linalg

from core.errors import InputValidationError, NotFoundError

#: Default depth limit of listed paths (edges per path).
DEFAULT_MAX_DEPTH = 10
#: Default limit of listed paths per target.
DEFAULT_MAX_PATHS = 200
#: Effective shares below this (in percent) are numerical noise and dropped.
EPSILON_PCT = 1e-9
#: Bound on the absolute error of every effective share (a fraction) that
#: :func:`effective_ownership` leaves in the series it does not sum.
SERIES_TOLERANCE: Final = 1e-13
#: Squarings after which a series still above the tolerance is called divergent:
#: 2⁶⁰ terms is past any cycle that some equity from outside keeps convergent.
MAX_SQUARINGS: Final = 60


@dataclass(frozen=True)
class Holding:
    """One direct shareholding: ``owner_id`` holds ``pct`` percent of ``company_id``."""

    owner_id: str
    company_id: str
    pct: float


@dataclass(frozen=True)
class OwnershipPath:
    """One simple path owner → … → target and the product of its direct shares (percent)."""

    nodes: tuple[str, ...]
    pct: float


@dataclass(frozen=True)
class OwnerShare:
    """An upstream owner's effective share of the target.

    ``ultimate`` is true when nobody owns this owner (a person, or an unowned company).
    """

    owner_id: str
    effective_pct: float
    ultimate: bool
    paths: tuple[OwnershipPath, ...] = ()


@dataclass(frozen=True)
class OwnershipResult:
    """Every upstream owner of ``company_id`` with its effective percentage.

    ``self_pct`` is the company's effective share of itself (non-zero only in a
    cycle). ``paths_truncated`` says that the path listing hit a limit; the
    percentages are exact regardless.
    """

    company_id: str
    owners: tuple[OwnerShare, ...]
    self_pct: float
    paths_truncated: bool
    max_depth: int
    max_paths: int
    explanation: str = ""

    def owner(self, owner_id: str) -> OwnerShare:
        """The share of one owner.

        Raises
        ------
        NotFoundError
            When ``owner_id`` holds nothing of the company.
        """
        for share in self.owners:
            if share.owner_id == owner_id:
                return share
        raise NotFoundError(f"{owner_id} holds no share of {self.company_id}")

    @property
    def ultimate_total_pct(self) -> float:
        """Sum of the ultimate owners' effective shares: the held equity."""
        return sum(o.effective_pct for o in self.owners if o.ultimate)


@dataclass(frozen=True)
class OwnershipGraph:
    """Direct shareholdings indexed both ways (owners of, holdings of)."""

    owners: dict[str, dict[str, float]] = field(repr=False)  # company -> {owner: fraction}
    holdings: dict[str, dict[str, float]] = field(repr=False)  # owner -> {company: fraction}

    @classmethod
    def from_holdings(cls, holdings: Iterable[Holding]) -> OwnershipGraph:
        """Build from direct holdings; parallel rows of one pair add up.

        Raises
        ------
        InputValidationError
            When a share is outside (0, 100], a company holds itself, or one
            company's owners hold more than 100% of it.
        """
        owners: dict[str, dict[str, float]] = {}
        held: dict[str, dict[str, float]] = {}
        for h in holdings:
            if not 0.0 < h.pct <= 100.0:
                raise InputValidationError(
                    f"share {h.pct} of {h.company_id} by {h.owner_id} is outside (0, 100]"
                )
            if h.owner_id == h.company_id:
                raise InputValidationError(f"{h.company_id} cannot hold itself")
            fraction = h.pct / 100.0
            by_owner = owners.setdefault(h.company_id, {})
            by_owner[h.owner_id] = by_owner.get(h.owner_id, 0.0) + fraction
            by_company = held.setdefault(h.owner_id, {})
            by_company[h.company_id] = by_company.get(h.company_id, 0.0) + fraction
        for company, by_owner in owners.items():
            if sum(by_owner.values()) > 1.0 + 1e-9:
                raise InputValidationError(f"owners of {company} hold more than 100%")
        return cls(owners, held)

    def direct_owners(self, company_id: str) -> dict[str, float]:
        """``{owner: fraction}`` of one company (empty when nobody owns it)."""
        return self.owners.get(company_id, {})

    def upstream(self, company_id: str) -> list[str]:
        """Every node from which ``company_id`` can be reached, in BFS order (target first)."""
        seen = {company_id}
        order = [company_id]
        queue = deque([company_id])
        while queue:
            node = queue.popleft()
            for owner in self.owners.get(node, {}):
                if owner not in seen:
                    seen.add(owner)
                    order.append(owner)
                    queue.append(owner)
        return order


def effective_column(graph: OwnershipGraph, company_id: str) -> dict[str, float]:
    """``{node: E[node, company_id]}`` as fractions, for every upstream node (target included).

    Solves ``(I − A_U) x = A_U e_t`` on the upstream sub-graph only.

    Examples
    --------
    >>> g = OwnershipGraph.from_holdings([Holding("A", "B", 50.0), Holding("B", "A", 50.0),
    ...                                   Holding("P", "A", 50.0), Holding("Q", "B", 50.0)])
    >>> {k: round(v, 6) for k, v in sorted(effective_column(g, "A").items())}
    {'A': 0.333333, 'B': 0.666667, 'P': 0.666667, 'Q': 0.333333}
    """
    nodes = graph.upstream(company_id)
    if len(nodes) == 1:
        return {}
    index = {node: i for i, node in enumerate(nodes)}
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for company in nodes:
        j = index[company]
        for owner, fraction in graph.owners.get(company, {}).items():
            rows.append(index[owner])
            cols.append(j)
            vals.append(fraction)
    n = len(nodes)
    a = sparse.csc_matrix((vals, (rows, cols)), shape=(n, n))
    rhs = np.asarray(a[:, index[company_id]].toarray()).ravel()
    system = (sparse.identity(n, format="csc") - a).tocsc()
    solution = np.asarray(sparse_linalg.spsolve(system, rhs)).ravel()
    if not np.all(np.isfinite(solution)):
        raise InputValidationError(f"ownership around {company_id} does not converge")
    return {node: float(solution[index[node]]) for node in nodes}


def ownership_paths(
    graph: OwnershipGraph,
    company_id: str,
    *,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_paths: int = DEFAULT_MAX_PATHS,
) -> tuple[dict[str, list[OwnershipPath]], bool]:
    """Simple ownership paths into ``company_id``, grouped by their first node.

    Returns the paths and whether a limit stopped the listing early.

    Examples
    --------
    >>> g = OwnershipGraph.from_holdings([Holding("P", "A", 60.0), Holding("A", "T", 50.0)])
    >>> paths, truncated = ownership_paths(g, "T")
    >>> [(p.nodes, round(p.pct, 6)) for p in paths["P"]], truncated
    ([(('P', 'A', 'T'), 30.0)], False)
    """
    if max_depth < 1 or max_paths < 1:
        raise InputValidationError("max_depth and max_paths must be at least 1")
    found: dict[str, list[OwnershipPath]] = {}
    count = 0
    truncated = False
    # Depth-first from the target upwards; a path is recorded at every owner reached.
    stack: list[tuple[str, tuple[str, ...], float]] = [(company_id, (company_id,), 1.0)]
    while stack:
        node, path, product = stack.pop()
        owners = sorted(graph.owners.get(node, {}).items(), reverse=True)
        for owner, fraction in owners:
            if owner in path:
                continue
            if count >= max_paths:
                truncated = True
                break
            new_path = (owner, *path)
            found.setdefault(owner, []).append(OwnershipPath(new_path, product * fraction * 100.0))
            count += 1
            if graph.owners.get(owner):
                if len(new_path) - 1 >= max_depth:
                    truncated = True
                else:
                    stack.append((owner, new_path, product * fraction))
        if truncated and count >= max_paths:
            break
    for paths in found.values():
        paths.sort(key=lambda p: p.nodes)
    return found, truncated


def owners_of(
    graph: OwnershipGraph,
    company_id: str,
    *,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_paths: int = DEFAULT_MAX_PATHS,
) -> OwnershipResult:
    """Every upstream owner of one company with its exact effective percentage and paths.

    Owners are sorted by effective share (largest first), then id.

    Examples
    --------
    >>> g = OwnershipGraph.from_holdings([Holding("P", "C", 40.0), Holding("Q", "C", 35.0),
    ...                                   Holding("R", "C", 25.0)])
    >>> round(owners_of(g, "C").ultimate_total_pct, 9)
    100.0
    """
    column = effective_column(graph, company_id)
    paths, truncated = ownership_paths(graph, company_id, max_depth=max_depth, max_paths=max_paths)
    shares = []
    for node, fraction in column.items():
        pct = fraction * 100.0
        if node == company_id or pct < EPSILON_PCT:
            continue
        shares.append(
            OwnerShare(
                owner_id=node,
                effective_pct=pct,
                ultimate=not graph.owners.get(node),
                paths=tuple(paths.get(node, ())),
            )
        )
    shares.sort(key=lambda s: (-s.effective_pct, s.owner_id))
    self_pct = column.get(company_id, 0.0) * 100.0
    return OwnershipResult(
        company_id=company_id,
        owners=tuple(shares),
        self_pct=self_pct,
        paths_truncated=truncated,
        max_depth=max_depth,
        max_paths=max_paths,
        explanation=(
            f"{len(shares)} upstream owners of {company_id}; effective shares are the "
            "column of E = A(I−A)⁻¹ solved on the upstream sub-graph"
            + ("; path listing stopped at a limit" if truncated else "")
        ),
    )


@dataclass(frozen=True)
class EffectiveOwnership:
    """The effective-ownership matrix of a whole registry (:func:`effective_ownership`).

    ``matrix[i, j]`` is node ``nodes[i]``'s effective share of ``nodes[j]`` as a
    fraction (column ``j`` is what :func:`effective_column` gives for ``nodes[j]``).
    ``terms`` is the number of powers of ``A`` the series summed; ``ultimate`` marks
    the nodes nobody owns.
    """

    nodes: tuple[str, ...]
    index: Mapping[str, int] = field(repr=False)
    matrix: sparse.csc_matrix = field(repr=False)
    ultimate: np.ndarray = field(repr=False)
    terms: int = 0

    def column(self, company_id: str) -> dict[str, float]:
        """``{node: E[node, company_id]}`` for the non-zero entries of one company's column."""
        j = self.index.get(company_id)
        if j is None:
            return {}
        start, end = self.matrix.indptr[j], self.matrix.indptr[j + 1]
        rows = self.matrix.indices[start:end].tolist()
        values = self.matrix.data[start:end].tolist()
        return {self.nodes[i]: float(v) for i, v in zip(rows, values, strict=True)}

    def ultimate_owners_at_least(
        self, threshold_pct: float
    ) -> dict[str, tuple[tuple[str, float], ...]]:
        """Per company, its ultimate owners with an effective share ≥ ``threshold_pct``.

        The beneficial-owner measure of :func:`algorithms.control.find_controllers`
        for every company at once: ``{company: ((owner, percent), ...)}``, largest
        share first, then owner id; companies without such an owner are left out.
        """
        coo = self.matrix.tocoo()
        pct = coo.data * 100.0
        chosen = self.ultimate[coo.row] & (pct >= threshold_pct - EPSILON_PCT)
        found: dict[str, list[tuple[str, float]]] = {}
        for i, j, value in zip(
            coo.row[chosen].tolist(), coo.col[chosen].tolist(), pct[chosen].tolist(), strict=True
        ):
            found.setdefault(self.nodes[j], []).append((self.nodes[i], float(value)))
        return {
            company: tuple(sorted(owners, key=lambda o: (-o[1], o[0])))
            for company, owners in sorted(found.items())
        }


def _column_norm(matrix: sparse.csr_matrix) -> float:
    """The 1-norm (largest column sum of absolute values) of a sparse matrix."""
    if matrix.nnz == 0:
        return 0.0
    return float(np.abs(matrix).sum(axis=0).max())


def effective_ownership(
    graph: OwnershipGraph, *, tolerance: float = SERIES_TOLERANCE
) -> EffectiveOwnership:
    """Every company's effective owners at once: ``E = Σₖ₌₁ Aᵏ``, one sparse computation.

    The series is summed by repeated squaring. With ``Sₖ = A + … + Aᵏ`` and
    ``q = ‖Aᵏ‖₁`` (the largest column sum), the terms left out sum to
    ``Σₘ₌₁ Aᵐᵏ Sₖ``; every ``‖Aⁱ‖₁ ≤ 1`` (no company's owners hold more than all
    of it), so their 1-norm is at most ``k · q / (1 − q)``, and the sum stops once
    that bound is below ``tolerance``. ``Aᵏ`` of an acyclic registry is empty past
    its depth, and the sum is then exact.

    Raises
    ------
    InputValidationError
        When a cycle holds all of itself and the series diverges (``I − A`` is
        singular; :func:`effective_column` fails on it too).

    Examples
    --------
    >>> g = OwnershipGraph.from_holdings([Holding("A", "B", 50.0), Holding("B", "A", 50.0),
    ...                                   Holding("P", "A", 50.0), Holding("Q", "B", 50.0)])
    >>> {k: round(v, 6) for k, v in sorted(effective_ownership(g).column("A").items())}
    {'A': 0.333333, 'B': 0.666667, 'P': 0.666667, 'Q': 0.333333}
    """
    nodes = tuple(sorted({*graph.owners, *graph.holdings}))
    index = {node: i for i, node in enumerate(nodes)}
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for company, by_owner in graph.owners.items():
        j = index[company]
        for owner, fraction in by_owner.items():
            rows.append(index[owner])
            cols.append(j)
            vals.append(fraction)
    n = len(nodes)
    power = sparse.csr_matrix((vals, (rows, cols)), shape=(n, n), dtype=np.float64)
    total = power.copy()
    terms = 1
    for _ in range(MAX_SQUARINGS):
        q = _column_norm(power)
        if q == 0.0 or (q < 1.0 and terms * q / (1.0 - q) <= tolerance):
            break
        total = (total + power @ total).tocsr()
        power = (power @ power).tocsr()
        power.eliminate_zeros()
        terms *= 2
    else:
        raise InputValidationError("effective ownership does not converge: a cycle owns itself")
    if not np.all(np.isfinite(total.data)):
        raise InputValidationError("effective ownership does not converge: a cycle owns itself")
    ultimate = np.ones(n, dtype=bool)
    for company in graph.owners:
        ultimate[index[company]] = False
    matrix = total.tocsc()
    matrix.sort_indices()
    return EffectiveOwnership(nodes, index, matrix, ultimate, terms)
