"""A tiny Prometheus text-format registry (counters, gauges, histograms).

Why not prometheus_client: the server needs a handful of series, one process-wide registry and
the text exposition format; a 150-line module is easier to audit than a dependency, and it keeps
the wheel free of extra packages. It is thread-safe (one lock); uvicorn runs one process per
server, and query workers in other processes report through the parent (kg.web.routes.sparql
increments the counters in the parent when a worker times out or is killed).

Usage::

    from kg.web.metrics import METRICS
    METRICS.inc("hilfenetz_sparql_timeouts_total", stage="running")
    METRICS.observe("hilfenetz_http_request_duration_seconds", 0.012, route="/sparql", method="GET")
    METRICS.set("hilfenetz_store_triples", 123456)
    text = METRICS.render()
"""

from __future__ import annotations

import bisect
import itertools
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

LabelKey = tuple[tuple[str, str], ...]

#: Latency buckets in seconds: fine below 100 ms (most SPARQL lookups), coarse up to the timeout.
DEFAULT_BUCKETS: tuple[float, ...] = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
)

#: Help texts of the series the project emits; others may be registered with `describe`.
DEFAULT_HELP: dict[str, tuple[str, str]] = {
    # kg.web.ops (every HTTP request)
    "hilfenetz_http_requests_total": ("counter", "HTTP requests by route, method and status code."),
    "hilfenetz_http_request_duration_seconds": ("histogram", "HTTP request latency in seconds by route and method."),
    "hilfenetz_store_triples": ("gauge", "Number of quads in the store (all graphs)."),
    "hilfenetz_store_ready": ("gauge", "1 if the store is open and queryable, else 0."),
    "process_resident_memory_bytes": (
        "gauge", "Resident memory of the server's main process in bytes (at scrape time).",
    ),
    # kg.web.routes.sparql (the query service)
    "hilfenetz_sparql_queries_total": ("counter", "SPARQL queries answered, by query form."),
    "hilfenetz_sparql_query_duration_seconds": ("histogram", "SPARQL query evaluation time in seconds, by query form."),
    "hilfenetz_sparql_timeouts_total": (
        "counter", "SPARQL queries aborted at the deadline (stage: queue or running); the worker is killed.",
    ),
    "hilfenetz_sparql_worker_crashes_total": (
        "counter", "Query worker processes that died or were killed outside a timeout.",
    ),
    "hilfenetz_sparql_cache_total": ("counter", "Answer cache lookups by result (hit, miss)."),
    "hilfenetz_sparql_inline_total": (
        "counter", "Single-pattern queries tried in the server process, by result (answered, to_worker).",
    ),
    "hilfenetz_sparql_refused_total": ("counter", "Queries refused before evaluation, by reason."),
    "hilfenetz_sparql_limit_total": ("counter", "Answers cut off at a configured limit, by limit."),
    "hilfenetz_sparql_streams_total": (
        "counter",
        ("SELECT answers streamed in parts, by result (complete; cut: deadline or limit after the "
         "first part; client_gone: the client left, the query was stopped)."),
    ),
    "hilfenetz_writes_total": ("counter", "SPARQL updates and graph-store writes by outcome."),
}


def _label_key(labels: dict[str, object]) -> LabelKey:
    """Labels as a sorted hashable key, values stringified, so `a=1,b=2` == `b=2,a=1`.

    Called for every request (several series each): string values, the usual case, are
    taken as they are instead of being converted one by one."""
    if not labels:
        return ()
    items = sorted(labels.items())
    for _, value in items:
        if type(value) is not str:
            return tuple((str(k), str(v)) for k, v in items)
    return tuple(items)  # type: ignore[arg-type]


def _escape_label(value: str) -> str:
    """Escape a label value per the exposition format (backslash, quote, newline)."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _fmt_labels(key: LabelKey, extra: tuple[tuple[str, str], ...] = ()) -> str:
    items = key + extra
    if not items:
        return ""
    return "{" + ",".join(f'{k}="{_escape_label(v)}"' for k, v in items) + "}"


def _fmt_value(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


@dataclass
class _Histogram:
    """Observations per bucket, not yet cumulative: one increment per observation (found by
    bisection) instead of one per bucket; `cumulative()` gives Prometheus' `le` counts."""

    buckets: tuple[float, ...]
    counts: list[int] = field(default_factory=list)  # counts[i]: buckets[i-1] < value <= buckets[i]
    total: float = 0.0
    count: int = 0

    def __post_init__(self) -> None:
        if not self.counts:
            self.counts = [0] * len(self.buckets)

    def observe(self, value: float) -> None:
        i = bisect.bisect_left(self.buckets, value)
        if i < len(self.counts):
            self.counts[i] += 1
        self.total += value
        self.count += 1

    def cumulative(self) -> list[int]:
        """Observations at or below each bucket's upper bound."""
        return list(itertools.accumulate(self.counts))


class MetricsRegistry:
    """Counters, gauges and histograms keyed by name and labels; `render()` gives the text format."""

    def __init__(self, buckets: tuple[float, ...] = DEFAULT_BUCKETS) -> None:
        self._lock = threading.Lock()
        self._buckets = tuple(sorted(buckets))
        self._types: dict[str, str] = {}
        self._help: dict[str, str] = {}
        self._counters: dict[str, dict[LabelKey, float]] = {}
        self._gauges: dict[str, dict[LabelKey, float]] = {}
        self._histograms: dict[str, dict[LabelKey, _Histogram]] = {}
        for name, (kind, text) in DEFAULT_HELP.items():
            self.describe(name, kind, text)

    def describe(self, name: str, kind: str, help_text: str) -> None:
        """Register the TYPE (counter|gauge|histogram) and HELP text of a series.

        A described counter renders as 0 before its first increment, so dashboards and alerts
        see the series exist from the start."""
        if kind not in ("counter", "gauge", "histogram"):
            raise ValueError(f"unknown metric type {kind!r}")
        with self._lock:
            self._types[name] = kind
            self._help[name] = help_text

    def _check_type(self, name: str, kind: str) -> None:
        known = self._types.setdefault(name, kind)
        if known != kind:
            raise ValueError(f"metric {name} is a {known}, not a {kind}")

    def inc(self, name: str, value: float = 1, **labels: object) -> None:
        """Add `value` (>= 0) to a counter."""
        if value < 0:
            raise ValueError("counters only go up")
        key = _label_key(labels)
        with self._lock:
            self._check_type(name, "counter")
            series = self._counters.setdefault(name, {})
            series[key] = series.get(key, 0.0) + value

    def set(self, name: str, value: float, **labels: object) -> None:
        """Set a gauge."""
        key = _label_key(labels)
        with self._lock:
            self._check_type(name, "gauge")
            self._gauges.setdefault(name, {})[key] = float(value)

    def observe(self, name: str, seconds: float, **labels: object) -> None:
        """Record one observation (e.g. a request duration in seconds) in a histogram."""
        key = _label_key(labels)
        with self._lock:
            self._check_type(name, "histogram")
            series = self._histograms.setdefault(name, {})
            hist = series.get(key)
            if hist is None:
                hist = series[key] = _Histogram(self._buckets)
            hist.observe(float(seconds))

    def value(self, name: str, **labels: object) -> float:
        """Current value of a counter or gauge (0 if never touched); handy in tests."""
        key = _label_key(labels)
        with self._lock:
            if name in self._counters:
                return self._counters[name].get(key, 0.0)
            if name in self._gauges:
                return self._gauges[name].get(key, 0.0)
        return 0.0

    def reset(self) -> None:
        """Forget all values (keeps HELP/TYPE); for tests."""
        with self._lock:
            self._counters.clear()
            self._gauges.clear()
            self._histograms.clear()

    def snapshot(self) -> dict[str, Any]:
        """Every value as plain JSON-able data, for another process to merge (`render(peers=)`):
        the replicas of `kg serve --replicas` publish theirs (kg.serve.sharedmetrics)."""
        with self._lock:
            return {
                "buckets": list(self._buckets),
                "types": dict(self._types),
                "help": dict(self._help),
                "counters": {n: [[list(map(list, k)), v] for k, v in series.items()]
                             for n, series in self._counters.items()},
                "gauges": {n: [[list(map(list, k)), v] for k, v in series.items()]
                           for n, series in self._gauges.items()},
                "histograms": {n: [[list(map(list, k)), list(h.counts), h.total, h.count] for k, h in series.items()]
                               for n, series in self._histograms.items()},
            }

    def render(self, peers: Sequence[tuple[str, dict[str, Any]]] = (), own: str = "") -> str:
        """The whole registry in Prometheus text exposition format 0.0.4.

        With `own`, this process's label among several serving the same endpoint, and `peers`,
        (label, snapshot) of the others: counters and histograms are the sums over all of them
        (one service, one series), gauges are per process with a `replica` label (a resident
        size or a readiness is a process's, not a sum). A peer snapshot that does not fit
        (other buckets, other types, damaged) is left out whole rather than mixed in."""
        with self._lock:
            types = dict(self._types)
            helps = dict(self._help)
            counters = {n: dict(series) for n, series in self._counters.items()}
            gauges: dict[str, dict[LabelKey, float]] = {}
            for n, series in self._gauges.items():
                gauges[n] = {_with_replica(k, own): v for k, v in series.items()} if own else dict(series)
            histograms = {n: {k: _Histogram(h.buckets, list(h.counts), h.total, h.count) for k, h in series.items()}
                          for n, series in self._histograms.items()}
        for label, snap in peers:
            _merge(snap, label, self._buckets, types, helps, counters, gauges, histograms)
        out: list[str] = []
        for name in sorted(types):
            kind = types[name]
            out.append(f"# HELP {name} {_escape_help(helps.get(name, name))}")
            out.append(f"# TYPE {name} {kind}")
            if kind == "counter":
                series = counters.get(name) or {(): 0.0}
                for key, val in sorted(series.items()):
                    out.append(f"{name}{_fmt_labels(key)} {_fmt_value(val)}")
            elif kind == "gauge":
                for key, val in sorted(gauges.get(name, {}).items()):
                    out.append(f"{name}{_fmt_labels(key)} {_fmt_value(val)}")
            else:
                for key, hist in sorted(histograms.get(name, {}).items()):
                    for upper, cnt in zip(hist.buckets, hist.cumulative(), strict=True):
                        out.append(f"{name}_bucket{_fmt_labels(key, (('le', _fmt_value(upper)),))} {cnt}")
                    out.append(f"{name}_bucket{_fmt_labels(key, (('le', '+Inf'),))} {hist.count}")
                    out.append(f"{name}_sum{_fmt_labels(key)} {_fmt_value(hist.total)}")
                    out.append(f"{name}_count{_fmt_labels(key)} {hist.count}")
        return "\n".join(out) + "\n"


def _with_replica(key: LabelKey, replica: str) -> LabelKey:
    return tuple(sorted((*(item for item in key if item[0] != "replica"), ("replica", replica))))


def _key(raw: Any) -> LabelKey:
    return tuple((str(k), str(v)) for k, v in raw)


def _merge(snap: dict[str, Any], label: str, buckets: tuple[float, ...], types: dict[str, str],
           helps: dict[str, str], counters: dict[str, dict[LabelKey, float]],
           gauges: dict[str, dict[LabelKey, float]], histograms: dict[str, dict[LabelKey, _Histogram]]) -> None:
    """Add one peer's snapshot to the series being rendered (see `MetricsRegistry.render`):
    all of it, or nothing if any part of it is damaged or does not fit."""
    try:
        if tuple(float(b) for b in snap["buckets"]) != buckets:
            return
        peer_types = {str(n): str(k) for n, k in snap["types"].items()}
        if any(types.get(n, k) != k for n, k in peer_types.items()):
            return
        peer_help = {str(n): str(t) for n, t in snap.get("help", {}).items()}
        c_rows = [(n, _key(raw), float(v)) for n, rows in snap["counters"].items() for raw, v in rows]
        g_rows = [(n, _with_replica(_key(raw), label), float(v)) for n, rows in snap["gauges"].items()
                  for raw, v in rows]
        h_rows = [(n, _key(raw), [int(c) for c in counts], float(total), int(count))
                  for n, rows in snap["histograms"].items() for raw, counts, total, count in rows]
        if any(len(counts) != len(buckets) for _, _, counts, _, _ in h_rows):
            return
    except (KeyError, TypeError, ValueError, AttributeError):
        return  # a damaged snapshot: this scrape goes without it
    for n, k in peer_types.items():
        types.setdefault(n, k)
        helps.setdefault(n, peer_help.get(n, n))
    for n, key, value in c_rows:
        series = counters.setdefault(n, {})
        series[key] = series.get(key, 0.0) + value
    for n, key, value in g_rows:
        gauges.setdefault(n, {})[key] = value
    for n, key, counts, total, count in h_rows:
        hist = histograms.setdefault(n, {}).setdefault(key, _Histogram(buckets))
        hist.counts = [a + b for a, b in zip(hist.counts, counts, strict=True)]  # lengths checked above
        hist.total += total
        hist.count += count


#: The process-wide registry every server module uses.
METRICS = MetricsRegistry()
