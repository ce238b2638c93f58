"""SPARQL endpoint benchmark: hilfenetz (`kg serve`) vs `oxigraph serve-read-only` vs rdflib-endpoint.

Not part of the test suite; run by hand (a few minutes):

    pip install -e '.[bench]'
    python bench/bench_sparql.py                 # real graph + 1M-triple synthetic graph
    python bench/bench_sparql.py --quick         # shorter cells, real graph only

What it does, per dataset (the real built graph; a seeded SYNTHETIC graph from bench/synthetic.py):
1. exports the data as N-Quads and loads exactly that file into every peer
   (hilfenetz: a pyoxigraph store; oxigraph: `oxigraph load`; rdflib-endpoint: parses the file);
2. starts every peer on 127.0.0.1 (union default graph everywhere, like hilfenetz);
3. checks the peers agree on the row count of every scenario's first request;
4. measures each scenario at concurrency 1 and 8 for a fixed duration (or a request cap),
   peers interleaved, several runs; reports medians of throughput, p50 and p99 latency.

Scenarios: `lookup` (all triples of one municipality; parameter rotates over thousands of
IRIs), `two_hop` (municipalities of the Kreise of a region, with names and population;
parameter rotates), `group_by` (municipality count and population per Kreis; one fixed
query), `portal` (90 % a handful of identical popular requests, 10 % varied lookups).

hilfenetz answers repeated identical queries from its answer cache; to show the engine
without it, the peer `hilfenetz-nocache` is the same server with the cache disabled.
Only 127.0.0.1 is contacted. Results: bench/results/sparql.md (and printed).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
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

HN = "https://w3id.org/hilfenetz/ontology#"
PREFIX = f"PREFIX hn: <{HN}>\n"
ACCEPT = "application/sparql-results+json"
REQUEST_TIMEOUT = 30.0
#: A cell whose median latency exceeds this is measured in one run only (keeps the total bounded).
SLOW_CELL_S = 2.0

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


def load_pyoxigraph(nquads: Path, store_path: Path) -> None:
    if store_path.exists():
        shutil.rmtree(store_path)
    store = ox.Store(str(store_path))
    store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
    store.optimize()
    store.flush()
    del store


def load_oxigraph_cli(nquads: Path, store_path: Path) -> None:
    if store_path.exists():
        shutil.rmtree(store_path)
    subprocess.run(["oxigraph", "load", "--location", str(store_path), "--file", str(nquads)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def optimize_oxigraph_cli(store_path: Path) -> None:
    """What the oxigraph CLI recommends before a read-heavy workload (the pyoxigraph stores get the same)."""
    subprocess.run(["oxigraph", "optimize", "--location", str(store_path)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def prepare_real(store: Path | None, serve_built: bool = False) -> Dataset:
    """The real built graph, exported as N-Quads and loaded into every peer the same way.

    Why hilfenetz does not serve the given store directly: `kg build` writes with the bulk
    loader and does not compact, while the oxigraph peer's store is loaded and then optimized;
    the same query then reads different file layouts (measured: GROUP BY 20-30 % more CPU on the
    uncompacted store). So both stores are made by the same procedure (bulk load + optimize)
    from the same N-Quads. `serve_built=True` serves the given store as built instead."""
    if store is None:
        store = DATA_DIR / "real-store"
        if not store.exists():
            from kg.build import build

            log("building the real graph (kg build) …")
            build(ROOT, store)
    ds = Dataset("real", "real built graph", store, DATA_DIR / "real.nq", DATA_DIR / "real-oxigraph")
    log(f"exporting {store} as N-Quads …")
    ds.quads = export_nquads(store, ds.nquads)
    if not serve_built:
        ds.store = DATA_DIR / "real-pyoxigraph"
        load_pyoxigraph(ds.nquads, ds.store)
        ds.label += " (every peer: bulk load + optimize of the same N-Quads)"
    else:
        ds.label += " (hilfenetz: the store as built, not compacted)"
    load_oxigraph_cli(ds.nquads, ds.oxigraph_store)
    optimize_oxigraph_cli(ds.oxigraph_store)
    return ds


def prepare_synthetic(triples: int, seed: int) -> Dataset:
    nq = synthetic.default_path(triples, seed)
    if not nq.exists():
        log(f"generating {triples} SYNTHETIC triples (seed {seed}) …")
        synthetic.write_nquads(nq, triples, seed)
    ds = Dataset("synthetic", f"SYNTHETIC graph ({triples:,} triples, seed {seed})",
                 DATA_DIR / f"synthetic-{triples}-seed{seed}-store", nq, DATA_DIR / f"synthetic-{triples}-seed{seed}-oxigraph")
    if not ds.store.exists():
        log("loading the synthetic N-Quads into pyoxigraph …")
        load_pyoxigraph(nq, ds.store)
    if not ds.oxigraph_store.exists():
        load_oxigraph_cli(nq, ds.oxigraph_store)
    optimize_oxigraph_cli(ds.oxigraph_store)
    store = ox.Store.read_only(str(ds.store))
    ds.quads = len(store)
    del store
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

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def _spawn(name: str, cmd: list[str], url: str, ds: Dataset) -> Peer:
    log_path = DATA_DIR / f"peer-{ds.name}-{name}.log"
    out = log_path.open("wb")
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True)
    return Peer(name, url, proc, log_path)


NOCACHE_LAUNCHER = """
import sys, uvicorn
from pathlib import Path
from kg.server.app import create_app
from kg.server.settings import Settings
store, port, root = sys.argv[1], int(sys.argv[2]), sys.argv[3]
app = create_app(Settings(store_path=Path(store), project_root=Path(root), port=port, cache_entries=0, rate_limit=0))
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
"""


def start_peers(ds: Dataset, names: list[str]) -> list[Peer]:
    peers = []
    for name in names:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        if name == "hilfenetz":
            cmd = ["kg", "serve", "--store", str(ds.store), "--project", str(ROOT), "--host", "127.0.0.1",
                   "--port", str(port), "--no-build", "--timeout", str(REQUEST_TIMEOUT), "--log-level", "warning",
                   "--rate-limit", "0"]  # every load-generator client is 127.0.0.1: no per-client limit
            peers.append(_spawn(name, cmd, base + "/sparql", ds))
        elif name == "hilfenetz-nocache":
            cmd = [sys.executable, "-c", NOCACHE_LAUNCHER, str(ds.store), str(port), str(ROOT)]
            peers.append(_spawn(name, cmd, base + "/sparql", ds))
        elif name == "oxigraph":
            cmd = ["oxigraph", "serve-read-only", "--location", str(ds.oxigraph_store), "--bind", f"127.0.0.1:{port}",
                   "--union-default-graph", "--timeout-s", str(int(REQUEST_TIMEOUT))]
            peers.append(_spawn(name, cmd, base + "/query", ds))
        elif name == "rdflib":
            cmd = ["rdflib-endpoint", "serve", "--host", "127.0.0.1", "--port", str(port), str(ds.nquads)]
            peers.append(_spawn(name, cmd, base + "/", ds))  # rdflib-endpoint serves SPARQL at /
        else:
            raise SystemExit(f"unknown peer {name}")
    return peers


def wait_ready(peers: list[Peer], limit_s: float = 900.0) -> None:
    """Poll each peer with ASK {} until it answers (rdflib-endpoint parses the file first)."""
    start = time.monotonic()
    pending = list(peers)
    while pending:
        for peer in list(pending):
            if peer.proc.poll() is not None:
                raise SystemExit(f"{peer.name} exited; see {peer.log_path}")
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
    """One measurement: completed requests, errors, wall time and latencies."""

    ok: int = 0
    errors: int = 0
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    server_cpu: float = float("nan")  # CPU seconds of the peer's processes during the cell

    @property
    def cpu_per_request(self) -> float:
        n = self.ok + self.errors
        return self.server_cpu / n if n else float("nan")

    @property
    def throughput(self) -> float:
        return self.ok / self.elapsed if self.elapsed > 0 else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies:
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


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by `pid` and its live descendants (Linux /proc).

    Why: on a shared machine wall-clock latency swings with the load of others; the CPU a peer
    spends per request does much less, so it is the figure to compare engines by."""
    stats: dict[int, tuple[int, float]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK)
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        for child, (ppid, _) in stats.items():
            if ppid == parent and child not in tree:
                tree.add(child)
                frontier.append(child)
    return sum(stats[p][1] for p in tree if p in stats)


def warm_up(url: str, query: str) -> None:
    """One request outside the measurement (connection set-up, first-query effects)."""
    try:
        httpx.get(url, params={"query": query}, headers={"Accept": ACCEPT}, timeout=REQUEST_TIMEOUT).read()
    except httpx.HTTPError:
        pass


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


def summarise(cells: list[Cell]) -> Summary:
    good = [c for c in cells if c.ok]
    if not good:
        return Summary(0.0, float("nan"), float("nan"), sum(c.errors for c in cells), len(cells), "no successful request")
    return Summary(
        statistics.median(c.throughput for c in good),
        statistics.median(c.pct(0.5) for c in good) * 1000,
        statistics.median(c.pct(0.99) for c in good) * 1000,
        sum(c.errors for c in cells),
        len(cells),
        cpu_ms=statistics.median(c.cpu_per_request for c in good) * 1000,
    )


def fmt_num(x: float, digits: int = 1) -> str:
    return "–" if math.isnan(x) else f"{x:,.{digits}f}"


def render(results: dict[tuple[str, str, int, str], Summary], datasets: list[Dataset], peers: list[str],
           scenarios: list[str], concurrencies: list[int], args: argparse.Namespace,
           checks: dict[str, list[str]], load_times: dict[str, str]) -> str:
    out = ["# SPARQL endpoint benchmark", ""]
    out.append(f"Run {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} on {platform.platform()}, "
               f"{os.cpu_count()} CPU cores, Python {platform.python_version()}, pyoxigraph {ox.__version__}. "
               "Load generator (Python, httpx, asyncio) runs on the same machine as the server: absolute figures "
               "are bounded by it, ratios are the point.")
    out.append("")
    out.append(f"Each cell: {args.runs} runs of {args.duration:g} s (at most {args.max_requests} requests), "
               "closed-loop clients, peers interleaved within each run; median over runs of throughput "
               "(successful requests/s), p50 and p99 latency (ms). Ratio = hilfenetz ÷ peer throughput "
               "(> 1: hilfenetz faster). hilfenetz-nocache = the same server with its answer cache disabled; "
               "`nocache ÷ oxigraph` compares the query paths without any cache.")
    out.append("")
    for ds in datasets:
        out.append(f"## {ds.label}: {ds.quads:,} quads")
        out.append("")
        if ds.name in load_times:
            out.append(f"Peer start-up (until the first answer): {load_times[ds.name]}. "
                       f"Cells with a median latency above {SLOW_CELL_S:g} s are measured in one run only (marked ¹).")
            out.append("")
        out.extend(checks.get(ds.name, []))
        out.append("")
        head = ["scenario", "c"]
        for p in peers:
            head += [f"{p} req/s", f"{p} p50", f"{p} p99"]
        others = [p for p in peers if p != "hilfenetz"]
        head += [f"÷ {p}" for p in others]
        engine = "hilfenetz-nocache" in peers and "oxigraph" in peers
        if engine:
            head.append("nocache ÷ oxigraph")
        out.append("| " + " | ".join(head) + " |")
        out.append("|" + "---|" * len(head))
        for sc in scenarios:
            for c in concurrencies:
                row = [sc, str(c)]
                base = results.get((ds.name, sc, c, "hilfenetz"))
                for p in peers:
                    s = results.get((ds.name, sc, c, p))
                    if s is None:
                        row += ["–", "–", "–"]
                        continue
                    tp = fmt_num(s.throughput) + ("¹" if s.runs == 1 and args.runs > 1 else "")
                    tp += f" ({s.errors} err)" if s.errors else ""
                    row += [tp, fmt_num(s.p50), fmt_num(s.p99)]
                for p in others:
                    s = results.get((ds.name, sc, c, p))
                    if base and s and s.throughput > 0 and base.throughput > 0:
                        row.append(f"{base.throughput / s.throughput:.2f}×")
                    else:
                        row.append("–")
                if engine:
                    a = results.get((ds.name, sc, c, "hilfenetz-nocache"))
                    b = results.get((ds.name, sc, c, "oxigraph"))
                    ok = a and b and a.throughput > 0 and b.throughput > 0
                    row.append(f"{a.throughput / b.throughput:.2f}×" if ok else "–")  # type: ignore[union-attr]
                out.append("| " + " | ".join(row) + " |")
        out.append("")
        out.append("Server CPU per request (ms; all processes of the peer, median over runs):")
        out.append("")
        head = ["scenario", "c"] + list(peers) + (["nocache ÷ oxigraph"] if engine else [])
        out.append("| " + " | ".join(head) + " |")
        out.append("|" + "---|" * len(head))
        for sc in scenarios:
            for c in concurrencies:
                row = [sc, str(c)]
                for p in peers:
                    s_ = results.get((ds.name, sc, c, p))
                    row.append(fmt_num(s_.cpu_ms, 2) if s_ else "–")
                if engine:
                    a = results.get((ds.name, sc, c, "hilfenetz-nocache"))
                    b = results.get((ds.name, sc, c, "oxigraph"))
                    ok = a and b and a.cpu_ms > 0 and b.cpu_ms > 0
                    row.append(f"{a.cpu_ms / b.cpu_ms:.2f}×" if ok else "–")  # type: ignore[union-attr]
                out.append("| " + " | ".join(row) + " |")
        out.append("")
    out.append("Queries: `lookup` = `SELECT ?p ?o { <municipality> ?p ?o }` (rotating IRI); `two_hop` = municipalities "
               "of the Kreise of one region (`?m hn:partOf ?k . ?k hn:partOf <region>` + name, optional population; "
               "rotating region); `group_by` = count and population sum per Kreis, top 20 (one fixed query); "
               "`portal` = 90 % five popular identical requests, 10 % rotating lookups.")
    out.append("")
    return "\n".join(out)


# --------------------------------------------------------------------------- main


def run_dataset(ds: Dataset, peer_names: list[str], scenarios: list[str], concurrencies: list[int],
                args: argparse.Namespace, results: dict[tuple[str, str, int, str], Summary],
                checks: dict[str, list[str]], load_times: dict[str, str]) -> None:
    discover_pools(ds)
    log(f"{ds.name}: {ds.quads:,} quads; pools lookup={len(ds.pools['lookup'])} two_hop={len(ds.pools['two_hop'])}")
    t0 = time.monotonic()
    peers = start_peers(ds, peer_names)
    try:
        wait_ready(peers)
        load_times[ds.name] = f"all peers answering after {time.monotonic() - t0:.0f} s (rdflib-endpoint parses the N-Quads in memory)"
        # agreement check: same row count for the first query of each scenario
        lines = ["Row counts of each scenario's first request (all peers must agree):", ""]
        for sc in scenarios:
            q = scenario_queries(ds, sc, args.seed)(0)
            counts = {p.name: row_count(p.url, q) for p in peers}
            agree = len({str(v) for v in counts.values()}) == 1
            lines.append(f"- `{sc}`: " + ", ".join(f"{k} {v}" for k, v in counts.items()) + ("" if agree else " **DIFFER**"))
        checks[ds.name] = lines
        for line in lines[2:]:
            log("  " + line)
        raw: dict[tuple[str, int, str], list[Cell]] = {}
        skip: set[tuple[str, str]] = set()
        once: set[tuple[str, str, int]] = set()  # cells too slow to repeat (median of one run)
        index = 0
        for run in range(args.runs):
            order = peers[:] if run % 2 == 0 else peers[::-1]
            for sc in scenarios:
                next_query = scenario_queries(ds, sc, args.seed)
                for c in concurrencies:
                    for peer in order:
                        if (peer.name, sc) in skip or (peer.name, sc, c) in once:
                            continue
                        warm_up(peer.url, next_query(10_000_000 + index))
                        cpu0 = process_tree_cpu(peer.proc.pid)
                        cell = asyncio.run(measure(peer.url, next_query, index, c, args.duration, args.max_requests))
                        cell.server_cpu = process_tree_cpu(peer.proc.pid) - cpu0
                        index += args.max_requests
                        raw.setdefault((sc, c, peer.name), []).append(cell)
                        log(f"  run {run + 1} {sc:8s} c={c} {peer.name:18s} {cell.throughput:9.1f} req/s "
                            f"p50 {cell.pct(0.5) * 1000:8.1f} ms  p99 {cell.pct(0.99) * 1000:8.1f} ms  "
                            f"cpu/req {cell.cpu_per_request * 1000:7.2f} ms  err {cell.errors}")
                        if cell.errors:
                            wait_idle(peer)  # abandoned requests may still be computing there
                        if cell.pct(0.5) > SLOW_CELL_S:
                            once.add((peer.name, sc, c))
                        if cell.ok == 0 or cell.elapsed > args.duration + REQUEST_TIMEOUT:
                            skip.add((peer.name, sc))  # hopeless here: do not stall the whole run
        for (sc, c, name), cells in raw.items():
            results[(ds.name, sc, c, name)] = summarise(cells)
    finally:
        for p in peers:
            p.stop()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="hilfenetz /sparql vs oxigraph serve-read-only vs rdflib-endpoint")
    ap.add_argument("--real-store", type=Path, default=None, help="built store to use (default: build into bench/data)")
    ap.add_argument("--synthetic-triples", type=int, default=1_000_000)
    ap.add_argument("--no-synthetic", action="store_true")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--duration", type=float, default=1.0, help="seconds per cell and run")
    ap.add_argument("--max-requests", type=int, default=2000, help="request cap per cell and run")
    ap.add_argument("--peers", default="hilfenetz,hilfenetz-nocache,oxigraph,rdflib")
    ap.add_argument("--scenarios", default="lookup,two_hop,group_by,portal")
    ap.add_argument("--concurrency", default="1,8")
    ap.add_argument("--serve-built-store", action="store_true",
                    help="hilfenetz serves --real-store as built (not reloaded and compacted like the oxigraph peer's)")
    ap.add_argument("--quick", action="store_true", help="1 run of 1 s, real graph only")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    # SIGTERM → SystemExit, so the `finally` blocks stop the peer servers (own process groups)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.quick:
        args.runs, args.duration, args.no_synthetic = 1, 1.0, True
    for tool in ("kg", "oxigraph", "rdflib-endpoint"):
        if shutil.which(tool) is None:
            raise SystemExit(f"`{tool}` not found: pip install -e '.[bench]'")
    peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    DATA_DIR.mkdir(parents=True, exist_ok=True)

    datasets = [prepare_real(args.real_store, args.serve_built_store)]
    if not args.no_synthetic:
        datasets.append(prepare_synthetic(args.synthetic_triples, args.seed))
    results: dict[tuple[str, str, int, str], Summary] = {}
    checks: dict[str, list[str]] = {}
    load_times: dict[str, str] = {}
    started = time.monotonic()
    for ds in datasets:
        run_dataset(ds, peers, scenarios, concurrencies, args, results, checks, load_times)
    text = render(results, datasets, peers, scenarios, concurrencies, args, checks, load_times)
    text += f"\nTotal benchmark time {time.monotonic() - started:.0f} s (`python bench/bench_sparql.py {' '.join(argv or sys.argv[1:])}`).\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    raw = [{"dataset": k[0], "scenario": k[1], "concurrency": k[2], "peer": k[3], **vars(v)} for k, v in results.items()]
    args.out.with_suffix(".json").write_text(json.dumps(raw, indent=1), encoding="utf-8")
    print(text)
    log(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
