"""Storage backends. The embedded pyoxigraph store is the default (and for now the only) one."""

from kg.store.embedded import (
    add_to_rdflib,
    bulk_add,
    create,
    graph_counts,
    is_store,
    open_read_only,
    open_read_write,
    to_rdflib,
    total_quads,
)

__all__ = [
    "add_to_rdflib",
    "bulk_add",
    "create",
    "graph_counts",
    "is_store",
    "open_read_only",
    "open_read_write",
    "to_rdflib",
    "total_quads",
]
