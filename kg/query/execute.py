"""What runs inside a query worker: evaluate one QueryJob on an open store and serialise the
answer under its row and byte limits (`execute_job`), the worker's job loop (`_worker_main`,
`_serve_jobs`), and inline execution in the server for single-pattern queries (`execute_inline`).

Each worker opens the store read-only (`Store.read_only`) — in a writable server its own copy
of the store read-write, to which it first applies the writes the job carries (kg.query.replicas)
— runs one job at a time and serialises the answer itself with pyoxigraph's serialisers, under a
row and a byte limit, so a huge answer never crosses the pipe. The processes themselves are
managed by kg.query.pool.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from kg import formats
from kg.config import env_setting
from kg.errors import AnswerTooLarge
from kg.query.cache import body_digest, body_hasher
from kg.query.messages import QueryAnswer, QueryJob
from kg.sparql.text import query_dataset, syntax_error_messages

if TYPE_CHECKING:
    from kg.store.protocol import QueryStore


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


def execute_job(store: QueryStore, job: QueryJob, *, max_rows: int | None = None, max_bytes: int | None = None,
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
        own = query_dataset(job.query, job.default_prefixes)
        if own is None:
            kwargs["use_default_graph_as_union"] = True
        else:  # FROM / FROM NAMED of the query: pyoxigraph's union flag would override them
            kwargs["default_graph"] = _graph_terms(own[0])
            kwargs["named_graphs"] = _graph_terms(own[1])
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
        en, de = syntax_error_messages(job.query, str(exc), job.default_prefixes)
        return QueryAnswer(False, kind="syntax", message=en, message_de=de)
    except OSError as exc:
        return QueryAnswer(False, kind="store", message=str(exc))
    except Exception as exc:  # noqa: BLE001 - evaluation errors (e.g. a failing SERVICE) are reported
        return QueryAnswer(False, kind="eval", message=f"{type(exc).__name__}: {exc}")


def execute_inline(store: QueryStore, job: QueryJob, max_rows: int, max_bytes: int) -> QueryAnswer | None:
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


def _solutions_answer(store: QueryStore, job: QueryJob, kwargs: dict[str, Any], result: Any, start: float,
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
            f"Das Ergebnis hat mehr als {job.max_rows} Zeilen (Zeilenlimit); "
            "LIMIT verwenden oder die Abfrage einschränken."
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


def _worker_main(conn: Connection, memory_limit: int | None, own_copy: str | None = None) -> None:
    """Entry of one worker process: the job loop runs in a thread with a parser-sized stack.
    `own_copy`: the path of this worker's copy of a writable store, opened before the first job.

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

    loop = threading.Thread(target=_serve_jobs, args=(conn, open_query_store, own_copy), name="kg-query-loop")
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


def _serve_jobs(conn: Connection, open_query_store: Callable[..., Any], own_copy: str | None = None) -> None:
    """Loop of one worker: receive a job, answer it, repeat until the pipe closes."""
    spin = worker_spin_seconds()
    store: Any = None
    store_key: tuple[str, int] | None = None
    if own_copy is not None:  # opened now, while the worker waits for its first job (~120 ms read-write)
        try:
            store, store_key = open_query_store(own_copy, own_copy=True), (own_copy, 0)
        except Exception:  # noqa: BLE001 - the first job opens it again and reports what fails
            store = None
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            key = (job.store_path, job.store_generation)
            try:
                if store is None or store_key != key:
                    store = None
                    store = open_query_store(job.store_path, own_copy=job.own_copy)
                    store_key = key
                if job.replay:
                    store.update(job.replay)
            except Exception as exc:  # noqa: BLE001 - reported; an own copy is given up (see below)
                # a copy that does not open, or that failed to replay the writes (a full disk:
                # RocksDB then refuses every further write on the handle), would answer without
                # them: an error instead (a stale answer would also be cached under the new
                # version), and the pool brings a fresh copy with the next job
                store, store_key = None, None
                answer = QueryAnswer(False, kind="store", message=f"{type(exc).__name__}: {exc}",
                                     copy_lost=job.own_copy)
            else:
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
