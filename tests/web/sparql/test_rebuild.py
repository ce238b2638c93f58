"""A read-only server notices a rebuilt store (the build swaps the directory) and serves the new
graph without a restart, with new ETags."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import httpx
import pytest

from tests.serving import start_server, stop_server

Q = "SELECT ?o WHERE { <http://example.org/s> <http://example.org/p> ?o }"


def _store(path: Path, value: str) -> None:
    import pyoxigraph as ox

    s = ox.Store(str(path))
    s.update('INSERT DATA { GRAPH <http://example.org/g> { '
             f'<http://example.org/s> <http://example.org/p> "{value}" }} }}')
    s.flush()
    del s


def _value(url: str) -> tuple[str, str]:
    r = httpx.get(url, params={"query": Q}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["results"]["bindings"][0]["o"]["value"], r.headers["etag"]


def test_swapped_store_is_served_without_restart(tmp_path: Path) -> None:
    store = tmp_path / "store"
    _store(store, "old")
    server = start_server(store, tmp_path, "--watch-interval", "0.3", "--workers", "2")
    try:
        old_value, old_etag = _value(server.sparql)
        assert old_value == "old"
        # what `kg build` does: build next to it, then two renames, then remove the old one
        _store(tmp_path / ".store.building", "new")
        os.rename(store, tmp_path / ".store.old")
        os.rename(tmp_path / ".store.building", store)
        shutil.rmtree(tmp_path / ".store.old")
        deadline = time.monotonic() + 15
        value, etag = old_value, old_etag
        while time.monotonic() < deadline and value != "new":
            time.sleep(0.2)
            value, etag = _value(server.sparql)
        assert value == "new"
        assert etag != old_etag
        # every worker serves the new store
        for i in range(4):
            r = httpx.get(server.sparql, params={"query": Q + f" # {i}"}, timeout=30)
            assert r.json()["results"]["bindings"][0]["o"]["value"] == "new"
    finally:
        stop_server(server.process)


@pytest.mark.slow
def test_unchanged_store_keeps_its_etag(tmp_path: Path) -> None:
    store = tmp_path / "store"
    _store(store, "same")
    server = start_server(store, tmp_path, "--watch-interval", "0.2", "--workers", "1")
    try:
        _, etag1 = _value(server.sparql)
        time.sleep(1.0)
        _, etag2 = _value(server.sparql)
        assert etag1 == etag2
    finally:
        stop_server(server.process)
