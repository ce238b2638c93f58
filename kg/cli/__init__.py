"""The `kg` command: build, validate, query and inspect the hilfenetz knowledge graph.

Top layer: may import everything below it. Expected errors (kg.errors.KgError) become one clean
message on stderr and a non-zero exit code; tracebacks are for bugs only. Subcommands are added
by small `add_*_parser(subparsers)` functions; optional ones (e.g. `kg serve` from kg.cli.serve)
are discovered at start-up and simply absent when their module is not installed.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.errors import BuildValidationError, KgError, QuerySyntaxError

if TYPE_CHECKING:  # pragma: no cover
    import pyoxigraph as ox

DEFAULT_STORE = Path("var") / "store"
STORE_ENV = "HILFENETZ_STORE"

# "module:function" of optional subcommands; each function receives the subparsers object.
#: Subcommands that live next to the code they drive ("module:function"); imported when the
#: parser is made. A module that fails to import is an error, never a silently missing command.
EXTRA_PARSERS: tuple[str, ...] = (
    "kg.cli.serve:add_serve_parser",
    "kg.cli.dump:add_dump_parser",
    "kg.cli.analysis:add_export_parser",
    "kg.cli.analysis:add_report_parser",
    "kg.cli.backup:add_backup_parsers",
    "kg.cli.shacl:add_shacl_parser",
)


# --------------------------------------------------------------------------- shared helpers


def default_store() -> Path:
    """`$HILFENETZ_STORE`, else ./var/store."""
    env = os.environ.get(STORE_ENV)
    return Path(env) if env else DEFAULT_STORE


def find_project_root(start: Path | None = None) -> Path:
    """The nearest directory (from cwd upwards) that has an ontology/ or data/ folder and a
    pyproject.toml; falls back to the checkout this package lives in, then to cwd."""
    start = (start or Path.cwd()).resolve()
    for d in (start, *start.parents):
        if (d / "pyproject.toml").is_file() and ((d / "ontology").is_dir() or (d / "data").is_dir()):
            return d
    pkg_root = Path(__file__).resolve().parents[2]
    if (pkg_root / "ontology").is_dir():
        return pkg_root
    return start


def _progress(quiet: bool) -> Callable[[str], None] | None:
    if quiet:
        return None

    def emit(msg: str) -> None:
        print(f"kg: {msg}", file=sys.stderr, flush=True)

    return emit


def _add_store_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--store", type=Path, default=None,
                   help=f"store directory (default: ${STORE_ENV} or {DEFAULT_STORE})")


def _add_project_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--project", type=Path, default=None,
                   help="project root with ontology/ and data/ (default: found from the current directory)")


def _store_path(args: argparse.Namespace) -> Path:
    return args.store if args.store is not None else default_store()


def _project(args: argparse.Namespace) -> Path:
    return args.project.resolve() if args.project is not None else find_project_root()


# --------------------------------------------------------------------------- build


def cmd_build(args: argparse.Namespace) -> int:
    from kg.store import is_remote

    if args.store is not None and is_remote(str(args.store)):
        return _build_remote(args, str(args.store))
    if args.update_url:
        raise KgError("--update-url only goes with --store URL (a remote store)")
    from kg.graph.build import build

    store_path = Path(args.store) if args.store is not None else default_store()
    start = time.perf_counter()
    result = build(
        _project(args), store_path,
        include_reference=not args.no_reference, engine=args.engine, progress=_progress(args.quiet),
        use_cache=not args.no_cache,
    )
    _print_build(args, result, str(store_path), start)
    return 0


def _build_remote(args: argparse.Namespace, url: str) -> int:
    """`kg build --store URL`: build into a temporary local store (parse, validate, infer), then
    publish it into the remote in one atomic SPARQL Update (kg.graph.publish). A failed build or
    publish leaves the remote as it was; the temporary store is always removed."""
    import shutil
    import tempfile

    from kg.graph.build import build
    from kg.graph.publish import publish
    from kg.store.remote import RemoteError, redact

    start = time.perf_counter()
    cache_parent = default_store().parent
    tmp = Path(tempfile.mkdtemp(prefix="hilfenetz-publish-"))
    try:
        result = build(
            _project(args), tmp / "store",
            include_reference=not args.no_reference, engine=args.engine, progress=_progress(args.quiet),
            use_cache=not args.no_cache, cache_dir=cache_parent / ".cache" / "validation",
        )
        try:
            pub = publish(tmp / "store", url, update_url=args.update_url, progress=_progress(args.quiet))
        except (SyntaxError, OSError, RemoteError) as exc:
            raise KgError(
                f"publishing to {redact(url)} failed; the remote store keeps its previous data / "
                f"Veröffentlichen nach {redact(url)} fehlgeschlagen; der entfernte Store ist unverändert: {exc}"
            ) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    _print_build(args, result, redact(url), start)
    print(f"published {pub.quads} quads in {pub.graphs} graphs ({pub.bytes / 1e6:.1f} MB, one atomic update) "
          f"in {pub.seconds:.1f} s; remote version {pub.version}")
    return 0


def _print_build(args: argparse.Namespace, result: object, where: str, start: float) -> None:
    from kg.query.output import format_rows, short_iri

    r: Any = result
    rows = [[short_iri(g) if g else "(default)", n] for g, n in sorted(r.graph_counts.items())]
    rows.append(["total", r.total_triples])
    sys.stdout.write(format_rows(["graph", "triples"], rows, "table"))
    warn = len(r.report.results) - len(r.report.violations)
    print(f"built {where} in {time.perf_counter() - start:.1f} s "
          f"({len(r.sources)} source files, reference data {'included' if r.reference_included else 'not included'}, "
          f"{r.inferred.total} inferred triples, {warn} SHACL warnings/infos)")
    if warn and not args.quiet:
        print(r.report.to_text(lang="both"), file=sys.stderr)


def add_build_parser(sub: argparse._SubParsersAction) -> None:
    from kg.shacl import DEFAULT_ENGINE, ENGINES

    p = sub.add_parser(
        "build", help="build the store from the sources (atomic)",
        description="Parse ontology/, data/ and (if present) the reference data, validate with SHACL, "
                    "materialise inferences and atomically replace the store. On any error the previous "
                    "store stays exactly as it was.",
    )
    p.add_argument("--store", default=None, metavar="PATH|URL",
                   help=f"store directory (default: ${STORE_ENV} or {DEFAULT_STORE}), or the query endpoint "
                        "URL of a SPARQL 1.1 server: build locally, then replace the remote's content in one "
                        "atomic SPARQL Update (docs/remote-store.md)")
    p.add_argument("--update-url", default=None, metavar="URL",
                   help="with --store URL: the SPARQL Update endpoint (default derived: Oxigraph "
                        "/query -> /update, Fuseki /ds/query -> /ds/update)")
    _add_project_arg(p)
    p.add_argument("--no-reference", action="store_true",
                   help="skip the ~250k-triple reference data (quick build)")
    p.add_argument("--engine", choices=ENGINES, default=DEFAULT_ENGINE, help=f"SHACL engine (default: {DEFAULT_ENGINE})")
    p.add_argument("--no-cache", action="store_true",
                   help="validate the reference data even if its inputs are unchanged since the last run")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(func=cmd_build)


# --------------------------------------------------------------------------- validate


def cmd_validate(args: argparse.Namespace) -> int:
    from kg.graph.build import validate_project

    store_parent = _store_path(args).parent
    report = validate_project(
        _project(args), include_reference=not args.no_reference, engine=args.engine,
        progress=_progress(args.quiet),
        cache_dir=None if args.no_cache else store_parent / ".cache" / "validation",
    )
    if args.format == "turtle":
        sys.stdout.write(report.to_turtle())
    elif args.format == "json":
        sys.stdout.write(report.to_json() + "\n")
    else:
        sys.stdout.write(report.to_text(lang=args.lang) + "\n")
    return 0 if report.conforms else 1


def add_validate_parser(sub: argparse._SubParsersAction) -> None:
    from kg.shacl import DEFAULT_ENGINE, ENGINES

    p = sub.add_parser(
        "validate", help="check the sources against the SHACL shapes (no store is written)",
        description="Validate the sources (and the reference data) against ontology/shapes/*.ttl without "
                    "building a store. Exit code 0 if the data conforms, 1 on violations.",
    )
    _add_project_arg(p)
    p.add_argument("--format", choices=("text", "turtle", "json"), default="text", help="report format")
    p.add_argument("--lang", choices=("de", "en", "both"), default="both", help="language of the text report")
    p.add_argument("--no-reference", action="store_true", help="skip the reference data")
    p.add_argument("--engine", choices=ENGINES, default=DEFAULT_ENGINE, help=f"SHACL engine (default: {DEFAULT_ENGINE})")
    p.add_argument("--no-cache", action="store_true",
                   help="validate the reference data even if its inputs are unchanged since the last run")
    _add_store_arg(p)
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(func=cmd_validate)


# --------------------------------------------------------------------------- query

_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


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
    from kg.rdf import PREFIXES
    from kg.store import open_read_only

    store = open_read_only(store_path)
    try:
        return store.query(sparql, prefixes=PREFIXES, use_default_graph_as_union=True)
    except SyntaxError as exc:
        raise QuerySyntaxError(f"SPARQL syntax error: {exc}") from None


def cmd_query(args: argparse.Namespace) -> int:
    from kg.query.output import format_result

    sparql = resolve_query(args.query, args.file, _project(args))
    result = run_query(_store_path(args), sparql)
    try:
        text = format_result(result, args.format)
    except ValueError as exc:
        raise KgError(str(exc)) from None
    sys.stdout.write(text)
    return 0


def add_query_parser(sub: argparse._SubParsersAction) -> None:
    from kg.query.output import FORMATS

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
    _add_store_arg(p)
    _add_project_arg(p)
    p.set_defaults(func=cmd_query)


# --------------------------------------------------------------------------- stats


def cmd_stats(args: argparse.Namespace) -> int:
    import json

    from kg.rdf import GRAPH_INFERRED
    from kg.query.output import format_rows, short_iri
    from kg.store import graph_counts, open_read_only

    store = open_read_only(_store_path(args))
    counts = graph_counts(store)
    q = (
        "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c ORDER BY DESC(?n) ?c"
        + (f" LIMIT {args.top}" if args.top > 0 else "")
    )
    classes = [(r["c"].value, int(r["n"].value)) for r in store.query(q, use_default_graph_as_union=True)]
    if args.format == "json":
        out = {
            "graphs": dict(sorted(counts.items())),
            "total_triples": sum(counts.values()),
            "asserted_triples": sum(n for g, n in counts.items() if g != GRAPH_INFERRED),
            "classes": dict(classes),
        }
        sys.stdout.write(json.dumps(out, ensure_ascii=False, indent=2) + "\n")
        return 0
    rows: list[list[object]] = [[short_iri(g) if g else "(default)", n] for g, n in sorted(counts.items())]
    rows.append(["total", sum(counts.values())])
    sys.stdout.write(format_rows(["graph", "triples"], rows, "table"))
    sys.stdout.write("\n")
    sys.stdout.write(format_rows(["class", "instances"], [[short_iri(c), n] for c, n in classes], "table"))
    return 0


def add_stats_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "stats", help="triples per named graph and instances per class",
        description="Show the number of triples in each named graph and the classes with the most instances "
                    "(after inference, so superclasses count their subclasses' instances).",
    )
    _add_store_arg(p)
    p.add_argument("--top", type=int, default=25, help="how many classes to list (0 = all; default 25)")
    p.add_argument("--format", choices=("table", "json"), default="table", help="output format")
    p.set_defaults(func=cmd_stats)


# --------------------------------------------------------------------------- main

CORE_PARSERS: tuple[Callable[[argparse._SubParsersAction], None], ...] = (
    add_build_parser, add_validate_parser, add_query_parser, add_stats_parser,
)


def _add_extra_parsers(sub: argparse._SubParsersAction) -> None:
    """Register the subcommands of the modules named in EXTRA_PARSERS."""
    for spec in EXTRA_PARSERS:
        module_name, func_name = spec.split(":")
        getattr(importlib.import_module(module_name), func_name)(sub)


def make_parser() -> argparse.ArgumentParser:
    """The full argument parser (also used by tests and docs)."""
    from kg import __version__

    parser = argparse.ArgumentParser(
        prog="kg",
        description="hilfenetz knowledge graph: build the store from the sources, validate, query, inspect.",
    )
    parser.add_argument("--version", action="version", version=f"kg (hilfenetz) {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for add in CORE_PARSERS:
        add(sub)
    _add_extra_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `kg` script; returns the exit code."""
    parser = make_parser()
    args = parser.parse_args(argv)
    args.from_command_line = argv is None  # the process is this command (kg serve may re-execute it)
    try:
        return int(args.func(args) or 0)
    except BuildValidationError as exc:
        print(f"kg: {exc}", file=sys.stderr)
        return exc.exit_code
    except KgError as exc:
        print(f"kg: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        except OSError:
            pass
        return 0
    except KeyboardInterrupt:
        print("kg: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
