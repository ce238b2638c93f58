"""Servers for the security tests: real `kg serve` subprocesses (helpers of tests/web/sparql/conftest)
on small tmp stores, with the limits set through the environment (HILFENETZ_RATE_LIMIT, …)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.serving import Server, start_server, stop_server
from tests.web.sparql.conftest import TOKEN, make_small_store

#: rate 0.5/s, burst 3: a test that sends 8 requests in a row must hit the limit unless those 8
#: requests take longer than 10 s (they take milliseconds).
RATE = "0.5,3"
MAX_QUERY = 2000


@pytest.fixture(scope="module")
def limited_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Read-only server with a tiny rate limit, a 2000-byte query cap, and 127.0.0.1 as trusted
    proxy (so each test can be its own client through X-Forwarded-For)."""
    store = make_small_store(tmp_path_factory.mktemp("limited") / "store")
    server = start_server(store, tmp_path_factory.mktemp("limited-log"), "--workers", "1", extra_env={
        "HILFENETZ_RATE_LIMIT": RATE, "HILFENETZ_MAX_QUERY_BYTES": str(MAX_QUERY),
        "HILFENETZ_TRUSTED_PROXIES": "127.0.0.1"})
    yield server
    stop_server(server.process)


@pytest.fixture(scope="module")
def rw_logged_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Writable server logging at debug level (uvicorn and the JSON access log), rate limit off."""
    store = tmp_path_factory.mktemp("rwlog") / "store"
    server = start_server(store, tmp_path_factory.mktemp("rwlog-log"), "--workers", "1", "--log-level", "debug",
                          token=TOKEN, extra_env={"HILFENETZ_RATE_LIMIT": "off"})
    yield server
    stop_server(server.process)


@pytest.fixture(scope="module")
def project_server(built_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Read-only server on the real built project store (entity pages, UI, search)."""
    server = start_server(built_store, tmp_path_factory.mktemp("proj-log"), "--workers", "1")
    yield server
    stop_server(server.process)
