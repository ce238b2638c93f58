"""Write-path benchmark: one-entity writes end to end over HTTP against `kg serve` with a write
token, on a copy of a built store (validation, inference and — where the code has it — the change
record included, exactly as a curator's client sees it).

Why end to end: the write path's cost was the staging copy (a RocksDB checkpoint) and the
snapshot the readers get after every commit; both are outside the validation itself, so only a
measurement through the server shows them.

Per run (a fresh copy of the store, a fresh `kg serve --replicas 1`):
- `--writes` writes, cycling through four kinds, each touching one existing entity:
  `store_put` (PUT of a 3-triple graph), `store_post` (POST of one triple into a graph),
  `insert_data` (SPARQL INSERT DATA), `delete_insert_where` (WITH <g> DELETE/INSERT WHERE on one
  entity); p50 and p99 latency of each kind and of all;
- lookups (SPARQL point lookups of distinct entities, so the answer cache does not answer them),
  `lookup` of one triple pattern and `graph_lookup` of the same inside `GRAPH ?g` (a worker
  query): p50/p99 while idle, then while a writer thread sends 10 writes per second (same run;
  the writer sends them one after another, so it reaches 10/s only when a write takes < 100 ms).
With `--cpu`, also the CPU time the query workers spent per `graph_lookup` (idle and during
writes; replaying writes or reopening snapshots included; the workers run nothing else): on a
loaded shared machine wall-clock latencies mostly measure the queue for the CPU, CPU time does
not. (The server process's CPU is not split this way: in the busy phase it serves writes and
lookups in a mix that differs between versions.)
Cells are medians over `--runs`. Run by hand, not in the suite:

    python bench/bench_write.py --store var/store --runs 3 --label before
    python bench/bench_write.py --store bench/data/synthetic-10M.store --runs 1 --label after

The 10M synthetic store (`--make-synthetic`, once; its cost in bench/README.md): the SYNTHETIC
N-Quads of bench/synthetic.py bulk-loaded into a *copy* of the built real store (so the ontology,
the shapes and the alignment apply), then the whole inferred graph recomputed (`kg.graph.infer.infer`,
idempotent: it adds only what the synthetic part implies), then compacted:

    python bench/synthetic.py --triples 10000000 --seed 42
    python bench/bench_write.py --store var/store --make-synthetic bench/data/synthetic-10000000-seed42.nq \
        --synthetic-store /work/bench-runs/synth10M.store
    python bench/bench_write.py --store /work/bench-runs/synth10M.store --runs 3 \
        --entity-prefix https://w3id.org/hilfenetz/id/synthetic/

Results are appended to bench/results/write.json (one record per run set, stamped with the commit
and the load average); a Markdown table goes to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "write.json"
TOKEN = "bench-write-token"
HN = "https://w3id.org/hilfenetz/ontology#"
BENCH_GRAPH = "https://w3id.org/hilfenetz/id/graph/bench/write"
RDFS_COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"
KINDS = ("store_put", "store_post", "insert_data", "delete_insert_where")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) in milliseconds."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k] * 1000


#: set by main(): the source tree the server runs from (`--code`, default this one) and extra
#: environment for it (`--server-env`, e.g. HILFENETZ_GIL_SWITCH_MS=5)
CODE: list[Path] = [ROOT]
SERVER_ENV: dict[str, str] = {}
#: `--no-warm`: the server skips its background cache warm-up (`kg serve --no-warm`). Without it the
#: first tens of seconds of every run overlap with the "linkeddata-warm" thread (dumps, JSON-LD
#: context; py-spy on the 10M store, 2026-12-07), a CPU- and GIL-hungry neighbour of the writes
#: and lookups being measured. Off by default to keep the method of the earlier tables.
NO_WARM = [False]


def start(store: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = dict(os.environ, BENCH_TOKEN=TOKEN, **SERVER_ENV)
    cmd = [sys.executable, "-m", "kg.cli", "serve", "--store", str(store), "--port", str(port), "--replicas", "1",
           "--no-build", "--log-level", "warning", "--write-token-env", "BENCH_TOKEN", "--rate-limit", "0",
           *(["--no-warm"] if NO_WARM[0] else [])]
    fh = open(log, "wb")  # noqa: SIM115 - the server keeps its own descriptor
    # `-m kg.cli` from the code tree's root imports that tree's kg (an export of main for "before")
    proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, start_new_session=True, cwd=CODE[0])
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited:\n{log.read_text()}")
        try:
            if httpx.get(url + "/sparql", params={"query": "ASK {}"}, timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop(proc)
    raise RuntimeError("server did not come up")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def cpu_seconds(pid: int) -> float:
    """CPU time of a process so far (all its threads; /proc schedstat, nanoseconds), 0 if gone."""
    total = 0
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return 0.0
    for task in tasks:
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return total / 1e9


def worker_pids(server_pid: int) -> list[int]:
    """The server's query workers: its children started by multiprocessing spawn."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if ppid == server_pid and b"spawn_main" in (entry / "cmdline").read_bytes():
                pids.append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    return pids


def cpu_split(server_pid: int) -> tuple[float, float]:
    """(server process, its query workers) CPU seconds so far."""
    return cpu_seconds(server_pid), sum(cpu_seconds(p) for p in worker_pids(server_pid))



def entities(client: httpx.Client, url: str, n: int) -> list[str]:
    """`n` distinct subjects of the store (offers first: the entities curators change)."""
    q = (f"SELECT DISTINCT ?s WHERE {{ GRAPH ?g {{ ?s a ?c }} FILTER(isIRI(?s)) }} LIMIT {n}")
    r = client.get(url + "/sparql", params={"query": q}, headers={"Accept": "application/sparql-results+json"})
    r.raise_for_status()
    return [b["s"]["value"] for b in r.json()["results"]["bindings"]]


def offer(client: httpx.Client, url: str, prefix: str = "") -> str:
    """The entity every write touches: the first offer (under `prefix`, e.g. the synthetic ones)."""
    where = f'FILTER(STRSTARTS(STR(?s), "{prefix}"))' if prefix else ""
    # no ORDER BY with a prefix: sorting 370,000 synthetic offers outlasts the query deadline on
    # the 10M store; the store's index order is fixed, so the first one is the same every run
    order = "" if prefix else "ORDER BY ?s"
    q = f"SELECT ?s WHERE {{ GRAPH ?g {{ ?s a <{HN}Offer> }} {where} }} {order} LIMIT 1"
    r = client.get(url + "/sparql", params={"query": q}, headers={"Accept": "application/sparql-results+json"})
    r.raise_for_status()
    rows = r.json()["results"]["bindings"]
    if rows:
        return str(rows[0]["s"]["value"])
    return entities(client, url, 1)[0]


def one_write(client: httpx.Client, url: str, kind: str, entity: str, i: int) -> float:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    text = f"bench write {i} {uuid.uuid4().hex[:6]}"
    t = time.perf_counter()
    if kind == "store_put":
        body = (f'<{entity}> <{RDFS_COMMENT}> "{text}"@de , "{text} (en)"@en .\n'
                f'<{entity}> <{HN}benchNote> "{i}" .\n').encode()
        r = client.put(url + "/store", params={"graph": f"{BENCH_GRAPH}/put"}, content=body,
                       headers={**auth, "Content-Type": "text/turtle"})
    elif kind == "store_post":
        body = f'<{entity}> <{RDFS_COMMENT}> "{text}"@de .\n'.encode()
        r = client.post(url + "/store", params={"graph": f"{BENCH_GRAPH}/post"}, content=body,
                        headers={**auth, "Content-Type": "text/turtle"})
    elif kind == "insert_data":
        u = f'INSERT DATA {{ GRAPH <{BENCH_GRAPH}/update> {{ <{entity}> <{RDFS_COMMENT}> "{text}"@de }} }}'
        r = client.post(url + "/sparql", data={"update": u}, headers=auth)
    else:
        u = (f'WITH <{BENCH_GRAPH}/update> DELETE {{ <{entity}> <{RDFS_COMMENT}> ?o }} '
             f'INSERT {{ <{entity}> <{RDFS_COMMENT}> "{text}"@de }} '
             f'WHERE {{ OPTIONAL {{ <{entity}> <{RDFS_COMMENT}> ?o }} }}')
        r = client.post(url + "/sparql", data={"update": u}, headers=auth)
    elapsed = time.perf_counter() - t
    if r.status_code >= 300:
        raise RuntimeError(f"{kind} answered {r.status_code}: {r.text[:500]}")
    return elapsed


def lookup(client: httpx.Client, url: str, entity: str, graph: bool = False) -> float:
    """A point lookup: one triple pattern (`graph` False; the server may answer it from its own
    handle) or the same inside GRAPH ?g (always a worker query)."""
    q = f"SELECT ?g ?p ?o WHERE {{ GRAPH ?g {{ <{entity}> ?p ?o }} }}" if graph else \
        f"SELECT ?p ?o WHERE {{ <{entity}> ?p ?o }}"
    t = time.perf_counter()
    r = client.get(url + "/sparql", params={"query": q}, headers={"Accept": "application/sparql-results+json"})
    elapsed = time.perf_counter() - t
    r.raise_for_status()
    return elapsed


#: set by main(): `--no-graph-lookups` (on the 10M store a worker query after a write waits for a
#: snapshot of the whole store and its reopen and ends in 503 at the query deadline)
GRAPH_LOOKUPS = [True]


def one_run(store: Path, writes: int, lookups: int, work: Path, prefix: str = "", cpu: bool = False) -> dict[str, Any]:
    copy = work / "store"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(store, copy)
    proc, url = start(copy, work / "server.log")
    try:
        with httpx.Client(timeout=60) as client:
            entity = offer(client, url, prefix)
            pool = entities(client, url, lookups * 5 + 10)
            for k in KINDS:  # warm-up: shapes parsed, caches filled
                one_write(client, url, k, entity, -1)
            times: dict[str, list[float]] = {k: [] for k in KINDS}
            for i in range(writes):
                kind = KINDS[i % len(KINDS)]
                times[kind].append(one_write(client, url, kind, entity, i))
            idle = [lookup(client, url, e) for e in pool[:lookups]]
            c0 = cpu_split(proc.pid)
            idle_g = [lookup(client, url, e, GRAPH_LOOKUPS[0]) for e in pool[lookups:lookups * 2]]
            c1 = cpu_split(proc.pid)
            stop_flag = threading.Event()
            done: list[float] = []

            def writer() -> None:
                with httpx.Client(timeout=60) as wc:
                    i = 0
                    next_at = time.perf_counter()
                    while not stop_flag.is_set():
                        done.append(one_write(wc, url, KINDS[i % len(KINDS)], entity, 10_000 + i))
                        i += 1
                        next_at += 0.1
                        time.sleep(max(0.0, next_at - time.perf_counter()))

            # first point lookups alone during writes (no worker query, so no worker snapshot
            # in between), then the original mix: lookups and GRAPH lookups alternating
            th = threading.Thread(target=writer)
            th.start()
            time.sleep(0.3)
            alone = [lookup(client, url, e) for e in pool[lookups * 4:lookups * 5]]
            stop_flag.set()
            th.join()
            alone_writes = list(done)
            done.clear()
            stop_flag.clear()
            th = threading.Thread(target=writer)
            t0 = time.perf_counter()
            th.start()
            time.sleep(0.3)
            busy, busy_g = [], []
            for n, e in enumerate(pool[lookups * 2:lookups * 4]):
                (busy_g if n % 2 else busy).append(lookup(client, url, e, bool(n % 2) and GRAPH_LOOKUPS[0]))
            c2 = cpu_split(proc.pid)
            stop_flag.set()
            th.join()
            span = time.perf_counter() - t0
    finally:
        stop(proc)
    every = [t for ts in times.values() for t in ts]
    out: dict[str, Any] = {"all_p50": pct(every, 50), "all_p99": pct(every, 99)}
    for k, ts in times.items():
        out[f"{k}_p50"], out[f"{k}_p99"] = pct(ts, 50), pct(ts, 99)
    out.update(lookup_idle_p50=pct(idle, 50), lookup_idle_p99=pct(idle, 99),
               lookup_busy_p50=pct(busy, 50), lookup_busy_p99=pct(busy, 99),
               graph_lookup_idle_p50=pct(idle_g, 50), graph_lookup_idle_p99=pct(idle_g, 99),
               graph_lookup_busy_p50=pct(busy_g, 50), graph_lookup_busy_p99=pct(busy_g, 99),
               writes_per_s_during_lookups=len(done) / span, busy_write_p50=pct(done, 50),
               lookup_alone_busy_p50=pct(alone, 50), lookup_alone_busy_p99=pct(alone, 99),
               alone_write_p50=pct(alone_writes, 50))
    if cpu:
        out.update(worker_cpu_ms_per_graph_lookup_idle=(c1[1] - c0[1]) * 1000 / max(1, len(idle_g)),
                   worker_cpu_ms_per_graph_lookup_busy=(c2[1] - c1[1]) * 1000 / max(1, len(busy_g)))
    return out


#: Run in a subprocess from the code tree (so "before" measures main's kg): CPU of the writing
#: thread per write, in process (no HTTP), on a copy of the store. argv: store, writes, prefix.
_CPU_SCRIPT = r"""
import statistics, sys, time, uuid
from pathlib import Path
from kg.graph.changes import ChangeMeta
from kg.graph.write import LocalState, apply_update
store, n, prefix = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
st = LocalState(store)
flt = f'FILTER(STRSTARTS(STR(?s), "{prefix}"))' if prefix else ""
order = "" if prefix else "ORDER BY ?s"
q = f"SELECT ?s WHERE {{ GRAPH ?g {{ ?s a <https://w3id.org/hilfenetz/ontology#Offer> }} {flt} }} {order} LIMIT 1"
entity = next(iter(st.store.query(q)))["s"].value
g = "https://w3id.org/hilfenetz/id/graph/bench/write/update"
c = "http://www.w3.org/2000/01/rdf-schema#comment"
def one(i):
    t = uuid.uuid4().hex[:8]
    if i % 2:
        u = f'INSERT DATA {{ GRAPH <{g}> {{ <{entity}> <{c}> "cpu {t}"@de }} }}'
    else:
        u = (f'WITH <{g}> DELETE {{ <{entity}> <{c}> ?o }} INSERT {{ <{entity}> <{c}> "cpu {t}"@de }} '
             f'WHERE {{ OPTIONAL {{ <{entity}> <{c}> ?o }} }}')
    c0, w0 = time.thread_time(), time.perf_counter()
    with st.write_lock:
        out = apply_update(st, u, base_iri=None, validate=True, meta=ChangeMeta(actor="bench", action="update"))
    assert out.ok, out
    return time.thread_time() - c0, time.perf_counter() - w0
for i in range(6):
    one(i)
got = [one(i) for i in range(n)]
print(statistics.median(x[0] for x in got) * 1000, statistics.median(x[1] for x in got) * 1000)
st.close()
"""


def cpu_per_write(store: Path, writes: int, work: Path, prefix: str = "") -> tuple[float, float]:
    """(CPU ms of the writing thread, wall ms) per one-entity write, medians, in process."""
    copy = work / "cpu-store"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(store, copy)
    out = subprocess.run([sys.executable, "-c", _CPU_SCRIPT, str(copy), str(writes), prefix], cwd=CODE[0],
                         capture_output=True, text=True, check=True, env=dict(os.environ, **SERVER_ENV))
    cpu, wall = (float(x) for x in out.stdout.split())
    shutil.rmtree(copy)
    return cpu, wall


def make_synthetic(real: Path, nq: Path, target: Path) -> dict[str, float]:
    """Real store + SYNTHETIC N-Quads + their inferences in `target` (built beside it, renamed at
    the end, so a half-built store never sits at `target`). Returns the seconds of each step.

    Why this way: `bulk_load` writes sorted SST files without a transaction log (the fastest
    way in), a copy of the built store keeps the build's graphs as they are, and the inferred
    graph must hold what the synthetic part implies (superclass types of every synthetic offer,
    organisation, cooperation; `participatesIn`, `cooperatesWith` and the property closure),
    because the write path patches the inferred graph only for the subjects a write touches and
    compares with what is already there (kg.graph.infer.inferred_about)."""
    import pyoxigraph as ox

    from kg.graph.infer import infer

    part = target.with_name(target.name + ".part")
    if part.exists():
        shutil.rmtree(part)
    steps: dict[str, float] = {}
    t = time.perf_counter()
    shutil.copytree(real, part)
    steps["copy_s"] = time.perf_counter() - t
    store = ox.Store(str(part))
    t = time.perf_counter()
    store.bulk_load(path=str(nq), format=ox.RdfFormat.N_QUADS)
    steps["bulk_load_s"] = time.perf_counter() - t
    t = time.perf_counter()
    res = infer(store)
    steps["infer_s"] = time.perf_counter() - t
    steps["inferred_added"] = float(res.total)
    t = time.perf_counter()
    store.optimize()
    store.flush()
    steps["optimize_s"] = time.perf_counter() - t
    del store
    if target.exists():
        shutil.rmtree(target)
    part.rename(target)
    return steps


def commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, required=True, help="a built store (copied per run, never written)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--writes", type=int, default=200)
    ap.add_argument("--lookups", type=int, default=400)
    ap.add_argument("--label", default="")
    ap.add_argument("--entity-prefix", default="", help="write to the first offer whose IRI starts so "
                    "(e.g. https://w3id.org/hilfenetz/id/synthetic/ on a store with the synthetic graph)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--cpu", action="store_true", help="also CPU time per worker query and per write (Linux /proc)")
    ap.add_argument("--make-synthetic", type=Path, default=None, metavar="NQ",
                    help="instead of measuring: load these SYNTHETIC N-Quads into a copy of --store, infer, "
                    "and write the result to --synthetic-store")
    ap.add_argument("--synthetic-store", type=Path, default=Path("/work/bench-runs/synth10M.store"))
    ap.add_argument("--code", type=Path, default=ROOT, help="source tree the server runs from (e.g. an export "
                    "of main: `git archive main | tar -x -C /tmp/main`); default this one")
    ap.add_argument("--server-env", action="append", default=[], metavar="NAME=VALUE",
                    help="extra environment of the server, e.g. HILFENETZ_GIL_SWITCH_MS=5 (repeatable)")
    ap.add_argument("--cpu-writes", type=int, default=60, help="writes of the in-process CPU measurement "
                    "(0 = skip it)")
    ap.add_argument("--no-graph-lookups", action="store_true", help="no GRAPH ?g lookups (worker queries): "
                    "their columns then hold plain lookups too")
    ap.add_argument("--no-warm", action="store_true", help="start the server with --no-warm (steady state: no "
                    "background cache warm-up during the measurement)")
    args = ap.parse_args()
    NO_WARM[0] = args.no_warm
    GRAPH_LOOKUPS[0] = not args.no_graph_lookups
    CODE[0] = args.code.resolve()
    SERVER_ENV.update(kv.split("=", 1) for kv in args.server_env)
    if args.make_synthetic:
        steps = make_synthetic(args.store, args.make_synthetic, args.synthetic_store)
        print(json.dumps(steps))
        return
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-write-", dir=str(args.store.parent)) as tmp:
        for n in range(args.runs):
            r = one_run(args.store, args.writes, args.lookups, Path(tmp), args.entity_prefix, args.cpu)
            if args.cpu_writes:
                r["cpu_per_write_ms"], r["inprocess_write_wall_ms"] = cpu_per_write(
                    args.store, args.cpu_writes, Path(tmp), args.entity_prefix)
            print(f"run {n + 1}: " + ", ".join(f"{k}={v:.1f}" for k, v in r.items()), file=sys.stderr)
            runs.append(r)
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    record = {"label": args.label, "commit": commit(), "store": str(args.store), "runs": runs, "median": med,
              "entity_prefix": args.entity_prefix, "code": str(CODE[0]), "server_env": SERVER_ENV,
              "graph_lookups": GRAPH_LOOKUPS[0], "no_warm": NO_WARM[0],
              "writes": args.writes, "lookups": args.lookups, "loadavg": os.getloadavg(),
              "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "a") as fh:
        fh.write(json.dumps(record) + "\n")
    print(f"| {args.label} ({record['when']}, commit {record['commit']}, load {record['loadavg'][0]:.1f}) | "
          + " | ".join(f"{k} {v:.1f}" for k, v in med.items()) + " |")


if __name__ == "__main__":
    main()
