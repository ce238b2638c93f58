"""Operations endpoints against a real uvicorn server on 127.0.0.1 over a real pyoxigraph store.

The app under test is a minimal FastAPI app with `kg.web.ops.install`, the real ops routes
(kg.web.routes.ops, over a state with only the ops probes) and a read route /sparql that
queries the store, so these tests pin the ops contract on their own; the
`create_app` test at the end checks the same endpoints on the real application.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import httpx
import pyoxigraph as ox
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from kg.web import ops
from kg.web.app import ROUTES, mount
from kg.web.metrics import METRICS, MetricsRegistry
from kg.web.routes import ops as ops_routes
from tests.serving import serve_app

EX = "https://w3id.org/hilfenetz/id/test/"


def small_store(path: Path) -> ox.Store:
    store = ox.Store(str(path))
    g = ox.NamedNode(EX + "graph")
    for i in range(5):
        store.add(ox.Quad(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(EX + "p"), ox.Literal(f"v{i}"), g))
    store.flush()
    return store


def ops_app(store: ox.Store, registry: MetricsRegistry, ready: dict[str, bool]) -> FastAPI:
    app = FastAPI()

    @app.get("/sparql")
    def sparql(query: str) -> JSONResponse:
        rows = [{k: s[k].value for k in ("s",)} for s in store.query(query)]
        return JSONResponse(rows)

    @app.post("/sparql")
    async def sparql_post(request: Request) -> PlainTextResponse:
        return PlainTextResponse("posted")

    app.state.kg = SimpleNamespace(probes=ops.Probes(lambda: ready["ok"], lambda: len(store), registry))
    mount(app, tuple(r for r in ROUTES if r.handler.__module__ == ops_routes.__name__))
    ops.install(app, registry=registry)
    return app


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[tuple[str, MetricsRegistry, dict[str, bool]]]:
    store = small_store(tmp_path / "store")
    registry = MetricsRegistry()
    ready = {"ok": True}
    with serve_app(ops_app(store, registry, ready)) as url:
        yield url, registry, ready


def test_health_and_ready(server: tuple[str, MetricsRegistry, dict[str, bool]]) -> None:
    url, _, ready = server
    r = httpx.get(url + "/health")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    assert httpx.get(url + "/ready").status_code == 200
    ready["ok"] = False
    r = httpx.get(url + "/ready")
    assert r.status_code == 503 and r.json()["store"] is False
    # liveness does not depend on the store
    assert httpx.get(url + "/health").status_code == 200
    # HEAD, as probes send it, without a body (the routes answer it)
    head = httpx.head(url + "/health")
    assert head.status_code == 200 and head.content == b""
    assert httpx.head(url + "/ready").status_code == 503


def test_probes_are_one_openapi_operation_each(tmp_path: Path) -> None:
    """GET and HEAD on one route gave both methods the same operation id (FastAPI warned
    "Duplicate Operation ID health_health_get"); HEAD stays answered but is not documented."""
    app = ops_app(small_store(tmp_path / "store"), MetricsRegistry(), {"ok": True})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a duplicate operation id is a UserWarning
        spec = app.openapi()
    for path in ("/health", "/ready"):
        assert list(spec["paths"][path]) == ["get"]
    ids = [op["operationId"] for item in spec["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))


def test_metrics_count_requests_latency_and_triples(server: tuple[str, MetricsRegistry, dict[str, bool]]) -> None:
    url, registry, _ = server
    q = "SELECT ?s WHERE { ?s ?p ?o }"
    for _ in range(3):
        assert httpx.get(url + "/sparql", params={"query": q}).status_code == 200
    assert httpx.get(url + "/no-such-page").status_code == 404
    registry.inc("hilfenetz_sparql_timeouts_total", stage="running")
    r = httpx.get(url + "/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert "# TYPE hilfenetz_http_requests_total counter" in text
    assert 'hilfenetz_http_requests_total{method="GET",route="/sparql",status="200"} 3' in text
    assert 'hilfenetz_http_requests_total{method="GET",route="<unmatched>",status="404"} 1' in text
    assert "# TYPE hilfenetz_http_request_duration_seconds histogram" in text
    assert 'hilfenetz_http_request_duration_seconds_count{method="GET",route="/sparql"} 3' in text
    assert 'hilfenetz_http_request_duration_seconds_bucket{method="GET",route="/sparql",le="+Inf"} 3' in text
    assert 'hilfenetz_sparql_timeouts_total{stage="running"} 1' in text
    assert "# HELP hilfenetz_sparql_worker_crashes_total " in text
    assert "hilfenetz_sparql_worker_crashes_total 0" in text
    assert "hilfenetz_store_triples 5" in text
    assert "hilfenetz_store_ready 1" in text


def test_access_log_is_json_without_secrets(
    server: tuple[str, MetricsRegistry, dict[str, bool]], caplog: pytest.LogCaptureFixture
) -> None:
    url, _, _ = server
    caplog.set_level(logging.INFO, logger=ops.ACCESS_LOGGER)
    secret = "s3cr3t-token-value"
    httpx.get(
        url + "/sparql",
        params={"query": "SELECT ?s {?s ?p ?o}", "access_token": secret},
        headers={"Authorization": f"Bearer {secret}", "User-Agent": "ops-test/1.0"},
    )
    # the line is written after the answer was sent (the middleware's `finally`), so the client
    # may have it before the server thread has logged: wait for it (a race seen under CI load)
    deadline = time.monotonic() + 5
    lines: list[str] = []
    while not lines and time.monotonic() < deadline:
        lines = [r.getMessage() for r in caplog.records if r.name == ops.ACCESS_LOGGER]
        if not lines:
            time.sleep(0.02)
    assert lines, "no access log line written"
    rec = json.loads(lines[-1])
    assert rec["method"] == "GET" and rec["path"] == "/sparql" and rec["status"] == 200
    assert rec["client"] == "127.0.0.1" and rec["user_agent"] == "ops-test/1.0"
    assert isinstance(rec["duration_ms"], float) and rec["duration_ms"] >= 0
    assert set(rec) == {"time", "method", "path", "status", "duration_ms", "client", "user_agent"}
    assert all(secret not in line for line in lines)


def test_metrics_registry_text_format() -> None:
    reg = MetricsRegistry()
    reg.describe("x_total", "counter", 'Help with "quotes" and \\ backslash\nnewline.')
    reg.inc("x_total", 2, path='a"b')
    reg.set("g", 1.5)
    reg.observe("h_seconds", 0.003)
    reg.observe("h_seconds", 7)
    text = reg.render()
    assert '# HELP x_total Help with "quotes" and \\\\ backslash\\nnewline.' in text
    assert 'x_total{path="a\\"b"} 2' in text
    assert "# TYPE g gauge" in text and "g 1.5" in text
    assert 'h_seconds_bucket{le="0.005"} 1' in text
    assert 'h_seconds_bucket{le="10"} 2' in text and 'h_seconds_bucket{le="+Inf"} 2' in text
    assert "h_seconds_sum 7.003" in text and "h_seconds_count 2" in text
    with pytest.raises(ValueError):
        reg.set("x_total", 1)
    with pytest.raises(ValueError):
        reg.inc("x_total", -1)


def test_histogram_buckets_are_cumulative_and_inclusive() -> None:
    """A value equal to a bucket's bound counts in that bucket (Prometheus `le`), every bucket
    counts what lies below it, and values above the last bucket only reach +Inf."""
    reg = MetricsRegistry(buckets=(0.1, 1.0, 10.0))
    for value in (0.05, 0.1, 0.5, 1.0, 1.0, 9.0, 11.0):
        reg.observe("h_seconds", value, route="/x")
    text = reg.render()
    assert 'h_seconds_bucket{route="/x",le="0.1"} 2' in text
    assert 'h_seconds_bucket{route="/x",le="1"} 5' in text
    assert 'h_seconds_bucket{route="/x",le="10"} 6' in text
    assert 'h_seconds_bucket{route="/x",le="+Inf"} 7' in text
    # labels given in another order, or as non-strings, name the same series
    reg.inc("c_total", b="2", a="1")
    reg.inc("c_total", a=1, b=2)
    assert reg.value("c_total", a="1", b="2") == 2


@pytest.mark.parametrize("agent", [None, "wrk", 'quote " backslash \\ tab \t', "Zürich-Bot/1.0 ☂"])
def test_access_line_is_the_json_of_the_access_record(agent: str | None) -> None:
    headers = [(b"accept", b"*/*")] + ([(b"user-agent", agent.encode("utf-8"))] if agent else [])
    scope = {"type": "http", "headers": headers, "client": ("127.0.0.1", 5000)}
    for seconds in (0.0, 0.0004567, 1.23456789, 31.0):
        line = ops.access_line(scope, "GET", '/id/a"b', 200, seconds)
        record = ops.access_record(scope, "GET", '/id/a"b', 200, seconds)
        parsed = json.loads(line)
        assert list(parsed) == list(record)  # same keys in the same order
        assert {k: v for k, v in parsed.items() if k != "time"} == {k: v for k, v in record.items() if k != "time"}
        # the same text as json.dumps, apart from the clock reading
        assert line.replace(parsed["time"], "T") == json.dumps({**record, "time": "T"}, ensure_ascii=False)
    no_client = ops.access_line({"type": "http", "headers": []}, "HEAD", "/", 304, 0.001)
    assert json.loads(no_client)["client"] is None and json.loads(no_client)["user_agent"] is None


@pytest.mark.parametrize("now", [0.0, 1_764_900_000.0, 1_764_900_000.0009, 1_764_900_000.999, 1_764_900_059.5])
def test_access_log_timestamp_matches_isoformat(now: float) -> None:
    from datetime import UTC, datetime

    assert ops._timestamp(now) == datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds")


def test_batched_handler_writes_every_line_in_order_within_its_interval() -> None:
    import io

    stream = io.StringIO()
    handler = ops.BatchedStreamHandler(stream, interval=0.1, max_bytes=10_000)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("hilfenetz.test.batched")
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        for i in range(5):
            logger.info("line %d", i)
        assert stream.getvalue() == ""  # batched: nothing written yet
        deadline = time.monotonic() + 5
        while stream.getvalue().count("\n") < 5 and time.monotonic() < deadline:
            time.sleep(0.02)  # no further record arrives: the flusher thread writes the batch
        assert stream.getvalue() == "".join(f"line {i}\n" for i in range(5))
        big = "x" * 12_000  # over max_bytes: written at once
        logger.info(big)
        assert stream.getvalue().endswith(big + "\n")
        logger.info("last")
        handler.close()  # closing (as at shutdown) writes what is still waiting
        assert stream.getvalue().endswith("last\n")
    finally:
        logger.removeHandler(handler)


def test_metrics_registry_is_thread_safe() -> None:
    reg = MetricsRegistry()

    def work() -> None:
        for _ in range(2000):
            reg.inc("c_total", route="/sparql")
            reg.observe("lat_seconds", 0.01)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert reg.value("c_total", route="/sparql") == 8000
    assert "lat_seconds_count 8000" in reg.render()


def test_global_registry_has_project_series() -> None:
    text = METRICS.render()
    for name in (
        "hilfenetz_sparql_timeouts_total", "hilfenetz_sparql_worker_crashes_total", "hilfenetz_http_requests_total"
    ):
        assert f"# TYPE {name} counter" in text


def test_ops_on_the_real_app_count_timeouts(tmp_path: Path) -> None:
    """`create_app` installs the ops endpoints; a query killed at the deadline is counted."""
    from kg.config import Settings
    from kg.web.app import create_app

    store = ox.Store(str(tmp_path / "store"))
    g = ox.NamedNode(EX + "graph")
    store.extend(
        ox.Quad(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(f"{EX}p{i % 7}"), ox.Literal(str(i)), g) for i in range(3000)
    )
    store.flush()
    del store
    app = create_app(Settings(store_path=tmp_path / "store", timeout=1.0, workers=1))
    key = {"stage": "running"}
    before = METRICS.value("hilfenetz_sparql_timeouts_total", **key)
    with serve_app(app) as url:
        assert httpx.get(url + "/health").status_code == 200
        assert httpx.get(url + "/ready").status_code == 200
        r = httpx.get(url + "/sparql", params={"query": "SELECT ?s {?s ?p ?o} LIMIT 1"}, headers={"Origin": "https://x.example"})
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "*"
        endless = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
        slow = httpx.get(url + "/sparql", params={"query": endless}, timeout=60)
        assert slow.status_code == 503
        text = httpx.get(url + "/metrics").text
    assert METRICS.value("hilfenetz_sparql_timeouts_total", **key) == before + 1
    assert "hilfenetz_store_triples 3000" in text
    assert 'route="/sparql",status="503"' in text
