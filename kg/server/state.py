"""The running service's state: the store handle, the snapshot workers read, the version, the pool.

Why snapshots: pyoxigraph documents that opening a store read-only while another process writes
it is undefined behaviour. So in write mode the server keeps the only writable handle in the main
process and, after every committed write, takes a RocksDB checkpoint (`Store.backup`, hard links,
milliseconds) that the workers open read-only; each job names the snapshot it must read, so a
worker reopens when the version moves on. In read-only mode nobody writes: the workers open the
store directory itself.

The store version (part of every cache key and ETag) changes on every committed write; in
read-only mode it is derived from the store's files, so a rebuilt store gives new ETags.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import shutil
import threading
import uuid
from pathlib import Path
from typing import Any

from kg.server.cache import AnswerCache
from kg.server.settings import Settings
from kg.server.workers import WorkerPool, default_memory_limit

log = logging.getLogger("hilfenetz.server")


_MISSING = "missing"


def _files_fingerprint(path: Path) -> str:
    """Hash of the store directory's inode and file names, sizes and mtimes (changes on every build)."""
    h = hashlib.blake2b(digest_size=8)
    try:
        h.update(str(os.stat(path).st_ino).encode())
        names = sorted(os.scandir(path), key=lambda e: e.name)
        if not any(e.name == "CURRENT" for e in names):
            return _MISSING
        for entry in names:
            if entry.is_file():
                st = entry.stat()
                h.update(f"{entry.name}:{st.st_size}:{st.st_mtime_ns};".encode())
    except OSError:
        return _MISSING
    return h.hexdigest()


class ServiceState:
    """Owns the store handle, snapshots, version, worker pool and answer cache of one app."""

    def __init__(self, settings: Settings) -> None:
        import pyoxigraph as ox

        self.settings = settings
        self.writable = settings.writable
        self.write_lock = threading.Lock()
        self._boot = uuid.uuid4().hex[:8]
        self._counter = 0
        self.snapshot_root: Path | None = None
        self.current_snapshot: Path | None = None
        store_path = settings.store_path
        if self.writable:
            store_path.parent.mkdir(parents=True, exist_ok=True)
            self.store: Any = ox.Store(str(store_path))
            self.snapshot_root = store_path.parent / f".{store_path.name}.snapshots-{os.getpid()}-{self._boot}"
            self.snapshot_root.mkdir(parents=True, exist_ok=True)
            read_path = self._take_snapshot()
            self.version = f"w{self._boot}-{self._counter}"
        else:
            if not store_path.exists():
                raise FileNotFoundError(f"no store at {store_path}")
            self.store = ox.Store.read_only(str(store_path))
            read_path = store_path
            self.version = f"r{_files_fingerprint(store_path)}"
        self.pool = WorkerPool(settings.workers, str(read_path), memory_limit=default_memory_limit())
        self.cache = AnswerCache(settings.cache_entries, settings.cache_bytes, settings.cache_entry_max_bytes)
        self._description_cache: dict[tuple[str, str], bytes] = {}
        self._watch_task: asyncio.Task[None] | None = None

    # snapshots ----------------------------------------------------------------------------

    def _take_snapshot(self) -> Path:
        assert self.snapshot_root is not None
        self.store.flush()
        target = self.snapshot_root / f"v{self._counter}"
        if target.exists():
            shutil.rmtree(target)
        self.store.backup(str(target))
        self.current_snapshot = target
        return target

    def committed(self) -> None:
        """Call after every committed write (holding the write lock): new version and snapshot."""
        self._counter += 1
        snap = self._take_snapshot()
        self.pool.set_store_path(str(snap))
        self.version = f"w{self._boot}-{self._counter}"
        self._description_cache.clear()
        self.gc_snapshots()

    def gc_snapshots(self) -> None:
        """Delete snapshots that no worker may still read."""
        if self.snapshot_root is None:
            return
        keep = {str(p) for p in self.pool.paths_in_use()}
        if self.current_snapshot is not None:
            keep.add(str(self.current_snapshot))
        for child in self.snapshot_root.iterdir():
            if str(child) not in keep:
                shutil.rmtree(child, ignore_errors=True)

    # life cycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        await self.pool.start()
        if not self.writable and self.settings.watch_interval > 0:
            self._watch_task = asyncio.get_running_loop().create_task(self._watch())

    async def _watch(self) -> None:
        """Read-only mode: notice a rebuilt store (`kg build` swaps the directory) and switch to
        it without a restart: reopen the handle, move the workers over, new version (cache keys)."""
        fingerprint = _files_fingerprint(self.settings.store_path)
        while True:
            await asyncio.sleep(self.settings.watch_interval)
            current = _files_fingerprint(self.settings.store_path)
            if current == fingerprint or current == _MISSING:
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
        self.version = f"r{_files_fingerprint(self.settings.store_path)}-{self._counter}"
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
