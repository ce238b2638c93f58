"""Set semantics on the union default graph (issue 21): what DISTINCT costs, and what a deduplicated
graph (`graph/merged`) would cost instead. Medians of RUNS runs, all in one session, on a copy of a
built store: `python bench/bench_set_semantics.py STORE` → bench/results/set-semantics.{json,md}.

A statement stated by two sources lives in both source graphs; the union default graph returns it
once per graph (oxigraph unions the named graphs as a bag), so `SELECT ?l { prog:… rdfs:label ?l }`
gives each label twice and COUNT(*) over the default graph double-counts."""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

from kg import rdf as ns

RUNS = 7
ROOT = Path(__file__).resolve().parent.parent
KKZ = ns.HNID + "programme/kein-kind-zuruecklassen"
P = f"PREFIX hn: <{ns.HN}> PREFIX rdfs: <{ns.RDFS}>\n"
QUERIES = {
    "labels of one programme": (P + f"SELECT ?l WHERE {{ <{KKZ}> rdfs:label ?l }}",
                                P + f"SELECT DISTINCT ?l WHERE {{ <{KKZ}> rdfs:label ?l }}"),
    "count statements about organisations": (
        P + "SELECT (COUNT(*) AS ?n) WHERE { ?o a hn:Organisation . ?o ?p ?v }",
        P + "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?o ?p ?v WHERE { ?o a hn:Organisation . ?o ?p ?v } }"),
    "all labels (reference data included)": (P + "SELECT ?s ?l WHERE { ?s rdfs:label ?l }",
                                             P + "SELECT DISTINCT ?s ?l WHERE { ?s rdfs:label ?l }"),
}


def _median(f: object) -> tuple[float, int]:
    times, n = [], 0
    for _ in range(RUNS):
        t = time.perf_counter()
        n = f()  # type: ignore[operator]
        times.append(time.perf_counter() - t)
    return statistics.median(times), n


def _du(path: Path) -> int:
    return int(subprocess.run(["du", "-sk", str(path)], capture_output=True, text=True, check=True).stdout.split()[0])


def main(store_path: Path) -> dict[str, object]:
    out: dict[str, object] = {"runs": RUNS, "queries": {}}
    store = ox.Store.read_only(str(store_path))
    for name, (bag, dist) in QUERIES.items():
        (tb, nb), (td, nd) = (_median(lambda q=q: len(list(store.query(q, use_default_graph_as_union=True))))
                              for q in (bag, dist))
        if "COUNT" in bag:
            nb = int(next(iter(store.query(bag, use_default_graph_as_union=True)))["n"].value)
            nd = int(next(iter(store.query(dist, use_default_graph_as_union=True)))["n"].value)
        out["queries"][name] = {"bag_s": tb, "bag_rows": nb, "distinct_s": td, "distinct_rows": nd}  # type: ignore[index]
    # the alternative: a deduplicated copy of every fact graph in graph/merged
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "store"
        shutil.copytree(store_path, copy)
        size_before = _du(copy)
        w = ox.Store(str(copy))
        merged = ns.HNID + "graph/merged"
        t = time.perf_counter()
        w.update(f"""INSERT {{ GRAPH <{merged}> {{ ?s ?p ?o }} }} WHERE {{
            SELECT DISTINCT ?s ?p ?o WHERE {{ GRAPH ?g {{ ?s ?p ?o }}
            FILTER(?g NOT IN (<{ns.GRAPH_SHAPES}>, <{ns.GRAPH_BUILD}>)) }} }}""")
        w.flush()
        build_s = time.perf_counter() - t
        n_merged = \
            sum(1 for _ in w.quads_for_pattern(None, None, None, ox.NamedNode(merged)))
        n_total = len(w)
        del w
        size_after = _du(copy)
        r = ox.Store.read_only(str(copy))
        t_merged, n_rows = _median(lambda: len(list(r.query(
            f"SELECT ?l FROM <{merged}> WHERE {{ <{KKZ}> <{ns.RDFS_LABEL}> ?l }}"))))
    out["merged_graph"] = {"build_s": build_s, "triples": n_merged, "store_quads_after": n_total,
                           "size_kb_before": size_before, "size_kb_after": size_after,
                           "label_query_from_merged_s": t_merged, "label_rows": n_rows}
    return out


def markdown(r: dict[str, object]) -> str:
    lines = ["# Set semantics on the union default graph (issue 21)", "",
             f"Medians of {r['runs']} runs, one session, on the store `kg build` makes of the real data "
             "(curated + reference + inferred). `bag` is the query as an analyst writes it without "
             "DISTINCT; `distinct` the same with DISTINCT (the documented way).", "",
             "| query | bag rows | bag ms | distinct rows | distinct ms |", "|---|---:|---:|---:|---:|"]
    for name, q in r["queries"].items():  # type: ignore[attr-defined]
        lines.append(f"| {name} | {q['bag_rows']} | {q['bag_s'] * 1000:.2f} | {q['distinct_rows']} "
                     f"| {q['distinct_s'] * 1000:.2f} |")
    m = r["merged_graph"]
    lines += ["", "The alternative not chosen, a deduplicated `graph/merged` of every fact graph:", "",
              f"- build: {m['build_s']:.1f} s more per `kg build` (single run), {m['triples']} triples "  # type: ignore[index]
              f"({m['store_quads_after']} quads in the store after)",  # type: ignore[index]
              f"- store size: {m['size_kb_before']} kB → {m['size_kb_after']} kB",  # type: ignore[index]
              f"- the label query `FROM <graph/merged>`: {m['label_query_from_merged_s'] * 1000:.2f} ms, "  # type: ignore[index]
              f"{m['label_rows']} rows", ""]  # type: ignore[index]
    return "\n".join(lines)


if __name__ == "__main__":
    res = main(Path(sys.argv[1]))
    results = ROOT / "bench" / "results"
    (results / "set-semantics.json").write_text(json.dumps(res, indent=1))
    (results / "set-semantics.md").write_text(markdown(res))
    print(markdown(res))
