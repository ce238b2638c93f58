"""`kg export network`: the actor–programme–municipality network for Gephi, networkx, igraph;
`kg export KIND` (offers, organisations, …): the data as a filled-in spreadsheet template for a round
trip through `kg import` (kg.graph.tabular). Opens the store read-only and never writes to it."""

from __future__ import annotations

import argparse
from pathlib import Path

from kg.cli.common import add_settings, store_path
from kg.errors import KgError
from kg.graph.tabular.sheets import FORMATS, export_kind
from kg.graph.tabular.templates import KINDS
from kg.query.network import build_network, counts, neighbourhood, write_network
from kg.store import open_read_only


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("export", help="export derived views (the network) for other tools")
    what = p.add_subparsers(dest="what", required=True)
    n = what.add_parser(
        "network", help="the actor–programme–municipality network (GraphML, GEXF or CSV)",
        description="Typed nodes (person, organisation, area, programme, project, network, event) and typed edges "
                    "(participatesIn with roles, cooperatesWith, organiser, speaker, withinProgramme, areaServed, "
                    "partOf …), each with its source document(s). Opens in Gephi, networkx and igraph.",
    )
    n.add_argument("--format", choices=("graphml", "gexf", "csv"), default="graphml")
    n.add_argument("--output", type=Path, required=True,
                   help="file to write (graphml, gexf); for csv a directory that gets nodes.csv and edges.csv")
    add_settings(n, "export network")
    n.add_argument("--focus", default=None, help="IRI of an entity: export only its neighbourhood")
    n.add_argument("--hops", type=int, default=1, help="radius of the neighbourhood (with --focus)")
    n.add_argument("--no-events", action="store_true", help="leave events out")
    n.set_defaults(func=run_network)
    for name, d in KINDS.items():
        k = what.add_parser(name, help=f"{d.en} as a filled-in template (xlsx or CSV), for a round trip",
                            description="The current data in the template of `kg template`: export → import without "
                                        "edits changes nothing. Cells a spreadsheet would run as a formula are "
                                        "escaped. Details: docs/import.md.")
        k.add_argument("--format", choices=FORMATS, default="xlsx")
        k.add_argument("--lang", choices=("de", "en"), default="de", help="language of the headers named first")
        k.add_argument("--area", default=None, help="only entries in this area (official key or name) and below")
        k.add_argument("--source", default=None, help="only what this source (its slug) states")
        k.add_argument("--output", type=Path, default=None, help="file to write (default: KIND.FORMAT)")
        add_settings(k, f"export {name}")
        k.set_defaults(func=run_kind, kind=name)


def run_kind(args: argparse.Namespace) -> int:
    out = args.output or Path(f"{args.kind}.{args.format}")
    files, n = export_kind(open_read_only(store_path(args)), args.kind, out, fmt=args.format, lang=args.lang,
                           area=args.area, source=args.source)
    print(f"wrote {', '.join(str(f) for f in files)}: {n} rows")
    return 0


def run_network(args: argparse.Namespace) -> int:
    g = build_network(open_read_only(store_path(args)), include_events=not args.no_events)
    if args.focus:
        if args.focus not in g:
            raise KgError(f"{args.focus} is not a node of the network")
        g = neighbourhood(g, args.focus, args.hops)
    files = write_network(g, args.format, args.output)
    c = counts(g)
    print(f"wrote {', '.join(str(f) for f in files)}: {g.number_of_nodes()} nodes, {g.number_of_edges()} edges")
    print("nodes: " + ", ".join(f"{k} {v}" for k, v in c["nodes"].items()))
    print("edges: " + ", ".join(f"{k} {v}" for k, v in c["edges"].items()))
    return 0
