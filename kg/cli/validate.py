"""`kg validate`: check the sources against the SHACL shapes without writing a store."""

from __future__ import annotations

import argparse
import sys

from kg.cli.common import add_quiet, add_settings, progress, project, store_path
from kg.graph.build import validate_project
from kg.shacl import DEFAULT_ENGINE, ENGINES


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "validate", help="check the sources against the SHACL shapes (no store is written)",
        description="Validate the sources (and the reference data) against ontology/shapes/*.ttl without "
                    "building a store. Exit code 0 if the data conforms, 1 on violations.",
    )
    p.add_argument("--format", choices=("text", "turtle", "json"), default="text", help="report format")
    p.add_argument("--lang", choices=("de", "en", "both"), default="both", help="language of the text report")
    p.add_argument("--no-reference", action="store_true", help="skip the reference data")
    p.add_argument("--engine", choices=ENGINES, default=DEFAULT_ENGINE,
                   help=f"SHACL engine (default: {DEFAULT_ENGINE})")
    p.add_argument("--no-cache", action="store_true",
                   help="validate the reference data even if its inputs are unchanged since the last run")
    add_settings(p, "validate", store="its folder holds the validation cache (.cache/validation)")
    add_quiet(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    store_parent = store_path(args).parent
    report = validate_project(
        project(args), include_reference=not args.no_reference, engine=args.engine,
        progress=progress(args.quiet),
        cache_dir=None if args.no_cache else store_parent / ".cache" / "validation",
    )
    if args.format == "turtle":
        sys.stdout.write(report.to_turtle())
    elif args.format == "json":
        sys.stdout.write(report.to_json() + "\n")
    else:
        sys.stdout.write(report.to_text(lang=args.lang) + "\n")
    return 0 if report.conforms else 1
