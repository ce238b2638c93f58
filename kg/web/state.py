"""How a route handler reaches the running service: `service(request)`, and nothing else.

The app keeps one state object, `app.state.kg`: a `WebState`, which is the service state of the
query layer (kg.query.service.ServiceState: store, version, worker pool, answer cache, named
queries, search index, network projection) plus the little the web layer keeps per app (the
linked-data caches and the operations probes). Handlers take what they need from it per
request, so a store swapped after a write or a rebuild is seen at once; nothing is global and no
handler is a closure over a store.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from starlette.requests import Request

from kg.config import Settings
from kg.graph.dataset import Stats, compute_stats
from kg.graph.dump import Manifest, cached_dump
from kg.query.describe import VocabularyCache
from kg.query.service import ServiceState
from kg.store.fingerprint import last_modified as files_last_modified
from kg.web.auth import TokenTable, token_table
from kg.web.metrics import METRICS, MetricsRegistry
from kg.web.ops import Probes
from kg.web.render.jsonld import ContextCache

log = logging.getLogger("hilfenetz.linkeddata")


def service(request: Request) -> Any:
    """The app's state (a WebState; typed Any so tests may serve a route with a smaller stand-in)."""
    return request.app.state.kg


class WebState(ServiceState):
    """The service state with the linked-data caches and the operations probes of one app.
    `render_metrics` replaces the registry's own rendering for /metrics (a replica's merged view
    of its group, kg.serve.sharedmetrics)."""

    def __init__(self, settings: Settings, *, registry: MetricsRegistry = METRICS,
                 render_metrics: Callable[[], str] | None = None) -> None:
        super().__init__(settings)
        #: who may write (kg.web.auth): read once at start, a broken tokens file stops the start
        self.tokens: TokenTable = token_table(settings)
        self.linked_data = LinkedDataCaches(settings.store_path)
        self.probes = Probes(self.ready, self.triple_count, registry, render_metrics)


# ------------------------------------------------------------------------------------ linked data


class LinkedDataCaches:
    """What the linked-data routes keep per store version: the JSON-LD context, the vocabulary
    labels, the VoID statistics, the dump files (in `cache_dir`, default next to the store) and
    the store's modification time."""

    def __init__(self, store_path: Path | None, cache_dir: Path | None = None, html_page_size: int = 50) -> None:
        self.store_path = store_path
        self.html_page_size = html_page_size  # incoming links per HTML page
        self.started = time.time()
        self.contexts = ContextCache()
        self.vocab = VocabularyCache()
        self._lock = threading.Lock()
        self._stats: tuple[str, Stats] | None = None
        self._modified: tuple[str, float] | None = None
        self._dump_lock = threading.Lock()
        if cache_dir is None:
            if self.store_path is not None:
                sp = Path(self.store_path)
                cache_dir = sp.parent / f".{sp.name}.downloads"
            else:
                cache_dir = Path(tempfile.gettempdir()) / "hilfenetz-downloads"
        self.cache_dir = Path(cache_dir)

    def last_modified(self, version: str) -> float:
        """Newest file in the store directory, else the server start (never in the future).

        Kept per store version: listing and stat-ing the RocksDB directory on every request
        cost more than the rest of a small Turtle answer."""
        cached = self._modified
        if cached is not None and cached[0] == version:
            return cached[1]
        value = self._newest_file()
        self._modified = (version, value)
        return value

    def _newest_file(self) -> float:
        newest = files_last_modified(self.store_path) if self.store_path is not None else None
        return min(newest, time.time()) if newest else self.started

    def stats(self, store: ox.Store, version: str) -> Stats:
        with self._lock:
            if self._stats is None or self._stats[0] != version:
                self._stats = (version, compute_stats(store))
            return self._stats[1]

    def dump(self, store: ox.Store, version: str) -> tuple[Path, Manifest]:
        with self._dump_lock:
            return cached_dump(store, self.cache_dir, version)

    def warm(self, store: ox.Store, version: str) -> None:
        """Fill the caches (context, vocabulary, statistics, dumps); errors only get logged."""
        try:
            self.contexts.get(store, version)
            self.vocab.get(store, version)
            self.dump(store, version)
            self.stats(store, version)
        except Exception:
            log.exception("warming the linked-data caches failed")

    def warm_in_background(self, store: ox.Store, version: str) -> None:
        """`warm` in a thread: on the full graph the caches take tens of seconds on first use,
        which a production server should not make its first visitors wait for."""
        threading.Thread(target=self.warm, args=(store, version), name="linkeddata-warm", daemon=True).start()
