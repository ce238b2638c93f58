"""Native memory hygiene of the server process (kg.web.ops): malloc trimming and the RSS gauge.

Why these live with the linked-data tests: the soak test found the main process — which serves the
linked-data pages and searches in threads — growing by memory glibc kept free in its arenas;
`ops.install` now caps the arenas and trims. Checked against a real uvicorn server and /proc.
"""

from __future__ import annotations

import os
import time
from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI

from kg.web import ops
from kg.web.app import ROUTES, mount
from kg.web.metrics import MetricsRegistry
from kg.web.routes import ops as ops_routes
from tests.serving import serve_app

glibc = pytest.mark.skipif(ops._glibc() is None, reason="needs glibc (malloc_trim)")


@glibc
def test_trimmer_runs_at_most_once_per_interval() -> None:
    trimmer = ops.MallocTrimmer(interval=0.2)
    trimmer.poke()  # too early: the interval counts from creation
    time.sleep(0.25)
    trimmer.poke()
    trimmer.poke()  # still running or just ran: no second trim
    deadline = time.monotonic() + 5
    while trimmer.runs < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)
    assert trimmer.runs == 1
    off = ops.MallocTrimmer(interval=0)
    time.sleep(0.01)
    off.poke()
    time.sleep(0.05)
    assert off.runs == 0


@glibc
def test_malloc_trim_gives_memory_back() -> None:
    """Blocks freed in the middle of the heap stay resident until trimmed. 4 KiB blocks: above
    Python's small-object allocator (512 B) and below malloc's mmap threshold, so they come from
    malloc's heap, like pyoxigraph's and RocksDB's allocations."""
    keep = []
    junk = []
    for i in range(10_000):
        junk.append(bytearray(4096))
        if i % 100 == 0:
            keep.append(bytearray(4096))  # pins the heap above the freed blocks: free() cannot shrink it
    del junk
    before = ops.resident_bytes()
    released = ops.malloc_trim()
    after = ops.resident_bytes()
    assert before is not None and after is not None
    assert released and after < before
    assert keep


def test_metrics_report_the_resident_memory_of_the_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HILFENETZ_MALLOC_TRIM_SECONDS", "0")
    monkeypatch.setenv("HILFENETZ_MALLOC_ARENAS", "0")
    app = FastAPI()
    registry = MetricsRegistry()
    app.state.kg = SimpleNamespace(probes=ops.Probes(registry=registry))
    mount(app, tuple(r for r in ROUTES if r.handler.__module__ == ops_routes.__name__))
    ops.install(app, registry=registry, access_log_to_stderr=False)
    with serve_app(app) as url:
        text = httpx.get(url + "/metrics", timeout=30).text
    line = next(x for x in text.splitlines() if x.startswith("process_resident_memory_bytes "))
    reported = int(line.split()[1])
    with open(f"/proc/{os.getpid()}/status") as fh:
        rss = next(int(x.split()[1]) * 1024 for x in fh if x.startswith("VmRSS:"))
    assert 0.5 * rss < reported < 2 * rss  # the same process, sampled a moment apart
    assert app.state.malloc_trimmer.interval == 0
