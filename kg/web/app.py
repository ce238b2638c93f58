"""The FastAPI application: `create_app(settings)` wires store, workers, cache and routers.

Why a factory: tests start several servers (read-only, writable, tiny limits) over different
stores in one session; nothing here is global. Every router (SPARQL, graph store, linked
data, REST API, UI, operations) is mounted here; a part that fails to build stops the app.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any, Protocol

from fastapi import FastAPI

from kg.config import Settings, env_setting
from kg.web.http import HeadAsGet
from kg.web.metrics import METRICS, MetricsRegistry
from kg.query.service import ServiceState

log = logging.getLogger("hilfenetz.server")


class GroupServices(Protocol):
    """What a replica of `kg serve --replicas` shares with its group (kg.serve.replicas gives
    it; the web layer only uses it): one per-client rate limit and one merged /metrics."""

    def rate_buckets(self, rate: float, burst: int) -> Any:
        """The token buckets shared by the group (an object with `take(client) -> float`)."""

    def shared_metrics(self, registry: MetricsRegistry) -> Any:
        """Publishes `registry` for the group (`start()`, `stop()`) and renders the merged view."""


def create_app(settings: Settings, group: GroupServices | None = None) -> FastAPI:
    """Build the app. The store is opened at once (errors surface before serving); the worker
    processes start with the app's lifespan and stop with it. `group` is given to a replica
    of a group (kg.serve.replicas); a process serving alone has none."""
    settings = settings.resolved()
    from kg.web import ops

    # before the store opens: its threads then share the capped malloc arenas too (measured:
    # with glibc's default the main process grew from ~0.7 to ~1.05 GB in 180 s of soak load,
    # capped at 2 it stayed flat; bench/results/soak.md). The one place the cap is applied:
    # uvicorn's threads, started later, share the capped arenas as well.
    ops.limit_malloc_arenas(env_setting("malloc_arenas"))
    state = ServiceState(settings)
    shared = group.shared_metrics(METRICS) if group is not None else None

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await state.start()
        if shared is not None:
            shared.start()
        log.info(
            "serving %s (%s) with %d workers, timeout %gs",
            settings.store_path, "read-write" if settings.writable else "read-only", settings.workers, settings.timeout,
        )
        try:
            yield
        finally:
            if shared is not None:
                shared.stop()
            await state.close()
            for handler in ops.access_log.handlers:  # lines still waiting in a batch
                handler.flush()

    app = FastAPI(
        title="hilfenetz SPARQL service",
        description="SPARQL 1.1 Query/Update Protocol and Graph Store Protocol over the hilfenetz knowledge graph.",
        lifespan=lifespan,
        # FastAPI's own /docs and /redoc load their assets from a CDN; the offline docs are /api/docs
        docs_url=None,
        redoc_url=None,
    )
    app.state.kg = state

    from kg.web import cors
    from kg.web import limits
    from kg.web import security
    from kg.web.routes import sparql

    app.add_middleware(HeadAsGet)  # innermost, around the router: HEAD wherever GET (not /sparql: the lane has it)
    sparql.install_lane(app)  # next: /sparql requests pass every middleware, not the router
    limits.install(app, settings, group.rate_buckets if group is not None else None)  # installed first = innermost of the three: ops still counts 429s
    cors.install(app)  # outside the limits: preflights cost no tokens, 429s can be read by pages on other origins
    security.install(app, settings)  # headers also on 429/414 answers and preflights

    ops.install(app, store_ready=state.ready, triple_count=state.triple_count,
                render=shared.render if shared is not None else None)

    app.include_router(sparql.router)
    if settings.writable:
        from kg.web.routes import graphstore

        app.include_router(graphstore.router)

    _mount_routers(app, state, settings)
    return app


def _mount_routers(app: FastAPI, state: ServiceState, settings: Settings) -> None:
    """Mount the linked-data pages, the REST API (named queries, search, network) and the UI.

    A router that cannot be built (e.g. a broken query file) stops the app with its error:
    an endpoint must never disappear silently."""
    from kg.web.routes import linkeddata
    from kg.web.routes import queries as namedqueries
    from kg.web.routes import network
    from kg.web.routes import search
    from kg.web.routes import ui

    def get_store() -> Any:  # the embedded ox.Store or a RemoteStore (ServiceState.store)
        return state.store

    def get_version() -> str:
        return state.version

    app.include_router(
        linkeddata.make_router(get_store, settings, get_version=get_version, warm=settings.warm_caches)
    )
    app.include_router(namedqueries.make_router(get_store, namedqueries.queries_dir_for(settings)))
    app.include_router(search.make_router(get_store, get_version))
    app.include_router(network.make_router(get_store, get_version))
    app.include_router(ui.router)
    app.include_router(namedqueries.docs_router())
    namedqueries.install_openapi(app)
