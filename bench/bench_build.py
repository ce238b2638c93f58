"""Benchmark the whole build (curated seeds + reference data + validation + inference + load).

Why: the reference data turns a graph of a few thousand curated triples into ~250,000 triples;
issue 3 requires that the whole build with validation stays fast, and the README reports it.

What it measures, each run in a fresh child process (so peak RSS is per run, not cumulative):

* ``build``: ``kg.graph.build.build(project_root, store_path, include_reference=True)`` into a temporary
  directory: wall time, the build's own per-step times (parse, load, validate, infer, swap),
  triple counts per graph, peak RSS;
* peers on the same data (the build's data graphs exported once as N-Quads):
  ``ox-load`` pyoxigraph on-disk ``bulk_load`` of the N-Quads; ``rdflib-parse`` rdflib
  ``Dataset.parse`` of the same file; ``pyshacl`` plain ``pyshacl.validate`` (inference none) of
  that data with the project's shapes and ontology, the way a project without kg would do it.

Medians over ``--runs`` runs (default 3). Prints a Markdown table and writes
``bench/results/build.json``. No assertions on times: this is a measurement, not a test.

    python bench/bench_build.py            # 3 runs each
    python bench/bench_build.py --runs 1   # quick
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "build.json"


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_s() -> float:
    """User + system CPU seconds of this process so far: robust on a shared machine where wall
    time also counts waiting for a core (the benchmark reports both)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


# ---------------------------------------------------------------- child-process tasks


def task_build(tmp: Path) -> dict[str, Any]:
    from kg.graph.build import build

    t, c = time.perf_counter(), cpu_s()
    result = build(ROOT, tmp / "store", include_reference=True)
    wall = time.perf_counter() - t
    return {
        "wall_s": wall,
        "cpu_s": cpu_s() - c,
        "steps_s": result.timings,
        "graph_counts": result.graph_counts,
        "total_triples": result.total_triples,
        "inferred_triples": result.inferred.total,
        "validation_results": len(result.report.results),
        "violations": len(result.report.violations),
        "reference_included": result.reference_included,
        "peak_rss_mb": peak_rss_mb(),
    }


def task_reference() -> dict[str, Any]:
    """The reference importer alone: read + check the CSVs and build the quads (no store)."""
    from collections import Counter

    from kg.graph.reference import reference_quads

    t, c = time.perf_counter(), cpu_s()
    quads = list(reference_quads(ROOT / "data" / "reference"))
    wall, cpu = time.perf_counter() - t, cpu_s() - c
    per_graph = Counter(q.graph_name.value for q in quads)
    return {"wall_s": wall, "cpu_s": cpu, "quads": len(quads), "per_graph": dict(per_graph),
            "peak_rss_mb": peak_rss_mb()}


def task_export(nq: Path) -> dict[str, Any]:
    """Write the build's data graphs (curated + reference, no ontology/shapes) as N-Quads."""
    import pyoxigraph as ox

    from kg import rdf as ns
    from kg.graph.reference import reference_quads
    from kg.graph.sources import discover, parse_sources

    skip = {ns.GRAPH_ONTOLOGY, ns.GRAPH_ALIGNMENT, ns.GRAPH_SHAPES}
    sources = [s for s in discover(ROOT) if s.graph not in skip]
    quads = [q for p in parse_sources(sources) for q in p.quads]
    quads += list(reference_quads(ROOT / "data" / "reference"))
    with nq.open("wb") as fh:
        ox.serialize(quads, fh, format=ox.RdfFormat.N_QUADS)
    return {"quads": len(quads), "bytes": nq.stat().st_size}


def task_ox_load(nq: Path, tmp: Path) -> dict[str, Any]:
    import pyoxigraph as ox

    t, c = time.perf_counter(), cpu_s()
    store = ox.Store(str(tmp / "ox"))
    store.bulk_load(path=str(nq), format=ox.RdfFormat.N_QUADS)
    store.flush()
    wall, cpu = time.perf_counter() - t, cpu_s() - c
    return {"wall_s": wall, "cpu_s": cpu, "quads": len(store), "peak_rss_mb": peak_rss_mb()}


def task_rdflib_parse(nq: Path) -> dict[str, Any]:
    import rdflib

    t, c = time.perf_counter(), cpu_s()
    ds = rdflib.Dataset()
    ds.parse(str(nq), format="nquads")
    wall, cpu = time.perf_counter() - t, cpu_s() - c
    n = sum(1 for _ in ds.quads((None, None, None, None)))
    return {"wall_s": wall, "cpu_s": cpu, "quads": n, "peak_rss_mb": peak_rss_mb()}


def task_pyshacl(nq: Path) -> dict[str, Any]:
    """Plain pyshacl: parse with rdflib, union the graphs, validate (inference none)."""
    import pyshacl
    import rdflib

    t, c = time.perf_counter(), cpu_s()
    ds = rdflib.Dataset()
    ds.parse(str(nq), format="nquads")
    data = rdflib.Graph()
    for s, p, o, _g in ds.quads((None, None, None, None)):
        data.add((s, p, o))
    del ds
    shapes = rdflib.Graph()
    for f in sorted((ROOT / "ontology" / "shapes").glob("*.ttl")):
        shapes.parse(f, format="turtle")
    ont = rdflib.Graph()
    for f in sorted((ROOT / "ontology").glob("*.ttl")):
        ont.parse(f, format="turtle")
    parse_s = time.perf_counter() - t
    t, c2 = time.perf_counter(), cpu_s()
    conforms, results, _text = pyshacl.validate(
        data, shacl_graph=shapes, ont_graph=ont, inference="none", advanced=False, meta_shacl=False,
        allow_warnings=True,
    )
    validate_s, validate_cpu = time.perf_counter() - t, cpu_s() - c2
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    n_results = sum(1 for _ in results.subjects(rdflib.RDF.type, sh.ValidationResult))
    return {"wall_s": parse_s + validate_s, "cpu_s": cpu_s() - c, "parse_s": parse_s, "validate_s": validate_s,
            "validate_cpu_s": validate_cpu,
            "conforms": bool(conforms), "results": n_results, "triples": len(data), "peak_rss_mb": peak_rss_mb()}


TASKS = {"reference": task_reference, "build": task_build, "export": task_export, "ox-load": task_ox_load,
         "rdflib-parse": task_rdflib_parse, "pyshacl": task_pyshacl}


def child(name: str, args: list[str]) -> dict[str, Any]:
    """Run one task in a fresh interpreter and return its JSON result."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", name, *args]
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{name} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_child_task(name: str, args: list[str]) -> None:
    fn = TASKS[name]
    paths = [Path(a) for a in args]
    print(json.dumps(fn(*paths)))


# ---------------------------------------------------------------- driver


def median(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3, help="repetitions per measurement (median is reported)")
    ap.add_argument("--no-peers", action="store_true", help="only measure the kg build")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("child_args", nargs="*", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        run_child_task(a.child, a.child_args)
        return 0

    result: dict[str, Any] = {
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "runs": a.runs,
        "loadavg_start": os.getloadavg(),
    }
    with tempfile.TemporaryDirectory(prefix="hilfenetz-bench-") as tmpd:
        tmp = Path(tmpd)
        refs = [child("reference", []) for _ in range(a.runs)]
        result["reference_import"] = {"wall_s_median": median(refs, "wall_s"), "cpu_s_median": median(refs, "cpu_s"),
                                      "quads": refs[-1]["quads"], "per_graph": refs[-1]["per_graph"],
                                      "peak_rss_mb_median": median(refs, "peak_rss_mb"), "runs": refs}
        builds = []
        for i in range(a.runs):
            d = tmp / f"build{i}"
            d.mkdir()
            builds.append(child("build", [str(d)]))
            print(f"build run {i + 1}: {builds[-1]['wall_s']:.1f} s", file=sys.stderr)
        steps = sorted({k for b in builds for k in b["steps_s"]})
        result["build"] = {
            "wall_s_median": median(builds, "wall_s"),
            "cpu_s_median": median(builds, "cpu_s"),
            "peak_rss_mb_median": median(builds, "peak_rss_mb"),
            "steps_s_median": {k: statistics.median(b["steps_s"].get(k, 0.0) for b in builds) for k in steps},
            "total_triples": builds[-1]["total_triples"],
            "inferred_triples": builds[-1]["inferred_triples"],
            "graph_counts": builds[-1]["graph_counts"],
            "validation_results": builds[-1]["validation_results"],
            "violations": builds[-1]["violations"],
            "reference_included": builds[-1]["reference_included"],
            "runs": builds,
        }
        if not a.no_peers:
            nq = tmp / "data.nq"
            result["export"] = child("export", [str(nq)])
            peers: dict[str, list[dict[str, Any]]] = {"ox-load": [], "rdflib-parse": [], "pyshacl": []}
            for i in range(a.runs):
                d = tmp / f"ox{i}"
                d.mkdir()
                peers["ox-load"].append(child("ox-load", [str(nq), str(d)]))
                peers["rdflib-parse"].append(child("rdflib-parse", [str(nq)]))
                peers["pyshacl"].append(child("pyshacl", [str(nq)]))
                print(f"peer run {i + 1} done", file=sys.stderr)
            result["peers"] = {
                name: {"wall_s_median": median(runs, "wall_s"), "cpu_s_median": median(runs, "cpu_s"),
                       "peak_rss_mb_median": median(runs, "peak_rss_mb"),
                       **({"validate_s_median": median(runs, "validate_s"),
                           "validate_cpu_s_median": median(runs, "validate_cpu_s"),
                           "parse_s_median": median(runs, "parse_s"),
                           "results": runs[-1]["results"], "conforms": runs[-1]["conforms"]}
                          if name == "pyshacl" else {}),
                       "runs": runs}
                for name, runs in peers.items()
            }
    result["loadavg_end"] = os.getloadavg()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(markdown(result))
    return 0


def markdown(r: dict[str, Any]) -> str:
    b = r["build"]
    lines = [
        "Whole build (`kg.graph.build.build`, seeds + reference data, validation, inference), "
        f"median of {r['runs']} run(s), "
        f"{r['machine']['cpus']} CPUs, Python {r['machine']['python']}, measured {r['measured_at']} "
        f"(load average {r['loadavg_start'][0]:.1f} at start, {r['loadavg_end'][0]:.1f} at end: "
        "the machine is shared):",
        "",
        "| measure | value |",
        "|---|---:|",
        f"| reference import alone (`reference_quads`, {r['reference_import']['quads']:,} quads) | "
        f"{r['reference_import']['wall_s_median']:.1f} s |",
        f"| total wall time | {b['wall_s_median']:.1f} s |",
        f"| total CPU time (user+sys) | {b['cpu_s_median']:.1f} s |",
        *[f"| step `{k}` | {v:.1f} s |" for k, v in b["steps_s_median"].items()],
        f"| peak RSS | {b['peak_rss_mb_median']:.0f} MB |",
        f"| triples in the store | {b['total_triples']:,} |",
        f"| of which inferred | {b['inferred_triples']:,} |",
        f"| validation results (violations) | {b['validation_results']} ({b['violations']}) |",
    ]
    if "peers" in r:
        p = r["peers"]
        ox_s, rdf_s = p["ox-load"]["wall_s_median"], p["rdflib-parse"]["wall_s_median"]
        ox_m, rdf_m = p["ox-load"]["peak_rss_mb_median"], p["rdflib-parse"]["peak_rss_mb_median"]
        sh = p["pyshacl"]
        build_val = b["steps_s_median"].get("validate", float("nan"))
        lines += [
            "",
            f"Peers on the same data ({r['export']['quads']:,} quads of curated + reference data as N-Quads, "
            f"{r['export']['bytes'] / 1e6:.1f} MB):",
            "",
            "| task | wall time | CPU time | peak RSS | ratio |",
            "|---|---:|---:|---:|---:|",
            f"| pyoxigraph `bulk_load` on disk | {ox_s:.2f} s | {p['ox-load']['cpu_s_median']:.2f} s | "
            f"{ox_m:.0f} MB | 1 |",
            f"| rdflib `Dataset.parse` | {rdf_s:.2f} s | {p['rdflib-parse']['cpu_s_median']:.2f} s | {rdf_m:.0f} MB | "
            f"{rdf_s / ox_s:.1f}× time, {rdf_m / ox_m:.1f}× memory of pyoxigraph |",
            f"| plain pyshacl (rdflib parse {sh['parse_s_median']:.1f} s + validate {sh['validate_s_median']:.1f} s) "
            f"| {sh['wall_s_median']:.1f} s | {sh['cpu_s_median']:.1f} s | {sh['peak_rss_mb_median']:.0f} MB | "
            f"{sh['wall_s_median'] / b['wall_s_median']:.2f}× the whole kg build; validate "
            f"{sh['validate_s_median'] / build_val:.2f}× kg's validate step |",
            "",
            f"CPU-time ratios (less sensitive to a shared machine): rdflib parse / pyoxigraph load "
            f"{p['rdflib-parse']['cpu_s_median'] / p['ox-load']['cpu_s_median']:.1f}×; "
            "plain pyshacl (parse + validate) / "
            f"whole kg build {sh['cpu_s_median'] / b['cpu_s_median']:.2f}×.",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
