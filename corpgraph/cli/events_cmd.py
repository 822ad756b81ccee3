"""``corpgraph events``: list detected events and deliver pending webhooks."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from core.errors import CorpgraphError
from graph.branches import BranchScope
from graph.events import list_events

from .common import console, open_database, report_error
from .webhooks_cmd import deliver

events_app = typer.Typer(help="Major events (detected by `corpgraph compute`) and their push.")

#: The CLI runs with the operator's full access: it sees every branch.
_ALL_BRANCHES = BranchScope("HO", None)


@events_app.command("list")
def list_command(
    event_type: Annotated[str | None, typer.Option("--type", help="Only this type.")] = None,
    status: Annotated[str | None, typer.Option(help="Only this status.")] = None,
    customer: Annotated[str | None, typer.Option(help="Only this customer id.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 50,
) -> None:
    """List events, newest month first."""
    try:
        with open_database() as db:
            total, items = list_events(
                db,
                _ALL_BRANCHES,
                event_type=event_type,
                status=status,
                customer=customer,
                limit=limit,
            )
    except CorpgraphError as error:
        report_error(error)
        raise typer.Exit(error.exit_code) from error
    table = Table(
        "id",
        "type",
        "severity",
        "customer",
        "month",
        "status",
        "owner RM",
        title=f"events ({total} in all)",
    )
    for item in items:
        table.add_row(
            item.id,
            item.type,
            item.severity,
            item.customer.id,
            item.month,
            item.status,
            item.owner_rm_id or "",
        )
    console.print(table)


@events_app.command("deliver")
def deliver_command(
    now: Annotated[
        bool, typer.Option("--now", help="Retry every pending delivery, ignoring back-off.")
    ] = False,
) -> None:
    """Send due webhook deliveries (the same as ``corpgraph webhooks deliver``)."""
    deliver(now=now)
