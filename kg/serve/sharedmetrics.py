"""One /metrics for all replicas of `kg serve --replicas N`.

Why: the replicas share a port, so a scrape lands on whichever replica accepts the connection;
with per-process metrics every scrape saw a different third of the traffic, and request counts
seemed to jump back and forth. Now each replica publishes a snapshot of its registry to a
directory the supervisor made for the group (atomically, every `interval` seconds and whenever it
answers a scrape), and the replica that answers /metrics renders its own live values merged with
the others' latest snapshots: counters and histograms summed (one service, one series), gauges
per replica with a `replica` label (kg.web.metrics.MetricsRegistry.render).

A replica that died keeps its last snapshot in the directory: its counters stay in the sums, so
the service's counters never go down when the supervisor replaces a replica (Prometheus would
read a drop as a counter reset); its gauges are left out (they described a process that is
gone). What a replica counted after its last snapshot, at most `interval` seconds, is lost with
it. Files are named by PID; the supervisor removes the directory when the group stops.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from pathlib import Path
from typing import Any

from kg.store.embedded import pid_alive
from kg.web.metrics import MetricsRegistry

#: Seconds between two snapshots of a replica (a scrape always publishes a fresh one first).
DEFAULT_INTERVAL = 1.0


class SharedMetrics:
    """Publishes this process's registry to `directory` and renders the merged view."""

    def __init__(self, directory: Path, label: str, registry: MetricsRegistry,
                 interval: float = DEFAULT_INTERVAL) -> None:
        self.directory = Path(directory)
        self.label = label
        self.registry = registry
        self.interval = interval
        self.pid = os.getpid()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._write_lock = threading.Lock()

    @property
    def path(self) -> Path:
        return self.directory / f"{self.pid}.json"

    def publish(self) -> None:
        """Write this process's snapshot (write a temporary file, then rename: a reader sees
        the old snapshot or the new one, never half of one)."""
        doc = {"pid": self.pid, "replica": self.label, "snapshot": self.registry.snapshot()}
        data = json.dumps(doc, separators=(",", ":")).encode()
        with self._write_lock:
            tmp = self.directory / f".{self.pid}.tmp"
            with contextlib.suppress(OSError):  # a full disk must not break serving
                tmp.write_bytes(data)
                os.replace(tmp, self.path)

    def peers(self) -> list[tuple[str, dict[str, Any]]]:
        """(label, snapshot) of every other replica that published; a dead one's without gauges."""
        out: list[tuple[str, dict[str, Any]]] = []
        try:
            paths = sorted(self.directory.glob("*.json"))
        except OSError:
            return out
        for path in paths:
            try:
                pid = int(path.stem)
            except ValueError:
                continue
            if pid == self.pid:
                continue
            try:
                doc = json.loads(path.read_bytes())
                snap = dict(doc["snapshot"])
                label = str(doc.get("replica", pid))
            except (OSError, ValueError, KeyError, TypeError):
                continue  # vanished or damaged: this scrape goes without it
            if not pid_alive(pid):
                snap["gauges"] = {}
            out.append((label, snap))
        return out

    def render(self) -> str:
        """The merged exposition text (publishing a fresh own snapshot first)."""
        self.publish()
        return self.registry.render(self.peers(), own=self.label)

    def start(self) -> None:
        """Publish now and then every `interval` seconds from a daemon thread."""
        self.publish()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="kg-metrics-share", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.publish()

    def stop(self) -> None:
        """Stop publishing; the last snapshot stays (so does what it counted)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self.publish()
