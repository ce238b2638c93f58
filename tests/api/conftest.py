"""Real servers for the REST API tests: `create_app` over the real built store, in uvicorn on a
free 127.0.0.1 port; clients speak HTTP (httpx). Nothing is mocked.
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


@contextmanager
def serve(store: Path, **settings_kw: Any) -> Iterator[str]:
    """`create_app` (queries from the project's queries/) in a real uvicorn server; yields the base URL."""

    from kg.web.app import create_app
    from kg.config import Settings

    port = free_port()
    settings = Settings(store_path=store, project_root=PROJECT_ROOT, host="127.0.0.1", port=port,
                        workers=1, **settings_kw)
    app = create_app(settings)
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
