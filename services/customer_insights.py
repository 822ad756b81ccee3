"""Per-customer insight views shared by the API and the 360: supply-chain tiers and
cross-sell recommendations with the contribution percentile.

Companies outside the caller's subtree are never named: in supply tiers and their
map they are placeholders (:mod:`graph.scoping`), without an id or an amount.
"""

from __future__ import annotations

import threading
from typing import Any

from algorithms.cross_sell import CrossSellIndex, CustomerProfile
from algorithms.influence import SupplyTiers, TierMember, supply_tiers
from algorithms.prospects import SupplyLink
from core.errors import NotFoundError
from core.formatting import Language
from core.messages import Message, params_json, render
from core.money import from_minor_units
from core.settings import Settings
from graph.branches import BranchScope
from graph.database import Database
from graph.models import Ref, SupplyChainOut, SupplyTierMember
from graph.schema import read_data_version
from graph.scoping import Anonymiser
from graph.supply import (
    read_customer_in_scope,
    read_holdings,
    read_product_names,
    read_supply_neighbourhood,
)


def read_supply_tiers(
    db: Database, scope: BranchScope, customer_id: str
) -> tuple[SupplyTiers, dict[str, str], str, frozenset[str]]:
    """The tiers around a customer, with companies outside the caller's subtree replaced by
    placeholders (:mod:`graph.scoping`) *before* the tiers are built: their ids never
    reach the tiers, the view or the map, only response-local keys do.

    Returns the tiers, names by key, the centre's name and the placeholders' keys.
    """
    center = read_customer_in_scope(db, scope, customer_id)
    if center is None:
        raise NotFoundError(f"customer {customer_id} not found")
    ties = read_supply_neighbourhood(db, customer_id)
    anon = Anonymiser(scope)
    for tie in ties:
        for party in (tie.supplier, tie.buyer):
            anon.learn(
                party.company_id,
                name=party.name,
                is_customer=party.is_customer,
                branch_id=party.branch_id,
            )
    links: list[SupplyLink] = []
    names: dict[str, str] = {customer_id: center.name}
    customers: set[str] = set()
    hidden: set[str] = set()
    for tie in ties:
        keys: list[str] = []
        for party in (tie.supplier, tie.buyer):
            cid = party.company_id
            key = anon.key(cid)
            keys.append(key)
            if party.is_customer:
                customers.add(key)
            if not anon.visible(cid):
                hidden.add(key)
            if cid != customer_id:
                names[key] = anon.name(cid, str(party.name or cid))
        links.append(SupplyLink(keys[0], keys[1], tie.amount_minor, tie.currency))
    tiers = supply_tiers(customer_id, links, names, customers)
    return tiers, names, center.name, frozenset(hidden)


def supply_chain_view(db: Database, scope: BranchScope, customer_id: str) -> SupplyChainOut:
    """Upstream and downstream tiers (two each) around a customer, with annual amounts.

    A company outside the caller's subtree is a placeholder: no id, the placeholder's
    name, no amount.
    """
    tiers, _, center_name, hidden = read_supply_tiers(db, scope, customer_id)

    def tier_out(members: tuple[TierMember, ...]) -> list[SupplyTierMember]:
        return [
            SupplyTierMember(
                id=m.company_id if m.company_id not in hidden else None,
                name=m.name,
                is_customer=m.is_customer,
                tier=m.tier,
                via=m.via if m.via not in hidden else None,
                annual_amount=(
                    str(from_minor_units(m.annual_amount_minor, m.currency))
                    if m.company_id not in hidden
                    else None
                ),
                currency=m.currency,
            )
            for m in members
        ]

    return SupplyChainOut(
        customer=Ref(id=customer_id, name=center_name),
        upstream=[tier_out(t) for t in tiers.upstream],
        downstream=[tier_out(t) for t in tiers.downstream],
    )


_index_lock = threading.Lock()
_index_cache: dict[tuple[str, str, str], CrossSellIndex] = {}


def read_profiles(db: Database, currency: str) -> dict[str, CustomerProfile]:
    """Every customer's holdings (balances in ``currency``; others count as held, at 0)."""
    return {
        c.company_id: CustomerProfile(
            c.company_id,
            c.industry,
            c.segment,
            {
                h.product_code: int(h.balance_minor or 0) if h.currency == currency else 0
                for h in c.holdings
            },
        )
        for c in read_holdings(db)
    }


def cross_sell_index(db: Database, currency: str) -> CrossSellIndex:
    """The book's cross-sell index, built once per data load and kept in the process.

    Reading every customer's holdings takes seconds on a large book; a request
    should not. Each load writes a new ``data_version``, which retires the index.
    """
    key = (*read_data_version(db), currency)
    with _index_lock:
        cached = _index_cache.get(key)
        if cached is None:
            cached = CrossSellIndex(read_profiles(db, currency))
            _index_cache.clear()
            _index_cache[key] = cached
        return cached


def _named_product(reason: Message, names: dict[str, str]) -> Message:
    """The reason naming its product (the algorithm knows only its code)."""
    code = reason.params.get("product")
    if not isinstance(code, str) or code not in names:
        return reason
    return Message(reason.key, {**reason.params, "product": names[code]})


def recommendations_view(
    db: Database,
    scope: BranchScope,
    customer_id: str,
    settings: Settings,
    language: Language = "zh",
) -> dict[str, Any]:
    """Products similar customers hold that this customer lacks, and its peer percentile.

    Balances count in ``prospect_currency`` (CNY) only, so no currencies are mixed.
    """
    center = read_customer_in_scope(db, scope, customer_id)
    if center is None:
        raise NotFoundError(f"customer {customer_id} not found")
    index = cross_sell_index(db, settings.prospect_currency)
    if customer_id not in index.row:  # a customer loaded after the index was built
        raise NotFoundError(f"customer {customer_id} has no holdings profile yet")
    result = index.cross_sell(
        customer_id,
        peers=settings.cross_sell_peers,
        min_share=settings.cross_sell_min_peer_share,
    )
    currency = settings.prospect_currency
    names = read_product_names(db, (r.product_code for r in result.recommendations))
    reasons = [_named_product(r.reason, names) for r in result.recommendations]
    return {
        "customer": {"id": customer_id, "name": center.name},
        "peers": len(result.peers),
        "recommendations": [
            {
                "product_code": r.product_code,
                "peer_count": r.peer_count,
                "peers": r.peers,
                "share": r.share,
                "lift": r.lift,
                "product_name": names.get(r.product_code),
                "reason": render(reason, language),
                "reason_message": {"key": reason.key, "params": params_json(reason)},
            }
            for r, reason in zip(result.recommendations, reasons, strict=True)
        ],
        "contribution": {
            "balance": str(from_minor_units(result.contribution_minor, currency)),
            "currency": currency,
            "peer_group_size": result.peer_group_size,
            "percentile": result.contribution_percentile,
        },
    }
