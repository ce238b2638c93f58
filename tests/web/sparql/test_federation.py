"""SERVICE to an allow-listed host works (federation between two real servers)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.serving import Server, start_server, stop_server

from .conftest import EX


@pytest.fixture(scope="module")
def federating_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    import pyoxigraph as ox

    path = tmp_path_factory.mktemp("fed") / "store"
    s = ox.Store(str(path))
    s.update(f"INSERT DATA {{ GRAPH <{EX}g/local> {{ <{EX}person/3> <{EX}nickname> 'Drei' }} }}")
    s.flush()
    del s
    server = start_server(Path(path), tmp_path_factory.mktemp("fed-log"), "--allow-service", "127.0.0.1",
                          "--workers", "1")
    yield server
    stop_server(server.process)


def test_service_to_allow_listed_host(federating_server: Server, ro_server: Server) -> None:
    q = (f"SELECT ?nick ?name WHERE {{ ?p <{EX}nickname> ?nick . "
         f"SERVICE <{ro_server.sparql}> {{ ?p <http://xmlns.com/foaf/0.1/name> ?name }} }}")
    r = httpx.get(federating_server.sparql, params={"query": q}, timeout=60)
    assert r.status_code == 200, r.text
    rows = [(b["nick"]["value"], b["name"]["value"]) for b in r.json()["results"]["bindings"]]
    assert rows == [("Drei", "Person 3")]
    # another host is still refused
    r = httpx.get(federating_server.sparql, params={"query": q.replace("127.0.0.1", "localhost")}, timeout=60)
    assert r.status_code == 403
