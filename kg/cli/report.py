"""`kg report`: figures and tables for a paper. Opens the store read-only and never writes to it."""

from __future__ import annotations

import argparse
from pathlib import Path

from kg.cli.common import add_settings, store_path
from kg.query.report import make_report
from kg.store import open_read_only


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "report", help="figures and tables for a paper (network drawing, centrality, coverage heatmap, participation)",
        description="Draws the network (PNG, SVG), writes degree and betweenness of actors (CSV, Markdown), a "
                    "prevention-chain coverage heatmap (area × life phase) and participation over time.",
    )
    p.add_argument("--output", type=Path, default=Path("report"), help="output directory (default: ./report)")
    add_settings(p, "report")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    rep = make_report(open_read_only(store_path(args)), args.output)
    print(f"wrote {len(rep.files)} files to {rep.out_dir} (network {rep.nodes} nodes, {rep.edges} edges)")
    for f in rep.files:
        print(f"  {f}")
    return 0
