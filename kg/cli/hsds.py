"""`kg hsds export --output DIR`: the graph as Open Referral HSDS 3.x (JSON objects and a tabular
data package; kg/graph/hsds.py, docs/hsds.md). Opens the store read-only and never writes to it.

A command of its own until `kg export` (issue 17) takes it over as `kg export hsds`; the library
function `kg.graph.hsds.export_hsds(store, out_dir)` is what either calls."""

from __future__ import annotations

import argparse
from pathlib import Path

from kg.cli.common import add_settings, store_path
from kg.graph.hsds import export_hsds
from kg.store import open_read_only


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("hsds", help="Open Referral HSDS: export the offers, organisations, programmes, funding, "
                                    "areas served and concept schemes")
    what = p.add_subparsers(dest="what", required=True)
    e = what.add_parser(
        "export", help="write the HSDS JSON objects and the tabular data package into a directory",
        description="Writes DIR/json/{organizations,services,taxonomies,taxonomy_terms}.json and the Tabular Data "
                    "Package DIR/datapackage.json with one CSV per HSDS table (docs/hsds.md has the mapping).",
    )
    e.add_argument("--output", type=Path, required=True, metavar="DIR", help="directory to write (created)")
    add_settings(e, "hsds export")
    e.set_defaults(func=run_export)


def run_export(args: argparse.Namespace) -> int:
    result = export_hsds(open_read_only(store_path(args)), args.output)
    counts = result.counts()
    print(f"wrote HSDS to {args.output}: " + ", ".join(f"{name} {n}" for name, n in counts.items()))
    return 0
