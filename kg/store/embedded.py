"""The embedded on-disk pyoxigraph store: open, create, bulk load and count.

Kept tiny on purpose: the build owns *when* a store is written, this module only knows *how*.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.errors import KgError, StoreMissingError
from kg.rdf import XSD_STRING


def pid_alive(pid: int) -> bool:
    """True if a process with this id exists (also one of another user). Work directories next
    to a store carry their writer's PID, so what a killed process left behind can be cleaned up."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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
        old = path.with_name(f".{path.name}.old")
        if not path.exists() and is_store(old):
            raise KgError(f"no store at {path}, but the previous one is at {old}: a build is swapping it in "
                          "right now, or one was interrupted — try again, or run `kg build` (it recovers)")
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

    def __iter__(self) -> _Counter:
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


def _rdflib_term(term: ox.NamedNode | ox.BlankNode | ox.Literal, rdflib_mod: Any) -> Any:
    if isinstance(term, ox.NamedNode):
        return rdflib_mod.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib_mod.BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return rdflib_mod.Literal(term.value, lang=term.language)
        dt = term.datatype.value
        if dt == _XSD_STRING:
            return rdflib_mod.Literal(term.value)
        return rdflib_mod.Literal(term.value, datatype=rdflib_mod.URIRef(dt))
    raise KgError(f"RDF-star triple terms are not supported here: {term}")


_XSD_STRING = XSD_STRING


def add_to_rdflib(graph: Any, quads: Iterable[ox.Quad | ox.Triple]) -> Any:
    """Add pyoxigraph triples/quads to an rdflib graph (graph names are dropped: a union).

    Terms are converted directly (no serialise/parse round trip), each distinct term once; blank
    node ids are kept, so nodes shared across graphs stay shared.
    """
    import rdflib

    cache: dict[Any, Any] = {}  # IRIs repeat a lot; converting each once is ~5x faster

    def conv(term: Any) -> Any:
        r = cache.get(term)
        if r is None:
            r = cache[term] = _rdflib_term(term, rdflib)
        return r

    graph.addN((conv(q.subject), conv(q.predicate), conv(q.object), graph) for q in quads)
    return graph


def to_rdflib(store: ox.Store, graphs: Iterable[str], into: Any | None = None) -> Any:
    """Copy the triples of the given named graphs into one rdflib.Graph (their union).

    Used for SHACL validation with pyshacl, which needs rdflib.
    """
    import rdflib

    g = into if into is not None else rdflib.Graph()
    for name in graphs:
        add_to_rdflib(g, store.quads_for_pattern(None, None, None, ox.NamedNode(name)))
    return g
