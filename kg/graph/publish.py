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

**Staged publish**, for an engine that takes no request that large (Virtuoso: 10 MB at most,
`kg.store.remote.Dialect.max_update_bytes`): the graphs are first loaded, in requests under the
limit, into staging graphs (`urn:x-hilfenetz:staging:<run>:<graph>`) that are no part of the store
as hilfenetz sees it (`RemoteStore.named_graphs` skips them, and every query is confined to the
store's own graphs there); then **one small request** moves the staging graphs in (`MOVE SILENT
<staging> TO <graph> ; …`, and drops graphs the new data no longer has). A publish that fails or
is killed before that request leaves the remote's graphs exactly as they were (left-over staging
graphs are dropped by the next publish). **The switch itself is atomic only where the engine makes
a request atomic, as SPARQL 1.1 Update requires; Virtuoso 7.2 does not**: it applies the
operations of a request one by one (`INSERT DATA {…} ; DROP GRAPH <missing>` keeps the insert after
the drop failed), so readers may see some graphs old and some new while the MOVEs run (the real
graph: see docs/remote-store.md for the measured seconds), and a switch that fails half way is
reported by the count check below and repaired by the next publish. A single DELETE/INSERT
operation was tried for the switch and dropped: Virtuoso does not apply all deletions before the
insertions (a republish lost 5 of 6 statements of a participation), and with `FILTER NOT EXISTS`
to keep deletions and insertions apart it lost 15,455 of 467,066 quads on the real graph.

Blank nodes: INSERT DATA gives every request's blank nodes fresh identities, so statements that
share a blank node (OWL restrictions and lists, SHACL property shapes: 1,015 quads of the real
graph in 137 groups) go into one request together.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.store.remote import STAGING_PREFIX, RemoteError, RemoteStore, post_update, redact


@dataclass
class PublishResult:
    """What a publish sent: quads, graphs, request bytes and the seconds it took."""

    quads: int
    graphs: int
    bytes: int
    seconds: float
    version: str
    requests: int = 1  #: update requests sent: 1, or the staging requests plus the switch (staged publish)


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
    counter = [0, 0]  # bytes, requests
    start = time.perf_counter()
    limit = remote.dialect.max_update_bytes
    if limit is None:
        if progress is not None:
            progress(f"publish: {quads} quads in {graphs} graphs to {redact(target)} (one atomic update)")
        post_update(target, update_body(store, progress, counter))
        counter[1] = 1
    else:
        if progress is not None:
            progress(f"publish: {quads} quads in {graphs} graphs to {redact(target)} "
                     f"(staged: requests under {limit // 1024 // 1024} MB, then one switch)")
        staged_publish(store, remote, target, limit, progress, counter)
    seconds = time.perf_counter() - start
    after = RemoteStore(remote.url, update_url=target)
    held = len(after)
    if held != quads:  # committed, so nothing to roll back: say so loudly
        raise RemoteError(
            f"the remote at {redact(remote.url)} accepted the update but holds {held} quads, not {quads} "
            f"(is its query endpoint the same store as {redact(target)}?)")
    return PublishResult(quads, graphs, counter[0], seconds, after.version(), counter[1])


def _nt(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> str:
    return str(term)


def blank_node_groups(quads: list[ox.Quad]) -> list[list[ox.Quad]]:
    """The quads grouped so that quads sharing a blank node (in any graph) are in one group:
    each group must go into one request, where its blank-node labels mean the same node."""
    parent: dict[ox.BlankNode, ox.BlankNode] = {}

    def find(b: ox.BlankNode) -> ox.BlankNode:
        while parent.setdefault(b, b) != b:
            parent[b] = parent[parent[b]]
            b = parent[b]
        return b

    for q in quads:
        nodes = [t for t in (q.subject, q.object) if isinstance(t, ox.BlankNode)]
        for other in nodes[1:]:
            parent[find(other)] = find(nodes[0])
    groups: dict[ox.BlankNode, list[ox.Quad]] = {}
    for q in quads:
        first = q.subject if isinstance(q.subject, ox.BlankNode) else q.object
        assert isinstance(first, ox.BlankNode)
        groups.setdefault(find(first), []).append(q)
    return list(groups.values())


def staged_publish(store: ox.Store, remote: RemoteStore, target: str, limit: int,
                   progress: Callable[[str], None] | None, counter: list[int]) -> None:
    """Load `store` into staging graphs in requests of at most `limit` bytes, then switch them in
    with one request (see the module docstring). Staging graphs of this run are dropped again if
    anything fails before the switch."""
    run = uuid.uuid4().hex[:12]
    max_statements = remote.dialect.max_update_statements or 1 << 62
    graphs = sorted((g for g in store.named_graphs() if isinstance(g, ox.NamedNode)), key=lambda g: g.value)
    staging = {g.value: f"{STAGING_PREFIX}{run}:{g.value}" for g in graphs}

    def send(body: str) -> None:
        data = body.encode()
        counter[0] += len(data)
        counter[1] += 1
        post_update(target, data)

    # Left-overs of an earlier, killed publish: invisible, but they take space.
    old_staging = [g for g in remote.all_graph_names() if g.startswith(STAGING_PREFIX)]
    if old_staging:
        send(" ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in old_staging))
    try:
        with_bnodes: list[ox.Quad] = []
        for graph in graphs:
            if progress is not None:
                progress(f"publish: staging graph {graph.value}")
            head = f"INSERT DATA {{ GRAPH <{staging[graph.value]}> {{\n"
            lines: list[str] = []
            size = len(head)
            for q in store.quads_for_pattern(None, None, None, graph):
                if isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode):
                    with_bnodes.append(q)
                    continue
                line = f"{_nt(q.subject)} {_nt(q.predicate)} {_nt(q.object)} .\n"
                if lines and (size + len(line) + 4 > limit or len(lines) >= max_statements):
                    send(head + "".join(lines) + "} }")
                    lines, size = [], len(head)
                lines.append(line)
                size += len(line)
            if lines:
                send(head + "".join(lines) + "} }")
        by_graph: dict[str, list[ox.Quad]] = {}
        for q in with_bnodes:
            assert isinstance(q.graph_name, ox.NamedNode)
            by_graph.setdefault(q.graph_name.value, []).append(q)
        for quads_of_graph in by_graph.values():  # one graph per request: see _insert_data
            batch: list[ox.Quad] = []
            for group in [*blank_node_groups(quads_of_graph), []]:  # the empty group flushes the last batch
                if batch and (not group or len(batch) + len(group) > max_statements):
                    send(_insert_data(batch, staging))
                    batch = []
                if len(group) > max_statements:
                    raise RemoteError(f"{len(group)} statements share blank nodes; the remote takes at most "
                                      f"{max_statements} in one request")
                batch += group
        current = [g.value for g in RemoteStore(remote.url, update_url=target).named_graphs()]
        switch = [f"DROP SILENT GRAPH <{g}>" for g in current if g not in staging]
        switch += [f"MOVE SILENT <{staging[g.value]}> TO <{g.value}>" for g in graphs]
        if progress is not None:
            progress(f"publish: switching {len(graphs)} graphs in (one request)")
        switched = time.perf_counter()
        send(" ;\n".join(switch))
        if progress is not None:
            progress(f"publish: switched in {time.perf_counter() - switched:.1f} s")
    except BaseException:
        try:
            send(" ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in staging.values()))
        except Exception:  # noqa: BLE001 - best effort: the original error is the one to report
            pass
        raise


def _insert_data(quads: list[ox.Quad], staging: dict[str, str]) -> str:
    """One update that inserts `quads` (with blank nodes, all of one graph) into that graph's
    staging graph: an `INSERT { … } WHERE { }`, whose template gives every blank-node label one
    fresh node (Virtuoso refuses blank nodes in INSERT DATA: "SP031: Blank node … is not allowed
    in a constant clause"; and a template with blank nodes in two GRAPH blocks fails with "SR002:
    Function string_output_string needs a string output"). So a blank node used in two graphs
    becomes one node per graph on such an engine; the project's data has none (the publish test
    compares the graphs for isomorphism)."""
    by_graph: dict[str, list[str]] = {}
    for q in quads:
        assert isinstance(q.graph_name, ox.NamedNode)
        by_graph.setdefault(staging[q.graph_name.value], []).append(
            f"{_nt(q.subject)} {_nt(q.predicate)} {_nt(q.object)} .")
    return "INSERT {\n" + "".join(
        f"GRAPH <{g}> {{\n" + "\n".join(lines) + "\n}\n" for g, lines in by_graph.items()) + "} WHERE { }"
