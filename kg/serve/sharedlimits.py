"""One per-client rate limit for all replicas of `kg serve --replicas N`.

Why: the replicas share a port and the kernel spreads a client's connections over them, so with
a token bucket per process a client whose connections land on k replicas got up to k times the
configured rate. Here the buckets live in one small file in the group's directory
(Settings.group_dir), mapped into every replica's memory: whichever replica a request reaches,
it takes its token from the same bucket.

Layout: a fixed table of TABLE_SLOTS + PROBE slots (about 2 MiB), each slot
`key hash (u64, 0 = empty) | tokens (f64) | last refill (f64, time.monotonic(), which is one
clock for the whole machine on Linux) | unused (u64)`. A client's key hashes (BLAKE2b, the same
in every process; Python's own hash() is not) to a home slot; it lives in one of the PROBE
slots from there. A new client takes the first slot that is empty or whose bucket would be full
again by now (so forgetting it changes nothing), else the least recently used one of the
window: then that client starts again with a full bucket, as the in-process table forgets its
least recently seen clients (kg.web.limits.TokenBuckets). Only with many thousands of
clients active within burst/rate seconds does that happen at all.

Every take holds an exclusive flock on the file (two system calls, a few microseconds) and a
thread lock, as flock does not exclude threads of one process sharing the descriptor. The lock
is only ever held across a few memory reads and writes, so it is free almost always; should it
stay taken for LOCK_PATIENCE seconds anyway (a replica stopped with SIGSTOP while holding it;
a killed one releases it with its descriptors), the request is let through rather than the
event loop blocked: a rate limit must never stop the service.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import mmap
import os
import struct
import threading
import time
from collections.abc import Callable
from pathlib import Path

#: Home slots of the table (a power of two); PROBE more follow so a window never wraps.
TABLE_SLOTS = 1 << 16
#: Slots a client may live in, from its home slot on.
PROBE = 8
_SLOT = struct.Struct("<Qdd8x")
_WINDOW = struct.Struct("<" + "Qdd8x" * PROBE)
#: File name of the table in the group directory.
FILE_NAME = "ratelimit.table"
#: Longest wait for the table's lock before a request is let through unlimited (seconds).
LOCK_PATIENCE = 0.002


def key_hash(key: str) -> int:
    """A non-zero 64-bit hash of a client key, equal in every process."""
    digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little") or 1


class SharedTokenBuckets:
    """Token buckets (`burst` tokens, refilled at `rate` per second) kept in a file shared by
    processes: the same interface as kg.web.limits.TokenBuckets."""

    def __init__(self, directory: Path, rate: float, burst: int,
                 clock: Callable[[], float] = time.monotonic, slots: int = TABLE_SLOTS) -> None:
        """`slots`: home slots of the table, a power of two (every process of a group must use
        the same; smaller only in tests, to make clients share a window)."""
        if rate <= 0 or burst < 1:
            raise ValueError("a shared rate limit needs rate > 0 and burst >= 1")
        if slots < 1 or slots & (slots - 1):
            raise ValueError("slots must be a power of two")
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.slots = slots
        self.size = (slots + PROBE) * _SLOT.size
        self.path = Path(directory) / FILE_NAME
        # every replica may be first: O_CREAT and growing to the full size are both harmless
        # when another replica did it already (growing only appends zeros, i.e. empty slots)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < self.size:
                os.ftruncate(fd, self.size)
            self._map = mmap.mmap(fd, self.size)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        self._thread_lock = threading.Lock()
        #: requests let through because the lock stayed taken (see LOCK_PATIENCE)
        self.unlocked_passes = 0

    def take(self, key: str) -> float:
        """Take one token; 0.0 if granted, else the seconds until one is available."""
        h = key_hash(key)
        home = h & (self.slots - 1)
        offset = home * _SLOT.size
        stale_after = self.burst / self.rate  # a bucket untouched this long is full again
        with self._thread_lock:
            if not self._lock_file():
                self.unlocked_passes += 1
                if self.unlocked_passes == 1:
                    logging.getLogger("hilfenetz.server").warning(
                        "the shared rate limit table %s stayed locked for %g s; requests pass unlimited "
                        "while it is (is a replica of the group stopped?)", self.path, LOCK_PATIENCE)
                return 0.0
            try:
                now = self.clock()
                window = _WINDOW.unpack_from(self._map, offset)
                slot = -1
                free = -1
                oldest, oldest_at = 0, float("inf")
                for i in range(PROBE):
                    slot_key, _tokens, last = window[3 * i: 3 * i + 3]
                    if slot_key == h:
                        slot = i
                        break
                    if free < 0 and (slot_key == 0 or now - last >= stale_after):
                        free = i
                    if last < oldest_at:
                        oldest, oldest_at = i, last
                if slot >= 0:
                    tokens, last = window[3 * slot + 1], window[3 * slot + 2]
                    tokens = min(float(self.burst), tokens + max(0.0, now - last) * self.rate)
                    if not 0.0 <= tokens <= self.burst:  # a damaged slot (NaN, negative): start afresh
                        tokens = float(self.burst)
                else:
                    slot = free if free >= 0 else oldest
                    tokens = float(self.burst)
                if tokens >= 1.0:
                    tokens -= 1.0
                    wait = 0.0
                else:
                    wait = (1.0 - tokens) / self.rate
                _SLOT.pack_into(self._map, offset + slot * _SLOT.size, h, tokens, now)
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        return wait

    def _lock_file(self) -> bool:
        """Take the file lock, waiting at most LOCK_PATIENCE; False if it stayed taken."""
        give_up = time.monotonic() + LOCK_PATIENCE
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= give_up:
                    return False
                time.sleep(0.00005)

    def __len__(self) -> int:
        """Clients the table remembers (their buckets not yet full again); for tests and diagnostics."""
        now = self.clock()
        stale_after = self.burst / self.rate
        count = 0
        for slot_key, _tokens, last in _SLOT.iter_unpack(self._map):
            if slot_key and now - last < stale_after:
                count += 1
        return count

    def close(self) -> None:
        self._map.close()
        os.close(self._fd)
