"""Query workers of a writable server answer from their own copies of the store, kept current by
replaying the committed writes (kg.query.replicas): every query sent after a write's answer sees
that write, whatever the write was, whichever worker answers, after a worker was killed, and when
a write cannot be replayed (blank nodes, over the journal's bound) and the workers copy anew.

Real `kg serve` subprocesses with two workers over a real store (tests/serving.py); the queries
use `GRAPH ?g`, which the server never answers itself (kg.query.execute.execute_inline takes only
a single pattern of the default graph), so a worker answers each. The copies are directories
`copy-N` (N counts the copies made) in the server's snapshot directory: the tests read them to
tell replaying (no new copy) from copying anew.
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.graph.faults.test_full_disk import fill, small_disk  # noqa: F401 - small_disk is a fixture
from tests.serving import Server, start_server, stop_server

from .conftest import EX, TOKEN, make_small_store

S = EX + "person/3"
P = EX + "note"
G = EX + "g/notes"
ENV = {"HILFENETZ_RATE_LIMIT": "off"}


def notes(server: Server, subject: str = S) -> list[tuple[str, str]]:
    """(graph, value) of every `P` of `subject`, in any graph: a worker query."""
    q = f"SELECT ?g ?o WHERE {{ GRAPH ?g {{ <{subject}> <{P}> ?o }} }} ORDER BY ?g ?o"
    r = httpx.get(server.sparql, params={"query": q}, headers={"Accept": "application/sparql-results+json"},
                  timeout=30)
    assert r.status_code == 200, r.text
    return [(b["g"]["value"], b["o"]["value"]) for b in r.json()["results"]["bindings"]]


def update(server: Server, text: str) -> None:
    r = httpx.post(server.sparql, data={"update": text}, headers=server.auth(), timeout=60)
    assert r.status_code == 200, r.text


def copies(server: Server) -> list[int]:
    """The numbers of the workers' copies of the store that exist now (see the module docstring)."""
    roots = [p for p in server.store.parent.iterdir() if p.name.startswith(f".{server.store.name}.snapshots-")
             and f"-{server.process.pid}-" in p.name]
    assert len(roots) == 1, roots
    return sorted(int(m.group(1)) for p in roots[0].iterdir() if (m := re.fullmatch(r"copy-(\d+)", p.name)))


def wait_for(check: Callable[[], bool], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {seconds} s: {what}")
        time.sleep(0.1)


def cpu_ns(pid: int) -> int:
    """CPU time of a process so far in nanoseconds (all its threads: the queries run in one of its own)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return total


#: each note × the 3,000-triple bulk graph, grouped (~20 ms): long enough that concurrent
#: requests overlap and reach both workers; a different LIMIT each time, so the answer cache
#: cannot answer
SLOW = (f"SELECT ?g ?o (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ <{S}> <{P}> ?o }} "
        f"GRAPH <{EX}g/bulk> {{ ?a ?b ?c }} }} GROUP BY ?g ?o ORDER BY ?g ?o LIMIT ")


def on_both_workers(server: Server, times: int = 8, bursts: int = 5) -> list[list[tuple[str, str, str]]]:
    """Send SLOW `times` times at once, in up to `bursts` bursts until both workers answered some
    (their CPU time grew: on a loaded machine one burst may not overlap); return the answers."""
    pids = sorted(server.worker_pids())
    assert len(pids) == 2, pids
    before = [cpu_ns(p) for p in pids]

    def ask(k: int) -> list[tuple[str, str, str]]:
        r = httpx.get(server.sparql, params={"query": SLOW + str(1000 + k)}, timeout=60,
                      headers={"Accept": "application/sparql-results+json"})
        assert r.status_code == 200, r.text
        return [(b["g"]["value"], b["o"]["value"], b["n"]["value"]) for b in r.json()["results"]["bindings"]]

    answers: list[list[tuple[str, str, str]]] = []
    used: list[int] = []
    for burst in range(bursts):
        with ThreadPoolExecutor(times) as ex:
            answers += ex.map(ask, range(burst * times, (burst + 1) * times))
        used = [cpu_ns(p) - b for p, b in zip(pids, before, strict=True)]
        if all(u > 2_000_000 for u in used):
            return answers
    pytest.fail(f"not both workers answered in {bursts} bursts (CPU ns {used})")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = start_server(make_small_store(tmp_path / "store"), tmp_path, "--workers", "2", token=TOKEN, extra_env=ENV)
    yield srv
    stop_server(srv.process)


def test_every_kind_of_write_is_seen_by_the_next_worker_query(server: Server) -> None:
    """40 writes of every kind the fast path commits (INSERT DATA, DELETE DATA, DELETE/INSERT
    WHERE, Graph Store PUT, POST and DELETE), each followed by a worker query that must see
    exactly the state a model of the writes says; and no copy of the store is made for them."""
    model: set[tuple[str, str]] = set()
    made = copies(server)
    assert len(made) == 2  # one per worker, made when they started
    for i in range(40):
        kind = i % 6
        if kind == 0:
            update(server, f'INSERT DATA {{ GRAPH <{G}> {{ <{S}> <{P}> "n{i}" . <{S}> <{P}> "m{i}" }} }}')
            model |= {(G, f"n{i}"), (G, f"m{i}")}
        elif kind == 1:  # remove a note: a removed triple must be gone from the next answer
            gone = min(v for g, v in model if g == G)
            update(server, f'DELETE DATA {{ GRAPH <{G}> {{ <{S}> <{P}> "{gone}" }} }}')
            model.discard((G, gone))
        elif kind == 2:  # rename every note in G
            update(server, f'WITH <{G}> DELETE {{ <{S}> <{P}> ?o }} INSERT {{ <{S}> <{P}> ?n }} '
                           f'WHERE {{ <{S}> <{P}> ?o BIND(CONCAT(?o, "w") AS ?n) }}')
            model = {(g, v + "w") if g == G else (g, v) for g, v in model}
        elif kind == 3:  # replace a whole graph
            r = httpx.put(server.gsp, params={"graph": G + "/put"}, content=f'<{S}> <{P}> "p{i}" .'.encode(),
                          headers={**server.auth(), "Content-Type": "text/turtle"}, timeout=60)
            assert r.status_code in (201, 204), r.text
            model = {(g, v) for g, v in model if g != G + "/put"} | {(G + "/put", f"p{i}")}
        elif kind == 4:  # merge into a graph
            r = httpx.post(server.gsp, params={"graph": G + "/post"}, content=f'<{S}> <{P}> "q{i}" .'.encode(),
                           headers={**server.auth(), "Content-Type": "text/turtle"}, timeout=60)
            assert r.status_code in (201, 204), r.text
            model.add((G + "/post", f"q{i}"))
        else:  # drop a graph
            r = httpx.delete(server.gsp, params={"graph": G + "/post"}, headers=server.auth(), timeout=60)
            assert r.status_code == 204, r.text
            model = {(g, v) for g, v in model if g != G + "/post"}
        assert notes(server) == sorted(model), f"write {i} (kind {kind}) not seen by the next query"
    assert copies(server) == made, "the workers copied the store instead of replaying the writes"


def test_both_workers_answer_the_same_from_different_positions(server: Server) -> None:
    """Queries one after another go to the same worker (last in, first out), so the other one
    falls behind; concurrent queries then reach both, and both answer the current state."""
    for i in range(10):
        update(server, f'INSERT DATA {{ GRAPH <{G}> {{ <{S}> <{P}> "c{i}" }} }}')
        assert len(notes(server)) == i + 1
    want = sorted((G, f"c{i}", "3000") for i in range(10))
    made = copies(server)
    answers = on_both_workers(server)
    assert all(a == want for a in answers), answers
    assert copies(server) == made, "the worker behind copied the store instead of replaying the journal"


def test_a_write_with_blank_nodes_makes_the_workers_copy_anew(server: Server) -> None:
    """`INSERT DATA` gives blank nodes fresh identities wherever it runs, so such a write is not
    replayed: the next worker query gets a fresh copy, sees it, and writes after it replay again."""
    update(server, f'INSERT DATA {{ GRAPH <{G}> {{ <{S}> <{P}> "before" }} }}')
    assert notes(server) == [(G, "before")]
    made = copies(server)
    update(server, f'INSERT DATA {{ GRAPH <{G}> {{ _:b <{P}> "blank" . _:b <{EX}of> <{S}> }} }}')
    q = f"SELECT ?o WHERE {{ GRAPH ?g {{ ?b <{EX}of> <{S}> ; <{P}> ?o }} FILTER(isBlank(?b)) }}"
    r = httpx.get(server.sparql, params={"query": q}, headers={"Accept": "application/sparql-results+json"})
    assert [b["o"]["value"] for b in r.json()["results"]["bindings"]] == ["blank"]
    after = copies(server)
    assert max(after) > max(made), "no fresh copy after a write that cannot be replayed"
    update(server, f'DELETE DATA {{ GRAPH <{G}> {{ <{S}> <{P}> "before" }} }}')
    assert notes(server) == []
    update(server, f'INSERT DATA {{ GRAPH <{G}> {{ <{S}> <{P}> "after" }} }}')
    assert notes(server) == [(G, "after")]
    assert max(copies(server)) == max(after), "writes after the blank-node one were not replayed"
    # the copy the worker left behind is deleted once it answered from the new one
    assert len(copies(server)) == 2


def test_a_killed_worker_is_replaced_by_one_that_answers_the_current_state(server: Server) -> None:
    for i in range(3):
        update(server, f'INSERT DATA {{ GRAPH <{G}> {{ <{S}> <{P}> "k{i}" }} }}')
        assert len(notes(server)) == i + 1
    before = server.worker_pids()
    assert len(before) == 2
    for pid in before:  # both: whichever takes the next job is a replacement
        os.kill(pid, signal.SIGKILL)
    wait_for(lambda: len(server.worker_pids() - before) == 2, "two replacement workers")
    update(server, f'DELETE DATA {{ GRAPH <{G}> {{ <{S}> <{P}> "k0" }} }}')
    update(server, f'INSERT DATA {{ GRAPH <{G}> {{ <{S}> <{P}> "k3" }} }}')
    assert notes(server) == [(G, "k1"), (G, "k2"), (G, "k3")]
    # the dead workers' copies are gone, the replacements have one each
    wait_for(lambda: len(copies(server)) == 2, "the dead workers' copies deleted")
    assert min(copies(server)) > 2


def test_a_write_over_the_journal_bound_is_not_replayed(tmp_path: Path) -> None:
    """With a journal of 6 KiB: one-entity writes replay, a 300-triple PUT (about 40 KB of
    update text) does not fit and the workers copy anew; a worker left behind by more than the
    journal holds copies anew too. Every answer is the current state."""
    srv = start_server(make_small_store(tmp_path / "store"), tmp_path, "--workers", "2",
                       "--worker-replay-bytes", str(6 * 1024), token=TOKEN, extra_env=ENV)
    try:
        update(srv, f'INSERT DATA {{ GRAPH <{G}> {{ <{S}> <{P}> "small" }} }}')
        assert notes(srv) == [(G, "small")]
        made = copies(srv)
        assert len(made) == 2
        body = "\n".join(f'<{EX}big/{i}> <{P}> "big {i}" .' for i in range(300)).encode()
        r = httpx.put(srv.gsp, params={"graph": G + "/big"}, content=body,
                      headers={**srv.auth(), "Content-Type": "text/turtle"}, timeout=60)
        assert r.status_code == 201, r.text
        q = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s <{P}> ?o }} }}"
        r = httpx.get(srv.sparql, params={"query": q}, headers={"Accept": "application/sparql-results+json"})
        assert r.json()["results"]["bindings"][0]["n"]["value"] == "301"
        assert max(copies(srv)) > max(made)
        on_both_workers(srv)  # both current now
        wait_for(lambda: len(copies(srv)) == 2, "the copies the workers left deleted")
        made = copies(srv)
        # many small writes, each queried: one worker keeps up, the other falls behind the bound
        for i in range(12):
            update(srv, f'INSERT DATA {{ GRAPH <{G}> {{ <{S}> <{P}> "s{i}" }} }}')
            assert len(notes(srv)) == i + 2
        assert copies(srv) == made
        want = sorted([(G, "small", "3000")] + [(G, f"s{i}", "3000") for i in range(12)])
        answers = on_both_workers(srv)
        assert all(a == want for a in answers), answers
        assert max(copies(srv)) > max(made), "the worker behind the journal's bound did not copy anew"
    finally:
        stop_server(srv.process)


def test_a_worker_that_cannot_replay_on_a_full_disk_answers_an_error_not_an_old_state(
        small_disk: Path, tmp_path: Path) -> None:  # noqa: F811 - the imported fixture
    """A write committed, then the disk fills before a worker query: the worker cannot replay the
    write on its copy (RocksDB appends to its log first) nor get a fresh copy. It must not answer
    without the write (that answer would even be cached under the new version): an error while
    the disk is full, and the current state once space is freed."""
    srv = start_server(make_small_store(small_disk / "store"), tmp_path, "--workers", "1", token=TOKEN,
                       extra_env=ENV)
    try:
        update(srv, f'INSERT DATA {{ GRAPH <{G}> {{ <{S}> <{P}> "one" }} }}')
        assert notes(srv) == [(G, "one")]
        update(srv, f'INSERT DATA {{ GRAPH <{G}> {{ <{S}> <{P}> "two" }} }}')
        filler = fill(small_disk)
        q = f"SELECT ?g ?o WHERE {{ GRAPH ?g {{ <{S}> <{P}> ?o }} }} ORDER BY ?g ?o"
        for _ in range(3):
            r = httpx.get(srv.sparql, params={"query": q}, headers={"Accept": "text/tab-separated-values"})
            assert r.status_code in (200, 503), r.text
            if r.status_code == 200:  # a fresh copy after all (space freed by deleting the old one)
                assert '"two"' in r.text, r.text
            else:
                assert "could not be read" in r.text or "konnte nicht gelesen" in r.text, r.text
        filler.unlink()
        assert notes(srv) == [(G, "one"), (G, "two")]
        update(srv, f'INSERT DATA {{ GRAPH <{G}> {{ <{S}> <{P}> "three" }} }}')
        assert notes(srv) == [(G, "one"), (G, "three"), (G, "two")]
    finally:
        stop_server(srv.process)
