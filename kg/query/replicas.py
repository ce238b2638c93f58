"""The query workers' own copies of a writable store, kept current by replaying the committed writes.

The problem: pyoxigraph documents that opening a store read-only while another process writes it
is undefined behaviour, so the worker processes of a writable server cannot read the live store.
They used to read one shared RocksDB checkpoint ("snapshot") of it, and every write made the
next worker query wait for a new one: flush + checkpoint + every worker reopening. Measured on the
real graph (467k quads, bench/bench_write.py, main b6f469a): `graph_lookup`, a worker query,
p50 3.1 ms idle → 50–71 ms while a client sends 10 writes/s, p99 11.5 → 360 ms.

What happens instead: **the changes are shipped to the workers, not the store.**

- Every worker has a private copy: a checkpoint the server makes for it (`Replicas.checkpoint`,
  hard links, ~20 ms) when the worker starts, which the worker opens read-write — no other
  process touches it, so that is allowed.
- The write path hands every committed change over as the exact SPARQL Update it ran
  (kg.graph.write: `DELETE DATA` / `DROP` / `CLEAR` / `CREATE` / `INSERT DATA` of fixed quads,
  change record included); the server keeps the recent ones in a bounded `Journal`, numbered.
- The pool knows each worker's position; a job carries the updates that worker has not applied
  yet (joined into one update: one transaction), and the worker runs them on its copy before
  the query. A one-entity write on the real store is 2–3 KB of update text (its change record
  included) and replays in 0.1–0.25 ms.
  So a query sent after a write's answer sees that write (read-your-writes over /sparql), and
  no write and no query waits for a checkpoint. Measured (bench/results/write.md, same session,
  shared machine at load 6–10): `graph_lookup` during 10 writes/s p50 451–558 → 15–20 ms, p99
  864–1,051 → 82–117 ms; the workers' CPU per query during writes 16 → 1.5 ms, as when idle.

Replaying is exact because the updates name only fixed quads and graphs: each is "remove these,
add those, clear/drop/create these graphs", set operations that give the same state whatever
the copy held before. That also makes replaying an update the copy already has harmless, which
is what lets `checkpoint` read the position *before* copying (a write that lands in between is
in the copy and replayed once more).

What cannot be replayed exactly falls back to a fresh checkpoint for each worker at its next
job (what every write cost before): a write the primary committed with blank nodes in it
(`INSERT DATA` gives them fresh identities, so a copy would get others; kg.graph.write passes
None), a write committed by re-running its update (the staged path's `_commit_by_rerun`), a
change bigger than the journal, and a worker further behind than the journal reaches (LIFO
hand-out lets the workers at the bottom of the idle stack sleep through many writes). The
journal's bound (setting `worker_replay_bytes`, 256 KiB) is also the most a worker replays
before one query: measured, an `INSERT DATA` of 3,000 quads (330 KB) takes 160 ms in pyoxigraph
0.5 and 30,000 quads 3.4 s (it grows faster than linearly), while a checkpoint plus the
worker's read-write open costs 20 + 120 ms on the loaded machine. 256 KiB hold about 100
one-entity writes, 10 seconds of a 10 writes/s stream.

Disk: a copy shares the store's files by hard links; the files a copy still links keep their
space after the live store compacts them away, as the shared snapshot did. A copy is deleted when
its worker is replaced or moves to a fresher copy (kg.query.pool), which a copy that has
replayed writes for REFRESH_SECONDS does at its next job; all of them when the server stops, and
those of a killed server by the next one (kg.query.service.remove_dead_snapshots: they live in
its snapshot directory). On a full disk a copy cannot replay (RocksDB appends to its log first,
and refuses every later write on that handle): the worker answers an error instead of the state
without the write (which the answer cache would even keep under the new version), and the next
job brings a fresh copy once there is space.

CPU: a copy is opened read-write, so RocksDB finishes in it whatever compaction the live store
had pending when the copy was made, once per copy. A store from `kg build` has none (it is
compacted before the swap): opening a copy of the real store read-write costs 0.05 s of CPU in
the 15 s after it. A bulk-loaded, uncompacted store does: a copy of the 10M synthetic store
without `optimize()` spent 13.9 s of CPU in those 15 s and wrote 0.6 GB of new files (measured
2026-12-07), the likely reason its workers showed 18.9 ms of CPU per query during writes against 5.0
idle (bench/results/write.md). Compact a store before serving it writable (`kg build` does).
"""

from __future__ import annotations

import itertools
import logging
import shutil
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger("hilfenetz.server")


@dataclass(frozen=True)
class CatchUp:
    """What brings a worker's copy from its position to `position`: `update` (SPARQL Update
    text, "" when there is nothing to do)."""

    position: int
    update: str


class Journal:
    """The committed changes the workers may still need, numbered 1, 2, … and bounded in bytes.

    `floor` is the lowest position the entries bring up to date: a copy at a position below it
    lacks a change the journal cannot give (one that could not be replayed, or one dropped to
    keep the bound) and needs a fresh checkpoint. Thread-safe: writes append in the write
    thread, the pool reads in the event loop."""

    def __init__(self, limit_bytes: int) -> None:
        self.limit_bytes = max(0, int(limit_bytes))
        self._lock = threading.Lock()
        self._entries: deque[tuple[int, str]] = deque()
        self._bytes = 0
        self.position = 0  # the number of the last committed change
        self.floor = 0

    def append(self, update: str | None) -> int:
        """Record the next committed change (None: it cannot be replayed); returns its number."""
        with self._lock:
            self.position += 1
            if update is None or len(update) > self.limit_bytes:
                self._entries.clear()
                self._bytes = 0
                self.floor = self.position
                return self.position
            self._entries.append((self.position, update))
            self._bytes += len(update)
            while self._bytes > self.limit_bytes:
                number, text = self._entries.popleft()
                self._bytes -= len(text)
                self.floor = number
            return self.position

    def since(self, position: int) -> CatchUp | None:
        """The changes after `position`, or None when the journal no longer holds them all."""
        with self._lock:
            if position >= self.position:
                return CatchUp(self.position, "")
            if position < self.floor:
                return None
            texts = [text for number, text in self._entries if number > position]
            return CatchUp(self.position, " ;\n".join(texts))

    def held_bytes(self) -> int:
        with self._lock:
            return self._bytes


#: A copy that has replayed writes for this long is replaced by a fresh one at its worker's next
#: job. Why: a copy links the store's files as they were when it was made; once the live store
#: compacts them away, their space stays taken as long as a copy links them, up to one store
#: size per worker. A fresh copy every 10 minutes costs one checkpoint and open (~150 ms) per
#: worker in that time and keeps the extra space to about what 10 minutes of writes rewrite.
REFRESH_SECONDS = 600.0


@dataclass(frozen=True)
class Copy:
    """A worker's private copy of the store, the journal position it holds (at least), and when
    it was made (time.monotonic, for REFRESH_SECONDS)."""

    path: str
    position: int
    made: float = 0.0

    def due(self, position: int, now: float) -> bool:
        """Whether the copy should be replaced by a fresh one: old, and the store moved on since."""
        return now - self.made > REFRESH_SECONDS and position > self.position


class Replicas:
    """Makes and deletes the workers' copies; owns the journal (see the module docstring).

    `store` gives the live store handle (it changes when a full disk forced a reopen);
    `write_lock` is the server's write lock, taken only when copying without it keeps losing the
    race against writes that cannot be replayed."""

    def __init__(self, root: Path, store: Callable[[], Any], write_lock: threading.Lock, limit_bytes: int) -> None:
        self.root = root
        self._store = store
        self._write_lock = write_lock
        self.journal = Journal(limit_bytes)
        self._copy_lock = threading.Lock()
        self._numbers = itertools.count(1)
        self.checkpoints = 0  # copies made, for tests and the benchmark

    def committed(self, update: str | None) -> None:
        """Call after each committed write, with the update it ran or None (see Journal.append)."""
        self.journal.append(update)

    def checkpoint(self) -> Copy:
        """A new copy of the live store for one worker (in a thread: ~20 ms, more under load).

        The position is read before the copy is made, so the copy holds at least every change up
        to it; one that lands in between is replayed once more, which changes nothing. Raises
        OSError (e.g. a full disk)."""
        for attempt in range(3):
            if attempt < 2:
                copy = self._copy()
            else:  # writes that cannot be replayed keep landing meanwhile: copy between two writes
                with self._write_lock:
                    copy = self._copy()
            if copy.position >= self.journal.floor:
                return copy
            self.discard(copy.path)
        raise AssertionError("unreachable: the copy under the write lock is current")

    def _copy(self) -> Copy:
        with self._copy_lock:  # one checkpoint at a time: they share the flush
            position = self.journal.position
            target = self.root / f"copy-{next(self._numbers)}"
            store = self._store()
            store.flush()
            store.backup(str(target))
            self.checkpoints += 1
            return Copy(str(target), position, time.monotonic())

    def discard(self, path: str) -> None:
        """Delete a copy no worker has open any more."""
        shutil.rmtree(path, ignore_errors=True)
