"""Fixtures for the UI tests: a real hilfenetz server over the built store, headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.serving import serve_kg
from tests.web.ui.ui_browser import chromium, missing_reason


@pytest.fixture(scope="session")
def ui_store(built_store: Path) -> Path:
    """The store built from the real project (tests/conftest.py; HILFENETZ_TEST_STORE overrides)."""
    return Path(built_store)


@pytest.fixture(scope="module")
def ui_server(ui_store: Path) -> Iterator[str]:
    """The hilfenetz server over the built store (default limits, one query worker)."""
    with serve_kg(ui_store, workers=1) as url:
        yield url


@pytest.fixture(scope="module")
def ui_server_short_timeout(ui_store: Path) -> Iterator[str]:
    """The same server with a one-second query deadline, to see the timeout message; answers
    are streamed from 4 KiB on, so that a slow one is cut off at the deadline after it began."""
    with serve_kg(ui_store, workers=1, timeout=1.0, stream_after_bytes=4096) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium (fresh profile); skipped with the reason when it is not installed."""
    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    with chromium() as driver:
        yield driver
