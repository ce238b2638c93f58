"""An LRU of serialised query answers, keyed by query, dataset, format and store version.

Why: a published graph changes only on a build or a write, and a portal asks the same few
queries again and again. Answering those from memory (and with 304 for a matching ETag) is
far cheaper than evaluating them, even in a fast store. The store version is part of the key,
so a write or build makes every old entry unreachable without any invalidation logic.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CachedAnswer:
    """A serialised answer with its Content-Type and strong ETag (kg.web.http.etag).

    `headers`: further response headers that belong to the answer (e.g. a named query's `Link`
    and `X-Total-Count`), so a cached page is answered exactly as the first time."""

    content_type: str
    body: bytes
    etag: str
    headers: tuple[tuple[str, str], ...] = ()


def body_hasher() -> Any:
    """A hash object for `body_digest`, to be fed piece by piece (a streamed answer)."""
    return hashlib.blake2b(digest_size=16, person=b"hilfenetz-etag")


def body_digest(body: bytes) -> bytes:
    """The content half of an ETag (kg.web.http.etag). Query workers compute it next to the
    serialiser, so the event loop does not hash answers of hundreds of kilobytes."""
    hasher = body_hasher()
    hasher.update(body)
    return bytes(hasher.digest())


class AnswerCache:
    """Thread-safe LRU bounded by entry count and total bytes."""

    def __init__(self, max_entries: int, max_bytes: int, entry_max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.entry_max_bytes = entry_max_bytes
        self._data: OrderedDict[tuple[object, ...], CachedAnswer] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.max_entries > 0 and self.max_bytes > 0

    def get(self, key: tuple[object, ...]) -> CachedAnswer | None:
        if not self.enabled:
            return None
        with self._lock:
            entry = self._data.get(key)
            if entry is None:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return entry

    def put(self, key: tuple[object, ...], entry: CachedAnswer) -> None:
        if not self.enabled or len(entry.body) > self.entry_max_bytes:
            return
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body)
            self._data[key] = entry
            self._bytes += len(entry.body)
            while self._data and (len(self._data) > self.max_entries or self._bytes > self.max_bytes):
                _, evicted = self._data.popitem(last=False)
                self._bytes -= len(evicted.body)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._data)
