"""Fixtures for the UI tests: a real hilfenetz server over the built store, headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.serving import serve_kg


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
def ui_server_cut_off(ui_store: Path) -> Iterator[str]:
    """A server whose deadline falls well after a slow answer's first streamed part: 4 s, parts
    of 4 KiB. Why not the one-second server: the first part of test_cut_off_answer_message's
    query leaves the worker after 0.8-1.2 s on a quiet 2-core machine (measured 2026-12-07,
    with and without warm workers), so with a 1 s deadline the test raced the clock and
    failed whenever the machine was busy (503 before the first part instead of a cut-off)."""
    with serve_kg(ui_store, workers=1, timeout=4.0, stream_after_bytes=4096) as url:
        yield url


# `browser` (headless Chromium, one per module) comes from tests/web/conftest.py.
