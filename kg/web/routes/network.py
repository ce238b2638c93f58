"""`GET /api/network` (the actor–programme–municipality network, or the k-hop neighbourhood of
one entity) and `GET /api/network/path` (shortest connections between two entities).

Why here and not as SPARQL: path search and ego networks are graph algorithms; the projection
(kg.query.network) is built once per store version and kept, so answers are fast and follow
rebuilds and writes.

Wiring (kg/web/app.py)::

    from kg.web.routes import network as network_api
    app.include_router(network_api.make_router(lambda: state.store, lambda: state.version))
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import networkx as nx
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from kg.query.network import (
    build_network,
    gexf_ready,
    neighbourhood,
    shortest_connections,
    to_json,
)

if TYPE_CHECKING:
    from kg.store.protocol import QueryStore

MEDIA = {"json": "application/json", "graphml": "application/graphml+xml", "gexf": "application/gexf+xml"}


def _error(name: str, msg: str, kind: str = "value_error") -> JSONResponse:
    return JSONResponse({"detail": [{"loc": ["query", name], "msg": msg, "type": kind}]}, status_code=422)


class NetworkCache:
    """The projection of the current store version (rebuilt when the version changes)."""

    def __init__(self, get_store: Callable[[], QueryStore], get_version: Callable[[], str]) -> None:
        self._get_store, self._get_version = get_store, get_version
        self._lock = threading.Lock()
        self._graphs: dict[bool, tuple[str, nx.MultiDiGraph]] = {}

    def graph(self, include_events: bool = True) -> nx.MultiDiGraph:
        version = self._get_version()
        with self._lock:
            cached = self._graphs.get(include_events)
            if cached is None or cached[0] != version:
                cached = (version, build_network(self._get_store(), include_events=include_events))
                self._graphs[include_events] = cached
            return cached[1]


def _serialise(g: nx.MultiDiGraph, fmt: str) -> Response:
    if fmt == "json":
        return JSONResponse(to_json(g))
    buf = io.BytesIO()
    if fmt == "graphml":
        nx.write_graphml(g, buf)
    else:
        nx.write_gexf(gexf_ready(g), buf)
    return Response(buf.getvalue(), media_type=MEDIA[fmt])


def make_router(get_store: Callable[[], QueryStore], get_version: Callable[[], str]) -> APIRouter:
    """Router with /api/network and /api/network/path."""
    cache = NetworkCache(get_store, get_version)
    router = APIRouter(tags=["network"])

    @router.get("/api/network", summary="The actor–programme–municipality network (or a k-hop neighbourhood)",
                operation_id="network", response_class=Response,
                responses={200: {"description": "Nodes (typed) and edges (typed, with source documents)",
                                 "content": {"application/json": {"schema": {"type": "object"}},
                                             "application/graphml+xml": {"schema": {"type": "string"}},
                                             "application/gexf+xml": {"schema": {"type": "string"}}}},
                           422: {"description": "Unknown entity or bad parameter"}})
    async def network(
        request: Request,
        format: str = Query("json", pattern="^(json|graphml|gexf)$"),
        focus: str | None = Query(None, max_length=2000, description="IRI of the entity in the centre"),
        hops: int = Query(1, ge=1, le=4, description="Radius of the neighbourhood around `focus`"),
        events: bool = Query(True, description="Include events as nodes"),
    ) -> Response:
        for name in request.query_params:
            if name not in ("format", "focus", "hops", "events"):
                return _error(name, "unknown parameter", "extra_forbidden")
        g = await run_in_threadpool(cache.graph, events)
        if focus is not None:
            if focus not in g:
                return _error("focus", "not a node of the network")
            g = neighbourhood(g, focus, hops)
        return _serialise(g, format)

    @router.get("/api/network/path", summary="Shortest connections between two entities",
                operation_id="network_path",
                responses={422: {"description": "Unknown entity"}})
    async def path(
        request: Request,
        source: str = Query(..., alias="from", max_length=2000, description="IRI of the first entity"),
        target: str = Query(..., alias="to", max_length=2000, description="IRI of the second entity"),
        limit: int = Query(20, ge=1, le=100),
    ) -> JSONResponse:
        g = await run_in_threadpool(cache.graph, True)
        for name, iri in (("from", source), ("to", target)):
            if iri not in g:
                return _error(name, "not a node of the network")
        paths = await run_in_threadpool(shortest_connections, g, source, target, limit)
        return JSONResponse({"from": source, "to": target, "hops": len(paths[0]) if paths else None,
                             "paths": paths})

    return router
