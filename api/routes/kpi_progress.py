"""Target tracking: ``GET /api/v1/kpis/progress``, scoped like ``/kpis``.

Each target of a unit the caller may see, with its actual, share done, run-rate
forecast, the pipeline-weighted expected additions (stage probabilities measured
from the stage history), the chance to reach it, and the open opportunities that
make up the forecast (:mod:`services.kpi_tracking`, model in
:mod:`algorithms.kpi_tracking`). Values are exact decimals in the metric's unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from algorithms.kpi_tracking import FLOW_METRICS
from api.deps import CallerLanguage, DatabaseDep
from api.pagination import Limit, Offset, Page
from api.schemas import ApiModel
from core.codes import Role
from core.i18n import gettext
from core.kpis import METRICS, MetricUnit, ScopeType
from graph.opportunities import OpportunityCompany, opportunity_companies
from services.kpi_tracking import (
    UnitProgress,
    display,
    measured_stage_probabilities,
    track_targets,
)

from .kpis import KpiUser, MetricQuery, ScopeIdQuery, ScopeTypeQuery

router = APIRouter(prefix="/api/v1", tags=["kpis"])


class StageProbabilityOut(ApiModel):
    """A stage's win probability, measured from the opportunities closed by the date."""

    stage: str
    closed: int = Field(description="Closed opportunities whose history reached the stage.")
    won: int
    probability: float | None = Field(description="won / closed; null without closed history.")


class PipelineItemOut(ApiModel):
    """One open opportunity counted in a forecast."""

    opportunity_id: str
    company_id: str | None = Field(description="The company it is for (null if unreadable).")
    company_name: str | None = Field(description="Its name, as the opportunity list shows it.")
    is_customer: bool | None
    stage: str
    amount: str | None = Field(description="CNY equivalent in yuan; null without amount or rate.")
    probability: float | None


class ProgressOut(ApiModel):
    """One unit's target at a date: where it stands and where it is heading."""

    scope_type: ScopeType
    scope_id: str
    scope_name: str
    parent_id: str | None
    metric: str
    metric_name: str
    unit: MetricUnit
    category: str | None
    period: str
    period_start: date
    period_end: date
    on: date
    target: str
    actual: str = Field(description="Flows: the change over the period; stocks: the level.")
    share_done: float | None
    flow: bool = Field(
        description="A flow (the actual is the change since the period began, from 0); "
        "else a stock (the actual is the level)."
    )
    elapsed_days: int
    period_days: int
    run_rate_forecast: str
    pipeline_expected: str | None = Field(
        description="Expected additions from the open pipeline (opportunity metrics)."
    )
    pipeline_forecast: str | None = Field(description="actual + pipeline_expected.")
    fresh_expected: str | None = Field(
        description="Wins expected from opportunities not open yet: the unit's recent pace "
        "of opportunities opened and won within a window as long as the days left."
    )
    forecast: str | None = Field(
        description="actual + pipeline_expected + fresh_expected (opportunity metrics)."
    )
    band_low: str | None = Field(description="10th percentile of actual + pipeline wins.")
    band_high: str | None = Field(description="90th percentile of actual + pipeline wins.")
    probability: float | None = Field(
        description="Chance that actual + independent pipeline wins reach the target."
    )
    pipeline: list[PipelineItemOut]


class StageProbabilities(ApiModel):
    """The stage probabilities a forecast at ``on`` uses, measured from the stage history."""

    on: date
    items: list[StageProbabilityOut]


def progress_out(
    item: UnitProgress,
    language: str,
    companies: Mapping[str, OpportunityCompany] | None = None,
) -> ProgressOut:
    """The API shape of one unit's progress; ``companies`` names its pipeline."""
    named = companies or {}
    definition = METRICS[item.target.metric]
    p, scale = item.progress, item.scale

    def shown(value: int | None) -> str | None:
        return None if value is None else format(display(value, scale), "f")

    return ProgressOut(
        scope_type="branch" if item.unit.scope_type == "branch" else "rm",
        scope_id=item.unit.scope_id,
        scope_name=item.unit.name,
        parent_id=item.unit.parent_id,
        metric=definition.code,
        metric_name=gettext(language, definition.name),  # type: ignore[arg-type]
        unit=definition.unit,
        category=item.target.category,
        period=item.target.period,
        period_start=item.period_start,
        period_end=item.period_end,
        on=item.on,
        target=format(display(p.target, scale), "f"),
        actual=format(display(p.actual, scale), "f"),
        share_done=None if p.share_done is None else float(p.share_done),
        flow=definition.code in FLOW_METRICS,
        elapsed_days=p.elapsed_days,
        period_days=p.period_days,
        run_rate_forecast=format(display(p.run_rate_forecast, scale), "f"),
        pipeline_expected=None
        if p.pipeline_expected is None
        else format(display(p.pipeline_expected, scale), "f"),
        pipeline_forecast=None
        if p.pipeline_expected is None
        else format(display(p.actual + p.pipeline_expected, scale), "f"),
        fresh_expected=shown(p.fresh_expected if p.pipeline_expected is not None else None),
        forecast=None if p.forecast is None else format(display(p.forecast, scale), "f"),
        band_low=shown(p.band[0] if p.band else None),
        band_high=shown(p.band[1] if p.band else None),
        probability=p.probability,
        pipeline=[
            PipelineItemOut(
                opportunity_id=i.opportunity_id,
                company_id=named[i.opportunity_id].company_id
                if i.opportunity_id in named
                else None,
                company_name=named[i.opportunity_id].company_name
                if i.opportunity_id in named
                else None,
                is_customer=named[i.opportunity_id].is_customer
                if i.opportunity_id in named
                else None,
                stage=i.stage,
                amount=None
                if i.amount_minor is None
                else format(display(i.amount_minor, 100), "f"),
                probability=None if i.probability is None else float(i.probability),
            )
            for i in item.pipeline
        ]
        if p.pipeline_expected is not None
        else [],
    )


@router.get("/kpis/progress", response_model=Page[ProgressOut])
def get_progress(
    caller: KpiUser,
    db: DatabaseDep,
    language: CallerLanguage,
    on: Annotated[date | None, Query(description="As-of date; today by default")] = None,
    scope_type: ScopeTypeQuery = None,
    scope_id: ScopeIdQuery = None,
    metric: MetricQuery = None,
    period: Annotated[str | None, Query(max_length=10)] = None,
    parent_id: Annotated[
        str | None,
        Query(max_length=64, description="Only the units under this branch (drill-down)"),
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ProgressOut]:
    """Progress of the targets of the units the caller may see (an RM: their own)."""
    own_rm = caller.user.rm_id if caller.user.role == Role.RM else None
    report = track_targets(
        db,
        caller.scope,
        on or date.today(),
        own_rm=own_rm,
        metric=metric,
        period=period,
        scope_type=scope_type,
        scope_id=scope_id,
    )
    items = [] if caller.user.role == Role.RM and own_rm is None else report.items
    if parent_id is not None:
        items = [i for i in items if i.unit.parent_id == parent_id]
    shown = items[offset : offset + limit]
    companies = opportunity_companies(
        db,
        caller.scope,
        sorted({p.opportunity_id for i in shown for p in i.pipeline}),
    )
    return Page[ProgressOut](
        total=len(items),
        limit=limit,
        offset=offset,
        items=[progress_out(i, language, companies) for i in shown],
    )


@router.get("/kpis/stage-probabilities", response_model=StageProbabilities)
def get_stage_probabilities(
    caller: KpiUser,
    db: DatabaseDep,
    on: Annotated[date | None, Query(description="As-of date; today by default")] = None,
) -> StageProbabilities:
    """Each open stage's win probability: of the opportunities that reached it and were
    closed by the date, the share won (bank-wide: a rate, no customer is shown)."""
    snapshot = on or date.today()
    return StageProbabilities(
        on=snapshot,
        items=[
            StageProbabilityOut(
                stage=s.stage,
                closed=s.closed,
                won=s.won,
                probability=None if s.probability is None else float(s.probability),
            )
            for s in measured_stage_probabilities(db, snapshot).values()
        ],
    )
