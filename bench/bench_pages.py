"""Benchmark the area profile pages (`/gebiet/{key}`): p50 latency, uncached.

Why: the profile is the page people in the field open first; issue 19 asks for a Kreis page in
≤ 50 ms (p50, uncached) on the real graph and ≤ 150 ms on the 1M-triple SYNTHETIC graph.

What it measures (no assertions: a measurement, not a test):

* **HTTP, real graph**: `kg serve --replicas 1 --no-warm` over the real built store (without
  `--no-warm` the server computes its dumps in the background for the first tens of seconds,
  which would be measured too); sequential GETs of
  `/gebiet/05562` (Kreis Recklinghausen), `/gebiet/05562014` (Gladbeck), `/gebiet/05` (NRW
  overview), and as the peer the generic linked-data page of the same Kreis
  (`/id/area/05562`, HTML). Every request is uncached: the profile has no answer cache and no
  request sends If-None-Match. Wall time per request on the client (httpx, keep-alive).
* **In process** (the profile's queries and the HTML rendering, no HTTP): `area_profile()` +
  `profile_page()` for the same Kreis on the real store, and on a store holding the real graph
  plus the SYNTHETIC 1M-triple graph of bench/synthetic.py (seed 42) for a synthetic Kreis
  (`…/synthetic/area/01001`, its Gemeinden, offers, organisations) and for Kreis Recklinghausen.
  The synthetic Kreis has no `/gebiet` URL (its IRI is outside `…/id/area/`, on purpose: it must
  never be mistaken for a real one), hence in process.

Each run takes `--requests` samples per page after 3 warm-up requests; the figure is the
median over `--runs` runs of each run's p50. Results: bench/results/pages.md (and .json).

    python bench/bench_pages.py --store var/store            # 5 runs × 30 requests
    python bench/bench_pages.py --store var/store --quick    # 3 runs × 15, no synthetic graph
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import synthetic

from kg.i18n import LANGS  # noqa: F401 - imported to fail early outside the venv
from kg.query.describe import load_vocabulary
from kg.query.profile import area_profile
from kg.web.render.pages import PageContext
from kg.web.render.profile import profile_page

RESULTS_MD = ROOT / "bench" / "results" / "pages.md"
RESULTS_JSON = ROOT / "bench" / "results" / "pages.json"
DATA = ROOT / "bench" / "data"
KREIS = "https://w3id.org/hilfenetz/id/area/05562"
SYN_KREIS = synthetic.SYN + "area/01001"
HTTP_PAGES = (("Kreis Recklinghausen", "/gebiet/05562"), ("Gladbeck", "/gebiet/05562014"),
              ("NRW overview", "/gebiet/05"), ("peer: entity page of the Kreis", "/id/area/05562"))


def log(msg: str) -> None:
    print(f"[bench_pages] {msg}", file=sys.stderr, flush=True)


def p50_runs(sample: Callable[[], float], runs: int, n: int) -> dict[str, Any]:
    """Median over `runs` of each run's p50 (ms) of `n` samples, after 3 warm-ups."""
    for _ in range(3):
        sample()
    per_run = []
    for _ in range(runs):
        xs = sorted(sample() for _ in range(n))
        per_run.append(statistics.median(xs))
    return {"p50_ms": round(statistics.median(per_run), 1), "runs_p50_ms": [round(x, 1) for x in per_run]}


def proc_cpu_ms(pid: int) -> float:
    """CPU time (user + system) of a process so far, in ms (/proc; Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_bench(store: Path, runs: int, n: int) -> dict[str, Any]:
    port = free_port()
    kg = Path(sys.executable).with_name("kg")
    proc = subprocess.Popen([str(kg), "serve", "--store", str(store), "--port", str(port), "--replicas", "1",
                             "--workers", "1", "--no-warm"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    out: dict[str, Any] = {}
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if client.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("kg serve did not start")
                time.sleep(0.2)
            for name, path in HTTP_PAGES:
                def get(path: str = path) -> float:
                    t = time.perf_counter()
                    r = client.get(path, headers={"Accept": "text/html"})
                    dt = (time.perf_counter() - t) * 1000
                    if r.status_code != 200:
                        raise RuntimeError(f"{path}: {r.status_code}")
                    return dt
                cpu0 = proc_cpu_ms(proc.pid)
                out[name] = {"path": path, **p50_runs(get, runs, n)}
                # the server's CPU time per request (warm-ups included): independent of the load
                # other processes put on the machine, unlike the wall time
                out[name]["server_cpu_ms_per_request"] = round((proc_cpu_ms(proc.pid) - cpu0) / (runs * n + 3), 1)
                log(f"HTTP {name}: {out[name]['p50_ms']} ms wall, {out[name]['server_cpu_ms_per_request']} ms CPU")
    finally:
        proc.terminate()
        proc.wait(30)
    return out


def in_process(store: Any, iri: str, runs: int, n: int) -> dict[str, Any]:
    vocab = load_vocabulary(store)
    ctx = PageContext(lang="de", root="", vocab=vocab, path="/gebiet/x", query={})

    cpu: list[float] = []

    def one() -> float:
        t, c = time.perf_counter(), time.process_time()
        p = area_profile(store, iri)
        assert p is not None, iri
        profile_page(ctx, p)
        cpu.append((time.process_time() - c) * 1000)
        return (time.perf_counter() - t) * 1000

    p = area_profile(store, iri)
    assert p is not None
    members = len(p["members"] or [])
    offers = sum(len(ph["own"]) for ph in p["preventionChain"]["phases"])
    wall = p50_runs(one, runs, n)
    return {**wall, "cpu_p50_ms": round(statistics.median(cpu[3:]), 1), "gemeinden": members, "offers": offers}


def synthetic_store(real: Path, triples: int, seed: int) -> Path:
    """Real graph + SYNTHETIC graph in one store under bench/data (reused when present)."""
    target = DATA / f"pages-real+synthetic-{triples}-seed{seed}-store"
    if (target / "CURRENT").is_file():
        return target
    nq = synthetic.default_path(triples, seed)
    if not nq.is_file():
        log(f"writing SYNTHETIC N-Quads {nq} …")
        synthetic.write_nquads(nq, triples, seed)
    real_nq = DATA / "pages-real.nq"
    log("exporting the real store …")
    ox.Store.read_only(str(real)).dump(str(real_nq), format=ox.RdfFormat.N_QUADS)
    log("loading real + SYNTHETIC into one store …")
    tmp = target.with_name(target.name + ".part")
    s = ox.Store(str(tmp))
    s.bulk_load(path=str(real_nq), format=ox.RdfFormat.N_QUADS)
    s.bulk_load(path=str(nq), format=ox.RdfFormat.N_QUADS)
    s.optimize()
    s.flush()
    del s
    tmp.rename(target)
    return target


def markdown(r: dict[str, Any]) -> str:
    """bench/results/pages.md from a result."""
    lines = [
        "# Area profile pages: p50 latency, uncached",
        "",
        f"`bench/bench_pages.py`, {r['when']}; {r['machine']} at the start, {r['load_average_after']} at the end "
        f"(other engineers' builds and tests shared the 2 cores: wall times are inflated by the load, "
        f"CPU times are the comparable figures). Medians over {r['runs']} runs of each run's p50 of "
        f"{r['requests']} requests. Real graph: {r['real_quads']:,} quads"
        + (f"; real + SYNTHETIC graph: {r['synthetic_quads']:,} quads." if "synthetic_quads" in r else "."),
        "",
        "## Over HTTP (`kg serve --replicas 1 --no-warm`, httpx, keep-alive)",
        "",
        "| store | page | p50 wall (ms) | server CPU per request (ms) | p50 of each run (ms) |",
        "|---|---|---:|---:|---|",
    ]
    for key, store in (("http_real", "real"), ("http_synthetic_store", "real + SYNTHETIC 1M")):
        for name, x in r.get(key, {}).items():
            lines.append(f"| {store} | {name} (`{x['path']}`) | {x['p50_ms']} | {x['server_cpu_ms_per_request']} "
                         f"| {', '.join(map(str, x['runs_p50_ms']))} |")
    lines += ["", "## In process (`area_profile()` + `profile_page()`, no HTTP)", "",
              "| store | Kreis | Gemeinden | p50 wall (ms) | p50 CPU (ms) |", "|---|---|---:|---:|---:|"]
    for key, store, kreis in (("inproc_real_kreis", "real", "Kreis Recklinghausen"),
                              ("inproc_synthetic_kreis", "real + SYNTHETIC 1M", "SYNTHETIC Kreis 01001"),
                              ("inproc_synthetic_store_real_kreis", "real + SYNTHETIC 1M", "Kreis Recklinghausen")):
        if key in r:
            x = r[key]
            lines.append(f"| {store} | {kreis} | {x['gemeinden']} | {x['p50_ms']} | {x['cpu_p50_ms']} |")
    lines += ["", "Targets (issue 19): a Kreis page p50 ≤ 50 ms on the real graph, ≤ 150 ms on the 1M synthetic "
              "graph.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", type=Path, default=ROOT / "var" / "store", help="the real built store")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--requests", type=int, default=30)
    ap.add_argument("--triples", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--quick", action="store_true", help="3 runs × 15 requests, no synthetic graph")
    args = ap.parse_args(argv)
    runs, n = (3, 15) if args.quick else (args.runs, args.requests)
    if not (args.store / "CURRENT").is_file():
        ap.error(f"no store at {args.store} (kg build --store {args.store})")
    result: dict[str, Any] = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "runs": runs, "requests": n,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}",
        "real_quads": len(ox.Store.read_only(str(args.store))),
    }
    result["http_real"] = http_bench(args.store, runs, n)
    real = ox.Store.read_only(str(args.store))
    result["inproc_real_kreis"] = in_process(real, KREIS, runs, n)
    log(f"in process, real Kreis: {result['inproc_real_kreis']['p50_ms']} ms")
    if not args.quick:
        syn_path = synthetic_store(args.store, args.triples, args.seed)
        syn = ox.Store.read_only(str(syn_path))
        result["synthetic_quads"] = len(syn)
        result["inproc_synthetic_kreis"] = in_process(syn, SYN_KREIS, runs, n)
        result["inproc_synthetic_store_real_kreis"] = in_process(syn, KREIS, runs, n)
        log(f"in process, SYNTHETIC Kreis: {result['inproc_synthetic_kreis']['p50_ms']} ms")
        result["http_synthetic_store"] = http_bench(syn_path, runs, n)
    result["load_average_after"] = round(os.getloadavg()[0], 1)
    RESULTS_JSON.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_JSON.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    RESULTS_MD.write_text(markdown(result), encoding="utf-8")
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
