"""Publish a built (validated, inferred) local store into a remote SPARQL 1.1 store, atomically.

Why one Update request: SPARQL 1.1 Update says a request is applied atomically (all operations
or none), and every conforming server must honour it. So the whole replacement is **one**
request, `DROP ALL ; INSERT DATA { <default-graph triples> GRAPH <g> { ... } ... }`, streamed
from the local store graph by graph (N-Triples is valid SPARQL triple syntax). A publish that
fails half way (the remote refuses the data, the connection breaks, the publisher is killed)
never completes the request, and the remote keeps its previous data; readers never see a
half-loaded store. Not a Graph Store `PUT` of the dataset: whether a dataset-level PUT is atomic
is up to each server, and Oxigraph server, for one, bulk-loads it outside a transaction.

Cost: the remote holds the request in one transaction (for Oxigraph server: in memory), which
for the real graph (467k quads, ~90 MB of request) is fine; see docs/remote-store.md for figures.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.store.remote import RemoteError, RemoteStore, post_update, redact


@dataclass
class PublishResult:
    """What a publish sent: quads, graphs, request bytes and the seconds it took."""

    quads: int
    graphs: int
    bytes: int
    seconds: float
    version: str


def update_body(store: ox.Store, progress: Callable[[str], None] | None = None,
                counter: list[int] | None = None) -> Iterator[bytes]:
    """The one Update request that replaces the remote's content with `store`'s, as chunks.

    Blank nodes keep the local store's labels, so one blank node shared by several graphs stays
    one node (blank-node labels are scoped to the whole request)."""
    def emit(chunk: bytes) -> bytes:
        if counter is not None:
            counter[0] += len(chunk)
        return chunk

    yield emit(b"DROP ALL ;\nINSERT DATA {\n")
    default = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    if default:
        yield emit(default)
    for graph in sorted((g for g in store.named_graphs() if isinstance(g, ox.NamedNode)), key=lambda g: g.value):
        if progress is not None:
            progress(f"publish: sending graph {graph.value}")
        body = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph)
        yield emit(f"GRAPH <{graph.value}> {{\n".encode())
        yield emit(body)
        yield emit(b"}\n")
    yield emit(b"}\n")


def publish(local_store_path: Path | str, remote: RemoteStore | str, *, update_url: str | None = None,
            progress: Callable[[str], None] | None = None) -> PublishResult:
    """Replace the remote store's content with the local store's in one atomic Update request.

    `remote` is a RemoteStore or its query endpoint URL; raises SyntaxError (the remote refused
    the data), OSError (connection) or kg.store.remote.RemoteError; in these cases the remote
    keeps its previous content. Afterwards the remote's quad count is checked against the local
    store (a RemoteError if they differ, e.g. an update endpoint that belongs to another store)."""
    if isinstance(remote, str):
        remote = RemoteStore(remote, update_url=update_url)
    target = update_url or remote.update_url
    store = ox.Store.read_only(str(local_store_path))
    quads = len(store)
    graphs = sum(1 for g in store.named_graphs() if isinstance(g, ox.NamedNode))
    counter = [0]
    start = time.perf_counter()
    if progress is not None:
        progress(f"publish: {quads} quads in {graphs} graphs to {redact(target)} (one atomic update)")
    post_update(target, update_body(store, progress, counter))
    seconds = time.perf_counter() - start
    after = RemoteStore(remote.url, update_url=target)
    held = len(after)
    if held != quads:  # committed, so nothing to roll back: say so loudly
        raise RemoteError(
            f"the remote at {redact(remote.url)} accepted the update but holds {held} quads, not {quads} "
            f"(is its query endpoint the same store as {redact(target)}?)")
    return PublishResult(quads, graphs, counter[0], seconds, after.version())
