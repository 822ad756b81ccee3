"""``corpgraph resolve``: the counterparty review queue, its decisions and their audit."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from core.errors import InputValidationError
from core.judgements import Judgement
from graph.branches import BranchScope
from graph.resolution_store import (
    CANDIDATE_STATUSES,
    decisions_file_text,
    export_decisions,
    import_decisions,
    list_candidates,
    list_decisions,
    record_decision,
)

from .common import console, err_console, open_database, settings

resolve_app = typer.Typer(
    help=(
        "Counterparty entity resolution: review candidate pairs (one company or two?). "
        "Decisions apply from the next load, or at once with `resolve apply`."
    )
)

#: The CLI runs with the operator's full access: it sees every branch.
_ALL_BRANCHES = BranchScope("HO", None)

Reason = Annotated[str, typer.Option("--reason", help="Why (kept in the audit log).")]
By = Annotated[
    str | None, typer.Option("--by", help="Who decides (default: the operating-system user).")
]


@resolve_app.command("list")
def list_command(
    status: Annotated[
        str, typer.Option(help=f"One of {', '.join(CANDIDATE_STATUSES)}, or 'all'.")
    ] = "pending",
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
) -> None:
    """Candidate pairs, most probable first (the review queue by default)."""
    with open_database() as db:
        total, rows = list_candidates(
            db,
            _ALL_BRANCHES,
            status=None if status == "all" else status,
            limit=limit,
            offset=offset,
        )
    table = Table(
        "candidate",
        "probability",
        "left",
        "right",
        "status",
        "evidence",
        title=f"candidate pairs: {total} {status}",
    )
    for row in rows:
        table.add_row(
            row.candidate_id,
            f"{row.probability:.3f}",
            f"{row.left_name}\n[dim]{row.left_id}[/dim]",
            f"{row.right_name}\n[dim]{row.right_id}[/dim]",
            row.status,
            "\n".join(row.features),
        )
    console.print(table)


def _decide(candidate: str, judgement: Judgement, reason: str, by: str | None) -> None:
    who = by or getpass.getuser()
    with open_database() as db:
        decision = record_decision(
            db,
            _ALL_BRANCHES,
            candidate,
            judgement,
            user_id=f"cli:{who}",
            user_name=who,
            reason=reason,
        )
    console.print(
        f"{decision.decision_id}: {decision.left_name} / {decision.right_name} → "
        f"{decision.judgement.value} by {who}; it applies from the next load "
        "(or run `corpgraph resolve apply`)"
    )


@resolve_app.command("accept")
def accept(
    candidate: Annotated[str, typer.Argument(help="Candidate id (RC-...).")],
    reason: Reason,
    by: By = None,
) -> None:
    """The two records are one company: merge them (positive)."""
    _decide(candidate, Judgement.POSITIVE, reason, by)


@resolve_app.command("reject")
def reject(
    candidate: Annotated[str, typer.Argument(help="Candidate id (RC-...).")],
    reason: Reason,
    by: By = None,
) -> None:
    """The two records are two companies: never merge them, whatever the score (negative)."""
    _decide(candidate, Judgement.NEGATIVE, reason, by)


@resolve_app.command("unsure")
def unsure(
    candidate: Annotated[str, typer.Argument(help="Candidate id (RC-...).")],
    reason: Reason,
    by: By = None,
) -> None:
    """Cannot tell: keep the records apart and take the pair off the queue."""
    _decide(candidate, Judgement.UNSURE, reason, by)


@resolve_app.command("log")
def log(
    candidate: Annotated[str | None, typer.Option(help="Only this candidate pair.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 50,
) -> None:
    """The audit log: every decision, newest first, with who, when, why and how often applied."""
    with open_database() as db:
        total, rows = list_decisions(db, _ALL_BRANCHES, candidate=candidate, limit=limit)
    table = Table(
        "decision",
        "when",
        "who",
        "judgement",
        "pair",
        "reason",
        "applied",
        title=f"decisions: {total}",
    )
    for row in rows:
        table.add_row(
            row.decision_id,
            row.decided_at.strftime("%Y-%m-%d %H:%M:%S"),
            row.user_name or row.user_id,
            row.judgement.value,
            f"{row.left_name} / {row.right_name}\n[dim]{row.candidate_id}[/dim]",
            row.reason,
            str(row.applied_count),
        )
    console.print(table)


@resolve_app.command("apply")
def apply() -> None:
    """Resolve every known counterparty again with the decisions in force, now."""
    from loaders.pipeline import apply_resolution

    from .progress import RichProgress

    with open_database() as db, RichProgress(err_console) as progress:
        report = apply_resolution(db, settings(), progress=progress)
    summary = report.matching
    if summary is None:
        console.print("nothing to resolve")
        return
    statuses = ", ".join(f"{k} {v:,}" for k, v in summary.statuses.items()) or "none"
    console.print(
        f"applied {summary.decisions_applied} decisions; candidate pairs: {statuses}; "
        f"companies whose flows moved: {summary.moved_companies:,}; "
        f"monthly flows rewritten: {report.flows_written:,}"
    )


@resolve_app.command("export")
def export(out: Annotated[Path, typer.Argument(help="JSON file to write.")]) -> None:
    """Write every decision to a JSON file (to keep them across `db wipe`)."""
    with open_database() as db:
        decisions = export_decisions(db)
    out.write_text(decisions_file_text(decisions), encoding="utf-8")
    console.print(f"wrote {len(decisions)} decisions to {out}")


@resolve_app.command("import")
def import_(source: Annotated[Path, typer.Argument(help="JSON file of `resolve export`.")]) -> None:
    """Bring back exported decisions (decisions already stored are kept as they are)."""
    try:
        items = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InputValidationError(f"{source} is not a readable decisions file: {error}") from error
    if not isinstance(items, list):
        raise InputValidationError(f"{source} does not hold a list of decisions")
    with open_database() as db:
        count = import_decisions(db, items)
    console.print(f"imported {count} decisions; they apply from the next load")
