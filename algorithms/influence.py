"""Influence in the supply and flow graphs, and the core enterprise of each supply chain.

The centralities themselves (PageRank, degree, betweenness) come from a
:class:`services.engines.GraphEngine`; this module turns them into results:

- a *supply chain* is a weakly connected component of the ``SUPPLIES`` graph with
  at least ``min_size`` companies;
- its *core enterprise* is the member with the highest PageRank on the undirected
  supply graph weighted by annual amount (ties: larger weighted degree, then the
  smaller id). A core has more and larger links than anyone in its chain, which is
  what the weighted PageRank of an undirected graph rewards;
- the *tiers* around any company are its direct suppliers and buyers (tier 1) and
  their suppliers and buyers (tier 2), with the annual amount of each link.

All functions are pure.

Examples
--------
>>> links = [SupplyLink("s1", "core", 500), SupplyLink("s2", "core", 300),
...          SupplyLink("s3", "s1", 100), SupplyLink("core", "b1", 700)]
>>> t = supply_tiers("core", links)
>>> [m.company_id for m in t.upstream[0]], [m.company_id for m in t.upstream[1]]
(['s1', 's2'], ['s3'])
>>> [m.company_id for m in t.downstream[0]]
['b1']
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from core.i18n import N_
from core.messages import Message
from core.money import Money

from .prospects import SupplyLink

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TierMember:
    """A company in a tier: who it links to (``via``) and the link's annual amount."""

    company_id: str
    name: str
    is_customer: bool
    tier: int
    via: str
    annual_amount_minor: int
    currency: str = "CNY"


@dataclass(frozen=True)
class SupplyTiers:
    """Upstream (suppliers) and downstream (buyers) tiers around one company.

    ``upstream[0]`` is tier 1 (direct suppliers), ``upstream[1]`` tier 2, and so on.
    """

    center_id: str
    center_name: str
    upstream: tuple[tuple[TierMember, ...], ...]
    downstream: tuple[tuple[TierMember, ...], ...]

    @property
    def member_ids(self) -> frozenset[str]:
        return frozenset(
            m.company_id for tiers in (self.upstream, self.downstream) for t in tiers for m in t
        )


@dataclass(frozen=True)
class SupplyChain:
    """One supply chain (a community of the supply graph) and its core enterprise."""

    chain_id: str
    core_id: str
    core_name: str
    core_is_customer: bool
    size: int
    core_score: float
    ranking: tuple[tuple[str, float], ...]  # (company id, influence), best first
    tiers: SupplyTiers
    explanation: Message

    def rank_of(self, company_id: str) -> int | None:
        """1-based influence rank of a member, or ``None``."""
        for position, (cid, _) in enumerate(self.ranking, start=1):
            if cid == company_id:
                return position
        return None


def supply_tiers(
    center: str,
    links: Iterable[SupplyLink],
    names: Mapping[str, str] | None = None,
    customers: frozenset[str] | set[str] = frozenset(),
    *,
    depth: int = 2,
) -> SupplyTiers:
    """Suppliers and buyers of ``center`` up to ``depth`` tiers, each company once.

    A company appears in the nearest tier it is found in; within a tier, members
    are sorted by amount (largest first), then id.
    """
    names = names or {}
    suppliers_of: dict[str, list[SupplyLink]] = defaultdict(list)
    buyers_of: dict[str, list[SupplyLink]] = defaultdict(list)
    for link in links:
        suppliers_of[link.buyer_id].append(link)
        buyers_of[link.supplier_id].append(link)

    def walk(upstream: bool) -> tuple[tuple[TierMember, ...], ...]:
        seen = {center}
        frontier = [center]
        tiers: list[tuple[TierMember, ...]] = []
        for level in range(1, depth + 1):
            found: dict[str, TierMember] = {}
            for node in frontier:
                neighbours = suppliers_of[node] if upstream else buyers_of[node]
                for link in neighbours:
                    other = link.supplier_id if upstream else link.buyer_id
                    if other in seen:
                        continue
                    previous = found.get(other)
                    if previous is None or link.annual_amount_minor > previous.annual_amount_minor:
                        found[other] = TierMember(
                            other,
                            names.get(other, other),
                            other in customers,
                            level,
                            node,
                            link.annual_amount_minor,
                            link.currency,
                        )
            if not found:
                break
            members = tuple(
                sorted(found.values(), key=lambda m: (-m.annual_amount_minor, m.company_id))
            )
            tiers.append(members)
            seen.update(found)
            frontier = [m.company_id for m in members]
        return tuple(tiers)

    return SupplyTiers(center, names.get(center, center), walk(True), walk(False))


#: Why a company is a core enterprise (a catalogue key, :mod:`core.messages`).
_CORE_EXPLANATION: Final = N_(
    "{name} is the most influential of {size} companies in its supply chain: {suppliers} "
    "suppliers and {buyers} buyers within two tiers, {volume} of annual supply links"
)


def core_enterprises(
    communities: Mapping[str, str],
    influence: Mapping[str, float],
    links: Iterable[SupplyLink],
    names: Mapping[str, str] | None = None,
    customers: frozenset[str] | set[str] = frozenset(),
    *,
    min_size: int = 5,
) -> list[SupplyChain]:
    """The core enterprise of every supply chain.

    Parameters
    ----------
    communities
        ``{company_id: community id}`` over the supply graph (e.g. WCC).
    influence
        A centrality per company (PageRank on the undirected, amount-weighted
        supply graph).
    links
        The supply links (for weighted degree and tiers).
    names, customers
        Display names and the set of customer ids.
    min_size
        Smaller communities are not chains.

    Returns
    -------
    list[SupplyChain]
        Largest chains first (then by chain id).
    """
    names = names or {}
    link_list = list(links)
    weighted_degree: dict[str, int] = defaultdict(int)
    for link in link_list:
        weighted_degree[link.supplier_id] += link.annual_amount_minor
        weighted_degree[link.buyer_id] += link.annual_amount_minor
    members: dict[str, list[str]] = defaultdict(list)
    for company, community in communities.items():
        if company in weighted_degree:
            members[community].append(company)
    chains: list[SupplyChain] = []
    for ids in members.values():
        if len(ids) < min_size:
            continue
        ranked = sorted(ids, key=lambda c: (-influence.get(c, 0.0), -weighted_degree.get(c, 0), c))
        core = ranked[0]
        tiers = supply_tiers(core, link_list, names, customers)
        name = names.get(core, core)
        n_sup, n_buy = (sum(len(t) for t in tiers.upstream), sum(len(t) for t in tiers.downstream))
        volume = weighted_degree[core]
        chains.append(
            SupplyChain(
                chain_id=min(ids),
                core_id=core,
                core_name=name,
                core_is_customer=core in customers,
                size=len(ids),
                core_score=float(influence.get(core, 0.0)),
                ranking=tuple((c, float(influence.get(c, 0.0))) for c in ranked),
                tiers=tiers,
                explanation=Message(
                    _CORE_EXPLANATION,
                    {
                        "name": name,
                        "size": len(ids),
                        "suppliers": n_sup,
                        "buyers": n_buy,
                        "volume": Money(volume, "CNY"),
                    },
                ),
            )
        )
    logger.debug("found %d supply chains", len(chains))
    return sorted(chains, key=lambda ch: (-ch.size, ch.chain_id))
