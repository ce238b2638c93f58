"""Query worker processes: the only place where SPARQL queries are evaluated.

Why processes: pyoxigraph cannot stop a running query (no cancel or timeout API, see
oxigraph#1336/#1926), and its own cancellation is only checked when quads are read, so joins
and aggregates over intermediate results run on. A query in a separate process can be stopped
for real: at its deadline the process gets SIGKILL and a fresh worker takes its place, while the
other workers and the async server keep answering.

Each worker opens the store read-only (`Store.read_only`), runs one job at a time and serialises
the answer itself with pyoxigraph's serialisers, under a row and a byte limit, so a huge answer
never crosses the pipe. The parent (`WorkerPool`) is asyncio-friendly: it hands jobs to idle
workers and waits for the answer in a thread, so the event loop never blocks.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing as mp
import os
import select
import signal
import struct
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.reduction import ForkingPickler as _ForkingPickler
from typing import Any

from kg import allocator, formats
from kg.config import env_setting
from kg.errors import (  # noqa: F401 - QueryTimeout, WorkerCrashed, ClientGone stay importable from here
    AnswerTooLarge,
    ClientGone,
    EvaluationError,
    KgError,
    NotAcceptable,
    QuerySyntaxError,
    QueryTimeout,
    StoreReadError,
    WorkerCrashed,
    syntax_message,
)
from kg.query.cache import body_digest, body_hasher

# --------------------------------------------------------------------------------------------
# messages


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
    store_path: str = ""  # filled in by the pool (the current snapshot)
    store_generation: int = 0  # changes when the same path holds a rebuilt store
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

    def error(self) -> KgError:
        """The exception an error reply stands for (kg.web.http.error_response answers it).
        For not_acceptable, `message` is the query form; the caller names the formats."""
        kind, message = self.kind, self.message
        if kind == "syntax":
            return QuerySyntaxError(syntax_message("SPARQL query", message))
        if kind == "not_acceptable":
            return NotAcceptable(f"No acceptable format for these results ({message}).")
        if kind in ("too_many_rows", "too_many_bytes"):
            return AnswerTooLarge(kind, message)
        if kind == "store":
            return StoreReadError(f"The store could not be read: {message}",
                                  de="Der Store konnte nicht gelesen werden.")
        return EvaluationError(f"The query could not be evaluated: {message}",
                               de="Die Abfrage konnte nicht ausgewertet werden.")


# --------------------------------------------------------------------------------------------
# worker side


class _CappedWriter:
    """A binary sink that stops the serialiser once the answer passes a byte or line limit.

    With `emit`, every `emit_after` bytes written so far are handed to `emit` and forgotten
    here (a streamed answer); `getvalue()` is then only what came after the last part, and
    `digest()` covers everything written."""

    def __init__(self, max_bytes: int, max_lines: int | None = None, keep: bool = True,
                 emit: Callable[[bytes], None] | None = None, emit_after: int = 0) -> None:
        self.max_bytes = max_bytes
        self.max_lines = max_lines
        self.keep = keep  # False: only count (the exact row count of `_solutions_answer`)
        self.parts: list[bytes] = []
        self.size = 0
        self.lines = 0
        self.exceeded: str | None = None
        self.emit = emit if emit_after > 0 else None
        self.emit_after = emit_after
        self.pending = 0
        self.emitted: list[int] = []  # sizes of the parts handed on (their bytes are gone)
        self._hash: Any = None
        self.row_separators = 0  # in the emitted parts, for `_row_bound`
        self.format_key: str | None = None
        #: called with the row bound of everything written before a part is sent; True stops
        #: the answer (too many rows) instead of sending that part
        self.too_many_rows: Callable[[int], bool] | None = None

    def write(self, data: bytes) -> int:
        chunk = bytes(data)
        if self.keep:
            self.parts.append(chunk)
        self.size += len(chunk)
        if self.max_lines is not None:
            self.lines += chunk.count(b"\n")
            if self.lines > self.max_lines:
                self.exceeded = "too_many_rows"
                raise AnswerTooLarge(self.exceeded)
        if self.size > self.max_bytes:
            self.exceeded = "too_many_bytes"
            raise AnswerTooLarge(self.exceeded)
        if self.emit is not None:
            self.pending += len(chunk)
            if self.pending >= self.emit_after:
                self._emit()
        return len(chunk)

    def _emit(self) -> None:
        data = b"".join(self.parts)
        separators = self.row_separators + _row_separators(self.format_key, data)
        if self.too_many_rows is not None and self.too_many_rows(
                _row_bound(self.format_key or "", b"", separators, len(self.emitted))):
            self.exceeded = "too_many_rows"
            raise AnswerTooLarge(self.exceeded)
        self.parts.clear()
        self.pending = 0
        if self._hash is None:
            self._hash = body_hasher()
        self._hash.update(data)
        self.row_separators = separators
        self.emitted.append(len(data))
        assert self.emit is not None
        self.emit(data)

    def digest(self) -> bytes:
        """kg.query.cache.body_digest of everything written (emitted parts and the rest)."""
        if self._hash is None:
            return body_digest(self.getvalue())
        whole = self._hash.copy()
        whole.update(self.getvalue())
        return bytes(whole.digest())

    def flush(self) -> None:  # pyoxigraph may call it
        return None

    def getvalue(self) -> bytes:
        return b"".join(self.parts)


def _graph_terms(iris: list[str] | None) -> list[Any] | None:
    import pyoxigraph as ox

    if iris is None:
        return None
    return [ox.NamedNode(i) for i in iris]


def execute_job(store: Any, job: QueryJob, *, max_rows: int | None = None, max_bytes: int | None = None,
                emit: Callable[[bytes], None] | None = None) -> QueryAnswer:
    """Run one query on an open store and serialise the answer under the job's limits (or the
    lower `max_rows`/`max_bytes` given here). With `emit` and `job.stream_after`, a SELECT
    answer is handed to `emit` in parts while it is written (see QueryJob.stream_after).

    Public so tests and the write path can run the same logic in-process."""
    import pyoxigraph as ox

    if max_rows is not None or max_bytes is not None:
        job = _with_limits(job, max_rows, max_bytes)
    start = time.perf_counter()
    kwargs: dict[str, Any] = {"base_iri": job.base_iri}
    if job.default_prefixes:
        kwargs["prefixes"] = job.default_prefixes
    if job.default_graph is not None or job.named_graphs is not None:
        # protocol dataset: replaces FROM / FROM NAMED of the query (SPARQL 1.1 Protocol 2.1.4)
        kwargs["default_graph"] = _graph_terms(job.default_graph or [])
        if job.named_graphs is not None:
            kwargs["named_graphs"] = _graph_terms(job.named_graphs)
        elif job.default_graph is not None:
            kwargs["named_graphs"] = []
    elif job.union_default_graph:
        kwargs["use_default_graph_as_union"] = True
    if job.substitutions:
        kwargs["substitutions"] = {ox.Variable(name): term for name, term in job.substitutions.items()}
    try:
        result = store.query(job.query, **kwargs)
        if job.page is not None:
            return _page_answer(result, job.page, start)
        if isinstance(result, ox.QueryBoolean):
            if job.result_format is None:
                return QueryAnswer(False, kind="not_acceptable", message="ASK")
            body = result.serialize(format=formats.by_key(job.result_format).results)
            return _ok(job.result_format, body, 1, start)
        if isinstance(result, ox.QuerySolutions):
            if job.result_format is None:
                return QueryAnswer(False, kind="not_acceptable", message="SELECT")
            return _solutions_answer(store, job, kwargs, result, start, emit)
        # CONSTRUCT / DESCRIBE
        if job.graph_format is None:
            return QueryAnswer(False, kind="not_acceptable", message="CONSTRUCT")
        triples = []
        for triple in result:
            triples.append(triple)
            if len(triples) > job.max_rows:
                return _limit_answer("too_many_rows", job)
        fmt = formats.by_key(job.graph_format).rdf
        prefixes = _used_prefixes(triples, job.prefixes) if job.graph_format in ("ttl", "trig", "rdfxml") else None
        body = ox.serialize(triples, format=fmt, prefixes=prefixes) if prefixes else ox.serialize(triples, format=fmt)
        if len(body) > job.max_bytes:
            return _limit_answer("too_many_bytes", job)
        return _ok(job.graph_format, body, len(triples), start)
    except SyntaxError as exc:
        return QueryAnswer(False, kind="syntax", message=str(exc))
    except OSError as exc:
        return QueryAnswer(False, kind="store", message=str(exc))
    except Exception as exc:  # noqa: BLE001 - evaluation errors (e.g. a failing SERVICE) are reported
        return QueryAnswer(False, kind="eval", message=f"{type(exc).__name__}: {exc}")


def execute_inline(store: Any, job: QueryJob, max_rows: int, max_bytes: int) -> QueryAnswer | None:
    """Answer `job` right here under a small answer cap, or None if the answer is larger.

    For single-pattern queries only (kg.sparql.text.is_single_pattern): their work is
    one index scan that stops when the serialiser stops, so the cap bounds the time spent in
    the calling process (about a millisecond per thousand rows), and a query can neither run
    away nor outlive its deadline here. None means "send it to a worker", which then applies
    the real limits and the deadline. The answer is the one a worker would give: the same
    function, the same serialisers."""
    rows, size = min(job.max_rows, max_rows), min(job.max_bytes, max_bytes)
    answer = execute_job(store, job, max_rows=rows, max_bytes=size)
    if answer.kind == "too_many_rows" and rows < job.max_rows:
        return None
    if answer.kind == "too_many_bytes" and size < job.max_bytes:
        return None
    return answer


def _with_limits(job: QueryJob, max_rows: int | None, max_bytes: int | None) -> QueryJob:
    """A shallow copy of `job` with other limits (`dataclasses.replace` runs __init__ and every
    default factory again: a measurable part of an inline point lookup)."""
    copy = object.__new__(QueryJob)
    copy.__dict__.update(job.__dict__)
    if max_rows is not None:
        copy.max_rows = max_rows
    if max_bytes is not None:
        copy.max_bytes = max_bytes
    return copy


def _ok(format_key: str, body: bytes, rows: int, start: float) -> QueryAnswer:
    return QueryAnswer(True, format_key, body, rows=rows, seconds=time.perf_counter() - start,
                       digest=body_digest(body))


def _row_separators(format_key: str | None, data: bytes) -> int:
    """The marks counted by `_row_bound` in one piece of an answer."""
    if format_key == "json":
        return data.count(b"},{")
    if format_key == "xml":
        return data.count(b"<result>") + data.count(b"<result/>")
    return data.count(b"\n")


def _row_bound(format_key: str, body: bytes, earlier: int = 0, pieces_before: int = 0) -> int:
    """An upper bound of the solutions in a serialised SELECT answer, by counting bytes.

    JSON: pyoxigraph writes compact JSON, solutions are separated by exactly `},{` (a literal
    may contain it too, which only raises the bound); XML: `<result>` opens every solution
    (`<` inside literals is escaped); CSV and TSV: one line per solution after the header (a
    CSV value may contain line breaks, again only raising the bound; TSV escapes them).

    A streamed answer is counted piece by piece: `earlier` marks were counted in the
    `pieces_before` parts already sent; a mark cut in two by a part boundary is made up for by
    one per boundary (JSON, XML), so the bound stays an upper bound."""
    marks = earlier + _row_separators(format_key, body)
    if format_key == "json":
        return marks + 1 + pieces_before
    if format_key == "xml":
        return marks + pieces_before
    return max(0, marks - 1)


def _solutions_answer(store: Any, job: QueryJob, kwargs: dict[str, Any], result: Any, start: float,
                      emit: Callable[[bytes], None] | None = None) -> QueryAnswer:
    """A SELECT answer in the asked format, under the byte and the row limit.

    Why not always through TSV, as before: TSV can be counted line by line while it is
    written, but converting it into JSON or XML afterwards cost about an eighth of a 2-hop
    join's time. Now the asked format is written directly under the byte limit and its rows
    are bounded by counting bytes (`_row_bound`); only an answer whose bound passes the row
    limit is evaluated once more as TSV and counted exactly (rare: it takes about as many rows
    as the limit). A streamed answer is checked so before each part goes out."""
    sink = _CappedWriter(job.max_bytes, job.max_rows + 1 if job.result_format == "tsv" else None,
                         emit=emit, emit_after=job.stream_after if emit is not None else 0)
    sink.format_key = job.result_format
    exact_rows: list[int | None] = []  # the exact count, once it was needed

    def counted() -> int | None:
        if not exact_rows:
            exact_rows.append(_exact_rows(store, job, kwargs))
        return exact_rows[0]

    if sink.emit is not None and job.result_format != "tsv":  # TSV lines are counted exactly anyway
        # a streamed answer is checked before each part goes out, so an answer over the limit
        # is stopped near the limit rather than after it has been sent in full
        sink.too_many_rows = lambda bound: bound > job.max_rows and counted() is None
    results_format = formats.by_key(job.result_format or "").results  # execute_job checked it is set
    try:
        result.serialize(sink, format=results_format)
    except Exception:
        if sink.exceeded:
            return _limit_answer(sink.exceeded, job)
        raise
    body = sink.getvalue()
    rows = _row_bound(job.result_format, body, sink.row_separators, len(sink.emitted))
    if rows > job.max_rows and job.result_format != "tsv":
        exact = counted()
        if exact is None:
            return _limit_answer("too_many_rows", job)
        rows = exact
    if sink.emitted:
        return QueryAnswer(True, job.result_format, body, rows=rows, seconds=time.perf_counter() - start,
                           digest=sink.digest(), streamed=len(sink.emitted))
    return _ok(job.result_format, body, rows, start)


def _exact_rows(store: Any, job: QueryJob, kwargs: dict[str, Any]) -> int | None:
    """The exact number of solutions, by evaluating the query once more as TSV and counting
    lines (nothing kept), or None if there are more than `job.max_rows`. For the rare answers
    whose byte-counted bound (`_row_bound`) passes the row limit."""
    import pyoxigraph as ox

    exact = _CappedWriter(1 << 62, job.max_rows + 1, keep=False)  # + header line
    try:
        store.query(job.query, **kwargs).serialize(exact, format=ox.QueryResultsFormat.TSV)
    except Exception:
        if exact.exceeded:
            return None
        raise
    return max(0, exact.lines - 1)


def _page_answer(result: Any, page: tuple[int, int], start: float) -> QueryAnswer:
    """One page of a SELECT's solutions as terms, and how many solutions there are in all.

    Why terms and not a serialised document: the named-query API renders its own JSON, CSV and
    JSON-LD from terms, and only needs the page, so the rest is counted and never leaves the worker."""
    import pyoxigraph as ox

    if not isinstance(result, ox.QuerySolutions):
        return QueryAnswer(False, kind="not_acceptable", message="a page of rows needs a SELECT query")
    columns = [v.value for v in result.variables]
    first, count = page
    last = first + count
    rows: list[list[Any]] = []
    total = 0
    for solution in result:
        if first <= total < last:
            rows.append([solution[i] for i in range(len(columns))])
        total += 1
    return QueryAnswer(True, "rows", rows=total, seconds=time.perf_counter() - start, columns=columns, page_rows=rows)


def _used_prefixes(triples: list[Any], prefixes: dict[str, str]) -> dict[str, str]:
    """Only the prefixes the triples use (pyoxigraph writes every prefix it is given)."""
    import pyoxigraph as ox

    left = dict(prefixes)
    used: dict[str, str] = {}
    for t in triples:
        if not left:
            break
        for term in (t.subject, t.predicate, t.object):
            iri = term.value if isinstance(term, ox.NamedNode) else (
                term.datatype.value if isinstance(term, ox.Literal) else None)
            if iri is None:
                continue
            for p, ns in list(left.items()):
                if iri.startswith(ns):
                    used[p] = left.pop(p)
    return used


def _limit_answer(kind: str, job: QueryJob) -> QueryAnswer:
    if kind == "too_many_rows":
        msg = (
            f"The answer has more than {job.max_rows} rows (result row limit); add LIMIT or narrow the query. / "
            f"Das Ergebnis hat mehr als {job.max_rows} Zeilen (Zeilenlimit); LIMIT verwenden oder die Abfrage einschränken."
        )
    else:
        msg = (
            f"The answer is larger than {job.max_bytes} bytes (result size limit). / "
            f"Das Ergebnis ist größer als {job.max_bytes} Bytes (Größenlimit)."
        )
    return QueryAnswer(False, kind=kind, message=msg)


#: Stack of the thread that parses and evaluates queries (in each worker) and updates (in the
#: server, see `run_with_parser_stack`). pyoxigraph's parser recurses once per nesting level
#: and overflows an 8 MiB stack below 1,000 levels for some constructs (FILTER EXISTS, nested
#: function calls); with 64 MiB every construct tried (groups, UNION, OPTIONAL, FILTER EXISTS,
#: nested calls) parses at kg.sparql.text's MAX_NESTING (2,000 levels), deeper texts are
#: refused before parsing. It is virtual memory (pages are touched as the recursion goes), but it
#: counts against the worker's RLIMIT_DATA, so it is kept well below the smallest useful limit.
PARSER_STACK_BYTES = 64 * 1024 * 1024
_STACK_LOCK = threading.Lock()


def _start_with_parser_stack(thread: threading.Thread) -> None:
    """Start `thread` with PARSER_STACK_BYTES of stack (the size is process-wide, so it is set
    just around the start, under a lock)."""
    with _STACK_LOCK:
        previous = threading.stack_size(PARSER_STACK_BYTES)
        try:
            thread.start()
        finally:
            threading.stack_size(previous)


def run_with_parser_stack(fn: Callable[[], Any]) -> Any:
    """Call `fn` in a fresh thread with a parser-sized stack and return its result (or raise
    its exception). For the server's own parsing of untrusted text (SPARQL Update)."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
            outcome["error"] = exc

    thread = threading.Thread(target=target, name="kg-parse", daemon=True)
    _start_with_parser_stack(thread)
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def _worker_main(conn: Connection, memory_limit: int | None) -> None:
    """Entry of one worker process: the job loop runs in a thread with a parser-sized stack.

    The thread has a second reason: glibc's malloc gives every thread but the main one its own
    arena, and pyoxigraph evaluates about twice as fast there as in the main arena, which the
    interpreter shares and fragments (measured with 0.5.13: a mix of one GROUP BY, five 2-hop
    joins and 50 lookups took 164 ms CPU in a thread, 364 ms on the main thread, and 302 ms in
    a thread as well once MALLOC_ARENA_MAX=1 forces the main arena on it). Keep the queries
    off the main thread."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when workers stop
    if memory_limit:
        with contextlib.suppress(Exception):
            import resource

            resource.setrlimit(resource.RLIMIT_DATA, (memory_limit, memory_limit))
    # imported here, after the memory limit: the store library loads inside it (embedded path or remote URL)
    from kg.store import open_query_store

    loop = threading.Thread(target=_serve_jobs, args=(conn, open_query_store), name="kg-query-loop")
    _start_with_parser_stack(loop)
    loop.join()


def _spin_until_next_job(conn: Connection, seconds: float) -> None:
    """Wait up to `seconds` for the next job without going idle: poll the pipe, yielding the
    CPU to any other runnable task in between.

    Why: on the (virtual) machines this runs on, a CPU that goes idle between two jobs loses
    its caches; the next query then costs 20–30 % more CPU (measured with a 2-hop join: 8.2 ms
    back to back or with a 2 ms busy gap, 9.9–10.5 ms after a 2 ms sleep). Under a steady
    stream of queries the next job arrives within this window, so the worker stays warm; the
    price is at most `seconds` of CPU after the last query of a burst, given away to whatever
    else wants to run (`sched_yield`)."""
    if seconds <= 0:
        return
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        if conn.poll(0):
            return
        os.sched_yield()


def worker_spin_seconds() -> float:
    """How long a worker spins for the next job (process setting worker_spin_ms; 0 = off)."""
    return float(env_setting("worker_spin_ms")) / 1000


def _serve_jobs(conn: Connection, open_query_store: Callable[[str], Any]) -> None:
    """Loop of one worker: receive a job, answer it, repeat until the pipe closes."""
    spin = worker_spin_seconds()
    store: Any = None
    store_key: tuple[str, int] | None = None
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            key = (job.store_path, job.store_generation)
            if store is None or store_key != key:
                store = None
                store = open_query_store(job.store_path)
                store_key = key
            emit = conn.send if job.stream_after else None  # a part of the answer: pickled bytes
            answer = execute_job(store, job, emit=emit)
        except (BrokenPipeError, ConnectionResetError):
            return  # the parent went away while parts of an answer were being sent
        except Exception as exc:  # noqa: BLE001 - never die on a bad job
            answer = QueryAnswer(False, kind="store", message=f"{type(exc).__name__}: {exc}")
        try:
            conn.send(answer)
        except (BrokenPipeError, OSError):
            return
        _spin_until_next_job(conn, spin)


# --------------------------------------------------------------------------------------------
# parent side


@dataclass(eq=False)
class _Worker:
    process: Any
    conn: Connection
    store_path: str | None = None
    jobs: int = 0


class WorkerPool:
    """A fixed number of worker processes, an idle queue, and kill-and-replace at deadlines."""

    def __init__(
        self,
        size: int,
        store_path: str,
        *,
        memory_limit: int | None = None,
        on_event: Callable[[str], None] | None = None,
    ) -> None:
        self.size = max(1, int(size))
        self.store_path = str(store_path)
        self.memory_limit = memory_limit
        self._ctx = mp.get_context("spawn")
        self._idle: asyncio.LifoQueue[_Worker] | None = None
        self._workers: set[_Worker] = set()
        self._executor = ThreadPoolExecutor(max_workers=self.size * 2 + 2, thread_name_prefix="kg-query")
        self._lock = threading.Lock()
        self._closed = False
        self.on_event = on_event or (lambda name: None)
        self.killed = 0
        self.started = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self.generation = 0
        self._reaper: asyncio.Task[None] | None = None
        #: preloaded into every worker (kg.allocator: mimalloc unless HILFENETZ_ALLOCATOR says otherwise)
        self.allocator = allocator.library()

    # life cycle -------------------------------------------------------------------------

    def _spawn(self) -> _Worker:
        parent, child = self._ctx.Pipe(duplex=True)
        _widen_buffers(parent, child)
        proc = self._ctx.Process(
            target=_worker_main, args=(child, self.memory_limit), name="kg-query-worker", daemon=True
        )
        with allocator.for_children(self.allocator):  # a spawned worker is a fresh interpreter: exec'd with it
            proc.start()
        child.close()
        worker = _Worker(proc, parent)
        with self._lock:
            self._workers.add(worker)
            self.started += 1
        return worker

    async def start(self) -> None:
        """Start the workers (call inside the running event loop)."""
        # last in, first out: under light load the same (warm) worker takes the next job, see
        # _spin_until_next_job; a queue would hand every other job to a worker gone cold
        self._idle = asyncio.LifoQueue()
        loop = asyncio.get_running_loop()
        for _ in range(self.size):
            worker = await loop.run_in_executor(self._executor, self._spawn)
            self._idle.put_nowait(worker)
        self._reaper = asyncio.get_running_loop().create_task(self._reap_idle_forever())

    async def _reap_idle_forever(self, interval: float = 1.0) -> None:
        """Replace idle workers that died (OOM killer, an admin's kill) within `interval`.

        Why: with last-in-first-out hand-out a worker at the bottom of the idle stack may not
        be asked for a job for a long time, so its death would otherwise go unnoticed and the
        pool would be smaller than configured exactly when load arrives."""
        while not self._closed and self._idle is not None:
            await asyncio.sleep(interval)
            idle: list[_Worker] = list(getattr(self._idle, "_queue", ()))
            for worker in idle:
                if worker.process.is_alive():
                    continue
                with contextlib.suppress(ValueError):
                    self._idle._queue.remove(worker)  # type: ignore[attr-defined]
                    self.on_event("crash")
                    self._background(self._replace(worker))

    async def close(self) -> None:
        """Stop all workers."""
        self._closed = True
        if self._reaper is not None:
            self._reaper.cancel()
        with self._lock:
            workers = list(self._workers)
            self._workers.clear()
        for w in workers:
            with contextlib.suppress(Exception):
                w.conn.send(None)
        for w in workers:
            w.process.join(timeout=2)
            if w.process.is_alive():
                w.process.kill()
                w.process.join(timeout=2)
            with contextlib.suppress(Exception):
                w.conn.close()
        self._executor.shutdown(wait=False, cancel_futures=True)

    def alive(self) -> int:
        """Number of live worker processes."""
        with self._lock:
            return sum(1 for w in self._workers if w.process.is_alive())

    def pids(self) -> list[int]:
        with self._lock:
            return sorted(w.process.pid for w in self._workers if w.process.pid)

    def paths_in_use(self) -> set[str]:
        """Store paths some worker may still have open (snapshots that must not be deleted)."""
        with self._lock:
            return {w.store_path for w in self._workers if w.store_path} | {self.store_path}

    def set_store_path(self, path: str, generation: int = 0) -> None:
        """Point later jobs at another store (a new snapshot after a write, or the same path
        after a rebuild: a new `generation` makes the workers reopen it)."""
        self.store_path = str(path)
        self.generation = generation

    def _kill(self, worker: _Worker) -> None:
        with self._lock:
            self._workers.discard(worker)
        with contextlib.suppress(Exception):
            worker.process.kill()
        with contextlib.suppress(Exception):
            worker.process.join(timeout=5)
        with contextlib.suppress(Exception):
            worker.conn.close()

    def _background(self, coro: Awaitable[None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _replace(self, worker: _Worker) -> None:
        """Kill `worker` and start a fresh one (retrying, so the pool never shrinks for good)."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._kill, worker)
        delay = 0.1
        while not self._closed and self._idle is not None:
            try:
                fresh = await loop.run_in_executor(self._executor, self._spawn)
            except Exception:  # noqa: BLE001 - e.g. out of processes: try again a bit later
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            self._idle.put_nowait(fresh)
            return

    # running jobs -----------------------------------------------------------------------

    async def run(
        self,
        job: QueryJob,
        *,
        deadline: float,
        limit: float,
        queue_timeout: float,
        is_disconnected: Callable[[], Awaitable[bool]] | None = None,
        on_part: Callable[[bytes], Awaitable[None]] | None = None,
    ) -> QueryAnswer:
        """Answer `job` in a worker, or raise QueryTimeout once `time.monotonic()` passes `deadline`.

        Waiting for a free worker counts against the deadline (and at most `queue_timeout`).
        A job with `stream_after` may send its answer in parts: each is awaited in `on_part`
        (under the same deadline and disconnect checks) before the final QueryAnswer returns."""
        assert self._idle is not None, "WorkerPool.start() was not called"
        loop = asyncio.get_running_loop()
        wait = min(deadline - time.monotonic(), queue_timeout)
        if wait <= 0:
            raise QueryTimeout(limit, queued=True)
        while True:
            try:
                worker = await asyncio.wait_for(self._idle.get(), timeout=wait)
            except TimeoutError:
                self.on_event("queue_timeout")
                raise QueryTimeout(limit, queued=True) from None
            if worker.process.is_alive():
                break
            # died while idle (e.g. killed from outside): replace it and take the next one
            self._background(self._replace(worker))
            wait = min(deadline - time.monotonic(), queue_timeout)
            if wait <= 0:
                raise QueryTimeout(limit, queued=True)
        job.store_path = self.store_path
        job.store_generation = self.generation
        worker.store_path = self.store_path
        worker.jobs += 1
        finished = False
        try:
            payload = _ForkingPickler.dumps(job)
            if len(payload) <= _INLINE_SEND_MAX:
                # fits the (empty) pipe's buffer: the write cannot block, so no thread hop
                worker.conn.send_bytes(payload)
            else:
                await loop.run_in_executor(self._executor, worker.conn.send_bytes, payload)
            while True:
                await self._until_readable(worker, deadline, limit, is_disconnected)
                try:
                    message = await self._read_answer(worker)
                except (EOFError, OSError) as exc:
                    self.on_event("crash")
                    raise WorkerCrashed(f"worker process died: {exc!r}") from None
                if not isinstance(message, bytes):
                    break
                if on_part is None:
                    raise WorkerCrashed("the worker sent a part of an answer that was not to be streamed")
                await on_part(message)
            finished = True
            return message  # type: ignore[no-any-return]
        finally:
            if finished:
                self._idle.put_nowait(worker)
            else:
                # deadline, crash, client gone or cancellation: the worker may still be busy
                # with a runaway query, so it is killed and replaced
                self._background(self._replace(worker))


    async def _until_readable(
        self,
        worker: _Worker,
        deadline: float,
        limit: float,
        is_disconnected: Callable[[], Awaitable[bool]] | None,
    ) -> None:
        """Wait (in the event loop, no thread) until the worker starts answering; raise
        QueryTimeout at the deadline and ClientGone when the client has left."""
        loop = asyncio.get_running_loop()
        readable: asyncio.Future[None] = loop.create_future()
        fd = worker.conn.fileno()

        def ready() -> None:
            if not readable.done():
                readable.set_result(None)

        loop.add_reader(fd, ready)
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self.killed += 1
                    self.on_event("timeout")
                    raise QueryTimeout(limit)
                done, _ = await asyncio.wait({readable}, timeout=min(remaining, 0.5))
                if done:
                    return
                if is_disconnected is not None and await is_disconnected():
                    self.killed += 1
                    self.on_event("client_gone")
                    raise ClientGone()
        finally:
            loop.remove_reader(fd)
            # uvloop makes a watched descriptor non-blocking; the reads and writes that follow
            # (and the worker's next job) expect a blocking one
            os.set_blocking(fd, True)

    async def _read_answer(self, worker: _Worker) -> Any:
        """Read the answer the worker has begun to send (multiprocessing's framing: a 4-byte
        big-endian length, or -1 and an 8-byte length, then the pickle).

        Why not `conn.recv()` in a thread, as before: the thread hop costs about as much as a
        point lookup. A small answer is read right here: its bytes are in the pipe or on their
        way (the worker writes the whole message at once); a large one is read in a thread, so
        the event loop never waits on a long transfer."""
        fd = worker.conn.fileno()
        header = _read_exact(fd, 4)
        (size,) = struct.unpack("!i", header)
        if size == -1:
            (size,) = struct.unpack("!Q", _read_exact(fd, 8))
        if size <= _INLINE_RECV_MAX:
            data = _read_exact(fd, size)
        else:
            data = await asyncio.get_running_loop().run_in_executor(self._executor, _read_exact, fd, size)
        return _ForkingPickler.loads(data)  # a QueryAnswer, or bytes: a part of a streamed answer


#: Socket buffer of the job/answer connection (the kernel caps it at net.core.wmem_max/rmem_max,
#: 4 MiB here): an answer of this size is written by the worker in one go and read by the
#: server in one go, instead of in 208 KiB rounds that pass control back and forth.
_SOCKET_BUFFER = 4 * 1024 * 1024


def _widen_buffers(*conns: Connection) -> None:
    import socket

    for conn in conns:
        with contextlib.suppress(OSError):
            sock = socket.socket(fileno=os.dup(conn.fileno()))
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, _SOCKET_BUFFER)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _SOCKET_BUFFER)
            finally:
                sock.close()


#: Jobs up to this size are written to the worker's pipe from the event loop (the pipe is empty
#: and holds 64 KiB, so the write never blocks); larger ones from a thread.
_INLINE_SEND_MAX = 60 * 1024
#: Answers up to this size are read in the event loop (with the wide socket buffer the bytes are
#: already there: about 0.25 ms for 276 KB), larger ones in a thread.
_INLINE_RECV_MAX = 1024 * 1024


def _read_exact(fd: int, size: int) -> bytes:
    """Exactly `size` bytes from a blocking pipe, or EOFError if the writer went away."""
    chunks: list[bytes] = []
    left = size
    while left > 0:
        try:
            chunk = os.read(fd, min(left, 1 << 20))
        except BlockingIOError:  # a non-blocking descriptor after all: wait for the rest
            select.select([fd], [], [], 1.0)
            continue
        if not chunk:
            raise EOFError("the worker closed its pipe")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def default_memory_limit() -> int | None:
    """Per-worker data segment limit from the process setting worker_memory_mb (0 = none)."""
    mb = int(env_setting("worker_memory_mb"))
    return mb * 1024 * 1024 if mb > 0 else None
