"""Merging the metrics of several processes (kg.web.metrics.render(peers=)) and publishing
them through a directory (kg.serve.sharedmetrics): the parts behind the one /metrics of
`kg serve --replicas N` (its end-to-end test is in tests/serve/test_replicas.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from kg.serve.sharedmetrics import SharedMetrics
from kg.web.metrics import MetricsRegistry


def _lines(text: str, name: str) -> dict[str, float]:
    """Series of `name` (with labels, without HELP/TYPE) -> value."""
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith(name) and not line.startswith("#"):
            series, value = line.rsplit(" ", 1)
            out[series] = float(value)
    return out


def _replica(requests: int, slow: int, rss: float) -> MetricsRegistry:
    reg = MetricsRegistry()
    for _ in range(requests):
        reg.inc("hilfenetz_http_requests_total", route="/sparql", method="GET", status="200")
        reg.observe("hilfenetz_http_request_duration_seconds", 0.002, route="/sparql", method="GET")
    for _ in range(slow):
        reg.observe("hilfenetz_http_request_duration_seconds", 3.0, route="/sparql", method="GET")
    reg.set("process_resident_memory_bytes", rss)
    return reg


def test_counters_and_histograms_are_summed_gauges_kept_per_replica() -> None:
    a, b = _replica(3, 1, 100.0), _replica(5, 0, 200.0)
    b.inc("hilfenetz_sparql_timeouts_total", stage="running")  # a series only the peer has
    text = a.render([("1", b.snapshot())], own="0")
    assert _lines(text, "hilfenetz_http_requests_total") == {
        'hilfenetz_http_requests_total{method="GET",route="/sparql",status="200"}': 8.0}
    hist = _lines(text, "hilfenetz_http_request_duration_seconds")
    labels = 'method="GET",route="/sparql"'
    assert hist[f'hilfenetz_http_request_duration_seconds_bucket{{{labels},le="0.0025"}}'] == 8
    assert hist[f'hilfenetz_http_request_duration_seconds_bucket{{{labels},le="2.5"}}'] == 8
    assert hist[f'hilfenetz_http_request_duration_seconds_bucket{{{labels},le="5"}}'] == 9
    assert hist[f'hilfenetz_http_request_duration_seconds_bucket{{{labels},le="+Inf"}}'] == 9
    assert hist[f"hilfenetz_http_request_duration_seconds_count{{{labels}}}"] == 9
    assert abs(hist[f"hilfenetz_http_request_duration_seconds_sum{{{labels}}}"] - (8 * 0.002 + 3.0)) < 1e-9
    assert _lines(text, "process_resident_memory_bytes") == {
        'process_resident_memory_bytes{replica="0"}': 100.0, 'process_resident_memory_bytes{replica="1"}': 200.0}
    assert _lines(text, "hilfenetz_sparql_timeouts_total") == {
        'hilfenetz_sparql_timeouts_total{stage="running"}': 1.0}
    # alone, nothing changes: no replica label, only its own counts
    alone = a.render()
    assert _lines(alone, "process_resident_memory_bytes") == {"process_resident_memory_bytes": 100.0}
    assert _lines(alone, "hilfenetz_http_requests_total") == {
        'hilfenetz_http_requests_total{method="GET",route="/sparql",status="200"}': 3.0}


def test_a_snapshot_that_does_not_fit_is_left_out_whole() -> None:
    a, b = _replica(2, 0, 1.0), _replica(4, 0, 2.0)
    good = b.snapshot()
    damaged = json.loads(json.dumps(good))
    damaged["histograms"]["hilfenetz_http_request_duration_seconds"][0][1] = [1, 2]  # wrong bucket count
    other_buckets = MetricsRegistry(buckets=(0.1, 1.0))
    other_buckets.inc("hilfenetz_http_requests_total", route="/sparql", method="GET", status="200")
    retyped = json.loads(json.dumps(good))
    retyped["types"]["hilfenetz_http_requests_total"] = "gauge"
    for bad in (damaged, other_buckets.snapshot(), retyped, {"counters": "nonsense"}):
        text = a.render([("1", bad)], own="0")
        # not a part of it: its counters (which came before the damaged part) are not added either
        assert _lines(text, "hilfenetz_http_requests_total") == {
            'hilfenetz_http_requests_total{method="GET",route="/sparql",status="200"}': 2.0}
        assert list(_lines(text, "process_resident_memory_bytes")) == ['process_resident_memory_bytes{replica="0"}']
    # the intact snapshot is merged
    assert _lines(a.render([("1", good)], own="0"), "hilfenetz_http_requests_total") == {
        'hilfenetz_http_requests_total{method="GET",route="/sparql",status="200"}': 6.0}


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_shared_directory_merges_live_and_dead_replicas(tmp_path: Path) -> None:
    """Each replica publishes to the directory; a scrape merges them. A dead replica's counters
    stay in the sums (the service's counters never drop when it is replaced), its gauges go."""
    me = SharedMetrics(tmp_path, "0", _replica(1, 0, 10.0))
    live = SharedMetrics(tmp_path, "1", _replica(2, 0, 20.0))
    dead = SharedMetrics(tmp_path, "1", _replica(4, 0, 40.0))
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    live.pid = sleeper.pid  # alive
    dead.pid = _dead_pid()
    try:
        live.publish()
        dead.publish()
        (tmp_path / "not-a-pid.json").write_text("{}")
        (tmp_path / f"{_dead_pid()}.json").write_text("{ half a file")
        text = me.render()
        assert _lines(text, "hilfenetz_http_requests_total") == {
            'hilfenetz_http_requests_total{method="GET",route="/sparql",status="200"}': 7.0}
        assert _lines(text, "process_resident_memory_bytes") == {
            'process_resident_memory_bytes{replica="0"}': 10.0, 'process_resident_memory_bytes{replica="1"}': 20.0}
        assert json.loads(me.path.read_text())["replica"] == "0"  # render published its own first
        # what a replica counts is visible to the others after its next publication
        live.registry.inc("hilfenetz_http_requests_total", route="/sparql", method="GET", status="200")
        live.publish()
        assert _lines(me.render(), "hilfenetz_http_requests_total") == {
            'hilfenetz_http_requests_total{method="GET",route="/sparql",status="200"}': 8.0}
    finally:
        sleeper.kill()
        sleeper.wait(timeout=10)  # reaped: no "subprocess is still running" ResourceWarning


def test_publishing_thread_keeps_the_snapshot_fresh(tmp_path: Path) -> None:
    reg = _replica(1, 0, 1.0)
    shared = SharedMetrics(tmp_path, "0", reg, interval=0.05)
    shared.start()
    try:
        reg.inc("hilfenetz_http_requests_total", 41, route="/sparql", method="GET", status="200")
        other = SharedMetrics(tmp_path, "1", MetricsRegistry())
        other.pid = _dead_pid()  # another process's view (both live in this one)

        deadline = time.monotonic() + 10
        seen = 0.0
        while time.monotonic() < deadline and seen != 42.0:
            seen = sum(_lines(other.render(), "hilfenetz_http_requests_total").values())
            time.sleep(0.02)
        assert seen == 42.0
    finally:
        shared.stop()
    assert not shared._thread or not shared._thread.is_alive()
