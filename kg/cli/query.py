"""`kg query`: run a SPARQL query (inline, from a file, or by name from queries/) on the store."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import pyoxigraph as ox

from kg.cli.common import add_settings, project, store_path
from kg.errors import KgError, QuerySyntaxError
from kg.query.output import FORMATS, format_result
from kg.rdf import PREFIXES
from kg.sparql.text import syntax_error_messages
from kg.store import open_read_only

_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "query", help="run a SPARQL query on the store",
        description="Run a SPARQL query (inline, -f FILE, or the name of a file in queries/) on the store, "
                    "read-only. The default graph is the union of all named graphs; the project prefixes "
                    "(hn:, hnid:, org:, schema:, …) are predeclared. SELECT prints a table, CONSTRUCT Turtle, "
                    "ASK true/false. Exit code 2 on a syntax error.",
    )
    p.add_argument("query", nargs="?", help="SPARQL text or the name of a query in queries/")
    p.add_argument("-f", "--file", type=Path, help="read the query from this file")
    p.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
    add_settings(p, "query")
    p.set_defaults(func=run)


def resolve_query(text: str | None, file: Path | None, project_root: Path) -> str:
    """The SPARQL text from `-f FILE`, a name in queries/ (`programme-municipalities`), or inline."""
    if file is not None:
        try:
            return file.read_text(encoding="utf-8")
        except OSError as exc:
            raise KgError(f"cannot read query file {file}: {exc.strerror or exc}") from None
    if text is None:
        raise KgError("no query given: kg query 'SELECT …' | kg query -f file.rq | kg query NAME")
    if _NAME_RE.match(text.strip()):
        qdir = project_root / "queries"
        name = text.strip()
        for cand in (qdir / name, qdir / f"{name}.rq", qdir / f"{name}.sparql"):
            if cand.is_file():
                return cand.read_text(encoding="utf-8")
        available = sorted(p.stem for p in qdir.glob("*.rq")) if qdir.is_dir() else []
        raise KgError(f"no query named {name!r} in {qdir}"
                      + (f" (available: {', '.join(available)})" if available else ""))
    return text


def run_query(store_path: Path, sparql: str) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
    """Run a query on the read-only store over the union of all named graphs, with the project
    prefixes predeclared (hn:, hnid:, org:, …)."""
    store = open_read_only(store_path)
    try:
        return store.query(sparql, prefixes=PREFIXES, use_default_graph_as_union=True)
    except SyntaxError as exc:
        en, de = syntax_error_messages(sparql, str(exc), PREFIXES)
        raise QuerySyntaxError(f"SPARQL syntax error: {en}" + (f"\nSPARQL-Syntaxfehler: {de}" if de else "")) from None


def run(args: argparse.Namespace) -> int:
    sparql = resolve_query(args.query, args.file, project(args))
    result = run_query(store_path(args), sparql)
    try:
        text = format_result(result, args.format)
    except ValueError as exc:
        raise KgError(str(exc)) from None
    sys.stdout.write(text)
    return 0
