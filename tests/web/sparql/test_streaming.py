"""Large SELECT answers streamed from the query worker to the client while the query runs.

Why these tests: a streamed answer must be byte for byte the answer a worker gives in one
piece (every format, the row bound counted across parts), must end up in the answer cache with
its ETag, and must never pass for complete when it is not: an answer that passes the row limit
or the deadline after its first part went out is cut off (the chunked body has no end), and the
server goes on serving."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from kg.query.cache import body_digest
from kg.query.execute import execute_job
from kg.query.messages import QueryJob
from tests.serving import Server, start_server, stop_server

from .conftest import BULK_SIZE, EX

PART = 4096  # the server's --stream-after-bytes: small, so the small store's answers stream
MAX_ROWS = 2500  # fewer than the store's 3,000+ triples
FORMATS = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
# 900 solutions with literals full of the very bytes the row bound counts (`},{`, newlines)
BIG = (f'SELECT ?s ?o ?x WHERE {{ ?s <{EX}v> ?o BIND(CONCAT("a}},{{b", "\\n", STR(?o)) AS ?x) }} '
       "ORDER BY ?o LIMIT 900")


@pytest.fixture(scope="module")
def stream_server(small_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(small_store, tmp_path_factory.mktemp("stream-log"), "--stream-after-bytes", str(PART),
                          "--max-rows", str(MAX_ROWS), "--workers", "1", "--rate-limit", "0", "--timeout", "30")
    yield server
    stop_server(server.process)


@pytest.fixture(scope="module")
def store(small_store: Path, stream_server: Server) -> ox.Store:
    """The same store, read-only in this process: what a worker answers in one piece."""
    return ox.Store.read_only(str(small_store))


def _streams(server: Server) -> dict[str, float]:
    text = httpx.get(server.url + "/metrics").text
    return {m.group(1): float(m.group(2))
            for m in re.finditer(r'hilfenetz_sparql_streams_total\{result="(\w+)"\} (\S+)', text)}


def _whole(store: ox.Store, query: str, fmt: str, max_rows: int = MAX_ROWS) -> bytes:
    answer = execute_job(store, QueryJob(query, fmt, None, max_rows=max_rows))
    assert answer.ok and answer.streamed == 0
    return answer.body


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_parts_join_to_the_whole_answer_with_an_upper_row_bound(store: ox.Store, fmt: str) -> None:
    """In the worker: the parts handed on plus the final body are the unstreamed answer, the
    digest covers all of it, and the row count is right although marks are cut by part
    boundaries (parts of 97 bytes cut `},{` and `<result>` again and again)."""
    parts: list[bytes] = []
    job = QueryJob(BIG, fmt, None, max_rows=MAX_ROWS, stream_after=97)
    answer = execute_job(store, job, emit=parts.append)
    whole = _whole(store, BIG, fmt)
    assert answer.ok and answer.streamed == len(parts) > 3  # the serialisers write 8 KiB at a time at most
    assert b"".join(parts) + answer.body == whole
    assert answer.digest == body_digest(whole)
    assert answer.rows >= 900  # a bound: the literals hold the counted marks too
    # at the limit: still complete (the bound passes it, the exact count does not); one row
    # under it: refused, whichever part the row is found in
    exactly = execute_job(store, QueryJob(BIG, fmt, None, max_rows=900, stream_after=97), emit=lambda _: None)
    assert exactly.ok and exactly.rows == 900
    sent: list[bytes] = []
    over = execute_job(store, QueryJob(BIG, fmt, None, max_rows=899, stream_after=97), emit=sent.append)
    assert not over.ok and over.kind == "too_many_rows"
    assert sum(map(len, sent)) < len(whole)


@pytest.mark.parametrize("accept", list(FORMATS))
def test_a_large_answer_streams_and_equals_the_whole_answer(
    stream_server: Server, store: ox.Store, accept: str
) -> None:
    before = _streams(stream_server)
    query = BIG.replace("LIMIT 900", f"LIMIT {800 + len(accept)}")  # a fresh cache key per format
    r = httpx.get(stream_server.sparql, params={"query": query}, headers={"Accept": accept}, timeout=30)
    assert r.status_code == 200
    assert r.headers.get("transfer-encoding") == "chunked" and "content-length" not in r.headers
    assert "etag" not in r.headers  # its digest is known only at the end
    assert r.headers["content-type"].startswith(accept)
    assert r.content == _whole(store, query, FORMATS[accept])
    assert _streams(stream_server).get("complete", 0) == before.get("complete", 0) + 1
    # the whole answer went into the answer cache: now with ETag and length, and 304
    again = httpx.get(stream_server.sparql, params={"query": query}, headers={"Accept": accept})
    assert again.content == r.content and again.headers["content-length"] == str(len(r.content))
    etag = again.headers["etag"]
    assert httpx.get(stream_server.sparql, params={"query": query},
                     headers={"Accept": accept, "If-None-Match": etag}).status_code == 304


def test_small_answers_head_and_conditional_requests_are_not_streamed(stream_server: Server) -> None:
    small = httpx.get(stream_server.sparql, params={"query": f"SELECT ?o WHERE {{ ?s <{EX}v> ?o }} LIMIT 3"})
    assert small.status_code == 200 and "etag" in small.headers and "content-length" in small.headers
    query = BIG.replace("LIMIT 900", "LIMIT 777")
    head = httpx.head(stream_server.sparql, params={"query": query})
    assert head.status_code == 200 and int(head.headers["content-length"]) > PART and "etag" in head.headers
    conditional = httpx.get(stream_server.sparql, params={"query": BIG.replace("LIMIT 900", "LIMIT 778")},
                            headers={"If-None-Match": '"no-such-tag"'})
    assert conditional.status_code == 200 and "etag" in conditional.headers


def _read_streamed(server: Server, params: dict[str, str]) -> tuple[int, bytes, Exception | None, float]:
    """Status, the bytes that arrived, the error that ended the body (None if it was complete)."""
    received = bytearray()
    start = time.monotonic()
    with httpx.Client(timeout=30) as client, client.stream("GET", server.sparql, params=params) as r:
        try:
            for data in r.iter_bytes():
                received += data
        except httpx.HTTPError as exc:
            return r.status_code, bytes(received), exc, time.monotonic() - start
    return r.status_code, bytes(received), None, time.monotonic() - start


def test_an_answer_over_the_row_limit_is_cut_near_the_limit_never_passed_off_as_complete(
    stream_server: Server, store: ox.Store
) -> None:
    before = _streams(stream_server)
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"  # more than MAX_ROWS solutions, far more than one part
    status, received, error, _ = _read_streamed(stream_server, {"query": query})
    assert status == 200  # the status line went out with the first part
    assert isinstance(error, httpx.RemoteProtocolError), error  # the body has no end: not a complete answer
    full = _whole(store, query, "json", max_rows=10 * BULK_SIZE)
    assert 0 < len(received) < len(full)
    assert received.count(b"},{") <= MAX_ROWS + 1  # stopped before the limit's row went out
    assert _streams(stream_server).get("cut", 0) == before.get("cut", 0) + 1
    # and the server goes on serving
    ok = httpx.get(stream_server.sparql, params={"query": "ASK { ?s ?p ?o }"})
    assert ok.status_code == 200 and ok.json()["boolean"] is True
    # the cut is logged once, as a warning saying why, without uvicorn's error about an
    # incomplete response (a cut made on purpose is no fault of the application)
    log = stream_server.log.read_text()
    assert "cut off after its first part (too_many_rows)" in log
    assert "returned without completing response" not in log


def test_an_answer_past_its_deadline_is_cut_at_the_deadline(stream_server: Server) -> None:
    """Solutions that come slowly (each scans the whole bulk graph once more: 8 KiB of answer
    about every 0.16 s, 3.5 s for all of them, measured): the first parts go out, then the
    deadline passes, the worker is killed and the connection closed."""
    query = f"SELECT ?s WHERE {{ ?s <{EX}v> ?x FILTER NOT EXISTS {{ ?a <{EX}v> ?y FILTER(?y + ?x < 0) }} }}"
    workers = stream_server.worker_pids()
    status, received, error, seconds = _read_streamed(stream_server, {"query": query, "timeout": "2"})
    assert status == 200 and len(received) >= PART, received[:300]
    assert isinstance(error, httpx.RemoteProtocolError), error
    assert 2.0 <= seconds < 3.5
    deadline = time.monotonic() + 10
    while stream_server.worker_pids() & workers and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not stream_server.worker_pids() & workers  # the busy worker was killed and replaced
    ok = httpx.get(stream_server.sparql, params={"query": "ASK { ?s ?p ?o }"}, timeout=30)
    assert ok.status_code == 200, ok.text


def test_a_client_that_leaves_during_a_streamed_answer_stops_its_query(stream_server: Server) -> None:
    query = f"SELECT ?s WHERE {{ ?s <{EX}v> ?x FILTER NOT EXISTS {{ ?a <{EX}v> ?y FILTER(?y + ?x < 0) }} }}"
    before = _streams(stream_server)
    workers = stream_server.worker_pids()
    with httpx.Client(timeout=30) as client, client.stream("GET", stream_server.sparql, params={"query": query}) as r:
        assert r.status_code == 200
        first = next(r.iter_raw())  # the first part arrived; now the client goes away
        assert first
    deadline = time.monotonic() + 10  # the query would run 3.5 s more: it is stopped long before
    while (stream_server.worker_pids() & workers or _streams(stream_server).get("client_gone", 0)
           == before.get("client_gone", 0)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _streams(stream_server).get("client_gone", 0) == before.get("client_gone", 0) + 1
    assert not stream_server.worker_pids() & workers  # its worker was killed and replaced
    assert _streams(stream_server).get("cut", 0) == before.get("cut", 0)
