"""SHACL validation benchmark: hilfenetz's native engine vs pyshacl vs pyrudof, on the same
synthetic national data (bench/generate_national.py) and the project's real shapes and ontology.

Each measurement runs in a fresh child process (so peak RSS is that engine's alone) and reports
load time, validation time (wall and CPU: on a shared machine CPU time is the fairer figure),
number of results and peak RSS; for the native engine also one-entity writes validated by
kg.shacl.incremental (p50/p99 over --writes writes). Cells are medians over --runs; a
peer that exceeds --timeout is reported as a timeout at that size. Not a test; run by hand:

    pip install -e '.[bench]'
    python bench/bench_shacl.py --sizes 100000 1000000 --runs 3
    python bench/bench_shacl.py --sizes 10000000 --engines native --runs 1

Results are appended to bench/results/shacl.json (one record per run, stamped with the commit and
the load average; --out for another file) and a table goes to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "results" / "shacl.json"
ENGINES = ("native", "pyshacl", "pyrudof")
WRITES = 100


def prepare_shared() -> tuple[Path, Path]:
    """One Turtle file with all shapes; one N-Triples file with ontology + alignment (the
    "ontology" both engines get) and the SKOS schemes, which are DATA in hilfenetz (the build
    validates hnid:graph/schemes) and must be data for pyshacl too: pyshacl does not see the
    ontology graph's skos:inScheme triples when it checks sh:node, so with the schemes in the
    ontology it reports every concept reference as a violation."""
    import rdflib

    shapes_p, onto_p = DATA / "shapes-all.ttl", DATA / "ontology-only.nt"
    if not shapes_p.exists() or not onto_p.exists() or not (DATA / "schemes-all.nt").exists():
        DATA.mkdir(parents=True, exist_ok=True)
        sg = rdflib.Graph()
        for f in sorted((ROOT / "ontology" / "shapes").glob("*.ttl")):
            sg.parse(f, format="turtle")
        sg.serialize(shapes_p, format="turtle")
        og = rdflib.Graph()
        for f in sorted((ROOT / "ontology").glob("*.ttl")):
            og.parse(f, format="turtle")
        og.serialize(onto_p, format="nt")
        schemes = rdflib.Graph()
        for f in sorted((ROOT / "ontology" / "schemes").glob("*.ttl")):
            schemes.parse(f, format="turtle")
        schemes.serialize(DATA / "schemes-all.nt", format="nt")
    return shapes_p, onto_p


def data_file(size: int, seed: int) -> Path:
    sys.path.insert(0, str(ROOT / "bench"))
    from generate_national import default_path, generate

    p = default_path(size, seed)
    if not p.exists():
        generate(p, size, seed)
    return p


# ----------------------------------------------------------------------------- child: one run

def child(engine: str, data: Path, shapes: Path, onto: Path) -> dict[str, object]:
    c0 = time.process_time()
    t0 = time.perf_counter()
    if engine == "native":
        import pyoxigraph as ox
        import rdflib

        from kg.shacl.engine import validate_store

        store = ox.Store()
        store.bulk_load(path=str(data), format=ox.RdfFormat.N_QUADS)
        store.bulk_load(path=str(onto), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.DefaultGraph())
        store.bulk_load(path=str(DATA / "schemes-all.nt"), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.DefaultGraph())
        sg = rdflib.Graph().parse(shapes, format="turtle")
        t1, c1 = time.perf_counter(), time.process_time()
        rep = validate_store(store, sg)
        t2, c2 = time.perf_counter(), time.process_time()
        n, nv = len(rep.results), len(rep.violations)
        triples = len(store)
        extra = {**_one_entity_writes(store, sg, WRITES),
                 "engine_notes": [x for x in rep.notes if "native engine" in x]}
    elif engine == "pyshacl":
        import rdflib

        from kg.shacl import pyshacl_engine, union_graph

        ds = rdflib.Dataset()
        ds.parse(data, format="nquads")
        g = union_graph(ds)
        g.parse(DATA / "schemes-all.nt", format="nt")
        del ds
        onto_g = rdflib.Graph().parse(onto, format="nt")
        sg = rdflib.Graph().parse(shapes, format="turtle")
        triples = len(g) + len(onto_g)
        t1, c1 = time.perf_counter(), time.process_time()
        rg = pyshacl_engine.run(g, sg, onto_g, inplace=True)
        t2, c2 = time.perf_counter(), time.process_time()
        sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
        res = list(rg.objects(None, sh.result))
        n = len(res)
        nv = sum(1 for r in res if rg.value(r, sh.resultSeverity) == sh.Violation)
    elif engine == "pyrudof":
        import pyrudof

        r = pyrudof.Rudof(pyrudof.RudofConfig())
        r.read_data(str(data), format=pyrudof.RDFFormat.NQuads)
        r.read_data(str(onto), format=pyrudof.RDFFormat.NTriples, merge=True)
        r.read_data(str(DATA / "schemes-all.nt"), format=pyrudof.RDFFormat.NTriples, merge=True)
        r.read_shacl(str(shapes), format=pyrudof.ShaclFormat.Turtle)
        t1, c1 = time.perf_counter(), time.process_time()
        rep = r.validate_shacl()
        t2, c2 = time.perf_counter(), time.process_time()
        try:
            n = len(list(rep.results()))  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - pyrudof's report API varies between versions
            n = -1
        nv = -1
        triples = -1
    else:
        raise SystemExit(f"unknown engine {engine}")
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {**(extra if engine == "native" else {}), "engine": engine,
            "load_s": round(t1 - t0, 3), "validate_s": round(t2 - t1, 3),
            "total_s": round(t2 - t0, 3), "load_cpu_s": round(c1 - c0, 3), "validate_cpu_s": round(c2 - c1, 3),
            "results": n, "violations": nv, "triples": triples,
            "peak_rss_mb": round(rss_kb / 1024, 1)}


def _one_entity_writes(store: object, shapes: object, n: int = 7) -> dict[str, float]:
    """Milliseconds of kg.shacl.incremental.apply_change for one-entity writes (each a new
    synthetic offer with label, provider, area, target group, topic, ages): p50 and p99
    (nearest rank) of wall and CPU time over `n` writes."""
    import pyoxigraph as ox

    from kg.shacl.compile import ShapesGraph
    from kg.shacl.incremental import Change, apply_change

    sg = ShapesGraph(shapes)  # type: ignore[arg-type]
    hn = "https://w3id.org/hilfenetz/ontology#"
    syn = "https://w3id.org/hilfenetz/id/synthetic/"
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    area = next(q.subject for q in store.quads_for_pattern(None, rdf_type, ox.NamedNode(hn + "Municipality")))  # type: ignore[attr-defined]
    org = next((q.subject for q in store.quads_for_pattern(None, rdf_type, ox.NamedNode(hn + "Organisation"))), area)  # type: ignore[attr-defined]
    g = ox.NamedNode(syn + "graph/national")
    times: list[float] = []
    cpu: list[float] = []
    for i in range(n):
        o = ox.NamedNode(f"{syn}offer/bench-write-{i}")
        quads = [
            (ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), ox.NamedNode(hn + "Offer")),
            (ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
             ox.Literal(f"Synthetisch: Schreibtest {i}", language="de")),
            (ox.NamedNode(hn + "statedIn"), ox.NamedNode(syn + "source/0")),
            (ox.NamedNode(hn + "provider"), org),
            (ox.NamedNode(hn + "areaServed"), area),
            (ox.NamedNode(hn + "targetGroup"), ox.NamedNode("https://w3id.org/hilfenetz/id/concept/target-group/children-of-parents-mental-illness-addiction")),
            (ox.NamedNode(hn + "minAge"), ox.Literal("3", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))),
            (ox.NamedNode(hn + "maxAge"), ox.Literal("9", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))),
        ]
        ch = Change(added=[ox.Quad(o, p, v, g) for p, v in quads])
        t, c = time.perf_counter(), time.process_time()
        out = apply_change(store, sg, ch)  # type: ignore[arg-type]
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
        if not out.applied:
            raise RuntimeError(f"benchmark write rejected: {out.new_violations[:3]}")
    return {"write_ms": _pct(times, 50), "write_p50_ms": _pct(times, 50), "write_p99_ms": _pct(times, 99),
            "write_cpu_p50_ms": _pct(cpu, 50), "write_cpu_p99_ms": _pct(cpu, 99), "writes": n}


def _pct(xs: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ys = sorted(xs)
    k = max(0, min(len(ys) - 1, -(-len(ys) * p // 100) - 1))
    return round(ys[int(k)], 2)


def run_child(engine: str, data: Path, shapes: Path, onto: Path, timeout: float) -> dict[str, object]:
    cmd = [sys.executable, __file__, "--child", engine, "--data", str(data), "--shapes", str(shapes),
           "--onto", str(onto), "--writes", str(WRITES)]
    try:
        p = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=timeout,
                           env={**os.environ, "PYTHONHASHSEED": "0"})
    except subprocess.TimeoutExpired:
        return {"engine": engine, "timeout": timeout}
    if p.returncode != 0:
        return {"engine": engine, "error": p.stderr[-800:]}
    return json.loads(p.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per run before a peer counts as timed out")
    ap.add_argument("--writes", type=int, default=100, help="one-entity writes per native run (p50/p99)")
    ap.add_argument("--out", type=Path, default=RESULTS, help="JSON file the records are appended to")
    ap.add_argument("--note", default="", help="a note stored with every record of this invocation")
    ap.add_argument("--child", choices=ENGINES, help=argparse.SUPPRESS)
    ap.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--shapes", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--onto", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    global WRITES
    WRITES = args.writes
    if args.child:
        print(json.dumps(child(args.child, args.data, args.shapes, args.onto)))
        return 0
    shapes, onto = prepare_shared()
    records: list[dict[str, object]] = []
    for size in args.sizes:
        data = data_file(size, args.seed)
        for engine in args.engines:
            runs = []
            for i in range(args.runs):
                r = run_child(engine, data, shapes, onto, args.timeout)
                r.update(size=size, run=i, data=data.name, commit=_commit(), loadavg_1m=round(os.getloadavg()[0], 2))
                if args.note:
                    r["note"] = args.note
                print(json.dumps(r), file=sys.stderr, flush=True)
                records.append(r)
                runs.append(r)
                if "timeout" in r or "error" in r:
                    break
    args.out.parent.mkdir(parents=True, exist_ok=True)
    old = json.loads(args.out.read_text()) if args.out.exists() else []
    args.out.write_text(json.dumps(old + records, indent=1))
    print(table(records))
    return 0


def _commit() -> str:
    p = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False)
    return p.stdout.strip()


KEYS = ("load_s", "validate_s", "total_s", "load_cpu_s", "validate_cpu_s", "peak_rss_mb")


def medians(records: list[dict[str, object]], size: int, engine: str) -> dict[str, float] | None:
    ok = [r for r in records if r.get("size") == size and r.get("engine") == engine and "validate_s" in r
          and "invalid" not in r]
    if not ok:
        return None
    out = {k: statistics.median(float(r[k]) for r in ok if k in r) for k in KEYS if any(k in r for r in ok)}  # type: ignore[arg-type]
    out["runs"] = len(ok)
    out["results"] = float(ok[0]["results"])  # type: ignore[arg-type]
    return out


def table(records: list[dict[str, object]]) -> str:
    """Medians per size and engine, wall and CPU seconds, and each peer's ratio to native
    (validation CPU, load + validation CPU, peak RSS)."""
    head = (f"{'size':>9} {'engine':8} {'runs':>4} {'load s':>7} {'valid. s':>8} {'load cpu':>8} {'val. cpu':>8} "
            f"{'peak MB':>8} {'results':>7}  ratios to native (val. cpu, load+val. cpu, peak)")
    lines = [head]
    for size in sorted({int(r["size"]) for r in records}):  # type: ignore[call-overload]
        nat = medians(records, size, "native")
        for engine in ENGINES:
            m = medians(records, size, engine)
            if m is None:
                rs = [r for r in records if r.get("size") == size and r.get("engine") == engine]
                if rs:
                    why = "timeout" if any("timeout" in r for r in rs) else "error"
                    lines.append(f"{size:>9} {engine:8} {why}")
                continue
            ratio = ""
            if nat and engine != "native" and "validate_cpu_s" in m and "validate_cpu_s" in nat:
                total_ratio = (m["load_cpu_s"] + m["validate_cpu_s"]) / (nat["load_cpu_s"] + nat["validate_cpu_s"])
                ratio = (f"{m['validate_cpu_s'] / nat['validate_cpu_s']:.1f}x, "
                         f"{total_ratio:.1f}x, "
                         f"{m['peak_rss_mb'] / nat['peak_rss_mb']:.1f}x")
            lines.append(f"{size:>9} {engine:8} {int(m['runs']):>4} {m['load_s']:7.2f} {m['validate_s']:8.2f} "
                         f"{m.get('load_cpu_s', float('nan')):8.2f} {m.get('validate_cpu_s', float('nan')):8.2f} "
                         f"{m['peak_rss_mb']:8.0f} {int(m['results']):>7}  {ratio}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
