"""Operations endpoints and middleware: /health, /ready, /metrics, access log.

Why one `install(app)` call: the SPARQL core (kg.web.app) should not need to know how
operations work; it passes two callables (is the store open? how many quads?) and gets
liveness/readiness probes for an orchestrator, Prometheus metrics and a JSON access log.
(CORS is kg.web.cors, one middleware for every route.)

The middleware is plain ASGI (not BaseHTTPMiddleware) so streamed SPARQL results are not
buffered and the measured duration covers the whole response body.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI

from kg.config import env_setting
from kg.web.http import scope_header
from kg.web.metrics import METRICS, MetricsRegistry

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

ACCESS_LOGGER = "hilfenetz.access"
access_log = logging.getLogger(ACCESS_LOGGER)

#: How long the triple count gauge is cached: counting a large store on every scrape is wasteful.
TRIPLE_COUNT_TTL_SECONDS = 30.0


def _route_label(scope: Scope, status: int) -> str:
    """The route template (e.g. `/sparql`), never the raw path, to keep label cardinality bounded."""
    route = scope.get("route")
    path = getattr(route, "path", None) or getattr(route, "path_format", None)
    if isinstance(path, str) and path:
        return path
    if scope.get("method") == "OPTIONS" and scope_header(scope, b"access-control-request-method"):
        return "<preflight>"  # answered by kg.web.cors before routing
    if status == 404:
        return "<unmatched>"
    return "<other>"


class OpsMiddleware:
    """Counts and times every HTTP request and writes one JSON access-log line."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        registry: MetricsRegistry = METRICS,
        on_request: Callable[[], None] | None = None,
    ) -> None:
        self.app = app
        self.registry = registry
        self.on_request = on_request

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method: str = scope.get("method", "GET")
        path: str = scope.get("path", "")
        start = time.perf_counter()
        status_holder = {"status": 500}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            self._record(scope, method, path, status_holder["status"], time.perf_counter() - start)
            if self.on_request is not None:
                self.on_request()

    def _record(
        self, scope: Scope, method: str, path: str, status: int, seconds: float, route: str | None = None
    ) -> None:
        route = route or _route_label(scope, status)
        self.registry.inc("hilfenetz_http_requests_total", route=route, method=method, status=str(status))
        self.registry.observe("hilfenetz_http_request_duration_seconds", seconds, route=route, method=method)
        if access_log.isEnabledFor(logging.INFO):
            # a record made directly: Logger.info would also look up the calling frame, which
            # no handler here uses (a fifth of the access log's cost per request)
            line = access_line(scope, method, path, status, seconds)
            access_log.handle(access_log.makeRecord(ACCESS_LOGGER, logging.INFO, "", 0, line, (), None))


def access_record(scope: Scope, method: str, path: str, status: int, seconds: float) -> dict[str, Any]:
    """The fields of one access-log line.

    Deliberately only the path: query strings may carry tokens or personal search terms, and
    the Authorization/Cookie headers are never read here at all."""
    client = scope.get("client")
    return {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "method": method,
        "path": path,
        "status": status,
        "duration_ms": round(seconds * 1000.0, 3),
        "client": client[0] if client else None,
        "user_agent": scope_header(scope, b"user-agent") or None,
    }


_encode_string = json.encoder.encode_basestring  # what json.dumps(..., ensure_ascii=False) uses
_second_prefix: tuple[int, str] = (-1, "")


def _timestamp(now: float) -> str:
    """`datetime.now(UTC).isoformat(timespec="milliseconds")` for `now`, with the part up to the
    second formatted once per second."""
    global _second_prefix
    second = int(now)
    if _second_prefix[0] != second:
        _second_prefix = (second, datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S"))
    return f"{_second_prefix[1]}.{int((now - second) * 1000):03d}+00:00"


def _json_value(value: str | None) -> str:
    return "null" if value is None else _encode_string(value)


def access_line(scope: Scope, method: str, path: str, status: int, seconds: float) -> str:
    """One access-log line: `json.dumps(access_record(...), ensure_ascii=False)`, written out
    by hand (the same text; tested) because it is built for every request."""
    client = scope.get("client")
    agent = scope_header(scope, b"user-agent") or None
    return (
        f'{{"time": "{_timestamp(time.time())}", "method": {_encode_string(method)}, '
        f'"path": {_encode_string(path)}, "status": {int(status)}, '
        f'"duration_ms": {float(round(seconds * 1000.0, 3))!r}, '
        f'"client": {_json_value(client[0] if client else None)}, "user_agent": {_json_value(agent)}}}'
    )


class BatchedStreamHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A StreamHandler that writes its lines in batches: at most every `interval` seconds or
    when `max_bytes` are waiting, from a daemon thread when the server is idle, and at exit.

    Why: the access log writes one line per request; a write (and flush) per line was a tenth
    of a point lookup's CPU in the server process. A line reaches the stream at most
    `interval` seconds late; lines still buffered when the process is killed with SIGKILL are
    lost (an orderly stop, SIGTERM or SIGINT, flushes them)."""

    def __init__(self, stream: Any = None, interval: float = 0.2, max_bytes: int = 64 * 1024) -> None:
        super().__init__(stream)
        self.interval = interval
        self.max_bytes = max_bytes
        self._pending: list[str] = []
        self._pending_bytes = 0
        self._last_flush = time.monotonic()
        self._flusher = threading.Thread(target=self._flush_forever, name="access-log-flush", daemon=True)
        self._flusher.start()
        import atexit

        atexit.register(self.flush)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + self.terminator
        except Exception:  # noqa: BLE001 - as logging.StreamHandler does
            self.handleError(record)
            return
        self._pending.append(line)  # Handler.handle holds self.lock here
        self._pending_bytes += len(line)
        if self._pending_bytes >= self.max_bytes or time.monotonic() - self._last_flush >= self.interval:
            self._write_pending()

    def _write_pending(self) -> None:
        if self._pending:
            text = "".join(self._pending)
            self._pending.clear()
            self._pending_bytes = 0
            try:
                self.stream.write(text)
                self.stream.flush()
            except (OSError, ValueError):  # a closed or broken stream: the lines are dropped
                pass
        self._last_flush = time.monotonic()

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._write_pending()

    def _flush_forever(self) -> None:
        # runs as long as the process: logging.config.dictConfig (which uvicorn calls after the
        # app is built) closes every existing handler, yet this one stays attached and in use
        while True:
            time.sleep(self.interval)
            if self._pending:
                self.flush()

    def close(self) -> None:
        self.flush()
        super().close()


def ensure_access_log_handler(stream: Any = None) -> None:
    """Give the access logger a plain stderr handler (one JSON line per request, written in
    batches: BatchedStreamHandler) unless the deployment configured logging itself. Why here:
    `kg serve` runs uvicorn with its own log config, which knows nothing of `hilfenetz.access`;
    without a handler the lines are lost."""
    if access_log.handlers:
        return
    handler = BatchedStreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    access_log.addHandler(handler)
    if access_log.level == logging.NOTSET:
        access_log.setLevel(logging.INFO)


class _TripleCounter:
    """Caches `triple_count()` for TRIPLE_COUNT_TTL_SECONDS so scrapes stay cheap."""

    def __init__(self, fn: Callable[[], int] | None) -> None:
        self.fn = fn
        self.value: int | None = None
        self.at = 0.0

    def get(self) -> int | None:
        if self.fn is None:
            return None
        now = time.monotonic()
        if self.value is None or now - self.at > TRIPLE_COUNT_TTL_SECONDS:
            try:
                self.value = int(self.fn())
                self.at = now
            except Exception:  # noqa: BLE001 - a closed store must not break /metrics
                return self.value
        return self.value


# --- native memory: glibc arenas and trimming --------------------------------------------------
#
# Why: the soak test (bench/soak.py --memory-probe) showed the main process growing from ~0.5 to
# ~1.4 GB while the Python heap (tracemalloc) stayed under 100 MB and malloc's bytes in use under
# 200 MB: the rest was memory glibc keeps *free* inside its arenas. Every thread that allocates
# (anyio's request threads, up to 40; pyoxigraph and RocksDB allocate through malloc too) gets an
# arena of its own, up to 8 per core, and each keeps its high-water mark. Fewer arenas and a
# periodic malloc_trim (which hands whole free pages back to the kernel) keep RSS flat. No effect
# (and no error) on a libc without these calls, e.g. musl.

# How many arenas and how often to trim: the process settings malloc_arenas and malloc_trim_seconds
# (kg.config; HILFENETZ_MALLOC_ARENAS, HILFENETZ_MALLOC_TRIM_SECONDS). The arenas are capped once,
# by kg.web.app.create_app before the store opens.
_M_ARENA_MAX = -8  # mallopt parameter number in glibc's malloc.h

@functools.cache
def _glibc() -> ctypes.CDLL | None:
    """glibc if this process runs on it (it has malloc_trim), else None. Looked up once."""
    try:
        lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    if not (hasattr(lib, "malloc_trim") and hasattr(lib, "mallopt")):
        return None
    lib.malloc_trim.argtypes = [ctypes.c_size_t]
    lib.malloc_trim.restype = ctypes.c_int
    lib.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    lib.mallopt.restype = ctypes.c_int
    return lib


def limit_malloc_arenas(n: int) -> bool:
    """Cap glibc's malloc arenas at `n` for arenas created from now on (threads started later share
    them). True if the setting took effect."""
    lib = _glibc()
    if lib is None or n <= 0:
        return False
    return bool(lib.mallopt(_M_ARENA_MAX, int(n)))


def set_switch_interval(ms: float) -> bool:
    """Set this process's GIL switch interval to `ms` milliseconds (the process setting
    gil_switch_ms; why 0.5 ms: kg.config). True if it was set; 0 leaves Python's default."""
    if ms <= 0:
        return False
    sys.setswitchinterval(ms / 1000)
    return True


def malloc_trim() -> bool:
    """Give free heap pages of every arena back to the kernel. True if memory was released."""
    lib = _glibc()
    return bool(lib.malloc_trim(0)) if lib is not None else False


def resident_bytes() -> int | None:
    """This process's resident set size in bytes (Linux /proc), None elsewhere."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


class MallocTrimmer:
    """Runs `malloc_trim` at most every `interval` seconds, in a thread of its own (it walks every
    arena under its lock; the event loop must not wait for it). Driven by requests: an idle server
    allocates nothing, so it needs no trimming and no timer."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._last = time.monotonic()
        self._running = threading.Lock()
        self.runs = 0

    def poke(self) -> None:
        if self.interval <= 0 or time.monotonic() - self._last < self.interval:
            return
        if not self._running.acquire(blocking=False):
            return
        self._last = time.monotonic()
        threading.Thread(target=self._run, name="malloc-trim", daemon=True).start()

    def _run(self) -> None:
        try:
            malloc_trim()
            self.runs += 1
        finally:
            self._running.release()


class Probes:
    """What /ready and /metrics (kg.web.routes.ops) ask of the app: is the store ready
    (`ready`; None: the process being up is enough), how many quads (`triple_count`, cached by
    _TripleCounter), the registry, and how to render it (`render`: the replicas' merged view,
    kg.serve.sharedmetrics; default `registry.render`)."""

    def __init__(self, ready: Callable[[], bool] | None = None, triple_count: Callable[[], int] | None = None,
                 registry: MetricsRegistry = METRICS, render: Callable[[], str] | None = None) -> None:
        self._ready = ready
        self.counter = _TripleCounter(triple_count)
        self.registry = registry
        self.render = render or registry.render

    def is_ready(self) -> bool:
        if self._ready is None:
            return True
        try:
            return bool(self._ready())
        except Exception:  # noqa: BLE001 - a probe that raises means "not ready"
            return False


def install(
    app: FastAPI,
    *,
    registry: MetricsRegistry = METRICS,
    access_log_to_stderr: bool = True,
) -> None:
    """Add the metrics + access-log middleware and the malloc trimmer to `app` (the /health,
    /ready and /metrics routes are in kg.web.routes.ops).

    `access_log_to_stderr` adds a stderr handler to the access logger when logging is not
    configured otherwise. Call before the app starts."""
    if access_log_to_stderr:
        ensure_access_log_handler()
    trimmer = MallocTrimmer(env_setting("malloc_trim_seconds"))
    app.state.malloc_trimmer = trimmer
    app.add_middleware(OpsMiddleware, registry=registry, on_request=trimmer.poke)
