"""Real servers for the SPARQL protocol tests: `kg serve` in a subprocess on a free 127.0.0.1 port
(tests/serving.py) over a real on-disk pyoxigraph store. Nothing is mocked; clients talk HTTP.

Fixtures:
* `small_store`   – a store built here: people graph, 3000-triple bulk graph, a default-graph triple
* `ro_server`     – read-only server on it (timeout 5 s, max 1000 rows, small body limit)
* `rw_server`     – writable server (token) on an initially empty store (W3C GSP/update tests)
* `shapes_server` – writable server on a store that holds SHACL shapes (422 tests)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.serving import Server, start_server, stop_server

EX = "http://example.org/"
PEOPLE = EX + "g/people"
BULK = EX + "g/bulk"
TOKEN = "test-token-7f3a"
BULK_SIZE = 3000
PEOPLE_COUNT = 20


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
        quads.append(ox.Quad(s, ox.NamedNode("http://xmlns.com/foaf/0.1/name"),
                             ox.Literal(f"Person {i}", language="de"), people))
        quads.append(ox.Quad(s, ox.NamedNode(EX + "age"), ox.Literal(str(20 + i), datatype=ox.NamedNode(
            "http://www.w3.org/2001/XMLSchema#integer")), people))
    quads.append(ox.Quad(ox.NamedNode(EX + "person/0"), ox.NamedNode(EX + "motto"),
                         ox.Literal('Tab\there, "quotes", comma, and\nnewline; Ümlaut'), people))
    for i in range(BULK_SIZE):
        quads.append(ox.Quad(ox.NamedNode(f"{EX}n/{i}"), ox.NamedNode(EX + "v"),
                             ox.Literal(str(i), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
                             bulk))
    quads.append(ox.Quad(ox.NamedNode(EX + "default-s"), ox.NamedNode(EX + "p"), ox.Literal("in default"),
                         ox.DefaultGraph()))
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
