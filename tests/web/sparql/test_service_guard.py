"""SERVICE (and LOAD) only reach allow-listed hosts: the endpoint cannot be made to fetch
internal addresses. A listening socket proves that no connection is even attempted."""

from __future__ import annotations

import socket
import threading

import httpx
import pytest

from tests.serving import Server


@pytest.fixture()
def trap() -> tuple[int, list[str]]:
    """A TCP listener on 127.0.0.1 that records every connection made to it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(5)
    sock.settimeout(0.2)
    hits: list[str] = []
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, addr = sock.accept()
            except OSError:
                continue
            hits.append(str(addr))
            conn.close()

    t = threading.Thread(target=loop, daemon=True)
    t.start()
    yield sock.getsockname()[1], hits
    stop.set()
    t.join()
    sock.close()


@pytest.mark.parametrize(
    "template",
    [
        "SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
        "SELECT * WHERE {{ SERVICE SILENT <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
        "PREFIX in: <http://127.0.0.1:{port}/> SELECT * WHERE {{ SERVICE in:sparql {{ ?s ?p ?o }} }}",
        "BASE <http://127.0.0.1:{port}/> SELECT * WHERE {{ SERVICE <sparql> {{ ?s ?p ?o }} }}",
        "SELECT * WHERE {{ BIND(<http://127.0.0.1:{port}/> AS ?x) SERVICE ?x {{ ?s ?p ?o }} }}",
        "select * where {{ service   <http://127.0.0.1:{port}/x> {{ ?s ?p ?o }} }}",
    ],
)
def test_service_to_unlisted_host_is_refused(ro_server: Server, trap: tuple[int, list[str]], template: str) -> None:
    port, hits = trap
    r = httpx.get(ro_server.sparql, params={"query": template.format(port=port)}, timeout=30)
    assert r.status_code == 403
    assert "SERVICE" in r.text and "allow" in r.text
    assert hits == []


def test_service_word_inside_strings_and_comments_is_fine(ro_server: Server) -> None:
    q = 'SELECT ?x WHERE { BIND("SERVICE <http://10.0.0.1/>" AS ?x) } # SERVICE <http://10.0.0.1/>'
    r = httpx.get(ro_server.sparql, params={"query": q}, timeout=30)
    assert r.status_code == 200
    assert r.json()["results"]["bindings"][0]["x"]["value"] == "SERVICE <http://10.0.0.1/>"


def test_load_of_remote_url_is_refused(rw_server: Server, trap: tuple[int, list[str]]) -> None:
    port, hits = trap
    r = httpx.post(rw_server.sparql, data={"update": f"LOAD <http://127.0.0.1:{port}/data.ttl>"},
                   headers=rw_server.auth(), timeout=30)
    assert r.status_code == 403
    assert "LOAD" in r.text
    assert hits == []
