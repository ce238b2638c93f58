"""Fixtures for the UI tests: a real hilfenetz server over the built store, headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from serving import free_port, serve_app
from ui_browser import chromium, missing_reason

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def ui_store(built_store: Path) -> Path:
    """The store built from the real project (tests/conftest.py; HILFENETZ_TEST_STORE overrides)."""
    return Path(built_store)


@contextmanager
def _serve(store: Path, **settings_kw: Any) -> Iterator[str]:
    """Run `kg.web.app.create_app` in a real uvicorn server on a free 127.0.0.1 port."""
    from kg.web.app import create_app
    from kg.config import Settings

    port = free_port()
    settings = Settings(store_path=store, project_root=PROJECT_ROOT, host="127.0.0.1", port=port, **settings_kw)
    with serve_app(create_app(settings), port, name="ui-test-uvicorn") as url:
        yield url


@pytest.fixture(scope="module")
def ui_server(ui_store: Path) -> Iterator[str]:
    """The hilfenetz server over the built store (default limits, one query worker)."""
    with _serve(ui_store, workers=1) as url:
        yield url


@pytest.fixture(scope="module")
def ui_server_short_timeout(ui_store: Path) -> Iterator[str]:
    """The same server with a one-second query deadline, to see the timeout message; answers
    are streamed from 4 KiB on, so that a slow one is cut off at the deadline after it began."""
    with _serve(ui_store, workers=1, timeout=1.0, stream_after_bytes=4096) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium (fresh profile); skipped with the reason when it is not installed."""
    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    with chromium() as driver:
        yield driver
