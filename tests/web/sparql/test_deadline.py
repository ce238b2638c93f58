"""The deadline holds: a pathological query is stopped (its worker killed and replaced) while
other clients keep getting correct answers."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.serving import Server, start_server, stop_server

from .conftest import EX

PATHOLOGICAL = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
SLACK = 5.0


def _simple_queries(url: str, stop: threading.Event, results: list[tuple[int, str]]) -> None:
    with httpx.Client(timeout=30) as c:
        i = 0
        while not stop.is_set():
            n = i % 20
            # a fresh query text each time (no cache hit): the answer must come from a worker
            q = f"SELECT ?age WHERE {{ <{EX}person/{n}> <{EX}age> ?age }} # {i}"
            r = c.get(url, params={"query": q})
            value = r.json()["results"]["bindings"][0]["age"]["value"] if r.status_code == 200 else r.text
            results.append((r.status_code, f"{n}:{value}"))
            i += 1
            time.sleep(0.05)


def test_pathological_query_is_cut_off_while_others_are_served(ro_server: Server) -> None:
    pids_before = ro_server.worker_pids()
    assert len(pids_before) == 2
    stop = threading.Event()
    results: list[tuple[int, str]] = []
    bystander = threading.Thread(target=_simple_queries, args=(ro_server.sparql, stop, results))
    bystander.start()
    try:
        t0 = time.monotonic()
        r = httpx.get(ro_server.sparql, params={"query": PATHOLOGICAL, "timeout": "2"}, timeout=60)
        elapsed = time.monotonic() - t0
    finally:
        time.sleep(0.5)
        stop.set()
        bystander.join()
    assert r.status_code == 503
    assert "time limit of 2 s" in r.text and "Zeitlimit" in r.text
    assert elapsed < 2 + SLACK
    # the bystander got correct answers all along (age of person/n is 20 + n)
    assert len(results) >= 5
    assert all(status == 200 for status, _ in results), results
    assert all(v == f"{v.split(':')[0]}:{20 + int(v.split(':')[0])}" for _, v in results)
    # the killed worker was replaced: again two workers, one of them new
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (len(ro_server.worker_pids()) != 2 or ro_server.worker_pids() == pids_before):
        time.sleep(0.1)
    pids_after = ro_server.worker_pids()
    assert len(pids_after) == 2
    assert len(pids_before & pids_after) == 1
    # and the service still answers queries in both workers
    with httpx.Client(timeout=30) as c:
        for i in range(4):
            r = c.get(ro_server.sparql, params={"query": f"ASK {{ <{EX}person/{i}> ?p ?o }} # after {i}"})
            assert r.status_code == 200 and r.json()["boolean"] is True


@pytest.mark.slow
def test_timeout_parameter_cannot_raise_the_configured_limit(ro_server: Server) -> None:
    t0 = time.monotonic()
    r = httpx.get(ro_server.sparql, params={"query": PATHOLOGICAL + " # raise", "timeout": "500"}, timeout=60)
    assert r.status_code == 503
    assert "time limit of 5 s" in r.text  # the server's --timeout 5
    assert time.monotonic() - t0 < 5 + SLACK


def test_memory_hungry_query_fails_alone(small_store: Path, tmp_path: Path) -> None:
    """A worker over its memory limit dies; the client gets a 503 naming the limit, the worker is
    replaced, and the next query is answered."""
    server = start_server(small_store, tmp_path, "--workers", "1",
                          extra_env={"HILFENETZ_WORKER_MEMORY_MB": "300"})
    try:
        q = "SELECT ?a ?d WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f LIMIT 1"
        r = httpx.get(server.sparql, params={"query": q}, timeout=60)
        assert r.status_code == 503
        assert "memory limit of 300 MB" in r.text
        r = httpx.get(server.sparql, params={"query": f"ASK {{ <{EX}person/1> ?p ?o }}"}, timeout=60)
        assert r.status_code == 200 and r.json()["boolean"] is True
    finally:
        stop_server(server.process)


def test_worker_killed_from_outside_is_replaced(small_store: Path, tmp_path: Path) -> None:
    """An idle worker that dies (OOM killer, admin) is replaced; clients do not notice."""
    import os
    import signal

    server = start_server(small_store, tmp_path, "--workers", "2")
    try:
        before = server.worker_pids()
        assert len(before) == 2
        victim = min(before)
        os.kill(victim, signal.SIGKILL)
        for i in range(6):
            # with a FILTER: answered by a worker (a single pattern is answered in the server process)
            query = f"ASK {{ <{EX}person/{i}> ?p ?o FILTER(isIRI(?p)) }} # k{i}"
            r = httpx.get(server.sparql, params={"query": query}, timeout=60)
            assert r.status_code == 200 and r.json()["boolean"] is True
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(server.worker_pids()) != 2:
            time.sleep(0.1)
        after = server.worker_pids()
        assert len(after) == 2 and victim not in after
    finally:
        stop_server(server.process)


SLOW_NAMED = """# title: Cross product (deliberately slow)
# title@de: Kreuzprodukt (absichtlich langsam)
# description: Counts every combination of three triples: runs far past any deadline.
# description@de: Zählt jede Kombination dreier Tripel: läuft weit über jedes Zeitlimit.
SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }
"""

AGE_NAMED = """# title: Age of a person
# title@de: Alter einer Person
# description: The age of the given person.
# description@de: Das Alter der angegebenen Person.
# param: person resource - <http://example.org/person/1>
SELECT ?person ?age WHERE { ?person <http://example.org/age> ?age }
"""


def _named_age_queries(base: str, stop: threading.Event, results: list[tuple[int, str]]) -> None:
    """A bystander asking the typed named query for rotating persons until told to stop."""
    with httpx.Client(timeout=30) as c:
        i = 0
        while not stop.is_set():
            n = i % 20
            r = c.get(f"{base}/api/queries/person-age", params={"person": f"{EX}person/{n}"})
            value = r.json()["rows"][0]["age"] if r.status_code == 200 else r.text
            results.append((r.status_code, f"{n}:{value}"))
            i += 1
            time.sleep(0.05)


def test_slow_named_query_is_cut_off_while_others_are_served(small_store: Path, tmp_path: Path) -> None:
    """/api/queries/{name} runs in the worker pool under the deadline: a slow named query gets
    the /sparql 503 at 1 s, its worker is replaced, and a parallel client's named queries (with
    bound parameters) keep getting the right rows."""
    project = tmp_path / "project"
    (project / "queries").mkdir(parents=True)
    (project / "queries" / "cross-product.rq").write_text(SLOW_NAMED, encoding="utf-8")
    (project / "queries" / "person-age.rq").write_text(AGE_NAMED, encoding="utf-8")
    server = start_server(small_store, tmp_path, "--workers", "2", "--timeout", "1", "--project", str(project))
    stop = threading.Event()
    results: list[tuple[int, str]] = []
    bystander = threading.Thread(target=_named_age_queries, args=(server.url, stop, results))
    try:
        before = server.worker_pids()
        bystander.start()
        t0 = time.monotonic()
        r = httpx.get(server.url + "/api/queries/cross-product", timeout=60)
        elapsed = time.monotonic() - t0
        time.sleep(0.5)
        stop.set()
        bystander.join()
        assert r.status_code == 503, r.text
        assert "time limit of 1 s" in r.text and "Zeitlimit von 1 s" in r.text
        assert elapsed < 1 + SLACK
        assert len(results) >= 5
        assert all(status == 200 for status, _ in results), results
        assert all(v == f"{v.split(':')[0]}:{20 + int(v.split(':')[0])}" for _, v in results), results
        # the runaway worker was killed and replaced
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (len(server.worker_pids()) != 2 or server.worker_pids() == before):
            time.sleep(0.1)
        assert len(server.worker_pids()) == 2 and len(server.worker_pids() & before) == 1
    finally:
        stop.set()
        if bystander.is_alive():
            bystander.join()
        stop_server(server.process)
