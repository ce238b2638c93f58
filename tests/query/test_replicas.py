"""kg.query.replicas on real pyoxigraph stores on disk: the journal's numbering and bound, copies of
the live store, and the property replaying rests on — running the committed updates on a copy
gives the live store's quads, even when the copy already holds some of them (a write that landed
while the copy was made)."""

from __future__ import annotations

import threading
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.query.replicas import Journal, Replicas

EX = "http://example.org/"


def nquads(store: ox.Store) -> list[str]:
    return sorted(store.dump(format=ox.RdfFormat.N_QUADS).decode().splitlines())


def test_journal_gives_what_a_position_lacks_and_drops_the_oldest_over_its_bound() -> None:
    j = Journal(limit_bytes=100)
    assert j.since(0) is not None and j.since(0).update == ""  # type: ignore[union-attr]
    j.append("A" * 40)
    j.append("B" * 40)
    step = j.since(0)
    assert step is not None and step.position == 2 and step.update == "A" * 40 + " ;\n" + "B" * 40
    assert j.since(1).update == "B" * 40  # type: ignore[union-attr]
    assert j.since(2).update == ""  # type: ignore[union-attr]
    j.append("C" * 40)  # 120 bytes > 100: the oldest goes, position 0 can no longer catch up
    assert j.since(0) is None
    assert j.since(1).update == "B" * 40 + " ;\n" + "C" * 40  # type: ignore[union-attr]
    assert j.held_bytes() == 80


def test_a_change_that_cannot_be_replayed_is_a_barrier() -> None:
    j = Journal(limit_bytes=1000)
    j.append("A")
    j.append(None)  # e.g. blank nodes: nobody before it can catch up
    j.append("C")
    assert j.since(0) is None and j.since(1) is None
    assert j.since(2).update == "C"  # type: ignore[union-attr]
    j.append("D" * 2000)  # bigger than the whole journal: a barrier too
    assert j.since(3) is None and j.position == 4 and j.floor == 4 and j.held_bytes() == 0


@pytest.mark.parametrize("start", [0, 1, 2, 3])
def test_replaying_from_an_earlier_position_gives_the_live_store(tmp_path: Path, start: int) -> None:
    """A copy made after write `start` gets every update from `start`... on: the ones it already
    holds change nothing, and the result is the live store, graphs dropped and created included."""
    live = ox.Store(str(tmp_path / "live"))
    replicas = Replicas(tmp_path, lambda: live, threading.Lock(), limit_bytes=1 << 20)
    updates = [
        f'INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}a> <{EX}p> "1" . <{EX}b> <{EX}p> "2" }} }}',
        f'DELETE DATA {{ GRAPH <{EX}g> {{ <{EX}a> <{EX}p> "1" }} }} ;\n'
        f'INSERT DATA {{ GRAPH <{EX}h> {{ <{EX}a> <{EX}p> "3" }} <{EX}d> <{EX}p> "default" }}',
        f"DROP SILENT GRAPH <{EX}h> ;\nCREATE SILENT GRAPH <{EX}empty>",
        f'CLEAR SILENT GRAPH <{EX}g> ;\nINSERT DATA {{ GRAPH <{EX}g> {{ <{EX}c> <{EX}p> "4" }} }}',
    ]
    copy = None
    for n, text in enumerate(updates):
        if n == start:
            copy = replicas.checkpoint()
        live.update(text)
        replicas.committed(text)
    assert copy is not None
    # the copy holds writes up to `start`; replay from one earlier (as if one landed while copying)
    replay_from = max(0, copy.position - 1)
    step = replicas.journal.since(replay_from)
    assert step is not None and step.position == len(updates)
    mine = ox.Store(copy.path)
    if step.update:
        mine.update(step.update)
    assert nquads(mine) == nquads(live)
    assert {g.value for g in mine.named_graphs()} == {g.value for g in live.named_graphs()}
    del mine
    replicas.discard(copy.path)
    assert not Path(copy.path).exists()
