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
* samples the RSS of the server process and its worker processes every 5 s.

Prints a JSON summary (requests, errors with examples, p50/p95/p99/max latency per kind, RSS at
start and end) and writes it to `--output` (default bench/results/soak.json).

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
    # catastrophic for backtracking regex engines; Rust's regex is linear, so this one may finish
    "SELECT ?s WHERE { ?s ?p ?o . FILTER(REGEX(STR(?o), '^(a+)+$')) ?s ?q ?r . ?r ?x ?y }",
)


@dataclass
class Stats:
    """Latencies and failures per request kind."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)
    pathological: dict[str, int] = field(default_factory=dict)

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
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    sizes: dict[int, int] = {}
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes[p] = int(line.split()[1])
        except OSError:
            pass
        todo += children.get(p, [])
    return sizes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(store: Path, workers: int, keep_rate_limit: bool, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "HILFENETZ_WRITE_TOKEN"}
    if not keep_rate_limit:
        env["HILFENETZ_RATE_LIMIT"] = "off"
    cmd = [sys.executable, "-m", "kg.server.cli", "serve", "--store", str(store), "--port", str(port), "--no-build",
           "--workers", str(workers), "--log-level", "warning", "--timeout", "10"]
    proc = subprocess.Popen(cmd, stdout=open(log, "wb"), stderr=subprocess.STDOUT, env=env,  # noqa: SIM115 - the child keeps it
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        if proc.poll() is not None:
            raise SystemExit(f"server exited:\n{log.read_text()}")
        try:
            if httpx.get(url + "/ready", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
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


async def client_loop(client: httpx.AsyncClient, mix: list[Any], stats: Stats, stop: float, rng: random.Random) -> None:
    weights = {"named-query": 1.0, "linked-data": 1.0, "search": 1.0}
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
        try:
            r = await client.get("/sparql", params={"query": q, "timeout": "2"})
            key = str(r.status_code)
        except httpx.HTTPError as exc:
            key = type(exc).__name__
        stats.pathological[key] = stats.pathological.get(key, 0) + 1


async def sample_rss(pid: int | None, samples: list[tuple[float, int]], stop: float, t_start: float) -> None:
    while pid is not None and time.monotonic() < stop:
        samples.append((round(time.monotonic() - t_start, 1), rss_kib(pid)))
        await asyncio.sleep(5)


async def soak(url: str, pid: int | None, duration: float, concurrency: int, every: float, seed: int) -> dict[str, Any]:
    mix = request_mix(url)
    stats = Stats()
    rng = random.Random(seed)
    limits = httpx.Limits(max_connections=concurrency + 2, max_keepalive_connections=concurrency + 2)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        # warm-up: every request once (index building, caches), not counted
        for _, path, params, headers in mix:
            await client.get(path, params=params, headers=headers)
        rss_start = rss_kib(pid) if pid else None
        by_process_start = {str(k): v for k, v in rss_by_process(pid).items()} if pid else None
        t_start = time.monotonic()
        stop = t_start + duration
        samples: list[tuple[float, int]] = []
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
        "p99_ms_all": round(percentile(all_lat, 99) * 1000, 1),
        "pathological_answers": stats.pathological,
        "rss_kib_start": rss_start,
        "rss_kib_end": rss_end,
        "rss_kib_by_process_start": by_process_start,
        "rss_kib_by_process_end": by_process_end,
        "rss_kib_samples": samples,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--store", type=Path, default=Path(os.environ.get("HILFENETZ_STORE", ROOT / "var" / "store")))
    p.add_argument("--url", default=None, help="use this running server (127.0.0.1 only) instead of starting one")
    p.add_argument("--duration", type=float, default=600.0, help="seconds of load (default 600)")
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--pathological-every", type=float, default=3.0, metavar="SECONDS")
    p.add_argument("--workers", type=int, default=2, help="query workers of the started server")
    p.add_argument("--rate-limit", action="store_true", help="keep the server's default rate limit")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "soak.json")
    args = p.parse_args(argv)
    proc = None
    if args.url:
        if not args.url.startswith(("http://127.0.0.1", "http://localhost", "http://[::1]")):
            raise SystemExit("--url must point at this machine (127.0.0.1)")
        url, pid = args.url.rstrip("/"), None
    else:
        log = Path(tempfile.gettempdir()) / f"hilfenetz-soak-server-{os.getpid()}.log"
        proc, url = start_server(args.store.resolve(), args.workers, args.rate_limit, log)
        pid = proc.pid
    try:
        result = asyncio.run(soak(url, pid, args.duration, args.concurrency, args.pathological_every, args.seed))
        result["server_alive_at_end"] = proc.poll() is None if proc else None
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    summary = {k: v for k, v in result.items() if k != "rss_kib_samples"}
    print(json.dumps(summary, indent=1, ensure_ascii=False))
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
