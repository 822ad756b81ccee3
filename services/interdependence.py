"""Economic interdependence in Neo4j: read flows and supply links, store who depends on whom.

``corpgraph compute`` runs :func:`compute_interdependence` after ``group_risk``:

1. reads the customers, the monthly ``PAYS`` edges of the window that touch a
   customer (every currency, so that left-out currencies can be named) and the
   ``SUPPLIES`` links with an annual amount in the rule's currency;
2. runs :func:`algorithms.interdependence.find_dependencies` (the rule and its
   sources are in that module's docstring; the thresholds in ``Settings``);
3. stores each dependency as ``(:Company dependent)-[:DEPENDS_ON {direction,
   basis, run_id, share, ...}]->(:Company)`` and the rule it used on
   ``(:InterdependenceRule {run_id})``.

Everything is written under the run's id and published by the step's pointer
(:mod:`graph.compute_runs`); readers read the published run only, and runs older
than the previous published one are collected by the next run.

The reads below serve the API and the CLI. A company outside the caller's branch
subtree (a customer booked elsewhere) is an anonymous placeholder: no id, no name.
Evidence amounts are the dependent's own flows, so they are shown only when the
dependent is visible; shares and months are shown always, as the evidence of the
connection.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, Final, Literal, LiteralString, cast

from algorithms.groups import Exposure
from algorithms.interdependence import (
    Basis,
    Dependency,
    Direction,
    InterdependenceRule,
    MonthlyFlow,
    SupplyAmount,
    find_dependencies,
    window_of,
)
from core.messages import Message, from_json, rewrite_text, to_json
from core.settings import Settings
from graph.branches import BranchScope
from graph.compute_runs import published_runs
from graph.database import Database
from graph.scoping import Anonymiser, is_visible

from .engines import GraphEngine
from .group_risk import GROUP_SCOPE
from .steps import StepReport

logger = logging.getLogger(__name__)

# --- inputs ---------------------------------------------------------------------------------
READ_CUSTOMERS: Final[LiteralString] = "MATCH (c:Customer) RETURN c.company_id AS id"
READ_LAST_MONTH: Final[LiteralString] = (
    "MATCH ()-[r:PAYS]->() WHERE r.currency = $currency RETURN max(r.month) AS month"
)
# Every flow with a customer on at least one side, once (customer → customer in the first
# part), one record per pair with its monthly cells: fewer records than one per edge.
READ_WINDOW_FLOWS: Final[LiteralString] = """
MATCH (c:Customer)-[r:PAYS]->(o:Company)
WHERE r.month >= $first_month AND r.month <= $last_month
RETURN c.company_id AS payer, o.company_id AS payee,
       collect([r.month, r.currency, r.amount_minor]) AS cells
UNION ALL
MATCH (o:Company)-[r:PAYS]->(c:Customer)
WHERE r.month >= $first_month AND r.month <= $last_month AND NOT o:Customer
RETURN o.company_id AS payer, c.company_id AS payee,
       collect([r.month, r.currency, r.amount_minor]) AS cells
"""
READ_SUPPLY: Final[LiteralString] = """
MATCH (s:Company)-[r:SUPPLIES]->(b:Company)
WHERE r.annual_amount_minor IS NOT NULL AND r.currency = $currency
  AND (s:Customer OR b:Customer)
RETURN s.company_id AS supplier, b.company_id AS buyer,
       r.annual_amount_minor AS annual_minor, r.currency AS currency
"""

# --- writes ---------------------------------------------------------------------------------
WRITE_DEPENDENCIES: Final[LiteralString] = """
UNWIND $rows AS row
MATCH (d:Company {company_id: row.dependent_id})
MATCH (k:Company {company_id: row.counterparty_id})
MERGE (d)-[r:DEPENDS_ON {direction: row.direction, basis: row.basis, run_id: $run_id}]->(k)
SET r.share = row.share, r.threshold = row.threshold, r.currency = row.currency,
    r.counterparty_minor = row.counterparty_minor, r.total_minor = row.total_minor,
    r.months_observed = row.months_observed, r.months_above = row.months_above,
    r.window_start = row.window_start, r.window_end = row.window_end,
    r.other_currencies = row.other_currencies, r.explanation = row.explanation
"""
WRITE_RULE: Final[LiteralString] = """
MERGE (m:InterdependenceRule {run_id: $run_id})
SET m.share = $share, m.window_months = $window_months, m.min_months = $min_months,
    m.currency = $currency, m.window_start = $window_start, m.window_end = $window_end
"""

# --- reads for the API and the CLI ------------------------------------------------------------
READ_RULE: Final[LiteralString] = (
    "MATCH (m:InterdependenceRule {run_id: $dependency_run}) "
    "RETURN m.share AS share, m.window_months AS window_months, m.min_months AS min_months, "
    "m.currency AS currency, m.window_start AS window_start, m.window_end AS window_end"
)
_SIDES: Final[LiteralString] = """
RETURN r {.*} AS r,
       d.company_id AS d_id, d.name AS d_name, coalesce(d.is_customer, false) AS d_customer,
       d.branch_id AS d_branch,
       k.company_id AS k_id, k.name AS k_name, coalesce(k.is_customer, false) AS k_customer,
       k.branch_id AS k_branch
"""
READ_COMPANY: Final[LiteralString] = (
    "MATCH (c:Company {company_id: $company_id}) "
    "RETURN c.name AS name, coalesce(c.is_customer, false) AS is_customer, "
    "c.branch_id AS branch_id"
)
COMPANY_DEPENDENCIES: Final[LiteralString] = (
    """
MATCH (x:Company {company_id: $company_id})
CALL (x) {
    MATCH (x)-[r:DEPENDS_ON {run_id: $dependency_run}]->(k:Company) RETURN r, x AS d, k
    UNION
    MATCH (d:Company)-[r:DEPENDS_ON {run_id: $dependency_run}]->(x) RETURN r, d, x AS k
}
WITH r, d, k
"""
    + _SIDES
    + " ORDER BY toFloat(r.share) DESC, d_id, k_id, r.direction, r.basis"
)
GROUP_VISIBLE: Final[LiteralString] = (
    "MATCH (g:Group {group_id: $group_id, run_id: $group_run}) WHERE "
    + GROUP_SCOPE
    + " RETURN g.group_id AS id"
)
GROUP_CONNECTIONS: Final[LiteralString] = (
    """
MATCH (m:Company)-[:MEMBER_OF]->(g:Group {group_id: $group_id, run_id: $group_run})
MATCH (m)-[r:DEPENDS_ON {run_id: $dependency_run}]-(o:Company)
WHERE NOT EXISTS { (o)-[:MEMBER_OF]->(g) }
WITH DISTINCT r, startNode(r) AS d, endNode(r) AS k
"""
    + _SIDES
    + ", EXISTS { (d)-[:MEMBER_OF]->(g) } AS member_depends"
    + " ORDER BY toFloat(r.share) DESC, d_id, k_id, r.direction, r.basis"
)
_FACILITY_SUMS: Final[LiteralString] = """
WITH DISTINCT c
OPTIONAL MATCH (c)-[:HAS_FACILITY]->(f:Facility)
RETURN c.company_id AS id, coalesce(c.is_customer, false) AS is_customer,
       f.currency AS currency, sum(f.limit_minor) AS limit_minor,
       sum(f.outstanding_minor) AS outstanding_minor
"""
GROUP_MEMBER_FACILITIES: Final[LiteralString] = (
    "MATCH (c:Company)-[:MEMBER_OF]->(:Group {group_id: $group_id, run_id: $group_run})"
    + _FACILITY_SUMS
)
GROUP_CONNECTED_FACILITIES: Final[LiteralString] = (
    """
MATCH (m:Company)-[:MEMBER_OF]->(g:Group {group_id: $group_id, run_id: $group_run})
MATCH (m)-[:DEPENDS_ON {run_id: $dependency_run}]-(c:Company)
WHERE NOT EXISTS { (c)-[:MEMBER_OF]->(g) }
"""
    + _FACILITY_SUMS
)
SUMMARY: Final[LiteralString] = """
MATCH (d:Company)-[r:DEPENDS_ON {run_id: $dependency_run}]->(k:Company)
RETURN r.direction AS direction, r.basis AS basis, count(r) AS dependencies,
       count(DISTINCT d) AS dependents, sum(CASE WHEN k:Customer THEN 1 ELSE 0 END) AS on_customers
ORDER BY direction, basis
"""
PAIRS: Final[LiteralString] = """
MATCH (d:Company)-[:DEPENDS_ON {run_id: $dependency_run}]->(k:Company)
WITH CASE WHEN d.company_id < k.company_id THEN [d.company_id, k.company_id]
          ELSE [k.company_id, d.company_id] END AS pair,
     d:Customer AND k:Customer AS customers
WITH DISTINCT pair, customers
RETURN count(*) AS pairs, sum(CASE WHEN customers THEN 1 ELSE 0 END) AS customer_pairs
"""
TOP_DEPENDENCIES: Final[LiteralString] = (
    """
MATCH (d:Company)-[r:DEPENDS_ON {run_id: $dependency_run}]->(k:Company)
WITH r, d, k ORDER BY toFloat(r.share) DESC, d.company_id, k.company_id LIMIT $limit
"""
    + _SIDES
)


# --- the compute step ---------------------------------------------------------------------------
def rule_from(settings: Settings) -> InterdependenceRule:
    """The rule as configured."""
    return InterdependenceRule(
        share=Fraction(settings.interdependence_share),
        window_months=settings.interdependence_window_months,
        min_months=settings.interdependence_min_months,
        currency=settings.interdependence_currency,
    )


@dataclass(frozen=True)
class InterdependenceInputs:
    """Everything the rule reads from Neo4j."""

    customers: frozenset[str]
    last_month: str | None
    flows: tuple[MonthlyFlow, ...]
    supply: tuple[SupplyAmount, ...]


def read_inputs(db: Database, rule: InterdependenceRule) -> InterdependenceInputs:
    """Customers, the window's flows touching a customer, and supply links with an amount."""
    customers = frozenset(str(r["id"]) for r in db.read(READ_CUSTOMERS))
    row = db.read_one(READ_LAST_MONTH, {"currency": rule.currency})
    last_month = str(row["month"]) if row and row["month"] else None
    if last_month is None:
        return InterdependenceInputs(customers, None, (), ())
    months = window_of(last_month, rule.window_months)
    # As three columns (one record): the driver decodes it several times faster than a
    # record per pair.
    read = db.read_columns(
        READ_WINDOW_FLOWS,
        ("payer", "payee", "cells"),
        {"first_month": months[0], "last_month": last_month},
    )
    flows = tuple(
        MonthlyFlow(str(payer), str(payee), str(month), str(currency), int(amount or 0))
        for payer, payee, cells in zip(read["payer"], read["payee"], read["cells"], strict=True)
        for month, currency, amount in cells
    )
    supply = tuple(
        SupplyAmount(
            str(r["supplier"]), str(r["buyer"]), int(r["annual_minor"]), str(r["currency"])
        )
        for r in db.read(READ_SUPPLY, {"currency": rule.currency})
    )
    return InterdependenceInputs(customers, last_month, flows, supply)


def dependency_rows(found: Iterable[Dependency]) -> list[dict[str, Any]]:
    """Rows of :data:`WRITE_DEPENDENCIES`."""
    return [
        {
            "dependent_id": d.dependent_id,
            "counterparty_id": d.counterparty_id,
            "direction": d.direction,
            "basis": d.basis,
            "share": str(d.share_decimal(6)),
            "threshold": str(Decimal(d.threshold.numerator) / Decimal(d.threshold.denominator)),
            "currency": d.currency,
            "counterparty_minor": d.counterparty_minor,
            "total_minor": d.total_minor,
            "months_observed": d.months_observed,
            "months_above": d.months_above,
            "window_start": d.window_start,
            "window_end": d.window_end,
            "other_currencies": list(d.other_currencies),
            "explanation": to_json(d.explanation),
        }
        for d in found
    ]


def compute_interdependence(
    db: Database, engine: GraphEngine, settings: Settings, run_id: str
) -> StepReport:
    """The ``interdependence`` compute step: who depends economically on whom (under ``run_id``)."""

    rule = rule_from(settings)
    inputs = read_inputs(db, rule)
    found = (
        find_dependencies(
            inputs.flows, inputs.supply, inputs.customers, rule, last_month=inputs.last_month
        )
        if inputs.last_month is not None
        else []
    )
    db.write_rows(WRITE_DEPENDENCIES, dependency_rows(found), extra_parameters={"run_id": run_id})
    window = window_of(inputs.last_month, rule.window_months) if inputs.last_month else []
    db.write(
        WRITE_RULE,
        {
            "share": str(settings.interdependence_share),
            "window_months": rule.window_months,
            "min_months": rule.min_months,
            "currency": rule.currency,
            "window_start": window[0] if window else None,
            "window_end": window[-1] if window else None,
            "run_id": run_id,
        },
    )
    pairs = {tuple(sorted((d.dependent_id, d.counterparty_id))) for d in found}
    customer_pairs = sum(1 for a, b in pairs if a in inputs.customers and b in inputs.customers)
    logger.info(
        "interdependence: %d dependencies, %d connected pairs (no graph engine needed)",
        len(found),
        len(pairs),
    )
    return StepReport(
        "interdependence",
        {
            "dependencies": len(found),
            "by flows": sum(d.basis == "flows" for d in found),
            "by supply links": sum(d.basis == "supply" for d in found),
            "dependent customers": len({d.dependent_id for d in found}),
            "connected pairs": len(pairs),
            "customer-customer pairs": customer_pairs,
        },
    )


# --- results --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CompanyRef:
    """A company as the caller may see it: ``id`` and ``name`` are ``None`` when it is not."""

    id: str | None
    name: str | None
    is_customer: bool
    visible: bool


@dataclass(frozen=True)
class RuleSnapshot:
    """The rule the last compute used, and its window."""

    share: Decimal
    window_months: int
    min_months: int
    currency: str
    window_start: str | None
    window_end: str | None


@dataclass(frozen=True)
class StoredDependency:
    """A stored dependency, scoped: amounts and explanations only when the dependent is visible."""

    dependent: CompanyRef
    counterparty: CompanyRef
    direction: Direction
    basis: Basis
    share: Decimal
    threshold: Decimal
    currency: str
    counterparty_minor: int | None
    total_minor: int | None
    months_observed: int
    months_above: int | None
    window_start: str
    window_end: str
    other_currencies: tuple[str, ...]
    explanation: tuple[Message, ...] | None


@dataclass(frozen=True)
class CompanyInterdependence:
    """A company's dependencies: on whom it depends, and who depends on it."""

    company: CompanyRef
    rule: RuleSnapshot | None
    depends_on: tuple[StoredDependency, ...]
    depended_on_by: tuple[StoredDependency, ...]


@dataclass(frozen=True)
class GroupConnection:
    """A dependency between a group member and a company outside the group."""

    member_side: Literal["dependent", "counterparty"]
    dependency: StoredDependency


@dataclass(frozen=True)
class GroupInterdependence:
    """A group's economic connections beyond control, and the exposure they add.

    ``group_exposure`` sums the members' facilities (each member once);
    ``connected_exposure`` the facilities of the connected companies outside the
    group (each once); ``combined_exposure`` both: the group of connected
    counterparties in the Basel sense, kept apart from the control group's total.
    """

    group_id: str
    rule: RuleSnapshot | None
    connections: tuple[GroupConnection, ...]
    connected_companies: int
    connected_customers: int
    group_exposure: tuple[Exposure, ...]
    connected_exposure: tuple[Exposure, ...]
    combined_exposure: tuple[Exposure, ...]


@dataclass(frozen=True)
class KindCount:
    """How many dependencies of one direction and basis, by how many dependents."""

    direction: Direction
    basis: Basis
    dependencies: int
    dependents: int
    on_customers: int  # dependencies whose counterparty is a customer too


@dataclass(frozen=True)
class InterdependenceSummary:
    """Counts over every stored dependency, for the CLI and the README."""

    rule: RuleSnapshot | None
    by_kind: tuple[KindCount, ...]
    pairs: int
    customer_pairs: int
    top: tuple[StoredDependency, ...]


def _visible(is_customer: bool, branch_id: str | None, scope: BranchScope) -> bool:
    """The one rule of :func:`graph.scoping.is_visible`."""
    return is_visible(scope, is_customer=is_customer, branch_id=branch_id)


def _ref(row: Mapping[str, Any], prefix: str, scope: BranchScope) -> CompanyRef:
    is_customer = bool(row[f"{prefix}_customer"])
    visible = _visible(is_customer, row[f"{prefix}_branch"], scope)
    if not visible:
        return CompanyRef(None, None, is_customer, False)
    return CompanyRef(str(row[f"{prefix}_id"]), str(row[f"{prefix}_name"] or ""), is_customer, True)


def _stored(row: Mapping[str, Any], scope: BranchScope) -> StoredDependency:
    r = row["r"]
    anon = Anonymiser(scope)
    for side in ("d", "k"):
        anon.learn(
            str(row[f"{side}_id"]),
            name=row[f"{side}_name"],
            is_customer=bool(row[f"{side}_customer"]),
            branch_id=row[f"{side}_branch"],
        )
    dependent = _ref(row, "d", scope)
    shown = dependent.visible
    months_above = r.get("months_above")
    return StoredDependency(
        dependent=dependent,
        counterparty=_ref(row, "k", scope),
        direction=cast(Direction, r["direction"]),
        basis=cast(Basis, r["basis"]),
        share=Decimal(str(r["share"])),
        threshold=Decimal(str(r["threshold"])),
        currency=str(r["currency"]),
        counterparty_minor=int(r["counterparty_minor"]) if shown else None,
        total_minor=int(r["total_minor"]) if shown else None,
        months_observed=int(r["months_observed"]),
        months_above=int(months_above) if months_above is not None else None,
        window_start=str(r["window_start"]),
        window_end=str(r["window_end"]),
        other_currencies=tuple(str(c) for c in r.get("other_currencies") or ()),
        explanation=(
            tuple(rewrite_text(m, _scrubber(anon)) for m in from_json(r.get("explanation")))
            if shown
            else None
        ),
    )


def _scrubber(anon: Anonymiser) -> Callable[[str], str]:
    return lambda text: str(anon.scrub(text))


def _runs(db: Database) -> dict[str, str | None]:
    """``$group_run`` and ``$dependency_run``: resolved once per answer."""
    runs = published_runs(db, ("group_risk", "interdependence"))
    return {"group_run": runs.group_risk, "dependency_run": runs.interdependence}


def read_rule(db: Database, run: Mapping[str, str | None] | None = None) -> RuleSnapshot | None:
    """The rule of the published run, or ``None`` before the first."""
    row = db.read_one(READ_RULE, dict(run or _runs(db)))
    if row is None or row["share"] is None:
        return None
    return RuleSnapshot(
        share=Decimal(str(row["share"])),
        window_months=int(row["window_months"]),
        min_months=int(row["min_months"]),
        currency=str(row["currency"]),
        window_start=row["window_start"],
        window_end=row["window_end"],
    )


def company_interdependence(
    db: Database, company_id: str, scope: BranchScope
) -> CompanyInterdependence | None:
    """A company's dependencies both ways, or ``None`` when unknown or not visible."""
    row = db.read_one(READ_COMPANY, {"company_id": company_id})
    if row is None or not _visible(bool(row["is_customer"]), row["branch_id"], scope):
        return None
    company = CompanyRef(company_id, str(row["name"] or ""), bool(row["is_customer"]), True)
    depends_on: list[StoredDependency] = []
    depended_on_by: list[StoredDependency] = []
    run = _runs(db)
    for r in db.read(COMPANY_DEPENDENCIES, {"company_id": company_id, **run}):
        stored = _stored(r, scope)
        (depends_on if r["d_id"] == company_id else depended_on_by).append(stored)
    return CompanyInterdependence(
        company, read_rule(db, run), tuple(depends_on), tuple(depended_on_by)
    )


def combine(*parts: Iterable[Exposure]) -> tuple[Exposure, ...]:
    """Exact per-currency sums of several exposure lists.

    Examples
    --------
    >>> combine([Exposure("CNY", 10, 5)], [Exposure("CNY", 1, 1), Exposure("USD", 2, 2)])
    (Exposure(currency='CNY', limit_minor=11, outstanding_minor=6), \
Exposure(currency='USD', limit_minor=2, outstanding_minor=2))
    """
    limits: dict[str, int] = defaultdict(int)
    outstanding: dict[str, int] = defaultdict(int)
    for part in parts:
        for e in part:
            limits[e.currency] += e.limit_minor
            outstanding[e.currency] += e.outstanding_minor
    return tuple(Exposure(c, limits[c], outstanding[c]) for c in sorted(limits))


def _exposures(rows: Iterable[Mapping[str, Any]]) -> tuple[Exposure, ...]:
    return combine(
        Exposure(str(r["currency"]), int(r["limit_minor"] or 0), int(r["outstanding_minor"] or 0))
        for r in rows
        if r["currency"] is not None
    )


def group_interdependence(
    db: Database, group_id: str, scope: BranchScope
) -> GroupInterdependence | None:
    """A visible group's economic connections, or ``None`` (unknown or not visible)."""
    run = _runs(db)
    params = {"group_id": group_id, **scope.parameters(), **run}
    if db.read_one(GROUP_VISIBLE, params) is None:
        return None
    connections = tuple(
        GroupConnection("dependent" if r["member_depends"] else "counterparty", _stored(r, scope))
        for r in db.read(GROUP_CONNECTIONS, {"group_id": group_id, **run})
    )
    connected = db.read(GROUP_CONNECTED_FACILITIES, {"group_id": group_id, **run})
    group_exposure = _exposures(db.read(GROUP_MEMBER_FACILITIES, {"group_id": group_id, **run}))
    connected_exposure = _exposures(connected)
    connected_ids = {str(r["id"]): bool(r["is_customer"]) for r in connected}
    return GroupInterdependence(
        group_id=group_id,
        rule=read_rule(db, run),
        connections=connections,
        connected_companies=len(connected_ids),
        connected_customers=sum(connected_ids.values()),
        group_exposure=group_exposure,
        connected_exposure=connected_exposure,
        combined_exposure=combine(group_exposure, connected_exposure),
    )


def summary(db: Database, scope: BranchScope, *, top: int = 10) -> InterdependenceSummary:
    """Counts of every stored dependency and the ``top`` strongest (by share)."""
    run = _runs(db)
    pairs = db.read_one(PAIRS, run) or {"pairs": 0, "customer_pairs": 0}
    return InterdependenceSummary(
        rule=read_rule(db, run),
        by_kind=tuple(
            KindCount(
                cast(Direction, r["direction"]),
                cast(Basis, r["basis"]),
                int(r["dependencies"]),
                int(r["dependents"]),
                int(r["on_customers"]),
            )
            for r in db.read(SUMMARY, run)
        ),
        pairs=int(pairs["pairs"] or 0),
        customer_pairs=int(pairs["customer_pairs"] or 0),
        top=tuple(_stored(r, scope) for r in db.read(TOP_DEPENDENCIES, {"limit": top, **run})),
    )
