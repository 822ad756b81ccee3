"""Shared CLI plumbing: settings, the one driver, and error presentation."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console

from core.errors import CorpgraphError
from core.settings import Settings, get_settings
from graph.database import Database, create_driver
from graph.local_server import ensure_local_server, resolve_connection

# Piped output (scripts, tests) gets wide tables instead of Rich's 80-column default.
console = Console() if sys.stdout.isatty() else Console(width=200)
err_console = Console(stderr=True) if sys.stderr.isatty() else Console(stderr=True, width=200)


def settings() -> Settings:
    """The process settings."""
    return get_settings()


@contextmanager
def open_database(*, start_local: bool = True) -> Iterator[Database]:
    """Yield a :class:`Database` on the process's one driver, closed on exit.

    With no ``NEO4J_URI``, the local server is started first if needed.
    """
    cfg = settings()
    if start_local:
        state = ensure_local_server(cfg)
        if state is not None:
            err_console.print(f"[dim]using local Neo4j at {state.uri}[/dim]")
    connection = resolve_connection(cfg)
    driver = create_driver(connection, cfg)
    try:
        yield Database(driver, connection.database, write_batch_size=cfg.write_batch_size)
    finally:
        driver.close()


def report_error(error: CorpgraphError) -> None:
    """Print one clear line (plus structured details) for a domain error."""
    err_console.print(f"[bold red]error:[/bold red] {error.message}")
    for key, value in error.details.items():
        text = str(value)
        if "\n" in text:
            err_console.print(f"[dim]{key}:[/dim]\n{text}", markup=False, highlight=False)
        else:
            err_console.print(f"[dim]{key}:[/dim] {text}", highlight=False)
