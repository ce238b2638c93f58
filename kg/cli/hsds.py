"""`kg hsds export --output DIR`: the graph as Open Referral HSDS 3.x (JSON objects and a tabular
data package; kg/graph/hsds.py, docs/hsds.md). Opens the store read-only and never writes to it.

`kg hsds import DIR|FILE.json --source-title … --publisher …`: HSDS services as offers into a
contribution graph through the spreadsheet import (kg/graph/hsds_import.py); `--dry-run` plans only.
The HSDS file (a directory: its services as one JSON file) is kept under data/contributions/
(kg.graph.kept), so that `kg build` rebuilds the graph.

A command of its own until `kg export` (issue 17) takes it over as `kg export hsds`; the library
function `kg.graph.hsds.export_hsds(store, out_dir)` is what either calls."""

from __future__ import annotations

import argparse
import datetime
from pathlib import Path

from kg.cli.common import add_settings, store_path
from kg.errors import KgError
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
    i = what.add_parser(
        "import", help="import HSDS services as offers into a contribution graph (all or nothing)",
        description="Reads HSDS JSON (a services list, one service, an API page, organisations with services, or "
                    "an export's directory) and imports the services as offers through the spreadsheet import: "
                    "organisations, programmes and service areas are resolved (by IRI, id, official key or name), "
                    "the change is validated against the whole graph, one graph with its source node is written. "
                    "Exit code 2 when something cannot be mapped (nothing written). docs/hsds.md.",
    )
    i.add_argument("path", type=Path, metavar="DIR|FILE.json", help="HSDS JSON file or directory")
    i.add_argument("--source-title", required=True, help="title of the contribution (names its graph)")
    i.add_argument("--publisher", required=True, help="who publishes the data")
    i.add_argument("--licence", default=None, help="licence of the data (IRI or name)")
    i.add_argument("--date", type=datetime.date.fromisoformat, default=None, help="date of the data (YYYY-MM-DD)")
    i.add_argument("--into-source", default=None, metavar="SLUG",
                   help="import into the graph of this existing source (the round trip of an export)")
    i.add_argument("--dry-run", action="store_true", help="show what would change; write nothing")
    i.add_argument("--lang", choices=("de", "en", "both"), default="both", help="language of the report")
    add_settings(i, "hsds import")
    i.set_defaults(func=run_import)


def run_export(args: argparse.Namespace) -> int:
    result = export_hsds(open_read_only(store_path(args)), args.output)
    counts = result.counts()
    print(f"wrote HSDS to {args.output}: " + ", ".join(f"{name} {n}" for name, n in counts.items()))
    return 0


def run_import(args: argparse.Namespace) -> int:
    from kg.cli.import_ import plan_report_commit
    from kg.graph.hsds_import import plan_hsds_import
    from kg.graph.tabular.importer import SourceMeta
    from kg.rdf import source_graph

    if not args.path.exists():
        raise KgError(f"{args.path}: no such file or directory", de=f"{args.path}: Datei oder Verzeichnis fehlt")
    meta = SourceMeta(args.source_title, args.publisher, args.date, args.licence)
    graph = source_graph(args.into_source) if args.into_source else None
    return plan_report_commit(
        args, args.path, lambda store: plan_hsds_import(store, args.path, meta, graph=graph,
                                                        source=args.into_source).plan, fmt="hsds")
