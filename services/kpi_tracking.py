"""Tracking plan targets: each unit's progress, forecast and chance to make its target.

Orchestration only: the targets and the facts come from :mod:`graph.targets` and
:mod:`graph.kpis`; the exact values from :mod:`algorithms.kpis`; the model (run-rate,
stage probabilities measured from the stage history, the Poisson-binomial chance)
is :mod:`algorithms.kpi_tracking`'s, described there.

A unit's pipeline is the opportunities attributed to it: for an RM, those they
own; for a branch, those booked anywhere in its subtree. A flow metric's actual is
the change since the day before the period; a stock metric's is the level.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from algorithms.kpi_tracking import (
    FLOW_METRICS,
    PipelineItem,
    Progress,
    StageProbability,
    open_pipeline,
    progress,
    stage_probabilities,
)
from algorithms.kpis import KpiTable, contributions, rates_on, roll_up
from core.kpis import METRICS, Rollup, parse_period
from graph.branches import BranchScope, read_branches
from graph.database import Database
from graph.kpis import KpiFacts, read_kpi_facts
from graph.targets import Target, list_targets

from .kpis import KpiUnit, kpi_units, visible_units

#: Minor units per display unit of the metrics tracking handles (summed metrics).
_SCALE = {"money": 100, "count": 1}


@dataclass(frozen=True)
class UnitProgress:
    """One target of one unit: where it stands at ``on`` and where it is heading."""

    unit: KpiUnit
    target: Target
    on: date
    period_start: date
    period_end: date
    #: Minor units per display unit (100 for money: values are in fen).
    scale: int
    progress: Progress
    #: The unit's open opportunities counted in the forecast (opportunity metrics only).
    pipeline: tuple[PipelineItem, ...]


@dataclass(frozen=True)
class TrackingReport:
    """Progress of every visible target at one date, and the stage probabilities used."""

    on: date
    probabilities: dict[str, StageProbability]
    items: list[UnitProgress]


def _subtree(parents: dict[str, str | None], root: str) -> set[str]:
    children: dict[str, list[str]] = {}
    for child, parent in parents.items():
        if parent is not None:
            children.setdefault(parent, []).append(child)
    found, stack = {root}, [root]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def _unit_pipeline(
    unit: KpiUnit, pipeline: Iterable[PipelineItem], parents: dict[str, str | None]
) -> tuple[PipelineItem, ...]:
    if unit.scope_type == "rm":
        return tuple(i for i in pipeline if i.rm_id == unit.scope_id)
    branches = _subtree(parents, unit.scope_id)
    return tuple(i for i in pipeline if i.branch_id in branches)


def _table(facts: KpiFacts, parents: dict[str, str | None]) -> KpiTable:
    return roll_up(contributions(facts), parents, facts.on)


def track_targets(
    db: Database,
    scope: BranchScope,
    on: date,
    *,
    own_rm: str | None = None,
    metric: str | None = None,
    period: str | None = None,
    scope_type: str | None = None,
    scope_id: str | None = None,
) -> TrackingReport:
    """Progress of the targets of the units the caller may see, at ``on``.

    Only summed metrics are tracked (a target for a mean or a share is a level
    to hold, not an amount to reach); their targets are listed by
    :func:`graph.targets.list_targets` and joined to the visible units.
    """
    units = {u.key: u for u in visible_units(kpi_units(db), scope, own_rm)}
    targets = [
        t
        for t in list_targets(db, scope, rm=own_rm, metric=metric, period=period)
        if METRICS[t.metric].rollup is Rollup.SUM
        and f"{t.scope_type}:{t.scope_id}" in units
        and (scope_type is None or t.scope_type == scope_type)
        and (scope_id is None or t.scope_id == scope_id)
    ]
    parents: dict[str, str | None] = {b.branch_id: b.parent_branch_id for b in read_branches(db)}
    facts = read_kpi_facts(db, on)
    table_on = _table(facts, parents)
    probabilities = stage_probabilities(facts.opportunities, on)
    pipeline = open_pipeline(facts.opportunities, on, probabilities, rates_on(facts.rates, on))
    before_tables: dict[date, KpiTable] = {}
    items: list[UnitProgress] = []
    for target in targets:
        definition = METRICS[target.metric]
        span = parse_period(target.period)
        before = span.start - timedelta(days=1)
        if before not in before_tables:
            before_tables[before] = _table(read_kpi_facts(db, before), parents)
        unit = units[f"{target.scope_type}:{target.scope_id}"]
        now = table_on.value(unit.scope_type, unit.scope_id, target.metric, target.category)
        start = before_tables[before].value(
            unit.scope_type, unit.scope_id, target.metric, target.category
        )
        flow = target.metric in FLOW_METRICS
        scale = _SCALE.get(definition.unit, 1)
        unit_pipeline = _unit_pipeline(unit, pipeline, parents)
        items.append(
            UnitProgress(
                unit,
                target,
                on,
                span.start,
                span.end,
                scale,
                progress(
                    target.metric,
                    actual=now.numerator - start.numerator if flow else now.numerator,
                    start=start.numerator,
                    target=int(target.target_value * scale),
                    period_start=span.start,
                    period_end=span.end,
                    on=on,
                    pipeline=unit_pipeline,
                ),
                unit_pipeline,
            )
        )
    return TrackingReport(on, probabilities, items)


def display(value: int | Fraction, scale: int) -> Decimal:
    """A value in minor units shown in the metric's unit (yuan to the fen, or a count)."""
    exact = Fraction(value) / scale
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(Decimal("0.01"))
