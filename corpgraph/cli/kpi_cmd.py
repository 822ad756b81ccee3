"""``corpgraph kpi``: show KPIs at a snapshot date, or export them to CSV or xlsx."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from core.errors import CorpgraphError, InputValidationError, NotFoundError
from core.formatting import Language
from core.i18n import gettext
from core.kpis import METRICS
from services.exports import to_csv, to_xlsx
from services.kpi_exports import KPI_TABLE, kpi_export_rows
from services.kpis import KpiRow, kpi_rows, kpi_table, kpi_units
from services.scorecards import SCORECARD_TABLE, UnitScorecard, scorecard_export_rows, scorecards

from .common import console, open_database, report_error, settings

kpi_app = typer.Typer(help="KPIs of every branch and RM at a snapshot date (core/kpis.py).")

OnOption = Annotated[
    str | None, typer.Option("--on", help="Snapshot date YYYY-MM-DD (default: today).")
]
MetricOption = Annotated[
    str | None, typer.Option("--metric", help=f"One of: {', '.join(METRICS)}.")
]
UnitOption = Annotated[str | None, typer.Option("--unit", help="Only this branch or RM id.")]
CategoryOption = Annotated[
    str | None, typer.Option("--category", help="Only this product category or stage.")
]


def _rows(
    on: str | None, metric: str | None, unit: str | None, category: str | None
) -> list[KpiRow]:
    try:
        snapshot = date.fromisoformat(on) if on else date.today()
    except ValueError as error:
        raise InputValidationError(f"--on {on!r} is not a date YYYY-MM-DD") from error
    with open_database() as db:
        units = kpi_units(db)
        if unit is not None:
            units = [u for u in units if u.scope_id == unit]
            if not units:
                raise NotFoundError(f"unit {unit} not found")
        return kpi_rows(kpi_table(db, snapshot), units, metric_code=metric, category=category)


@kpi_app.command("show")
def show(
    on: OnOption = None,
    metric: MetricOption = None,
    unit: UnitOption = None,
    category: CategoryOption = None,
    lang: Annotated[Language, typer.Option(help="Language of names: zh (default) or en.")] = "zh",
) -> None:
    """Print each unit's metrics at the date, exact, with what each value is made of."""
    try:
        rows = _rows(on, metric, unit, category)
    except CorpgraphError as error:
        report_error(error)
        raise typer.Exit(error.exit_code) from error
    table = Table(*KPI_TABLE.headers(lang), title=gettext(lang, KPI_TABLE.sheet))
    for cells in kpi_export_rows(rows, lang):
        table.add_row(*("" if c is None else str(c) for c in cells))
    console.print(table)


@kpi_app.command("export")
def export(
    out: Annotated[Path, typer.Option("--out", help="FILE.csv (UTF-8 with BOM) or FILE.xlsx.")],
    on: OnOption = None,
    metric: MetricOption = None,
    unit: UnitOption = None,
    category: CategoryOption = None,
    lang: Annotated[Language, typer.Option(help="Language of headers: zh (default) or en.")] = "zh",
) -> None:
    """Write the same rows as ``kpi show`` to a CSV or xlsx file."""
    try:
        suffix = out.suffix.lower()
        if suffix not in {".csv", ".xlsx"}:
            raise InputValidationError("--out must end in .csv or .xlsx")
        rows = _rows(on, metric, unit, category)
        write = to_xlsx if suffix == ".xlsx" else to_csv
        out.write_bytes(write(KPI_TABLE, kpi_export_rows(rows, lang), lang))
    except CorpgraphError as error:
        report_error(error)
        raise typer.Exit(error.exit_code) from error
    console.print(f"wrote {len(rows):,} KPI rows to {out}")


def _scorecards(on: str | None, unit: str | None) -> list[UnitScorecard]:
    try:
        snapshot = date.fromisoformat(on) if on else date.today()
    except ValueError as error:
        raise InputValidationError(f"--on {on!r} is not a date YYYY-MM-DD") from error
    config = settings()
    with open_database() as db:
        cards = scorecards(db, snapshot, config.scorecard_weights, config.scorecard_window_months)
    if unit is not None:
        cards = [c for c in cards if c.unit.scope_id == unit]
        if not cards:
            raise NotFoundError(f"unit {unit} not found")
    return cards


@kpi_app.command("scorecard")
def scorecard(
    on: OnOption = None,
    unit: UnitOption = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write FILE.csv or FILE.xlsx instead.")
    ] = None,
    lang: Annotated[Language, typer.Option(help="Language of names: zh (default) or en.")] = "zh",
) -> None:
    """RM and branch scorecards: results and diligence ranked against peers (Settings weights)."""
    try:
        if out is not None and out.suffix.lower() not in {".csv", ".xlsx"}:
            raise InputValidationError("--out must end in .csv or .xlsx")
        cards = _scorecards(on, unit)
        if out is not None:
            write = to_xlsx if out.suffix.lower() == ".xlsx" else to_csv
            out.write_bytes(write(SCORECARD_TABLE, scorecard_export_rows(cards, lang), lang))
    except CorpgraphError as error:
        report_error(error)
        raise typer.Exit(error.exit_code) from error
    if out is not None:
        console.print(f"wrote {len(cards):,} scorecards to {out}")
        return
    table = Table(*SCORECARD_TABLE.headers(lang), title=gettext(lang, SCORECARD_TABLE.sheet))
    for cells in scorecard_export_rows(cards, lang):
        table.add_row(*("" if c is None else str(c) for c in cells))
    console.print(table)
