"""SPARQL endpoint benchmark: hilfenetz (`kg serve`) vs `oxigraph serve-read-only` vs rdflib-endpoint.

Not part of the test suite; run by hand (about 30 minutes; the real graph alone about 15):

    pip install -e '.[bench]'; apt-get install -y wrk
    python bench/bench_sparql.py                 # real graph + 1M-triple synthetic graph
    python bench/bench_sparql.py --no-synthetic  # real graph only
    python bench/bench_sparql.py --quick         # 1 run of 1 s per cell, real graph only

What it does, per dataset (the real built graph; a seeded SYNTHETIC graph from bench/synthetic.py):
1. exports the data as N-Quads and loads exactly that file into every peer
   (hilfenetz: a pyoxigraph store; oxigraph: `oxigraph load`; rdflib-endpoint: parses the file);
   the exports and stores in bench/data are reused while they are newer than their source;
2. starts every peer on 127.0.0.1 (union default graph everywhere, like hilfenetz);
3. checks the peers agree on the row count of every scenario's first request;
4. measures each scenario at concurrency 1 and 8 for a fixed duration, peers interleaved,
   several runs; reports medians of throughput, p50 and p99 latency and server CPU per request.

Load generator: `wrk` (C, epoll, one thread) with a Lua script that rotates over a file of
request paths (the scenario's queries as GET `?query=`), counts non-200 answers and prints one
RESULT line; without wrk (or with `--client python`) the Python client `measure()` (httpx,
asyncio) is used, which tops out near 1,000 requests/s on this machine and so hides the
throughput of the fast peers.

Scenarios: `lookup` (all triples of one municipality; parameter rotates over thousands of
IRIs), `two_hop` (municipalities of the Kreise of a region, with names and population;
parameter rotates), `group_by` (municipality count and population per Kreis; one fixed
query), `portal` (90 % a handful of identical popular requests, 10 % varied lookups).

`hilfenetz` is `kg serve` as it starts by default: read-only, one server process per usable
CPU (`--replicas auto`, at most 4), answer cache on. hilfenetz answers repeated identical
queries from its answer cache; to show the engine without it, the peer `hilfenetz-nocache` is
the same server with the cache disabled (`kg serve --cache-entries 0`), and `hilfenetz-1` is
that with a single server process (`--replicas 1 --cache-entries 0`). The optional peer
`hilfenetz-glibc` is `hilfenetz-1` with glibc's malloc instead of mimalloc
(HILFENETZ_ALLOCATOR=system); `hilfenetz-2` (optional) is `--replicas 2 --cache-entries 0`
whatever the CPU count. Only 127.0.0.1 is contacted. Results: bench/results/sparql.md and .json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import filecmp
import json
import math
import os
import platform
import random
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pyoxigraph as ox

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
DATA_DIR = BENCH_DIR / "data"
RESULTS = BENCH_DIR / "results" / "sparql.md"
sys.path.insert(0, str(BENCH_DIR))

import synthetic

from kg.serve.replicas import MAX_AUTO_REPLICAS, usable_cpus

HN = "https://w3id.org/hilfenetz/ontology#"
PREFIX = f"PREFIX hn: <{HN}>\n"
ACCEPT = "application/sparql-results+json"
REQUEST_TIMEOUT = 30.0
#: A cell whose median latency exceeds this is measured in one run only (keeps the total bounded).
SLOW_CELL_S = 2.0
#: Longest cell of a slow peer (see `cell_duration`).
SLOW_CELL_CAP_S = 60.0
#: Request paths per scenario file (wrk rotates over them; the lookup pool of the real graph is ~11k).
PATHS_CAP = 20_000
DEFAULT_PEERS = "hilfenetz,hilfenetz-nocache,hilfenetz-1,oxigraph,rdflib"
KNOWN_PEERS = ("hilfenetz", "hilfenetz-nocache", "hilfenetz-1", "hilfenetz-glibc", "hilfenetz-2", "oxigraph",
               "oxigraph-timeout", "rdflib")

Q_LOOKUP = "SELECT ?p ?o WHERE {{ <{x}> ?p ?o }}"
Q_TWO_HOP = PREFIX + (
    "SELECT ?m ?name ?pop WHERE {{ ?m hn:partOf ?k . ?k hn:partOf <{x}> . "
    "?m hn:officialName ?name . OPTIONAL {{ ?m hn:population ?pop }} }}"
)
Q_GROUP_BY = PREFIX + (
    "SELECT ?k (COUNT(?m) AS ?n) (SUM(?pop) AS ?total) "
    "WHERE { ?m a hn:Municipality ; hn:partOf ?k ; hn:population ?pop } "
    "GROUP BY ?k ORDER BY DESC(?total) LIMIT 20"
)
POOL_LOOKUP = PREFIX + "SELECT DISTINCT ?x WHERE { ?x a hn:Municipality ; hn:officialName ?n } ORDER BY ?x"
POOL_TWO_HOP = PREFIX + (
    "SELECT DISTINCT ?x WHERE { ?m a hn:Municipality ; hn:partOf ?k . ?k a hn:District ; hn:partOf ?x } ORDER BY ?x"
)


# --------------------------------------------------------------------------- data


@dataclass
class Dataset:
    """One graph, as a pyoxigraph store (hilfenetz), an oxigraph CLI store and an N-Quads file."""

    name: str
    label: str
    store: Path
    nquads: Path
    oxigraph_store: Path
    quads: int = 0
    pools: dict[str, list[str]] = field(default_factory=dict)


def log(msg: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {msg}", flush=True)


def export_nquads(store_path: Path, out: Path) -> int:
    """Dump every graph of the store as N-Quads (the exchange file all peers load)."""
    store = ox.Store.read_only(str(store_path))
    tmp = out.with_suffix(".nq.part")
    store.dump(output=str(tmp), format=ox.RdfFormat.N_QUADS)
    n = len(store)
    del store
    tmp.replace(out)
    return n


def export_if_changed(store_path: Path, out: Path) -> int:
    """export_nquads, but an unchanged export leaves `out` (and its mtime) as it was, so the
    stores loaded from it stay current (`_fresh`). Byte equality: only an export of the same
    store is equal (blank node labels differ between stores with the same triples)."""
    new = out.with_name(out.name + ".new")
    n = export_nquads(store_path, new)
    if out.exists() and filecmp.cmp(new, out, shallow=False):
        new.unlink()
        log(f"  {out.name} unchanged")
    else:
        new.replace(out)
    return n


def _replace_dir(tmp: Path, target: Path) -> None:
    """Move a finished store into place (a store that exists is therefore complete)."""
    if target.exists():
        shutil.rmtree(target)
    tmp.rename(target)


def load_pyoxigraph(nquads: Path, store_path: Path) -> None:
    tmp = store_path.with_name(store_path.name + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    store = ox.Store(str(tmp))
    store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
    store.optimize()
    store.flush()
    del store
    _replace_dir(tmp, store_path)


def load_oxigraph_cli(nquads: Path, store_path: Path) -> None:
    tmp = store_path.with_name(store_path.name + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    subprocess.run(["oxigraph", "load", "--location", str(tmp), "--file", str(nquads)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _replace_dir(tmp, store_path)


def optimize_oxigraph_cli(store_path: Path) -> None:
    """What the oxigraph CLI recommends before a read-heavy workload (the pyoxigraph stores get the same)."""
    subprocess.run(["oxigraph", "optimize", "--location", str(store_path)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _fresh(product: Path, source: Path) -> bool:
    """`product` (a store directory or file made from `source`) exists, is complete and is newer.

    Stores are moved into place only when finished (`_replace_dir`), so their directory's
    mtime is the end of the load; a rebuilt source store (`kg build` swaps a new directory in)
    is newer than the export made from it."""
    if not product.exists() or not source.exists():
        return False
    if product.is_dir() and not (product / "CURRENT").is_file():
        return False
    return product.stat().st_mtime >= source.stat().st_mtime


def _count_quads(store_path: Path) -> int:
    store = ox.Store.read_only(str(store_path))
    n = len(store)
    del store
    return n


def prepare_real(store: Path | None, serve_built: bool = False, fresh: bool = False) -> Dataset:
    """The real built graph, exported as N-Quads and loaded into every peer the same way.

    Why hilfenetz does not serve the given store directly: `kg build` writes with the bulk
    loader and does not compact, while the oxigraph peer's store is loaded and then optimized;
    the same query then reads different file layouts (measured: GROUP BY 20-30 % more CPU on the
    uncompacted store). So both stores are made by the same procedure (bulk load + optimize)
    from the same N-Quads. `serve_built=True` serves the given store as built instead.

    The export and both stores in bench/data are reused while they are newer than what they
    were made from (`fresh=True` remakes them); a store being served by another benchmark is
    then left alone. `--real-store bench/data/real-pyoxigraph` (the prepared store itself)
    reuses bench/data/real.nq as it is."""
    if store is None:
        store = DATA_DIR / "real-store"
        if not store.exists():
            from kg.graph.build import build

            log("building the real graph (kg build) …")
            build(ROOT, store)
    prepared = DATA_DIR / "real-pyoxigraph"
    ds = Dataset("real", "real built graph", store, DATA_DIR / "real.nq", DATA_DIR / "real-oxigraph")
    is_prepared = prepared.exists() and store.resolve() == prepared.resolve()
    source_note = ds.nquads.with_name(ds.nquads.name + ".source")  # which store real.nq was exported from
    # an export made before the note existed counts as made from this store (as before: by mtime only)
    same_source = not source_note.exists() or source_note.read_text(encoding="utf-8").strip() == str(store.resolve())
    if not fresh and ds.nquads.exists() and (is_prepared or (same_source and _fresh(ds.nquads, store))):
        log(f"reusing {ds.nquads} " + ("(the export the prepared store was loaded from)" if is_prepared
                                       else f"(newer than {store})"))
        ds.quads = _count_quads(store)
    else:
        log(f"exporting {store} as N-Quads …")
        ds.quads = export_if_changed(store, ds.nquads)
        if not is_prepared:
            source_note.write_text(str(store.resolve()) + "\n", encoding="utf-8")
    if not serve_built:
        ds.store = prepared
        if is_prepared or (not fresh and _fresh(prepared, ds.nquads)):
            log(f"reusing {prepared}")
        else:
            log(f"loading {ds.nquads} into {prepared} (bulk load + optimize) …")
            load_pyoxigraph(ds.nquads, ds.store)
        ds.label += " (every peer: bulk load + optimize of the same N-Quads)"
    else:
        ds.label += " (hilfenetz: the store as built, not compacted)"
    if not fresh and _fresh(ds.oxigraph_store, ds.nquads):
        log(f"reusing {ds.oxigraph_store}")
    else:
        log(f"loading {ds.nquads} into {ds.oxigraph_store} (oxigraph load + optimize) …")
        load_oxigraph_cli(ds.nquads, ds.oxigraph_store)
        optimize_oxigraph_cli(ds.oxigraph_store)
    return ds


def prepare_synthetic(triples: int, seed: int, fresh: bool = False) -> Dataset:
    nq = synthetic.default_path(triples, seed)
    if not nq.exists():
        log(f"generating {triples} SYNTHETIC triples (seed {seed}) …")
        synthetic.write_nquads(nq, triples, seed)
    ds = Dataset("synthetic", f"SYNTHETIC graph ({triples:,} triples, seed {seed})",
                 DATA_DIR / f"synthetic-{triples}-seed{seed}-store", nq,
                 DATA_DIR / f"synthetic-{triples}-seed{seed}-oxigraph")
    if fresh or not _fresh(ds.store, nq):
        log("loading the synthetic N-Quads into pyoxigraph …")
        load_pyoxigraph(nq, ds.store)
    if fresh or not _fresh(ds.oxigraph_store, nq):
        log("loading the synthetic N-Quads into the oxigraph CLI store …")
        load_oxigraph_cli(nq, ds.oxigraph_store)
        optimize_oxigraph_cli(ds.oxigraph_store)
    ds.quads = _count_quads(ds.store)
    return ds


def discover_pools(ds: Dataset) -> None:
    """Parameter values of the rotating scenarios, read from the data (same for every peer)."""
    store = ox.Store.read_only(str(ds.store))
    for key, query in (("lookup", POOL_LOOKUP), ("two_hop", POOL_TWO_HOP)):
        rows = store.query(query, use_default_graph_as_union=True)
        ds.pools[key] = [r["x"].value for r in rows]
        if not ds.pools[key]:
            raise SystemExit(f"{ds.name}: no parameter values for {key}")
    del store


# --------------------------------------------------------------------------- peers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Peer:
    name: str
    url: str  # query endpoint
    proc: subprocess.Popen[bytes]
    log_path: Path
    ready_line: str | None = None  # a log line that must appear before the peer counts as ready

    @property
    def base(self) -> str:
        """scheme://host:port (what wrk is given; the request paths carry the endpoint path)."""
        parts = urllib.parse.urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def path(self) -> str:
        return urllib.parse.urlsplit(self.url).path or "/"

    def stop(self) -> None:
        """SIGTERM the peer's main process (it stops its workers or replicas), then SIGKILL
        whatever is left of its process group (its own session, so nothing else)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                pass
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(10)


def _spawn(name: str, cmd: list[str], url: str, ds: Dataset, ready_line: str | None = None,
           extra_env: dict[str, str] | None = None) -> Peer:
    log_path = DATA_DIR / f"peer-{ds.name}-{name}.log"
    env = {k: v for k, v in os.environ.items() if k != "HILFENETZ_WRITE_TOKEN"}  # read-only peers
    env.update(extra_env or {})
    with log_path.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=env, start_new_session=True)
    return Peer(name, url, proc, log_path, ready_line)


def start_peers(ds: Dataset, names: list[str]) -> list[Peer]:
    peers = []
    for name in names:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        # every hilfenetz peer is `kg serve` itself; every load-generator client is 127.0.0.1,
        # so the per-client rate limit is off
        serve = ["kg", "serve", "--store", str(ds.store), "--project", str(ROOT), "--host", "127.0.0.1",
                 "--port", str(port), "--no-build", "--timeout", str(REQUEST_TIMEOUT), "--log-level", "warning",
                 "--rate-limit", "0"]
        # `kg serve` starts one replica per usable CPU by default: ready once all of them serve
        auto = min(usable_cpus(), MAX_AUTO_REPLICAS)
        auto_ready = f"{auto} replicas serving" if auto > 1 else None
        if name == "hilfenetz":
            peers.append(_spawn(name, serve, base + "/sparql", ds, ready_line=auto_ready))
        elif name == "hilfenetz-nocache":
            peers.append(_spawn(name, [*serve, "--cache-entries", "0"], base + "/sparql", ds, ready_line=auto_ready))
        elif name == "hilfenetz-1":
            # one server process (the default before `--replicas auto`), answer cache off
            peers.append(_spawn(name, [*serve, "--cache-entries", "0", "--replicas", "1"], base + "/sparql", ds))
        elif name == "hilfenetz-glibc":
            # one process, the answer cache off and glibc's malloc instead of mimalloc
            # (kg/allocator.py): what the allocator contributes, against hilfenetz-1
            peers.append(_spawn(name, [*serve, "--cache-entries", "0", "--replicas", "1"], base + "/sparql", ds,
                                extra_env={"HILFENETZ_ALLOCATOR": "system"}))
        elif name == "hilfenetz-2":
            # the read-only deployment with 2 server processes, each with its default 2 query
            # workers, answer cache off
            peers.append(_spawn(name, [*serve, "--cache-entries", "0", "--replicas", "2"], base + "/sparql", ds,
                                ready_line="2 replicas serving"))
        elif name in ("oxigraph", "oxigraph-timeout"):
            # no --timeout-s by default: with it, oxigraph 0.5 answers HTTP 500 and drops
            # connections under concurrency 8 (see bench/README.md); `oxigraph-timeout` shows that
            cmd = ["oxigraph", "serve-read-only", "--location", str(ds.oxigraph_store), "--bind", f"127.0.0.1:{port}",
                   "--union-default-graph"]
            if name == "oxigraph-timeout":
                cmd += ["--timeout-s", str(int(REQUEST_TIMEOUT))]
            peers.append(_spawn(name, cmd, base + "/query", ds))
        elif name == "rdflib":
            cmd = ["rdflib-endpoint", "serve", "--host", "127.0.0.1", "--port", str(port), str(ds.nquads)]
            peers.append(_spawn(name, cmd, base + "/", ds))  # rdflib-endpoint serves SPARQL at /
        else:
            raise SystemExit(f"unknown peer {name} (known: {', '.join(KNOWN_PEERS)})")
    return peers


def wait_ready(peers: list[Peer], limit_s: float = 900.0) -> None:
    """Poll each peer with ASK {} until it answers (rdflib-endpoint parses the file first);
    a peer with a `ready_line` must also have logged it (all replicas of hilfenetz-2 serving)."""
    start = time.monotonic()
    pending = list(peers)
    while pending:
        for peer in list(pending):
            if peer.proc.poll() is not None:
                raise SystemExit(f"{peer.name} exited; see {peer.log_path}")
            if peer.ready_line and peer.ready_line not in peer.log_path.read_text(errors="replace"):
                continue
            try:
                r = httpx.get(peer.url, params={"query": "ASK {}"}, headers={"Accept": ACCEPT}, timeout=5)
                if r.status_code == 200:
                    log(f"  {peer.name} ready after {time.monotonic() - start:.0f}s")
                    pending.remove(peer)
            except httpx.HTTPError:
                pass
        if time.monotonic() - start > limit_s:
            raise SystemExit(f"peers not ready: {[p.name for p in pending]}")
        time.sleep(0.5)


# --------------------------------------------------------------------------- scenarios and load


def scenario_queries(ds: Dataset, scenario: str, seed: int) -> Callable[[int], str]:
    """i-th query text of a scenario (deterministic for a seed)."""
    rnd = random.Random(seed)
    lookups = ds.pools["lookup"][:]
    rnd.shuffle(lookups)
    regions = ds.pools["two_hop"][:]
    rnd.shuffle(regions)
    if scenario == "lookup":
        return lambda i: Q_LOOKUP.format(x=lookups[i % len(lookups)])
    if scenario == "two_hop":
        return lambda i: Q_TWO_HOP.format(x=regions[i % len(regions)])
    if scenario == "group_by":
        return lambda i: Q_GROUP_BY
    if scenario == "portal":
        popular = [Q_GROUP_BY, Q_TWO_HOP.format(x=regions[0]), Q_LOOKUP.format(x=lookups[0]),
                   Q_LOOKUP.format(x=lookups[1]), Q_TWO_HOP.format(x=regions[-1])]
        mix = random.Random(seed + 1)
        choices = [mix.random() for _ in range(100_000)]
        picks = [mix.randrange(len(popular)) for _ in range(100_000)]
        return lambda i: (popular[picks[i % 100_000]] if choices[i % 100_000] < 0.9
                          else Q_LOOKUP.format(x=lookups[2 + i % (len(lookups) - 2)]))
    raise ValueError(scenario)


@dataclass
class Cell:
    """One measurement: completed requests, errors, wall time and latencies.

    The Python client fills `latencies` (seconds, successful requests); wrk gives p50/p99 itself."""

    ok: int = 0
    errors: int = 0  # non-200 answers + socket errors (+ answers slower than wrk's --timeout)
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    server_cpu: float = float("nan")  # CPU seconds of the peer's processes during the cell
    requests: int = 0  # completed answers (any status)
    non200: int = 0
    socket_errors: int = 0  # wrk: connect + read + write errors (not completed answers)
    timeouts: int = 0  # wrk: answers that took longer than --timeout
    p50_s: float = float("nan")
    p99_s: float = float("nan")
    client_cpu: float = float("nan")  # CPU seconds of the load generator during the cell
    machine_busy: float = float("nan")  # busy CPU seconds of the whole machine (/proc/stat)
    duration: float = 0.0  # the duration asked for

    @property
    def cpu_per_request(self) -> float:
        n = self.requests or (self.ok + self.errors)
        return self.server_cpu / n if n else float("nan")

    @property
    def throughput(self) -> float:
        return self.ok / self.elapsed if self.elapsed > 0 else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies:
            if q == 0.5 and not math.isnan(self.p50_s):
                return self.p50_s
            if q == 0.99 and not math.isnan(self.p99_s):
                return self.p99_s
            return float("nan")
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))]


async def measure(url: str, next_query: Callable[[int], str], start_index: int, concurrency: int,
                  duration: float, max_requests: int) -> Cell:
    """`concurrency` closed-loop clients for `duration` seconds or `max_requests` requests."""
    cell = Cell()
    counter = iter(range(start_index, start_index + max_requests))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=REQUEST_TIMEOUT, headers={"Accept": ACCEPT}) as client:
        deadline = time.perf_counter() + duration

        async def worker() -> None:
            while time.perf_counter() < deadline:
                i = next(counter, None)
                if i is None:
                    return
                t0 = time.perf_counter()
                try:
                    r = await client.get(url, params={"query": next_query(i)})
                    await r.aread()
                    good = r.status_code == 200
                except httpx.HTTPError:
                    good = False
                dt = time.perf_counter() - t0
                if good:
                    cell.ok += 1
                    cell.latencies.append(dt)
                else:
                    cell.errors += 1

        t_start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        cell.elapsed = time.perf_counter() - t_start
    return cell


#: The part of a wrk script that rotates over the request paths in a file (args[1]), starting
#: after line args[2]; bench_scaleout adds its own counters to it.
LUA_ROTATE = r"""
local paths = {}
local n = 0
local i = 0
local threads = {}

setup = function(thread)
  table.insert(threads, thread)
end

init = function(args)
  for line in io.lines(args[1]) do
    n = n + 1
    paths[n] = line
  end
  i = tonumber(args[2]) or 0
end

request = function()
  local path = paths[(i % n) + 1]
  i = i + 1
  return wrk.format("GET", path, { ["Accept"] = "application/sparql-results+json" })
end
"""

#: count answers whose status is not 200; print one RESULT line (run_wrk parses it)
LUA = LUA_ROTATE + r"""
non200 = 0

response = function(status, headers, body)
  if status ~= 200 then non200 = non200 + 1 end
end

done = function(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + (t:get("non200") or 0) end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d connect=%d read=%d write=%d status=%d timeout=%d non200=%d " ..
    "p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout, bad,
    latency:percentile(50), latency:percentile(99)))
end
"""


def wrk_version() -> str | None:
    """'4.1.0' (or whatever `wrk -v` names), None without wrk."""
    if shutil.which("wrk") is None:
        return None
    out = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    m = re.search(r"wrk \S*?(\d+\.\d+(?:\.\d+)?)", out.stdout + out.stderr)
    return m.group(1) if m else "?"


def scenario_period(ds: Dataset, scenario: str) -> int:
    """How many distinct positions a scenario's rotation has (the paths file holds one period, capped)."""
    if scenario == "lookup":
        n = len(ds.pools["lookup"])
    elif scenario == "two_hop":
        n = len(ds.pools["two_hop"])
    elif scenario == "group_by":
        n = 1
    else:
        n = PATHS_CAP
    return max(1, min(n, PATHS_CAP))


def paths_file(ds: Dataset, scenario: str, seed: int, endpoint: str, tmp: Path) -> Path:
    """The scenario's request paths for one endpoint path (/sparql, /query, /), one per line;
    line i is `scenario_queries(...)(i)`, so every peer gets the same queries."""
    q = scenario_queries(ds, scenario, seed)
    slug = endpoint.strip("/").replace("/", "_") or "root"
    path = tmp / f"{ds.name}-{scenario}-{slug}.paths"
    if not path.exists():
        lines = (endpoint + "?" + urllib.parse.urlencode({"query": q(i)}) + "\n"
                 for i in range(scenario_period(ds, scenario)))
        path.write_text("".join(lines), encoding="utf-8")
    return path


def children_cpu() -> float:
    """CPU seconds of this process's reaped children (wrk, after subprocess.run waited for it)."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_wrk(base: str, paths: Path, script: Path, concurrency: int, duration: float, offset: int) -> Cell:
    """One wrk run: `-t1 -c<C> -d<D>s --timeout 30s`, closed loop over keep-alive connections."""
    seconds = max(1, math.ceil(duration))  # wrk takes whole seconds
    cmd = ["wrk", "-t1", f"-c{concurrency}", f"-d{seconds}s", "--timeout", f"{int(REQUEST_TIMEOUT)}s",
           "-s", str(script), base, "--", str(paths), str(offset)]
    before = children_cpu()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + REQUEST_TIMEOUT + 60, check=False)
    cell = Cell(client_cpu=children_cpu() - before, duration=seconds)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            f = {k: int(v) for k, v in (kv.split("=", 1) for kv in line.split()[1:])}
            break
    else:
        raise RuntimeError(f"wrk gave no RESULT line (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    cell.requests = f["requests"]
    cell.elapsed = f["duration_us"] / 1e6
    cell.non200 = f["non200"]
    cell.timeouts = f["timeout"]
    cell.socket_errors = f["connect"] + f["read"] + f["write"]
    # wrk counts an answer slower than --timeout as completed (in `requests`) and as a timeout;
    # connect/read/write errors are not completed answers, so they are not subtracted
    cell.ok = max(0, cell.requests - cell.non200 - cell.timeouts)
    cell.errors = cell.non200 + cell.timeouts + cell.socket_errors
    if cell.requests:
        cell.p50_s, cell.p99_s = f["p50_us"] / 1e6, f["p99_us"] / 1e6
    return cell


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(entry))
    return kids


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by `pid` and its live descendants, including
    their reaped children (cutime, cstime): a query worker killed when its client went away and
    joined by its server still counts (Linux /proc).

    Why: on a shared machine wall-clock latency swings with the load of others; the CPU a peer
    spends per request does much less, so it is the figure to compare engines by."""
    kids = _proc_children()
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/stat", encoding="ascii", errors="replace") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            total += sum(int(x) for x in fields[11:15]) / _TICK  # utime, stime, cutime, cstime
        except (OSError, IndexError, ValueError):
            pass
        todo.extend(kids.get(p, []))
    return total


process_tree_cpu = tree_cpu  # the earlier name


def machine_busy() -> float:
    """Busy CPU seconds of the whole machine since boot (/proc/stat): shows other jobs' load."""
    with open("/proc/stat", encoding="ascii") as fh:
        parts = [int(x) for x in fh.readline().split()[1:]]
    idle = parts[3] + (parts[4] if len(parts) > 4 else 0)
    return (sum(parts[:8]) - idle) / _TICK


def warm_up(url: str, query: str) -> float:
    """One request outside the measurement (connection set-up, first-query effects, the answer
    cache's steady state); returns its latency in seconds (a failed request counts its time)."""
    t0 = time.perf_counter()
    with contextlib.suppress(httpx.HTTPError):
        httpx.get(url, params={"query": query}, headers={"Accept": ACCEPT}, timeout=REQUEST_TIMEOUT).read()
    return time.perf_counter() - t0


def cell_duration(duration: float, warm_latency: float, concurrency: int) -> tuple[float, bool]:
    """(seconds to measure, slow?) for a cell whose warm-up request took `warm_latency`.

    A peer whose single answer takes longer than a third of the cell would complete few or no
    answers in it (wrk drops in-flight requests at the end): such a cell runs for at least 3
    answer times, and at concurrency c at least (c + 1) answer times (a peer that evaluates
    one query at a time shares itself among c requests), capped at SLOW_CELL_CAP_S, once."""
    if 3 * warm_latency <= duration:
        return duration, False
    return min(max(duration, 3 * warm_latency, (concurrency + 1) * warm_latency), SLOW_CELL_CAP_S), True


def retry_duration(duration: float, warm_latency: float, concurrency: int) -> float:
    """Duration of the one repeat of a cell that completed fewer answers than it has connections
    (the warm-up answer was fast enough, but c of them at once were not): 3 cells, and at least
    2 × (c + 1) warm-up answer times (a peer evaluating one query at a time on a shared core)."""
    return min(max(3 * duration, 2 * (concurrency + 1) * warm_latency), SLOW_CELL_CAP_S)


def settle(peer: Peer, limit_s: float = 90.0) -> float:
    """Wait until the peer's process tree is idle (< 0.1 core over 0.3 s); returns the seconds waited.

    Why: wrk closes its connections at the end of a run, so queries still in flight are
    abandoned; hilfenetz kills their query workers and spawns new ones, oxigraph and
    rdflib-endpoint go on evaluating them. That must not be billed to the next cell."""
    start = time.monotonic()
    prev = tree_cpu(peer.proc.pid)
    while time.monotonic() - start < limit_s:
        time.sleep(0.3)
        cur = tree_cpu(peer.proc.pid)
        if cur - prev < 0.03:
            break
        prev = cur
    return time.monotonic() - start


def wait_idle(peer: Peer, limit_s: float = 300.0) -> None:
    """Wait until the peer answers ASK {} fast again, so its leftovers do not slow the next cell."""
    start = time.monotonic()
    while time.monotonic() - start < limit_s:
        t0 = time.perf_counter()
        try:
            httpx.get(peer.url, params={"query": "ASK {}"}, headers={"Accept": ACCEPT}, timeout=REQUEST_TIMEOUT)
            if time.perf_counter() - t0 < 0.2:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)


def row_count(url: str, query: str) -> int | str:
    try:
        r = httpx.get(url, params={"query": query}, headers={"Accept": ACCEPT}, timeout=REQUEST_TIMEOUT * 2)
    except httpx.HTTPError as exc:
        return f"error: {type(exc).__name__}"
    if r.status_code != 200:
        return f"HTTP {r.status_code}"
    return len(r.json()["results"]["bindings"])


# --------------------------------------------------------------------------- report


@dataclass
class Summary:
    throughput: float
    p50: float
    p99: float
    errors: int
    runs: int
    note: str = ""
    cpu_ms: float = float("nan")  # median server CPU per request (ms)
    seconds: float = 0.0  # duration of one run of the cell (longer for slow cells)
    client_cores: float = float("nan")  # median CPU of the load generator, in cores
    other_cores: float = float("nan")  # median busy CPU of the machine outside peer and load generator
    server_cores: float = float("nan")
    non200: int = 0
    socket_errors: int = 0
    timeouts: int = 0


def summarise(cells: list[Cell]) -> Summary:
    errors = sum(c.errors for c in cells)
    non200 = sum(c.non200 for c in cells)
    sock = sum(c.socket_errors for c in cells)
    tmo = sum(c.timeouts for c in cells)
    secs = max((c.duration for c in cells), default=0.0)
    good = [c for c in cells if c.ok]
    if not good:
        return Summary(0.0, float("nan"), float("nan"), errors, len(cells), "no successful request", seconds=secs,
                       non200=non200, socket_errors=sock, timeouts=tmo)

    def med(xs: list[float]) -> float:
        xs = [x for x in xs if not math.isnan(x)]
        return statistics.median(xs) if xs else float("nan")

    return Summary(
        med([c.throughput for c in good]),
        med([c.pct(0.5) for c in good]) * 1000,
        med([c.pct(0.99) for c in good]) * 1000,
        errors,
        len(cells),
        cpu_ms=med([c.cpu_per_request for c in good]) * 1000,
        seconds=secs,
        client_cores=med([c.client_cpu / c.elapsed for c in good if c.elapsed]),
        other_cores=med([max(0.0, c.machine_busy - c.server_cpu - c.client_cpu) / c.elapsed
                         for c in good if c.elapsed]),
        server_cores=med([c.server_cpu / c.elapsed for c in good if c.elapsed]),
        non200=non200, socket_errors=sock, timeouts=tmo,
    )


def fmt_num(x: float, digits: int = 1) -> str:
    return "–" if math.isnan(x) else f"{x:,.{digits}f}"


#: (numerator, denominator) peers of the ratio table, shown when both ran
RATIO_PAIRS = [("hilfenetz", "oxigraph"), ("hilfenetz-nocache", "oxigraph"), ("hilfenetz-1", "oxigraph"),
               ("hilfenetz-nocache", "hilfenetz-1"), ("hilfenetz-2", "oxigraph"), ("hilfenetz-glibc", "oxigraph"),
               ("hilfenetz-1", "hilfenetz-glibc"), ("hilfenetz", "rdflib"), ("oxigraph", "oxigraph-timeout")]
SHORT = {"hilfenetz": "hilfenetz", "hilfenetz-nocache": "nocache", "hilfenetz-1": "1 process",
         "hilfenetz-glibc": "glibc", "hilfenetz-2": "hilfenetz-2", "oxigraph": "oxigraph",
         "oxigraph-timeout": "oxigraph-timeout", "rdflib": "rdflib"}


def _errors(s: Summary) -> str:
    if not s.errors:
        return "0"
    parts = [f"{s.non200} non-200" if s.non200 else "", f"{s.socket_errors} socket" if s.socket_errors else "",
             f"{s.timeouts} timeout" if s.timeouts else ""]
    return ", ".join(x for x in parts if x) or str(s.errors)


def render(results: dict[tuple[str, str, int, str], Summary], datasets: list[Dataset], peers: list[str],
           scenarios: list[str], concurrencies: list[int], args: argparse.Namespace,
           checks: dict[str, list[str]], load_times: dict[str, str], meta: dict[str, object] | None = None) -> str:
    meta = meta or {}
    client = str(meta.get("client", "?"))
    la0, la1 = meta.get("loadavg_before"), meta.get("loadavg_after")
    out = ["# SPARQL endpoint benchmark", ""]
    intro = (f"Run {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} on {platform.platform()}, "
             f"{os.cpu_count()} CPU cores, Python {platform.python_version()}, pyoxigraph {ox.__version__}. "
             f"Load generator: **{client}**, on the same machine as the servers (it shares the cores with them; "
             "its CPU is in the column *load gen*).")
    if la0 and la1:
        intro += (f" Load average (1/5/15 min) before {'/'.join(f'{x:.1f}' for x in la0)}, "  # type: ignore[attr-defined]
                  f"after {'/'.join(f'{x:.1f}' for x in la1)}.")  # type: ignore[attr-defined]
    out += [intro, ""]
    cap = f" (at most {args.max_requests} requests)" if args.client == "python" else ""
    out.append(
        f"Each cell: {args.runs} run{'s' if args.runs != 1 else ''} of {args.duration:g} s{cap}, closed loop, "
        "keep-alive connections, peers "
        "interleaved within each run (order reversed every other run), one warm-up request before each cell and a "
        "wait until the peer is idle after it; medians over runs of throughput (successful requests/s), p50 and "
        "p99 latency (ms) and server CPU per request. A peer whose warm-up answer takes longer than a third of "
        f"the cell is measured once, for max({args.duration:g} s, 3 answers, (c + 1) answers) up to "
        f"{SLOW_CELL_CAP_S:g} s (marked ¹ with the seconds), so it still completes answers; a cell that completes "
        "fewer answers than it has connections is measured again once, for max(3 cells, 2 × (c + 1) warm-up "
        f"answers); a cell whose median latency exceeds {SLOW_CELL_S:g} s is not repeated either. *errors*: non-200 "
        "answers, socket errors (connections "
        f"dropped by the server) and answers slower than {REQUEST_TIMEOUT:g} s, summed over runs. CPU: every "
        "process of the peer (including reaped children) from /proc, before and after each cell; *load gen* = "
        "the load generator's CPU in cores (wrk: getrusage of the child; Python client: this process's CPU "
        "time), *other* = the rest of the machine's busy time in "
        "cores (/proc/stat), i.e. other jobs on this shared machine.")
    out.append("")
    auto = min(usable_cpus(), MAX_AUTO_REPLICAS)
    out.append(f"Peers: `hilfenetz` = `kg serve` as it starts by default (read-only: `--replicas auto`, here {auto} "
               "server process" + ("es" if auto > 1 else "") + " on one port, each with 2 query workers; answer "
               "cache on; mimalloc, see kg/allocator.py); "
               "`hilfenetz-nocache` = `kg serve --cache-entries 0`, the same server with the answer cache off (the "
               "query path without any cache); `hilfenetz-1` = `kg serve --replicas 1 --cache-entries 0`, a single "
               "server process, cache off"
               + ("; `hilfenetz-glibc` = `hilfenetz-1` with `HILFENETZ_ALLOCATOR=system` (glibc's malloc: what the "
                  "allocator contributes)" if "hilfenetz-glibc" in peers else "")
               + ("; `hilfenetz-2` = `kg serve --replicas 2 --cache-entries 0`" if "hilfenetz-2" in peers else "")
               + "; `oxigraph` = `oxigraph serve-read-only --union-default-graph`"
               + (" (`oxigraph-timeout`: the same with `--timeout-s 30`)" if "oxigraph-timeout" in peers else "")
               + "; `rdflib` = rdflib-endpoint over the same N-Quads.")
    out.append("")
    for ds in datasets:
        out.append(f"## {ds.label}: {ds.quads:,} quads")
        out.append("")
        if ds.name in load_times:
            out.append(f"Peer start-up (until the first answer): {load_times[ds.name]}.")
            out.append("")
        out.extend(checks.get(ds.name, []))
        out.append("")
        out.append("| scenario | c | peer | req/s | p50 ms | p99 ms | errors | server CPU ms/req | server cores "
                   "| load gen cores | other cores |")
        out.append("|---|---:|---|---:|---:|---:|---|---:|---:|---:|---:|")
        for sc in scenarios:
            for c in concurrencies:
                for p in peers:
                    s = results.get((ds.name, sc, c, p))
                    if s is None:
                        out.append(f"| {sc} | {c} | {p} | – | – | – | not measured | – | – | – | – |")
                        continue
                    tp = fmt_num(s.throughput) + (f" ¹ ({s.seconds:g} s)" if s.runs == 1 and args.runs > 1 else "")
                    out.append(f"| {sc} | {c} | {p} | {tp} | {fmt_num(s.p50)} | {fmt_num(s.p99)} | {_errors(s)} | "
                               f"{fmt_num(s.cpu_ms, 2)} | {fmt_num(s.server_cores, 2)} | "
                               f"{fmt_num(s.client_cores, 2)} | "
                               f"{fmt_num(s.other_cores, 2)} |")
        out.append("")
        pairs = [(a, b) for a, b in RATIO_PAIRS if a in peers and b in peers]
        if pairs:
            out.append("Ratios: throughput a ÷ b (> 1: a answers more requests per second) and p50 latency "
                       "a ÷ b (< 1: a answers faster):")
            out.append("")
            head = ["scenario", "c"]
            for a, b in pairs:
                head += [f"{SHORT[a]} ÷ {SHORT[b]} req/s", "p50"]
            out.append("| " + " | ".join(head) + " |")
            out.append("|---|---:|" + "---:|" * (len(head) - 2))
            for sc in scenarios:
                for c in concurrencies:
                    row = [sc, str(c)]
                    for a, b in pairs:
                        x, y = results.get((ds.name, sc, c, a)), results.get((ds.name, sc, c, b))
                        row.append(f"{x.throughput / y.throughput:.2f}×" if x and y and x.throughput > 0
                                   and y.throughput > 0 else "–")
                        row.append(f"{x.p50 / y.p50:.2f}×" if x and y and x.p50 > 0 and y.p50 > 0 else "–")
                    out.append("| " + " | ".join(row) + " |")
            out.append("")
        out.append("Server CPU per request (ms; all processes of the peer, median over runs):")
        out.append("")
        cpu_pairs = [(a, b) for a, b in (("hilfenetz-nocache", "oxigraph"), ("hilfenetz-1", "oxigraph"),
                                         ("hilfenetz-2", "oxigraph"), ("hilfenetz-glibc", "oxigraph"))
                     if a in peers and b in peers]
        head = ["scenario", "c", *peers] + [f"{SHORT[a]} ÷ {SHORT[b]}" for a, b in cpu_pairs]
        out.append("| " + " | ".join(head) + " |")
        out.append("|---|---:|" + "---:|" * (len(head) - 2))
        for sc in scenarios:
            for c in concurrencies:
                row = [sc, str(c)]
                for p in peers:
                    s_ = results.get((ds.name, sc, c, p))
                    row.append(fmt_num(s_.cpu_ms, 2) if s_ else "–")
                for a, b in cpu_pairs:
                    x, y = results.get((ds.name, sc, c, a)), results.get((ds.name, sc, c, b))
                    row.append(f"{x.cpu_ms / y.cpu_ms:.2f}×" if x and y and x.cpu_ms > 0 and y.cpu_ms > 0 else "–")
                out.append("| " + " | ".join(row) + " |")
        out.append("")
    out.append("Queries: `lookup` = `SELECT ?p ?o { <municipality> ?p ?o }` (rotating IRI); `two_hop` = municipalities "
               "of the Kreise of one region (`?m hn:partOf ?k . ?k hn:partOf <region>` + name, optional population; "
               "rotating region); `group_by` = count and population sum per Kreis, top 20 (one fixed query); "
               "`portal` = 90 % five popular identical requests, 10 % rotating lookups.")
    out.append("")
    return "\n".join(out)


# --------------------------------------------------------------------------- main


def measure_cell(peer: Peer, ds: Dataset, sc: str, c: int, duration: float, index: int,
                 next_query: Callable[[int], str], args: argparse.Namespace, tmp: Path, script: Path) -> Cell:
    cpu0, m0 = tree_cpu(peer.proc.pid), machine_busy()
    if args.client == "wrk":
        paths = paths_file(ds, sc, args.seed, peer.path, tmp)
        cell = run_wrk(peer.base, paths, script, c, duration, index)
    else:
        t0 = time.process_time()
        cell = asyncio.run(measure(peer.url, next_query, index, c, duration, args.max_requests))
        cell.client_cpu = time.process_time() - t0
        cell.requests, cell.duration = cell.ok + cell.errors, duration
    cell.server_cpu = tree_cpu(peer.proc.pid) - cpu0
    cell.machine_busy = machine_busy() - m0
    return cell


def run_dataset(ds: Dataset, peer_names: list[str], scenarios: list[str], concurrencies: list[int],
                args: argparse.Namespace, results: dict[tuple[str, str, int, str], Summary],
                checks: dict[str, list[str]], load_times: dict[str, str]) -> None:
    discover_pools(ds)
    log(f"{ds.name}: {ds.quads:,} quads; pools lookup={len(ds.pools['lookup'])} two_hop={len(ds.pools['two_hop'])}")
    t0 = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="bench-sparql-"))
    script = tmp / "rotate.lua"
    script.write_text(LUA, encoding="utf-8")
    peers = start_peers(ds, peer_names)
    try:
        wait_ready(peers)
        load_times[ds.name] = (f"all peers answering after {time.monotonic() - t0:.0f} s "
                               "(rdflib-endpoint parses the N-Quads in memory)")
        # agreement check: same row count for the first query of each scenario
        lines = ["Row counts of each scenario's first request (all peers must agree):", ""]
        for sc in scenarios:
            q = scenario_queries(ds, sc, args.seed)(0)
            counts = {p.name: row_count(p.url, q) for p in peers}
            agree = len({str(v) for v in counts.values()}) == 1
            lines.append(f"- `{sc}`: " + ", ".join(f"{k} {v}" for k, v in counts.items())
                         + ("" if agree else " **DIFFER**"))
        checks[ds.name] = lines
        for line in lines[2:]:
            log("  " + line)
        for peer in peers:
            settle(peer)
        raw: dict[tuple[str, int, str], list[Cell]] = {}
        once: set[tuple[str, str, int]] = set()  # cells too slow to repeat (one run)
        index = 0
        for run in range(args.runs):
            order = peers[:] if run % 2 == 0 else peers[::-1]
            for sc in scenarios:
                next_query = scenario_queries(ds, sc, args.seed)
                for c in concurrencies:
                    for peer in order:
                        key = (peer.name, sc, c)
                        if key in once:
                            continue
                        latency = warm_up(peer.url, next_query(10_000_000 + index))
                        duration, slow = cell_duration(args.duration, latency, c)
                        if slow:
                            once.add(key)
                        cell = measure_cell(peer, ds, sc, c, duration, index, next_query, args, tmp, script)
                        index += cell.requests + 1 if args.client == "wrk" else args.max_requests
                        waited = settle(peer)
                        if cell.ok < c and not slow:
                            # not one answer per connection: at this concurrency the peer's answers take
                            # longer than the cell (rdflib-endpoint evaluates one query at a time)
                            duration, slow = retry_duration(args.duration, latency, c), True
                            once.add(key)
                            log(f"  run {run + 1} {sc:8s} c={c} {peer.name:17s} "
                                f"{cell.ok} answers in {cell.elapsed:.1f} s "
                                f"(warm-up {latency:.2f} s): measuring once for {math.ceil(duration)} s")
                            cell = measure_cell(peer, ds, sc, c, duration, index, next_query, args, tmp, script)
                            index += cell.requests + 1 if args.client == "wrk" else args.max_requests
                            waited = settle(peer)
                        raw.setdefault((sc, c, peer.name), []).append(cell)
                        log(f"  run {run + 1} {sc:8s} c={c} {peer.name:17s} {cell.throughput:9.1f} req/s "
                            f"p50 {cell.pct(0.5) * 1000:8.1f} ms  p99 {cell.pct(0.99) * 1000:8.1f} ms  "
                            f"cpu/req {cell.cpu_per_request * 1000:7.2f} ms  load gen "
                            f"{cell.client_cpu / max(cell.elapsed, 1e-9):.2f} "
                            f"cores  err {cell.errors}" + (f" ({cell.non200} non-200, {cell.socket_errors} socket, "
                                                           f"{cell.timeouts} timeout)" if cell.errors else "")
                            + (f"  [slow: one run of {cell.duration:g} s, warm-up {latency:.2f} s]" if slow else "")
                            + (f"  idle after {waited:.1f} s" if waited > 1 else ""))
                        if cell.errors:
                            wait_idle(peer)  # abandoned requests may still be computing there
                        if cell.pct(0.5) > SLOW_CELL_S:
                            once.add(key)
                        if cell.ok == 0:
                            once.add(key)  # hopeless here: do not repeat it
        for (sc, c, name), cells in raw.items():
            results[(ds.name, sc, c, name)] = summarise(cells)
    finally:
        for p in peers:
            p.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="hilfenetz /sparql vs oxigraph serve-read-only vs rdflib-endpoint")
    ap.add_argument("--real-store", type=Path, default=None, help="built store to use (default: build into bench/data)")
    ap.add_argument("--synthetic-triples", type=int, default=1_000_000)
    ap.add_argument("--no-synthetic", action="store_true")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--client", choices=("wrk", "python"), default=None,
                    help="load generator (default: wrk if installed, else the Python client)")
    ap.add_argument("--runs", type=int, default=None, help="runs per cell (default 5 with wrk, 3 with python)")
    ap.add_argument("--duration", type=float, default=None,
                    help="seconds per cell and run (default 3 with wrk, 1 with python; wrk rounds up to whole seconds)")
    ap.add_argument("--max-requests", type=int, default=2000, help="request cap per cell and run (python client only)")
    ap.add_argument("--peers", default=DEFAULT_PEERS, help=f"comma-separated, of: {', '.join(KNOWN_PEERS)}")
    ap.add_argument("--scenarios", default="lookup,two_hop,group_by,portal")
    ap.add_argument("--concurrency", default="1,8")
    ap.add_argument("--serve-built-store", action="store_true",
                    help="hilfenetz serves --real-store as built (not reloaded and compacted like the oxigraph peer's)")
    ap.add_argument("--fresh-data", action="store_true", help="re-export and reload the stores in bench/data")
    ap.add_argument("--quick", action="store_true", help="1 run of 1 s, real graph only")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    # SIGTERM → SystemExit, so the `finally` blocks stop the peer servers (own process groups)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    version = wrk_version()
    if args.client is None:
        args.client = "wrk" if version else "python"
        if not version:
            log("wrk not found (apt-get install wrk): using the Python load generator (httpx), which tops out "
                "near 1,000 requests/s here and so understates the fast peers")
    elif args.client == "wrk" and not version:
        raise SystemExit("`wrk` not found: apt-get install wrk (or --client python)")
    wrk_mode = args.client == "wrk"
    args.runs = args.runs if args.runs is not None else (5 if wrk_mode else 3)
    args.duration = args.duration if args.duration is not None else (3.0 if wrk_mode else 1.0)
    if args.quick:
        args.runs, args.duration, args.no_synthetic = 1, 1.0, True
    if wrk_mode:
        args.duration = float(max(1, math.ceil(args.duration)))
    client = (f"wrk {version}, 1 thread (C, epoll; Lua script rotating the request paths)" if wrk_mode
              else "Python httpx + asyncio in the benchmark process")
    peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    for p in peers:
        if p not in KNOWN_PEERS:
            raise SystemExit(f"unknown peer {p} (known: {', '.join(KNOWN_PEERS)})")
    tools = ["kg", "oxigraph"] + (["rdflib-endpoint"] if "rdflib" in peers else [])  # oxigraph also loads its store
    for tool in tools:
        if shutil.which(tool) is None:
            raise SystemExit(f"`{tool}` not found: pip install -e '.[bench]' (and put the virtualenv's bin on PATH)")
    scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    DATA_DIR.mkdir(parents=True, exist_ok=True)

    datasets = [prepare_real(args.real_store, args.serve_built_store, args.fresh_data)]
    if not args.no_synthetic:
        datasets.append(prepare_synthetic(args.synthetic_triples, args.seed, args.fresh_data))
    n_cells = len(datasets) * len(scenarios) * len(concurrencies) * len(peers) * args.runs
    log(f"load generator: {client}; {n_cells} cells of {args.duration:g} s: about "
        f"{n_cells * (args.duration + 0.7) / 60:.1f} min plus peer start-up (rdflib-endpoint: 1.5 min for the "
        "real graph) and slow cells")
    results: dict[tuple[str, str, int, str], Summary] = {}
    checks: dict[str, list[str]] = {}
    load_times: dict[str, str] = {}
    load_before = os.getloadavg()
    started = time.monotonic()
    for ds in datasets:
        run_dataset(ds, peers, scenarios, concurrencies, args, results, checks, load_times)
    meta = {"client": client, "loadavg_before": load_before, "loadavg_after": os.getloadavg()}
    text = render(results, datasets, peers, scenarios, concurrencies, args, checks, load_times, meta)
    command = " ".join(argv if argv is not None else sys.argv[1:])
    text += f"\nTotal benchmark time {time.monotonic() - started:.0f} s (`python bench/bench_sparql.py {command}`).\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    raw = [{"dataset": k[0], "scenario": k[1], "concurrency": k[2], "peer": k[3], "client": client, **vars(v)}
           for k, v in results.items()]
    args.out.with_suffix(".json").write_text(json.dumps(raw, indent=1), encoding="utf-8")
    print(text)
    log(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
