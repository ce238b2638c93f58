"""Real servers for the server tests: `kg serve` in a subprocess on a free 127.0.0.1 port over a
real on-disk pyoxigraph store. Nothing is mocked; clients talk HTTP.

Fixtures:
* `small_store`   – a store built here: people graph, 3000-triple bulk graph, a default-graph triple
* `ro_server`     – read-only server on it (timeout 5 s, max 1000 rows, small body limit)
* `rw_server`     – writable server (token) on an initially empty store (W3C GSP/update tests)
* `shapes_server` – writable server on a store that holds SHACL shapes (422 tests)
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

EX = "http://example.org/"
PEOPLE = EX + "g/people"
BULK = EX + "g/bulk"
TOKEN = "test-token-7f3a"
BULK_SIZE = 3000
PEOPLE_COUNT = 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A running `kg serve` subprocess."""

    url: str
    process: subprocess.Popen[bytes]
    store: Path
    log: Path
    token: str | None = None

    @property
    def sparql(self) -> str:
        return self.url + "/sparql"

    @property
    def gsp(self) -> str:
        return self.url + "/store"

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def worker_pids(self) -> set[int]:
        """PIDs of the server's worker processes (children started by multiprocessing spawn)."""
        pids: set[int] = set()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                cmd = (entry / "cmdline").read_bytes()
            except (OSError, IndexError, ValueError):
                continue
            if ppid == self.process.pid and b"spawn_main" in cmd:
                pids.add(int(entry.name))
        return pids


def start_server(store: Path, log_dir: Path, *args: str, token: str | None = None, timeout: float = 30,
                 extra_env: dict[str, str] | None = None) -> Server:
    """Start `python -m kg.cli serve` and wait until it answers."""
    port = free_port()
    log = log_dir / f"server-{port}.log"
    env = dict(os.environ)
    env.pop("HILFENETZ_WRITE_TOKEN", None)
    env.update(extra_env or {})
    if "--replicas" not in args:
        # one server process, whose query workers are its children (worker_pids): the fixtures
        # test the service's behaviour; the replicated default has its own tests (test_replicas)
        args = ("--replicas", "1", *args)
    cmd = [sys.executable, "-m", "kg.cli", "serve", "--store", str(store), "--port", str(port),
           "--no-build", "--log-level", "warning", *args]
    if token:
        env["KG_TEST_TOKEN"] = token
        cmd += ["--write-token-env", "KG_TEST_TOKEN"]
    with open(log, "wb") as fh:  # the server has its own descriptor for it; ours is closed at once
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text()}")
        try:
            r = httpx.get(url + "/sparql", params={"query": "ASK {}"}, timeout=2)
            if r.status_code == 200:
                return Server(url, proc, store, log, token)
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    stop_server(proc)
    raise RuntimeError(f"server did not come up:\n{log.read_text()}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


def make_small_store(path: Path) -> Path:
    """People (names in de/en, ages), a bulk graph of BULK_SIZE triples, one default-graph triple."""
    import pyoxigraph as ox

    store = ox.Store(str(path))
    people = ox.NamedNode(PEOPLE)
    bulk = ox.NamedNode(BULK)
    quads = []
    for i in range(PEOPLE_COUNT):
        s = ox.NamedNode(f"{EX}person/{i}")
        quads.append(ox.Quad(s, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                             ox.NamedNode("http://xmlns.com/foaf/0.1/Person"), people))
        quads.append(ox.Quad(s, ox.NamedNode("http://xmlns.com/foaf/0.1/name"), ox.Literal(f"Person {i}", language="de"), people))
        quads.append(ox.Quad(s, ox.NamedNode(EX + "age"), ox.Literal(str(20 + i), datatype=ox.NamedNode(
            "http://www.w3.org/2001/XMLSchema#integer")), people))
    quads.append(ox.Quad(ox.NamedNode(EX + "person/0"), ox.NamedNode(EX + "motto"),
                         ox.Literal('Tab\there, "quotes", comma, and\nnewline; Ümlaut'), people))
    for i in range(BULK_SIZE):
        quads.append(ox.Quad(ox.NamedNode(f"{EX}n/{i}"), ox.NamedNode(EX + "v"), ox.Literal(str(i), datatype=ox.NamedNode(
            "http://www.w3.org/2001/XMLSchema#integer")), bulk))
    quads.append(ox.Quad(ox.NamedNode(EX + "default-s"), ox.NamedNode(EX + "p"), ox.Literal("in default"), ox.DefaultGraph()))
    store.extend(quads)
    store.flush()
    del store
    return path


@pytest.fixture(scope="session")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_small_store(tmp_path_factory.mktemp("small") / "store")


@pytest.fixture(scope="session")
def ro_server(small_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(
        small_store, tmp_path_factory.mktemp("ro-log"),
        "--timeout", "5", "--max-rows", "1000", "--max-body-bytes", "100000", "--workers", "2",
    )
    yield server
    stop_server(server.process)


@pytest.fixture(scope="session")
def rw_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    store = tmp_path_factory.mktemp("rw") / "store"
    server = start_server(store, tmp_path_factory.mktemp("rw-log"), "--workers", "2", token=TOKEN)
    yield server
    stop_server(server.process)


SHAPES_TTL = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <http://example.org/> .
ex:PersonShape a sh:NodeShape ;
    sh:targetClass ex:Person ;
    sh:property [ sh:path ex:name ; sh:minCount 1 ; sh:datatype xsd:string ;
                  sh:message "A person needs a name / Eine Person braucht einen Namen" ] ;
    sh:property [ sh:path ex:age ; sh:maxCount 1 ; sh:datatype xsd:integer ] .
"""

SHAPES_DATA_TTL = """
@prefix ex: <http://example.org/> .
ex:alice a ex:Person ; ex:name "Alice" ; ex:age 30 .
ex:bob a ex:Person ; ex:name "Bob" .
"""


def _shapes_store(path: Path) -> Path:
    import pyoxigraph as ox

    from kg.rdf import GRAPH_SHAPES

    store = ox.Store(str(path))
    store.load(SHAPES_TTL, format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(GRAPH_SHAPES))
    store.load(SHAPES_DATA_TTL, format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(EX + "g/data"))
    store.flush()
    del store
    return path


@pytest.fixture(scope="session")
def shapes_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Writable server over a store with shapes (writes validated incrementally, kg.graph.write)."""
    path = _shapes_store(tmp_path_factory.mktemp("shapes") / "store")
    server = start_server(path, tmp_path_factory.mktemp("shapes-log"), "--workers", "1", token=TOKEN)
    yield server
    stop_server(server.process)


@pytest.fixture()
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as c:
        yield c
