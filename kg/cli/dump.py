"""`kg dump --output DIR`: write the dump files (see kg.graph.dump) for a built store.

Kept apart from kg.cli so the dump command is one optional module: kg.cli registers it through
kg.cli.EXTRA_PARSERS ("kg.cli.dump:add_dump_parser").
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

STORE_ENV = "HILFENETZ_STORE"
DEFAULT_STORE = Path("var") / "store"


def _default_store() -> Path:
    value = os.environ.get(STORE_ENV, "").strip()
    return Path(value) if value else DEFAULT_STORE


def cmd_dump(args: argparse.Namespace) -> int:
    """Dump the store and print one line per file (name, size, SHA-256)."""
    from kg.graph.dump import SUMS_NAME, dump

    store_path = args.store if args.store is not None else _default_store()
    manifest = dump(store_path, args.output)
    if not args.quiet:
        for f in manifest.files:
            print(f"{f.sha256}  {f.size:>12}  {f.name}")
        print(f"wrote {len(manifest.files)} files ({manifest.quads} quads) to {args.output}; "
              f"checksums in {Path(args.output) / SUMS_NAME}")
    return 0


def add_dump_parser(sub: argparse._SubParsersAction) -> None:
    """Register `kg dump`."""
    p = sub.add_parser(
        "dump",
        help="write the graph as gzipped N-Quads and TriG, and each named graph as Turtle",
        description="Write the whole store as gzipped N-Quads and TriG plus one Turtle file per named graph "
                    "into DIR, with SHA256SUMS and manifest.json (sizes, checksums, triple counts). "
                    "The same files are served at /downloads by `kg serve`.",
    )
    p.add_argument("--store", type=Path, default=None,
                   help=f"store directory (default: ${STORE_ENV} or {DEFAULT_STORE})")
    p.add_argument("--output", "-o", type=Path, required=True, help="directory to write into (created if missing)")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    p.set_defaults(func=cmd_dump)
