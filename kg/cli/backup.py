"""`kg backup` and `kg restore`: snapshot the store into one self-checking file, and put it back."""

from __future__ import annotations

import argparse
from pathlib import Path

from kg.cli.common import add_quiet, add_settings, store_path
from kg.graph.backup import backup, restore


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `kg backup` and `kg restore`."""
    p = sub.add_parser(
        "backup", help="snapshot the store into a .tar.gz (or a directory) with a manifest and SHA-256 sums",
        description="Take a consistent snapshot of the store (a RocksDB checkpoint) and pack it with "
                    "manifest.json (quads per graph, size and SHA-256 of every file). An output name ending "
                    "in .tar.gz or .tgz gives an archive, any other name a directory.",
    )
    add_settings(p, "backup")
    p.add_argument("--output", "-o", type=Path, required=True, help="backup file or directory to create")
    add_quiet(p, "print nothing on success")
    p.set_defaults(func=run_backup)

    r = sub.add_parser(
        "restore", help="restore a backup atomically (verify, then swap into place)",
        description="Unpack a backup next to the store, verify every checksum and the quad counts, and swap "
                    "it into place atomically. An existing store is only replaced with --force. Stop a "
                    "writable `kg serve` first; a read-only one switches to the restored store by itself.",
    )
    r.add_argument("backup", type=Path, help="backup file (.tar.gz) or directory made by `kg backup`")
    add_settings(r, "restore")
    r.add_argument("--force", action="store_true", help="replace an existing store")
    add_quiet(r, "print nothing on success")
    r.set_defaults(func=run_restore)


def run_backup(args: argparse.Namespace) -> int:
    m = backup(store_path(args), args.output)
    if not args.quiet:
        print(f"backed up {m.quads} quads in {len(m.graphs)} graphs ({len(m.files)} files) to {args.output}")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    store = store_path(args)
    m = restore(args.backup, store, force=args.force)
    if not args.quiet:
        print(f"restored {m.quads} quads in {len(m.graphs)} graphs (backup of {m.created}) to {store}")
    return 0
