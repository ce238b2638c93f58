"""`GET /api/network` (the actor–programme–municipality network, or the k-hop neighbourhood of
one entity) and `GET /api/network/path` (shortest connections between two entities).

Why here and not as SPARQL: path search and ego networks are graph algorithms; the projection
(kg.query.network) is built once per store version and kept (ServiceState.network), so answers
are fast and follow rebuilds and writes.
"""

from __future__ import annotations

import io
from typing import Any

import networkx as nx
from fastapi import Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from kg.query.network import gexf_ready, neighbourhood, shortest_connections, to_json
from kg.web.state import service

MEDIA = {"json": "application/json", "graphml": "application/graphml+xml", "gexf": "application/gexf+xml"}


def _error(name: str, msg: str, kind: str = "value_error") -> JSONResponse:
    return JSONResponse({"detail": [{"loc": ["query", name], "msg": msg, "type": kind}]}, status_code=422)


def _serialise(g: nx.MultiDiGraph, fmt: str) -> Response:
    if fmt == "json":
        return JSONResponse(to_json(g))
    buf = io.BytesIO()
    if fmt == "graphml":
        nx.write_graphml(g, buf)
    else:
        nx.write_gexf(gexf_ready(g), buf)
    return Response(buf.getvalue(), media_type=MEDIA[fmt])


NETWORK_DOC: dict[str, Any] = {
    "summary": "The actor–programme–municipality network (or a k-hop neighbourhood)",
    "operation_id": "network", "response_class": Response, "tags": ["network"],
    "responses": {200: {"description": "Nodes (typed) and edges (typed, with source documents)",
                        "content": {"application/json": {"schema": {"type": "object"}},
                                    "application/graphml+xml": {"schema": {"type": "string"}},
                                    "application/gexf+xml": {"schema": {"type": "string"}}}},
                  422: {"description": "Unknown entity or bad parameter"}},
}


async def network(
    request: Request,
    format: str = Query("json", pattern="^(json|graphml|gexf)$"),
    focus: str | None = Query(None, max_length=2000, description="IRI of the entity in the centre"),
    hops: int = Query(1, ge=1, le=4, description="Radius of the neighbourhood around `focus`"),
    events: bool = Query(True, description="Include events as nodes"),
) -> Response:
    """The whole network, or the neighbourhood of `focus`, as JSON, GraphML or GEXF."""
    for name in request.query_params:
        if name not in ("format", "focus", "hops", "events"):
            return _error(name, "unknown parameter", "extra_forbidden")
    g = await run_in_threadpool(service(request).network.graph, events)
    if focus is not None:
        if focus not in g:
            return _error("focus", "not a node of the network")
        g = neighbourhood(g, focus, hops)
    return _serialise(g, format)


PATH_DOC: dict[str, Any] = {"summary": "Shortest connections between two entities", "operation_id": "network_path",
                            "responses": {422: {"description": "Unknown entity"}}, "tags": ["network"]}


async def path(
    request: Request,
    source: str = Query(..., alias="from", max_length=2000, description="IRI of the first entity"),
    target: str = Query(..., alias="to", max_length=2000, description="IRI of the second entity"),
    limit: int = Query(20, ge=1, le=100),
) -> JSONResponse:
    """The shortest connections between two entities of the network."""
    g = await run_in_threadpool(service(request).network.graph, True)
    for name, iri in (("from", source), ("to", target)):
        if iri not in g:
            return _error(name, "not a node of the network")
    paths = await run_in_threadpool(shortest_connections, g, source, target, limit)
    return JSONResponse({"from": source, "to": target, "hops": len(paths[0]) if paths else None,
                         "paths": paths})
