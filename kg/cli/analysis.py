"""`kg export network` and `kg report`: the researchers' tools on the command line.

Wiring (kg/cli.py): add "kg.cli.analysis:add_export_parser" and "kg.cli.analysis:add_report_parser"
to kg.cli.EXTRA_PARSERS. Both open the store read-only and never write to it.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from kg.errors import KgError

STORE_ENV = "HILFENETZ_STORE"
DEFAULT_STORE = Path("var") / "store"


def _store_path(args: argparse.Namespace) -> Path:
    if args.store is not None:
        return args.store
    env = os.environ.get(STORE_ENV)
    return Path(env) if env else DEFAULT_STORE


def _open(args: argparse.Namespace):
    import pyoxigraph as ox

    path = _store_path(args)
    if not (path / "CURRENT").is_file():
        raise KgError(f"no store at {path} (run `kg build` first)")
    return ox.Store.read_only(str(path))


def cmd_export_network(args: argparse.Namespace) -> int:
    from kg.query.network import build_network, counts, neighbourhood, write_network

    g = build_network(_open(args), include_events=not args.no_events)
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


def add_export_parser(sub: argparse._SubParsersAction) -> None:
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
    n.add_argument("--store", type=Path, default=None, help=f"store directory (default: ${STORE_ENV} or {DEFAULT_STORE})")
    n.add_argument("--focus", default=None, help="IRI of an entity: export only its neighbourhood")
    n.add_argument("--hops", type=int, default=1, help="radius of the neighbourhood (with --focus)")
    n.add_argument("--no-events", action="store_true", help="leave events out")
    n.set_defaults(func=cmd_export_network)


def cmd_report(args: argparse.Namespace) -> int:
    from kg.query.report import make_report

    rep = make_report(_open(args), args.output)
    print(f"wrote {len(rep.files)} files to {rep.out_dir} (network {rep.nodes} nodes, {rep.edges} edges)")
    for f in rep.files:
        print(f"  {f}")
    return 0


def add_report_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report", help="figures and tables for a paper (network drawing, centrality, coverage heatmap, participation)",
        description="Draws the network (PNG, SVG), writes degree and betweenness of actors (CSV, Markdown), a "
                    "prevention-chain coverage heatmap (area × life phase) and participation over time.",
    )
    p.add_argument("--output", type=Path, default=Path("report"), help="output directory (default: ./report)")
    p.add_argument("--store", type=Path, default=None, help=f"store directory (default: ${STORE_ENV} or {DEFAULT_STORE})")
    p.set_defaults(func=cmd_report)
