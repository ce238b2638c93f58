"""Soak test: many concurrent clients for a long time against a real `kg serve`, with a
pathological query every few seconds. A measurement, not a test (no assertions on times).

Why: the issue asks for zero errors on good requests under sustained load, the p99 latency,
and flat memory. So this script

* starts `kg serve` read-only on a built store (rate limit off: all clients share 127.0.0.1;
  `--rate-limit` keeps the default limits instead) or uses `--url` of a running server,
* runs `--concurrency` clients (default 16) for `--duration` seconds (default 600) that pick
  requests at random from a mix: every named query of /api/queries with its defaults, linked-
  data fetches of entities (HTML, Turtle, JSON-LD), and searches (/api/search),
* sends a pathological query (a triple cartesian product, and a deep regex scan) every
  `--pathological-every` seconds with a 2 s deadline: it must be stopped (503) while the good
  requests keep being served; those answers are counted apart,
* samples the RSS of the server process and its worker processes every 5 s, and reports the main
  process's RSS before the warm-up pass, after `--warmup` seconds of load and at the end, with the
  least-squares slope after warm-up (KiB/min), plus the server's CPU seconds (main, workers).

Prints a JSON summary (requests, errors with examples, p50/p95/p99/max latency per kind, RSS at
start and end) and writes it to `--output` (default bench/results/soak.json); `--markdown FILE`
writes a short summary too.

Debugging aids: `--memory-probe FILE` runs the server with tracemalloc and writes RSS, the traced
Python heap, glibc's mallinfo2 (in use vs. free-but-kept) and object counts every
`--probe-interval` s; `--malloc-arena-max N` / `--server-env NAME=VALUE` change the server's
environment for experiments; `--kinds linked-data,search` leaves kinds out of the mix.

    python bench/soak.py --store var/store                 # 10 minutes, 16 clients
    python bench/soak.py --store var/store --duration 90   # short run
Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
HNID = "https://w3id.org/hilfenetz/id/"
SEARCH_WORDS = ("Jugendamt", "Kinder", "Netzwerk", "Frühe Hilfen", "Prävention", "Sucht", "Köln", "Dortmund",
                "Gesundheitsamt", "Familie", "LVR", "Programm", "Kreis", "Rheinland", "Koordination")
PATHOLOGICAL = (
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
    # a regex per pair of values: 467k squared regex evaluations (Rust's regex is linear, so the
    # classic '^(a+)+$' alone finishes in time; the pairing makes it unbounded)
    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o . ?t ?q ?u FILTER(REGEX(STR(?o), STR(?u))) }",
)


@dataclass
class Stats:
    """Latencies and failures per request kind."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)
    pathological: dict[str, int] = field(default_factory=dict)
    pathological_latencies: list[float] = field(default_factory=list)

    def ok(self, kind: str, seconds: float) -> None:
        self.latencies.setdefault(kind, []).append(seconds)

    def fail(self, kind: str, what: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1
        if len(self.examples) < 20:
            self.examples.append(f"{kind}: {what}")


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def rss_kib(pid: int) -> int:
    """RSS of `pid` and all its descendants in KiB (from /proc)."""
    return sum(rss_by_process(pid).values())


def rss_by_process(pid: int) -> dict[int, int]:
    """RSS in KiB of `pid` and of each of its descendants (the query workers), by PID."""
    from kg.serve.replicas import descendants

    sizes: dict[int, int] = {}
    for p in [pid, *descendants(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes[p] = int(line.split()[1])
        except OSError:
            pass
    return sizes


def cpu_seconds(pid: int) -> dict[int, float]:
    """User + system CPU seconds of `pid` and of each live descendant (from /proc/PID/stat)."""
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[int, float] = {}
    for p in rss_by_process(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            out[p] = (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            pass
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


#: Debug launcher (`--memory-probe FILE`): runs `kg serve` in this interpreter with tracemalloc on and
#: a thread that every INTERVAL s appends one JSON line to FILE: RSS, the traced Python heap, glibc's
#: mallinfo2 (bytes in use vs. free-but-kept: fragmentation), thread count, the most numerous object
#: types, and the top allocation sites grown since the baseline (SIGUSR1 = "warm-up is over").
#: Why: growth outside the Python heap (RSS minus traced) points at native memory (pyoxigraph,
#: RocksDB, malloc arenas); growth inside it names the line that allocates.
MEMORY_PROBE = r"""
import ctypes, gc, json, os, signal, sys, threading, time, tracemalloc
out, interval = sys.argv[1], float(sys.argv[2])
sys.argv = ["kg-serve", *sys.argv[3:]]
tracemalloc.start(5)
mark = threading.Event()
signal.signal(signal.SIGUSR1, lambda *_: mark.set())

class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]

try:
    _libc = ctypes.CDLL("libc.so.6")
    _libc.mallinfo2.restype = MallInfo2
except (OSError, AttributeError):
    _libc = None

def rss():
    out = {}
    for line in open("/proc/self/status"):
        if line.startswith(("VmRSS:", "RssAnon:", "RssFile:")):
            out[line.split(":")[0]] = int(line.split()[1])
    return out

def probe():
    base, t0 = None, time.monotonic()
    while True:
        time.sleep(interval)
        sizes = rss()
        rec = {"t": round(time.monotonic() - t0, 1), "rss_kib": sizes.get("VmRSS"), "anon_kib": sizes.get("RssAnon"),
               "file_kib": sizes.get("RssFile"), "threads": threading.active_count(),
               "traced_kib": tracemalloc.get_traced_memory()[0] // 1024}
        if _libc is not None:
            mi = _libc.mallinfo2()
            rec["malloc"] = {"arena_kib": mi.arena // 1024, "mmap_kib": mi.hblkhd // 1024,
                             "in_use_kib": mi.uordblks // 1024, "free_kib": mi.fordblks // 1024}
        counts = {}
        for o in gc.get_objects():
            n = type(o).__name__
            counts[n] = counts.get(n, 0) + 1
        rec["objects"] = sorted(counts.items(), key=lambda kv: -kv[1])[:12]
        snap = tracemalloc.take_snapshot()
        if mark.is_set() and base is None:
            base, rec["baseline"] = snap, True
        elif base is not None:
            rec["grown"] = [
                {"kib": s.size_diff // 1024, "count": s.count_diff,
                 "where": [f"{f.filename.rsplit('site-packages/', 1)[-1]}:{f.lineno}" for f in s.traceback]}
                for s in snap.compare_to(base, "traceback")[:12] if s.size_diff > 0]
        with open(out, "a") as fh:
            fh.write(json.dumps(rec) + "\n")

threading.Thread(target=probe, name="memory-probe", daemon=True).start()
from kg.cli import main
sys.exit(main())
"""


def start_server(store: Path, workers: int, keep_rate_limit: bool, log: Path, *, timeout: float | None = None,
                 memory_probe: Path | None = None,
                 probe_interval: float = 30.0, extra_env: dict[str, str] | None = None,
                 replicas: str = "1") -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "HILFENETZ_WRITE_TOKEN"}
    env.update(extra_env or {})
    if not keep_rate_limit:
        env["HILFENETZ_RATE_LIMIT"] = "off"
    serve = ["serve", "--store", str(store), "--port", str(port), "--no-build",
             "--workers", str(workers), "--replicas", replicas, "--log-level", "warning"]
    if timeout is not None:
        serve += ["--timeout", f"{timeout:g}"]
    if memory_probe is None:
        cmd = [sys.executable, "-m", "kg.cli", *serve]
    else:
        cmd = [sys.executable, "-c", MEMORY_PROBE, str(memory_probe), str(probe_interval), *serve]
    proc = subprocess.Popen(cmd, stdout=open(log, "wb"), stderr=subprocess.STDOUT, env=env,  # noqa: SIM115 - the child keeps it
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + (600 if memory_probe is not None else 120)  # tracemalloc slows the start
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited:\n{log.read_text()}")
        try:
            if httpx.get(url + "/ready", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    raise SystemExit("server did not come up")


def request_mix(url: str) -> list[tuple[str, str, dict[str, str], dict[str, str]]]:
    """(kind, path, params, headers) of every good request the clients choose from."""
    mix: list[tuple[str, str, dict[str, str], dict[str, str]]] = []
    queries = httpx.get(url + "/api/queries", timeout=60).json().get("queries", [])
    for q in queries:
        name = q.get("name") or q.get("id")
        if name:
            mix.append(("named-query", f"/api/queries/{name}", {}, {"Accept": "application/json"}))
    r = httpx.get(url + "/sparql", timeout=60, headers={"Accept": "application/sparql-results+json"}, params={
        "query": f"SELECT DISTINCT ?s WHERE {{ ?s a ?c FILTER(STRSTARTS(STR(?s), '{HNID}') "
                 f"&& !STRSTARTS(STR(?s), '{HNID}area/')) }} LIMIT 150"})
    entities = [b["s"]["value"][len(HNID):] for b in r.json()["results"]["bindings"]]
    r = httpx.get(url + "/sparql", timeout=60, headers={"Accept": "application/sparql-results+json"}, params={
        "query": "SELECT ?s WHERE { ?s a <https://w3id.org/hilfenetz/ontology#Municipality> } LIMIT 50"})
    entities += [b["s"]["value"][len(HNID):] for b in r.json()["results"]["bindings"]]
    for e in entities:
        for accept in ("text/html", "text/turtle", "application/ld+json"):
            mix.append(("linked-data", f"/id/{e}", {}, {"Accept": accept}))
    for w in SEARCH_WORDS:
        mix.append(("search", "/api/search", {"q": w}, {}))
    return mix


KINDS = ("named-query", "linked-data", "search")


async def client_loop(client: httpx.AsyncClient, mix: list[Any], stats: Stats, stop: float, rng: random.Random) -> None:
    weights = dict.fromkeys(KINDS, 1.0)
    by_kind: dict[str, list[Any]] = {}
    for item in mix:
        by_kind.setdefault(item[0], []).append(item)
    kinds = [k for k in weights if by_kind.get(k)]
    while time.monotonic() < stop:
        kind, path, params, headers = rng.choice(by_kind[rng.choice(kinds)])
        t0 = time.monotonic()
        try:
            r = await client.get(path, params=params, headers=headers)
        except httpx.HTTPError as exc:
            stats.fail(kind, f"{path} {type(exc).__name__}: {exc}")
            continue
        if r.status_code == 200:
            stats.ok(kind, time.monotonic() - t0)
        else:
            stats.fail(kind, f"{path} {headers} -> {r.status_code} {r.text[:120]!r}")


async def pathological_loop(client: httpx.AsyncClient, stats: Stats, stop: float, every: float) -> None:
    i = 0
    while time.monotonic() + every < stop:
        await asyncio.sleep(every)
        q = PATHOLOGICAL[i % len(PATHOLOGICAL)]
        i += 1
        t0 = time.monotonic()
        try:
            r = await client.get("/sparql", params={"query": q, "timeout": "2"})
            key = str(r.status_code)
        except httpx.HTTPError as exc:
            key = type(exc).__name__
        stats.pathological[key] = stats.pathological.get(key, 0) + 1
        stats.pathological_latencies.append(time.monotonic() - t0)


async def sample_rss(pid: int | None, samples: list[tuple[float, int, int]], stop: float, t_start: float) -> None:
    """Every 5 s: (seconds since start, RSS of server + workers, RSS of the server's main process)."""
    while pid is not None and time.monotonic() < stop:
        sizes = rss_by_process(pid)
        samples.append((round(time.monotonic() - t_start, 1), sum(sizes.values()), sizes.get(pid, 0)))
        await asyncio.sleep(5)


def slope_kib_per_min(points: list[tuple[float, int]]) -> float | None:
    """Least-squares slope of (seconds, KiB) in KiB per minute; None below 3 points."""
    if len(points) < 3:
        return None
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return None
    return round(sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx * 60, 1)


def memory_summary(samples: list[tuple[float, int, int]], warmup: float) -> dict[str, Any]:
    """RSS after the load's warm-up period and at the end, and the slope after warm-up (main
    process and total), so "flat" is a number rather than a look at a list."""
    after = [s for s in samples if s[0] >= warmup]
    if not after:
        return {}
    return {
        "warmup_s": warmup,
        "main_kib_after_warmup": after[0][2],
        "main_kib_end": after[-1][2],
        "main_kib_max_after_warmup": max(s[2] for s in after),
        "main_slope_kib_per_min": slope_kib_per_min([(s[0], s[2]) for s in after]),
        "total_kib_after_warmup": after[0][1],
        "total_kib_end": after[-1][1],
        "total_slope_kib_per_min": slope_kib_per_min([(s[0], s[1]) for s in after]),
    }


async def soak(url: str, pid: int | None, duration: float, concurrency: int, every: float, seed: int,
               warmup: float = 60.0, mark_warm: bool = False, kinds: tuple[str, ...] = KINDS) -> dict[str, Any]:
    mix = [item for item in request_mix(url) if item[0] in kinds]
    stats = Stats()
    rng = random.Random(seed)
    limits = httpx.Limits(max_connections=concurrency + 2, max_keepalive_connections=concurrency + 2)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        rss_before = rss_by_process(pid) if pid else {}
        # warm-up pass: every request once (index building, caches), not counted
        t_warm = time.monotonic()
        for _, path, params, headers in mix:
            await client.get(path, params=params, headers=headers)
        warm_pass_s = time.monotonic() - t_warm
        if pid and mark_warm:
            os.kill(pid, signal.SIGUSR1)  # the memory probe's baseline
        rss_start = rss_kib(pid) if pid else None
        by_process_start = {str(k): v for k, v in rss_by_process(pid).items()} if pid else None
        t_start = time.monotonic()
        stop = t_start + duration
        samples: list[tuple[float, int, int]] = []
        await asyncio.gather(
            *(client_loop(client, mix, stats, stop, random.Random(rng.random())) for _ in range(concurrency)),
            pathological_loop(client, stats, stop, every),
            sample_rss(pid, samples, stop, t_start),
        )
        elapsed = time.monotonic() - t_start
        rss_end = rss_kib(pid) if pid else None
        by_process_end = {str(k): v for k, v in rss_by_process(pid).items()} if pid else None
    all_lat = [x for v in stats.latencies.values() for x in v]
    good = len(all_lat)
    return {
        "duration_s": round(elapsed, 1),
        "concurrency": concurrency,
        "distinct_requests_in_mix": len(mix),
        "kinds": list(kinds),
        "warmup_pass_s": round(warm_pass_s, 1),
        "good_requests": good + sum(stats.errors.values()),
        "good_requests_ok": good,
        "errors": sum(stats.errors.values()),
        "errors_by_kind": stats.errors,
        "error_examples": stats.examples,
        "throughput_rps": round(good / elapsed, 1) if elapsed else 0,
        "latency_ms": {
            kind: {"n": len(v), "p50": round(percentile(v, 50) * 1000, 1), "p95": round(percentile(v, 95) * 1000, 1),
                   "p99": round(percentile(v, 99) * 1000, 1), "max": round(max(v) * 1000, 1),
                   "mean": round(statistics.fmean(v) * 1000, 1)}
            for kind, v in sorted(stats.latencies.items()) if v
        },
        "p50_ms_all": round(percentile(all_lat, 50) * 1000, 1),
        "p99_ms_all": round(percentile(all_lat, 99) * 1000, 1),
        "pathological_answers": stats.pathological,
        "pathological_latency_ms": {
            "p50": round(percentile(stats.pathological_latencies, 50) * 1000, 1),
            "max": round(max(stats.pathological_latencies, default=0.0) * 1000, 1),
        },
        "main_kib_before_warmup_pass": rss_before.get(pid) if pid else None,
        "rss_kib_start": rss_start,
        "rss_kib_end": rss_end,
        "rss_kib_by_process_start": by_process_start,
        "rss_kib_by_process_end": by_process_end,
        "memory": memory_summary(samples, warmup),
        "rss_kib_samples_columns": ["seconds", "total_kib", "main_kib"],
        "rss_kib_samples": samples,
    }


def render_markdown(r: dict[str, Any]) -> str:
    """A short human summary of one run (bench/results/soak.md), every figure taken from `r`."""
    m = r.get("memory") or {}
    mach = r.get("machine") or {}
    cpu = r.get("server_cpu_s") or {}

    server = r.get("server") or {}
    timeout = server.get("timeout_s")
    deadline = f"{timeout:g} s" if isinstance(timeout, (int, float)) else "kg serve's default (30 s)"
    described = {"named-query": "every named query", "linked-data": "linked-data fetches as HTML/Turtle/JSON-LD",
                 "search": "searches"}
    mix_text = ", ".join(described[k] for k in r.get("kinds", KINDS))

    def mib(kib: int | None) -> str:
        return "–" if kib is None else f"{kib / 1024:.0f} MiB"

    replicas = server.get("replicas")
    group = replicas not in (None, "1")
    lines = [
        "# Soak test (bench/soak.py)",
        "",
        (f"{r['duration_s']:.0f} s of load, concurrency {r['concurrency']}, {r['distinct_requests_in_mix']} distinct "
        f"good requests ({mix_text}), a pathological "
        f"query every few seconds with a 2 s deadline; server: {server.get('workers')} query workers"
        + (f" per server process, `--replicas {replicas}` (below, *main process* is the supervisor; the "
           "replicas and their workers are in *server + workers* and in the workers' CPU)" if group else "")
        + f", deadline {deadline}. Machine: {mach.get('cpus')} CPUs shared with other jobs, "
        f"load average {mach.get('loadavg_start', ['?'])[0]} at the start and {mach.get('loadavg_end', ['?'])[0]} "
        "at the end (1-minute values): latencies are wall-clock on a busy machine; compare ratios, not absolutes."),
        "",
        (f"**Good requests: {r['good_requests']}, errors: {r['errors']}**; "
         f"throughput {r['throughput_rps']} requests/s; "
        f"p50 {r.get('p50_ms_all', '–')} ms, p99 {r['p99_ms_all']} ms over all kinds."),
        "",
        "| kind | n | p50 ms | p95 ms | p99 ms | max ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for kind, v in r["latency_ms"].items():
        lines.append(f"| {kind} | {v['n']} | {v['p50']} | {v['p95']} | {v['p99']} | {v['max']} |")
    patho = ", ".join(f"{k}: {v}" for k, v in sorted(r["pathological_answers"].items())) or "none"
    lines += [
        "",
        (f"Pathological queries: {patho} (503 = stopped at the deadline); answer time p50 "
        f"{r.get('pathological_latency_ms', {}).get('p50', '–')} ms, max "
        f"{r.get('pathological_latency_ms', {}).get('max', '–')} ms."),
        "",
        "Memory (RSS):",
        "",
        (f"- main process before the warm-up pass: {mib(r.get('main_kib_before_warmup_pass'))}; "
        f"server + workers at the start of the load: {mib(r.get('rss_kib_start'))}, at the end: "
        f"{mib(r.get('rss_kib_end'))}"),
    ]
    if m:
        lines += [
            (f"- main process after {m['warmup_s']:.0f} s of load (warm-up): {mib(m['main_kib_after_warmup'])}, "
            f"at the end: {mib(m['main_kib_end'])}, highest after warm-up: {mib(m['main_kib_max_after_warmup'])}; "
            f"slope after warm-up {m['main_slope_kib_per_min']} KiB/min"),
            (f"- server + workers after warm-up: {mib(m['total_kib_after_warmup'])}, at the end: "
            f"{mib(m['total_kib_end'])}; slope {m['total_slope_kib_per_min']} KiB/min"),
        ]
    if cpu:
        lines += ["", (f"Server CPU: main process {cpu['main_process']} s "
                       f"({cpu['main_ms_per_good_request']} ms per good request), query workers {cpu['workers']} s.")]
    lines += ["", "Raw figures and the RSS samples (every 5 s): soak.json.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--store", type=Path, default=Path(os.environ.get("HILFENETZ_STORE", ROOT / "var" / "store")))
    p.add_argument("--url", default=None, help="use this running server (127.0.0.1 only) instead of starting one")
    p.add_argument("--duration", type=float, default=600.0, help="seconds of load (default 600)")
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--pathological-every", type=float, default=3.0, metavar="SECONDS")
    p.add_argument("--workers", type=int, default=2, help="query workers of the started server")
    p.add_argument("--replicas", default="1",
                   help="server processes of the started server (default 1: the soak reports one server "
                        "process's memory; `auto` is kg serve's own default, then 'main' is the supervisor)")
    p.add_argument("--rate-limit", action="store_true", help="keep the server's default rate limit")
    p.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                   help="query deadline of the started server (default: kg serve's own, 30 s); the pathological "
                        "queries ask for 2 s themselves")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "soak.json")
    p.add_argument("--warmup", type=float, default=60.0, metavar="SECONDS",
                   help="first seconds of load left out of the memory slope (allocator and caches settle)")
    p.add_argument("--pid", type=int, default=None, help="with --url: the server's PID, for RSS and CPU samples")
    p.add_argument("--memory-probe", type=Path, default=None, metavar="FILE",
                   help="debug run: tracemalloc + malloc statistics of the server, JSON lines into FILE")
    p.add_argument("--probe-interval", type=float, default=30.0, metavar="SECONDS")
    p.add_argument("--malloc-arena-max", type=int, default=None, metavar="N",
                   help="experiment: MALLOC_ARENA_MAX for the started server (glibc arenas)")
    p.add_argument("--kinds", default=",".join(KINDS),
                   help="comma-separated kinds of good requests in the mix (default: all three)")
    p.add_argument("--markdown", type=Path, default=None, metavar="FILE",
                   help="also write a short Markdown summary (bench/results/soak.md for the published run)")
    p.add_argument("--server-env", action="append", default=[], metavar="NAME=VALUE",
                   help="environment of the started server, e.g. HILFENETZ_MALLOC_TRIM_SECONDS=0 (repeatable)")
    args = p.parse_args(argv)
    kinds = tuple(k.strip() for k in args.kinds.split(",") if k.strip())
    if not kinds or set(kinds) - set(KINDS):
        raise SystemExit(f"--kinds: choose from {', '.join(KINDS)}")
    proc = None
    if args.url:
        if not args.url.startswith(("http://127.0.0.1", "http://localhost", "http://[::1]")):
            raise SystemExit("--url must point at this machine (127.0.0.1)")
        url, pid = args.url.rstrip("/"), args.pid
    else:
        log = Path(tempfile.gettempdir()) / f"hilfenetz-soak-server-{os.getpid()}.log"
        extra = {"MALLOC_ARENA_MAX": str(args.malloc_arena_max)} if args.malloc_arena_max else {}
        for item in args.server_env:
            name, sep, value = item.partition("=")
            if not sep or not name:
                raise SystemExit(f"--server-env wants NAME=VALUE, not {item!r}")
            extra[name] = value
        proc, url = start_server(args.store.resolve(), args.workers, args.rate_limit, log, timeout=args.timeout,
                                 memory_probe=args.memory_probe, probe_interval=args.probe_interval, extra_env=extra,
                                 replicas=args.replicas)
        pid = proc.pid
    try:
        load_start = os.getloadavg()
        cpu_start = cpu_seconds(pid) if pid else {}
        result = asyncio.run(soak(url, pid, args.duration, args.concurrency, args.pathological_every, args.seed,
                                  warmup=args.warmup, mark_warm=args.memory_probe is not None, kinds=kinds))
        cpu_end = cpu_seconds(pid) if pid else {}
        result["server_alive_at_end"] = proc.poll() is None if proc else None
        result["machine"] = {"cpus": os.cpu_count(), "loadavg_start": [round(x, 2) for x in load_start],
                             "loadavg_end": [round(x, 2) for x in os.getloadavg()],
                             "malloc_arena_max": args.malloc_arena_max, "memory_probe": args.memory_probe is not None,
                             "server_env": args.server_env}
        result["server"] = {"workers": args.workers if proc else None, "replicas": args.replicas if proc else None,
                            "timeout_s": (args.timeout if args.timeout is not None
                                          else ("kg serve default" if proc else None))}
        if pid:
            main_cpu = cpu_end.get(pid, 0.0) - cpu_start.get(pid, 0.0)
            workers_cpu = sum(v for k, v in cpu_end.items() if k != pid) - sum(
                v for k, v in cpu_start.items() if k != pid)
            n = result["good_requests_ok"]
            result["server_cpu_s"] = {
                "main_process": round(main_cpu, 1), "workers": round(workers_cpu, 1),
                "main_ms_per_good_request": round(main_cpu / n * 1000, 1) if n else None,
                "note": "warm-up pass and load; workers that were replaced (killed at the deadline) are not counted",
            }
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    if args.markdown is not None:
        args.markdown.write_text(render_markdown(result))
    summary = {k: v for k, v in result.items() if k != "rss_kib_samples"}
    print(json.dumps(summary, indent=1, ensure_ascii=False))
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
