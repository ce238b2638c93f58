"""`kg dump --output DIR`: write the dump files (see kg.graph.dump) for a built store."""

from __future__ import annotations

import argparse
from pathlib import Path

from kg.cli.common import add_quiet, add_settings, store_path
from kg.graph.dump import SUMS_NAME, dump


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "dump",
        help="write the graph as gzipped N-Quads and TriG, and each named graph as Turtle",
        description="Write the whole store as gzipped N-Quads and TriG plus one Turtle file per named graph "
                    "into DIR, with SHA256SUMS and manifest.json (sizes, checksums, triple counts). "
                    "The same files are served at /downloads by `kg serve`.",
    )
    add_settings(p, "dump")
    p.add_argument("--output", "-o", type=Path, required=True, help="directory to write into (created if missing)")
    add_quiet(p, "print nothing on success")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Dump the store and print one line per file (name, size, SHA-256)."""
    manifest = dump(store_path(args), args.output)
    if not args.quiet:
        for f in manifest.files:
            print(f"{f.sha256}  {f.size:>12}  {f.name}")
        print(f"wrote {len(manifest.files)} files ({manifest.quads} quads) to {args.output}; "
              f"checksums in {Path(args.output) / SUMS_NAME}")
    return 0
