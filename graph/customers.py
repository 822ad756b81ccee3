"""Customer screening and the single-customer view (360): the Cypher and its assembly.

Every query here is branch-scoped with :func:`graph.branches.scope_predicate`; a
customer outside the caller's subtree is indistinguishable from one that does
not exist. Money leaves as exact decimal strings with their currency.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final, LiteralString

from core.errors import InputValidationError, NotFoundError
from core.money import from_minor_units

from .branches import BranchScope, scope_predicate
from .compute_runs import EVENT_PUBLISHED, READ_POINTERS, STEPS, published_runs, runs_from_rows
from .database import Database, Reader, TransactionReader, read_folded
from .models import CustomerSections
from .scoping import Anonymiser, is_visible

Record = dict[str, Any]


def money_of(minor: int, currency: str) -> dict[str, str]:
    """``{"amount": "1234.50", "currency": "CNY"}`` from integer minor units.

    Examples
    --------
    >>> money_of(123450, "CNY")
    {'amount': '1234.50', 'currency': 'CNY'}
    """
    return {"amount": str(from_minor_units(int(minor), currency)), "currency": currency}


def money(minor: int | None, currency: str | None) -> dict[str, str] | None:
    """:func:`money_of`, or ``None`` when the amount or its currency is missing."""
    if minor is None or currency is None:
        return None
    return money_of(minor, currency)


def totals_by_currency(rows: list[Record], amount_key: str) -> list[dict[str, str]]:
    """Exact sums of ``amount_key`` (minor units) per currency, sorted by currency."""
    sums: dict[str, int] = defaultdict(int)
    for row in rows:
        if row.get(amount_key) is not None and row.get("currency"):
            sums[str(row["currency"])] += int(row[amount_key])
    return [{"amount": str(from_minor_units(v, k)), "currency": k} for k, v in sorted(sums.items())]


# --- screening -----------------------------------------------------------------------------
SORTS: Final[dict[str, LiteralString]] = {
    "name": "c.name",
    "exposure": "exposure_cny",
    "segment": "c.segment",
    "id": "c.company_id",
}

# Three ways in, by what the search text is: a USCC (index lookup), two or more
# characters of a name (the CJK full-text index finds candidates by character
# bigrams; CONTAINS then keeps exact substring matches), or nothing/one character
# (a scan of the customers in scope).
SCREEN_FROM_USCC: Final[LiteralString] = "MATCH (c:Company {uscc: $q_uscc}) WHERE c:Customer AND "
SCREEN_FROM_NAME: Final[LiteralString] = (
    "CALL db.index.fulltext.queryNodes('company_name_fulltext', $q_fulltext) "
    "YIELD node AS c WHERE c:Customer AND (c.name CONTAINS $q OR c.name_key CONTAINS $q_key) AND "
)
SCREEN_FROM_SCAN: Final[LiteralString] = (
    "MATCH (c:Customer) WHERE ($q IS NULL OR c.name CONTAINS $q OR c.name_key CONTAINS $q_key) AND "
)
SCREEN_FILTERS: Final[LiteralString] = (
    scope_predicate("c") + " "
    "AND ($segment IS NULL OR c.segment = $segment) "
    "AND ($industry IS NULL OR c.industry = $industry) "
    "AND ($region IS NULL OR c.region = $region) "
    "AND ($branch IS NULL OR c.branch_id IN $branch_subtree) "
    "AND ($rm IS NULL OR c.rm_id = $rm) "
    "AND ($holds IS NULL OR EXISTS { (c)-[:HOLDS]->(:Product {product_code: $holds}) }) "
    "AND ($lacks IS NULL OR NOT EXISTS { (c)-[:HOLDS]->(:Product {product_code: $lacks}) }) "
    "AND ($group IS NULL OR EXISTS { "
    "  (c)-[:MEMBER_OF]->(:Group {group_id: $group, run_id: $group_run}) }) "
    "AND ($open_events IS NULL OR $open_events = EXISTS { "
    "  (e:Event)-[:ABOUT]->(c) WHERE e.status IN ['new', 'acknowledged'] "
    "  AND " + EVENT_PUBLISHED + " }) "
    # The loader keeps each customer's CNY outstanding on the node (exposure_cny_minor).
    "WITH c, coalesce(c.exposure_cny_minor, 0) AS exposure_cny "
    "WHERE ($min_exposure IS NULL OR exposure_cny >= $min_exposure) "
    "AND ($max_exposure IS NULL OR exposure_cny <= $max_exposure) "
)
SCREEN_COUNT_TAIL: Final[LiteralString] = "RETURN count(c) AS total"
SCREEN_PAGE_TAIL: Final[LiteralString] = (
    "RETURN c.company_id AS id, c.name AS name, c.uscc AS uscc, c.segment AS segment, "
    "c.industry AS industry, c.region AS region, c.branch_id AS branch_id, c.rm_id AS rm_id, "
    "head([(c)-[:BOOKED_AT]->(b:Branch) | b.name]) AS branch_name, "
    "head([(c)-[:MANAGED_BY]->(m:RelationshipManager) | m.name]) AS rm_name, "
    "exposure_cny "
)
_LUCENE_SPECIAL: Final = frozenset('+-&|!(){}[]^"~*?:\\/')


def fulltext_phrase(text: str) -> str:
    r"""A Lucene phrase query for ``text``, special characters escaped.

    Examples
    --------
    >>> fulltext_phrase('华为(北京)')
    '"华为\\(北京\\)"'
    """
    escaped = "".join("\\" + ch if ch in _LUCENE_SPECIAL else ch for ch in text)
    return f'"{escaped}"'


def _screen_entry(filters_q: str | None) -> LiteralString:
    from core.uscc import is_valid_uscc

    if filters_q is None:
        return SCREEN_FROM_SCAN
    if is_valid_uscc(filters_q):
        return SCREEN_FROM_USCC
    if len(filters_q) >= 2:
        return SCREEN_FROM_NAME
    return SCREEN_FROM_SCAN


@dataclass(frozen=True)
class ScreeningFilters:
    """The filters of ``GET /api/v1/customers`` (all optional)."""

    q: str | None = None
    segment: str | None = None
    industry: str | None = None
    region: str | None = None
    branch: str | None = None
    rm: str | None = None
    min_exposure: Decimal | None = None  # CNY
    max_exposure: Decimal | None = None
    holds: str | None = None
    lacks: str | None = None
    group: str | None = None
    has_open_events: bool | None = None


def _screen_parameters(
    db: Database, filters: ScreeningFilters, scope: BranchScope, branch_subtree: list[str]
) -> dict[str, Any]:
    from core.names import name_key
    from core.uscc import normalise_uscc

    q = filters.q.strip() if filters.q else None
    return {
        **scope.parameters(),
        "q": q or None,
        "q_key": name_key(q) if q else None,
        "q_uscc": normalise_uscc(q) if q else None,
        "q_fulltext": fulltext_phrase(q) if q else None,
        "segment": filters.segment,
        "industry": filters.industry,
        "region": filters.region,
        "branch": filters.branch,
        "branch_subtree": branch_subtree,
        "rm": filters.rm,
        "holds": filters.holds,
        "lacks": filters.lacks,
        "group": filters.group,
        "open_events": filters.has_open_events,
        **published_runs(db, ("group_risk", "events")).parameters(),
        "min_exposure": int(filters.min_exposure * 100)
        if filters.min_exposure is not None
        else None,
        "max_exposure": int(filters.max_exposure * 100)
        if filters.max_exposure is not None
        else None,
    }


def screen_customers(
    db: Database,
    scope: BranchScope,
    filters: ScreeningFilters,
    *,
    branch_subtree: list[str],
    sort: str = "name",
    descending: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[Record]]:
    """One page of customers matching ``filters`` in the caller's scope, and the total."""
    if sort not in SORTS:
        raise InputValidationError(f"sort must be one of {', '.join(SORTS)}")
    params = _screen_parameters(db, filters, scope, branch_subtree)
    match = _screen_entry(params["q"]) + SCREEN_FILTERS
    total_row = db.read_one(match + SCREEN_COUNT_TAIL, params)
    total = int(total_row["total"]) if total_row else 0
    order: LiteralString = SORTS[sort] + (" DESC" if descending else "")
    query: LiteralString = (
        match + SCREEN_PAGE_TAIL + "ORDER BY " + order + ", id SKIP $offset LIMIT $limit"
    )
    rows = db.read(query, {**params, "offset": offset, "limit": limit})
    for row in rows:
        row["exposure"] = money(row.pop("exposure_cny"), "CNY")
    return total, rows


# --- the 360 -------------------------------------------------------------------------------
PROFILE: Final[LiteralString] = (
    "MATCH (c:Company {company_id: $id}) WHERE c:Customer AND " + scope_predicate("c") + " "
    "OPTIONAL MATCH (c)-[:BOOKED_AT]->(b:Branch) "
    "OPTIONAL MATCH (c)-[:MANAGED_BY]->(m:RelationshipManager) "
    "RETURN c.company_id AS id, c.name AS name, c.uscc AS uscc, c.segment AS segment, "
    "c.industry AS industry, c.region AS region, c.status AS status, "
    "c.founded AS founded, c.registered_capital_minor AS registered_capital_minor, "
    "c.registered_capital_currency AS registered_capital_currency, "
    "b.branch_id AS branch_id, b.name AS branch_name, m.rm_id AS rm_id, m.name AS rm_name"
)
SEGMENT_HISTORY: Final[LiteralString] = (
    "MATCH (:Company {company_id: $id})-[:HAS_SEGMENT]->(s:SegmentSnapshot) "
    "RETURN s.as_of AS as_of, s.segment AS segment ORDER BY as_of"
)
HOLDINGS: Final[LiteralString] = (
    "MATCH (:Company {company_id: $id})-[h:HOLDS]->(p:Product) "
    "RETURN p.product_code AS product_code, p.name AS name, p.category AS category, "
    "h.balance_minor AS balance_minor, h.currency AS currency, h.opened AS opened "
    "ORDER BY product_code"
)
FACILITIES: Final[LiteralString] = (
    "MATCH (:Company {company_id: $id})-[:HAS_FACILITY]->(f:Facility) "
    "RETURN f.facility_id AS facility_id, f.product AS product, f.limit_minor AS limit_minor, "
    "f.outstanding_minor AS outstanding_minor, f.currency AS currency, f.maturity AS maturity "
    "ORDER BY facility_id"
)
GUARANTEES_GIVEN: Final[LiteralString] = (
    "MATCH (:Company {company_id: $id})-[g:GUARANTEES]->(o:Company) "
    "RETURN g.guarantee_id AS guarantee_id, o.company_id AS company_id, o.name AS name, "
    "coalesce(o.is_customer, false) OR o:Customer AS is_customer, o.branch_id AS branch_id, "
    "g.amount_minor AS amount_minor, g.currency AS currency, "
    "g.start_date AS start_date, g.end_date AS end_date ORDER BY guarantee_id"
)
GUARANTEES_RECEIVED: Final[LiteralString] = (
    "MATCH (o:Company)-[g:GUARANTEES]->(:Company {company_id: $id}) "
    "RETURN g.guarantee_id AS guarantee_id, o.company_id AS company_id, o.name AS name, "
    "coalesce(o.is_customer, false) OR o:Customer AS is_customer, o.branch_id AS branch_id, "
    "g.amount_minor AS amount_minor, g.currency AS currency, "
    "g.start_date AS start_date, g.end_date AS end_date ORDER BY guarantee_id"
)
SUPPLIERS: Final[LiteralString] = (
    "MATCH (s:Company)-[r:SUPPLIES]->(:Company {company_id: $id}) "
    "RETURN s.company_id AS company_id, s.name AS name, s.is_customer AS is_customer, "
    "s.branch_id AS branch_id, r.annual_amount_minor AS amount_minor, r.currency AS currency, "
    "r.category AS category ORDER BY coalesce(amount_minor, 0) DESC, company_id LIMIT $top"
)
BUYERS: Final[LiteralString] = (
    "MATCH (:Company {company_id: $id})-[r:SUPPLIES]->(b:Company) "
    "RETURN b.company_id AS company_id, b.name AS name, b.is_customer AS is_customer, "
    "b.branch_id AS branch_id, r.annual_amount_minor AS amount_minor, r.currency AS currency, "
    "r.category AS category ORDER BY coalesce(amount_minor, 0) DESC, company_id LIMIT $top"
)
LATEST_MONTH: Final[LiteralString] = "MATCH ()-[r:PAYS]->() RETURN max(r.month) AS month"
COUNTERPARTIES_OUT: Final[LiteralString] = (
    "MATCH (:Company {company_id: $id})-[r:PAYS]->(o:Company) "
    "WHERE r.month >= $from_month AND r.month <= $to_month "
    "RETURN o.company_id AS company_id, o.name AS name, o.is_customer AS is_customer, "
    "o.branch_id AS branch_id, r.currency AS currency, "
    "collect({month: r.month, amount_minor: r.amount_minor, txn_count: r.txn_count}) AS months"
)
COUNTERPARTIES_IN: Final[LiteralString] = (
    "MATCH (o:Company)-[r:PAYS]->(:Company {company_id: $id}) "
    "WHERE r.month >= $from_month AND r.month <= $to_month "
    "RETURN o.company_id AS company_id, o.name AS name, o.is_customer AS is_customer, "
    "o.branch_id AS branch_id, r.currency AS currency, "
    "collect({month: r.month, amount_minor: r.amount_minor, txn_count: r.txn_count}) AS months"
)


#: The company's primary group (a jointly controlled company belongs to several).
GROUP_OF: Final[LiteralString] = """
MATCH (:Company {company_id: $id})-[m:MEMBER_OF]->(g:Group {run_id: $group_run})
OPTIONAL MATCH (pp:Person {person_id: g.controller_id})
OPTIONAL MATCH (pc:Company {company_id: g.controller_id})
RETURN g.group_id AS group_id, g.controller_id AS controller_id,
       coalesce(pp.name, pc.name) AS controller_name,
       coalesce(pc.is_customer, false) OR coalesce(pc:Customer, false) AS controller_is_customer,
       pc.branch_id AS controller_branch_id,
       g.controller_type AS controller_type, m.role AS role, m.depth AS depth, g.size AS size,
       g.currencies AS currencies, g.limit_minor AS limit_minor,
       g.outstanding_minor AS outstanding_minor, g.over_concentration AS over_concentration,
       g.rank AS rank
ORDER BY coalesce(m.primary, true) DESC, g.group_id
LIMIT 1
"""
CIRCLES_OF: Final[LiteralString] = """
MATCH (:Company {company_id: $id})-[:IN_CIRCLE]->(k:GuaranteeCircle {run_id: $group_run})
MATCH (o:Company)-[:IN_CIRCLE]->(k)
WITH k, o ORDER BY o.company_id
RETURN k.circle_id AS circle_id, k.size AS size, k.currencies AS currencies,
       k.amounts_minor AS amounts_minor,
       collect({id: o.company_id, name: o.name, is_customer: coalesce(o.is_customer, false),
                branch_id: o.branch_id}) AS members
"""
INTRODUCED_PROSPECTS: Final[LiteralString] = """
MATCH (r:Prospect {run_id: $prospect_run, introducer_id: $id})
MATCH (p:Company {company_id: r.company_id})
RETURN p.company_id AS id, p.name AS name, r.prospect_score AS score, r.prospect_rank AS rank
ORDER BY score DESC, id LIMIT $top
"""


#: The 360's reads anchored on the customer, folded into one statement (:func:`read_folded`).
SECTION_QUERIES: Final[dict[str, LiteralString]] = {
    "profile": PROFILE,
    "segment_history": SEGMENT_HISTORY,
    "holdings": HOLDINGS,
    "facilities": FACILITIES,
    "guarantees_given": GUARANTEES_GIVEN,
    "guarantees_received": GUARANTEES_RECEIVED,
    "suppliers": SUPPLIERS,
    "buyers": BUYERS,
    "latest_month": LATEST_MONTH,
    "group_of": GROUP_OF,
    "circles_of": CIRCLES_OF,
    "introduced_prospects": INTRODUCED_PROSPECTS,
}
#: The payments window's counterparties, both directions in one statement.
COUNTERPARTY_QUERIES: Final[dict[str, LiteralString]] = {
    "flows_out": COUNTERPARTIES_OUT,
    "flows_in": COUNTERPARTIES_IN,
}


def _group_section(row: Record | None, anon: Anonymiser) -> Record:
    if row is None:
        return {}
    controller_id = row["controller_id"]
    anon.learn(
        str(controller_id),
        name=row["controller_name"],
        is_customer=bool(row.pop("controller_is_customer")),
        branch_id=row.pop("controller_branch_id"),
    )
    currencies = list(row.pop("currencies") or [])
    limits = list(row.pop("limit_minor") or [])
    outstanding = list(row.pop("outstanding_minor") or [])
    row.pop("controller_id")
    row["controller"] = {
        "id": anon.id(controller_id),
        "name": anon.name(controller_id, row.pop("controller_name")),
        "type": row.pop("controller_type"),
    }
    row["exposure"] = {
        "limit_total": [money(v, c) for c, v in zip(currencies, limits, strict=False)],
        "outstanding_total": [money(v, c) for c, v in zip(currencies, outstanding, strict=False)],
    }
    return row


def _circle_section(rows: list[Record], scope: BranchScope) -> list[Record]:
    circles = []
    for row in rows:
        visible = [m for m in row["members"] if _visible_company(m, scope)]
        circles.append(
            {
                "circle_id": row["circle_id"],
                "size": row["size"],
                "members": [{"id": m["id"], "name": m["name"]} for m in visible],
                "members_in_other_branches": len(row["members"]) - len(visible),
                "amounts": [
                    money(v, c)
                    for c, v in zip(
                        row["currencies"] or [], row["amounts_minor"] or [], strict=False
                    )
                ],
            }
        )
    return circles


def month_window(latest: str, months: int = 12) -> tuple[str, str]:
    """The ``months`` calendar months ending at ``latest`` (``YYYY-MM``).

    Examples
    --------
    >>> month_window("2025-12"), month_window("2025-03", 6)
    (('2025-01', '2025-12'), ('2024-10', '2025-03'))
    """
    year, month = (int(p) for p in latest.split("-"))
    index = year * 12 + (month - 1) - (months - 1)
    return f"{index // 12:04d}-{index % 12 + 1:02d}", latest


#: The values of :func:`trend`.
TRENDS: Final[tuple[str, ...]] = ("up", "down", "flat")


def trend(monthly: list[int]) -> str:
    """``up``, ``down`` or ``flat``: the last quarter against the quarter before.

    Examples
    --------
    >>> trend([10, 10, 10, 20, 20, 20]), trend([5, 5, 5, 1, 1, 1]), trend([3, 3, 3, 3, 3, 3])
    ('up', 'down', 'flat')
    """
    recent, before = sum(monthly[-3:]), sum(monthly[-6:-3])
    if before == 0:
        return "up" if recent > 0 else "flat"
    change = (recent - before) / before
    return "up" if change > 0.1 else "down" if change < -0.1 else "flat"


def _months_between(first: str, last: str) -> list[str]:
    year, month = (int(p) for p in first.split("-"))
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return out


def _visible_company(row: Record, scope: BranchScope) -> bool:
    """Companies booked outside the caller's subtree never show; others and persons do."""
    return is_visible(
        scope, is_customer=bool(row.get("is_customer")), branch_id=row.get("branch_id")
    )


def _counterparties(
    rows: list[Record], window: list[str], scope: BranchScope, top: int
) -> list[Record]:
    result = []
    for row in rows:
        if not _visible_company(row, scope):
            continue
        by_month = {m["month"]: int(m["amount_minor"]) for m in row["months"]}
        series = [by_month.get(m, 0) for m in window]
        total = sum(series)
        result.append(
            {
                "company_id": row["company_id"],
                "name": row["name"],
                "is_customer": bool(row["is_customer"]),
                "total": money(total, row["currency"]),
                "total_minor": total,
                "txn_count": sum(int(m["txn_count"]) for m in row["months"]),
                "months_active": sum(1 for v in series if v > 0),
                "trend": trend(series),
                "monthly": [money(v, row["currency"]) for v in series],
            }
        )
    result.sort(key=lambda r: (-int(r["total_minor"]), str(r["company_id"])))
    for r in result:
        r.pop("total_minor")
    return result[:top]


def _monthly_totals(
    rows_in: list[Record], rows_out: list[Record], window: list[str]
) -> list[Record]:
    """The customer's receipts and payments per month of ``window``, per currency.

    Totals over every counterparty, those of other branches included: they are the
    customer's own flows and name no one.
    """
    totals: dict[str, dict[str, list[int]]] = {}
    for direction, rows in (("inflow", rows_in), ("outflow", rows_out)):
        for row in rows:
            currency = str(row["currency"])
            series = totals.setdefault(
                currency, {"inflow": [0] * len(window), "outflow": [0] * len(window)}
            )[direction]
            for m in row["months"]:
                if m["month"] in window:
                    series[window.index(m["month"])] += int(m["amount_minor"])
    return [
        {
            "currency": currency,
            "inflow": [money(v, currency) for v in series["inflow"]],
            "outflow": [money(v, currency) for v in series["outflow"]],
        }
        for currency, series in sorted(
            totals.items(), key=lambda item: -sum(item[1]["inflow"]) - sum(item[1]["outflow"])
        )
    ]


def _amounts(rows: list[Record], *fields: str) -> list[Record]:
    out = []
    for row in rows:
        item = dict(row)
        for name in fields:
            item[name.removesuffix("_minor")] = money(item.pop(name), row.get("currency"))
        for key, value in list(item.items()):
            if hasattr(value, "iso_format"):
                item[key] = value.iso_format()
        out.append(item)
    return out


def customer_360(
    db: Database,
    scope: BranchScope,
    company_id: str,
    *,
    top: int = 10,
) -> CustomerSections:
    """Every section of the single-customer view; each present, empty without data.

    Raises
    ------
    NotFoundError
        Unknown id, not a customer, or booked outside the caller's subtree.
    """
    return db.read_tx(
        lambda tx: read_customer_360_sections(TransactionReader(tx), scope, company_id, top)
    )


def read_customer_360_sections(
    db: Reader,
    scope: BranchScope,
    company_id: str,
    top: int,
) -> CustomerSections:
    """The 360's sections read through ``db``: one open read transaction
    (:class:`~graph.database.TransactionReader`) when the caller reads more with it
    (:mod:`graph.customer_view`), so every section comes from one snapshot.

    Raises
    ------
    NotFoundError
        Unknown id, not a customer, or booked outside the caller's subtree.
    """
    # The computed sections come from the published runs, resolved in this transaction.
    runs = runs_from_rows(db.read(READ_POINTERS, {"steps": list(STEPS)})).parameters()
    # Every section anchored on the customer is one statement (one round trip), the
    # counterparties of the payments window a second: 15 statements used to be 14 trips.
    read = read_folded(
        db, SECTION_QUERIES, {"id": company_id, "top": top, **scope.parameters(), **runs}
    )
    profile = read["profile"][0] if read["profile"] else None
    if profile is None:
        raise NotFoundError(f"customer {company_id} not found")
    profile["registered_capital"] = money(
        profile.pop("registered_capital_minor"), profile.pop("registered_capital_currency")
    )
    if profile.get("founded") is not None:
        profile["founded"] = profile["founded"].iso_format()

    facilities = read["facilities"]
    holdings = read["holdings"]
    latest = read["latest_month"][0] if read["latest_month"] else None
    counterparties: dict[str, list[Record]] = {"in": [], "out": []}
    window_months: list[str] = []
    monthly_totals: list[Record] = []
    if latest and latest["month"]:
        first, last = month_window(str(latest["month"]))
        window_months = _months_between(first, last)
        window = {"id": company_id, "from_month": first, "to_month": last}
        flows = read_folded(db, COUNTERPARTY_QUERIES, window)
        rows_out, rows_in = flows["flows_out"], flows["flows_in"]
        monthly_totals = _monthly_totals(rows_in, rows_out, window_months)
        counterparties = {
            "out": _counterparties(rows_out, window_months, scope, top),
            "in": _counterparties(rows_in, window_months, scope, top),
        }
    suppliers = [r for r in read["suppliers"] if _visible_company(r, scope)]
    buyers = [r for r in read["buyers"] if _visible_company(r, scope)]
    anon = Anonymiser(scope)
    given = _guarantees(read["guarantees_given"], anon)
    received = _guarantees(read["guarantees_received"], anon)
    sections = {
        "profile": profile,
        "segment_history": [
            {"as_of": r["as_of"].iso_format(), "segment": r["segment"]}
            for r in read["segment_history"]
        ],
        "products": _amounts(holdings, "balance_minor"),
        "facilities": {
            "items": _amounts(facilities, "limit_minor", "outstanding_minor"),
            "limit_total": totals_by_currency(facilities, "limit_minor"),
            "outstanding_total": totals_by_currency(facilities, "outstanding_minor"),
        },
        "group": _group_section(read["group_of"][0] if read["group_of"] else None, anon) or None,
        "guarantees": {
            "given": _amounts(given, "amount_minor"),
            "received": _amounts(received, "amount_minor"),
            "circles": _circle_section(read["circles_of"], scope),
        },
        "supply_chain": {
            "suppliers": [_strip(r) for r in _amounts(suppliers, "amount_minor")],
            "buyers": [_strip(r) for r in _amounts(buyers, "amount_minor")],
        },
        "counterparties": {
            "window": {"from": window_months[0], "to": window_months[-1]}
            if window_months
            else None,
            "top_in": counterparties["in"],
            "top_out": counterparties["out"],
            "monthly_totals": monthly_totals,
        },
        "introduced_prospects": read["introduced_prospects"],
    }
    return CustomerSections.model_validate(sections)


def _guarantees(rows: list[Record], anon: Anonymiser) -> list[Record]:
    """Guarantees with a counterparty outside the caller's subtree show as a placeholder:
    no id, no name, no amount (:mod:`graph.scoping`)."""
    for row in rows:
        other = str(row["company_id"])
        anon.learn(
            other,
            name=row["name"],
            is_customer=bool(row.pop("is_customer")),
            branch_id=row.pop("branch_id"),
        )
        row["company_id"] = anon.id(other)
        row["name"] = anon.name(other, row["name"])
        row["amount_minor"] = anon.amount(other, row["amount_minor"])
        row["visible"] = anon.visible(other)
    return rows


def _strip(row: Record) -> Record:
    row.pop("branch_id", None)
    return row
