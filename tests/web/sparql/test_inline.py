"""Single-pattern queries answered in the server process, and the row limit by byte counting.

Why these tests: the inline path skips the worker (and so the deadline machinery), which is only
safe for the exact query shape `is_single_pattern` accepts; and it must give byte for byte the
answer a worker gives. The workers now write the asked format directly and bound its rows by
counting bytes (`_row_bound`), so the row limit must still be exact when literals contain the
very bytes that are counted."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from kg.query.execute import execute_inline, execute_job
from kg.query.messages import QueryJob
from kg.sparql.text import is_single_pattern
from tests.serving import Server, start_server, stop_server

from .conftest import EX

SINGLE = [
    "SELECT ?p ?o WHERE { <http://example.org/x> ?p ?o }",
    "PREFIX ex: <http://example.org/> SELECT * { ?s a ex:T . } LIMIT 10",
    'ASK { ?s ?p "x" }',
    "BASE <http://example.org/> select ?o where { <x> <y> ?o } # comment",
    "SELECT ?s ?o { ?s <http://example.org/age> 42 }",
]
NOT_SINGLE = [
    "SELECT ?p ?o WHERE { <x> ?p ?o } ORDER BY ?o",
    "SELECT DISTINCT ?p WHERE { ?s ?p ?o }",
    "SELECT ?x { ?x ?p ?x }",
    "SELECT ?o { <x> <p>/<q> ?o }",
    "SELECT ?o { <x> ^<p> ?o }",
    "SELECT ?o { <x> ?p ?o . ?o ?q ?r }",
    "SELECT ?o { <x> ?p ?o FILTER(?o) }",
    "SELECT ?o FROM <g> { <x> ?p ?o }",
    "SELECT ?o { <x> ?p ?o } OFFSET 5",
    "SELECT ?o { <x> ?p ?o } LIMIT 5 OFFSET 2",
    "SELECT ?o { _:b ?p ?o }",
    'SELECT ?o { <x> ?p "a"@de }',
    "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }",
    "CONSTRUCT WHERE { ?s ?p ?o }",
    "DESCRIBE <x>",
    "SELECT ?o { GRAPH ?g { <x> ?p ?o } }",
    "SELECT ?s { ?s ?p ?o } VALUES ?s { <a> }",
    "SELECT ?o { SERVICE <http://x/> { <x> ?p ?o } }",
    "SELECT ?o { <x> ?p ?o, ?q }",
    "SELECT ?o { <x> ?p ?o ; ?q ?r }",
    "SELECT ?o { { <x> ?p ?o } }",
    "SELECT ?o { <x> ?p ?o } GROUP BY ?o",
    "INSERT DATA { <x> <p> <o> }",
]


@pytest.mark.parametrize("text", SINGLE)
def test_single_pattern_shapes_are_recognised(text: str) -> None:
    assert is_single_pattern(text)


@pytest.mark.parametrize("text", NOT_SINGLE)
def test_everything_else_is_not(text: str) -> None:
    assert not is_single_pattern(text)


# ------------------------------------------------------------------------------------------
# the row limit of directly written answers


def _store(values: list[str]) -> ox.Store:
    store = ox.Store()
    g = ox.NamedNode(EX + "g")
    for i, v in enumerate(values):
        store.add(ox.Quad(ox.NamedNode(f"{EX}s/{i}"), ox.NamedNode(EX + "v"), ox.Literal(v), g))
    return store


NASTY = ['a},{b', "<result>", 'x\r\ny', '"},{"', "plain"]


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
@pytest.mark.parametrize("values", [["v"] * 12, NASTY * 3], ids=["plain", "literals-with-counted-bytes"])
def test_row_limit_is_exact_in_every_format(fmt: str, values: list[str]) -> None:
    store = _store(values)
    query = "SELECT ?s ?o { ?s ?p ?o }"
    rows = len(values)
    at_limit = execute_job(store, QueryJob(query, fmt, None, max_rows=rows))
    assert at_limit.ok, at_limit.message
    assert at_limit.rows == rows or (fmt == "csv" and at_limit.rows >= rows)
    assert at_limit.body == store.query(query, use_default_graph_as_union=True).serialize(
        format={"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
                "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV}[fmt])
    over = execute_job(store, QueryJob(query, fmt, None, max_rows=rows - 1))
    assert not over.ok and over.kind == "too_many_rows"


def test_inline_gives_way_to_a_worker_above_its_cap() -> None:
    store = _store(["v"] * 30)
    job = QueryJob("SELECT ?s ?o { ?s ?p ?o }", "json", None, max_rows=1000)
    assert execute_inline(store, job, max_rows=10, max_bytes=1 << 20) is None  # too big: to a worker
    small = execute_inline(store, job, max_rows=100, max_bytes=1 << 20)
    assert small is not None and small.ok and small.body.count(b'"s":') == 30
    # when the real limit is the smaller one, the inline answer is the final refusal
    strict = QueryJob("SELECT ?s ?o { ?s ?p ?o }", "json", None, max_rows=10)
    refused = execute_inline(store, strict, max_rows=100, max_bytes=1 << 20)
    assert refused is not None and refused.kind == "too_many_rows"


# ------------------------------------------------------------------------------------------
# over HTTP: inline answers equal worker answers


@pytest.fixture(scope="module")
def inline_server(small_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(small_store, tmp_path_factory.mktemp("inline-log"),
                          "--inline-max-rows", "5", "--max-rows", "1000", "--workers", "1", "--rate-limit", "0")
    yield server
    stop_server(server.process)


def _inline_counts(server: Server) -> dict[str, float]:
    text = httpx.get(server.url + "/metrics").text
    return {m.group(1): float(m.group(2))
            for m in re.finditer(r'hilfenetz_sparql_inline_total\{result="(\w+)"\} (\S+)', text)}


@pytest.mark.parametrize("accept", [
    "application/sparql-results+json", "application/sparql-results+xml", "text/csv", "text/tab-separated-values",
])
def test_inline_answer_equals_the_worker_answer(inline_server: Server, accept: str) -> None:
    person = f"<{EX}person/0>"
    before = _inline_counts(inline_server)
    inline = httpx.get(inline_server.sparql, params={"query": f"SELECT ?p ?o {{ {person} ?p ?o }}"},
                       headers={"Accept": accept})
    # the same solutions through a worker: a FILTER makes it more than one pattern
    worker = httpx.get(inline_server.sparql, params={"query": f"SELECT ?p ?o {{ {person} ?p ?o FILTER(true) }}"},
                       headers={"Accept": accept})
    after = _inline_counts(inline_server)
    assert inline.status_code == worker.status_code == 200
    assert inline.headers["content-type"] == worker.headers["content-type"]
    assert inline.content == worker.content and "Ümlaut".encode() in inline.content
    assert after.get("answered", 0) == before.get("answered", 0) + 1


def test_large_single_pattern_answer_comes_from_a_worker(inline_server: Server) -> None:
    before = _inline_counts(inline_server)
    r = httpx.get(inline_server.sparql, params={"query": f"SELECT ?s ?o {{ ?s <{EX}v> ?o }} LIMIT 50"},
                  headers={"Accept": "text/tab-separated-values"})
    after = _inline_counts(inline_server)
    assert r.status_code == 200 and r.text.count("\n") == 51  # header + 50 rows: not cut at the inline cap
    assert after.get("to_worker", 0) == before.get("to_worker", 0) + 1


def test_inline_answers_keep_the_row_limit_and_the_protocol(inline_server: Server) -> None:
    r = httpx.get(inline_server.sparql, params={"query": "SELECT * { ?s ?p ?o }"}, headers={"Accept": "text/csv"})
    assert r.status_code == 413 and "1000" in r.text  # the configured limit, not the inline cap
    etag = httpx.get(inline_server.sparql, params={"query": f"ASK {{ <{EX}person/1> ?p ?o }}"}).headers["etag"]
    again = httpx.get(inline_server.sparql, params={"query": f"ASK {{ <{EX}person/1> ?p ?o }}"},
                      headers={"If-None-Match": etag})
    assert again.status_code == 304
    # single-pattern in shape, but only the parser knows the prefix is undeclared: 400 with position
    bad = httpx.get(inline_server.sparql, params={"query": "SELECT ?o { nowhere:x ?p ?o }"})
    assert bad.status_code == 400 and "Prefix not found" in bad.text and "line 1, column" in bad.text
