"""The FastAPI application factory.

The process's one Neo4j driver is created in the lifespan and closed at shutdown.
It connects lazily, so the API starts (and answers liveness) even while Neo4j is
down, and readiness turns green by itself once Neo4j answers.

Examples
--------
>>> from graph.settings import Settings
>>> app = create_app(Settings(_env_file=None))
>>> app.title
'corpgraph'
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from corpgraph import __version__
from graph.database import Database, create_driver
from graph.local_server import resolve_connection
from graph.settings import Settings, get_settings

from . import ui
from .errors import install_error_handlers
from .routes import customers, group_risk, opportunities, prospects, reports, resolution, system
from .routes import events as event_routes
from .routes import interdependence as interdependence_routes
from .routes import maps as map_routes

logger = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API application.

    Parameters
    ----------
    settings
        Configuration; defaults to the process settings from the environment.
    """
    cfg = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        connection = resolve_connection(cfg)
        driver = create_driver(connection, cfg)
        app.state.settings = cfg
        app.state.database = Database(
            driver, connection.database, write_batch_size=cfg.write_batch_size
        )
        logger.info("API using Neo4j at %s", connection.uri)
        try:
            yield
        finally:
            driver.close()

    app = FastAPI(
        title="corpgraph",
        version=__version__,
        description=(
            "Relationship intelligence for corporate banking. Every endpoint except "
            "health and ready needs an API key (`Authorization: Bearer <key>` or "
            "`X-API-Key`) and returns only customers in the caller's branch subtree."
        ),
        lifespan=lifespan,
        # /docs and /redoc are served by api.ui with the app's own copies of Swagger UI
        # and ReDoc: FastAPI's defaults load them from a CDN, blank inside an intranet.
        docs_url=None,
        redoc_url=None,
    )
    install_error_handlers(app)
    app.include_router(system.router)
    app.include_router(prospects.router)
    app.include_router(group_risk.router)
    app.include_router(interdependence_routes.router)
    app.include_router(customers.router)
    app.include_router(map_routes.router)
    app.include_router(event_routes.router)
    app.include_router(opportunities.router)
    app.include_router(reports.router)
    app.include_router(resolution.router)
    app.include_router(ui.router)
    app.mount("/static", ui.static_files(), name="static")
    return app
