"""Reports for head office and branches: events, segment migration, the pipeline (JSON or CSV)."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api.deps import Caller, DatabaseDep, require_roles
from api.schemas import CnyEquivalentOut, EventsReport, Pipeline, SegmentMigration
from core.codes import STAGES, Role
from core.errors import InputValidationError
from core.spreadsheet import safe_row
from graph.fx import read_latest_rates
from graph.opportunities import pipeline_summary
from graph.reports import events_report, events_report_csv_rows, segment_migration

from .events import branch_subtree

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

ReportUser = Annotated[Caller, Depends(require_roles(Role.MANAGER))]
Format = Literal["json", "csv"]
#: ``format=csv`` answers a UTF-8 CSV file instead of the JSON model.
CSV_ALTERNATIVE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}}
}


def _csv(rows: list[list[Any]], name: str) -> Response:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(safe_row(row) for row in rows)
    return Response(
        content="\ufeff" + buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@router.get("/events", response_model=EventsReport, responses=CSV_ALTERNATIVE)
def get_events_report(
    caller: ReportUser,
    db: DatabaseDep,
    branch: Annotated[str | None, Query(max_length=64)] = None,
    format: Format = "json",
) -> EventsReport | Response:
    """Event counts by type, severity and status per branch; ageing; actioned rate."""
    report = events_report(db, caller.scope, branch_subtree(db, caller, branch))
    if format == "csv":
        return _csv(events_report_csv_rows(report), "events-report")
    return EventsReport.model_validate(report)


@router.get("/segment-migration", response_model=SegmentMigration, responses=CSV_ALTERNATIVE)
def get_segment_migration(
    caller: ReportUser,
    db: DatabaseDep,
    from_date: Annotated[date, Query(alias="from")],
    to_date: Annotated[date, Query(alias="to")],
    format: Format = "json",
) -> SegmentMigration | Response:
    """Transition matrix of segments between two snapshot dates, with counts and exposure."""
    if to_date < from_date:
        raise InputValidationError("`to` must not be before `from`")
    report = segment_migration(db, caller.scope, from_date, to_date)
    if format == "csv":
        rows: list[list[Any]] = [["from", "to", "count", "exposure", "currency"]]
        for cell in report["matrix"]:
            exposures = cell["exposure"] or [{"amount": "0", "currency": ""}]
            rows.extend(
                [cell["from"], cell["to"], cell["count"], e["amount"], e["currency"]]
                for e in exposures
            )
        return _csv(rows, "segment-migration")
    rates = read_latest_rates(db)
    for cell in report["matrix"]:
        cell["exposure_cny"] = CnyEquivalentOut.of(cell["exposure"], rates)
    return SegmentMigration.model_validate(report)


@router.get("/pipeline", response_model=Pipeline, responses=CSV_ALTERNATIVE)
def get_pipeline(
    caller: ReportUser,
    db: DatabaseDep,
    format: Format = "json",
) -> Pipeline | Response:
    """Opportunities per branch, RM and stage, with exact expected amounts."""
    report = pipeline_summary(db, caller.scope)
    if format == "csv":
        rows: list[list[Any]] = [["branch_id", "rm_id", *STAGES, "count"]]
        rows.extend(
            [i["branch_id"], i["rm_id"], *(i["stages"][s] for s in STAGES), i["count"]]
            for i in report["items"]
        )
        return _csv(rows, "pipeline")
    rates = read_latest_rates(db)
    for item in report["items"]:
        item["expected_amount_cny"] = CnyEquivalentOut.of(item["expected_amounts"], rates)
    return Pipeline.model_validate(report)
