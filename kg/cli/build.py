"""`kg build`: parse, validate and infer, then atomically replace the store (a local directory,
or the content of a remote SPARQL store in one atomic update)."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from kg.cli.common import add_quiet, add_settings, progress, project, remote_store, store_path
from kg.config import default_store
from kg.errors import KgError
from kg.graph.build import build
from kg.graph.publish import publish
from kg.query.output import format_rows, short_iri
from kg.shacl import DEFAULT_ENGINE, ENGINES
from kg.store.remote import RemoteError, redact


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "build", help="build the store from the sources (atomic)",
        description="Parse ontology/, data/ and (if present) the reference data, validate with SHACL, "
                    "materialise inferences and atomically replace the store. On any error the previous "
                    "store stays exactly as it was.",
    )
    add_settings(p, "build", metavar={"store": "PATH|URL"},
                 store="with a URL: build locally, then replace the remote's content in one atomic SPARQL Update")
    p.add_argument("--update-url", default=None, metavar="URL",
                   help="with --store URL: the SPARQL Update endpoint (default derived: Oxigraph "
                        "/query -> /update, Fuseki /ds/query -> /ds/update)")
    p.add_argument("--no-reference", action="store_true",
                   help="skip the ~250k-triple reference data (quick build)")
    p.add_argument("--engine", choices=ENGINES, default=DEFAULT_ENGINE,
                   help=f"SHACL engine (default: {DEFAULT_ENGINE})")
    p.add_argument("--no-cache", action="store_true",
                   help="validate the reference data even if its inputs are unchanged since the last run")
    add_quiet(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    url = remote_store(args)
    if url is not None:
        return _build_remote(args, url)
    if args.update_url:
        raise KgError("--update-url only goes with --store URL (a remote store)")
    store = store_path(args)
    start = time.perf_counter()
    result = build(
        project(args), store,
        include_reference=not args.no_reference, engine=args.engine, progress=progress(args.quiet),
        use_cache=not args.no_cache,
    )
    _print_build(args, result, str(store), start)
    return 0


def _build_remote(args: argparse.Namespace, url: str) -> int:
    """`kg build --store URL`: build into a temporary local store (parse, validate, infer), then
    publish it into the remote in one atomic SPARQL Update (kg.graph.publish). A failed build or
    publish leaves the remote as it was; the temporary store is always removed."""
    start = time.perf_counter()
    cache_parent = default_store().parent
    tmp = Path(tempfile.mkdtemp(prefix="hilfenetz-publish-"))
    try:
        result = build(
            project(args), tmp / "store",
            include_reference=not args.no_reference, engine=args.engine, progress=progress(args.quiet),
            use_cache=not args.no_cache, cache_dir=cache_parent / ".cache" / "validation",
            history=_remote_history(url),
        )
        try:
            pub = publish(tmp / "store", url, update_url=args.update_url, progress=progress(args.quiet))
        except (SyntaxError, OSError, RemoteError) as exc:
            raise KgError(
                f"publishing to {redact(url)} failed; the remote store keeps its previous data / "
                f"Veröffentlichen nach {redact(url)} fehlgeschlagen; der entfernte Store ist unverändert: {exc}"
            ) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    _print_build(args, result, redact(url), start)
    how = ("one atomic update" if pub.requests == 1
           else f"staged in {pub.requests} requests, then switched in by one")
    print(f"published {pub.quads} quads in {pub.graphs} graphs ({pub.bytes / 1e6:.1f} MB, {how}) "
          f"in {pub.seconds:.1f} s; remote version {pub.version}")
    return 0


def _remote_history(url: str) -> tuple[list[Any], int]:
    """The remote's change history, carried into what is published (kg.graph.build.history_of): the
    builds published before stay listed. An empty or unreachable remote has none (publishing then
    fails on its own if it is unreachable)."""
    from kg.graph.build import history_of
    from kg.store.remote import RemoteStore

    try:
        return history_of(RemoteStore(url))
    except (OSError, RemoteError, SyntaxError, ValueError):
        return [], 0


def _print_build(args: argparse.Namespace, result: object, where: str, start: float) -> None:
    r: Any = result
    rows = [[short_iri(g) if g else "(default)", n] for g, n in sorted(r.graph_counts.items())]
    rows.append(["total", r.total_triples])
    sys.stdout.write(format_rows(["graph", "triples"], rows, "table"))
    warn = len(r.report.results) - len(r.report.violations)
    print(f"built {where} in {time.perf_counter() - start:.1f} s "
          f"({len(r.sources)} source files, reference data {'included' if r.reference_included else 'not included'}, "
          f"{r.inferred.total} inferred triples, {warn} SHACL warnings/infos)")
    if r.change_id:
        print(f"recorded as change {r.change_id} (kg history)")
    if r.skipped_contributions:
        n = len(r.skipped_contributions)
        print(f"{n} gespeicherte(r) Beitrag/Beiträge übersprungen: sie brauchen die Referenzdaten / {n} kept "
              f"contribution(s) skipped: they need the reference data ({', '.join(r.skipped_contributions)})",
              file=sys.stderr)
    if r.unkept_changes:
        n = len(r.unkept_changes)
        print(f"Warnung: {n} aufgezeichnete Änderung(en) seit dem letzten Build sind nicht unter data/ gespeichert "
              f"und wurden durch diesen Build ersetzt (SPARQL Update / Graph Store, oder nicht gespeicherte "
              f"Beiträge; docs/data-changes.md): {', '.join(r.unkept_changes)}\n"
              f"warning: {n} recorded change(s) since the last build are not kept in data/ and were replaced by "
              f"this build: {', '.join(r.unkept_changes)}", file=sys.stderr)
    if warn and not args.quiet:
        print(r.report.to_text(lang="both"), file=sys.stderr)
