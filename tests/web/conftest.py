"""Fixtures for the protocol tests with real clients: one `kg serve` over the store built from the
real project, started with the suite's own helper (tests/server/conftest.py: a subprocess on a
free 127.0.0.1 port), and the read-only store itself to compute the expected answers.

Why a real `kg serve` process and the real project: the defects these tests pin (CORS, `format=`
from SPARQLWrapper, HEAD) sit in the middleware and routing of the full app, and the named
queries and entity pages exist only over the real data.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from server.conftest import Server, start_server, stop_server

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
