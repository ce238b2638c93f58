"""SIGKILL in the middle of a write and of a build, many times: afterwards the store holds exactly
the old or exactly the new state, never a mix, and the server serves it after a restart.

Nothing is simulated: `kg serve` and `kg build` run as subprocesses (own process group) and
are killed with SIGKILL at a random moment while the write/build is running; the store is then
opened directly with pyoxigraph and compared quad by quad. KILL_RUNS iterations in the default
run, KILL_RUNS_SLOW in the slow variant. The seed of every random choice is printed on failure.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from kg.graph import changes
from kg.rdf import GRAPH_BUILD, GRAPH_CHANGES
from tests.serving import start_server, stop_server
from tests.web.sparql.conftest import TOKEN, make_small_store

KILL_RUNS = 4
#: the slow variant (CI); KG_KILL_RUNS overrides it for a longer local run
KILL_RUNS_SLOW = int(os.environ.get("KG_KILL_RUNS", "5"))
EX = "http://example.org/"
TARGET = EX + "g/target"
WRITE_TRIPLES = 20_000
MINI = Path(__file__).resolve().parents[2] / "fixtures" / "mini"


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process and its children (workers); wait for it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=30)


def store_lines(path: Path, graph: str | None = None, skip: str | tuple[str, ...] | None = None) -> list[str]:
    """Sorted N-Quads of the store (one graph, or all but the graph(s) `skip`), read after the processes are gone."""
    store = ox.Store(str(path))  # read-write open: RocksDB replays its write-ahead log like a restart
    if graph is not None:
        data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph))
    else:
        data = store.dump(format=ox.RdfFormat.N_QUADS)
    del store
    lines = sorted(data.decode().splitlines())
    if skip is not None:
        ends = tuple(f"<{g}>" for g in ((skip,) if isinstance(skip, str) else skip))
        lines = [line for line in lines if not line.rstrip(" .").endswith(ends)]
    return lines


def recorded_versions(path: Path) -> list[str]:
    """The versions of the target graph the change history recorded (kg.graph.changes), in order:
    one per committed write, read from each record's added N-Quads (counted as text: parsing
    20,000 quads per record and run would make the loop quadratic)."""
    store = ox.Store(str(path))
    versions = []
    try:
        for info in reversed(changes.history(store, graph=TARGET, limit=10_000)):
            text = next(iter(store.quads_for_pattern(ox.NamedNode(info.iri), ox.NamedNode(changes.P_ADDED_QUADS),
                                                     None, None))).object.value
            first = text.split("\n", 1)[0]
            version = first.rsplit('"', 2)[-2]
            assert info.added == WRITE_TRIPLES and text.count(f'"{version}"') == WRITE_TRIPLES, \
                f"a record that is a mix: {info.id}"
            versions.append(version)
    finally:
        del store
    return versions


_BNODE = re.compile(r"_:[A-Za-z0-9]+")


def shape(lines: list[str]) -> list[str]:
    """The lines with blank-node labels blanked out (two builds of the same sources mint different
    labels; the marker triple and the counts still tell old from new, and a mix from both)."""
    return sorted(_BNODE.sub("_:b", line) for line in lines)


def version_turtle(version: int) -> bytes:
    """The target graph's content in version `version`: WRITE_TRIPLES triples that all name it."""
    return "\n".join(f"<{EX}n/{i}> <{EX}version> \"v{version}\" ." for i in range(WRITE_TRIPLES)).encode()


def version_lines(version: int) -> list[str]:
    if version == 0:
        return []
    return sorted(f"<{EX}n/{i}> <{EX}version> \"v{version}\" ." for i in range(WRITE_TRIPLES))


def _put(url: str, version: int, result: dict[str, object]) -> None:
    try:
        r = httpx.put(url + "/store", params={"graph": TARGET}, content=version_turtle(version), timeout=60,
                      headers={"Content-Type": "text/turtle", "Authorization": f"Bearer {TOKEN}"})
        result["status"] = r.status_code
    except httpx.HTTPError as exc:
        result["error"] = type(exc).__name__


def kill_loop_writes(tmp: Path, runs: int, seed: int) -> dict[str, int]:
    """`runs` times: PUT a new version of the target graph, SIGKILL the server at a random
    moment, check old-or-new exactly, restart. Returns how often each outcome happened."""
    rng = random.Random(seed)
    store = make_small_store(tmp / "store")
    others = store_lines(store)
    outcomes = {"old": 0, "new": 0}
    version = 0
    # one uncut write to learn how long a write takes on this machine
    server = start_server(store, tmp, "--workers", "1", token=TOKEN, extra_env={"HILFENETZ_RATE_LIMIT": "off"})
    res: dict[str, object] = {}
    _put(server.url, 1, res)
    assert res.get("status") == 201, res
    t0 = time.monotonic()  # a replacing write (drop 20 000, insert 20 000) is what the loop kills
    _put(server.url, 2, res)
    duration = time.monotonic() - t0
    assert res.get("status") == 204, res
    version = 2
    kill_group(server.process)
    for run in range(runs):
        assert store_lines(store, TARGET) == version_lines(version), f"seed {seed} run {run}: lost a committed write"
        # the change record is committed with the data: one record per committed version, no more, no less
        assert recorded_versions(store) == [f"v{i}" for i in range(1, version + 1)], \
            f"seed {seed} run {run}: the change history does not match the committed writes"
        server = start_server(store, tmp, "--workers", "1", token=TOKEN, extra_env={"HILFENETZ_RATE_LIMIT": "off"})
        res = {}
        writer = threading.Thread(target=_put, args=(server.url, version + 1, res))
        writer.start()
        time.sleep(rng.uniform(0.0, duration * 1.5))
        kill_group(server.process)
        writer.join(timeout=60)
        got = store_lines(store, TARGET)
        if got == version_lines(version):
            outcomes["old"] += 1
            assert res.get("status") != 201, f"seed {seed} run {run}: 201 answered but the write is lost"
        elif got == version_lines(version + 1):
            outcomes["new"] += 1
            version += 1
        else:
            counts: dict[str, int] = {}
            for line in got:
                counts[line.rsplit(" ", 2)[-2]] = counts.get(line.rsplit(" ", 2)[-2], 0) + 1
            pytest.fail(f"seed {seed} run {run}: the target graph is a mix after SIGKILL: {counts}")
        # the rest of the store is untouched
        assert store_lines(store, skip=(TARGET, GRAPH_CHANGES)) == others, \
            f"seed {seed} run {run}: other graphs changed"
    assert recorded_versions(store) == [f"v{i}" for i in range(1, version + 1)], "history and data disagree"
    leftovers = [p.name for p in tmp.iterdir() if ".snapshots-" in p.name]
    print(f"snapshot directories left behind by killed servers: {len(leftovers)}")
    # and it serves the final state
    server = start_server(store, tmp, "--workers", "1", token=TOKEN, extra_env={"HILFENETZ_RATE_LIMIT": "off"})
    try:
        # the restart removed the snapshot directories of the killed servers (only its own is left)
        left = [p.name for p in tmp.iterdir() if ".snapshots-" in p.name and f"-{server.process.pid}-" not in p.name]
        assert left == [], f"seed {seed}: snapshot directories of dead servers survived a restart: {left}"
        r = httpx.get(server.sparql, timeout=30, headers={"Accept": "application/sparql-results+json"}, params={
            "query": f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{TARGET}> {{ ?s <{EX}version> \"v{version}\" }} }}"})
        assert r.status_code == 200
        assert int(r.json()["results"]["bindings"][0]["n"]["value"]) == WRITE_TRIPLES
    finally:
        stop_server(server.process)
    return outcomes


def _mini_project(dst: Path, marker: str) -> Path:
    """A copy of tests/fixtures/mini with one extra triple naming `marker` (to tell builds apart)."""
    shutil.copytree(MINI, dst)
    seeds = sorted((dst / "data" / "seeds").glob("*.ttl"))
    with open(seeds[0], "a", encoding="utf-8") as fh:
        fh.write(f'\n<https://w3id.org/hilfenetz/id/source/{seeds[0].stem}> '
                 f'<http://www.w3.org/2000/01/rdf-schema#comment> "{marker}" .\n')
    return dst


def _build_cmd(project: Path, store: Path) -> list[str]:
    return [sys.executable, "-m", "kg.cli", "build", "--project", str(project), "--store", str(store), "--no-reference"]


#: what differs between two builds of the same sources: the build metadata, and the history
#: (each build carries the old store's history over and records itself in it)
_BUILD_SKIP = (GRAPH_BUILD, GRAPH_CHANGES)
_BUILD_ENDS = tuple(f"<{g}>" for g in _BUILD_SKIP)


def kill_loop_builds(tmp: Path, runs: int, seed: int) -> dict[str, int]:
    """`runs` times: start `kg build` of a changed project over an existing store, SIGKILL it after
    a random progress line plus a random delay; the store must be the old one or the new one
    (build metadata and the change history aside: every build records itself in the history it
    carries over), and the next `kg build` and `kg serve` must work."""
    rng = random.Random(seed)
    store = tmp / "store"
    old_project = _mini_project(tmp / "old", "old")
    new_project = _mini_project(tmp / "new", "new")
    assert subprocess.run(_build_cmd(old_project, store), capture_output=True, timeout=300, check=False).returncode == 0
    old = store_lines(store)
    ref = tmp / "ref"
    assert subprocess.run(_build_cmd(new_project, ref), capture_output=True, timeout=300, check=False).returncode == 0
    new = shape(store_lines(ref, skip=_BUILD_SKIP))
    assert new != shape(store_lines(store, skip=_BUILD_SKIP))
    outcomes = {"old": 0, "new": 0}
    for run in range(runs):
        stop_after = rng.choice(["parse", "load", "validate", "infer", "swap", None])
        delay = rng.uniform(0.0, 0.05)
        proc = subprocess.Popen(_build_cmd(new_project, store), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                start_new_session=True)
        assert proc.stderr is not None
        if stop_after is None:
            time.sleep(rng.uniform(0.0, 1.0))
        else:
            for raw in proc.stderr:
                if raw.decode(errors="replace").startswith(f"kg: {stop_after}"):
                    break
            time.sleep(delay)
        kill_group(proc)
        proc.stderr.close()
        # what a restart sees: the build's own recovery (kg build runs it first; here directly)
        from kg.store.swap import recover

        recover(store)
        if store_lines(store) == old:
            outcomes["old"] += 1
        elif shape(store_lines(store, skip=_BUILD_SKIP)) == new:
            outcomes["new"] += 1
        else:
            pytest.fail(f"seed {seed} run {run} (killed after {stop_after!r}): store is neither old nor new")
        assert not [p for p in tmp.iterdir() if ".building-" in p.name or p.name.endswith(".old")]
        # put the old state back for the next round (through a normal build of the old project)
        built = subprocess.run(_build_cmd(old_project, store), capture_output=True, timeout=300, check=False)
        assert built.returncode == 0
        assert shape(store_lines(store, skip=_BUILD_SKIP)) == shape(
            [x for x in old if not x.rstrip(" .").endswith(_BUILD_ENDS)])
        old = store_lines(store)
    server = start_server(store, tmp, "--workers", "1", extra_env={"HILFENETZ_RATE_LIMIT": "off"})
    try:
        r = httpx.get(server.sparql, params={"query": "ASK { ?s ?p ?o }"}, timeout=30,
                      headers={"Accept": "application/sparql-results+json"})
        assert r.status_code == 200 and r.json()["boolean"] is True
    finally:
        stop_server(server.process)
    return outcomes


def _seed() -> int:
    return int(os.environ.get("KG_FAULT_SEED", random.randrange(1 << 30)))


def test_kill_during_write(tmp_path: Path) -> None:
    seed = _seed()
    outcomes = kill_loop_writes(tmp_path, KILL_RUNS, seed)
    print(f"kill-during-write: {KILL_RUNS} runs survived, outcomes {outcomes}, seed {seed}")
    assert sum(outcomes.values()) == KILL_RUNS


def test_kill_during_build(tmp_path: Path) -> None:
    seed = _seed()
    outcomes = kill_loop_builds(tmp_path, KILL_RUNS, seed)
    print(f"kill-during-build: {KILL_RUNS} runs survived, outcomes {outcomes}, seed {seed}")
    assert sum(outcomes.values()) == KILL_RUNS


@pytest.mark.slow
def test_kill_during_write_many(tmp_path: Path) -> None:
    seed = _seed()
    outcomes = kill_loop_writes(tmp_path, KILL_RUNS_SLOW, seed)
    print(f"kill-during-write: {KILL_RUNS_SLOW} runs survived, outcomes {outcomes}, seed {seed}")
    assert sum(outcomes.values()) == KILL_RUNS_SLOW


@pytest.mark.slow
def test_kill_during_build_many(tmp_path: Path) -> None:
    seed = _seed()
    outcomes = kill_loop_builds(tmp_path, KILL_RUNS_SLOW, seed)
    print(f"kill-during-build: {KILL_RUNS_SLOW} runs survived, outcomes {outcomes}, seed {seed}")
    assert sum(outcomes.values()) == KILL_RUNS_SLOW
