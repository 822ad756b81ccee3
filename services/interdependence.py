"""Economic interdependence in Neo4j: read flows and supply links, store who depends on whom.

``corpgraph compute`` runs :func:`compute_interdependence` after ``group_risk``:

1. reads the customers and the ``SUPPLIES`` links with an annual amount in the
   rule's currency, and takes the monthly ``PAYS`` edges of the window that touch a
   customer (every currency, so that left-out currencies can be named) from the
   run's one read of the flows (:mod:`services.compute_inputs`);
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
connection. The Cypher is :mod:`graph.interdependence_store`.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal, cast

from algorithms import flow_views
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
from graph import interdependence_store as store
from graph.branches import BranchScope
from graph.compute_runs import PublishedRuns, published_runs
from graph.database import Database
from graph.scoping import Anonymiser, is_visible

from .compute_inputs import ComputeInputs
from .engines import GraphEngine
from .steps import StepReport

logger = logging.getLogger(__name__)


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


def read_inputs(
    db: Database, rule: InterdependenceRule, run_inputs: ComputeInputs | None = None
) -> InterdependenceInputs:
    """Customers, the window's flows touching a customer, and supply links with an amount.

    The flows are cut from the run's one read of them (``run_inputs``; read here when
    not given).
    """
    customers = store.read_customer_ids(db)
    cells = (run_inputs or ComputeInputs(db)).flows()
    last_month = flow_views.last_month(cells, rule.currency)
    if last_month is None:
        return InterdependenceInputs(customers, None, (), ())
    months = window_of(last_month, rule.window_months)
    window = flow_views.window_cells(cells, months[0], last_month)
    flows = tuple(
        map(
            MonthlyFlow._make,
            zip(
                window["payer"].tolist(),
                window["payee"].tolist(),
                window["month"].tolist(),
                window["currency"].tolist(),
                window["amount_minor"].tolist(),
                strict=True,
            ),
        )
    )
    supply = tuple(
        SupplyAmount(s.supplier, s.buyer, s.annual_minor, s.currency)
        for s in store.read_supply(db, rule.currency)
    )
    return InterdependenceInputs(customers, last_month, flows, supply)


def dependency_rows(found: Iterable[Dependency]) -> list[dict[str, Any]]:
    """Rows of :data:`graph.interdependence_store.WRITE_DEPENDENCIES`."""
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
    db: Database,
    engine: GraphEngine,
    settings: Settings,
    run_id: str,
    /,
    *,
    run_inputs: ComputeInputs | None = None,
) -> StepReport:
    """The ``interdependence`` compute step: who depends economically on whom (under ``run_id``)."""

    rule = rule_from(settings)
    inputs = read_inputs(db, rule, run_inputs)
    found = (
        find_dependencies(
            inputs.flows, inputs.supply, inputs.customers, rule, last_month=inputs.last_month
        )
        if inputs.last_month is not None
        else []
    )
    store.write_dependencies(db, dependency_rows(found), run_id)
    window = window_of(inputs.last_month, rule.window_months) if inputs.last_month else []
    store.write_rule(
        db,
        store.RuleRow(
            share=str(settings.interdependence_share),
            window_months=rule.window_months,
            min_months=rule.min_months,
            currency=rule.currency,
            window_start=window[0] if window else None,
            window_end=window[-1] if window else None,
        ),
        run_id,
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


def _ref(side: store.CompanySide, scope: BranchScope) -> CompanyRef:
    if not _visible(side.is_customer, side.branch_id, scope):
        return CompanyRef(None, None, side.is_customer, False)
    return CompanyRef(side.company_id, side.name or "", side.is_customer, True)


def _stored(r: store.DependencyRow, scope: BranchScope) -> StoredDependency:
    anon = Anonymiser(scope)
    for side in (r.dependent, r.counterparty):
        anon.learn(
            side.company_id, name=side.name, is_customer=side.is_customer, branch_id=side.branch_id
        )
    dependent = _ref(r.dependent, scope)
    shown = dependent.visible
    return StoredDependency(
        dependent=dependent,
        counterparty=_ref(r.counterparty, scope),
        direction=cast(Direction, r.direction),
        basis=cast(Basis, r.basis),
        share=Decimal(r.share),
        threshold=Decimal(r.threshold),
        currency=r.currency,
        counterparty_minor=r.counterparty_minor if shown else None,
        total_minor=r.total_minor if shown else None,
        months_observed=r.months_observed,
        months_above=r.months_above,
        window_start=r.window_start,
        window_end=r.window_end,
        other_currencies=r.other_currencies,
        explanation=(
            tuple(rewrite_text(m, _scrubber(anon)) for m in from_json(r.explanation))
            if shown
            else None
        ),
    )


def _scrubber(anon: Anonymiser) -> Callable[[str], str]:
    return lambda text: str(anon.scrub(text))


def _runs(db: Database) -> PublishedRuns:
    """The published group-risk and interdependence runs: resolved once per answer."""
    return published_runs(db, ("group_risk", "interdependence"))


def read_rule(db: Database, runs: PublishedRuns | None = None) -> RuleSnapshot | None:
    """The rule of the published run, or ``None`` before the first."""
    row = store.read_rule(db, (runs or _runs(db)).interdependence)
    if row is None:
        return None
    return RuleSnapshot(
        share=Decimal(row.share),
        window_months=row.window_months,
        min_months=row.min_months,
        currency=row.currency,
        window_start=row.window_start,
        window_end=row.window_end,
    )


def company_interdependence(
    db: Database, company_id: str, scope: BranchScope
) -> CompanyInterdependence | None:
    """A company's dependencies both ways, or ``None`` when unknown or not visible."""
    row = store.read_company(db, company_id)
    if row is None or not _visible(row.is_customer, row.branch_id, scope):
        return None
    company = CompanyRef(company_id, row.name or "", row.is_customer, True)
    depends_on: list[StoredDependency] = []
    depended_on_by: list[StoredDependency] = []
    runs = _runs(db)
    for r in store.read_company_dependencies(db, company_id, runs.interdependence):
        stored = _stored(r, scope)
        (depends_on if r.dependent.company_id == company_id else depended_on_by).append(stored)
    return CompanyInterdependence(
        company, read_rule(db, runs), tuple(depends_on), tuple(depended_on_by)
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


def _exposures(rows: Iterable[store.CompanyFacilities]) -> tuple[Exposure, ...]:
    return combine(
        Exposure(r.currency, r.limit_minor, r.outstanding_minor)
        for r in rows
        if r.currency is not None
    )


def group_interdependence(
    db: Database, group_id: str, scope: BranchScope
) -> GroupInterdependence | None:
    """A visible group's economic connections, or ``None`` (unknown or not visible)."""
    runs = _runs(db)
    group_run, dependency_run = runs.group_risk, runs.interdependence
    if not store.group_visible(db, group_id, scope.parameters(), group_run):
        return None
    connections = tuple(
        GroupConnection("dependent" if r.member_depends else "counterparty", _stored(r, scope))
        for r in store.read_group_connections(db, group_id, group_run, dependency_run)
    )
    connected = store.read_group_connected_facilities(db, group_id, group_run, dependency_run)
    group_exposure = _exposures(store.read_group_member_facilities(db, group_id, group_run))
    connected_exposure = _exposures(connected)
    connected_ids = {r.company_id: r.is_customer for r in connected}
    return GroupInterdependence(
        group_id=group_id,
        rule=read_rule(db, runs),
        connections=connections,
        connected_companies=len(connected_ids),
        connected_customers=sum(connected_ids.values()),
        group_exposure=group_exposure,
        connected_exposure=connected_exposure,
        combined_exposure=combine(group_exposure, connected_exposure),
    )


def summary(db: Database, scope: BranchScope, *, top: int = 10) -> InterdependenceSummary:
    """Counts of every stored dependency and the ``top`` strongest (by share)."""
    runs = _runs(db)
    pairs = store.read_pair_counts(db, runs.interdependence)
    return InterdependenceSummary(
        rule=read_rule(db, runs),
        by_kind=tuple(
            KindCount(
                cast(Direction, r.direction),
                cast(Basis, r.basis),
                r.dependencies,
                r.dependents,
                r.on_customers,
            )
            for r in store.read_kind_counts(db, runs.interdependence)
        ),
        pairs=pairs.pairs,
        customer_pairs=pairs.customer_pairs,
        top=tuple(
            _stored(r, scope) for r in store.read_top_dependencies(db, runs.interdependence, top)
        ),
    )
