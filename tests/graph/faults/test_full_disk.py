"""A full disk during a write: the write is refused (507 Insufficient Storage on the graph store)
with a message naming the disk in English and German, the store is unchanged, reads keep working,
and once space is freed the same server takes writes again (kg.graph.write reopens the store
handle RocksDB keeps in its background-error state); after a restart, too.

The disk is a real small tmpfs mounted by the test (needs root; skipped with the reason
otherwise), filled with a file until ENOSPC; the store and the server's snapshots live on it.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from kg.rdf import GRAPH_CHANGES
from tests.serving import Server, start_server, stop_server
from tests.web.sparql.conftest import TOKEN, make_small_store

SIZE = "48m"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ENV = {"HILFENETZ_RATE_LIMIT": "off"}
BIG = "\n".join(f'<http://example.org/n/{i}> <http://example.org/v> "x{i}" .' for i in range(20_000)).encode()


@pytest.fixture()
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mnt = tmp_path / "disk"
    mnt.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SIZE}", "tmpfs", str(mnt)],
                       capture_output=True, text=True, check=False)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True, check=False)


def fill(mnt: Path) -> Path:
    """Write a file until the filesystem is full; returns it (delete it to free the space)."""
    filler = mnt / "filler"
    with open(filler, "wb", buffering=0) as fh:
        for size in (1 << 20, 4096, 1):
            try:
                while True:
                    fh.write(b"\0" * size)
            except OSError:
                continue
    assert os.statvfs(mnt).f_bavail == 0
    return filler


def quads_http(server: Server) -> list[str]:
    """Every data quad (the change history, which records each committed write, left out)."""
    q = f"SELECT ?g ?s ?p ?o WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{GRAPH_CHANGES}>) }}"
    r = httpx.post(server.sparql, data={"query": q},
                   headers={"Accept": "text/tab-separated-values"}, timeout=60)
    assert r.status_code == 200, r.text
    d = httpx.get(server.gsp, params={"default": ""}, headers={**AUTH, "Accept": "application/n-triples"}, timeout=60)
    assert d.status_code == 200
    return sorted(r.text.splitlines()[1:]) + sorted(d.text.splitlines())


def put_big(server: Server) -> httpx.Response:
    return httpx.put(server.gsp, params={"graph": "http://example.org/g/new"}, content=BIG, timeout=120,
                     headers={"Content-Type": "text/turtle", **AUTH})


def test_write_on_full_disk_is_refused_and_changes_nothing(small_disk: Path, tmp_path: Path) -> None:
    store = make_small_store(small_disk / "store")
    server = start_server(store, tmp_path, "--workers", "1", token=TOKEN, extra_env=ENV)
    try:
        before = quads_http(server)
        filler = fill(small_disk)
        r = put_big(server)
        assert r.status_code not in (200, 201, 204)
        assert "No space left on device" in r.text, r.text
        assert "nichts wurde geändert" in r.text
        r = httpx.post(server.sparql,
                       data={"update": "INSERT DATA { <http://example.org/a> <http://example.org/b> 1 }"},
                       headers=AUTH, timeout=60)
        assert r.status_code not in (200, 204) and "No space left on device" in r.text
        assert quads_http(server) == before  # reads still served, nothing changed
        assert server.process.poll() is None
        filler.unlink()
    finally:
        stop_server(server.process)
    # restart with space again: the store opens, holds the old state, and takes writes
    s = ox.Store(str(store))
    assert len(s) == 3062
    del s
    server = start_server(store, tmp_path, "--workers", "1", token=TOKEN, extra_env=ENV)
    try:
        assert put_big(server).status_code == 201
        assert len(quads_http(server)) == len(before) + 20_000
    finally:
        stop_server(server.process)
    with contextlib.suppress(FileNotFoundError):
        (small_disk / "filler").unlink()


def test_full_disk_is_a_507(small_disk: Path, tmp_path: Path) -> None:
    store = make_small_store(small_disk / "store")
    server = start_server(store, tmp_path, "--workers", "1", token=TOKEN, extra_env=ENV)
    try:
        before = quads_http(server)
        fill(small_disk)
        r = put_big(server)
        assert r.status_code == 507, r.text
        assert "No space left on device" in r.text and "Datenträger" in r.text and "nichts wurde geändert" in r.text
        assert quads_http(server) == before
        # the same through SPARQL Update at /sparql
        update = "INSERT DATA { GRAPH <http://example.org/g/new> { " + BIG.decode().replace("\n", " ") + " } }"
        u = httpx.post(server.sparql, data={"update": update}, headers=AUTH, timeout=120)
        assert u.status_code == 507, u.text
        assert "Datenträger" in u.text and "nichts wurde geändert" in u.text
        assert quads_http(server) == before
    finally:
        stop_server(server.process)


def test_writes_resume_when_space_is_freed(small_disk: Path, tmp_path: Path) -> None:
    store = make_small_store(small_disk / "store")
    server = start_server(store, tmp_path, "--workers", "1", token=TOKEN, extra_env=ENV)
    try:
        before = quads_http(server)
        filler = fill(small_disk)
        assert put_big(server).status_code == 507
        assert put_big(server).status_code == 507  # still full: refused again, nothing breaks
        assert quads_http(server) == before
        filler.unlink()
        # the same server process takes writes again: graph store and SPARQL Update
        assert put_big(server).status_code == 201
        r = httpx.post(server.sparql, data={"update": "INSERT DATA { GRAPH <http://example.org/g/new> "
                                                      "{ <http://example.org/a> <http://example.org/b> 1 } }"},
                       headers=AUTH, timeout=60)
        assert r.status_code == 200, r.text
        assert len(quads_http(server)) == len(before) + 20_001
    finally:
        stop_server(server.process)
