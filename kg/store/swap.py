"""The atomic swap of a store directory, and the repair of a swap a crash interrupted.

Used by `kg build` (kg.graph.build) and `kg restore` (kg.graph.backup): a new store is made in a
private directory next to the target (`building_path`), then put in place under an exclusive
lock (`store_lock`) with two renames (`swap_into_place`); `recover` puts things right at the next
start if a process died between or after the renames. The fault tests (tests/faults/) kill
builds and restores at every step of it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from kg.errors import KgError
from kg.store.embedded import is_store, pid_alive


def old_path(store_path: Path) -> Path:
    """Where the previous store waits during the swap."""
    return store_path.with_name(f".{store_path.name}.old")


def building_path(store_path: Path) -> Path:
    """The private directory this process builds into."""
    return store_path.with_name(f".{store_path.name}.building-{os.getpid()}")


def recover(store_path: Path) -> list[str]:
    """Repair what a crash may have left behind; returns what was done (for the log).

    - target missing but `.old` present: the crash hit between the two renames → put `.old` back;
    - target and `.old` present: the swap completed, only the deletion was lost → delete `.old`;
    - `.building-PID` of a process that no longer runs → delete it.
    """
    actions: list[str] = []
    store_path = Path(store_path)
    old = old_path(store_path)
    if old.exists():
        if store_path.exists():
            shutil.rmtree(old)
            actions.append(f"removed leftover {old}")
        else:
            os.rename(old, store_path)
            actions.append(f"restored {store_path} from {old} (interrupted swap)")
    parent = store_path.parent
    if parent.is_dir():
        prefix = f".{store_path.name}.building-"
        for d in parent.iterdir():
            if d.name.startswith(prefix):
                try:
                    pid = int(d.name[len(prefix):])
                except ValueError:
                    continue
                if pid != os.getpid() and not pid_alive(pid):
                    shutil.rmtree(d, ignore_errors=True)
                    actions.append(f"removed stale {d}")
    return actions


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def store_lock(store_path: Path) -> Iterator[None]:
    """Exclusive lock (flock on `.{name}.lock` next to the store) around recovery and the swap,
    so two builds of the same target cannot interleave their renames."""
    store_path.parent.mkdir(parents=True, exist_ok=True)
    with open(store_path.with_name(f".{store_path.name}.lock"), "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def check_target(store_path: Path) -> None:
    """Refuse to build over something that is not a store: the swap deletes the previous
    directory, and `kg build --store ~/Documents` must not delete anybody's documents."""
    if store_path.is_symlink() or (store_path.exists() and not store_path.is_dir()):
        raise KgError(f"{store_path} exists and is not a store directory; refusing to replace it")
    if store_path.is_dir() and any(store_path.iterdir()) and not is_store(store_path):
        raise KgError(f"{store_path} is a non-empty directory that is not a store; refusing to replace it "
                      "(choose another --store or remove it yourself)")


def swap_into_place(new: Path, store_path: Path) -> None:
    """Replace `store_path` by `new` with two renames (each atomic on POSIX).

    A directory cannot be atomically replaced by another non-empty one, so the old store first
    moves aside to `.old`; `recover()` handles a crash between the two renames.
    """
    old = old_path(store_path)
    if old.exists():
        shutil.rmtree(old)
    had_old = store_path.exists()
    if had_old:
        os.rename(store_path, old)
    os.rename(new, store_path)
    _fsync_dir(store_path.parent)
    if had_old:
        shutil.rmtree(old)
