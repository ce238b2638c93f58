"""A real server for the reconciliation tests: `create_app` over the real built store in uvicorn
on a free 127.0.0.1 port (tests/serving.py); the client is httpx, speaking HTTP as OpenRefine does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.serving import serve_kg


@pytest.fixture(scope="module")
def recon_url(built_store: Path) -> Iterator[str]:
    with serve_kg(built_store, workers=1, name="reconcile-test-uvicorn") as url:
        yield url


@pytest.fixture(scope="module")
def client(recon_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=recon_url, timeout=120) as c:
        yield c
