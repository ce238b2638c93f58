"""Fixtures for the web tests over the store built from the real project: one `kg serve` process
(a subprocess on a free 127.0.0.1 port, tests/serving.py), the whole app in a real
uvicorn server in this process (tests/serving.py too) where a test needs the app object, and headless
Chromium (tests/web/ui/ui_browser.py).

Why a real `kg serve` process and the real project: the defects these tests pin (CORS, `format=`
from SPARQLWrapper, HEAD) sit in the middleware and routing of the full app, and the named
queries and entity pages exist only over the real data.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.serving import Server, serve_kg, start_server, stop_server
from tests.web.ui.ui_browser import chromium, missing_reason

PROJECT_ROOT = Path(__file__).resolve().parents[2]
HNID = "https://w3id.org/hilfenetz/id/"
#: Gladbeck: a municipality with programmes, so the entity page, DESCRIBE and the named query
#: municipality-programmes all have something to say about it.
GLADBECK = HNID + "area/05562014"


@pytest.fixture(scope="session")
def kg_server(built_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`kg serve` (one process, one query worker) over the built store, with the project's
    named queries; read-only."""
    server = start_server(built_store, tmp_path_factory.mktemp("web-log"), "--project", str(PROJECT_ROOT),
                          "--workers", "1", "--no-warm", timeout=120)
    yield server
    stop_server(server.process)


@pytest.fixture(scope="module")
def web_server(built_store: Path) -> Iterator[str]:
    """Base URL of the read-only service over the built store (one query worker)."""
    with serve_kg(built_store, workers=1, name="web-test-uvicorn") as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium (fresh profile); skipped with the reason when it is not installed."""
    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    with chromium() as driver:
        yield driver
