"""``corpgraph prospects``: export the stored prospects to CSV or xlsx."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer

from core.errors import CorpgraphError, InputValidationError, NotFoundError
from core.formatting import Language
from graph.branches import BranchScope, read_branch_tree
from graph.export_audit import record_export
from services.exports import to_csv, to_xlsx
from services.prospects import (
    PROSPECT_TABLE,
    ProspectFilters,
    export_rows,
    list_prospects,
)

from .common import console, open_database, report_error

prospects_app = typer.Typer(help="Value-chain prospects (scored by `corpgraph compute`).")

#: The CLI runs with the operator's full access: it sees every branch.
_ALL_BRANCHES = BranchScope("HO", None)


@prospects_app.command("export")
def export(
    out: Annotated[Path, typer.Option("--out", help="FILE.csv (UTF-8 with BOM) or FILE.xlsx.")],
    branch: Annotated[
        str | None, typer.Option(help="Only prospects suggested to this branch's subtree.")
    ] = None,
    top: Annotated[int, typer.Option(min=1, help="At most this many, best first.")] = 100_000,
    lang: Annotated[
        Language, typer.Option(help="Language of headers and reasons: zh (default) or en.")
    ] = "zh",
) -> None:
    """Export prospects, best first, with the API's columns; the export is audited."""
    try:
        suffix = out.suffix.lower()
        if suffix not in {".csv", ".xlsx"}:
            raise InputValidationError("--out must end in .csv or .xlsx")
        with open_database() as db:
            branch_ids: tuple[str, ...] | None = None
            if branch is not None:
                subtree = read_branch_tree(db).subtree(branch)
                if not subtree:
                    raise NotFoundError(f"branch {branch} not found")
                branch_ids = tuple(sorted(subtree))
            _, items = list_prospects(
                db, _ALL_BRANCHES, ProspectFilters(branch_ids=branch_ids), language=lang, limit=top
            )
            rows = export_rows(items, lang)
            write = to_xlsx if suffix == ".xlsx" else to_csv
            data = write(PROSPECT_TABLE, rows, lang)
            out.write_bytes(data)
            record_export(
                db,
                kind="prospects",
                user_id=f"cli:{getpass.getuser()}",
                export_format=suffix[1:],
                filters={"branch": branch, "top": top, "out": str(out), "lang": lang},
                rows=len(rows),
            )
    except CorpgraphError as error:
        report_error(error)
        raise typer.Exit(error.exit_code) from error
    console.print(f"wrote {len(rows):,} prospects to {out}")
