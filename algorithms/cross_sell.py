"""Cross-sell: products held by similar customers that a customer lacks, and peer comparison.

Similarity is the Jaccard index (node similarity, as GDS defines it) over each
customer's feature set: the products it holds plus its industry and segment. A
product the customer lacks is recommended when at least ``min_share`` of its
``peers`` most similar customers hold it; its evidence is the peer count and the
*lift*: the share among peers divided by the share among all customers.

The contribution percentile compares the customer's total balance with its peer
group (同类客户: the same industry and segment): the share of the group whose
total is at most the customer's.

Examples
--------
>>> jaccard({"a", "b"}, {"b", "c"})
0.3333333333333333
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from core.i18n import N_
from core.messages import Message

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CustomerProfile:
    """What a customer holds (product code → balance in minor units) and who it is."""

    customer_id: str
    industry: str | None
    segment: str | None
    holdings: Mapping[str, int]

    def features(self) -> frozenset[str]:
        extra = {f"industry:{self.industry}", f"segment:{self.segment}"}
        return frozenset(set(self.holdings) | extra)

    @property
    def total_minor(self) -> int:
        return sum(self.holdings.values())


@dataclass(frozen=True)
class Recommendation:
    """One product the customer lacks, with the peer evidence."""

    product_code: str
    peer_count: int
    peers: int
    share: float
    lift: float
    reason: Message  # the product is named by its code; the reader names it


@dataclass(frozen=True)
class CrossSell:
    """Recommendations and the peer comparison of one customer."""

    customer_id: str
    peers: tuple[tuple[str, float], ...]
    recommendations: tuple[Recommendation, ...]
    contribution_minor: int
    peer_group_size: int
    contribution_percentile: float


def jaccard(a: frozenset[str] | set[str], b: frozenset[str] | set[str]) -> float:
    """``|a ∩ b| / |a ∪ b|`` (0 for two empty sets)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


#: Why a product is recommended (a catalogue key, :mod:`core.messages`).
_REASON: Final = N_(
    "{holders} of the {peers} most similar customers hold {product} ({lift}× the bank-wide rate)"
)


def recommend(
    target: CustomerProfile,
    top: list[tuple[str, float]],
    profiles: Mapping[str, CustomerProfile],
    holders: Mapping[str, int],
    total: int,
    min_share: float,
) -> list[Recommendation]:
    """Products that at least ``min_share`` of the ``top`` peers hold and ``target`` lacks.

    ``holders`` counts the customers holding each product among ``total``; the lift
    is the share among peers over that bank-wide share. Sorted by share, then lift.
    """
    recommendations: list[Recommendation] = []
    if not top:
        return recommendations
    counts: dict[str, int] = {}
    for cid, _ in top:
        for code in profiles[cid].holdings:
            if code not in target.holdings:
                counts[code] = counts.get(code, 0) + 1
    for code, n in counts.items():
        share = n / len(top)
        if share < min_share:
            continue
        lift = share / (holders[code] / total)
        recommendations.append(
            Recommendation(
                code,
                n,
                len(top),
                round(share, 4),
                round(lift, 2),
                Message(
                    _REASON,
                    {"holders": n, "peers": len(top), "product": code, "lift": f"{lift:.1f}"},
                ),
            )
        )
    recommendations.sort(key=lambda r: (-r.share, -r.lift, r.product_code))
    return recommendations


def cross_sell(
    customer_id: str,
    profiles: Mapping[str, CustomerProfile],
    *,
    peers: int = 20,
    min_share: float = 0.5,
) -> CrossSell:
    """Recommend products for ``customer_id`` from its most similar customers.

    Raises
    ------
    KeyError
        When ``customer_id`` has no profile.
    """
    target = profiles[customer_id]
    features = target.features()
    similar = sorted(
        (
            (cid, jaccard(features, p.features()))
            for cid, p in profiles.items()
            if cid != customer_id
        ),
        key=lambda x: (-x[1], x[0]),
    )
    top = [(cid, s) for cid, s in similar[:peers] if s > 0]
    total = len(profiles)
    holders: dict[str, int] = {}
    for p in profiles.values():
        for code in p.holdings:
            holders[code] = holders.get(code, 0) + 1
    recommendations = recommend(target, top, profiles, holders, total, min_share)
    group = [
        p
        for p in profiles.values()
        if p.industry == target.industry and p.segment == target.segment
    ]
    at_most = sum(1 for p in group if p.total_minor <= target.total_minor)
    return CrossSell(
        customer_id,
        tuple((cid, round(s, 4)) for cid, s in top),
        tuple(recommendations),
        target.total_minor,
        len(group),
        round(at_most / len(group), 4) if group else 0.0,
    )


class CrossSellIndex:
    """:func:`cross_sell` for many customers of one book: the same answers, faster.

    Features go into a sparse customer × feature matrix, so one customer's Jaccard
    similarity to every other is one sparse product instead of a Python loop, and
    each peer group's totals are sorted once for the percentile. Build it once per
    data load and reuse it (the API caches it).

    Examples
    --------
    >>> profiles = {
    ...     "A": CustomerProfile("A", "retail", "core", {"P1": 100, "P2": 50}),
    ...     "B": CustomerProfile("B", "retail", "core", {"P1": 10}),
    ... }
    >>> CrossSellIndex(profiles).cross_sell("B", peers=1) == cross_sell("B", profiles, peers=1)
    True
    """

    def __init__(self, profiles: Mapping[str, CustomerProfile]) -> None:
        import numpy as np
        from scipy import sparse

        self.profiles = profiles
        self.ids = sorted(profiles)
        self.row = {cid: i for i, cid in enumerate(self.ids)}
        features: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        for i, cid in enumerate(self.ids):
            for feature in profiles[cid].features():
                rows.append(i)
                cols.append(features.setdefault(feature, len(features)))
        shape = (len(self.ids), max(len(features), 1))
        self.matrix = sparse.csr_matrix(
            (np.ones(len(rows), dtype=np.int64), (rows, cols)), shape=shape
        )
        self.sizes = np.asarray(self.matrix.sum(axis=1)).ravel()
        self.holders: dict[str, int] = {}
        for p in profiles.values():
            for code in p.holdings:
                self.holders[code] = self.holders.get(code, 0) + 1
        groups: dict[tuple[str | None, str | None], list[int]] = {}
        for p in profiles.values():
            groups.setdefault((p.industry, p.segment), []).append(p.total_minor)
        self.group_totals = {k: sorted(v) for k, v in groups.items()}

    def cross_sell(self, customer_id: str, *, peers: int = 20, min_share: float = 0.5) -> CrossSell:
        """The same result as :func:`cross_sell` for ``customer_id``."""
        import bisect

        import numpy as np

        target = self.profiles[customer_id]
        i = self.row[customer_id]
        inter = np.asarray((self.matrix @ self.matrix[i].T).todense()).ravel()
        union = self.sizes + self.sizes[i] - inter
        sims = np.divide(inter.astype(float), union, out=np.zeros(len(union)), where=union > 0)
        sims[i] = -1.0  # never one's own peer
        order = np.lexsort((np.arange(len(sims)), -sims))[:peers]
        top = [(self.ids[j], float(sims[j])) for j in order if sims[j] > 0]
        total = len(self.profiles)
        recommendations = recommend(target, top, self.profiles, self.holders, total, min_share)
        group = self.group_totals.get((target.industry, target.segment), [])
        at_most = bisect.bisect_right(group, target.total_minor)
        return CrossSell(
            customer_id,
            tuple((cid, round(s, 4)) for cid, s in top),
            tuple(recommendations),
            target.total_minor,
            len(group),
            round(at_most / len(group), 4) if group else 0.0,
        )
