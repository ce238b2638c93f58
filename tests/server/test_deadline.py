"""The deadline holds: a pathological query is stopped (its worker killed and replaced) while
other clients keep getting correct answers."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from .conftest import EX, Server, start_server, stop_server

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
            r = httpx.get(server.sparql, params={"query": f"ASK {{ <{EX}person/{i}> ?p ?o }} # k{i}"}, timeout=60)
            assert r.status_code == 200 and r.json()["boolean"] is True
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(server.worker_pids()) != 2:
            time.sleep(0.1)
        after = server.worker_pids()
        assert len(after) == 2 and victim not in after
    finally:
        stop_server(server.process)
