"""Logging configuration for the CLI and the API process."""

from __future__ import annotations

import logging


def configure_logging(level: int) -> None:
    """Send corpgraph's records to stderr at ``level``; keep the driver quieter.

    Only processes (CLI, server) call this; library modules just use
    ``logging.getLogger(__name__)``.
    """
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    # The driver logs every failed connection attempt while a server starts.
    logging.getLogger("neo4j").setLevel(max(level, logging.WARNING))
