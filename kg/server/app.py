"""The FastAPI application: `create_app(settings)` wires store, workers, cache and routers.

Why a factory: tests start several servers (read-only, writable, tiny limits) over different
stores in one session; nothing here is global. Optional parts owned by other modules (the UI
router, linked-data routes, ops endpoints and metrics) are imported guardedly, so the SPARQL service works alone.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI

from kg.server.settings import Settings
from kg.server.state import ServiceState

log = logging.getLogger("hilfenetz.server")


def create_app(settings: Settings) -> FastAPI:
    """Build the app. The store is opened at once (errors surface before serving); the worker
    processes start with the app's lifespan and stop with it."""
    settings = settings.resolved()
    state = ServiceState(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await state.start()
        log.info(
            "serving %s (%s) with %d workers, timeout %gs",
            settings.store_path, "read-write" if settings.writable else "read-only", settings.workers, settings.timeout,
        )
        try:
            yield
        finally:
            await state.close()

    app = FastAPI(
        title="hilfenetz SPARQL service",
        description="SPARQL 1.1 Query/Update Protocol and Graph Store Protocol over the hilfenetz knowledge graph.",
        lifespan=lifespan,
    )
    app.state.kg = state

    with contextlib.suppress(ImportError):
        from kg.server import ops

        ops.install(app, store_ready=lambda: state.pool.alive() > 0, triple_count=state.triple_count)

    from kg.server import sparql

    app.include_router(sparql.router)
    if settings.writable:
        from kg.server import graphstore

        app.include_router(graphstore.router)

    try:
        from kg.server import linkeddata
    except ImportError:
        linkeddata = None  # type: ignore[assignment]
    if linkeddata is not None and hasattr(linkeddata, "make_router"):
        app.include_router(
            linkeddata.make_router(lambda: state.store, settings, get_version=lambda: state.version)
        )

    try:
        from kg.server import ui
    except ImportError:
        ui = None  # type: ignore[assignment]
    if ui is not None and hasattr(ui, "router"):
        app.include_router(ui.router)
    return app
