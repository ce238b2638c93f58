"""Storage backends. The embedded pyoxigraph store is the default.

`open_query_store(location)` is what query workers call: a directory opens the embedded store
read-only; an http(s) URL opens a remote SPARQL 1.1 store (kg.store.remote.RemoteStore, the read
side of the pyoxigraph Store API over the SPARQL 1.1 Protocol; see docs/remote-store.md). Only
the remote module imports httpx, and only when a URL is given.
"""

from typing import Any

from kg.store.embedded import (
    add_to_rdflib,
    bulk_add,
    create,
    graph_counts,
    is_store,
    open_read_only,
    open_read_write,
    pid_alive,
    to_rdflib,
    total_quads,
)


def is_remote(location: str) -> bool:
    """True if `location` names a remote SPARQL store (an http or https URL)."""
    return str(location).startswith(("http://", "https://"))


def open_query_store(location: str, own_copy: bool = False) -> Any:
    """Open the store at `location` for queries: embedded (read-only) or remote; `own_copy`: a
    query worker's private copy of a writable store, opened read-write to replay the writes
    (kg.query.replicas)."""
    if is_remote(location):
        # only for a remote store: httpx costs ~0.9 s to import, which every `kg` command and
        # every query worker on an embedded store would pay
        from kg.store.remote import RemoteStore

        return RemoteStore(location)
    import pyoxigraph as ox

    return ox.Store(location) if own_copy else ox.Store.read_only(location)


__all__ = [
    "add_to_rdflib",
    "bulk_add",
    "create",
    "graph_counts",
    "is_remote",
    "is_store",
    "open_query_store",
    "open_read_only",
    "open_read_write",
    "pid_alive",
    "to_rdflib",
    "total_quads",
]
