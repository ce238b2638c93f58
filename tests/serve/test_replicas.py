"""`run_replicas`: two server processes on one socket over the real built store.

One supervisor (`kg serve --replicas 2`, run as `python -m kg.cli serve`, a real subprocess)
serves the whole module, one query worker per replica to keep it cheap; the last test stops it
with SIGTERM. Which replica answered is read from the `X-Hilfenetz-Replica` header; which
processes exist is read from /proc.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from kg.config import Settings, parse_replicas
from kg.serve.replicas import (
    GROUP_DIR_PREFIX,
    MAX_AUTO_REPLICAS,
    REPLICA_HEADER,
    ReplicaError,
    auto_replicas,
    cgroup_cpu_quota,
    check_replicas,
    remove_stale_group_dirs,
    usable_cpus,
)
from tests.serving import free_port

COUNT_QUERY = ("PREFIX hn: <https://w3id.org/hilfenetz/ontology#> "
               "SELECT (COUNT(?m) AS ?n) WHERE { ?m a hn:Municipality }")


def _children(pid: int) -> dict[int, bytes]:
    """Direct children of `pid` with their command lines (Linux /proc)."""
    out: dict[int, bytes] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmd = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            out[int(entry.name)] = cmd
    return out


def _tree(pid: int) -> set[int]:
    """`pid` and every process below it."""
    seen, todo = {pid}, [pid]
    while todo:
        for child in _children(todo.pop()):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return seen


def _alive(pid: int) -> bool:
    """True if `pid` exists and is not a zombie."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


@dataclass
class Replicas:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def replica_pids(self) -> set[int]:
        """The server processes (spawned children; not multiprocessing's resource tracker)."""
        return {pid for pid, cmd in _children(self.process.pid).items()
                if b"spawn_main" in cmd and _alive(pid)}


def _wait_serving(url: str, proc: subprocess.Popen[bytes], log: Path, limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"replicas exited early:\n{log.read_text()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url + "/ready", timeout=2).status_code == 200 and "2 replicas serving" in log.read_text():
                return
        time.sleep(0.2)
    raise RuntimeError(f"replicas did not come up:\n{log.read_text()}")


def _start(store: Path, log_dir: Path, rate_limit: tuple[str, ...] = ("--rate-limit", "0"),
           workers: int = 1) -> Replicas:
    port = free_port()
    log = log_dir / f"replicas-{port}.log"
    env = {k: v for k, v in os.environ.items() if k not in ("HILFENETZ_WRITE_TOKEN", "HILFENETZ_RATE_LIMIT")}
    cmd = [sys.executable, "-m", "kg.cli", "serve", "--store", str(store), "--port", str(port),
           "--replicas", "2", "--workers", str(workers), *rate_limit, "--no-build", "--no-warm",
           "--log-level", "warning"]
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_serving(url, proc, log)
    except BaseException:
        _kill(proc)
        raise
    return Replicas(url, proc, log)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """Stop a group: SIGTERM to the supervisor (which stops its replicas and removes its group
    directory), SIGKILL to the whole process group if it is still there after 30 s."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # anything left of the group
    proc.wait(timeout=10)


class Service:
    """The module's one running service: started on first use and again if a test stopped it,
    so the tests do not depend on their order."""

    def __init__(self, store: Path, log_dir: Path) -> None:
        self.store, self.log_dir = store, log_dir
        self.started: list[Replicas] = []

    def running(self) -> Replicas:
        if not self.started or self.started[-1].process.poll() is not None:
            self.started.append(_start(self.store, self.log_dir))
        return self.started[-1]


@pytest.fixture(scope="module")
def service(built_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    svc = Service(built_store, tmp_path_factory.mktemp("replicas"))
    yield svc
    for r in svc.started:
        _kill(r.process)


@pytest.fixture
def replicas(service: Service) -> Replicas:
    return service.running()


def _ask(url: str) -> tuple[int, str, int]:
    """One query on a new connection: (status, answering replica, count)."""
    with httpx.Client(timeout=30) as c:
        r = c.get(url + "/sparql", params={"query": COUNT_QUERY},
                  headers={"Accept": "application/sparql-results+json", "Connection": "close"})
    n = int(r.json()["results"]["bindings"][0]["n"]["value"]) if r.status_code == 200 else -1
    return r.status_code, r.headers.get(REPLICA_HEADER, ""), n


def _ask_until_both(url: str, limit: int = 400) -> dict[str, set[int]]:
    """Concurrent queries on fresh connections until both replicas answered (or `limit`)."""
    seen: dict[str, set[int]] = {}
    with ThreadPoolExecutor(8) as pool:
        for _ in range(limit // 8):
            for status, replica, n in pool.map(lambda _i: _ask(url), range(8)):
                assert status == 200
                seen.setdefault(replica, set()).add(n)
            if {"0", "1"} <= seen.keys():
                break
    return seen


def test_both_replicas_answer_the_same(replicas: Replicas, built_store: Path) -> None:
    expected = int(next(iter(ox.Store.read_only(str(built_store)).query(
        COUNT_QUERY, use_default_graph_as_union=True)))["n"].value)
    seen = _ask_until_both(replicas.url)
    assert seen.keys() == {"0", "1"}, f"answered by {sorted(seen)} only"
    assert seen["0"] == seen["1"] == {expected}
    assert len(replicas.replica_pids()) == 2


def _scrape(url: str) -> tuple[str, float, set[str]]:
    """/metrics on a new connection: (answering replica, HTTP requests to /sparql in all, the
    replica labels of the resident-memory gauge)."""
    with httpx.Client(timeout=30) as c:
        r = c.get(url + "/metrics", headers={"Connection": "close"})
    assert r.status_code == 200
    queries = 0.0
    rss_replicas: set[str] = set()
    for line in r.text.splitlines():
        if line.startswith("hilfenetz_http_requests_total{") and 'route="/sparql"' in line:
            queries += float(line.rsplit(" ", 1)[1])
        elif line.startswith("process_resident_memory_bytes{"):
            rss_replicas.add(line.split('replica="', 1)[1].split('"', 1)[0])
    return r.headers.get(REPLICA_HEADER, ""), queries, rss_replicas


def _scrapes_of_both(url: str, limit: int = 200) -> dict[str, tuple[float, set[str]]]:
    """Scrapes on fresh connections until each replica answered one."""
    seen: dict[str, tuple[float, set[str]]] = {}
    for _ in range(limit):
        replica, queries, rss = _scrape(url)
        seen[replica] = (queries, rss)
        if {"0", "1"} <= seen.keys():
            break
    return seen


def _queries_settled(url: str) -> float:
    """The group's query count once every replica's snapshot has caught up (they publish every
    second; the answering replica its own at the scrape)."""
    time.sleep(1.5)
    seen = _scrapes_of_both(url)
    assert seen.keys() == {"0", "1"}
    assert seen["0"][0] == seen["1"][0], seen  # either replica gives the same totals
    return seen["0"][0]


def test_metrics_count_what_every_replica_answered(replicas: Replicas) -> None:
    """One scrape through the shared port covers the group: counters summed over the replicas
    (whichever answers), gauges per replica."""
    before = _queries_settled(replicas.url)
    answered: dict[str, int] = {}
    with ThreadPoolExecutor(4) as pool:
        for status, replica, _n in pool.map(lambda _i: _ask(replicas.url), range(24)):
            assert status == 200
            answered[replica] = answered.get(replica, 0) + 1
    assert answered.keys() == {"0", "1"}, answered  # both took a share of the 24
    assert _queries_settled(replicas.url) == before + 24
    seen = _scrapes_of_both(replicas.url)
    assert all(rss == {"0", "1"} for _, rss in seen.values()), seen


def test_killed_replica_is_replaced(replicas: Replicas) -> None:
    counted = _queries_settled(replicas.url)
    before = replicas.replica_pids()
    assert len(before) == 2
    victim = min(before)
    workers = set(_children(victim))  # its query workers: they must not outlive it
    assert workers
    os.kill(victim, signal.SIGKILL)
    # a connection the kernel hands to the victim's socket before the victim is gone is lost
    # with it (reset: as with any server process that dies); once it is gone (its sockets
    # closed), the other replica takes every new connection and keeps answering while the
    # parent starts a new one. Under load the victim's exit takes a moment, hence the wait.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _alive(victim):
        time.sleep(0.02)
    assert not _alive(victim)
    statuses = [_ask(replicas.url)[0] for _ in range(10)]
    assert statuses == [200] * 10
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        now = replicas.replica_pids()
        if len(now) == 2 and victim not in now and "exited with -9" in replicas.log.read_text():
            break
        time.sleep(0.2)
    now = replicas.replica_pids()
    assert victim not in now and len(now) == 2 and len(now - before) == 1, (before, now)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.2)
    assert [w for w in workers if _alive(w)] == []
    # the replacement serves: both replica indexes answer again
    deadline = time.monotonic() + 90
    seen: dict[str, set[int]] = {}
    while time.monotonic() < deadline and seen.keys() != {"0", "1"}:
        seen = _ask_until_both(replicas.url, limit=80)
    assert seen.keys() == {"0", "1"}
    # the dead replica's counts stay in the group's metrics: its counters never go down
    assert _queries_settled(replicas.url) >= counted + 10 + 8


def test_rate_limit_holds_for_the_group(built_store: Path, tmp_path: Path) -> None:
    """A client's connections land on both replicas; together they get the configured burst
    (and what the rate refills meanwhile), not a burst per replica: the buckets are one table
    (kg.serve.sharedlimits). With a bucket per process this test sees about twice as many."""
    rate, burst = 0.5, 12
    group = _start(built_store, tmp_path, ("--rate-limit", str(rate), "--rate-burst", str(burst)))
    try:
        started = time.monotonic()
        statuses: dict[str, list[int]] = {}
        for _ in range(48):  # a fresh connection each: the kernel spreads them over the replicas
            with httpx.Client(timeout=30) as c:
                r = c.get(group.url + "/sparql", params={"query": "ASK {}"}, headers={"Connection": "close"})
            statuses.setdefault(r.headers.get(REPLICA_HEADER, ""), []).append(r.status_code)
        elapsed = time.monotonic() - started
        granted = sum(code == 200 for codes in statuses.values() for code in codes)
        refused = sum(code == 429 for codes in statuses.values() for code in codes)
        assert statuses.keys() == {"0", "1"}, statuses  # both replicas took connections …
        assert all(429 in codes for codes in statuses.values()), statuses  # … and both refused
        assert burst <= granted <= burst + int(elapsed * rate) + 1, (granted, elapsed, statuses)
        assert granted + refused == 48
    finally:
        _kill(group.process)


def test_pathological_query_is_cut_off_while_both_replicas_serve(built_store: Path, tmp_path: Path) -> None:
    """The deadline holds in the replicated deployment (`kg serve`'s read-only default: here 2
    replicas with the default 2 query workers each): a cross product is stopped with a 503 naming
    the limit, while a second client's queries on fresh connections keep being answered
    correctly by both replicas."""
    expected = int(next(iter(ox.Store.read_only(str(built_store)).query(
        COUNT_QUERY, use_default_graph_as_union=True)))["n"].value)
    group = _start(built_store, tmp_path, workers=2)
    stop = threading.Event()
    answers: list[tuple[int, str, int]] = []

    def bystander() -> None:
        i = 0
        while not stop.is_set():
            with httpx.Client(timeout=30) as c:  # a fresh connection each: both replicas take some
                r = c.get(group.url + "/sparql", params={"query": f"{COUNT_QUERY} # {i}"},  # no cache hit
                          headers={"Accept": "application/sparql-results+json", "Connection": "close"})
            n = int(r.json()["results"]["bindings"][0]["n"]["value"]) if r.status_code == 200 else -1
            answers.append((r.status_code, r.headers.get(REPLICA_HEADER, ""), n))
            i += 1

    thread = threading.Thread(target=bystander)
    try:
        thread.start()
        time.sleep(0.3)
        started = time.monotonic()
        r = httpx.get(group.url + "/sparql", timeout=60, params={
            "query": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }", "timeout": "2"})
        elapsed = time.monotonic() - started
        time.sleep(0.3)
    finally:
        stop.set()
        thread.join()
        _kill(group.process)
    assert r.status_code == 503 and "time limit of 2 s" in r.text and "Zeitlimit" in r.text
    assert elapsed < 2 + 5  # at the deadline (+ slack for a loaded CI machine)
    assert len(answers) >= 5
    assert {status for status, _, _ in answers} == {200}, answers
    assert {n for _, _, n in answers} == {expected}
    assert {replica for _, replica, _ in answers} == {"0", "1"}, answers


def test_group_dirs_of_supervisors_that_are_gone_are_removed(tmp_path: Path) -> None:
    """A supervisor killed with SIGKILL leaves its group directory; the next one removes it,
    and leaves those of live supervisors and everything else alone."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    dead = tmp_path / f"{GROUP_DIR_PREFIX}{gone.pid}-abc123"
    live = tmp_path / f"{GROUP_DIR_PREFIX}{os.getpid()}-def456"  # this test process: alive
    other = tmp_path / f"other-{gone.pid}-abc123"
    odd = tmp_path / f"{GROUP_DIR_PREFIX}notapid"
    for d in (dead, live, other, odd):
        d.mkdir()
        (d / "ratelimit.table").write_bytes(b"\0" * 64)
    assert remove_stale_group_dirs(tmp_path) == [dead]
    assert not dead.exists()
    assert live.exists() and other.exists() and odd.exists()
    assert remove_stale_group_dirs(tmp_path) == []


def _cgroup_tree(root: Path, proc_line: str, files: dict[str, str]) -> tuple[Path, Path]:
    """A /proc/self/cgroup file and a cgroup mount as the kernel lays them out."""
    proc = root / "proc-self-cgroup"
    proc.write_text(proc_line + "\n")
    for rel, text in files.items():
        (root / "fs" / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / "fs" / rel).write_text(text + "\n")
    return proc, root / "fs"


@pytest.mark.parametrize(("proc_line", "files", "quota"), [
    ("0::/kubepods/pod1/c1", {"kubepods/pod1/c1/cpu.max": "150000 100000"}, 1.5),  # v2, own cgroup
    ("0::/", {"cpu.max": "max 100000"}, None),  # v2, no limit
    ("0::/docker/abc", {"cpu.max": "300000 100000"}, 3.0),  # v2, namespaced: only the root is there
    ("4:cpu,cpuacct:/docker/abc", {"cpu,cpuacct/docker/abc/cpu.cfs_quota_us": "200000",
                                   "cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000"}, 2.0),  # v1
    ("1:cpu:/", {"cpu/cpu.cfs_quota_us": "-1", "cpu/cpu.cfs_period_us": "100000"}, None),  # v1, no limit
    ("1:cpu:/", {}, None),  # nothing mounted
])
def test_cgroup_cpu_quota(tmp_path: Path, proc_line: str, files: dict[str, str], quota: float | None) -> None:
    proc, fs = _cgroup_tree(tmp_path, proc_line, files)
    assert cgroup_cpu_quota(proc, fs) == quota


def test_usable_cpus_follow_a_cgroup_quota_below_the_affinity_mask(tmp_path: Path) -> None:
    affinity = len(os.sched_getaffinity(0))
    proc, fs = _cgroup_tree(tmp_path, "0::/", {"cpu.max": "50000 100000"})  # half a CPU
    assert usable_cpus(proc, fs) == 1
    proc, fs = _cgroup_tree(tmp_path, "0::/", {"cpu.max": f"{(affinity + 8) * 100000} 100000"})
    assert usable_cpus(proc, fs) == affinity  # a quota above the mask does not add CPUs
    if affinity >= 2:
        proc, fs = _cgroup_tree(tmp_path, "0::/", {"cpu.max": "110000 100000"})
        assert usable_cpus(proc, fs) == 2  # 1.1 CPUs: rounded up


def test_auto_is_one_replica_per_cpu_up_to_the_cap_and_one_writer(built_store: Path) -> None:
    read_only = Settings(store_path=built_store)
    assert [auto_replicas(read_only, cpus)[0] for cpus in (1, 2, 3, MAX_AUTO_REPLICAS, 64)] == \
        [1, 2, 3, MAX_AUTO_REPLICAS, MAX_AUTO_REPLICAS]
    assert "at most" in auto_replicas(read_only, 64)[1] and "at most" not in auto_replicas(read_only, 2)[1]
    assert auto_replicas(read_only)[0] == min(usable_cpus(), MAX_AUTO_REPLICAS)
    assert usable_cpus() == min(len(os.sched_getaffinity(0)), math.ceil(cgroup_cpu_quota() or 10**6))
    count, why = auto_replicas(Settings(store_path=built_store, write_token="secret"), 16)
    assert count == 1 and "writes" in why
    assert parse_replicas("auto") == parse_replicas(" AUTO ") == "auto"
    assert parse_replicas("3") == 3
    import argparse

    with pytest.raises(argparse.ArgumentTypeError, match="a number or 'auto'"):
        parse_replicas("many")


def test_write_mode_with_two_replicas_is_refused(built_store: Path) -> None:
    settings = Settings(store_path=built_store, write_token="secret")
    with pytest.raises(ReplicaError, match="one writer"):
        check_replicas(settings, 2)
    check_replicas(settings, 1)  # one writer is fine
    with pytest.raises(ReplicaError):
        check_replicas(Settings(store_path=built_store), 0)
    port = free_port()
    env = {**os.environ, "KG_TEST_REPLICA_TOKEN": "secret"}
    done = subprocess.run(
        [sys.executable, "-m", "kg.cli", "serve", "--store", str(built_store), "--port", str(port),
         "--replicas", "2", "--no-build", "--write-token-env", "KG_TEST_REPLICA_TOKEN"],
        check=False, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "one writer" in done.stderr and "ein Schreiber" in done.stderr
    with pytest.raises(httpx.ConnectError):  # nothing was started
        httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)


def test_sigterm_stops_every_process(replicas: Replicas) -> None:
    tree = _tree(replicas.process.pid)
    # parent, resource tracker, 2 replicas, 1 query worker each
    assert len(tree) >= 5, tree
    metrics_dir = Path(replicas.log.read_text().split("shared through ", 1)[1].split(")", 1)[0])
    assert len(list(metrics_dir.glob("*.json"))) >= 2  # a snapshot per replica
    replicas.process.send_signal(signal.SIGTERM)
    assert replicas.process.wait(timeout=60) == 0
    assert not metrics_dir.exists()  # the supervisor removed it
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(_alive(p) for p in tree):
        time.sleep(0.2)
    assert [p for p in tree if _alive(p)] == []
    with pytest.raises(httpx.ConnectError):
        httpx.get(replicas.url + "/health", timeout=2)
