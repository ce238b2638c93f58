"""`kg shacl DATA SHAPES`: validate any RDF data file against any SHACL shapes file with the
native engine and print the standard validation report (Turtle by default).

Exit status 0 when the data conforms (sh:conforms true: no result of any severity, as SHACL
defines it), 1 when it does not, 2 when validation fails (unreadable file, ill-formed shapes).
External test suites drive the engine through this command, so relative IRIs in each file are
resolved against that file's own file: URI and literals are kept verbatim.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pyoxigraph as ox

from kg.shacl.engine import ValidationFailure, load_exact, validate_store
from kg.shacl.w3c_adapter import parse_file, rdflib_graph


def run(args: argparse.Namespace) -> int:
    """Validate DATA against SHAPES and print the report; see the module docstring for exits."""
    try:
        data = parse_file(str(args.data))
        for extra in args.ontology or []:
            data += parse_file(str(extra))
        same = Path(args.data).resolve() == Path(args.shapes).resolve()
        shapes = rdflib_graph(data if same else parse_file(str(args.shapes)))
        store = ox.Store()
        surrogates = load_exact(store, data)
        report = validate_store(store, shapes, surrogates=surrogates, compiled=not args.exact)
    except (OSError, SyntaxError, ValueError, ValidationFailure) as e:
        print(f"kg shacl: validation failed: {e}", file=sys.stderr)
        return 2
    if args.format == "turtle":
        sys.stdout.write(report.to_turtle())
    elif args.format == "json":
        sys.stdout.write(report.to_json() + "\n")
    else:
        print(report.to_text(args.lang))
    return 0 if not report.results else 1


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `kg shacl`."""
    p = sub.add_parser(
        "shacl",
        help="validate a data file against a shapes file (native engine), print the report",
        description="Validate DATA against SHAPES with hilfenetz's native SHACL engine (SHACL Core "
                    "compiled to SPARQL on pyoxigraph) and print the validation report. Exit 0 if "
                    "the data conforms, 1 if not, 2 if validation fails.",
    )
    p.add_argument("data", type=Path, help="data graph file (Turtle, N-Triples, RDF/XML, JSON-LD, TriG, N-Quads)")
    p.add_argument("shapes", type=Path, help="shapes graph file")
    p.add_argument("--ontology", type=Path, action="append",
                   help="extra file mixed into the data (e.g. rdfs:subClassOf axioms); repeatable")
    p.add_argument("--format", choices=["turtle", "text", "json"], default="turtle",
                   help="report format (default: turtle, the standard sh:ValidationReport)")
    p.add_argument("--lang", choices=["de", "en", "both"], default="both", help="language of --format text")
    p.add_argument("--exact", action="store_true",
                   help="evaluate every shape in Python instead of compiled SPARQL (reference path)")
    p.set_defaults(func=run)

