"""Real servers for the REST API tests: `create_app` over the real built store, in uvicorn on a
free 127.0.0.1 port; clients speak HTTP (httpx). Nothing is mocked.

The named-query, search and network routers are included here when the app does not mount them
yet (so these tests work before and after the lead wires them into kg/web/app.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from serving import free_port, serve_app

PROJECT_ROOT = Path(__file__).resolve().parents[2]
QUERIES = PROJECT_ROOT / "queries"
HNID = "https://w3id.org/hilfenetz/id/"
HN = "https://w3id.org/hilfenetz/ontology#"


def route_paths(app: Any) -> set[str]:
    """Every route path of the app, including routes of included routers (FastAPI ≥ 0.160 keeps
    an included router as one `_IncludedRouter` entry with the original router inside)."""
    paths: set[str] = set()

    def walk(routes: list[Any]) -> None:
        for r in routes:
            if getattr(r, "path", None):
                paths.add(r.path)
            inner = getattr(r, "original_router", None)
            if inner is not None:
                walk(list(inner.routes))

    walk(list(app.routes))
    return paths


def add_api_routers(app: Any, queries_dir: Path = QUERIES) -> None:
    """Mount this issue's routers unless the app already has them."""
    paths = route_paths(app)
    state = app.state.kg
    from kg.web.routes import queries as namedqueries

    if "/api/queries" not in paths:
        app.include_router(namedqueries.make_router(lambda: state.store, queries_dir))
    if "/api/docs" not in paths:
        app.include_router(namedqueries.docs_router())
    if "/api/search" not in paths:
        try:
            from kg.web.routes import search as search_router
        except ImportError:
            search_router = None  # type: ignore[assignment]
        if search_router is not None:
            app.include_router(search_router.make_router(lambda: state.store, lambda: state.version))
    if "/api/network" not in paths:
        try:
            from kg.web.routes import network as network_router
        except ImportError:
            network_router = None  # type: ignore[assignment]
        if network_router is not None:
            app.include_router(network_router.make_router(lambda: state.store, lambda: state.version))
    app.openapi_schema = None  # regenerate with the new routes


@contextmanager
def serve(store: Path, queries_dir: Path = QUERIES, **settings_kw: Any) -> Iterator[str]:
    """`create_app` + API routers in a real uvicorn server; yields the base URL."""

    from kg.web.app import create_app
    from kg.config import Settings

    port = free_port()
    settings = Settings(store_path=store, project_root=PROJECT_ROOT, host="127.0.0.1", port=port,
                        workers=1, **settings_kw)
    app = create_app(settings)
    add_api_routers(app, queries_dir)
    with serve_app(app, port, name="api-test-uvicorn") as url:
        yield url


@pytest.fixture(scope="session")
def api_url(built_store: Path) -> Iterator[str]:
    """Base URL of a read-only server over the real built store."""
    with serve(built_store) as url:
        yield url


@pytest.fixture(scope="session")
def client(api_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api_url, timeout=60) as c:
        yield c


def rows(client: httpx.Client, name: str, **params: str) -> list[dict[str, Any]]:
    """All rows of a named query (JSON), following the pages."""
    out: list[dict[str, Any]] = []
    page = 1
    while True:
        r = client.get(f"/api/queries/{name}", params={**params, "page": str(page), "per_page": "1000"})
        assert r.status_code == 200, r.text
        body = r.json()
        out += body["rows"]
        if page * body["per_page"] >= body["total"]:
            return out
        page += 1
