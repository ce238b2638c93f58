"""Backup and restore of the on-disk store: a consistent snapshot with a manifest, restored atomically.

Why a RocksDB checkpoint (`Store.backup`) and not a dump: it is consistent at one instant, takes
milliseconds (hard links on the same filesystem), and restores without re-parsing or
re-validating anything; the manifest makes the archive self-checking (SHA-256 and size of every
file, quad count per graph), so a corrupted or truncated backup is refused instead of served.

Layout (archive `.tar.gz`/`.tgz`, or a plain directory for any other output name):
    manifest.json        format, created, source path, quads, graphs, files {name: {size, sha256}}
    store/…              the checkpoint's files

Restore builds the new store in the same private directory a build uses (`.{name}.building-PID`,
so an interrupted restore is cleaned up like an interrupted build), verifies every checksum,
opens it and compares the quad counts, and only then swaps it into place with the build's
two-rename swap under the build's lock (kg.graph.build.swap_into_place / recover). An existing
non-empty store is only replaced with `force=True`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from kg.errors import KgError
from kg.store import graph_counts, is_store, open_read_only

FORMAT = "hilfenetz-store-backup/1"
MANIFEST = "manifest.json"
STORE_DIR = "store"
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz")


@dataclass
class Manifest:
    """What a backup holds; written as manifest.json."""

    created: str
    source: str
    quads: int
    graphs: dict[str, int]
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    format: str = FORMAT

    def to_json(self) -> str:
        return json.dumps({"format": self.format, "created": self.created, "source": self.source,
                           "quads": self.quads, "graphs": self.graphs, "files": self.files},
                          ensure_ascii=False, indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        try:
            d = json.loads(text)
            if d.get("format") != FORMAT:
                raise KgError(f"not a hilfenetz store backup (format {d.get('format')!r}, expected {FORMAT!r})")
            return cls(created=str(d["created"]), source=str(d["source"]), quads=int(d["quads"]),
                       graphs={str(k): int(v) for k, v in d["graphs"].items()},
                       files={str(k): dict(v) for k, v in d["files"].items()})
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise KgError(f"the backup's manifest is unreadable: {exc}") from None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _counts(store: Any) -> tuple[int, dict[str, int]]:
    counts = graph_counts(store)
    return len(store), dict(sorted(counts.items()))


def is_archive(path: Path) -> bool:
    return path.name.endswith(ARCHIVE_SUFFIXES)


def backup(store_path: Path, output: Path) -> Manifest:
    """Snapshot the store at `store_path` into `output` (archive or directory); returns the manifest.

    The output is written under a temporary name and renamed at the end, so a failed or killed
    backup never leaves a file that looks complete."""
    import pyoxigraph as ox

    store_path, output = Path(store_path), Path(output)
    if output.exists():
        raise KgError(f"{output} already exists; choose a new name for the backup")
    output.parent.mkdir(parents=True, exist_ok=True)
    src = open_read_only(store_path)
    with tempfile.TemporaryDirectory(prefix=".kg-backup-", dir=output.parent) as tmp:
        work = Path(tmp) / "b"
        work.mkdir()
        snapshot = work / STORE_DIR
        try:
            src.backup(str(snapshot))
        except OSError as exc:
            raise KgError(f"cannot snapshot {store_path}: {exc}") from None
        del src
        quads, graphs = _counts(ox.Store.read_only(str(snapshot)))
        files = {
            p.relative_to(snapshot).as_posix(): {"size": p.stat().st_size, "sha256": _sha256(p)}
            for p in sorted(snapshot.rglob("*")) if p.is_file()
        }
        manifest = Manifest(created=datetime.now(UTC).replace(microsecond=0).isoformat(),
                            source=str(store_path.resolve()), quads=quads, graphs=graphs, files=files)
        (work / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
        partial = output.with_name(f".{output.name}.partial-{os.getpid()}")
        try:
            if is_archive(output):
                with tarfile.open(partial, "w:gz") as tar:
                    tar.add(work / MANIFEST, arcname=MANIFEST)
                    for name in files:
                        tar.add(snapshot / name, arcname=f"{STORE_DIR}/{name}")
                with open(partial, "rb") as fh:
                    os.fsync(fh.fileno())
            else:
                shutil.copytree(work, partial)
            os.rename(partial, output)
        except BaseException:
            if partial.is_dir():
                shutil.rmtree(partial, ignore_errors=True)
            else:
                partial.unlink(missing_ok=True)
            raise
    return manifest


def _safe_member(member: tarfile.TarInfo) -> str:
    """The member's relative path; refuses absolute paths, `..`, links and devices."""
    p = PurePosixPath(member.name)
    if p.is_absolute() or ".." in p.parts or not (member.isfile() or member.isdir()):
        raise KgError(f"unsafe entry in the backup archive: {member.name!r}")
    return p.as_posix()


def _unpack(source: Path, into: Path) -> None:
    """Copy (directory) or extract (archive) the backup into `into`, safely."""
    if source.is_dir():
        shutil.copytree(source, into, dirs_exist_ok=True)
        return
    try:
        with tarfile.open(source, "r:*") as tar:
            for member in tar:
                rel = _safe_member(member)
                target = into / rel
                if member.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                fh = tar.extractfile(member)
                if fh is None:
                    raise KgError(f"unreadable entry in the backup archive: {member.name!r}")
                with fh, open(target, "wb") as out:
                    shutil.copyfileobj(fh, out)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise KgError(f"cannot read the backup {source}: {exc}") from None


def verify(unpacked: Path) -> Manifest:
    """Check an unpacked backup against its manifest: same files, sizes, SHA-256, quad counts."""
    import pyoxigraph as ox

    mf = unpacked / MANIFEST
    if not mf.is_file():
        raise KgError("the backup has no manifest.json")
    manifest = Manifest.from_json(mf.read_text(encoding="utf-8"))
    store_dir = unpacked / STORE_DIR
    present = {p.relative_to(store_dir).as_posix() for p in store_dir.rglob("*") if p.is_file()} \
        if store_dir.is_dir() else set()
    if present != set(manifest.files):
        missing, extra = sorted(set(manifest.files) - present), sorted(present - set(manifest.files))
        raise KgError(f"the backup's files do not match its manifest (missing {missing}, unexpected {extra})")
    for name, info in manifest.files.items():
        path = store_dir / name
        if path.stat().st_size != info.get("size") or _sha256(path) != info.get("sha256"):
            raise KgError(f"checksum mismatch for {name}: the backup is damaged")
    try:
        quads, graphs = _counts(ox.Store.read_only(str(store_dir)))
    except OSError as exc:
        raise KgError(f"the backed-up store does not open: {exc}") from None
    if quads != manifest.quads or graphs != manifest.graphs:
        raise KgError(f"the restored store holds {quads} quads, the manifest says {manifest.quads}")
    return manifest


def restore(source: Path, store_path: Path, *, force: bool = False) -> Manifest:
    """Restore the backup `source` to `store_path`, atomically; returns the manifest."""
    # here, not at the top: kg.graph.build loads rdflib and the SHACL engine (~1 s), which
    # `kg backup` (the other half of this module) never needs
    from kg.graph.build import (
        building_path,
        check_target,
        recover,
        store_lock,
        swap_into_place,
    )

    source, store_path = Path(source), Path(store_path).absolute()
    if not source.exists():
        raise KgError(f"no backup at {source}")
    check_target(store_path)
    if store_path.exists() and any(store_path.iterdir()) and not force:
        raise KgError(f"{store_path} already holds a store; use --force to replace it")
    store_path.parent.mkdir(parents=True, exist_ok=True)
    with store_lock(store_path):
        recover(store_path)
    work = building_path(store_path)  # recover() removes it if this process is killed
    if work.exists():
        shutil.rmtree(work)
    try:
        work.mkdir(parents=True)
        _unpack(source, work)
        manifest = verify(work)
        if not is_store(work / STORE_DIR):
            raise KgError("the backup does not contain a store")
        with store_lock(store_path):
            check_target(store_path)
            if store_path.exists() and any(store_path.iterdir()) and not force:
                raise KgError(f"{store_path} already holds a store; use --force to replace it")
            if store_path.is_dir() and not any(store_path.iterdir()):
                store_path.rmdir()
            swap_into_place(work / STORE_DIR, store_path)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return manifest
