"""`kg template KIND`: an empty spreadsheet template of one kind, generated from the model in the
store (shapes, ontology labels, concept schemes), with instructions and an example from the data.
Opens the store read-only."""

from __future__ import annotations

import argparse
from pathlib import Path

from kg.cli.common import add_settings, store_path
from kg.graph.tabular.sheets import FORMATS, write_template
from kg.graph.tabular.templates import KINDS
from kg.store import open_read_only


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("template", help="write an empty spreadsheet template (offers, organisations, …)",
                       description="One column per property of the kind's SHACL shapes (headers German with the "
                                   "English name beside them, required columns marked *), drop-down lists of the "
                                   "concept schemes (xlsx), an instructions sheet and an example row from the real "
                                   "data. A CSV template gets its W3C CSVW metadata file beside it. "
                                   "Details: docs/import.md.")
    p.add_argument("kind", choices=list(KINDS), help="the template kind")
    p.add_argument("--format", choices=FORMATS, default="xlsx")
    p.add_argument("--lang", choices=("de", "en"), default="de", help="language of the headers named first")
    p.add_argument("--output", type=Path, default=None, help="file to write (default: KIND-vorlage.FORMAT)")
    add_settings(p, "template")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    out = args.output or Path(f"{args.kind}-vorlage.{args.format}")
    files = write_template(open_read_only(store_path(args)), args.kind, out, fmt=args.format, lang=args.lang)
    print(f"wrote {', '.join(str(f) for f in files)}")
    return 0
