"""`GET /api/search?q=`: ranked, German-aware entity search (index: kg.search).

Why a router of its own: the index lives as long as the app and follows the store version, so
a rebuilt store (read-only mode) or a committed write (write mode) is searchable at once.

Wiring (kg/server/app.py)::

    from kg.server import search as search_api
    app.include_router(search_api.make_router(lambda: state.store, lambda: state.version))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from kg.search import SearchService, expand_type

MAX_QUERY = 200
MAX_LIMIT = 100


def _error(name: str, msg: str, kind: str = "value_error") -> JSONResponse:
    return JSONResponse({"detail": [{"loc": ["query", name], "msg": msg, "type": kind}]}, status_code=422)


def make_router(get_store: Callable[[], Any], get_version: Callable[[], str]) -> APIRouter:
    """The search router with its own index service."""
    service = SearchService(get_store, get_version)
    router = APIRouter(tags=["search"])

    @router.get(
        "/api/search",
        summary="Search entities by label, alternative label, abbreviation, name and description",
        operation_id="search_entities",
        responses={422: {"description": "Missing/overlong query or unknown type"}},
    )
    async def search(
        request: Request,
        q: str = Query(..., min_length=1, max_length=MAX_QUERY,
                       description="Search text (case, umlauts/ae, ß/ss, hyphens and word forms do not matter)."),
        type: list[str] = Query(default=[], description="Only entities of this class (CURIE such as hn:Organisation "
                                                        "or IRI); repeat for several (all must hold)."),
        limit: int = Query(20, ge=1, le=MAX_LIMIT),
        offset: int = Query(0, ge=0, le=100_000),
    ) -> JSONResponse:
        allowed = {"q", "type", "limit", "offset"}
        for name in request.query_params.keys():
            if name not in allowed:
                return _error(name, "unknown parameter", "extra_forbidden")
        types: list[str] = []
        for t in type:
            iri = expand_type(t)
            if iri is None:
                return _error("type", f"not a class CURIE or IRI: {t}")
            types.append(iri)
        index = await run_in_threadpool(service.index)
        hits, total = await run_in_threadpool(index.search, q, types, limit, offset)
        return JSONResponse({
            "q": q,
            "types": types,
            "total": total,
            "limit": limit,
            "offset": offset,
            "hits": [{"iri": h.iri, "label": h.label, "score": h.score, "types": list(h.types),
                      "matched": list(h.matched)} for h in hits],
        })

    router.search_service = service  # type: ignore[attr-defined]
    return router
