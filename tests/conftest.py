"""Shared fixtures: the real store built from the real project, and small fixture projects.

`built_store` (session) builds the real project (with the reference data when present) once and
caches the result under .pytest_cache keyed by a hash of every input file and of the build code,
so a second test run with unchanged sources costs nothing. Fixture names are part of the contract
with the other test modules: keep them stable.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
MINI_PROJECT = FIXTURES / "mini"

# inputs of a build: the data, and the code that turns it into a store
_INPUT_DIRS = ("ontology", "data")
_CODE_FILES = ("kg/graph/build.py", "kg/graph/infer.py", "kg/graph/sources.py", "kg/graph/reference.py", "kg/rdf.py",
               "kg/store/embedded.py")
_CODE_DIRS = ("kg/shacl",)  # the build validates with these engines (native by default)


def inputs_hash(root: Path = PROJECT_ROOT) -> str:
    """SHA-256 over the relative path and bytes of every input file of a build of `root`."""
    h = hashlib.sha256()
    files: list[Path] = []
    for d in _INPUT_DIRS:
        base = root / d
        if base.is_dir():
            files += [p for p in base.rglob("*") if p.is_file()]
    files += [root / f for f in _CODE_FILES if (root / f).is_file()]
    for d in _CODE_DIRS:
        if (root / d).is_dir():
            files += [p for p in (root / d).glob("*.py") if p.is_file()]
    for p in sorted(files):
        h.update(str(p.relative_to(root)).encode() + b"\0")
        h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()[:20]


def _build_cached(cache_root: Path) -> Path:
    """Build the real project into cache_root/<hash>/store unless that exists (under a file
    lock, because several pytest sessions may run at once on this machine)."""
    from kg.errors import BuildValidationError
    from kg.graph.build import build

    cache_root.mkdir(parents=True, exist_ok=True)
    key = inputs_hash()
    target = cache_root / key / "store"
    with open(cache_root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target / "CURRENT").is_file():
            for old in cache_root.iterdir():
                if old.is_dir() and old.name not in (key, "validation"):
                    shutil.rmtree(old, ignore_errors=True)
            try:
                build(PROJECT_ROOT, target, cache_dir=cache_root / "validation",
                      progress=lambda m: print(f"[built_store] {m}", file=sys.stderr))
            except BuildValidationError as exc:
                pytest.fail(f"the real project does not build:\n{exc}", pytrace=False)
    return target


@pytest.fixture(scope="session")
def built_store(request: pytest.FixtureRequest) -> Iterator[Path]:
    """Path of a store built from the real project root (reference data included if present).

    Read-only for the tests: open it with `pyoxigraph.Store.read_only` (or the `store` fixture).
    Set HILFENETZ_TEST_STORE to use an existing store instead.
    """
    override = os.environ.get("HILFENETZ_TEST_STORE")
    if override:
        yield Path(override)
        return
    cache = getattr(request.config, "cache", None)  # None under `-p no:cacheprovider`
    root = Path(cache.mkdir("hilfenetz-store")) if cache is not None else \
        Path(tempfile.gettempdir()) / f"hilfenetz-test-store-{os.getuid()}"
    yield _build_cached(root)


@pytest.fixture(scope="session")
def store(built_store: Path) -> ox.Store:
    """The built store, opened read-only."""
    return ox.Store.read_only(str(built_store))


@pytest.fixture(scope="session")
def mini_project_source() -> Path:
    """tests/fixtures/mini itself (read-only: copy it before changing anything)."""
    return MINI_PROJECT


@pytest.fixture
def mini_project(tmp_path: Path) -> Path:
    """A private copy of tests/fixtures/mini (a tiny valid project) that a test may modify."""
    dst = tmp_path / "project"
    shutil.copytree(MINI_PROJECT, dst)
    return dst


def _run_kg(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run the real `kg` command (this virtualenv's entry point) as a subprocess.

    HILFENETZ_STORE is removed from the environment unless `env` sets it, so a developer's own
    setting never leaks into a test.
    """
    exe = Path(sys.executable).with_name("kg")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "kg.cli"]
    full_env = {k: v for k, v in os.environ.items() if k != "HILFENETZ_STORE"}
    full_env.update(env or {})
    return subprocess.run([*cmd, *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def run_kg():
    """The `kg` command as a function: run_kg("query", "--format", "json", "ASK {}")."""
    return _run_kg
