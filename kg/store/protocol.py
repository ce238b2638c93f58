"""What the query and web layers use of a store, declared once.

Two classes implement it: the embedded `pyoxigraph.Store` (opened read-only by the server and
the query workers, or read-write for the write path) and `kg.store.remote.RemoteStore` (the same
calls over the SPARQL 1.1 Protocol). Code that only reads takes a `QueryStore` and works on
either; code that writes, flushes or backs up (build, write, backup) needs the embedded store and
says `pyoxigraph.Store`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any, Protocol, runtime_checkable

import pyoxigraph as ox

#: What `QueryStore.query` answers: solutions (SELECT), a boolean (ASK) or triples (CONSTRUCT, DESCRIBE).
QueryResult = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples


@runtime_checkable
class QueryStore(Protocol):
    """The read side of a store, as pyoxigraph's `Store` spells it (names, keywords, result types)."""

    def query(
        self,
        query: str,
        *,
        base_iri: str | None = None,
        prefixes: dict[str, str] | None = None,
        use_default_graph_as_union: bool = False,
        default_graph: Any = None,
        named_graphs: Any = None,
        substitutions: Any = None,
    ) -> QueryResult:
        """Evaluate a SPARQL query (SyntaxError if it does not parse, OSError if the store fails)."""
        ...

    def quads_for_pattern(self, subject: Any, predicate: Any, object: Any, graph_name: Any = None) -> Iterator[ox.Quad]:
        """The quads matching a pattern (None matches anything)."""
        ...

    def named_graphs(self) -> Iterator[ox.NamedNode | ox.BlankNode]:
        """The names of the store's named graphs."""
        ...

    def contains_named_graph(self, graph_name: Any) -> bool:
        """True if the store has this named graph (always for the default graph)."""
        ...

    def dump(self, output: IO[bytes] | str | None = None, format: ox.RdfFormat | None = None, *,
             from_graph: Any = None, prefixes: dict[str, str] | None = None) -> bytes | None:
        """Serialise the store (or one graph) in an RDF format."""
        ...

    def __len__(self) -> int:
        """The number of quads in all graphs."""
        ...


def solutions(result: QueryResult) -> ox.QuerySolutions:
    """The solutions of a SELECT answer, typed as such (TypeError for an ASK, CONSTRUCT or DESCRIBE answer)."""
    if not isinstance(result, ox.QuerySolutions):
        raise TypeError(f"expected the solutions of a SELECT query, got {type(result).__name__}")
    return result


if TYPE_CHECKING:  # both implementations satisfy the protocol (checked by mypy, tests/store/test_protocol.py)
    from kg.store.remote import RemoteStore

    def _embedded(store: ox.Store) -> QueryStore:
        return store

    def _remote(store: RemoteStore) -> QueryStore:
        return store
