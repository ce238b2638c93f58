"""`kg backup` and `kg restore`: snapshot the store into one self-checking file, and put it back.

Kept apart from kg.cli so the commands are one optional module: kg.cli registers them through
kg.cli.EXTRA_PARSERS ("kg.cli.backup:add_backup_parsers").
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

STORE_ENV = "HILFENETZ_STORE"
DEFAULT_STORE = Path("var") / "store"


def _store(args: argparse.Namespace) -> Path:
    if args.store is not None:
        return Path(args.store)
    value = os.environ.get(STORE_ENV, "").strip()
    return Path(value) if value else DEFAULT_STORE


def cmd_backup(args: argparse.Namespace) -> int:
    from kg.graph.backup import backup

    m = backup(_store(args), args.output)
    if not args.quiet:
        print(f"backed up {m.quads} quads in {len(m.graphs)} graphs ({len(m.files)} files) to {args.output}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from kg.graph.backup import restore

    store = _store(args)
    m = restore(args.backup, store, force=args.force)
    if not args.quiet:
        print(f"restored {m.quads} quads in {len(m.graphs)} graphs (backup of {m.created}) to {store}")
    return 0


def add_backup_parsers(sub: argparse._SubParsersAction) -> None:
    """Register `kg backup` and `kg restore`."""
    store_help = f"store directory (default: ${STORE_ENV} or {DEFAULT_STORE})"
    p = sub.add_parser(
        "backup", help="snapshot the store into a .tar.gz (or a directory) with a manifest and SHA-256 sums",
        description="Take a consistent snapshot of the store (a RocksDB checkpoint) and pack it with "
                    "manifest.json (quads per graph, size and SHA-256 of every file). An output name ending "
                    "in .tar.gz or .tgz gives an archive, any other name a directory.",
    )
    p.add_argument("--store", type=Path, default=None, help=store_help)
    p.add_argument("--output", "-o", type=Path, required=True, help="backup file or directory to create")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    p.set_defaults(func=cmd_backup)

    r = sub.add_parser(
        "restore", help="restore a backup atomically (verify, then swap into place)",
        description="Unpack a backup next to the store, verify every checksum and the quad counts, and swap "
                    "it into place atomically. An existing store is only replaced with --force. Stop a "
                    "writable `kg serve` first; a read-only one switches to the restored store by itself.",
    )
    r.add_argument("backup", type=Path, help="backup file (.tar.gz) or directory made by `kg backup`")
    r.add_argument("--store", type=Path, default=None, help=store_help)
    r.add_argument("--force", action="store_true", help="replace an existing store")
    r.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    r.set_defaults(func=cmd_restore)


def main(argv: list[str] | None = None) -> int:
    """`python -m kg.cli.backup backup|restore …` (works before kg.cli registers the commands)."""
    import sys

    from kg.errors import KgError

    parser = argparse.ArgumentParser(prog="kg")
    sub = parser.add_subparsers(dest="command", required=True)
    add_backup_parsers(sub)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KgError as exc:
        print(f"kg: error: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
