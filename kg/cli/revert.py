"""`kg revert CHANGE`: undo one recorded change, as a validated and recorded write of its own."""

from __future__ import annotations

import argparse
import sys

from kg.cli.common import add_settings, project, store_path
from kg.errors import KgError, RevertRefused
from kg.graph import changes
from kg.graph.kept import contributions_dir, mark_reverted
from kg.graph.write import LocalState, revert_change
from kg.store import is_store


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "revert", help="undo a recorded change (see kg history)",
        description="Restore what a recorded change altered: the triples it added are removed, those it removed "
                    "are added back, validated against the shapes like any write and recorded as a change "
                    "itself. Refused, with the list, when later changes built on it (revert those first), and "
                    "when it no longer applies. While a writable `kg serve` runs on the store, use its "
                    "POST /changes/{id}/revert instead (the store is locked by the server). A reverted contribution "
                    "kept under data/contributions/ is marked reverted there, so `kg build` does not bring it back; "
                    "a `kg build` itself cannot be reverted.",
    )
    add_settings(p, "revert")
    p.add_argument("change", metavar="CHANGE", help="the change id (or IRI) as `kg history` lists it")
    p.add_argument("--comment", help="why (recorded with the revert)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    path = store_path(args)
    if not is_store(path):
        raise KgError(f"no store at {path}", de=f"kein Store unter {path}")
    try:
        state = LocalState(path)
    except OSError as exc:
        raise KgError(f"cannot open {path} for writing ({exc}); if a writable server runs on it, use "
                      "POST /changes/{id}/revert", de=f"{path} kann nicht zum Schreiben geöffnet werden; läuft "
                      "ein schreibender Server darauf, POST /changes/{id}/revert verwenden") from None
    try:
        new = revert_change(state, args.change, actor="cli", comment=args.comment)
    except RevertRefused as exc:
        if exc.de:  # the English text follows as the command's error line
            sys.stderr.write(f"kg: {exc.de}\n")
        raise
    finally:
        state.close()
    reverted = changes.id_of(args.change)
    sys.stdout.write(f"reverted {reverted}: recorded as change {new}\n")
    root = project(args)
    try:
        graph = mark_reverted(root, reverted, new)
    except OSError as exc:
        sys.stderr.write(f"Warnung / warning: {contributions_dir(root)} not updated ({exc}): if {reverted} was a kept "
                         "contribution, `kg build` brings it back / bringt ihn zurück\n")
    else:
        if graph:
            sys.stdout.write(f"the kept contribution of {graph} is marked reverted in {contributions_dir(root)}\n")
    return 0
