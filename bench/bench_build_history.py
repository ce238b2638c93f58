"""What carrying the change history across `kg build` costs (kg.graph.build, step 5).

Why: since the build keeps the old store's history (`hnid:graph/changes`) and records itself, every
build reads the old store's history and counts its triples under the store's lock, and checks
which recorded changes since the last build data/contributions/ does not hold. The history grows
with every write, so this measures it against a long one.

What it measures, on the real project (reference data included, validation cache warm):

* ``build-short``: `build()` over a store whose history holds only earlier builds' records;
* ``build-1000``: the same over a store whose history also holds 1,000 recorded one-entity writes
  (SYNTHETIC change records, made by this script with kg.graph.changes.record_quads, never in data/);
* ``carry-short`` / ``carry-1000``: the carrying itself on those stores (`_old_history`, and
  `unkept_changes` on the history), which is what the build added.

Medians over ``--runs`` runs (default 3), wall and CPU seconds; writes bench/results/build-history.md.
No assertions: a measurement.

    python bench/bench_build_history.py [--runs 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.graph import build as building
from kg.graph import changes
from kg.rdf import GRAPH_CHANGES

OUT = ROOT / "bench" / "results" / "build-history.md"
SYNTHETIC = "https://example.org/synthetic/"


def add_synthetic_history(store_path: Path, n: int) -> None:
    """n SYNTHETIC change records of one-entity writes (3 quads added, 1 removed each)."""
    s = ox.Store(str(store_path))
    quads: list[ox.Quad] = []
    g = ox.NamedNode(SYNTHETIC + "graph")
    for i in range(n):
        e = ox.NamedNode(f"{SYNTHETIC}entity/{i}")
        added = [ox.Quad(e, ox.NamedNode(f"{SYNTHETIC}p{k}"), ox.Literal(f"synthetic value {i} {k}"), g)
                 for k in range(3)]
        removed = [ox.Quad(e, ox.NamedNode(SYNTHETIC + "p0"), ox.Literal(f"old {i}"), g)]
        quads += changes.record_quads(changes.new_id(), changes.ChangeMeta("bench", "update"), added, removed)
    s.extend(quads)
    s.flush()
    del s


def timed(fn: object) -> tuple[float, float]:
    w, c = time.perf_counter(), time.process_time()
    fn()  # type: ignore[operator]
    return time.perf_counter() - w, time.process_time() - c


def carry(store_path: Path) -> None:
    history, _ = building._old_history(store_path)
    mem = ox.Store()
    mem.extend(history)
    building.unkept_changes(mem, ROOT)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-build-history-"))
    try:
        short, long_ = tmp / "short", tmp / "long"
        building.build(ROOT, short)  # warms the validation cache too
        shutil.copytree(short, long_)
        add_synthetic_history(long_, 1000)
        rows: dict[str, list[tuple[float, float]]] = {k: [] for k in ("build-short", "build-1000", "carry-short",
                                                                       "carry-1000")}
        sizes = {}
        for name, path in (("short", short), ("1000", long_)):
            s = ox.Store.read_only(str(path))
            sizes[name] = sum(1 for _ in s.quads_for_pattern(None, None, None, ox.NamedNode(GRAPH_CHANGES)))
            del s
        for _ in range(args.runs):
            for name, path in (("short", short), ("1000", long_)):
                rows[f"carry-{name}"].append(timed(lambda p=path: carry(p)))
                rows[f"build-{name}"].append(timed(lambda p=path: building.build(ROOT, p)))
        lines = ["# Carrying the change history across `kg build`", "",
                 f"Real project, reference data included, validation cache warm; medians of {args.runs} runs, "
                 "same session, loaded 2-core machine (`bench/bench_build_history.py`). History triples before the "
                 f"first run: short {sizes['short']}, with 1,000 synthetic change records {sizes['1000']} "
                 "(each build adds its own record, ~80 triples).", "",
                 "| step | wall s (median) | CPU s (median) |", "|---|---:|---:|"]
        for k, v in rows.items():
            wall, cpu = statistics.median(x[0] for x in v), statistics.median(x[1] for x in v)
            lines.append(f"| {k} | {wall:.2f} | {cpu:.2f} |")
        OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print("\n".join(lines))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
