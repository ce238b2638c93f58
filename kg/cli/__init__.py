"""The `kg` command: build, validate, query and inspect the hilfenetz knowledge graph, and serve it.

Top layer: may import everything below it. One module per command, each with `add_parser(sub)`
and a `run` function the parser points to; `COMMANDS` is the one list of them, in the order
`kg --help` shows. Options shared with the settings table (--store, --project, all of `kg
serve`'s) are generated from kg.config (kg.cli.common.add_settings). Expected errors
(kg.errors.KgError) become one clean message on stderr and a non-zero exit code; tracebacks are
for bugs only.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence

from kg import __version__
from kg.cli import (
    backup,
    build,
    config,
    dump,
    export,
    hsds,
    import_,
    query,
    report,
    serve,
    shacl,
    stats,
    template,
    validate,
)
from kg.errors import BuildValidationError, KgError

#: Every command, in the order of `kg --help` (kg.cli.backup registers `backup` and `restore`).
COMMANDS = (build, validate, query, stats, serve, dump, template, import_, export, hsds, report, backup, shacl, config)


def make_parser() -> argparse.ArgumentParser:
    """The full argument parser (also used by tests and docs)."""
    parser = argparse.ArgumentParser(
        prog="kg",
        description="hilfenetz knowledge graph: build the store from the sources, validate, query, inspect.",
    )
    parser.add_argument("--version", action="version", version=f"kg (hilfenetz) {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `kg` script (and `python -m kg.cli`); returns the exit code."""
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
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        return 0
    except KeyboardInterrupt:
        print("kg: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
