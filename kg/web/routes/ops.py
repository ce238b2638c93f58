"""Operations: `/health` (liveness), `/ready` (readiness) and `/metrics` (Prometheus).

They read the app's probes (kg.web.ops.Probes, `service(request).probes`): readiness of the
store, its quad count (cached) and the metrics registry, or the merged view of a replica group.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from kg.web.ops import resident_bytes
from kg.web.state import service

HEALTH_DOC: dict[str, Any] = {"tags": ["ops"]}
READY_DOC: dict[str, Any] = {"tags": ["ops"]}
METRICS_DOC: dict[str, Any] = {"tags": ["ops"], "response_class": PlainTextResponse}


def health() -> JSONResponse:
    """Liveness: the process answers. Does not touch the store."""
    return JSONResponse({"status": "ok"})


def ready(request: Request) -> JSONResponse:
    """Readiness: 200 when the store is open and queryable, else 503."""
    probes = service(request).probes
    ok = probes.is_ready()
    probes.registry.set("hilfenetz_store_ready", 1 if ok else 0)
    body: dict[str, Any] = {"status": "ready" if ok else "unavailable", "store": ok}
    return JSONResponse(body, status_code=200 if ok else 503)


def metrics(request: Request) -> Response:
    """Prometheus text exposition (version 0.0.4)."""
    probes = service(request).probes
    registry = probes.registry
    registry.set("hilfenetz_store_ready", 1 if probes.is_ready() else 0)
    n = probes.counter.get()
    if n is not None:
        registry.set("hilfenetz_store_triples", n)
    rss = resident_bytes()
    if rss is not None:
        registry.set("process_resident_memory_bytes", rss)
    return Response(probes.render(), media_type="text/plain; version=0.0.4; charset=utf-8")
