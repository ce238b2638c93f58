"""What crosses the pipe between the server and a query worker: a QueryJob goes in, a
QueryAnswer (or, for a streamed SELECT, first some `bytes` parts) comes back.

Plain dataclasses, pickled by multiprocessing; kg.query.pool sends them, kg.query.execute
answers them (in a worker, or inline in the server for single-pattern queries).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kg.errors import (
    AnswerTooLarge,
    EvaluationError,
    KgError,
    NotAcceptable,
    QuerySyntaxError,
    StoreReadError,
    syntax_message,
)


@dataclass
class QueryJob:
    """What a worker needs to answer one query. Plain data: it is pickled through a pipe."""

    query: str
    result_format: str | None  # key of a kg.formats.RESULT_FORMATS entry (SELECT/ASK)
    graph_format: str | None  # key of a kg.formats.GRAPH_FORMATS entry (CONSTRUCT/DESCRIBE)
    default_graph: list[str] | None = None
    named_graphs: list[str] | None = None
    union_default_graph: bool = True
    base_iri: str | None = None
    max_rows: int = 100_000
    max_bytes: int = 64 * 1024 * 1024
    store_path: str = ""  # filled in by the pool (the store, or the worker's own copy of it)
    store_generation: int = 0  # changes when the same path holds a rebuilt store
    #: writable server (kg.query.replicas): `store_path` is the worker's own copy, opened
    #: read-write, and `replay` the committed writes it lacks (one SPARQL Update, run first)
    own_copy: bool = False
    replay: str = ""
    prefixes: dict[str, str] = field(default_factory=dict)  # for Turtle/TriG/RDF-XML output
    default_prefixes: dict[str, str] = field(default_factory=dict)  # usable without PREFIX in the query
    #: variable name -> pyoxigraph term (picklable), bound with `Store.query(substitutions=)`:
    #: how the named queries pass request values without touching the query text
    substitutions: dict[str, Any] | None = None
    #: (offset, count): answer a SELECT as the solutions of one page plus the total number of
    #: solutions (format_key "rows"), instead of a serialised document (the named-query API)
    page: tuple[int, int] | None = None
    #: SELECT answers: once this many bytes are serialised, send them to the parent as a part
    #: of the answer (and every further `stream_after` bytes), so the server can pass them on
    #: while the query still runs; the final QueryAnswer then carries only the rest. 0: never.
    stream_after: int = 0


@dataclass
class QueryAnswer:
    """A worker's reply: either a body in `format_key`, or an error `kind` with a message."""

    ok: bool
    format_key: str | None = None
    body: bytes = b""
    kind: str = ""  # syntax | not_acceptable | too_many_rows | too_many_bytes | store | eval
    message: str = ""
    rows: int = 0  # solutions in the answer; for a `page` job: all solutions (the total)
    seconds: float = 0.0
    columns: list[str] = field(default_factory=list)  # `page` jobs: the projected variables
    page_rows: list[list[Any]] | None = None  # `page` jobs: the page's solutions (terms or None)
    #: kg.query.cache.body_digest of `body`, computed here so the event loop need not hash it
    #: (of the whole answer, the parts sent before included, when it was streamed)
    digest: bytes = b""
    #: parts of the answer sent before this message (QueryJob.stream_after); `body` is the rest
    streamed: int = 0
    message_de: str = ""  # the German of `message`, where there is one (kg.sparql.text.syntax_error_messages)
    #: the worker's own copy did not open or failed to replay the job's writes: it gave the copy
    #: up (this answer is an error), the next job brings a fresh one
    copy_lost: bool = False

    def error(self) -> KgError:
        """The exception an error reply stands for (kg.web.http.error_response answers it).
        For not_acceptable, `message` is the query form; the caller names the formats."""
        kind, message = self.kind, self.message
        if kind == "syntax":
            return QuerySyntaxError(syntax_message("SPARQL query", message),
                                    de=f"SPARQL-Syntaxfehler: {self.message_de}" if self.message_de else None)
        if kind == "not_acceptable":
            return NotAcceptable(f"No acceptable format for these results ({message}).")
        if kind in ("too_many_rows", "too_many_bytes"):
            return AnswerTooLarge(kind, message)
        if kind == "store":
            return StoreReadError(f"The store could not be read: {message}",
                                  de="Der Store konnte nicht gelesen werden.")
        return EvaluationError(f"The query could not be evaluated: {message}",
                               de="Die Abfrage konnte nicht ausgewertet werden.")
