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

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any, Final

from algorithms.kpi_tracking import (
    FLOW_METRICS,
    PipelineItem,
    Progress,
    StageProbability,
    fresh_wins,
    open_pipeline,
    progress,
    stage_probabilities,
)
from algorithms.kpis import KpiTable, contributions, rates_on, roll_up
from core.i18n import N_
from core.kpis import METRICS, Rollup, parse_period
from core.messages import Message, to_json
from core.money import Money
from core.settings import Settings
from graph.branches import BranchScope, read_branches
from graph.database import Database
from graph.kpis import KpiFacts, OpportunityFact, read_kpi_facts, read_kpi_facts_on
from graph.target_events import TargetRiskRow, write_target_events
from graph.targets import Target, list_targets

from .kpis import KpiUnit, kpi_units, visible_units

#: The assessment reads every unit's targets, as head office does.
_EVERY_BRANCH: Final = BranchScope("HO", None)
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


def _unit_opportunities(
    unit: KpiUnit, opportunities: Iterable[OpportunityFact], parents: dict[str, str | None]
) -> list[OpportunityFact]:
    if unit.scope_type == "rm":
        return [o for o in opportunities if o.rm_id == unit.scope_id]
    branches = _subtree(parents, unit.scope_id)
    return [o for o in opportunities if o.branch_id in branches]


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
    # The date itself and the eve of each target's period, read together.
    eves = {parse_period(t.period).start - timedelta(days=1) for t in targets}
    facts_on = read_kpi_facts_on(db, {on, *eves})
    facts = facts_on[on]
    tables = {day: _table(day_facts, parents) for day, day_facts in facts_on.items()}
    table_on = tables[on]
    probabilities = stage_probabilities(facts.opportunities, on)
    rates = rates_on(facts.rates, on)
    pipeline = open_pipeline(facts.opportunities, on, probabilities, rates)
    items: list[UnitProgress] = []
    for target in targets:
        definition = METRICS[target.metric]
        span = parse_period(target.period)
        before = span.start - timedelta(days=1)
        unit = units[f"{target.scope_type}:{target.scope_id}"]
        now = table_on.value(unit.scope_type, unit.scope_id, target.metric, target.category)
        start = tables[before].value(unit.scope_type, unit.scope_id, target.metric, target.category)
        flow = target.metric in FLOW_METRICS
        scale = _SCALE.get(definition.unit, 1)
        unit_pipeline = _unit_pipeline(unit, pipeline, parents)
        fresh = 0
        if target.metric in FLOW_METRICS:
            mine = _unit_opportunities(unit, facts.opportunities, parents)
            days_left = max(0, (span.end - max(on, before)).days)
            fresh = fresh_wins(mine, on, days_left, target.metric, rates)
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
                    fresh=fresh,
                ),
                unit_pipeline,
            )
        )
    return TrackingReport(on, probabilities, items)


def measured_stage_probabilities(db: Database, on: date) -> dict[str, StageProbability]:
    """The stage probabilities measured from the stage history closed by ``on``."""
    return stage_probabilities(read_kpi_facts(db, on).opportunities, on)


def display(value: int | Fraction, scale: int) -> Decimal:
    """A value in minor units shown in the metric's unit (yuan to the fen, or a count)."""
    exact = Fraction(value) / scale
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(Decimal("0.01"))


#: Column headers of a progress table (the CLI's and the exports').
PROGRESS_HEADERS: Final = (
    N_("Unit"),
    N_("Metric"),
    N_("Period"),
    N_("Target"),
    N_("Actual"),
    N_("Share done"),
    N_("Run-rate forecast"),
    N_("Pipeline forecast"),
    N_("Chance to reach"),
)

#: The CLI's line after raising events.
RISK_SUMMARY: Final = N_("{at_risk} of {assessed} targets at risk; {created} new events.")

# --- target_at_risk events ------------------------------------------------------------------
_AT_RISK_COUNT: Final = N_(
    "{unit} may miss its target of {target} opportunities won in {period}: {actual} won so "
    "far, {forecast} expected with the open pipeline, the chance to reach it is {chance}%."
)
_AT_RISK_AMOUNT: Final = N_(
    "{unit} may miss its target of {target} won in {period}: {actual} won so far, "
    "{forecast} expected with the open pipeline, the chance to reach it is {chance}%."
)


def at_risk(item: UnitProgress, threshold: float) -> bool:
    """Whether a unit's target is at risk at ``item.on``: the period is under way, not
    over, the metric has a pipeline model, and the chance to reach it is below
    ``threshold`` (:attr:`core.settings.Settings.target_at_risk_probability`)."""
    p = item.progress
    return (
        p.probability is not None
        and p.probability < threshold
        and item.period_start <= item.on < item.period_end
    )


def _manager_branch(unit: KpiUnit, parents: dict[str, str | None]) -> str | None:
    if unit.scope_type == "rm":
        return unit.parent_id
    return parents.get(unit.scope_id) or unit.scope_id


def risk_row(item: UnitProgress, parents: dict[str, str | None]) -> TargetRiskRow:
    """The event raised for ``item``: its evidence and its catalogue explanation."""
    p = item.progress
    forecast = p.actual + (p.pipeline_expected or Fraction(0))
    rounded = int(forecast)  # expected wins, rounded down: never overstated
    money = METRICS[item.target.metric].unit == "money"
    evidence: dict[str, Any] = {
        "metric": item.target.metric,
        "period": item.target.period,
        "on": item.on.isoformat(),
        "probability": round(p.probability or 0.0, 4),
        "pipeline_opportunities": len(item.pipeline),
    }
    values = {
        "actual": p.actual,
        "target": p.target,
        "run_rate_forecast": p.run_rate_forecast,
        "pipeline_forecast": rounded,
    }
    if money:
        evidence["currency"] = "CNY"
        evidence.update({f"{k}_minor": v for k, v in values.items()})
    else:
        evidence.update(values)

    def shown(value: int) -> int | Money:
        return Money(value, "CNY") if money else value

    message = Message(
        _AT_RISK_AMOUNT if money else _AT_RISK_COUNT,
        {
            "unit": item.unit.name,
            "target": shown(p.target),
            "period": item.target.period,
            "actual": shown(p.actual),
            "forecast": shown(rounded),
            "chance": round((p.probability or 0.0) * 100),
        },
    )
    return TargetRiskRow(
        item.target.target_id,
        item.unit.scope_type,
        item.unit.scope_id,
        _manager_branch(item.unit, parents),
        item.target.period,
        # Out of reach even if every open opportunity were won: high; else medium.
        "high" if p.probability == 0.0 else "medium",
        evidence,
        to_json([message]),
    )


@dataclass(frozen=True)
class RiskRun:
    """What one assessment raised."""

    on: date
    assessed: int
    at_risk: list[TargetRiskRow]
    created: int


def raise_target_events(db: Database, settings: Settings, on: date) -> RiskRun:
    """Assess every target at ``on`` and raise ``target_at_risk`` for the units at risk.

    Idempotent: an event already raised for a target is not raised again
    (:func:`graph.target_events.write_target_events`). New events are queued for the
    configured webhooks by the delivery worker's enqueue, like every other event.
    """
    report = track_targets(db, _EVERY_BRANCH, on)
    parents = {b.branch_id: b.parent_branch_id for b in read_branches(db)}
    rows = [
        risk_row(item, parents)
        for item in report.items
        if at_risk(item, settings.target_at_risk_probability)
    ]
    webhooks = bool(settings.webhook_urls) and settings.webhook_secret is not None
    created = write_target_events(db, rows, now_ms=int(time.time() * 1000), webhooks=webhooks)
    return RiskRun(on, len(report.items), rows, created)
