"""`kg backup` / `kg restore` round trips through the real command, refusals leave the target as it was."""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from tests.serving import start_server, stop_server
from tests.web.sparql.conftest import make_small_store


def kg(*args: str) -> subprocess.CompletedProcess[str]:
    """The backup commands through the real `kg` command, as a subprocess."""
    return subprocess.run([sys.executable, "-m", "kg.cli", *args],
                          capture_output=True, text=True, timeout=300, check=False)


def quads(path: Path) -> list[str]:
    """Every quad of the store as sorted N-Quads lines (the stores here have no blank nodes)."""
    store = ox.Store.read_only(str(path))
    lines = sorted(store.dump(format=ox.RdfFormat.N_QUADS).decode().splitlines())
    del store
    return lines


def other_store(path: Path) -> Path:
    """A store with different content (to see which one a restore left in place)."""
    s = ox.Store(str(path))
    s.add(ox.Quad(ox.NamedNode("http://example.org/other"), ox.NamedNode("http://example.org/p"), ox.Literal("B"),
                  ox.NamedNode("http://example.org/g/other")))
    s.flush()
    del s
    return path


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_small_store(tmp_path_factory.mktemp("backup-src") / "store")


@pytest.mark.parametrize("name", ["snap.tar.gz", "snap-dir"])
def test_round_trip(source: Path, tmp_path: Path, name: str) -> None:
    out = tmp_path / name
    r = kg("backup", "--store", str(source), "--output", str(out))
    assert r.returncode == 0, r.stderr
    assert "backed up 3062 quads" in r.stdout
    target = tmp_path / "restored"
    r = kg("restore", str(out), "--store", str(target))
    assert r.returncode == 0, r.stderr
    assert "restored 3062 quads" in r.stdout
    assert quads(target) == quads(source)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == [".restored.lock"]  # nothing left over


def test_restore_refuses_existing_store_without_force(source: Path, tmp_path: Path) -> None:
    out = tmp_path / "b.tar.gz"
    assert kg("backup", "--store", str(source), "--output", str(out)).returncode == 0
    target = other_store(tmp_path / "live")
    before = quads(target)
    r = kg("restore", str(out), "--store", str(target))
    assert r.returncode == 1 and "use --force" in r.stderr
    assert quads(target) == before
    r = kg("restore", str(out), "--store", str(target), "--force")
    assert r.returncode == 0, r.stderr
    assert quads(target) == quads(source)


def test_backup_refuses_to_overwrite(source: Path, tmp_path: Path) -> None:
    out = tmp_path / "b.tar.gz"
    out.write_bytes(b"precious")
    r = kg("backup", "--store", str(source), "--output", str(out))
    assert r.returncode == 1 and "already exists" in r.stderr
    assert out.read_bytes() == b"precious"


def _tamper_directory(backup_dir: Path) -> None:
    sst = next(p for p in sorted((backup_dir / "store").iterdir()) if p.suffix == ".sst")
    data = bytearray(sst.read_bytes())
    data[len(data) // 2] ^= 0xFF
    sst.write_bytes(bytes(data))


def test_damaged_backups_are_refused_and_change_nothing(source: Path, tmp_path: Path) -> None:
    target = other_store(tmp_path / "live")
    before = quads(target)
    d = tmp_path / "dir"
    assert kg("backup", "--store", str(source), "--output", str(d)).returncode == 0
    _tamper_directory(d)
    r = kg("restore", str(d), "--store", str(target), "--force")
    assert r.returncode == 1 and "checksum mismatch" in r.stderr

    archive = tmp_path / "b.tar.gz"
    assert kg("backup", "--store", str(source), "--output", str(archive)).returncode == 0
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    r = kg("restore", str(truncated), "--store", str(target), "--force")
    assert r.returncode == 1, r.stderr
    assert "cannot read the backup" in r.stderr or "do not match its manifest" in r.stderr, r.stderr

    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(evil, "w:gz") as tar:
        info = tarfile.TarInfo("../../escaped.txt")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"bad"))
    r = kg("restore", str(evil), "--store", str(target), "--force")
    assert r.returncode == 1 and "unsafe entry" in r.stderr
    assert not (tmp_path.parent / "escaped.txt").exists()

    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "manifest.json").write_text('{"format": "something-else"}')
    r = kg("restore", str(notes), "--store", str(target), "--force")
    assert r.returncode == 1 and "not a hilfenetz store backup" in r.stderr

    assert quads(target) == before
    assert not [p for p in tmp_path.iterdir() if ".building-" in p.name]


def test_restore_under_a_running_read_only_server(source: Path, tmp_path: Path) -> None:
    """A read-only `kg serve` notices the restored store and serves it without a restart."""
    live = other_store(tmp_path / "live")
    out = tmp_path / "b.tar.gz"
    assert kg("backup", "--store", str(source), "--output", str(out)).returncode == 0
    server = start_server(live, tmp_path, "--workers", "1", "--watch-interval", "0.2",
                          extra_env={"HILFENETZ_RATE_LIMIT": "off"})
    try:
        ask = {"query": "ASK { GRAPH <http://example.org/g/people> { ?s ?p ?o } }"}
        headers = {"Accept": "application/sparql-results+json"}
        assert httpx.get(server.sparql, params=ask, headers=headers).json()["boolean"] is False
        r = kg("restore", str(out), "--store", str(live), "--force")
        assert r.returncode == 0, r.stderr
        answer = False
        for _ in range(300):  # bounded: the server checks every 0.2 s
            answer = httpx.get(server.sparql, params=ask, headers=headers).json()["boolean"]
            if answer:
                break
            time.sleep(0.1)
        assert answer is True
    finally:
        stop_server(server.process)
