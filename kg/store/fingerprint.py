"""The one fingerprint of a store directory: what the server's version (answer-cache keys, ETags),
its watch for a rebuilt store, and the dump cache key on.

Why one: the server, the linked-data dumps and the dataset description each used to hash the
folder their own way (inode + file stats; quad count + newest mtime; newest mtime alone), so a
change could renew one cache and not another.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

#: `store_version` of a path that holds no store (no RocksDB `CURRENT` file) or cannot be read.
MISSING = "missing"


def store_version(path: Path | str) -> str:
    """A 16-hex-digit key of the store directory at `path` (or MISSING), from the directory's
    inode and every file's name, size and modification time (ns). No file is read.

    What changes it: a rebuild or a restore (`kg build`, `kg restore` swap in a new directory:
    new inode, new files); every committed write (SPARQL Update, Graph Store, a publish into an
    embedded store: RocksDB appends to its write-ahead log and writes new SST and MANIFEST files);
    a compaction. What does not: reading — opening the store read-only and querying it leaves
    every file as it was (checked on the real built store, 19 files) — nor moving the directory
    with its inode. Cost: one directory listing plus one stat per file, 0.2 ms for the real store
    (19 files), so the server can afford to poll it every few seconds."""
    h = hashlib.blake2b(digest_size=8)
    try:
        h.update(str(os.stat(path).st_ino).encode())
        with os.scandir(path) as it:  # closed also when a stat fails halfway (a compaction removed a file)
            entries = sorted(it, key=lambda e: e.name)
        if not any(e.name == "CURRENT" for e in entries):
            return MISSING
        for entry in entries:
            if entry.is_file():
                st = entry.stat()
                h.update(f"{entry.name}:{st.st_size}:{st.st_mtime_ns};".encode())
    except OSError:
        return MISSING
    return h.hexdigest()


def last_modified(path: Path | str) -> float | None:
    """The newest modification time (seconds since the epoch) of the files in the store
    directory, for HTTP `Last-Modified`; None if there is no readable directory or no file."""
    try:
        with os.scandir(path) as it:  # closed also when a stat fails halfway (a compaction removed a file)
            newest = max((e.stat().st_mtime for e in it if e.is_file()), default=0.0)
    except OSError:
        return None
    return newest or None


def version_of(store: Any, path: Path | str | None) -> str:
    """`store_version(path)` for a store with a directory; for one without (in memory, or a path
    that holds no store), "n" and its number of quads, which changes with most writes."""
    version = store_version(path) if path is not None else MISSING
    return version if version != MISSING else f"n{len(store)}"
