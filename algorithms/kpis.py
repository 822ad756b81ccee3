"""KPIs from graph facts: contributions, the exact roll-up, and target decomposition.

Pure functions over :class:`graph.kpis.KpiFacts`. The definitions (names, units,
roll-up rules) are :data:`core.kpis.METRICS`; this module computes them:

1. :func:`contributions` turns each fact (a customer's positions, an opportunity, an
   event) into integer contributions, attributed to a booking branch and an RM;
2. :func:`roll_up` adds them up the branch tree: a branch's value is its direct book
   plus the values of its child branches, an RM's value is their own contributions.
   Integers add exactly, so every level equals the sum (or, for weighted means, the
   denominator-weighted mean) of its children;
3. :func:`decompose` splits a target over child units in proportion to weights by
   the largest-remainder method, so the parts always add back to the target.

Examples
--------
>>> decompose(100, {"a": 1, "b": 1, "c": 1})
{'a': 34, 'b': 33, 'c': 33}
>>> sum(decompose(10_000_001, {"x": 3, "y": 7, "z": 0}).values())
10000001
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Final

from core.codes import SALES_ACTIVITY_KINDS, STAGES
from core.errors import InputValidationError
from core.kpis import CONVERSION_STAGES, METRICS, Rollup
from core.money import FxRate, Money, cny_equivalent, latest_rates
from graph.kpis import KpiFacts, Position

#: Dimensions whose categories also add up to a total (category ``None``); a stage's
#: conversion does not add across stages.
_TOTALLED_DIMENSIONS: Final = frozenset({"product_category", "activity_kind"})


@dataclass(frozen=True)
class Contribution:
    """One fact's part of one metric, attributed to where it is booked."""

    metric: str
    category: str | None
    branch_id: str | None
    rm_id: str | None
    numerator: int
    denominator: int = 1
    #: Amounts whose currency had no rate on the date (money metrics only).
    no_rate: tuple[Money, ...] = ()


@dataclass(frozen=True)
class Aggregate:
    """A unit's value: added numerators and denominators, and amounts without a rate."""

    numerator: int = 0
    denominator: int = 0
    no_rate: tuple[Money, ...] = ()


#: (scope type, scope id, metric, category) → the unit's aggregate.
UnitKey = tuple[str, str, str, str | None]


@dataclass
class KpiTable:
    """Every metric for every unit at one date: subtree values and each branch's direct book."""

    on: date
    values: dict[UnitKey, Aggregate] = field(default_factory=dict)
    #: Contributions booked at exactly this branch (not its children), per branch key.
    direct: dict[UnitKey, Aggregate] = field(default_factory=dict)

    def value(self, scope_type: str, scope_id: str, metric: str, category: str | None) -> Aggregate:
        """The aggregate of one unit (zero when nothing contributed)."""
        return self.values.get((scope_type, scope_id, metric, category), Aggregate())


def rates_on(rates: Iterable[FxRate], on: date) -> dict[str, FxRate]:
    """The rate of each currency in force on ``on``: its latest ``rate_date`` not after it."""
    return latest_rates(r for r in rates if r.rate_date <= on)


def _end_of(on: date) -> datetime:
    return datetime.combine(on + timedelta(days=1), time(0), UTC)


def _money_contributions(
    metric: str, positions: Iterable[Position], rates: Mapping[str, FxRate]
) -> list[Contribution]:
    """One contribution per customer and category: its amounts converted and rounded once."""
    grouped: dict[tuple[str, str], list[Position]] = defaultdict(list)
    for position in positions:
        grouped[(position.customer_id, position.category)].append(position)
    out: list[Contribution] = []
    for (_customer, category), items in sorted(grouped.items()):
        equivalent = cny_equivalent((Money(p.amount_minor, p.currency) for p in items), rates)
        first = items[0]
        out.append(
            Contribution(
                metric,
                category,
                first.branch_id,
                first.rm_id,
                equivalent.total.minor,
                1,
                equivalent.no_rate,
            )
        )
    return out


#: The open and won stages in pipeline order (``lost`` is not "later" than any).
_FORWARD_ORDER: Final[dict[str, int]] = {s: i for i, s in enumerate(STAGES) if s != "lost"}


def _reached(history_stages: Iterable[str], stage: str) -> bool:
    """Whether a history reached ``stage`` or a later open/won stage (``lost`` is not later)."""
    rank = _FORWARD_ORDER[stage]
    return any(_FORWARD_ORDER.get(s, -1) >= rank for s in history_stages)


def contributions(facts: KpiFacts) -> list[Contribution]:
    """Every metric's contributions at ``facts.on``.

    Customers count from the first holding opened on or before the date (always,
    without a dated holding); positions are those the facts hold for the date;
    opportunity stages and event statuses count when their history reached them by
    the end of the date (UTC).
    """
    on = facts.on
    end = _end_of(on)
    rates = rates_on(facts.rates, on)
    out = _money_contributions("holding_balance", facts.holdings, rates)
    out += _money_contributions("facility_outstanding", facts.facilities, rates)

    counted = {
        c.customer_id: c
        for c in facts.customers
        if (c.since is None or c.since <= on) and (c.lost_on is None or c.lost_on > on)
    }
    products: dict[str, set[str]] = defaultdict(set)
    for holding in facts.holdings:
        products[holding.customer_id].add(holding.product_code)
    for customer in sorted(counted.values(), key=lambda c: c.customer_id):
        out.append(Contribution("customers", None, customer.branch_id, customer.rm_id, 1))
        out.append(
            Contribution(
                "products_per_customer",
                None,
                customer.branch_id,
                customer.rm_id,
                len(products.get(customer.customer_id, ())),
                1,
            )
        )

    out += _acquisition_and_diligence(facts)
    for opp in facts.opportunities:
        if opp.created_at >= end:
            continue
        stages = ["identified", *(c.to for c in opp.history if c.at < end)]
        for previous, stage in zip(
            ("identified", *CONVERSION_STAGES), CONVERSION_STAGES, strict=False
        ):
            if _reached(stages, previous):
                out.append(
                    Contribution(
                        "stage_conversion",
                        stage,
                        opp.branch_id,
                        opp.rm_id,
                        1 if _reached(stages, stage) else 0,
                        1,
                    )
                )
        if "won" in stages:
            out.append(Contribution("opportunities_won", None, opp.branch_id, opp.rm_id, 1))
            amount = (
                [Money(opp.amount_minor, opp.currency)]
                if opp.amount_minor is not None and opp.currency
                else []
            )
            equivalent = cny_equivalent(amount, rates)
            out.append(
                Contribution(
                    "opportunities_won_amount",
                    None,
                    opp.branch_id,
                    opp.rm_id,
                    equivalent.total.minor,
                    1,
                    equivalent.no_rate,
                )
            )

    for event in facts.events:
        if event.detected_at >= end:
            continue
        seen = [c for c in event.history if c.at < end]
        handled = next((c for c in seen if c.to != "new"), None)
        if handled is not None:
            seconds = max(0, int((handled.at - event.detected_at).total_seconds()))
            out.append(
                Contribution("event_response_hours", None, event.branch_id, event.rm_id, seconds)
            )
        actioned = any(c.to == "actioned" for c in seen)
        out.append(
            Contribution(
                "events_actioned_share", None, event.branch_id, event.rm_id, int(actioned), 1
            )
        )
    return out


def _acquisition_and_diligence(facts: KpiFacts) -> list[Contribution]:
    """Customers won and lost, visits and calls, and forward stage moves, to ``facts.on``."""
    on = facts.on
    end = _end_of(on)
    out: list[Contribution] = []
    for customer in sorted(facts.customers, key=lambda c: c.customer_id):
        if customer.since is not None and customer.since <= on:
            out.append(
                Contribution("new_customers_won", None, customer.branch_id, customer.rm_id, 1)
            )
        if customer.lost_on is not None and customer.lost_on <= on:
            out.append(Contribution("lost_customers", None, customer.branch_id, customer.rm_id, 1))
    for activity in facts.activities:
        if activity.on <= on and activity.kind in SALES_ACTIVITY_KINDS:
            out.append(
                Contribution(
                    "sales_activities", activity.kind, activity.branch_id, activity.rm_id, 1
                )
            )
    order: dict[str, int] = {stage: i for i, stage in enumerate(STAGES) if stage != "lost"}
    for opp in facts.opportunities:
        stage = "identified"
        advanced = 0
        for change in opp.history:
            if change.at >= end:
                break
            if change.to in order and order[change.to] > order.get(stage, len(order)):
                advanced += 1
            stage = change.to
        if advanced:
            out.append(
                Contribution("opportunities_advanced", None, opp.branch_id, opp.rm_id, advanced)
            )
    return out


def roll_up(
    items: Iterable[Contribution],
    parents: Mapping[str, str | None],
    on: date,
) -> KpiTable:
    """Add contributions up the branch tree (``{branch: parent}``) and per RM.

    A contribution counts for its RM, for its booking branch's direct book, and for
    that branch and every ancestor. A product-category metric also counts under the
    category ``None`` (all categories), as the sum of the categories. A contribution
    booked at no known branch counts for its RM only.
    """
    # Sums are kept in plain mutable accumulators and frozen into Aggregates once: a
    # frozen Aggregate per addition cost most of a plan page's time (hundreds of
    # thousands of additions on the tiny bank).
    sums: dict[str, dict[UnitKey, list[int]]] = {"values": {}, "direct": {}}
    unrated: dict[str, dict[UnitKey, dict[str, int]]] = {"values": {}, "direct": {}}

    def add(part: str, key: UnitKey, item: Contribution) -> None:
        found = sums[part].get(key)
        if found is None:
            sums[part][key] = [item.numerator, item.denominator]
        else:
            found[0] += item.numerator
            found[1] += item.denominator
        if item.no_rate:
            per_currency = unrated[part].setdefault(key, {})
            for money in item.no_rate:
                per_currency[money.currency] = per_currency.get(money.currency, 0) + money.minor

    for item in items:
        definition = METRICS[item.metric]
        categories: list[str | None] = [item.category]
        if definition.dimension in _TOTALLED_DIMENSIONS and item.category is not None:
            categories.append(None)
        for category in categories:
            if item.rm_id is not None:
                add("values", ("rm", item.rm_id, item.metric, category), item)
            branch = item.branch_id
            if branch is None or branch not in parents:
                continue
            add("direct", ("branch", branch, item.metric, category), item)
            seen: set[str] = set()
            current: str | None = branch
            while current is not None and current not in seen:
                seen.add(current)
                add("values", ("branch", current, item.metric, category), item)
                current = parents.get(current)

    def frozen(part: str) -> dict[UnitKey, Aggregate]:
        missing = unrated[part]
        return {
            key: Aggregate(
                numerator,
                denominator,
                tuple(Money(minor, code) for code, minor in sorted(missing.get(key, {}).items())),
            )
            for key, (numerator, denominator) in sums[part].items()
        }

    table = KpiTable(on)
    table.values = frozen("values")
    table.direct = frozen("direct")
    return table


def decompose(total: int, weights: Mapping[str, int]) -> dict[str, int]:
    """Split ``total`` over ``weights``' keys in proportion, summing back exactly.

    The largest-remainder (Hamilton) method: each part gets the floor of its exact
    quota, and the units left over go one each to the largest fractional remainders
    (ties to the earlier key in sorted order). When every weight is zero the split is
    equal. Parts are integers (minor units, counts), never negative.

    Raises
    ------
    InputValidationError
        No keys, a negative weight or a negative total.

    Examples
    --------
    >>> decompose(7, {"b": 0, "a": 0})
    {'a': 4, 'b': 3}
    """
    if not weights:
        raise InputValidationError("a target needs at least one unit to split over")
    if total < 0 or any(w < 0 for w in weights.values()):
        raise InputValidationError(
            "a target and its weights must not be negative",
            details={"total": total, "negative": sorted(k for k, w in weights.items() if w < 0)},
        )
    keys = sorted(weights)
    used = {k: weights[k] for k in keys}
    if sum(used.values()) == 0:
        used = dict.fromkeys(keys, 1)
    whole = sum(used.values())
    parts = {k: total * used[k] // whole for k in keys}
    remainders = {k: total * used[k] % whole for k in keys}
    left = total - sum(parts.values())
    for key in sorted(keys, key=lambda k: (-remainders[k], keys.index(k)))[:left]:
        parts[key] += 1
    return parts


def is_decomposable(metric: str) -> bool:
    """Only summed metrics split over units; a mean or a share applies to each unit as is."""
    return METRICS[metric].rollup is Rollup.SUM
