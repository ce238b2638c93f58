"""Benchmark: what the figure columns of the events template cost `kg import` (issue 17).

Why: every filled figure cell becomes two nodes (hn:StatedFigure, hn:Evidence, 16 quads) and one
SPARQL query (does a curated figure of the event already state it?), and those nodes are validated
with the event. This script imports the same synthetic events file with and without its three
figure columns filled, with this checkout's code (after) and, with `--before DIR`, with another
checkout's `kg` package (before: e.g. `git archive main kg | tar -x -C DIR`), in the same session.

Each run is a fresh child process on a private copy of the built store (`--store`), timing
kg.graph.tabular.importer.plan_import and commit_import as bench/bench_import.py does. The events
file is **synthetic** (generated here, marked so in its title and labels, never kept in data/):
N rows, each with a label, a date, a location (a random NRW municipality by key), an organiser
named by name, and with figures "rund {n}" participants, "{m}" municipalities, "mehr als {k}"
registrations.

    python bench/bench_figures.py --store STORE [--rows 1000] [--runs 3] [--before DIR]

Prints a Markdown table and writes bench/results/figures.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS_MD = ROOT / "bench" / "results" / "figures.md"
HEADERS = ["Bezeichnung", "Beginn", "Ort", "Veranstalter", "Teilnehmende", "Kommunen", "Anmeldungen"]


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def synthetic_events(store_path: Path, rows: int, out: Path, *, figures: bool, seed: int = 17) -> None:
    """A synthetic events CSV of `rows` rows with values the real graph resolves."""
    import pyoxigraph as ox

    from kg.graph.tabular.resolve import Resolver
    from kg.rdf import HN, HNID

    store = ox.Store.read_only(str(store_path))
    r = Resolver(store)
    keys = sorted(k for k in r.area_keys if len(k) == 8 and k.startswith("05") and k.isdigit())
    orgs = sorted({e.label for e in r.entries.values() if e.iri.startswith(HNID + "org/")
                   and r.entity(e.label, {HN + "Agent"}).iri == e.iri})
    rnd = random.Random(seed)
    with open(out, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, delimiter=";")
        w.writerow(HEADERS if figures else HEADERS[:4])
        for i in range(rows):
            row = [f"Synthetische Veranstaltung {i:05d} (synthetic)",
                   f"{rnd.randint(1, 28)}.{rnd.randint(1, 12)}.20{rnd.randint(10, 25)}", rnd.choice(keys),
                   rnd.choice(orgs)]
            if figures:
                row += [f"rund {rnd.randint(2, 40) * 10}", str(rnd.randint(1, 50)),
                        f"mehr als {rnd.randint(1, 30) * 10}"]
            w.writerow(row)


def child(store_path: Path, file: Path) -> dict[str, Any]:
    """One run: plan and commit `file` against a private copy of the store."""
    import gc

    import pyoxigraph as ox

    import kg
    from kg.graph.tabular.importer import SourceMeta, commit_import, plan_import
    from kg.store.fingerprint import store_version

    t0, c0 = time.perf_counter(), cpu_s()
    version = store_version(store_path)
    store = ox.Store.read_only(str(store_path))
    plan = plan_import(store, file, "events", SourceMeta("Synthetische Veranstaltungen (Benchmark)",
                                                         "bench_figures.py"))
    plan.store_version = version
    del store
    gc.collect()
    if not plan.ok:
        raise SystemExit(plan.report("en")[:2000])
    steps = dict(plan.timings)
    t_plan = time.perf_counter() - t0
    t = time.perf_counter()
    commit_import(store_path, plan)
    steps["commit"] = time.perf_counter() - t
    return {"wall": time.perf_counter() - t0, "cpu": cpu_s() - c0, "plan": t_plan, "steps": steps,
            "quads": len(plan.quads), "code": str(Path(kg.__file__).parent.parent),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_child(store_path: Path, file: Path, code: Path | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(dir=store_path.parent) as tmp:
        copy = Path(tmp) / "store"
        shutil.copytree(store_path, copy)
        cmd = [sys.executable, __file__, "--child", str(copy), str(file)]
        if code is not None:
            cmd += ["--code", str(code)]
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp)
        if out.returncode:
            raise SystemExit(out.stderr[-3000:])
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", type=Path, default=ROOT / "var" / "store")
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--before", type=Path, help="a directory holding another checkout's kg package")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--code", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.store = args.store.resolve()  # the children run in their own directory
    if args.child:
        if args.code:
            sys.path.insert(0, str(args.code))  # before the editable install's finder
        print(json.dumps(child(Path(args.child[0]), Path(args.child[1]))))
        return
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    lines = ["| code | figure cells | runs | quads added | wall s (median) | CPU s | plan s | resolve+map s "
             "| validate s | commit s | peak RSS MB |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for figures in (False, True):
            files[figures] = Path(tmp) / f"events-{'with' if figures else 'without'}-figures.csv"
            synthetic_events(args.store, args.rows, files[figures], figures=figures)
        codes: list[tuple[str, Path | None]] = [("after (this checkout)", None)]
        if args.before:
            codes.insert(0, ("before (--before)", args.before))
        for name, code in codes:
            for figures in (False, True):
                if code is not None and figures:
                    label = f"{args.rows * 3:,} (columns unknown: ignored)"
                else:
                    label = f"{args.rows * 3:,}" if figures else "0"
                rs = [run_child(args.store, files[figures], code) for _ in range(args.runs)]
                med = {k: statistics.median(r[k] for r in rs) for k in ("wall", "cpu", "plan")}
                steps = {k: statistics.median(r["steps"].get(k, 0.0) for r in rs) for k in rs[0]["steps"]}
                line = (f"| {name} | {label} | {args.runs} | {rs[0]['quads']:,} | {med['wall']:.2f} | "
                        f"{med['cpu']:.2f} | {med['plan']:.2f} | {steps.get('resolve_map', 0):.2f} | "
                        f"{steps.get('validate', 0):.2f} | {steps.get('commit', 0):.2f} | "
                        f"{max(r['peak_rss_mb'] for r in rs):.0f} |")
                print(line, f"  [{rs[0]['code']}]", flush=True)
                lines.append(line)
    md = ["# What the figure columns cost `kg import` (bench/bench_figures.py)", "",
          f"Machine: {machine}; load average at the start {load:.1f} (shared machine: CPU seconds compare "
          "more fairly than wall time). Store: the real built graph. A synthetic events file of "
          f"{args.rows:,} rows (generated by the script, never kept in data/), imported as a new contribution, "
          "each run in a fresh process on a private copy of the store; medians of the runs. \"before\" is the "
          "code without the figure columns (the three columns are unknown there and ignored with a warning), "
          "\"after\" this checkout.", "", *lines, ""]
    RESULTS_MD.write_text("\n".join(md))
    print("\n".join(md))


if __name__ == "__main__":
    main()
