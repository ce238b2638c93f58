"""Horizontal read scaling: throughput and latency of 1 vs 2 server processes over one store.

Not part of the test suite; run by hand (about 6 minutes for (a), twice that with (b)):

    python bench/bench_scaleout.py --store var/store            # (a) embedded read-only replicas
    python bench/bench_scaleout.py --store var/store --remote   # + (b) API processes in front of
                                                                #   `oxigraph serve-read-only`

What it measures, per configuration (same store, same queries):
* `embedded`: `python -m kg.serve.replicas STORE PORT N` (= `kg serve --replicas N`), N = 1 and 2,
  each replica with its default 2 query workers, rate limit off (every client is 127.0.0.1);
* `remote` (with --remote, if kg.store.remote exists): the same supervisor with `store_url` set to
  one `oxigraph serve-read-only` over an N-Quads export of the same store; N = 1 and 2 stateless
  API processes in front of it.

Scenarios (queries from bench_sparql.py, so the figures compare with bench/results/sparql.md):
`lookup` (all triples of one municipality, rotating), `two_hop` (municipalities of the Kreise of
a region, rotating), `group_by` (count and population per Kreis; an aggregate) with the answer
cache OFF (query-bound), and `portal` (90 % five popular requests, 10 % rotating lookups) with
the answer cache ON. Concurrency 8 and 16, closed loop, keep-alive connections.

Load generator: `wrk` (C, epoll, one thread; a Lua script rotates the request paths and counts the
`X-Hilfenetz-Replica` header of every answer, so the split between replicas is measured). On
this 2-core machine it shares the cores with the servers; its own CPU time is measured per cell
(getrusage of the child) and reported, as are the servers' CPU time (every process of the tree,
from /proc) and the whole machine's busy time (/proc/stat), so CPU taken by other jobs on the
machine is visible. Without wrk a Python client (httpx, asyncio; bench_sparql.measure) is used,
which costs far more CPU per request; the report says which one ran.

Each cell: a 2 s warm-up, then `--duration` seconds, then a wait until the servers are idle again;
`--runs` runs with the configurations interleaved (order reversed every other run); medians over runs. Results:
bench/results/scaleout.json (every run) and bench/results/scaleout.md (medians, ratios 2 ÷ 1).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
DATA_DIR = BENCH_DIR / "data"
RESULTS = BENCH_DIR / "results" / "scaleout"
sys.path.insert(0, str(BENCH_DIR))

import bench_sparql as bs  # the same queries and parameter pools as the SPARQL benchmark

ACCEPT = "application/sparql-results+json"
# the oxigraph CLI is installed into the virtualenv next to this interpreter
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
CLK_TCK = os.sysconf("SC_CLK_TCK")
QUERY_BOUND = ("lookup", "two_hop", "group_by")  # answer cache off
CACHED = ("portal",)  # answer cache on

#: bench_sparql's path rotation, counting the answering replica (X-Hilfenetz-Replica)
LUA = bs.LUA_ROTATE + r"""
counts = {}

response = function(status, headers, body)
  local r = headers["x-hilfenetz-replica"] or headers["X-Hilfenetz-Replica"] or "none"
  if status ~= 200 then r = "status" .. status end
  counts[r] = (counts[r] or 0) + 1
end

done = function(summary, latency, requests)
  local agg = {}
  for _, t in ipairs(threads) do
    local c = t:get("counts")
    if c then
      for k, v in pairs(c) do agg[k] = (agg[k] or 0) + v end
    end
  end
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d %d %d %d\n", summary.requests, summary.duration,
    e.connect, e.read, e.write, e.status, e.timeout, latency:percentile(50), latency:percentile(99)))
  for k, v in pairs(agg) do io.write(string.format("REPLICA %s %d\n", k, v)) end
end
"""


def log(msg: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {msg}", flush=True)


# --------------------------------------------------------------------------- CPU accounting


def _proc_children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(entry.name))
    return kids


def tree_cpu(pid: int) -> float:
    """CPU seconds of `pid` and every living descendant, including reaped children (cutime,
    cstime): a query worker killed at a client disconnect and joined by its replica still counts."""
    kids = _proc_children()
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(x) for x in fields[11:15]) / CLK_TCK  # utime, stime, cutime, cstime
        except (OSError, IndexError, ValueError):
            pass
        todo.extend(kids.get(p, []))
    return total


def loop_cpu(pid: int) -> dict[int, float]:
    """Own CPU seconds (without children) of each replica process (the supervisor's spawned
    children): the event loop that parses HTTP, negotiates, caches and serialises."""
    out: dict[int, float] = {}
    for child in _proc_children().get(pid, []):
        try:
            if b"spawn_main" not in Path(f"/proc/{child}/cmdline").read_bytes():
                continue  # multiprocessing's resource tracker
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
            out[child] = (int(fields[11]) + int(fields[12])) / CLK_TCK
        except (OSError, IndexError, ValueError):
            continue
    return out


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot (/proc/stat)."""
    parts = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = parts[3] + (parts[4] if len(parts) > 4 else 0)
    total = sum(parts[:8])
    return (total - idle) / CLK_TCK, total / CLK_TCK


def children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


# --------------------------------------------------------------------------- servers


@dataclass
class Server:
    name: str  # e.g. embedded-nocache-2
    backend: str  # embedded | remote
    cache: bool
    replicas: int
    url: str
    proc: subprocess.Popen[bytes]
    log_path: Path
    accept: str = "reuseport"
    store_pid: int | None = None  # (b): the oxigraph server, shared by every remote configuration

    @property
    def config(self) -> str:
        """'1', '2' (SO_REUSEPORT, the default) or '2-shared' (one shared listening socket)."""
        return f"{self.replicas}" + ("-shared" if self.accept == "shared" else "")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def start_server(backend: str, cache: bool, replicas: int, store: Path, store_url: str | None,
                 workers: int, accept: str = "reuseport") -> Server:
    port = bs.free_port()
    name = f"{backend}-{'cache' if cache else 'nocache'}-{replicas}" + ("-shared" if accept == "shared" else "")
    log_path = DATA_DIR / f"scaleout-{name}.log"
    cmd = [sys.executable, "-m", "kg.serve.replicas", str(store), str(port), str(replicas),
           "--project", str(ROOT), "--workers", str(workers), "--rate-limit", "0", "--timeout", "30",
           "--log-level", "warning", "--accept", accept]
    if not cache:
        cmd.append("--no-cache")
    if store_url:
        cmd += ["--store-url", store_url]
    env = {k: v for k, v in os.environ.items() if k != "HILFENETZ_WRITE_TOKEN"}
    with log_path.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=env, start_new_session=True)
    return Server(name, backend, cache, replicas, f"http://127.0.0.1:{port}", proc, log_path, accept)


def wait_ready(servers: list[Server], limit: float = 300) -> None:
    start = time.monotonic()
    pending = list(servers)
    while pending:
        for s in list(pending):
            if s.proc.poll() is not None:
                raise SystemExit(f"{s.name} exited:\n{s.log_path.read_text()[-3000:]}")
            text = s.log_path.read_text(errors="replace")
            if f"{s.replicas} replicas serving" in text:
                pending.remove(s)
                log(f"  {s.name} ready after {time.monotonic() - start:.0f} s")
        if time.monotonic() - start > limit:
            raise SystemExit(f"not ready: {[s.name for s in pending]}")
        time.sleep(0.3)


def start_oxigraph(store: Path) -> tuple[subprocess.Popen[bytes], str, Path]:
    """`oxigraph serve-read-only` over an N-Quads export of `store` (the remote store of (b)),
    with its default graph left the real default graph, as kg.store.remote requires."""
    nq = DATA_DIR / "scaleout-real.nq"
    ox_store = DATA_DIR / "scaleout-oxigraph"
    bs.export_nquads(store, nq)
    bs.load_oxigraph_cli(nq, ox_store)  # replaces an older copy
    bs.optimize_oxigraph_cli(ox_store)
    port = bs.free_port()
    log_path = DATA_DIR / "scaleout-oxigraph.log"
    with log_path.open("wb") as out:
        proc = subprocess.Popen(
            ["oxigraph", "serve-read-only", "--location", str(ox_store), "--bind", f"127.0.0.1:{port}",
             "--timeout-s", "30"],  # real default graph: kg.store.remote names the union itself
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/query"
    for _ in range(600):
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, params={"query": "ASK {}"}, timeout=2).status_code == 200:
                return proc, url, log_path
        if proc.poll() is not None:
            raise SystemExit(f"oxigraph exited:\n{log_path.read_text()}")
        time.sleep(0.2)
    raise SystemExit("oxigraph did not come up")


# --------------------------------------------------------------------------- load


@dataclass
class Cell:
    server: str
    backend: str
    cache: bool
    replicas: int
    config: str
    scenario: str
    concurrency: int
    run: int
    requests: int = 0
    seconds: float = 0.0
    errors: int = 0
    p50_ms: float = float("nan")
    p99_ms: float = float("nan")
    server_cpu_s: float = 0.0
    store_cpu_s: float = 0.0  # (b): CPU of the oxigraph server during the cell
    loop_cpu_s: float = 0.0  # replica processes' own CPU (event loops), all replicas
    loop_max_s: float = 0.0  # the busiest replica's own CPU
    client_cpu_s: float = 0.0
    machine_busy_s: float = 0.0
    machine_total_s: float = 0.0
    split: dict[str, int] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def paths_file(ds: bs.Dataset, scenario: str, seed: int, tmp: Path, count: int = 5000) -> Path:
    """Request paths of a scenario, one per line (the same for every configuration)."""
    q = bs.scenario_queries(ds, scenario, seed)
    path = tmp / f"{scenario}.paths"
    path.write_text("".join("/sparql?" + urllib.parse.urlencode({"query": q(i)}) + "\n" for i in range(count)))
    return path


def run_wrk(url: str, paths: Path, script: Path, concurrency: int, duration: float, offset: int,
            pin: str | None) -> tuple[dict[str, Any], float]:
    cmd = ["wrk", "-t1", f"-c{concurrency}", f"-d{duration:g}s", "--timeout", "30s", "-s", str(script),
           url, "--", str(paths), str(offset)]
    if pin:
        cmd = ["taskset", "-c", pin, *cmd]
    before = children_cpu()
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 120, check=True).stdout
    cpu = children_cpu() - before
    res: dict[str, Any] = {"split": {}}
    for line in out.splitlines():
        parts = line.split()
        if parts[:1] == ["RESULT"]:
            req, dur, c_err, r_err, w_err, s_err, t_err, p50, p99 = (int(x) for x in parts[1:])
            res.update(requests=req - s_err, seconds=dur / 1e6, errors=c_err + r_err + w_err + s_err + t_err,
                       p50_ms=p50 / 1000, p99_ms=p99 / 1000)
        elif parts[:1] == ["REPLICA"]:
            res["split"][parts[1]] = int(parts[2])
    if "requests" not in res:
        raise RuntimeError(f"wrk gave no result:\n{out}")
    return res, cpu


def run_python(url: str, paths: Path, concurrency: int, duration: float, offset: int) -> tuple[dict[str, Any], float]:
    """Fallback load generator (httpx, asyncio) in this process; its CPU is this process's."""
    lines = paths.read_text().splitlines()
    queries = [urllib.parse.parse_qs(line.split("?", 1)[1])["query"][0] for line in lines]
    t0 = time.process_time()
    cell = asyncio.run(bs.measure(url + "/sparql", lambda i: queries[i % len(queries)], offset, concurrency,
                                  duration, 10_000_000))
    cpu = time.process_time() - t0
    return {"requests": cell.ok, "seconds": cell.elapsed, "errors": cell.errors, "p50_ms": cell.pct(0.5) * 1000,
            "p99_ms": cell.pct(0.99) * 1000, "split": {}}, cpu


def settle(server: Server, limit: float = 60.0) -> float:
    """Wait until the server tree is idle (< 0.1 core over 0.5 s); returns the seconds waited.

    Why: wrk closes its connections at the end of a run, so queries still in flight are
    abandoned; the server stops them by killing their query workers and spawns new ones. That
    clean-up must not be billed to the next cell. In (b) the remote oxigraph server goes on
    evaluating the abandoned queries (HTTP cannot cancel them; its own timeout is 30 s), so it
    must be idle too."""
    start = time.monotonic()
    pids = [server.proc.pid] + ([server.store_pid] if server.store_pid else [])
    prev = [tree_cpu(p) for p in pids]
    while time.monotonic() - start < limit:
        time.sleep(0.5)
        cur = [tree_cpu(p) for p in pids]
        if all(c - p < 0.05 for c, p in zip(cur, prev, strict=True)):
            break
        prev = cur
    return time.monotonic() - start


def prewarm_cache(server: Server, paths: Path) -> None:
    """Fill every replica's answer cache with the popular requests of the portal mix: each one
    several times on fresh connections (which the kernel spreads over the replicas), waiting
    as long as the answer takes (a wrk warm-up would cut slow first answers off)."""
    lines = paths.read_text().splitlines()[:2000]
    popular = sorted(set(lines), key=lines.count, reverse=True)[:5]
    for path in popular:
        for _ in range(3 * server.replicas + 1):
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(server.url + path, headers={"Accept": ACCEPT, "Connection": "close"}, timeout=120)


def measure_cell(server: Server, scenario: str, concurrency: int, run: int, paths: Path, script: Path,
                 args: argparse.Namespace, offset: int) -> Cell:
    use_wrk = not args.python_client
    # warm-up (connections, first queries, the answer cache of every replica in the cached mix)
    if use_wrk:
        run_wrk(server.url, paths, script, concurrency, args.warmup, offset + 2_000_000, args.pin_client)
    else:
        run_python(server.url, paths, concurrency, args.warmup, offset + 2_000_000)
    settle(server)
    cell = Cell(server.name, server.backend, server.cache, server.replicas, server.config, scenario, concurrency, run)
    x0 = tree_cpu(server.store_pid) if server.store_pid else 0.0
    s0, (b0, t0), l0 = tree_cpu(server.proc.pid), machine_cpu(), loop_cpu(server.proc.pid)
    if use_wrk:
        res, client = run_wrk(server.url, paths, script, concurrency, args.duration, offset, args.pin_client)
    else:
        res, client = run_python(server.url, paths, concurrency, args.duration, offset)
    s1, (b1, t1), l1 = tree_cpu(server.proc.pid), machine_cpu(), loop_cpu(server.proc.pid)
    cell.store_cpu_s = (tree_cpu(server.store_pid) - x0) if server.store_pid else 0.0
    loops = [l1[p] - l0[p] for p in l1 if p in l0]
    cell.loop_cpu_s, cell.loop_max_s = sum(loops), max(loops, default=0.0)
    cell.requests, cell.seconds, cell.errors = res["requests"], res["seconds"], res["errors"]
    cell.p50_ms, cell.p99_ms, cell.split = res["p50_ms"], res["p99_ms"], res["split"]
    cell.server_cpu_s, cell.client_cpu_s = s1 - s0, client
    cell.machine_busy_s, cell.machine_total_s = b1 - b0, t1 - t0
    settle(server)
    return cell


def row_count(url: str, query: str) -> int | str:
    try:
        r = httpx.get(url + "/sparql", params={"query": query}, headers={"Accept": ACCEPT}, timeout=60)
    except httpx.HTTPError as exc:
        return f"error: {type(exc).__name__}"
    return len(r.json()["results"]["bindings"]) if r.status_code == 200 else f"HTTP {r.status_code}"


# --------------------------------------------------------------------------- report


def _median(xs: list[float]) -> float:
    xs = [x for x in xs if not math.isnan(x)]
    return statistics.median(xs) if xs else float("nan")


def summarise(cells: list[Cell]) -> dict[str, Any]:
    ok = [c for c in cells if c.requests]
    if not ok:
        return {"runs": len(cells), "rps": 0.0}
    split_total: dict[str, int] = {}
    for c in ok:
        for k, v in c.split.items():
            split_total[k] = split_total.get(k, 0) + v
    n = sum(split_total.values()) or 1
    return {
        "runs": len(cells),
        "rps": _median([c.rps for c in ok]),
        "p50_ms": _median([c.p50_ms for c in ok]),
        "p99_ms": _median([c.p99_ms for c in ok]),
        "errors": sum(c.errors for c in cells),
        "server_cpu_ms_per_req": _median([1000 * c.server_cpu_s / c.requests for c in ok]),
        "server_cores": _median([c.server_cpu_s / c.seconds for c in ok]),
        "loop_cpu_ms_per_req": _median([1000 * c.loop_cpu_s / c.requests for c in ok]),
        "busiest_loop_cores": _median([c.loop_max_s / c.seconds for c in ok]),
        "client_cores": _median([c.client_cpu_s / c.seconds for c in ok]),
        "machine_busy": _median([c.machine_busy_s / c.machine_total_s for c in ok if c.machine_total_s]),
        "other_cores": _median([max(0.0, c.machine_busy_s - c.server_cpu_s - c.store_cpu_s - c.client_cpu_s) / c.seconds
                                for c in ok]),
        "store_cpu_ms_per_req": _median([1000 * c.store_cpu_s / c.requests for c in ok]),
        "store_cores": _median([c.store_cpu_s / c.seconds for c in ok]),
        "split": {k: round(v / n, 3) for k, v in sorted(split_total.items())},
        # per cell: the share of the answers given by the busiest replica (0.5 = even over 2)
        "busiest_share": _median([max(c.split.values()) / sum(c.split.values()) for c in ok if c.split]),
    }


def fmt(x: float, digits: int = 1) -> str:
    return "–" if math.isnan(x) else f"{x:,.{digits}f}"


def ceilings(a: dict[str, Any], b: dict[str, Any], workers: int, cores: int) -> tuple[float, float]:
    """CPU-bound ceilings (req/s) of 1 and 2 replicas on an otherwise idle machine with `cores`
    cores, from the measured CPU per request: every event loop is one thread (≤ 1 core), every
    replica has `workers` query workers (≤ `workers` cores), the machine has `cores` cores."""
    out = []
    for n, m in ((1, a), (2, b)):
        loop, total = m.get("loop_cpu_ms_per_req", math.nan), m.get("server_cpu_ms_per_req", math.nan)
        work = max(total - loop, 1e-9)
        out.append(min(n * 1000 / max(loop, 1e-9), n * workers * 1000 / work, cores * 1000 / max(total, 1e-9)))
    return out[0], out[1]


def render(summary: dict[tuple[str, str, int, int], dict[str, Any]], meta: dict[str, Any]) -> str:
    out = ["# Horizontal read scaling: 1 vs 2 server processes", ""]
    out.append(meta["intro"])
    out.append("")
    for backend in meta["backends"]:
        out.append(f"## ({'a' if backend == 'embedded' else 'b'}) {meta['backend_label'][backend]}")
        out.append("")
        out.append("Measured throughput and latency (medians over runs; p50/p99 in ms):")
        out.append("")
        shared = any(k[0] == backend and k[3] == "2-shared" for k in summary)
        head = ("| scenario | cache | c | 1 proc req/s | p50 | p99 | 2 procs req/s | p50 | p99 | **2 ÷ 1** | "
                "busiest replica's share | errors |")
        if shared:
            head += " 2 procs, shared socket: req/s | ÷ 1 | busiest replica's share |"
        out.append(head)
        out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
                   + ("---:|---:|---:|" if shared else ""))
        rows = []
        for sc in meta["scenarios"]:
            for c in meta["concurrency"]:
                a = summary.get((backend, sc, c, "1"))
                b = summary.get((backend, sc, c, "2"))
                sh = summary.get((backend, sc, c, "2-shared"))
                if not a or not b or not a.get("requests_ok", True):
                    continue
                rows.append((sc, c, a, b))
                ratio = b["rps"] / a["rps"] if a.get("rps") else float("nan")
                line = (
                    f"| {sc} | {'on' if sc in CACHED else 'off'} | {c} | {fmt(a['rps'])} | "
                    f"{fmt(a.get('p50_ms', math.nan))} | "
                    f"{fmt(a.get('p99_ms', math.nan))} | {fmt(b['rps'])} | {fmt(b.get('p50_ms', math.nan))} | "
                    f"{fmt(b.get('p99_ms', math.nan))} | **{ratio:.2f}×** | "
                    f"{fmt(100 * b.get('busiest_share', math.nan), 0)} % | "
                    f"{a.get('errors', 0)} / {b.get('errors', 0)} |")
                if shared:
                    if sh and a.get("rps"):
                        line += (f" {fmt(sh['rps'])} | {sh['rps'] / a['rps']:.2f}× | "
                                 f"{fmt(100 * sh.get('busiest_share', math.nan), 0)} % |")
                    else:
                        line += " – | – | – |"
                out.append(line)
        out.append("")
        out.append("Where the CPU went (1 proc → 2 procs; medians). *loop* = the replica processes' own CPU "
                   "(event loop: HTTP, negotiation, cache, serialisation of cached answers), *all* = the whole "
                   "server tree including query workers; *busiest loop* = the CPU share of the busiest replica "
                   "process (1.0 = one core, the ceiling of one event loop); *load gen* and *other jobs* in cores:")
        out.append("")
        remote = backend == "remote"
        out.append("| scenario | c | all ms/req | loop ms/req | server cores | busiest loop | load gen | other jobs | "
                   + ("oxigraph ms/req | oxigraph cores |" if remote else
                      f"ceiling 1 → 2 procs, {meta['cpu_count']} idle cores | ceiling 1 → 2 procs, 4 idle cores |"))
        out.append("|---|---:|---|---|---|---|---|---|---|---|")
        for sc, c, a, b in rows:
            if remote:
                out.append(
                    f"| {sc} | {c} | {fmt(a.get('server_cpu_ms_per_req', math.nan), 2)} → "
                    f"{fmt(b.get('server_cpu_ms_per_req', math.nan), 2)} | "
                    f"{fmt(a.get('loop_cpu_ms_per_req', math.nan), 2)} → "
                    f"{fmt(b.get('loop_cpu_ms_per_req', math.nan), 2)} | "
                    f"{fmt(a.get('server_cores', math.nan), 2)} → {fmt(b.get('server_cores', math.nan), 2)} | "
                    f"{fmt(a.get('busiest_loop_cores', math.nan), 2)} → "
                    f"{fmt(b.get('busiest_loop_cores', math.nan), 2)} | "
                    f"{fmt(a.get('client_cores', math.nan), 2)} / {fmt(b.get('client_cores', math.nan), 2)} | "
                    f"{fmt(a.get('other_cores', math.nan), 2)} / {fmt(b.get('other_cores', math.nan), 2)} | "
                    f"{fmt(a.get('store_cpu_ms_per_req', math.nan), 2)} → "
                    f"{fmt(b.get('store_cpu_ms_per_req', math.nan), 2)} | "
                    f"{fmt(a.get('store_cores', math.nan), 2)} → {fmt(b.get('store_cores', math.nan), 2)} |")
                continue
            c1, c2 = ceilings(a, b, meta["workers"], meta["cpu_count"])
            d1, d2 = ceilings(a, b, meta["workers"], 4)
            out.append(
                f"| {sc} | {c} | {fmt(a.get('server_cpu_ms_per_req', math.nan), 2)} → "
                f"{fmt(b.get('server_cpu_ms_per_req', math.nan), 2)} | "
                f"{fmt(a.get('loop_cpu_ms_per_req', math.nan), 2)} → "
                f"{fmt(b.get('loop_cpu_ms_per_req', math.nan), 2)} | "
                f"{fmt(a.get('server_cores', math.nan), 2)} → {fmt(b.get('server_cores', math.nan), 2)} | "
                f"{fmt(a.get('busiest_loop_cores', math.nan), 2)} → {fmt(b.get('busiest_loop_cores', math.nan), 2)} | "
                f"{fmt(a.get('client_cores', math.nan), 2)} / {fmt(b.get('client_cores', math.nan), 2)} | "
                f"{fmt(a.get('other_cores', math.nan), 2)} / {fmt(b.get('other_cores', math.nan), 2)} | "
                f"{fmt(c1, 0)} → {fmt(c2, 0)} ({c2 / c1:.2f}×) | {fmt(d1, 0)} → {fmt(d2, 0)} ({d2 / d1:.2f}×) |")
        out.append("")
        if remote:
            out.append("*oxigraph* = CPU of the one `oxigraph serve-read-only` process that answers every query of "
                       "the API processes (it also answers their version polls, one per replica every 5 s).")
            out.append("")
            continue
        out.append("The ceilings are not measured throughput: they are what the measured CPU per request allows "
                   "on a machine with nothing else running (each event loop ≤ 1 core, the query workers of a "
                   f"replica ≤ {meta['workers']} cores, all processes together ≤ the cores).")
        out.append("")
    out.extend(meta["notes"])
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="1 vs 2 server processes over one store (kg serve --replicas)")
    ap.add_argument("--store", type=Path, default=ROOT / "var" / "store", help="built store (default var/store)")
    ap.add_argument("--remote", action="store_true",
                    help="also (b): API processes in front of oxigraph serve-read-only")
    ap.add_argument("--only-remote", action="store_true", help="measure (b) only")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--duration", type=float, default=4.0, help="seconds per cell and run")
    ap.add_argument("--warmup", type=float, default=2.0, help="seconds of load before each cell (not measured)")
    ap.add_argument("--concurrency", default="8,16")
    ap.add_argument("--scenarios", default="lookup,two_hop,group_by,portal")
    ap.add_argument("--workers", type=int, default=2, help="query workers per replica (kg serve default 2)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--pin-client", default=None, metavar="CPUS", help="taskset CPU list for wrk (default: not pinned)")
    ap.add_argument("--python-client", action="store_true", help="use the Python load generator even if wrk exists")
    ap.add_argument("--no-copy", action="store_true", help="serve --store itself, not a copy in bench/data")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--shared-too", action="store_true",
                    help="(a) also with 2 replicas on one shared listening socket instead of SO_REUSEPORT")
    ap.add_argument("--render-only", action="store_true", help="rewrite the .md from the .json of an earlier run")
    args = ap.parse_args(argv)
    if args.render_only:
        saved = json.loads(args.out.with_suffix(".json").read_text(encoding="utf-8"))
        summary = {(r["backend"], r["scenario"], r["concurrency"], r["config"]): r for r in saved["summary"]}
        args.out.with_suffix(".md").write_text(render(summary, saved["meta"]["render"]), encoding="utf-8")
        return 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not args.python_client and shutil.which("wrk") is None:
        log("wrk not found (apt-get install wrk): using the Python load generator")
        args.python_client = True
    if not (args.store / "CURRENT").is_file():
        raise SystemExit(f"no built store at {args.store} (run `kg build`)")
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    scenarios = [s for s in args.scenarios.split(",") if s]
    concurrency = [int(c) for c in args.concurrency.split(",")]
    backends = [] if args.only_remote else ["embedded"]
    if args.remote or args.only_remote:
        try:
            import kg.store.remote  # noqa: F401
        except ImportError:
            raise SystemExit("(b) needs the remote store backend (kg.store.remote), which is not installed") from None
        backends.append("remote")

    if not args.no_copy:  # a private copy: a `kg build` of var/store during the run must not switch the servers
        copy = DATA_DIR / "scaleout-store"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(args.store, copy)
        args.store = copy
    ds = bs.Dataset("real", "real built graph", args.store, DATA_DIR / "scaleout-real.nq",
                    DATA_DIR / "scaleout-oxigraph")
    bs.discover_pools(ds)
    store = ox.Store.read_only(str(args.store))
    ds.quads = len(store)
    del store
    tmp = Path(tempfile.mkdtemp(prefix="scaleout-"))
    script = tmp / "rotate.lua"
    script.write_text(LUA)
    paths = {sc: paths_file(ds, sc, args.seed, tmp) for sc in scenarios}

    oxigraph: subprocess.Popen[bytes] | None = None
    servers: list[Server] = []
    cells: list[Cell] = []
    load_before = os.getloadavg()
    started = time.monotonic()
    try:
        store_url = None
        if "remote" in backends:
            log("exporting the store and starting oxigraph serve-read-only …")
            oxigraph, store_url, _ = start_oxigraph(args.store)
        for backend in backends:
            for cache in (False, True):
                if ((cache and not set(scenarios) & set(CACHED))
                        or (not cache and not set(scenarios) & set(QUERY_BOUND))):
                    continue
                configs = [(1, "reuseport"), (2, "reuseport")]
                if args.shared_too and backend == "embedded":
                    configs.append((2, "shared"))
                for n, accept in configs:
                    # remote: the path only holds the downloads cache (dumps of the remote), not a store
                    path = args.store if backend == "embedded" else DATA_DIR / "scaleout-remote"
                    servers.append(start_server(backend, cache, n, path,
                                                store_url if backend == "remote" else None, args.workers, accept))
        for srv in servers:
            if srv.backend == "remote" and oxigraph is not None:
                srv.store_pid = oxigraph.pid
        wait_ready(servers)
        checks = []
        for sc in scenarios:
            q = bs.scenario_queries(ds, sc, args.seed)(0)
            counts = {s.name: row_count(s.url, q) for s in servers if s.cache == (sc in CACHED)}
            agree = len({str(v) for v in counts.values()}) == 1
            checks.append(f"- `{sc}`: " + ", ".join(f"{k} {v}" for k, v in counts.items())
                          + ("" if agree else " **DIFFER**"))
            log(checks[-1])
        for s in servers:  # fill the answer caches of every replica once (the portal mix is steady state)
            if s.cache and "portal" in paths:
                prewarm_cache(s, paths["portal"])
                settle(s)
        index = 0
        for run in range(args.runs):
            for sc in scenarios:
                for c in concurrency:
                    group = [s for s in servers if s.cache == (sc in CACHED)]
                    order = group if run % 2 == 0 else group[::-1]
                    for s in order:
                        cell = measure_cell(s, sc, c, run, paths[sc], script, args, index)
                        index += 997
                        cells.append(cell)
                        log(f"run {run + 1} {sc:8s} c={c:<2d} {s.name:20s} {cell.rps:8.1f} req/s  "
                            f"p50 {cell.p50_ms:7.1f} ms  "
                            f"p99 {cell.p99_ms:7.1f} ms  err {cell.errors}  "
                            f"server {cell.server_cpu_s / cell.seconds:.2f} "
                            f"cores  client {cell.client_cpu_s / cell.seconds:.2f}  machine "
                            f"{cell.machine_busy_s / max(cell.machine_total_s, 1e-9):.0%}  split {cell.split}")
    finally:
        for s in servers:
            s.stop()
        if oxigraph is not None and oxigraph.poll() is None:
            os.killpg(oxigraph.pid, signal.SIGTERM)
            oxigraph.wait(30)
        shutil.rmtree(tmp, ignore_errors=True)
    load_after = os.getloadavg()

    summary: dict[tuple[str, str, int, int], dict[str, Any]] = {}
    groups: dict[tuple[str, str, int, int], list[Cell]] = {}
    for cell in cells:
        groups.setdefault((cell.backend, cell.scenario, cell.concurrency, cell.config), []).append(cell)
    for key, group in groups.items():
        summary[key] = summarise(group)
    client = "Python (httpx, asyncio) in the benchmark process" if args.python_client else \
        "wrk 1 thread" + (f", pinned to CPU {args.pin_client}" if args.pin_client else ", not pinned")
    intro = (
        f"Run {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} on {platform.platform()}, {os.cpu_count()} CPU cores, "
        f"Python {platform.python_version()}, pyoxigraph {ox.__version__}; store {ds.quads:,} quads "
        "(the real built graph). "
        f"Load average (1/5/15 min) before {load_before[0]:.1f}/{load_before[1]:.1f}/{load_before[2]:.1f}, after "
        f"{load_after[0]:.1f}/{load_after[1]:.1f}/{load_after[2]:.1f}: the machine is shared with other jobs.\n\n"
        f"Each cell: {args.runs} runs × {args.duration:g} s after a {args.warmup:g} s warm-up (answer caches filled "
        "once before the first run), closed loop, keep-alive connections, "
        f"configurations interleaved; medians over runs. Between cells the benchmark waits until the servers are "
        "idle (wrk drops its in-flight requests when it stops; the server kills and respawns those query workers, "
        f"which must not be billed to the next cell). Load generator: {client}. Every replica has {args.workers} "
        "query workers (so 2 processes also have twice the query workers). CPU figures come from /proc "
        "(every process of the server tree, before and after each cell), the load generator's from getrusage, "
        "the machine's from /proc/stat; *other jobs* = machine busy time minus server and load generator, "
        "i.e. the other work on this shared machine during the cell. *Busiest replica's share* = the share of a "
        "cell's answers given by the busier of the 2 replicas (from the X-Hilfenetz-Replica header; 50 % = even), "
        "median over runs. 2 processes accept with SO_REUSEPORT (the default of `kg serve --replicas`); "
        "*shared socket* = the same 2 processes on one listening socket passed from the parent.")
    notes = ["Row counts of each scenario's first request (all configurations must agree):", "", *checks, "",
             (f"Total benchmark time {time.monotonic() - started:.0f} s "
              f"(`python bench/bench_scaleout.py {' '.join(argv if argv is not None else sys.argv[1:])}`).")]
    meta = {"intro": intro, "backends": backends, "cpu_count": os.cpu_count() or 1, "workers": args.workers,
            "scenarios": scenarios, "concurrency": concurrency, "notes": notes,
            "backend_label": {"embedded": "embedded store: N read-only replicas (`kg serve --replicas N`)",
                              "remote": "stateless API processes in front of one `oxigraph serve-read-only`"}}
    text = render(summary, meta)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".md").write_text(text, encoding="utf-8")
    payload = {
        "meta": {"when": datetime.now(UTC).isoformat(), "cpu_count": os.cpu_count(), "client": client,
                 "runs": args.runs, "duration_s": args.duration, "workers_per_replica": args.workers,
                 "loadavg_before": load_before, "loadavg_after": load_after, "quads": ds.quads,
                 "argv": argv if argv is not None else sys.argv[1:], "render": meta},
        "summary": [{"backend": k[0], "scenario": k[1], "concurrency": k[2], "config": k[3], **v}
                    for k, v in sorted(summary.items())],
        "cells": [{**vars(c), "rps": c.rps} for c in cells],
    }
    args.out.with_suffix(".json").write_text(json.dumps(payload, indent=1), encoding="utf-8")
    print(text)
    log(f"written to {args.out}.md and .json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
