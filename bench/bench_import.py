"""Benchmark `kg import` of an offers spreadsheet against the full real graph (issue 17).

Why: the issue's budget is 1,000 rows parsed, resolved, validated and committed in at most 5 s on
this 2-core machine, and 10,000 rows in at most 30 s. This script measures it and the share of
each step, with the peak memory.

What it measures, each run in a fresh child process (peak RSS per run) on a private copy of the
built store (`--store`, default var/store):

* ``plan``: kg.graph.tabular.importer.plan_import — its steps ``parse`` (read_table), ``index``
  (the reference index of areas, organisations and concepts), ``resolve_map`` (cells → RDF),
  ``diff`` and ``validate`` (SHACL, native engine, on the nodes the change can affect, in the
  context of the whole graph);
* ``commit``: kg.graph.tabular.importer.commit_import (kg.graph.write.apply_update: checkpoint,
  diff, incremental validation, inference patch, one transaction);
* wall and CPU seconds (the machine is shared: wall time also counts waiting for a core).

The offers file is **synthetic** (generated here, marked so in its source title and labels, never
kept in data/): N rows, each with a label, a life phase, a target group, an offer type, a provider
named by name (one of the organisations the sources state) and an area named by its key (a random
NRW municipality of the reference data); written as xlsx and CSV.

    python bench/bench_import.py                 # 1,000 and 10,000 rows, 3 and 1 runs
    python bench/bench_import.py --rows 1000 --runs 5

Prints a Markdown table and writes bench/results/import.md and import.json.
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
RESULTS_MD = ROOT / "bench" / "results" / "import.md"
RESULTS_JSON = ROOT / "bench" / "results" / "import.json"
HEADERS = ["Bezeichnung", "Angebotsart", "Lebensphase", "Zielgruppe", "Anbieter", "Einzugsgebiet",
           "Mindestalter", "Höchstalter", "Beginn"]


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def synthetic_offers(store_path: Path, rows: int, out_csv: Path, out_xlsx: Path | None, seed: int = 17) -> None:
    """A synthetic offers file of `rows` rows with values the real graph resolves."""
    import pyoxigraph as ox

    from kg.graph.tabular.resolve import Resolver
    from kg.rdf import HNID

    store = ox.Store.read_only(str(store_path))
    r = Resolver(store)
    keys = sorted(k for k, iri in r.area_keys.items() if len(k) == 8 and k.startswith("05") and k.isdigit())
    orgs = sorted({e.label for e in r.entries.values() if e.iri.startswith(HNID + "org/")
                   and r.entity(e.label, {"https://w3id.org/hilfenetz/ontology#Agent"}).iri == e.iri})
    phases = r.choices(HNID + "concept/life-phase")
    groups = r.choices(HNID + "concept/target-group")
    types = r.choices(HNID + "concept/offer-type")
    rnd = random.Random(seed)
    data = []
    for i in range(rows):
        lo = rnd.randint(0, 10)
        data.append([f"Synthetisches Angebot {i:05d} (synthetic)", rnd.choice(types), rnd.choice(phases),
                     rnd.choice(groups), rnd.choice(orgs), rnd.choice(keys), lo, lo + rnd.randint(0, 8),
                     f"{rnd.randint(1, 28)}.{rnd.randint(1, 12)}.20{rnd.randint(10, 25)}"])
    with open(out_csv, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, delimiter=";")
        w.writerow(HEADERS)
        w.writerows(data)
    if out_xlsx is not None:
        import openpyxl

        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append(HEADERS)
        for row in data:
            ws.append(row)
        wb.save(out_xlsx)


def child(store_path: Path, file: Path, commit: bool) -> dict[str, Any]:
    """One run: plan (and commit) `file` against a private copy of the store."""
    import gc

    import pyoxigraph as ox

    from kg.graph.tabular.importer import SourceMeta, commit_import, plan_import
    from kg.store.fingerprint import store_version

    t0, c0 = time.perf_counter(), cpu_s()
    version = store_version(store_path)
    store = ox.Store.read_only(str(store_path))
    plan = plan_import(store, file, "offers", SourceMeta("Synthetische Angebote (Benchmark)", "bench_import.py"))
    plan.store_version = version  # as kg import does: the commit does not validate the same change again
    del store
    gc.collect()
    if not plan.ok:
        raise SystemExit(plan.report("en")[:2000])
    steps = dict(plan.timings)
    t_plan = time.perf_counter() - t0
    if commit:
        t = time.perf_counter()
        res = commit_import(store_path, plan)
        steps["commit"] = time.perf_counter() - t
        steps.update({f"commit.{k}": v for k, v in res.timings.items() if k != "total"})
    return {"wall": time.perf_counter() - t0, "cpu": cpu_s() - c0, "plan": t_plan, "steps": steps,
            "quads": len(plan.quads), "rows": plan.rows,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_child(store_path: Path, file: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(dir=store_path.parent) as tmp:
        copy = Path(tmp) / "store"
        shutil.copytree(store_path, copy)
        out = subprocess.run([sys.executable, __file__, "--child", str(copy), str(file)], capture_output=True,
                             text=True, check=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def median_of(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", type=Path, default=ROOT / "var" / "store")
    ap.add_argument("--rows", type=int, nargs="*", default=[1000, 10000])
    ap.add_argument("--runs", type=int, default=0, help="runs per size (default: 3 for ≤ 1,000 rows, else 1)")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(Path(args.child[0]), Path(args.child[1]), commit=True)))
        return
    results: dict[str, Any] = {"machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python "
                                          f"{platform.python_version()}", "sizes": {}}
    lines = ["| rows | format | runs | wall s (median) | CPU s | plan s | commit s | parse | index | resolve+map "
             "| diff | validate | commit | peak RSS MB |", "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.rows:
            runs = args.runs or (3 if n <= 1000 else 1)
            f_csv, f_xlsx = Path(tmp) / f"offers-{n}.csv", Path(tmp) / f"offers-{n}.xlsx"
            synthetic_offers(args.store, n, f_csv, f_xlsx)
            for fmt, f in (("csv", f_csv), ("xlsx", f_xlsx)):
                rs = [run_child(args.store, f) for _ in range(runs)]
                steps = {k: statistics.median(r["steps"].get(k, 0.0) for r in rs) for k in rs[0]["steps"]}
                wall = median_of(rs, "wall")
                share = {k: steps.get(k, 0.0) / wall for k in ("parse", "index", "resolve_map", "diff", "validate",
                                                              "commit")}
                results["sizes"][f"{n}-{fmt}"] = {"runs": rs, "median_wall": wall, "median_steps": steps}
                line = (
                    f"| {n:,} | {fmt} | {runs} | {wall:.2f} | {median_of(rs, 'cpu'):.2f} | "
                    f"{median_of(rs, 'plan'):.2f} | {steps.get('commit', 0):.2f} | "
                    + " | ".join(f"{share[k]:.0%}" for k in share)
                    + f" | {max(r['peak_rss_mb'] for r in rs):.0f} |")
                results["sizes"][f"{n}-{fmt}"]["line"] = line
                print(line, flush=True)
    # sizes measured in earlier invocations (e.g. 10,000 rows run on its own) stay in the table
    if RESULTS_JSON.exists():
        earlier = json.loads(RESULTS_JSON.read_text())
        results["sizes"] = {**earlier.get("sizes", {}), **results["sizes"]}
    ordered = sorted(results["sizes"].items(), key=lambda kv: (int(kv[0].split("-")[0]), kv[0]))
    lines += [v["line"] for _k, v in ordered if "line" in v]
    RESULTS_JSON.write_text(json.dumps(results, indent=2) + "\n")
    md = ["# `kg import` benchmark (bench/bench_import.py)", "", f"Machine: {results['machine']}; "
          "the store: the real built graph (467,000 quads with the reference data). Synthetic offers files "
          "(generated by the script, never kept in data/). Each run in a fresh process on a private copy of the "
          "store; shares are of the median wall time.", "", *lines, ""]
    md += ["## Before and after (same session, 2026-12-07, 1,000 rows)", "",
           "| validation of the import | wall s | CPU s | plan s | commit s |", "|---|---|---|---|---|",
           "| before: kg.shacl.incremental over the whole store, in the plan and again in the commit | 75.95 (csv), "
           "81.73 (xlsx) | 15.87, 16.24 | 36.11, 47.91 | 39.84, 33.81 |",
           "| after: the native engine on the import's nodes and their context (before/after), the commit not "
           "validating the same change twice | see the table above | | | |", "",
           "The before figures were taken at a load average of about 15 on the 2 cores (wall time is mostly "
           "waiting); CPU seconds compare fairly. At 10,000 rows the commit — kg.graph.write.apply_update, which "
           "parses the update text on the staging copy and again on the live store — is 75-85 % of the time.", ""]
    RESULTS_MD.write_text("\n".join(md))
    print("\n".join(md))


if __name__ == "__main__":
    main()
