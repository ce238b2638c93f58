"""`kg serve` as a user runs it: the real `kg` command builds a missing store, then serves it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from kg.serve.replicas import MAX_AUTO_REPLICAS, REPLICA_HEADER, usable_cpus
from tests.serving import free_port, start_server, stop_server

from .conftest import TOKEN


def _kg() -> list[str]:
    exe = Path(sys.executable).with_name("kg")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "kg.cli"]


def test_kg_serve_builds_a_missing_store_and_serves_it(mini_project: Path, tmp_path: Path) -> None:
    store = tmp_path / "var" / "store"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("HILFENETZ_STORE", "HILFENETZ_WRITE_TOKEN")}
    with open(tmp_path / "serve.log", "wb") as log:  # the server has its own descriptor for it
        proc = subprocess.Popen([*_kg(), "serve", "--project", str(mini_project), "--store", str(store),
                                 "--port", str(port), "--timeout", "10"],
                                stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}/sparql"
    try:
        deadline = time.monotonic() + 300
        answer = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                r = httpx.get(url, params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"}, timeout=5)
                if r.status_code == 200:
                    answer = int(r.json()["results"]["bindings"][0]["n"]["value"])
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        assert answer is not None, (tmp_path / "serve.log").read_text()
        assert answer > 0
        assert (store / "CURRENT").exists()  # the build wrote the store
        sd = httpx.get(url, timeout=10).text
        assert "https://w3id.org/hilfenetz/id/graph/ontology" in sd
        r = httpx.post(url, data={"update": "CLEAR ALL"}, headers={"Authorization": "Bearer x"}, timeout=10)
        assert r.status_code == 405  # no token configured: read-only
        # read-only, so by default one server process per usable CPU (at most 4) on one port
        expected = min(usable_cpus(), MAX_AUTO_REPLICAS)
        plural = "es" if expected > 1 else ""
        assert f"kg serve: {expected} server process{plural} (--replicas auto" in (tmp_path / "serve.log").read_text()
        answered: set[str] = set()
        for _ in range(200):  # fresh connections, spread over the replicas by the kernel
            if len(answered) == expected:
                break
            with httpx.Client(timeout=10) as c:
                answered.add(c.get(url.replace("/sparql", "/health"), headers={"Connection": "close"})
                              .headers.get(REPLICA_HEADER, "0"))
        assert answered == {str(i) for i in range(expected)}
    finally:
        proc.send_signal(signal.SIGTERM)
        # graceful shutdown; uvicorn re-raises the captured SIGTERM after cleaning up
        assert proc.wait(timeout=20) in (0, -signal.SIGTERM)
    assert "building" in (tmp_path / "serve.log").read_text()


def test_writable_server_cleans_its_snapshots(tmp_path: Path) -> None:
    store = tmp_path / "store"
    server = start_server(store, tmp_path, "--workers", "1", token=TOKEN)
    try:
        r = httpx.post(server.sparql, data={"update": "INSERT DATA { <http://e/s> <http://e/p> 1 }"},
                       headers=server.auth(), timeout=30)
        assert r.status_code == 200
        assert [p for p in tmp_path.iterdir() if p.name.startswith(".store.snapshots-")]
    finally:
        stop_server(server.process)
    assert server.process.returncode in (0, -signal.SIGTERM)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".store.snapshots-")]
    # the write is in the store itself
    import pyoxigraph as ox

    s = ox.Store.read_only(str(store))
    assert bool(s.query("ASK { <http://e/s> <http://e/p> 1 }"))


def test_writable_server_removes_snapshots_of_dead_servers(tmp_path: Path) -> None:
    """A writable server killed with SIGKILL cannot remove its snapshot directory; the next server
    on the store removes those of dead processes and leaves those of live ones alone."""
    store = tmp_path / "store"
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    dead = tmp_path / f".store.snapshots-{gone.pid}-0123abcd"
    live = tmp_path / f".store.snapshots-{os.getpid()}-4567cdef"  # this test process: alive
    other = tmp_path / f".other.snapshots-{gone.pid}-89abcdef"  # another store's: not ours to touch
    for d in (dead, live, other):
        (d / "v0").mkdir(parents=True)
    server = start_server(store, tmp_path, "--workers", "1", token=TOKEN)
    try:
        assert not dead.exists()
        assert live.exists() and other.exists()
        assert [p.name for p in tmp_path.iterdir() if f"-{server.process.pid}-" in p.name]  # its own
    finally:
        stop_server(server.process)


def test_kg_serve_refuses_a_replica_count_below_one(tmp_path: Path) -> None:
    res = subprocess.run([*_kg(), "serve", "--store", str(tmp_path / "store"), "--replicas", "0", "--no-build"],
                         capture_output=True, text=True, timeout=120, check=False)
    assert res.returncode != 0
    assert "--replicas must be at least 1" in res.stderr
    assert not (tmp_path / "store").exists()
