"""The rate-limit table shared by the replicas of `kg serve --replicas N` (kg/serve/sharedlimits.py).

Real files, real mmap and flock; a second process is a real subprocess. The clock is injected
where the test must control refills; the end-to-end test over two real replicas is in
tests/serve/test_replicas.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kg.serve.sharedlimits import FILE_NAME, PROBE, SharedTokenBuckets, key_hash
from kg.web.limits import LimitConfig, TokenBuckets, buckets_for


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_two_tables_over_one_directory_share_the_bucket(tmp_path: Path) -> None:
    clock = Clock()
    a = SharedTokenBuckets(tmp_path, rate=1.0, burst=5, clock=clock)
    b = SharedTokenBuckets(tmp_path, rate=1.0, burst=5, clock=clock)
    granted = [a.take("10.0.0.1") for _ in range(3)] + [b.take("10.0.0.1") for _ in range(2)]
    assert granted == [0.0] * 5
    assert a.take("10.0.0.1") == pytest.approx(1.0)  # the sixth, on either side, waits a second
    assert b.take("10.0.0.1") == pytest.approx(1.0)
    assert b.take("10.0.0.2") == 0.0  # another client has its own bucket
    # per-process buckets would have granted each side its own five
    own_a, own_b = TokenBuckets(1.0, 5, clock=clock), TokenBuckets(1.0, 5, clock=clock)
    assert sum(own.take("x") == 0.0 for own in (own_a, own_b) for _ in range(5)) == 10


def test_refill_follows_the_rate(tmp_path: Path) -> None:
    clock = Clock()
    t = SharedTokenBuckets(tmp_path, rate=4.0, burst=2, clock=clock)
    assert [t.take("c") for _ in range(2)] == [0.0, 0.0]
    assert t.take("c") == pytest.approx(0.25)  # one token per 1/4 s
    clock.now += 0.5  # two tokens back
    assert [t.take("c"), t.take("c")] == [0.0, 0.0]
    assert t.take("c") == pytest.approx(0.25)
    clock.now += 100  # never more than the burst
    assert sum(t.take("c") == 0.0 for _ in range(5)) == 2


def test_another_process_takes_from_the_same_bucket(tmp_path: Path) -> None:
    """A real second process (as a replica is) sees the tokens this one took and takes the rest."""
    here = SharedTokenBuckets(tmp_path, rate=0.001, burst=10)  # no refill to speak of
    assert all(here.take("203.0.113.7") == 0.0 for _ in range(7))
    code = (
        "import sys; from pathlib import Path; from kg.serve.sharedlimits import SharedTokenBuckets\n"
        "t = SharedTokenBuckets(Path(sys.argv[1]), rate=0.001, burst=10)\n"
        "print(sum(t.take('203.0.113.7') == 0.0 for _ in range(10)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True,
                         timeout=60, check=True)
    assert int(out.stdout.strip()) == 3
    assert here.take("203.0.113.7") > 0  # and this process sees that they are gone


def test_a_full_window_forgets_the_least_recently_seen_client(tmp_path: Path) -> None:
    """With one home slot every client shares one window of PROBE slots: the PROBE+1-th client
    takes the slot of the one seen longest ago, which then starts again with a full bucket."""
    clock = Clock()
    t = SharedTokenBuckets(tmp_path, rate=0.01, burst=1, clock=clock, slots=1)
    clients = [f"client-{i}" for i in range(PROBE)]
    for name in clients:
        assert t.take(name) == 0.0
        clock.now += 1
    assert all(t.take(name) > 0 for name in clients[1:])  # all remembered (empty buckets) …
    clock.now += 1
    assert t.take("newcomer") == 0.0  # … the newcomer gets the slot of client-0 (seen longest ago)
    assert t.take("newcomer") > 0
    assert t.take(clients[0]) == 0.0  # forgotten: a full bucket again (and it evicted client-1)
    assert all(t.take(name) > 0 for name in clients[2:])


def test_a_stale_slot_is_reused_before_an_active_client_is_forgotten(tmp_path: Path) -> None:
    clock = Clock()
    t = SharedTokenBuckets(tmp_path, rate=1.0, burst=2, clock=clock, slots=1)
    for i in range(PROBE):
        for _ in range(2):
            assert t.take(f"c{i}") == 0.0
    assert len(t) == PROBE
    clock.now += 1.0
    t.take("c0")  # refreshed: c0 is active, every other bucket would be full in another second
    clock.now += 1.5
    assert len(t) == 1  # only c0 is younger than burst/rate = 2 s
    assert t.take("newcomer") == 0.0  # takes a stale slot …
    assert t.take("c0") == pytest.approx(0.0)  # … not c0's: c0 keeps its state (1.5 tokens: granted)
    assert t.take("c0") == pytest.approx(0.5)  # 0.5 left: half a second to the next token


def test_the_table_is_one_file_of_fixed_size_and_the_hash_is_stable(tmp_path: Path) -> None:
    a = SharedTokenBuckets(tmp_path, rate=1.0, burst=1, slots=16)
    size = (tmp_path / FILE_NAME).stat().st_size
    assert size == (16 + PROBE) * 32
    SharedTokenBuckets(tmp_path, rate=1.0, burst=1, slots=16).take("x")
    assert (tmp_path / FILE_NAME).stat().st_size == size  # a second opener does not grow it
    a.close()
    code = "from kg.serve.sharedlimits import key_hash; print(key_hash('2001:db8::1'))"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert int(other.stdout) == key_hash("2001:db8::1") != 0  # same in every process


def test_damaged_slot_values_start_a_fresh_bucket(tmp_path: Path) -> None:
    import struct

    clock = Clock()
    t = SharedTokenBuckets(tmp_path, rate=1.0, burst=3, clock=clock, slots=1)
    t.take("c")
    with open(tmp_path / FILE_NAME, "r+b") as fh:  # tokens := -1e300 (a client locked out for ages)
        fh.seek(8)
        fh.write(struct.pack("<d", -1e300))
    assert [t.take("c") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert t.take("c") == pytest.approx(1.0)


def test_buckets_for_a_replica_are_shared_and_alone_are_per_process(tmp_path: Path) -> None:
    from kg.serve.replicas import GroupDirectory

    config = LimitConfig(rate=2.0, burst=4)
    assert isinstance(buckets_for(config, GroupDirectory(tmp_path, 0).rate_buckets), SharedTokenBuckets)
    assert type(buckets_for(config, None)) is TokenBuckets
    assert buckets_for(LimitConfig(rate=0.0, burst=0), GroupDirectory(tmp_path, 0).rate_buckets) is None
    # a directory that cannot hold the table: the replica limits on its own, it does not fail
    missing = GroupDirectory(tmp_path / "missing" / "dir", 0)
    assert type(buckets_for(config, missing.rate_buckets)) is TokenBuckets


def test_a_lock_held_elsewhere_lets_the_request_through_instead_of_blocking(tmp_path: Path) -> None:
    """A replica stopped (SIGSTOP) while it holds the table's lock must not stall the others'
    event loops: after LOCK_PATIENCE the request passes unlimited, and is counted."""
    import fcntl
    import os
    import time

    from kg.serve.sharedlimits import LOCK_PATIENCE

    t = SharedTokenBuckets(tmp_path, rate=0.001, burst=1)
    assert t.take("c") == 0.0
    assert t.take("c") > 0  # limited while the lock is free
    holder = os.open(tmp_path / FILE_NAME, os.O_RDWR)  # another open file: another lock owner
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)
        started = time.monotonic()
        assert t.take("c") == 0.0  # let through …
        assert time.monotonic() - started < LOCK_PATIENCE + 0.5  # … after a bounded wait
        assert t.unlocked_passes == 1
    finally:
        os.close(holder)
    assert t.take("c") > 0  # the lock is free again: limited again
    assert t.unlocked_passes == 1
