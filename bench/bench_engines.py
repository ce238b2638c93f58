"""The two tested remote engines side by side: Oxigraph server and Virtuoso Open Source.

For each engine, in the same run: a fresh server (tests/engines.py, its own ports and files on
127.0.0.1), the publish of the real built store (`kg.graph.publish`: Oxigraph one atomic request,
Virtuoso staged) and a republish over it, then a few named queries that both engines answer
correctly (tests/store/remote/conftest.py KNOWN_WRONG lists those Virtuoso gets wrong), each
through `RemoteStore.query` as `kg serve --store URL` asks them, median of --runs runs after one
warm-up. Writes bench/results/engines.md.

    python bench/bench_engines.py --store var/store [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kg.graph.publish import publish
from kg.store.remote import RemoteStore
from tests.engines import start_engine

QUERIES = ("programmes-overview", "municipalities-of-kreis", "health-office-for-municipality",
           "statement-sources", "shortest-connections", "stated-figures")


def rows(result: object) -> int:
    return sum(1 for _ in result)  # type: ignore[attr-defined]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, default=ROOT / "var" / "store", help="a built store (kg build)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "engines.md")
    args = ap.parse_args()
    texts = {name: (ROOT / "queries" / f"{name}.rq").read_text(encoding="utf-8") for name in QUERIES}
    results: dict[str, dict[str, str]] = {}
    for engine in ("oxigraph", "virtuoso"):
        with tempfile.TemporaryDirectory(prefix=f"bench-{engine}-") as tmp:
            server = start_engine(engine, Path(tmp))
            try:
                first = publish(args.store, server.query_url)
                again = publish(args.store, server.query_url)
                store = RemoteStore(server.query_url)
                out = {"publish (empty)": f"{first.seconds:.1f} s, {first.requests} request(s)",
                       "republish": f"{again.seconds:.1f} s"}
                for name, text in texts.items():
                    n = rows(store.query(text, use_default_graph_as_union=True))  # warm-up
                    times = []
                    for _ in range(args.runs):
                        t = time.perf_counter()
                        rows(store.query(text, use_default_graph_as_union=True))
                        times.append((time.perf_counter() - t) * 1000)
                    out[name] = f"{statistics.median(times):.0f} ms ({n} rows)"
                results[engine] = out
            finally:
                server.stop()
    load = os.getloadavg()[0]
    lines = ["# Remote engines: Oxigraph server and Virtuoso", "",
             f"`python bench/bench_engines.py` on {time.strftime('%Y-%m-%d')}, the real built store "
             f"(2 cores; load average {load:.1f} at the end: compare the ratios). Query times: median of "
             f"{args.runs} runs through `RemoteStore.query` after one warm-up.", "",
             "| | Oxigraph server | Virtuoso 7.2 |", "|---|---|---|"]
    for key in results["oxigraph"]:
        lines.append(f"| {key} | {results['oxigraph'][key]} | {results['virtuoso'][key]} |")
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
