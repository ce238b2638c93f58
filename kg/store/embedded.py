"""The embedded on-disk pyoxigraph store: open, create, bulk load and count.

Kept tiny on purpose: the build owns *when* a store is written, this module only knows *how*.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox

from kg.errors import KgError, StoreMissingError


def is_store(path: Path) -> bool:
    """True if `path` looks like a pyoxigraph/RocksDB store directory."""
    return path.is_dir() and (path / "CURRENT").is_file()


def create(path: Path) -> ox.Store:
    """Create a new, empty read-write store; refuses to reuse a non-empty directory."""
    if path.exists() and any(path.iterdir()):
        raise KgError(f"{path} already exists and is not empty; refusing to write into it")
    path.mkdir(parents=True, exist_ok=True)
    return ox.Store(str(path))


def open_read_only(path: Path) -> ox.Store:
    """Open an existing store for reading; a missing store is a clean error, not a traceback.

    Read-only opening never creates files, so queries cannot alter the store's bytes.
    """
    path = Path(path)
    if not is_store(path):
        raise StoreMissingError(path)
    try:
        return ox.Store.read_only(str(path))
    except OSError as exc:
        raise KgError(f"cannot open store at {path}: {exc}") from None


def open_read_write(path: Path) -> ox.Store:
    """Open an existing store for writing (used by tools that modify a store in place)."""
    if not is_store(path):
        raise StoreMissingError(path)
    return ox.Store(str(path))


def bulk_add(store: ox.Store, quads: Iterable[ox.Quad]) -> int:
    """Add quads with the bulk loader (no transaction log, fast); returns how many were passed."""
    counter = _Counter(quads)
    store.bulk_extend(counter)
    return counter.n


class _Counter:
    """Iterator wrapper that counts what passes through (bulk_extend consumes lazily)."""

    def __init__(self, items: Iterable[ox.Quad]) -> None:
        self._it = iter(items)
        self.n = 0

    def __iter__(self) -> "_Counter":
        return self

    def __next__(self) -> ox.Quad:
        item = next(self._it)
        self.n += 1
        return item


def graph_counts(store: ox.Store) -> dict[str, int]:
    """Triples per named graph (IRI → count), plus "" for the default graph if it is not empty."""
    counts: dict[str, int] = {}
    rows = store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    for row in rows:
        counts[row["g"].value] = int(row["n"].value)
    default = int(next(iter(store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")))["n"].value)
    if default:
        counts[""] = default
    return counts


def total_quads(store: ox.Store) -> int:
    """Number of quads in the whole store (all graphs)."""
    return len(store)


def close(store: ox.Store | None) -> None:
    """Flush and release a store. pyoxigraph has no close(): the RocksDB handle goes away when the
    last Python reference does, so we flush, and the caller must drop its own reference too."""
    if store is None:
        return
    try:
        store.flush()
    except OSError:
        pass
    del store
    gc.collect()
