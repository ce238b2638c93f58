"""The running service's state: the store handle, what the workers read, the version, the pool.

Who reads what: point lookups and the pages read the writable handle itself in this process
(each pyoxigraph read runs on a RocksDB snapshot of its own, consistent with the committed
writes). The worker processes cannot: pyoxigraph documents that opening a store read-only while
another process writes it is undefined behaviour. So in write mode each worker reads a private
copy of the store that replays the committed writes before each job (kg.query.replicas: the
`Replicas` made here, the journal `committed` feeds, the numbers). In read-only mode nobody
writes: the workers open the store directory itself.

The store version (part of every cache key and ETag) changes on every committed write; in
read-only mode it is derived from the store's files, so a rebuilt store gives new ETags.

Remote mode (`settings.store_url`, `kg serve --store URL`): `store` is a kg.store.remote.RemoteStore
and the workers open the same URL (no snapshots: the remote server owns consistency). The version
comes from `RemoteStore.version()`, polled like the read-only watcher, so a republished remote
(`kg build --store URL`) gives new ETags and cache keys. Writes are refused in remote mode: the
server cannot validate and commit in one transaction on a store it does not control.

The workers' copies and the write path's staging copies live in the server's snapshot directory
`.{store}.snapshots-{PID}-{boot}`, removed when the server stops; those of writable servers that
were killed (SIGKILL leaves no chance to clean up) are removed when the next server starts on the
store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import shutil
import threading
import uuid
from pathlib import Path
from typing import Any

from kg.config import Settings
from kg.query import named
from kg.query.cache import AnswerCache
from kg.query.hsds import HsdsCache
from kg.query.network import NetworkCache
from kg.query.pool import WorkerPool, default_memory_limit
from kg.query.reconcile import ReconcileService
from kg.query.replicas import Replicas
from kg.query.search import SearchService
from kg.store import pid_alive
from kg.store.fingerprint import MISSING, store_version
from kg.store.remote import RemoteStore

log = logging.getLogger("hilfenetz.server")


_SNAPSHOT_DIR = re.compile(r"^\.(?P<store>.+)\.snapshots-(?P<pid>\d+)-(?P<boot>[0-9a-f]+)$")


def remove_dead_snapshots(store_path: Path) -> list[Path]:
    """Delete the snapshot directories next to `store_path` whose server process is gone
    (a killed writable server cannot remove its own); returns what was removed. A directory
    whose PID is alive is kept, even if the PID was reused: deleting a live server's snapshot
    would break its workers, keeping a stale one only costs disk space until the next start."""
    removed: list[Path] = []
    try:
        entries = list(store_path.parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        m = _SNAPSHOT_DIR.match(entry.name)
        if not m or m.group("store") != store_path.name or not entry.is_dir():
            continue
        pid = int(m.group("pid"))
        if pid != os.getpid() and pid_alive(pid):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    if removed:
        log.info("removed %d snapshot director(y/ies) of stopped servers next to %s", len(removed), store_path)
    return removed


class ServiceState:
    """Owns the store handle, snapshots, version, worker pool and answer cache of one app, and
    what the REST API answers from: the named queries, the search index and the network
    projection (the last two are rebuilt on first use after the version changes)."""

    def __init__(self, settings: Settings) -> None:
        import pyoxigraph as ox

        self.settings = settings
        #: by name; loaded first: a broken query file stops the app (kg.sparql.params.QueryFileError)
        self.named_queries = named.load_catalogue(named.queries_dir_for(settings))
        self.writable = settings.writable
        self.write_lock = threading.Lock()
        self._boot = uuid.uuid4().hex[:8]
        self._counter = 0
        #: the workers' copies and the write path's staging copies (writable mode)
        self.snapshot_root: Path | None = None
        self.replicas: Replicas | None = None
        store_path = settings.store_path
        self.remote = settings.remote
        self._remote_ok = False
        if self.remote:
            if self.writable:
                raise ValueError(
                    "writes (SPARQL Update, Graph Store) are not offered over a remote store: the server "
                    "cannot validate and commit in one transaction on a store it does not control; publish "
                    "with `kg build --store URL` / Schreibzugriffe gibt es über einem entfernten Store nicht: "
                    "der Server kann dort nicht in einer Transaktion prüfen und schreiben; Daten mit "
                    "`kg build --store URL` veröffentlichen")
            assert settings.store_url is not None
            self.store: Any = RemoteStore(settings.store_url)
            read_path: Path | str = settings.store_url
            self.version = self._remote_version()
        elif self.writable:
            store_path.parent.mkdir(parents=True, exist_ok=True)
            remove_dead_snapshots(store_path)
            self.store = ox.Store(str(store_path))
            self.snapshot_root = store_path.parent / f".{store_path.name}.snapshots-{os.getpid()}-{self._boot}"
            self.snapshot_root.mkdir(parents=True, exist_ok=True)
            self.replicas = Replicas(self.snapshot_root, lambda: self.store, self.write_lock,
                                     settings.worker_replay_bytes)
            read_path = ""  # each worker reads its own copy
            self.version = f"w{self._boot}-{self._counter}"
        else:
            if not store_path.exists():
                raise FileNotFoundError(f"no store at {store_path}")
            self.store = ox.Store.read_only(str(store_path))
            read_path = store_path
            self.version = f"r{store_version(store_path)}"
        self.pool = WorkerPool(settings.workers, str(read_path), memory_limit=default_memory_limit(),
                               replicas=self.replicas)
        self.cache = AnswerCache(settings.cache_entries, settings.cache_bytes, settings.cache_entry_max_bytes)
        self._description_cache: dict[tuple[str, str], bytes] = {}
        self._watch_task: asyncio.Task[None] | None = None
        self.search = SearchService(lambda: self.store, lambda: self.version)
        self.reconcile = ReconcileService(lambda: self.store, lambda: self.version)
        self.network = NetworkCache(lambda: self.store, lambda: self.version)
        self.hsds = HsdsCache(lambda: self.store, lambda: self.version)

    # writes ------------------------------------------------------------------------------

    def committed(self, update: str | None = None) -> None:
        """Call after every committed write (holding the write lock), with the SPARQL Update it
        ran when that replays it exactly on a copy (else None: the workers copy the store anew).
        A new version (cache keys, ETags); the workers apply the write before their next job.

        The journal first, the version after: a query that reads the new version must get a
        worker that applies the write, or its answer would be cached under that version without it."""
        if self.replicas is not None:
            self.replicas.committed(update)
        self._counter += 1
        self.version = f"w{self._boot}-{self._counter}"
        self._description_cache.clear()

    # life cycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        await self.pool.start()
        if self.remote and self.settings.watch_interval > 0:
            self._watch_task = asyncio.get_running_loop().create_task(self._watch_remote())
        elif not self.writable and self.settings.watch_interval > 0:
            self._watch_task = asyncio.get_running_loop().create_task(self._watch())

    # remote mode ------------------------------------------------------------------------------

    def _remote_version(self) -> str:
        """The remote's version key; 'remote-unavailable' (and not ready) while it does not answer."""
        try:
            v: str = self.store.version()
        except Exception as exc:  # noqa: BLE001 - the remote may come up later: serve, report not ready
            log.warning("remote store %r does not answer: %s", self.store, exc)
            self._remote_ok = False
            return "remote-unavailable"
        self._remote_ok = True
        return v

    def refresh_remote(self) -> bool:
        """Ask the remote for its version; on a change switch to a fresh RemoteStore (its cached
        graph list and size are per version) and move the workers over. True if it changed."""
        current = self._remote_version()
        if current == self.version or current == "remote-unavailable":
            return False
        assert self.settings.store_url is not None
        self.store = RemoteStore(self.settings.store_url)
        self._counter += 1
        self.pool.set_store_path(self.settings.store_url, generation=self._counter)
        self.version = current
        self._description_cache.clear()
        log.info("remote store changed; now serving version %s", self.version)
        return True

    async def _watch_remote(self) -> None:
        while True:
            await asyncio.sleep(self.settings.watch_interval)
            await asyncio.get_running_loop().run_in_executor(None, self.refresh_remote)

    def ready(self) -> bool:
        """Workers are up and, in remote mode, the remote answers (a cheap ASK, short timeout)."""
        if self.pool.alive() <= 0:
            return False
        if self.remote:
            self._remote_ok = bool(self.store.ping())
            return self._remote_ok
        return True

    async def _watch(self) -> None:
        """Read-only mode: notice a rebuilt store (`kg build` swaps the directory) and switch to
        it without a restart: reopen the handle, move the workers over, new version (cache keys)."""
        fingerprint = store_version(self.settings.store_path)
        while True:
            await asyncio.sleep(self.settings.watch_interval)
            current = store_version(self.settings.store_path)
            if current in (fingerprint, MISSING):
                continue
            try:
                await asyncio.get_running_loop().run_in_executor(None, self._reopen)
            except Exception as exc:  # noqa: BLE001 - a half-swapped store: try again next round
                log.warning("store changed but could not be reopened yet: %s", exc)
                continue
            fingerprint = current
            log.info("store %s changed on disk; now serving version %s", self.settings.store_path, self.version)

    def _reopen(self) -> None:
        import pyoxigraph as ox

        store = ox.Store.read_only(str(self.settings.store_path))
        self.store = store
        self._counter += 1
        self.pool.set_store_path(str(self.settings.store_path), generation=self._counter)
        self.version = f"r{store_version(self.settings.store_path)}-{self._counter}"
        self._description_cache.clear()

    async def close(self) -> None:
        if self._watch_task is not None:
            self._watch_task.cancel()
            with contextlib.suppress(BaseException):
                await self._watch_task
        await self.pool.close()
        with contextlib.suppress(Exception):
            self.store.flush()
        if self.snapshot_root is not None:
            shutil.rmtree(self.snapshot_root, ignore_errors=True)

    # small helpers used by several routers ---------------------------------------------------

    def triple_count(self) -> int:
        """Number of quads in the store (all graphs)."""
        return len(self.store)

    def description_cache(self) -> dict[tuple[str, str], bytes]:
        return self._description_cache
