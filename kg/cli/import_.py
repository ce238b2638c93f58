"""`kg import FILE --kind KIND`: a filled-in spreadsheet into its own named graph, all or nothing.

Plans the import on the store opened read-only (parse, resolve, map, validate against the whole
graph), prints every problem by row and column in German and English, and — unless `--dry-run` or
there is an error — commits it through the validated write path and keeps the file under
data/contributions/ (kg.graph.kept) so that `kg build` rebuilds the same graph. Exit code 2 when the file has
errors (nothing written)."""

from __future__ import annotations

import argparse
import datetime
import gc
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kg.cli.common import add_settings, project, store_path
from kg.errors import KgError
from kg.graph.tabular.importer import ImportPlan, ImportRefused, SourceMeta, commit_import, plan_import
from kg.graph.tabular.templates import KINDS
from kg.rdf import source_graph
from kg.store import open_read_only
from kg.store.fingerprint import store_version


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("import", help="import a filled-in spreadsheet (xlsx or CSV) into the store",
                       description="Rows become RDF with the ontology; references are resolved (areas by official "
                                   "key or name, organisations by name or IRI, concepts by label or notation); the "
                                   "change is validated against the whole graph. A file with one error writes "
                                   "nothing. Details: docs/import.md.")
    p.add_argument("file", type=Path, help="the spreadsheet (.xlsx, .csv)")
    p.add_argument("--kind", required=True, choices=list(KINDS), help="the template kind of the file")
    p.add_argument("--source-title", required=True, help="title of the contribution (names its graph)")
    p.add_argument("--publisher", required=True, help="who publishes the data (office, network, organisation)")
    p.add_argument("--licence", default=None, help="licence of the data (IRI or name, e.g. CC-BY-4.0)")
    p.add_argument("--date", type=datetime.date.fromisoformat, default=None, help="date of the data (YYYY-MM-DD)")
    p.add_argument("--dry-run", action="store_true", help="show what would change; write nothing")
    p.add_argument("--into-source", default=None, metavar="SLUG",
                   help="import into the graph of this existing source (the round trip of `kg export KIND "
                        "--source SLUG`) instead of a graph of its own")
    p.add_argument("--lang", choices=("de", "en", "both"), default="both", help="language of the report")
    add_settings(p, "import")
    p.set_defaults(func=run)


def _summary(plan: ImportPlan) -> str:
    lines = [f"{plan.rows} Zeilen / rows → {plan.graph}",
             f"neu / added: {len(plan.added)}, geändert / changed: {len(plan.changed)}, "
             f"entfernt / removed: {len(plan.removed)} ({len(plan.quads)} + / {len(plan.removed_quads)} − triples)"]
    for sign, items in (("+", plan.added), ("~", plan.changed), ("-", plan.removed)):
        lines += [f"  {sign} {iri}" for iri in items]
    return "\n".join(lines)


def plan_report_commit(args: argparse.Namespace, source: Path, make_plan: Callable[[Any], ImportPlan], *,
                       fmt: str = "spreadsheet") -> int:
    """The steps `kg import` and `kg hsds import` share: plan on the store opened read-only
    (`make_plan(store)`), print the problems, refuse on an error (nothing written), print what
    would change, and — unless `--dry-run` — commit and keep the file under the project's
    data/contributions/ for `kg build` (kg.graph.kept; `fmt` "spreadsheet" or "hsds")."""
    path = store_path(args)
    version = store_version(path)
    store = open_read_only(path)
    plan = make_plan(store)
    plan.store_version = version
    del store
    gc.collect()  # the read-only handle must be gone before the store is opened for writing
    if plan.problems:
        print(plan.report(args.lang))
    if not plan.ok:
        raise ImportRefused(f"{len(plan.errors)} Fehler / error(s) in {source}; "
                            "nichts wurde geschrieben / nothing was written.",
                            de=f"{len(plan.errors)} Fehler in {source}; nichts wurde geschrieben.")
    print(_summary(plan))
    if args.dry_run:
        print("--dry-run: nichts geschrieben / nothing written")
        return 0
    result = commit_import(path, plan, project_root=project(args), fmt=fmt,
                           into_source=getattr(args, "into_source", None))
    kept = f"; kept as {result.kept}" if result.kept else ""
    if result.change_id:
        kept += f"; change {result.change_id}"
    print(("imported" if result.changed else "no change") + kept)
    if result.keep_warning is not None:
        print(f"Warnung: {result.keep_warning.de}\nwarning: {result.keep_warning.en}", file=sys.stderr)
    return 0


def run(args: argparse.Namespace) -> int:
    if not args.file.is_file():
        raise KgError(f"{args.file}: no such file", de=f"{args.file}: Datei nicht gefunden")
    meta = SourceMeta(args.source_title, args.publisher, args.date, args.licence)
    graph = source_graph(args.into_source) if args.into_source else None
    return plan_report_commit(
        args, args.file, lambda store: plan_import(store, args.file, args.kind, meta, graph=graph))
