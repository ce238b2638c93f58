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

from tests.serving import serve_kg

PROJECT_ROOT = Path(__file__).resolve().parents[3]
QUERIES = PROJECT_ROOT / "queries"
HNID = "https://w3id.org/hilfenetz/id/"
HN = "https://w3id.org/hilfenetz/ontology#"


@contextmanager
def serve(store: Path, **settings_kw: Any) -> Iterator[str]:
    """`create_app` (queries from the project's queries/) in a real uvicorn server; yields the base URL."""
    settings_kw.setdefault("workers", 1)
    with serve_kg(store, name="api-test-uvicorn", **settings_kw) as url:
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
