"""`kg stats`: triples per named graph and instances per class."""

from __future__ import annotations

import argparse
import json
import sys

import pyoxigraph as ox

from kg.cli.common import add_settings, store_path
from kg.query.output import format_rows, short_iri
from kg.rdf import GRAPH_INFERRED
from kg.store import graph_counts, open_read_only


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "stats", help="triples per named graph and instances per class",
        description="Show the number of triples in each named graph and the classes with the most instances "
                    "(after inference, so superclasses count their subclasses' instances).",
    )
    add_settings(p, "stats")
    p.add_argument("--top", type=int, default=25, help="how many classes to list (0 = all; default 25)")
    p.add_argument("--format", choices=("table", "json"), default="table", help="output format")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    store = open_read_only(store_path(args))
    counts = graph_counts(store)
    q = (
        "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c ORDER BY DESC(?n) ?c"
        + (f" LIMIT {args.top}" if args.top > 0 else "")
    )
    solutions = store.query(q, use_default_graph_as_union=True)
    assert isinstance(solutions, ox.QuerySolutions)  # a SELECT query
    classes = [(r["c"].value, int(r["n"].value)) for r in solutions]
    if args.format == "json":
        out = {
            "graphs": dict(sorted(counts.items())),
            "total_triples": sum(counts.values()),
            "asserted_triples": sum(n for g, n in counts.items() if g != GRAPH_INFERRED),
            "classes": dict(classes),
        }
        sys.stdout.write(json.dumps(out, ensure_ascii=False, indent=2) + "\n")
        return 0
    rows: list[list[object]] = [[short_iri(g) if g else "(default)", n] for g, n in sorted(counts.items())]
    rows.append(["total", sum(counts.values())])
    sys.stdout.write(format_rows(["graph", "triples"], rows, "table"))
    sys.stdout.write("\n")
    sys.stdout.write(format_rows(["class", "instances"], [[short_iri(c), n] for c, n in classes], "table"))
    return 0
