"""``corpgraph kpi``: show KPIs at a snapshot date, or export them to CSV or xlsx."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from core.errors import CorpgraphError, InputValidationError, NotFoundError
from core.formatting import Language
from core.i18n import N_, gettext
from core.kpis import METRICS, SCOPE_TYPES
from core.money import Money
from graph.branches import BranchScope
from services.exports import to_csv, to_xlsx
from services.kpi_exports import KPI_TABLE, kpi_export_rows
from services.kpi_tracking import (
    PROGRESS_HEADERS,
    UnitProgress,
    display,
    raise_target_events,
    track_targets,
)
from services.kpis import KpiRow, kpi_rows, kpi_table, kpi_units, set_target
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


def read_weights(path: Path) -> dict[str, int]:
    """A weights file: ``scope_type,scope_id,weight`` rows (UTF-8, with or without BOM).

    Raises
    ------
    InputValidationError
        A missing file or column, a bad scope type, a weight that is no whole number.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise InputValidationError(f"cannot read the weights file {path}: {error}") from error
    reader = csv.DictReader(io.StringIO(text))
    needed = {"scope_type", "scope_id", "weight"}
    if reader.fieldnames is None or not needed <= set(reader.fieldnames):
        raise InputValidationError(
            f"the weights file needs the columns {', '.join(sorted(needed))}",
            details={"columns": reader.fieldnames},
        )
    weights: dict[str, int] = {}
    for line, row in enumerate(reader, start=2):
        scope_type, scope_id = row["scope_type"].strip(), row["scope_id"].strip()
        if scope_type not in SCOPE_TYPES or not scope_id:
            raise InputValidationError(
                f"line {line}: scope_type is branch or rm and scope_id is set",
                details={"line": line},
            )
        try:
            weight = int(row["weight"].strip())
        except ValueError as error:
            raise InputValidationError(
                f"line {line}: weight {row['weight']!r} is not a whole number",
                details={"line": line},
            ) from error
        weights[f"{scope_type}:{scope_id}"] = weight
    return weights


@kpi_app.command("target")
def target(
    scope_type: Annotated[str, typer.Option("--type", help="branch or rm.")],
    unit: Annotated[str, typer.Option("--unit", help="The branch or RM id.")],
    metric_code: Annotated[str, typer.Option("--metric", help=f"One of: {', '.join(METRICS)}.")],
    period: Annotated[str, typer.Option("--period", help="2026, 2026-Q1 or 2026-03.")],
    value: Annotated[str, typer.Option("--value", help="In the metric's unit (yuan for money).")],
    category: CategoryOption = None,
    split: Annotated[
        str, typer.Option("--split", help="none, history, or weights (with --weights).")
    ] = "none",
    weights_file: Annotated[
        Path | None,
        typer.Option("--weights", help="CSV scope_type,scope_id,weight of the child units."),
    ] = None,
) -> None:
    """Set a target (head-office scope) and optionally split it down to the child units."""
    try:
        if split not in ("none", "history", "weights"):
            raise InputValidationError("--split is none, history or weights")
        if (split == "weights") != (weights_file is not None):
            raise InputValidationError("--weights FILE goes with --split weights")
        try:
            amount = Decimal(value)
        except ArithmeticError as error:
            raise InputValidationError(f"--value {value!r} is not a number") from error
        weights = read_weights(weights_file) if weights_file is not None else None
        with open_database() as db:
            written = set_target(
                db,
                BranchScope("", None),
                scope_type=scope_type,
                scope_id=unit,
                metric_code=metric_code,
                category=category,
                period=period,
                value=amount,
                decomposition=split,  # type: ignore[arg-type]
                weights=weights,
                set_by="cli",
            )
    except CorpgraphError as error:
        report_error(error)
        raise typer.Exit(error.exit_code) from error
    table = Table("scope", "target", "source")
    for item in written:
        table.add_row(
            f"{item.scope_type}:{item.scope_id}", format(item.target_value, "f"), item.source
        )
    console.print(table)


# --- target tracking ------------------------------------------------------------------------
def _shown(item: UnitProgress, value: int | Fraction | None, lang: Language) -> str:
    if value is None:
        return ""
    if METRICS[item.target.metric].unit == "money":
        return Money(int(value), "CNY").format(lang, compact=True)
    return f"{display(value, item.scale).normalize():f}"


@kpi_app.command("progress")
def progress_cmd(
    on: OnOption = None,
    metric: MetricOption = None,
    unit: UnitOption = None,
    period: Annotated[
        str | None, typer.Option("--period", help="Only targets of this period (2026-Q1...).")
    ] = None,
    raise_events: Annotated[
        bool,
        typer.Option(
            "--raise-events",
            help="Also raise target_at_risk events for the units at risk (idempotent).",
        ),
    ] = False,
    lang: Annotated[Language, typer.Option(help="Language of names: zh (default) or en.")] = "zh",
) -> None:
    """Progress on every target: actual, run-rate and pipeline forecasts, chance to make it."""
    try:
        snapshot = date.fromisoformat(on) if on else date.today()
    except ValueError as error:
        report_error(InputValidationError(f"--on {on!r} is not a date YYYY-MM-DD"))
        raise typer.Exit(2) from error
    try:
        with open_database() as db:
            report = track_targets(
                db, BranchScope("HO", None), snapshot, metric=metric, period=period, scope_id=unit
            )
            run = raise_target_events(db, settings(), snapshot) if raise_events else None
    except CorpgraphError as error:
        report_error(error)
        raise typer.Exit(error.exit_code) from error
    table = Table(*(gettext(lang, h) for h in PROGRESS_HEADERS))
    for item in report.items:
        p = item.progress
        expected = None if p.pipeline_expected is None else p.actual + p.pipeline_expected
        table.add_row(
            item.unit.name,
            gettext(lang, METRICS[item.target.metric].name),
            item.target.period,
            _shown(item, p.target, lang),
            _shown(item, p.actual, lang),
            "" if p.share_done is None else f"{float(p.share_done):.1%}",
            _shown(item, p.run_rate_forecast, lang),
            _shown(item, expected, lang),
            "" if p.probability is None else f"{p.probability:.1%}",
        )
    console.print(table)
    if run is not None:
        console.print(
            gettext(
                lang, N_("{at_risk} of {assessed} targets at risk; {created} new events.")
            ).format(at_risk=len(run.at_risk), assessed=run.assessed, created=run.created)
        )
