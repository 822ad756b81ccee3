"""The FastAPI application factory.

The process's one Neo4j driver is created in the lifespan and closed at shutdown.
It connects lazily, so the API starts (and answers liveness) even while Neo4j is
down, and readiness turns green by itself once Neo4j answers.

Examples
--------
>>> from core.settings import Settings
>>> app = create_app(Settings(_env_file=None))
>>> app.title
'corpgraph'
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from core.settings import Settings, get_settings
from core.version import __version__
from graph.auth_cache import AuthCache
from graph.availability import Availability
from graph.database import Database, create_driver
from graph.local_server import resolve_connection
from services.webhooks import DeliveryWorker

from . import ui
from .errors import ERROR_RESPONSES, install_error_handlers
from .routes import customers, group_risk, opportunities, prospects, reports, resolution, system
from .routes import events as event_routes
from .routes import interdependence as interdependence_routes
from .routes import kpi_progress as kpi_progress_routes
from .routes import kpis as kpi_routes
from .routes import maps as map_routes
from .routes import related as related_routes
from .routes import related_review as related_review_routes
from .routes import scorecards as scorecard_routes

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
        driver = create_driver(connection, cfg, fail_fast=True)
        app.state.settings = cfg
        app.state.database = Database(
            driver, connection.database, write_batch_size=cfg.write_batch_size
        )
        logger.info("API using Neo4j at %s", connection.uri)
        # The serve-side webhook worker: sends what compute enqueued, outside any request.
        worker = (
            DeliveryWorker(app.state.database, cfg, cfg.webhook_worker_interval_s)
            if cfg.webhook_urls
            and cfg.webhook_secret is not None
            and cfg.webhook_worker_interval_s > 0
            else None
        )
        if worker is not None:
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
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
    app.state.availability = Availability(cfg.api_unavailable_recheck_s)
    app.state.auth_cache = AuthCache(enabled=cfg.api_auth_cache)
    install_error_handlers(app)
    app.include_router(system.router)
    # Every operation of these routers authenticates, so each may answer these errors.
    for router in (
        prospects.router,
        group_risk.router,
        interdependence_routes.router,
        customers.router,
        map_routes.router,
        event_routes.router,
        opportunities.router,
        reports.router,
        resolution.router,
        kpi_routes.router,
        scorecard_routes.router,
        kpi_progress_routes.router,
        related_routes.router,
        related_review_routes.router,
    ):
        app.include_router(router, responses=ERROR_RESPONSES)
    app.include_router(ui.router)
    app.mount("/static", ui.static_files(), name="static")
    return app
