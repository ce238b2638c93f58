"""Fixtures for the UI tests: a real hilfenetz server over the built store, headless Chromium."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from ui_browser import chromium, missing_reason

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def ui_store(built_store: Path) -> Path:
    """The store built from the real project (tests/conftest.py; HILFENETZ_TEST_STORE overrides)."""
    return Path(built_store)


@contextmanager
def _serve(store: Path, **settings_kw: Any) -> Iterator[str]:
    """Run `kg.server.app.create_app` in a real uvicorn server on a free 127.0.0.1 port."""
    import uvicorn

    from kg.server.app import create_app
    from kg.server.settings import Settings

    port = _free_port()
    settings = Settings(store_path=store, project_root=PROJECT_ROOT, host="127.0.0.1", port=port, **settings_kw)
    app = create_app(settings)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="ui-test-uvicorn", daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the hilfenetz server did not start")
            thread.join(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join()


@pytest.fixture(scope="module")
def ui_server(ui_store: Path) -> Iterator[str]:
    """The hilfenetz server over the built store (default limits, one query worker)."""
    with _serve(ui_store, workers=1) as url:
        yield url


@pytest.fixture(scope="module")
def ui_server_short_timeout(ui_store: Path) -> Iterator[str]:
    """The same server with a one-second query deadline, to see the timeout message."""
    with _serve(ui_store, workers=1, timeout=1.0) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium (fresh profile); skipped with the reason when it is not installed."""
    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    with chromium() as driver:
        yield driver
