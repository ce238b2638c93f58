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
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.serving import free_port, serve_app

PROJECT_ROOT = Path(__file__).resolve().parents[3]
BACKENDS = ("embedded", "remote")
ENGINES = ("oxigraph", "virtuoso")


def oxigraph_executable() -> str | None:
    """The `oxigraph` CLI of this virtualenv (test extra), else one on PATH."""
    local = Path(sys.executable).with_name("oxigraph")
    if local.exists():
        return str(local)
    return shutil.which("oxigraph")


@dataclass
class OxigraphServer:
    """A running `oxigraph serve`; `query_url` is what `--store URL` takes."""

    process: subprocess.Popen[bytes]
    base: str
    log: Path

    @property
    def query_url(self) -> str:
        return self.base + "/query"

    @property
    def update_url(self) -> str:
        return self.base + "/update"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(20)


def start_oxigraph(location: Path | None, log_dir: Path, *, union_default_graph: bool = False) -> OxigraphServer:
    """Start `oxigraph serve` (on disk at `location`, or in memory) and wait until it answers."""
    exe = oxigraph_executable()
    if exe is None:
        pytest.skip("the `oxigraph` executable (PyPI package oxigraph, test extra) is not installed")
    port = free_port()
    log = log_dir / f"oxigraph-{port}.log"
    cmd = [exe, "serve", "--bind", f"127.0.0.1:{port}"]
    if location is not None:
        cmd += ["--location", str(location)]
    if union_default_graph:
        cmd.append("--union-default-graph")
    with open(log, "wb") as fh:  # the server has its own descriptor for it; ours is closed at once
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
    server = OxigraphServer(proc, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"oxigraph serve exited:\n{log.read_text()}")
        try:
            r = httpx.post(server.query_url, data={"query": "ASK {}"}, timeout=2,
                           headers={"Accept": "application/sparql-results+json"})
            if r.status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"oxigraph serve did not come up:\n{log.read_text()}")


#: The smallest Virtuoso configuration for a test: its own ports on 127.0.0.1, its files in one
#: directory, no time or row caps on SPARQL (the suite compares whole answers).
_VIRTUOSO_INI = """[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
CaseMode = 2
DirsAllowed = ., {d}
NumberOfBuffers = 170000
MaxDirtyBuffers = 130000
ThreadsPerQuery = 2
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {d}
ServerThreads = 10
Charset = UTF-8
EnabledGzipContent = 0
[SPARQL]
ResultSetMaxRows = 10000000
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime = 0
"""


@dataclass
class VirtuosoServer:
    """A running `virtuoso-t`; `query_url` (`/sparql`) is what `--store URL` takes, and Virtuoso
    takes updates on the same endpoint."""

    process: subprocess.Popen[bytes]
    base: str
    log: Path

    @property
    def query_url(self) -> str:
        return self.base + "/sparql"

    @property
    def update_url(self) -> str:
        return self.base + "/sparql"

    def clear(self) -> None:
        """Drop every graph but Virtuoso's own (a fresh server, without the 15 s of creating one)."""
        from kg.store.remote import VIRTUOSO, RemoteStore, post_update

        ours = [g for g in RemoteStore(self.query_url).all_graph_names() if not VIRTUOSO.is_system(g)
                or g.startswith("urn:x-hilfenetz:staging:")]
        if ours:
            post_update(self.update_url, " ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in ours).encode())

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(20)


def start_virtuoso(directory: Path, log_dir: Path) -> VirtuosoServer:
    """Start Virtuoso with a fresh database in `directory`, wait until its SPARQL endpoint answers,
    and allow SPARQL updates for the endpoint's user (Virtuoso's `SPARQL` account may only read by
    default; `isql-vt` grants it SPARQL_UPDATE)."""
    exe, isql = shutil.which("virtuoso-t"), shutil.which("isql-vt")
    if exe is None or isql is None:
        pytest.skip("Virtuoso (`virtuoso-t`, `isql-vt`: Debian package virtuoso-opensource) is not installed")
    directory.mkdir(parents=True, exist_ok=True)
    http_port, sql_port = free_port(), free_port()
    ini = directory / "virtuoso.ini"
    ini.write_text(_VIRTUOSO_INI.format(d=directory, sql_port=sql_port, http_port=http_port), encoding="utf-8")
    log = log_dir / f"virtuoso-{http_port}.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen([exe, "-c", str(ini), "+foreground"], cwd=directory, stdout=fh,
                                stderr=subprocess.STDOUT, start_new_session=True)
    server = VirtuosoServer(proc, f"http://127.0.0.1:{http_port}", log)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"virtuoso-t exited:\n{log.read_text()}")
        try:
            r = httpx.post(server.query_url, data={"query": "ASK {}"}, timeout=2,
                           headers={"Accept": "application/sparql-results+json"})
            if r.status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    else:
        server.stop()
        raise RuntimeError(f"virtuoso-t did not come up:\n{log.read_text()}")
    grant = subprocess.run([isql, f"127.0.0.1:{sql_port}", "dba", "dba", 'exec=grant SPARQL_UPDATE to "SPARQL";'],
                           capture_output=True, text=True, timeout=60, check=False)
    if grant.returncode != 0:
        server.stop()
        raise RuntimeError(f"isql-vt could not grant SPARQL_UPDATE: {grant.stdout}{grant.stderr}")
    return server


RemoteServer = OxigraphServer | VirtuosoServer


def start_engine(engine: str, root: Path, *, union_default_graph: bool = True) -> RemoteServer:
    """A fresh server of `engine` with its files under `root`."""
    if engine == "virtuoso":
        return start_virtuoso(root / "virtuoso", root)
    return start_oxigraph(root / "db", root, union_default_graph=union_default_graph)


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
