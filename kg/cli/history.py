"""`kg history`: the recorded changes (kg.graph.changes), newest first."""

from __future__ import annotations

import argparse
import json
import sys

from kg.cli.common import add_settings, store_path
from kg.graph import changes
from kg.query.output import format_rows, short_iri
from kg.store import open_read_only


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "history", help="list the recorded changes, newest first",
        description="List the changes committed to the store (SPARQL Update, Graph Store writes, imports, "
                    "contributions, reverts), newest first: id, time, who, what, triples added and removed, "
                    "graphs. `kg revert ID` undoes one.",
    )
    add_settings(p, "history")
    p.add_argument("--graph", metavar="IRI", help="only changes of this named graph")
    p.add_argument("--resource", metavar="IRI", help="only changes that added or removed triples about this resource")
    p.add_argument("--limit", type=int, default=50, metavar="N", help="at most N changes (default 50)")
    p.add_argument("--format", choices=("table", "json"), default="table", help="output format")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    store = open_read_only(store_path(args))
    found = changes.history(store, graph=args.graph, resource=args.resource, limit=args.limit)
    if args.format == "json":
        sys.stdout.write(json.dumps([c.to_json() for c in found], ensure_ascii=False, indent=2) + "\n")
        return 0
    rows: list[list[object]] = [
        [c.id, c.time, c.actor, c.action + (f" of {c.reverts}" if c.reverts else ""), c.added, c.removed,
         " ".join(short_iri(g) for g in c.graphs)]
        for c in found
    ]
    sys.stdout.write(format_rows(["change", "time", "actor", "action", "added", "removed", "graphs"], rows, "table"))
    return 0
