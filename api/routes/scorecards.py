"""Scorecards (T14): ``/api/v1/scorecards`` and its CSV/xlsx export, scoped to the caller.

Scoped like ``/api/v1/kpis``: an RM sees only their own scorecard; a manager the
branches of their subtree and the RMs who work there; other roles are refused (403);
a unit outside the caller's scope is "not found" (404). Ranks and percentiles are
against all peers of the bank at the same level, so a branch manager sees where their
RMs stand bank-wide.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import Field

from api.deps import CallerLanguage, DatabaseDep, get_app_settings
from api.downloads import FILE_RESPONSES, ExportFormat, table_file
from api.pagination import Limit, Offset, Page
from api.schemas import ApiModel
from core.formatting import Language
from core.i18n import gettext
from core.kpis import ScopeType
from core.scorecards import GROUP_NAMES
from core.settings import Settings
from services.scorecards import (
    SCORECARD_TABLE,
    UnitScorecard,
    line_text,
    rounded,
    scorecard_export_rows,
    scorecards,
)

from .kpis import KpiUser, ScopeIdQuery, ScopeTypeQuery, visible_kpi_units

router = APIRouter(prefix="/api/v1", tags=["kpis"])
SettingsDep = Annotated[Settings, Depends(get_app_settings)]


class ScoreLineOut(ApiModel):
    """One line of a scorecard."""

    code: str
    name: str = Field(description="In the caller's language.")
    group: str = Field(description="results or diligence")
    group_name: str
    metric: str
    basis: str = Field(description="level, window or window_per_month")
    higher_is_better: bool
    value: str | None = Field(
        description="Exact decimal (4 places): fen for money, a count, hours; null when "
        "a mean has nothing to average."
    )
    value_text: str = Field(description="As a reader sees it: money in 万/亿 in Chinese.")
    percentile: str | None = Field(description="0 worst to 100 best among the peers.")
    weight: int


class ScorecardOut(ApiModel):
    """A unit's scorecard at a date, over the window ``window_start`` to ``on``."""

    scope_type: ScopeType
    scope_id: str
    scope_name: str
    level: int = Field(description="Peer level: 0 for RMs, a branch's depth in the tree.")
    on: date
    window_start: date
    score: str | None = Field(description="Weighted mean of the percentiles, 0-100.")
    rank: int | None = Field(description="1 is best among the peers at the same level.")
    peers: int
    lines: list[ScoreLineOut]


def _out(item: UnitScorecard, language: Language) -> ScorecardOut:
    def text(value: object) -> str | None:
        return None if value is None else format(value, "f")

    return ScorecardOut(
        scope_type="branch" if item.unit.scope_type == "branch" else "rm",
        scope_id=item.unit.scope_id,
        scope_name=item.unit.name,
        level=item.card.level,
        on=item.on,
        window_start=item.start,
        score=text(rounded(item.card.score)),
        rank=item.card.rank,
        peers=item.card.peers,
        lines=[
            ScoreLineOut(
                code=line.component.code,
                name=gettext(language, line.component.name),
                group=line.component.group,
                group_name=gettext(language, GROUP_NAMES[line.component.group]),
                metric=line.component.metric,
                basis=line.component.basis,
                higher_is_better=line.component.higher_is_better,
                value=text(rounded(line.value, 4)),
                value_text=line_text(line, language),
                percentile=text(rounded(line.percentile)),
                weight=line.weight,
            )
            for line in item.card.lines
        ],
    )


def visible_scorecards(
    db: DatabaseDep,
    caller: KpiUser,
    settings: Settings,
    on: date | None,
    scope_type: str | None,
    scope_id: str | None,
) -> list[UnitScorecard]:
    """The scorecards of the units the caller may see."""
    units = visible_kpi_units(db, caller, scope_type, scope_id)
    if not units:
        return []
    keys = {u.key for u in units}
    every = scorecards(
        db, on or date.today(), settings.scorecard_weights, settings.scorecard_window_months
    )
    return [item for item in every if item.unit.key in keys]


OnQuery = Annotated[date | None, Query(description="Snapshot date; today by default")]


@router.get("/scorecards", response_model=Page[ScorecardOut])
def get_scorecards(
    caller: KpiUser,
    db: DatabaseDep,
    settings: SettingsDep,
    language: CallerLanguage,
    on: OnQuery = None,
    scope_type: ScopeTypeQuery = None,
    scope_id: ScopeIdQuery = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ScorecardOut]:
    """RM and branch scorecards: results and diligence, ranked against peers."""
    found = visible_scorecards(db, caller, settings, on, scope_type, scope_id)
    return Page[ScorecardOut](
        total=len(found),
        limit=limit,
        offset=offset,
        items=[_out(item, language) for item in found[offset : offset + limit]],
    )


@router.get("/scorecards/export", responses=FILE_RESPONSES, response_class=Response)
def export_scorecards(
    caller: KpiUser,
    db: DatabaseDep,
    settings: SettingsDep,
    language: CallerLanguage,
    on: OnQuery = None,
    scope_type: ScopeTypeQuery = None,
    scope_id: ScopeIdQuery = None,
    format: ExportFormat = "csv",
) -> Response:
    """The same scorecards as a CSV or xlsx file in the caller's language."""
    found = visible_scorecards(db, caller, settings, on, scope_type, scope_id)
    return table_file(
        SCORECARD_TABLE,
        scorecard_export_rows(found, language),
        what=SCORECARD_TABLE.sheet,
        scope=scope_id or caller.user.branch_id,
        export_format=format,
        language=language,
    )
