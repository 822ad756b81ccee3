"""KPIs and plan targets: ``/api/v1/kpis`` and ``/api/v1/targets``, scoped to the caller.

An RM sees their own unit only; a manager the branches of their subtree and the RMs
who work there; head office everything. A unit outside that is "not found" (404),
like a customer outside the caller's subtree. Only managers set targets (403 for
other roles), for units of their own subtree.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import Field

from api.deps import Caller, CallerLanguage, DatabaseDep, require_roles
from api.downloads import FILE_RESPONSES, ExportFormat, table_file
from api.pagination import Limit, Offset, Page
from api.schemas import ApiModel, MoneyOut
from core.codes import Role
from core.errors import NotFoundError
from core.i18n import gettext
from core.kpis import METRICS, MetricUnit, ScopeType
from core.messages import render
from core.money import from_minor_units
from graph.targets import Target, list_targets
from services.kpi_exports import KPI_TABLE, kpi_export_rows
from services.kpis import KpiRow, KpiUnit, kpi_rows, kpi_table, kpi_units, set_target, visible_units
from services.scorecards import rounded
from services.target_aid import default_period, target_aid, to_display

router = APIRouter(prefix="/api/v1", tags=["kpis"])

KpiUser = Annotated[Caller, Depends(require_roles(Role.MANAGER, Role.RM))]
TargetSetter = Annotated[Caller, Depends(require_roles(Role.MANAGER))]


class KpiOut(ApiModel):
    """One metric of one unit at one date."""

    scope_type: ScopeType
    scope_id: str
    scope_name: str
    parent_id: str | None = Field(description="The parent branch, or the RM's branch.")
    metric: str
    metric_name: str = Field(description="In the caller's language.")
    unit: MetricUnit
    rollup: str = Field(description="sum, or weighted_mean (weighted by the denominator).")
    category: str | None = Field(
        description="Product category or stage; null for all categories together."
    )
    on: date
    value: str | None = Field(
        description="Exact decimal in the unit: yuan (CNY equivalent), a count, a ratio, "
        "a percentage or hours; null when a mean has nothing to average."
    )
    numerator: int = Field(description="Fen for money; the sum that the value divides.")
    denominator: int
    no_rate: list[MoneyOut] = Field(
        description="Amounts left out of a CNY equivalent: no rate on that date."
    )


class TargetOut(ApiModel):
    """A stored target."""

    target_id: str
    scope_type: ScopeType
    scope_id: str
    metric: str
    metric_name: str
    category: str | None
    period: str
    target_value: str = Field(description="Exact decimal in the metric's unit.")
    source: str = Field(description="file, api or decomposition.")
    set_by: str | None
    parent_target_id: str | None


class TargetIn(ApiModel):
    """A target to set, and how to split it over the branch's units."""

    scope_type: ScopeType
    scope_id: str = Field(min_length=1, max_length=64)
    metric: str = Field(max_length=64)
    category: str | None = Field(default=None, max_length=200)
    period: str = Field(max_length=10, examples=["2026", "2026-Q1", "2026-03"])
    target_value: Decimal = Field(description="In the metric's unit, at most 2 decimals.")
    decomposition: Literal["none", "history", "weights"] = Field(
        default="none",
        description="Split a branch's target over its child branches and its RMs: in "
        "proportion to their value on the day before the period (history) or to weights.",
    )
    weights: dict[str, int] | None = Field(
        default=None, description='For decomposition=weights: {"branch:ID"|"rm:ID": weight}.'
    )


class TargetsWritten(ApiModel):
    """The target and the parts it was split into (which add back to it exactly)."""

    items: list[TargetOut]


def _kpi_out(row: KpiRow, language: str) -> KpiOut:
    definition = METRICS[row.metric]
    return KpiOut(
        scope_type="branch" if row.unit.scope_type == "branch" else "rm",
        scope_id=row.unit.scope_id,
        scope_name=row.unit.name,
        parent_id=row.unit.parent_id,
        metric=row.metric,
        metric_name=gettext(language, definition.name),  # type: ignore[arg-type]
        unit=definition.unit,
        rollup=definition.rollup.value,
        category=row.category,
        on=row.on,
        value=None if row.value is None else format(row.value, "f"),
        numerator=row.numerator,
        denominator=row.denominator,
        no_rate=[
            MoneyOut(amount=format(from_minor_units(m.minor, m.currency), "f"), currency=m.currency)
            for m in row.no_rate
        ],
    )


def _target_out(target: Target, language: str) -> TargetOut:
    return TargetOut(
        target_id=target.target_id,
        scope_type="branch" if target.scope_type == "branch" else "rm",
        scope_id=target.scope_id,
        metric=target.metric,
        metric_name=gettext(language, METRICS[target.metric].name),  # type: ignore[arg-type]
        category=target.category,
        period=target.period,
        target_value=format(target.target_value, "f"),
        source=target.source,
        set_by=target.set_by,
        parent_target_id=target.parent_target_id,
    )


def visible_kpi_units(
    db: DatabaseDep, caller: Caller, scope_type: str | None, scope_id: str | None
) -> list[KpiUnit]:
    """The units the caller may see, narrowed to one type or one unit (404 outside).

    An RM user with no RM record sees no unit (so one named unit is a 404, never an
    empty list taken for a unit).
    """
    own_rm = caller.user.rm_id if caller.user.role == Role.RM else None
    no_unit = caller.user.role == Role.RM and own_rm is None
    units = [] if no_unit else visible_units(kpi_units(db), caller.scope, own_rm)
    if scope_id is not None:
        units = [u for u in units if u.scope_id == scope_id and scope_type in (None, u.scope_type)]
        if not units:
            raise NotFoundError(f"unit {scope_id} not found")
    elif scope_type is not None:
        units = [u for u in units if u.scope_type == scope_type]
    return units


ScopeTypeQuery = Annotated[Literal["branch", "rm"] | None, Query(description="branch or rm")]
ScopeIdQuery = Annotated[str | None, Query(max_length=64, description="A branch or RM id")]
MetricQuery = Annotated[
    str | None, Query(max_length=64, description=f"One of {', '.join(METRICS)}")
]
CategoryQuery = Annotated[str | None, Query(max_length=200)]


@router.get("/kpis", response_model=Page[KpiOut])
def get_kpis(
    caller: KpiUser,
    db: DatabaseDep,
    language: CallerLanguage,
    on: Annotated[date | None, Query(description="Snapshot date; today by default")] = None,
    scope_type: ScopeTypeQuery = None,
    scope_id: ScopeIdQuery = None,
    metric: MetricQuery = None,
    category: CategoryQuery = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[KpiOut]:
    """Every metric (or one) of the units the caller may see, at a snapshot date."""
    units = visible_kpi_units(db, caller, scope_type, scope_id)
    rows = kpi_rows(kpi_table(db, on or date.today()), units, metric_code=metric, category=category)
    return Page[KpiOut](
        total=len(rows),
        limit=limit,
        offset=offset,
        items=[_kpi_out(r, language) for r in rows[offset : offset + limit]],
    )


@router.get("/kpis/export", responses=FILE_RESPONSES, response_class=Response)
def export_kpis(
    caller: KpiUser,
    db: DatabaseDep,
    language: CallerLanguage,
    on: Annotated[date | None, Query(description="Snapshot date; today by default")] = None,
    scope_type: ScopeTypeQuery = None,
    scope_id: ScopeIdQuery = None,
    metric: MetricQuery = None,
    category: CategoryQuery = None,
    format: ExportFormat = "csv",
) -> Response:
    """The same rows as a CSV or xlsx file in the caller's language."""
    units = visible_kpi_units(db, caller, scope_type, scope_id)
    snapshot = on or date.today()
    rows = kpi_rows(kpi_table(db, snapshot), units, metric_code=metric, category=category)
    return table_file(
        KPI_TABLE,
        kpi_export_rows(rows, language),
        what=KPI_TABLE.sheet,
        scope=scope_id or caller.user.branch_id,
        export_format=format,
        language=language,
    )


@router.get("/targets", response_model=Page[TargetOut])
def get_targets(
    caller: KpiUser,
    db: DatabaseDep,
    language: CallerLanguage,
    metric: MetricQuery = None,
    period: Annotated[str | None, Query(max_length=10)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[TargetOut]:
    """Targets of the units the caller may see (an RM: their own)."""
    rm = caller.user.rm_id if caller.user.role == Role.RM else None
    if caller.user.role == Role.RM and rm is None:
        found: list[Target] = []
    else:
        found = list_targets(db, caller.scope, rm=rm, metric=metric, period=period)
    return Page[TargetOut](
        total=len(found),
        limit=limit,
        offset=offset,
        items=[_target_out(t, language) for t in found[offset : offset + limit]],
    )


@router.post("/targets", response_model=TargetsWritten, status_code=201)
def post_target(
    body: TargetIn, caller: TargetSetter, db: DatabaseDep, language: CallerLanguage
) -> TargetsWritten:
    """Set a target for a unit of the caller's subtree; optionally split it down."""
    written = set_target(
        db,
        caller.scope,
        scope_type=body.scope_type,
        scope_id=body.scope_id,
        metric_code=body.metric,
        category=body.category,
        period=body.period,
        value=body.target_value,
        decomposition=body.decomposition,
        weights=body.weights,
        set_by=caller.user.user_id,
    )
    return TargetsWritten(items=[_target_out(t, language) for t in written])


# --- target aid (T1) ------------------------------------------------------------------------
class PeriodFigureOut(ApiModel):
    """One history period and the unit's figure in it."""

    period: str
    value: str | None = Field(description="In the metric's unit; null for a mean of nothing.")


class TargetAidOut(ApiModel):
    """What to know before typing a target: history, trend, peers, a suggestion and why."""

    scope_type: ScopeType
    scope_id: str
    scope_name: str
    metric: str
    metric_name: str
    unit: MetricUnit
    category: str | None
    period: str = Field(description="The period the target is for.")
    history: list[PeriodFigureOut] = Field(description="The 8 periods before it, oldest first.")
    trend: str = Field(description="rising, falling, flat or unknown")
    slope: str | None = Field(description="Least-squares change per period, in the unit.")
    peer_percentile: str | None = Field(description="0 worst to 100 best, last period.")
    peer_median: str | None
    peers: int
    suggested_target: str | None
    reasons: list[str] = Field(description="Why, in the caller's language.")


@router.get("/targets/aid", response_model=TargetAidOut)
def get_target_aid(
    caller: KpiUser,
    db: DatabaseDep,
    language: CallerLanguage,
    scope_type: Annotated[Literal["branch", "rm"], Query(description="branch or rm")],
    scope_id: Annotated[str, Query(max_length=64, description="A branch or RM id")],
    metric: Annotated[str, Query(max_length=64, description=f"One of {', '.join(METRICS)}")],
    category: CategoryQuery = None,
    period: Annotated[
        str | None, Query(max_length=10, description="Target period; this quarter by default")
    ] = None,
) -> TargetAidOut:
    """The last 8 periods, the trend, the peer percentile and a suggested target."""
    unit = visible_kpi_units(db, caller, scope_type, scope_id)[0]
    aid = target_aid(db, unit, metric, category, period or default_period(date.today()))
    definition = aid.definition
    suggestion = aid.suggestion

    def shown(value: Fraction | None) -> str | None:
        return None if value is None else format(to_display(definition, value), "f")

    return TargetAidOut(
        scope_type="branch" if unit.scope_type == "branch" else "rm",
        scope_id=unit.scope_id,
        scope_name=unit.name,
        metric=definition.code,
        metric_name=gettext(language, definition.name),
        unit=definition.unit,
        category=aid.category,
        period=aid.period.code,
        history=[PeriodFigureOut(period=f.period.code, value=shown(f.value)) for f in aid.history],
        trend=suggestion.trend,
        slope=shown(suggestion.slope),
        peer_percentile=None
        if suggestion.percentile is None
        else format(rounded(suggestion.percentile), "f"),
        peer_median=shown(suggestion.peer_median),
        peers=suggestion.peers,
        suggested_target=shown(suggestion.suggested),
        reasons=[render(m, language) for m in suggestion.reasons],
    )
