"""Real servers for fuzzing: read-only on the real project store, writable on a small tmp store.
Rate limit off (the fuzzer is one fast client), deadline 10 s."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.serving import Server, start_server, stop_server
from tests.web.sparql.conftest import TOKEN, make_small_store

ENV = {"HILFENETZ_RATE_LIMIT": "off"}


@pytest.fixture(scope="session")
def fuzz_ro_server(built_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(built_store, tmp_path_factory.mktemp("fuzz-ro"), "--workers", "2", "--timeout", "10",
                          extra_env=ENV)
    yield server
    stop_server(server.process)


@pytest.fixture(scope="session")
def fuzz_rw_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    store = make_small_store(tmp_path_factory.mktemp("fuzz-rw") / "store")
    server = start_server(store, tmp_path_factory.mktemp("fuzz-rw-log"), "--workers", "1", "--timeout", "10",
                          token=TOKEN, extra_env=ENV)
    yield server
    stop_server(server.process)
