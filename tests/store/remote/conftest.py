"""A real `oxigraph serve` (PyPI package `oxigraph`) on 127.0.0.1, filled with the real built
store by kg.graph.publish (with `--union-default-graph`, as recommended), and two hilfenetz
servers in front of the same data: one over the embedded store (the default), one in remote
mode over the Oxigraph server. The tests in this directory
ask both the same things and compare the answers.

One Oxigraph server and one publish of the real store per session (the publish is the
expensive part: ~65 MB in one atomic update). Tests that write (the `kg build --store URL` CLI
tests) get a second, in-memory Oxigraph server of their own, so the shared one stays as
published. Everything skips with a reason only when the `oxigraph` executable is missing.
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


@pytest.fixture(scope="session")
def oxigraph(tmp_path_factory: pytest.TempPathFactory, built_store: Path) -> Iterator[OxigraphServer]:
    """The shared Oxigraph server, holding the real built store (published with kg.graph.publish),
    with the union default graph docs/remote-store.md recommends (the fast path)."""
    from kg.graph.publish import publish

    root = tmp_path_factory.mktemp("oxigraph")
    server = start_oxigraph(root / "db", root, union_default_graph=True)
    try:
        result = publish(built_store, server.query_url)
        print(f"[remote] published {result.quads} quads in {result.graphs} graphs, {result.bytes} bytes, "
              f"{result.seconds:.1f} s", file=sys.stderr)
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


@pytest.fixture(scope="session")
def backends(oxigraph: OxigraphServer, built_store: Path,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Base URLs of the two hilfenetz servers: "embedded" (the built store) and "remote"
    (the same data in the Oxigraph server)."""
    from kg.config import Settings
    from kg.web.app import create_app

    common = {"project_root": PROJECT_ROOT, "workers": 1, "rate_limit": 0.0, "watch_interval": 0.0}
    embedded = Settings(store_path=built_store, **common)
    remote = Settings(store_path=tmp_path_factory.mktemp("remote-cache") / "store",
                      store_url=oxigraph.query_url, **common)
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
