"""The FastAPI application: `create_app(settings)` wires store, workers, cache and routers.

Why a factory: tests start several servers (read-only, writable, tiny limits) over different
stores in one session; nothing here is global. Optional parts owned by other modules (the UI
router, linked-data routes, REST API routers, ops endpoints and metrics) are imported guardedly, so the SPARQL service works alone.
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

    from kg.server import limits, security

    limits.install(app, settings)  # installed first = innermost of the three: ops still counts 429s
    security.install(app, settings)  # headers also on 429/414 answers

    with contextlib.suppress(ImportError):
        from kg.server import ops

        ops.install(app, store_ready=lambda: state.pool.alive() > 0, triple_count=state.triple_count)

    from kg.server import sparql

    app.include_router(sparql.router)
    if settings.writable:
        from kg.server import graphstore

        app.include_router(graphstore.router)

    _mount_optional_routers(app, state, settings)

    try:
        from kg.server import ui
    except ImportError:
        ui = None  # type: ignore[assignment]
    if ui is not None and hasattr(ui, "router"):
        app.include_router(ui.router)
    return app


def _mount_optional_routers(app: FastAPI, state: ServiceState, settings: Settings) -> None:
    """Routers other modules provide (linked data, REST API: named queries, search, network).

    Each is optional: a module that is missing is skipped, one that fails while building its
    router is logged and skipped, so the SPARQL service itself always starts."""
    import importlib

    def get_store() -> object:
        return state.store

    def get_version() -> str:
        return state.version

    def linkeddata(mod: object) -> object:
        return mod.make_router(get_store, settings, get_version=get_version)  # type: ignore[attr-defined]

    def namedqueries(mod: object) -> object:
        return mod.make_router(get_store, mod.queries_dir_for(settings))  # type: ignore[attr-defined]

    def store_and_version(mod: object) -> object:
        return mod.make_router(get_store, get_version)  # type: ignore[attr-defined]

    for name, factory in (
        ("kg.server.linkeddata", linkeddata),
        ("kg.server.namedqueries", namedqueries),
        ("kg.server.search", store_and_version),
        ("kg.server.network", store_and_version),
    ):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        except Exception:  # noqa: BLE001 - a module being edited must not take the endpoint down
            log.exception("could not import %s; serving without it", name)
            continue
        if not hasattr(module, "make_router"):
            continue
        try:
            app.include_router(factory(module))  # type: ignore[arg-type]
        except Exception:  # noqa: BLE001 - an optional router must not take the endpoint down
            log.exception("could not mount %s; serving without it", name)
