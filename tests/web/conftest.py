"""Fixtures for the web tests: the whole app (kg.web.app.create_app) over the store built from the
real project, in a real uvicorn server on 127.0.0.1 (the one helper, tests/serving.py), and
headless Chromium (tests/ui/ui_browser.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.serving import free_port, serve_app
from tests.ui.ui_browser import chromium, missing_reason

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def make_app(store: Path, port: int = 0, **settings_kw: Any) -> Any:
    """The service's app over `store` (nothing started until it is served)."""
    from kg.config import Settings
    from kg.web.app import create_app

    return create_app(Settings(store_path=store, project_root=PROJECT_ROOT, host="127.0.0.1", port=port,
                               **settings_kw))


@pytest.fixture(scope="module")
def web_server(built_store: Path) -> Iterator[str]:
    """Base URL of the read-only service over the built store (one query worker)."""
    port = free_port()
    with serve_app(make_app(built_store, port, workers=1), port, name="web-test-uvicorn") as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium (fresh profile); skipped with the reason when it is not installed."""
    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    with chromium() as driver:
        yield driver
