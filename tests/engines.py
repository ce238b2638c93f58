"""Real SPARQL engines started on 127.0.0.1 for the remote-store tests and the engine benchmark:
`oxigraph serve` (PyPI package `oxigraph`) and Virtuoso Open Source (Debian's
`virtuoso-opensource`: `virtuoso-t`, configured by `isql-vt`), each with its own ports and files.

Why a module of its own: tests/store/remote/ and bench/bench_engines.py start the same engines
the same way. `EngineMissing` (not a pytest skip) says an engine is not installed; the tests turn
it into a skip with its reason."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.serving import free_port


class EngineMissing(RuntimeError):
    """The engine's executable is not installed."""


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
        raise EngineMissing("the `oxigraph` executable (PyPI package oxigraph, test extra) is not installed")
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
        raise EngineMissing("Virtuoso (`virtuoso-t`, `isql-vt`: Debian package virtuoso-opensource) is not installed")
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
