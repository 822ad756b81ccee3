"""``corpgraph webhooks``: send pending Standard Webhooks deliveries, make a secret."""

from __future__ import annotations

import base64
import secrets
import time
from typing import Annotated

import typer

from core.errors import CorpgraphError
from graph.webhook_store import list_deliveries
from services.webhooks import deliver_round

from .common import console, open_database, report_error, settings

webhooks_app = typer.Typer(help="Webhook push of new events (Standard Webhooks).")


def deliver(*, now: bool, watch: float | None = None) -> None:
    """One delivery round (or one every ``watch`` seconds) and its summary."""
    cfg = settings()
    try:
        with open_database() as db:
            while True:
                enqueued, delivered, failed = deliver_round(db, cfg, force=now)
                console.print(
                    f"enqueued {enqueued}, delivered {delivered}, failed this round {failed}"
                )
                if watch is None:
                    break
                time.sleep(watch)
            pending = list_deliveries(db, "pending", limit=20)
    except CorpgraphError as error:
        report_error(error)
        raise typer.Exit(error.exit_code) from error
    console.print(f"still pending {len(pending)}{'+' if len(pending) == 20 else ''}")
    for row in pending:
        console.print(
            f"[dim]pending {row.delivery_id}: {row.attempts} attempts, "
            f"last error {row.last_error}[/dim]"
        )


@webhooks_app.command("deliver")
def deliver_command(
    now: Annotated[
        bool, typer.Option("--now", help="Retry every pending delivery, ignoring back-off.")
    ] = False,
    watch: Annotated[
        float | None,
        typer.Option("--watch", min=0.5, help="Keep delivering every SECONDS (a worker)."),
    ] = None,
) -> None:
    """Send due webhook deliveries (new events are enqueued first)."""
    deliver(now=now, watch=watch)


@webhooks_app.command("secret")
def secret_command() -> None:
    """Print a new signing secret for CORPGRAPH_WEBHOOK_SECRET (and the receivers)."""
    console.print("whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii"))
