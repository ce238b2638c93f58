"""Real SPARQL engines on 127.0.0.1 — `oxigraph serve` (PyPI package `oxigraph`, with
`--union-default-graph`, as recommended) and Virtuoso Open Source (Debian's
`virtuoso-opensource`, `virtuoso-t`, a fresh database directory per server) — each filled with
the real built store by kg.graph.publish, and hilfenetz servers in front of the same data: one
over the embedded store (the default), one in remote mode over each engine. The tests in this
directory ask them the same things and compare the answers; tests that use `backends`/`clients`
run once per engine (ids `[oxigraph]`, `[virtuoso]`).

One Oxigraph server and one publish of the real store per session (the publish is the
expensive part: ~65 MB in one atomic update; for Virtuoso a staged publish of ~120 requests).
Tests that write (the `kg build --store URL` CLI tests) get a second server of their own, so the
shared one stays as published: a fresh in-memory Oxigraph server per test, one Virtuoso per test
module emptied before each test (a Virtuoso database takes ~15 s to create). Everything skips
with a reason only when an engine's executable is missing (.ci/run installs both).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests import engines
from tests.engines import EngineMissing, OxigraphServer, RemoteServer, VirtuosoServer
from tests.serving import serve_app

PROJECT_ROOT = Path(__file__).resolve().parents[3]
BACKENDS = ("embedded", "remote")
ENGINES = ("oxigraph", "virtuoso")


def start_oxigraph(location: Path | None, log_dir: Path, *, union_default_graph: bool = False) -> OxigraphServer:
    """`tests.engines.start_oxigraph`, skipping the test with the reason if it is not installed."""
    try:
        return engines.start_oxigraph(location, log_dir, union_default_graph=union_default_graph)
    except EngineMissing as exc:
        pytest.skip(str(exc))


def start_virtuoso(directory: Path, log_dir: Path) -> VirtuosoServer:
    """`tests.engines.start_virtuoso`, skipping the test with the reason if it is not installed."""
    try:
        return engines.start_virtuoso(directory, log_dir)
    except EngineMissing as exc:
        pytest.skip(str(exc))


def start_engine(engine: str, root: Path, *, union_default_graph: bool = True) -> RemoteServer:
    """A fresh server of `engine` with its files under `root` (skips if it is not installed)."""
    try:
        return engines.start_engine(engine, root, union_default_graph=union_default_graph)
    except EngineMissing as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session", params=ENGINES)
def remote_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                  built_store: Path) -> Iterator[RemoteServer]:
    """The shared server of one engine, holding the real built store (published with
    kg.graph.publish); Oxigraph with the union default graph docs/remote-store.md recommends
    (the fast path)."""
    from kg.graph.publish import publish

    root = tmp_path_factory.mktemp(request.param)
    server = start_engine(request.param, root)
    try:
        result = publish(built_store, server.query_url)
        print(f"[remote:{request.param}] published {result.quads} quads in {result.graphs} graphs, "
              f"{result.bytes} bytes, {result.requests} requests, {result.seconds:.1f} s", file=sys.stderr)
        yield server
    finally:
        server.stop()


@pytest.fixture
def scratch_oxigraph(tmp_path: Path) -> Iterator[OxigraphServer]:
    """A private in-memory Oxigraph server for a test that writes; its default graph is the real
    default graph, so these tests also cover the explicit `default-graph-uri` lists."""
    server = start_oxigraph(None, tmp_path)
    try:
        yield server
    finally:
        server.stop()


#: Named queries whose answers an engine gets wrong, with what it does (docs/remote-store.md, "Virtuoso").
#: The tests check that each still differs (a fixed engine turns the test red: take it off the
#: list) and that every other query agrees.
KNOWN_WRONG: dict[str, dict[str, str]] = {
    "oxigraph": {},
    "virtuoso": {
        "actor-cooperation-partners": "no rows (18 expected)",
        "cross-sector-links": "500: SQ156 Internal Optimized compiler error (sqldf.c:1528)",
        "event-actors": "7 of 23 rows",
        "municipality-programmes": "YEAR() of an xsd:gYear is unbound",
        "population-in-programme-municipalities": "500: SQ200 Aggregate function not allowed in context",
        "prevention-chain-gaps": "a comparison's result is \"1\"^^xsd:integer, not true",
        "programme-municipalities": "no rows (7 expected)",
        "youth-welfare-and-health": "no rows (5 expected)",
    },
}


@pytest.fixture(scope="session")
def remote_engine(remote_server: RemoteServer) -> str:
    """The name of the engine behind `backends["remote"]`."""
    return "virtuoso" if isinstance(remote_server, VirtuosoServer) else "oxigraph"


@pytest.fixture(scope="module")
def scratch_virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtuosoServer]:
    """One Virtuoso per test module for the tests that write (emptied before each by `scratch_remote`)."""
    server = start_virtuoso(tmp_path_factory.mktemp("scratch-virtuoso") / "db", tmp_path_factory.mktemp("vlog"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=ENGINES)
def scratch_remote(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RemoteServer]:
    """An empty server of each engine for a test that writes: a fresh in-memory Oxigraph server,
    or the module's Virtuoso emptied."""
    if request.param == "virtuoso":
        server: VirtuosoServer = request.getfixturevalue("scratch_virtuoso")
        server.clear()
        yield server
        return
    ox_server = start_oxigraph(None, tmp_path)
    try:
        yield ox_server
    finally:
        ox_server.stop()


@pytest.fixture(scope="session")
def backends(remote_server: RemoteServer, built_store: Path,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Base URLs of the two hilfenetz servers: "embedded" (the built store) and "remote"
    (the same data in the Oxigraph server)."""
    from kg.config import Settings
    from kg.web.app import create_app

    common = {"project_root": PROJECT_ROOT, "workers": 1, "rate_limit": 0.0, "watch_interval": 0.0}
    embedded = Settings(store_path=built_store, **common)
    remote = Settings(store_path=tmp_path_factory.mktemp("remote-cache") / "store",
                      store_url=remote_server.query_url, **common)
    with serve_app(create_app(embedded), name="embedded") as e, serve_app(create_app(remote), name="remote") as r:
        yield {"embedded": e, "remote": r}


@pytest.fixture(scope="session")
def clients(backends: dict[str, str]) -> Iterator[dict[str, httpx.Client]]:
    """One httpx client per backend."""
    made = {name: httpx.Client(base_url=url, timeout=300) for name, url in backends.items()}
    try:
        yield made
    finally:
        for c in made.values():
            c.close()


def kill_process_group(proc: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    """SIGKILL a process started with start_new_session=True, and its children."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(30)
    for pipe in (proc.stdin, proc.stdout, proc.stderr):  # a killed child's pipes are ours to close
        if pipe is not None:
            pipe.close()
