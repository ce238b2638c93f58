"""The one list of routes (kg.web.app.ROUTES) is the whole service: the app serves exactly the
listed routes, every handler is a module-level function of kg/web/routes, and the SPARQL fast
lane answers with the same handlers the list names.

Why: a route mounted anywhere else (a decorator on a router, a closure in a factory, an
`install(app)`) would be invisible to a reader of kg/web/app.py; these tests fail when one appears.
"""

from __future__ import annotations

import asyncio
import inspect
from pathlib import Path

import httpx
import pytest
from fastapi.routing import APIRoute

from kg.config import Settings
from kg.web.app import ROUTES, create_app
from kg.web.routes import sparql

PROJECT_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture()
def writable_app(tmp_path: Path):  # type: ignore[no-untyped-def]
    """The real app over an empty writable store (so the graph store routes are mounted too);
    its lifespan is not run, so no worker process starts."""
    return create_app(Settings(store_path=tmp_path / "store", project_root=PROJECT_ROOT, write_token="t",
                               workers=1))


def _listed(app_named_queries: list[str]) -> set[tuple[str, frozenset[str], str]]:
    out: set[tuple[str, frozenset[str], str]] = set()
    for r in ROUTES:
        names = app_named_queries if r.per_named_query else [None]
        for name in names:
            path = r.path.format(name=name) if name else r.path
            out.add((path, frozenset(r.methods), r.name.format(name=name) if name else r.name))
    return out


def test_the_app_serves_exactly_the_listed_routes(writable_app) -> None:  # type: ignore[no-untyped-def]
    named = list(writable_app.state.kg.named_queries)
    assert len(named) >= 5  # the project's queries/*.rq, one route each
    methods: dict[tuple[str, str], set[str]] = {}  # a listed GET+HEAD route is served as two (HEAD undocumented)
    for r in writable_app.routes:
        if isinstance(r, APIRoute):
            methods.setdefault((r.path, r.name), set()).update(r.methods)
    served = {(path, frozenset(m), name) for (path, name), m in methods.items()}
    assert served == _listed(named)
    others = {r.path for r in writable_app.routes if not isinstance(r, APIRoute)}
    assert others == {"/openapi.json"}  # FastAPI's own; its /docs and /redoc are switched off


@pytest.fixture()
def read_only_app(tmp_path: Path, writable_app):  # type: ignore[no-untyped-def]
    """The same store (created by `writable_app`) served read-only, as `kg serve` does by default."""
    return create_app(Settings(store_path=tmp_path / "store", project_root=PROJECT_ROOT, workers=1))


def test_read_only_app_leaves_out_the_graph_store(read_only_app) -> None:  # type: ignore[no-untyped-def]
    paths = {r.path for r in read_only_app.routes}
    assert "/store" not in paths and "/store/{path:path}" not in paths
    assert "/sparql" in paths and "/id/{path:path}" in paths


def test_every_handler_is_a_module_level_function_of_kg_web_routes() -> None:
    for r in ROUTES:
        module = inspect.getmodule(r.handler)
        assert module is not None and module.__name__.startswith("kg.web.routes."), r
        assert r.handler.__qualname__ == r.handler.__name__, f"{r.path}: a nested function ({r.handler.__qualname__})"
        assert getattr(module, r.handler.__name__) is r.handler, r


def test_the_fast_lane_answers_with_the_listed_sparql_handlers(read_only_app) -> None:  # type: ignore[no-untyped-def]
    """GET and POST /sparql reach sparql_get and sparql_post through the lane, below the router
    (single-pattern queries: answered inline, so no worker needs to run)."""
    listed = {m: r.handler for r in ROUTES if r.path == "/sparql" for m in r.methods}
    assert listed["GET"] is listed["HEAD"] is sparql.sparql_get and listed["POST"] is sparql.sparql_post
    calls: list[str] = []
    originals = sparql.sparql_get, sparql.sparql_post

    async def spy_get(request):  # type: ignore[no-untyped-def]
        calls.append("get")
        return await originals[0](request)

    async def spy_post(request):  # type: ignore[no-untyped-def]
        calls.append("post")
        return await originals[1](request)

    sparql.sparql_get, sparql.sparql_post = spy_get, spy_post  # the lane looks them up per request
    try:
        transport = httpx.ASGITransport(app=read_only_app)

        async def ask() -> list[int]:
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
                a = await c.get("/sparql", params={"query": "ASK { ?s ?p ?o }"},
                                headers={"Accept": "application/sparql-results+json"})
                b = await c.post("/sparql", content="ASK { ?s ?p ?o }",
                                 headers={"Content-Type": "application/sparql-query"})
                return [a.status_code, b.status_code]

        assert asyncio.run(ask()) == [200, 200]
    finally:
        sparql.sparql_get, sparql.sparql_post = originals
    assert calls == ["get", "post"]
