"""kg.store.fingerprint.store_version: the one key of a store directory (server version, its
watch for a rebuilt store, the dump cache). Real pyoxigraph stores on disk."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox

from kg.store.fingerprint import MISSING, last_modified, store_version, version_of

EX = "http://example.org/"


def _quad(i: int) -> ox.Quad:
    return ox.Quad(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(EX + "p"), ox.Literal(str(i)), ox.NamedNode(EX + "g"))


def _make(path: Path, n: int) -> None:
    store = ox.Store(str(path))
    store.extend([_quad(i) for i in range(n)])
    store.flush()
    del store


def test_reading_keeps_it_writing_and_swapping_change_it(tmp_path: Path) -> None:
    path = tmp_path / "store"
    _make(path, 10)
    before = store_version(path)
    assert len(before) == 16 and before == store_version(str(path))
    reader = ox.Store.read_only(str(path))
    assert bool(reader.query("ASK { GRAPH ?g { ?s ?p ?o } }"))
    assert len(reader) == 10
    del reader
    assert store_version(path) == before  # reading leaves every file as it was

    writer = ox.Store(str(path))
    writer.add(_quad(99))
    writer.flush()
    del writer
    after_write = store_version(path)
    assert after_write not in (before, MISSING)

    # a rebuild: a new directory with the same content put in place (as kg build's swap does)
    _make(tmp_path / "new", 11)
    shutil.rmtree(path)
    (tmp_path / "new").rename(path)
    assert store_version(path) not in (before, after_write, MISSING)


def test_no_store_is_missing_and_falls_back_to_the_quad_count(tmp_path: Path) -> None:
    assert store_version(tmp_path / "absent") == MISSING
    (tmp_path / "empty").mkdir()
    assert store_version(tmp_path / "empty") == MISSING  # no RocksDB CURRENT file
    assert last_modified(tmp_path / "absent") is None
    memory = ox.Store()
    memory.add(_quad(1))
    assert version_of(memory, None) == "n1" == version_of(memory, tmp_path / "empty")
    disk = tmp_path / "store"
    _make(disk, 3)
    assert version_of(ox.Store.read_only(str(disk)), disk) == store_version(disk)
    modified = last_modified(disk)
    assert modified is not None and modified == max(p.stat().st_mtime for p in disk.iterdir())
