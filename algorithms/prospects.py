"""Value-chain prospects: score non-customers from their ties to the bank's customers.

A *prospect* is a company that is not a customer but trades with customers. The
score combines, each as a component in ``[0, 1]``:

- ``customers``: breadth, the mean number of distinct customers it trades with per
  month of the window, saturating at ``customer_saturation``;
- ``months``: the share of the window's months with any payment to or from customers;
- ``amount``: the total paid in and out (base currency), log-scaled against the
  largest candidate;
- ``count``: the number of payments, log-scaled the same way;
- ``trend``: the least-squares slope of the monthly amounts relative to their mean
  (0.5 is flat; 0 with fewer than three active months);
- ``supply``: supply links with customers, a link with a core enterprise counting
  three times;
- ``groups``: the distinct customer groups (``MEMBER_OF``) among its customers;
- ``influence``: its flow-graph PageRank as a percentile among the candidates.

Not scored: customers, blocklisted companies, excluded statuses (dissolved,
revoked), and *hubs* (:func:`hub_counterparties`): counterparties tied to a fixed
share of all customers, such as the tax bureau or a payroll agent.

The score is the weighted mean of the components. Each prospect carries the figures
behind it, reasons that quote those figures (message keys and parameters, read in
either language through the catalogue: :mod:`core.messages`), and the customer
with the strongest tie (largest amount, then most months) as introducer, whose
branch and RM are suggested as owners.

Money stays in integer minor units; reasons quote it in the one money rule of
:func:`core.formatting.format_money`. Scores are floats.

Examples
--------
>>> format_money_en(1_234_567_800, "CNY"), format_money_zh(1_234_567_800, "CNY")
('CNY 12.35M', '¥1,234.57万')
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd

from core.formatting import format_money
from core.i18n import N_
from core.messages import Message
from core.money import Money, from_minor_units

logger = logging.getLogger(__name__)

#: Columns of the flow frame :func:`score_prospects` takes (one row per prospect,
#: customer, direction, month and currency; ``direction`` is seen from the prospect:
#: ``in`` = the customer pays the prospect).
FLOW_COLUMNS: Final = (
    "prospect_id",
    "customer_id",
    "direction",
    "month",
    "currency",
    "amount_minor",
    "txn_count",
)

COMPONENTS: Final = (
    "customers",
    "months",
    "amount",
    "count",
    "trend",
    "supply",
    "groups",
    "influence",
)


@dataclass(frozen=True)
class ProspectWeights:
    """Weights of the score components (they need not sum to one)."""

    customers: float = 0.40
    months: float = 0.20
    amount: float = 0.10
    count: float = 0.05
    trend: float = 0.05
    supply: float = 0.10
    groups: float = 0.05
    influence: float = 0.05

    def as_dict(self) -> dict[str, float]:
        return {name: float(getattr(self, name)) for name in COMPONENTS}


@dataclass(frozen=True)
class ProspectConfig:
    """Thresholds of the scoring (all from :class:`core.settings.Settings`)."""

    weights: ProspectWeights = field(default_factory=ProspectWeights)
    customer_saturation: float = 6.0
    supply_saturation: float = 3.0
    group_saturation: float = 3.0
    trend_scale: float = 5.0
    min_customers: int = 1
    currency: str = "CNY"
    excluded_statuses: frozenset[str] = frozenset({"dissolved", "revoked"})
    blocklist: frozenset[str] = frozenset()
    months: tuple[str, ...] = ()
    hub_customer_share: float = 0.01
    hub_min_customers: int = 25


@dataclass(frozen=True)
class Candidate:
    """A non-customer company that may be scored."""

    company_id: str
    name: str
    uscc: str | None = None
    status: str | None = None
    industry: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class CustomerInfo:
    """A customer: its owner (branch, RM) and its groups."""

    company_id: str
    name: str
    branch_id: str | None = None
    rm_id: str | None = None
    group_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class SupplyLink:
    """One supply link ``supplier → buyer`` (annual amount in minor units)."""

    supplier_id: str
    buyer_id: str
    annual_amount_minor: int = 0
    currency: str = "CNY"


@dataclass(frozen=True)
class CustomerTie:
    """What one prospect does with one customer."""

    customer_id: str
    customer_name: str
    paid_in_minor: int
    paid_out_minor: int
    txn_count: int
    months: int
    supply_roles: tuple[str, ...] = ()  # "supplier" (prospect supplies it) / "buyer"

    @property
    def amount_minor(self) -> int:
        return self.paid_in_minor + self.paid_out_minor


@dataclass(frozen=True)
class ProspectScore:
    """One scored prospect, its evidence and its reasons."""

    company_id: str
    name: str
    uscc: str | None
    industry: str | None
    region: str | None
    score: float
    components: dict[str, float]
    #: Language-neutral: a catalogue key and parameters each (:mod:`core.messages`).
    reasons: tuple[Message, ...]
    ties: tuple[CustomerTie, ...]
    facts: dict[str, int | str]
    suggested_branch_id: str | None
    suggested_rm_id: str | None
    introducer_id: str | None
    introducer_name: str | None

    @property
    def linked_customer_ids(self) -> tuple[str, ...]:
        return tuple(t.customer_id for t in self.ties)


@dataclass(frozen=True)
class Exclusion:
    """A candidate that was not scored, and why."""

    company_id: str
    reason: str  # "blocklist", "status:<status>" or "hub:<customers>"


@dataclass(frozen=True)
class ProspectRanking:
    """Scored prospects, best first, and the exclusions."""

    prospects: tuple[ProspectScore, ...]
    excluded: tuple[Exclusion, ...]


# --- money display -------------------------------------------------------------------------
def format_money_en(minor: int, currency: str) -> str:
    """An amount as an English reason quotes it (compact): ``CNY 12.35M``.

    Examples
    --------
    >>> format_money_en(45_000_000, "CNY"), format_money_en(123_45, "USD")
    ('CNY 450,000.00', 'USD 123.45')
    """
    return format_money(from_minor_units(minor, currency), currency, "en", compact=True)


def format_money_zh(minor: int, currency: str) -> str:
    """An amount as a Chinese reason quotes it: ``¥2.50亿``, ``¥12.30万``.

    Examples
    --------
    >>> format_money_zh(25_000_000_000, "CNY"), format_money_zh(123_000_00, "CNY")
    ('¥2.50亿', '¥12.30万')
    """
    return format_money(from_minor_units(minor, currency), currency, "zh")


# --- scoring ---------------------------------------------------------------------------------
def _log_scaled(values: pd.Series, maximum: float) -> dict[str, float]:
    """``log(1 + v) / log(1 + maximum)`` per key (0 when nothing is positive)."""
    if maximum <= 0:
        return {str(k): 0.0 for k in values.index}
    scale = math.log1p(maximum)
    return {str(k): math.log1p(float(v)) / scale for k, v in values.items()}


def _percentiles(values: Mapping[str, float], ids: Iterable[str]) -> dict[str, float]:
    """Percentile rank (0 = lowest, 1 = highest; ties share the mean rank) among ``ids``."""
    id_list = list(ids)
    if not id_list:
        return {}
    series = pd.Series([float(values.get(i, 0.0)) for i in id_list], index=id_list)
    if len(series) == 1:
        return {id_list[0]: 1.0 if series.iloc[0] > 0 else 0.0}
    ranks = (series.rank(method="average") - 1) / (len(series) - 1)
    return {str(k): float(v) for k, v in ranks.items()}


def _trend(monthly: list[int]) -> float:
    """Relative least-squares slope per month (slope / mean); 0 for flat or short series."""
    active = sum(1 for v in monthly if v)
    if active < 3:
        return 0.0
    y = np.asarray(monthly, dtype=float)
    mean = float(y.mean())
    if mean <= 0:
        return 0.0
    slope = float(np.polyfit(np.arange(len(y), dtype=float), y, 1)[0])
    return slope / mean


def _quarter_growth(monthly: list[int]) -> float | None:
    """Growth of the last three months over the first three, or ``None``."""
    if len(monthly) < 6:
        return None
    first, last = sum(monthly[:3]), sum(monthly[-3:])
    return None if first <= 0 else (last - first) / first


def _keys(index: pd.Index) -> list[tuple[str, ...]]:
    """An aggregate's (multi-)index as tuples of strings.

    Examples
    --------
    >>> _keys(pd.MultiIndex.from_tuples([("P1", "2025-01")]))
    [('P1', '2025-01')]
    """
    levels = [map(str, index.get_level_values(i).tolist()) for i in range(index.nlevels)]
    return list(zip(*levels, strict=True))


def _keyed(series: pd.Series) -> dict[tuple[str, ...], int]:
    """A grouped sum or count as ``{(key, ...): int}`` (read column-wise, not row by row).

    Examples
    --------
    >>> frame = pd.DataFrame({"p": ["A", "A", "B"], "m": ["1", "1", "2"], "v": [1, 2, 5]})
    >>> _keyed(frame.groupby(["p", "m"])["v"].sum())
    {('A', '1'): 3, ('B', '2'): 5}
    """
    return {
        key: int(value) for key, value in zip(_keys(series.index), series.tolist(), strict=True)
    }


def _by_month(values: Mapping[tuple[str, ...], int], months: Sequence[str]) -> dict[str, list[int]]:
    """``{(prospect, month): value}`` as each prospect's values on ``months`` (0 where
    it has none; months off the axis are left out).

    Examples
    --------
    >>> _by_month({("P1", "2025-02"): 5, ("P1", "2025-09"): 7}, ["2025-01", "2025-02"])
    {'P1': [0, 5]}
    """
    places: dict[str, list[int]] = {}
    for i, month in enumerate(months):
        places.setdefault(month, []).append(i)
    out: dict[str, list[int]] = {}
    for (prospect, month), value in values.items():
        for i in places.get(month, ()):
            out.setdefault(prospect, [0] * len(months))[i] = value
    return out


def exact_amounts(amounts: pd.Series) -> pd.Series:
    """Minor units as Python integers, so that sums are exact.

    A monthly flow may hold up to 2^63 - 1 minor units; summed as int64, two of them
    wrap to a negative total (and ``log1p`` of it fails). Python integers do not wrap.

    Examples
    --------
    >>> big = pd.Series([2**63 - 1, 2], dtype="int64")
    >>> int(big.sum()) < 0, exact_amounts(big).sum() == 2**63 + 1
    (True, True)
    """
    return amounts.map(int).astype(object)


def _empty_flows() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in FLOW_COLUMNS})


def hub_counterparties(
    flows: pd.DataFrame, customer_count: int, config: ProspectConfig
) -> dict[str, int]:
    """Non-customers tied to so many customers that they are market infrastructure.

    A tax bureau, a social-security fund, a power grid or water company, a payroll
    agent, a logistics or e-commerce platform is paid by a fixed share of *all*
    customers, whatever they make; a value-chain prospect trades with a handful to a
    few dozen. A candidate tied (either direction) to at least
    ``hub_customer_share`` of the customers and at least ``hub_min_customers`` of
    them is a hub. Returns ``{company_id: tied customers}``.

    Examples
    --------
    >>> import pandas as pd
    >>> rows = [("TAX", f"C{i}", "in", "2025-01", "CNY", 100, 1) for i in range(30)]
    >>> rows += [("P1", f"C{i}", "in", "2025-01", "CNY", 100, 1) for i in range(5)]
    >>> hub_counterparties(pd.DataFrame(rows, columns=list(FLOW_COLUMNS)), 100, ProspectConfig())
    {'TAX': 30}
    """
    if flows.empty or customer_count <= 0:
        return {}
    tied = flows.groupby("prospect_id", sort=True)["customer_id"].nunique()
    floor = max(config.hub_min_customers, math.ceil(config.hub_customer_share * customer_count))
    return {str(pid): int(n) for pid, n in tied.items() if int(n) >= floor}


def score_prospects(
    candidates: Iterable[Candidate],
    customers: Mapping[str, CustomerInfo],
    flows: pd.DataFrame | None,
    supply_links: Iterable[SupplyLink] = (),
    *,
    core_enterprises: Mapping[str, str] | None = None,
    influence: Mapping[str, float] | None = None,
    config: ProspectConfig | None = None,
) -> ProspectRanking:
    """Score every candidate from its ties to customers.

    Parameters
    ----------
    candidates
        Non-customer companies (customers among them are ignored).
    customers
        Every customer by id.
    flows
        Payments between candidates and customers, columns :data:`FLOW_COLUMNS`.
    supply_links
        Supply links; those between a candidate and a customer count.
    core_enterprises
        ``{company_id: name}`` of supply-chain core enterprises (customers or not).
    influence
        A flow-graph centrality (PageRank) per company; used as a percentile.
    config
        Weights and thresholds.

    Returns
    -------
    ProspectRanking
        Candidates with at least ``min_customers`` tied customers, best first
        (ties broken by id), and the excluded candidates.
    """
    cfg = config or ProspectConfig()
    cores = dict(core_enterprises or {})
    frame = _empty_flows() if flows is None or flows.empty else flows.loc[:, list(FLOW_COLUMNS)]
    frame = frame[frame["customer_id"].isin(list(customers))]
    frame = frame.assign(amount_minor=exact_amounts(frame["amount_minor"]))
    months = cfg.months or tuple(sorted(frame["month"].unique().tolist()))

    included: dict[str, Candidate] = {}
    excluded: list[Exclusion] = []
    hubs = hub_counterparties(frame, len(customers), cfg)
    for cand in candidates:
        if cand.company_id in customers:
            continue
        if cand.company_id in cfg.blocklist or (cand.uscc and cand.uscc in cfg.blocklist):
            excluded.append(Exclusion(cand.company_id, "blocklist"))
        elif cand.status in cfg.excluded_statuses:
            excluded.append(Exclusion(cand.company_id, f"status:{cand.status}"))
        elif cand.company_id in hubs:
            excluded.append(Exclusion(cand.company_id, f"hub:{hubs[cand.company_id]}"))
        else:
            included[cand.company_id] = cand
    frame = frame[frame["prospect_id"].isin(list(included))]

    # Supply links between an included candidate and a customer.
    supply_by: dict[str, list[tuple[str, str, int, str]]] = {}
    for link in supply_links:
        if link.supplier_id in included and link.buyer_id in customers:
            supply_by.setdefault(link.supplier_id, []).append(
                (link.buyer_id, "supplier", link.annual_amount_minor, link.currency)
            )
        elif link.buyer_id in included and link.supplier_id in customers:
            supply_by.setdefault(link.buyer_id, []).append(
                (link.supplier_id, "buyer", link.annual_amount_minor, link.currency)
            )

    base = frame[frame["currency"] == cfg.currency]
    per_tie = (
        frame.groupby(["prospect_id", "customer_id"], sort=False)
        .agg(txn_count=("txn_count", "sum"), months=("month", "nunique"))
        .reset_index()
    )
    amounts = base.groupby(["prospect_id", "customer_id", "direction"], sort=False)[
        "amount_minor"
    ].sum()
    totals = base.groupby("prospect_id", sort=False)["amount_minor"].sum()
    counts = frame.groupby("prospect_id", sort=False)["txn_count"].sum()
    monthly_breadth = frame.groupby(["prospect_id", "month"], sort=False)["customer_id"].nunique()
    monthly_amount = base.groupby(["prospect_id", "month"], sort=False)["amount_minor"].sum()
    per_direction = frame.groupby(["prospect_id", "direction"], sort=False).agg(
        customers=("customer_id", "nunique"), months=("month", "nunique")
    )

    breadth_by = _by_month(_keyed(monthly_breadth), months)
    amount_by = _by_month(_keyed(monthly_amount), months)
    no_months = [0] * len(months)
    direction_of = {
        key: (int(n), int(m))
        for key, n, m in zip(
            _keys(per_direction.index),
            per_direction["customers"].tolist(),
            per_direction["months"].tolist(),
            strict=True,
        )
    }
    amount_by_tie = _keyed(amounts)
    max_amount = float(totals.max()) if len(totals) else 0.0
    max_count = float(counts.max()) if len(counts) else 0.0
    amount_c = _log_scaled(totals, max_amount)
    count_c = _log_scaled(counts, max_count)
    ties_by: dict[str, list[CustomerTie]] = {}
    supply_roles: dict[tuple[str, str], list[str]] = {}
    group_ids = {cid: c.group_ids for cid, c in customers.items() if c.group_ids}
    for pid, links in supply_by.items():
        for cid, role, _, _ in links:
            supply_roles.setdefault((pid, cid), []).append(role)
    for pid_raw, cid_raw, txn_count, tie_months in zip(
        per_tie["prospect_id"].tolist(),
        per_tie["customer_id"].tolist(),
        per_tie["txn_count"].tolist(),
        per_tie["months"].tolist(),
        strict=True,
    ):
        pid, cid = str(pid_raw), str(cid_raw)
        key = (pid, cid)
        paid_in = amount_by_tie.get((pid, cid, "in"), 0)
        paid_out = amount_by_tie.get((pid, cid, "out"), 0)
        ties_by.setdefault(pid, []).append(
            CustomerTie(
                cid,
                customers[cid].name,
                paid_in,
                paid_out,
                int(txn_count),
                int(tie_months),
                tuple(sorted(supply_roles.pop(key, []))),
            )
        )
    for (pid, cid), roles in supply_roles.items():  # supply links without payments
        ties_by.setdefault(pid, []).append(
            CustomerTie(cid, customers[cid].name, 0, 0, 0, 0, tuple(sorted(roles)))
        )

    scored_ids = [
        pid for pid in sorted(included) if len(ties_by.get(pid, ())) >= max(cfg.min_customers, 1)
    ]
    influence_c = _percentiles(influence or {}, scored_ids)
    weights = cfg.weights.as_dict()
    weight_total = sum(weights.values()) or 1.0
    results: list[ProspectScore] = []
    for pid in scored_ids:
        cand = included[pid]
        ties = sorted(
            ties_by[pid], key=lambda t: (-t.amount_minor, -t.months, -t.txn_count, t.customer_id)
        )
        series = amount_by.get(pid, no_months)
        breadth = breadth_by.get(pid, no_months)
        active_months = sum(1 for n in breadth if n)
        links = supply_by.get(pid, [])
        core_links = [cid for cid, _, _, _ in links if cid in cores]
        groups = {g for t in ties for g in group_ids.get(t.customer_id, ())}
        rel_slope = _trend(series)
        components = {
            "customers": min(
                1.0, (sum(breadth) / len(months) if months else 0.0) / cfg.customer_saturation
            ),
            "months": active_months / len(months) if months else 0.0,
            "amount": float(amount_c.get(pid, 0.0)),
            "count": float(count_c.get(pid, 0.0)),
            "trend": 0.0
            if active_months < 3
            else min(1.0, max(0.0, 0.5 + cfg.trend_scale * rel_slope)),
            "supply": min(
                1.0,
                (len({c for c, _, _, _ in links}) + 2 * len(set(core_links)))
                / cfg.supply_saturation,
            ),
            "groups": min(1.0, len(groups) / cfg.group_saturation),
            "influence": float(influence_c.get(pid, 0.0)),
        }
        components = {k: round(v, 4) for k, v in components.items()}
        score = round(sum(weights[k] * components[k] for k in COMPONENTS) / weight_total, 4)

        paid_in = sum(t.paid_in_minor for t in ties)
        paid_out = sum(t.paid_out_minor for t in ties)
        facts: dict[str, int | str] = {
            "currency": cfg.currency,
            "paid_in_minor": paid_in,
            "paid_out_minor": paid_out,
            "customers_in": direction_of.get((pid, "in"), (0, 0))[0],
            "months_in": direction_of.get((pid, "in"), (0, 0))[1],
            "customers_out": direction_of.get((pid, "out"), (0, 0))[0],
            "months_out": direction_of.get((pid, "out"), (0, 0))[1],
            "customers": len(ties),
            "months_active": active_months,
            "months_in_window": len(months),
            "min_monthly_customers": min(breadth) if breadth else 0,
            "txn_count": sum(t.txn_count for t in ties),
            "supply_links": len(links),
            "core_links": len(set(core_links)),
            "groups": len(groups),
        }
        growth = _quarter_growth(series)
        if growth is not None:
            facts["growth_pct"] = round(growth * 100)
        top = ties[0] if ties else None
        owner = customers[top.customer_id] if top else None
        reasons = _reasons(facts, ties, links, cores, customers, cfg.currency)
        if pid in cores:
            reasons = (Message(N_("core enterprise of a supply chain")), *reasons)
        results.append(
            ProspectScore(
                company_id=pid,
                name=cand.name,
                uscc=cand.uscc,
                industry=cand.industry,
                region=cand.region,
                score=score,
                components=components,
                reasons=reasons,
                ties=tuple(ties),
                facts=facts,
                suggested_branch_id=owner.branch_id if owner else None,
                suggested_rm_id=owner.rm_id if owner else None,
                introducer_id=top.customer_id if top else None,
                introducer_name=top.customer_name if top else None,
            )
        )
    results.sort(key=lambda p: (-p.score, p.company_id))
    logger.debug("scored %d prospects, excluded %d", len(results), len(excluded))
    return ProspectRanking(tuple(results), tuple(sorted(excluded, key=lambda e: e.company_id)))


def _reasons(
    facts: Mapping[str, int | str],
    ties: list[CustomerTie],
    links: list[tuple[str, str, int, str]],
    cores: Mapping[str, str],
    customers: Mapping[str, CustomerInfo],
    currency: str,
) -> tuple[Message, ...]:
    """Reasons quoting the figures in ``facts``: catalogue keys and their parameters,
    rendered in the reader's language when shown (:mod:`core.messages`)."""
    out: list[Message] = []
    paid_in, paid_out = int(facts["paid_in_minor"]), int(facts["paid_out_minor"])
    if paid_in > 0:
        out.append(
            Message(
                N_("paid {amount} by {customers} customers over {months} months"),
                {
                    "amount": Money(paid_in, currency),
                    "customers": int(facts["customers_in"]),
                    "months": int(facts["months_in"]),
                },
            )
        )
    if paid_out > 0:
        out.append(
            Message(
                N_("paid {amount} to {customers} customers over {months} months"),
                {
                    "amount": Money(paid_out, currency),
                    "customers": int(facts["customers_out"]),
                    "months": int(facts["months_out"]),
                },
            )
        )
    least, window = int(facts["min_monthly_customers"]), int(facts["months_in_window"])
    if least >= 2 and window:
        out.append(
            Message(
                N_("trades with at least {customers} customers in every one of {months} months"),
                {"customers": least, "months": window},
            )
        )
    for cid, role, _, _ in links:
        if cid in cores:
            key = (
                N_("supplier of core enterprise {name}")
                if role == "supplier"
                else N_("buyer of core enterprise {name}")
            )
            out.append(Message(key, {"name": cores[cid]}))
    plain = [(c, r, a, cur) for c, r, a, cur in links if c not in cores]
    for role, key in (
        ("supplier", N_("supplies {customers} customers ({amount} a year)")),
        ("buyer", N_("buys from {customers} customers ({amount} a year)")),
    ):
        chosen = [(c, a, cur) for c, r, a, cur in plain if r == role]
        if not chosen:
            continue
        annual = sum(a for _, a, cur in chosen if cur == currency)
        out.append(
            Message(
                key,
                {"customers": len({c for c, _, _ in chosen}), "amount": Money(annual, currency)},
            )
        )
    growth = facts.get("growth_pct")
    if isinstance(growth, int) and growth >= 10:
        out.append(Message(N_("payments up {pct}% (first to last quarter)"), {"pct": growth}))
    if int(facts["groups"]) > 0:
        out.append(
            Message(N_("linked to {groups} customer groups"), {"groups": int(facts["groups"])})
        )
    if ties:
        out.append(_strongest_tie(ties[0], customers[ties[0].customer_id].name, currency))
    return tuple(out)


def _strongest_tie(top: CustomerTie, name: str, currency: str) -> Message:
    """The strongest tie, naming only the relation it really has.

    Its amount in ``currency`` when there is one; else its payments in other
    currencies (their count and months); else its supply link, by role.

    Examples
    --------
    >>> _strongest_tie(CustomerTie("C1", "甲", 0, 0, 4, 3), "甲", "CNY").params["payments"]
    4
    >>> _strongest_tie(CustomerTie("C1", "甲", 0, 0, 0, 0, ("buyer",)), "甲", "CNY").key
    'strongest tie: {name} (a customer it buys from)'
    """
    if top.amount_minor > 0:
        return Message(
            N_("strongest tie: {name} ({amount} over {months} months)"),
            {"name": name, "amount": Money(top.amount_minor, currency), "months": top.months},
        )
    if top.months > 0:
        return Message(
            N_(
                "strongest tie: {name} ({payments} payments in other currencies "
                "over {months} months)"
            ),
            {"name": name, "payments": top.txn_count, "months": top.months},
        )
    if "supplier" in top.supply_roles:
        return Message(N_("strongest tie: {name} (a customer it supplies)"), {"name": name})
    return Message(N_("strongest tie: {name} (a customer it buys from)"), {"name": name})
