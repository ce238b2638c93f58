"""The memory allocator of the processes that evaluate queries: mimalloc instead of glibc's malloc.

Why: pyoxigraph's query evaluator allocates and frees many small objects per solution (terms,
bindings, RocksDB iterators and blocks); with glibc's malloc a quarter of a query worker's CPU
went to malloc, free and their bookkeeping (perf, 2-hop joins). The same queries evaluated with
mimalloc preloaded took about 18 % less CPU (a 2-hop join back to back: 9.1 ms with glibc,
7.4 ms with mimalloc 3.4; tcmalloc and jemalloc were within 0.3 ms of mimalloc). mimalloc comes
from PyPI (the `cmeel-mimalloc` wheel, MIT licence), so a plain `pip install` brings it along.

How: the allocator has to be in place before the first allocation, so it is preloaded
(LD_PRELOAD) into processes the service starts itself: the query workers and the replicas of
`kg serve --replicas`, and `kg serve` re-executes itself once with it. A library that cannot be
preloaded only makes the dynamic linker print a warning; it never stops a process.

HILFENETZ_ALLOCATOR (the process setting `allocator`, kg.config) chooses: unset or `mimalloc`
(the default), `system` (glibc's malloc, no preload), or the path of a shared library to preload
instead (e.g. tcmalloc or jemalloc). Linux only; elsewhere the processes keep the system allocator.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path

from kg.config import env_setting, env_var

ENV = env_var("allocator")
_PRELOAD = "LD_PRELOAD"
_LOCK = threading.Lock()
#: set in the environment of a re-executed `kg serve`, so a preload the dynamic linker refused
#: cannot make it re-execute itself again and again
_REEXEC_MARK = env_var("allocator_reexec")


@cache
def _mimalloc_from_wheel() -> Path | None:
    """libmimalloc.so of the installed `cmeel-mimalloc` distribution, if there is one."""
    from importlib import metadata

    try:
        files = metadata.files("cmeel-mimalloc") or []
    except metadata.PackageNotFoundError:
        return None
    candidates = [f for f in files if f.name.startswith("libmimalloc.so") and "/lib/" in f"/{f.as_posix()}"]
    # the versioned name (libmimalloc.so.3) is the real file; any of them will do
    for f in sorted(candidates, key=lambda f: len(f.name), reverse=True):
        path = Path(str(f.locate()))
        if path.is_file():
            return path.resolve()
    return None


def library(env: Mapping[str, str] | None = None) -> Path | None:
    """The shared library to preload into query-evaluating processes, or None for the system
    allocator (not Linux, HILFENETZ_ALLOCATOR=system, mimalloc not installed, or a named
    library that does not exist)."""
    if not sys.platform.startswith("linux"):
        return None
    choice = str(env_setting("allocator", env))
    if choice == "mimalloc":
        return _mimalloc_from_wheel()
    if choice in ("system", "glibc", "off", "0", "none"):
        return None
    path = Path(choice)
    return path.resolve() if path.is_file() else None


def name(path: Path | None) -> str:
    """A short name for logs and metrics: `mimalloc`, `system`, or the library's file name."""
    if path is None:
        return "system"
    if path.name.startswith("libmimalloc"):
        return "mimalloc"
    return path.name


def describe(lib: Path | None) -> str:
    """What this process and the workers it starts run with, for the start-up line."""
    if lib is None:
        return "system"
    if in_use(lib):
        return name(lib)
    if env_setting("allocator_reexec"):  # re-executed for it, and still not mapped: ld.so refused it
        return f"system ({lib} could not be preloaded)"
    return f"system, query workers {name(lib)}"


#: mimalloc's options for the processes it is preloaded into (an option the environment sets
#: already is left as it is). ARENA_EAGER_COMMIT=0: address space that mimalloc reserves for its
#: arenas (1 GiB at a time) is committed only when used. Eager commit, its default where the
#: kernel overcommits, maps the whole reservation writable, and a writable private mapping counts
#: against RLIMIT_DATA, the query workers' memory limit: a worker limited to 300 MB could not even
#: import pyoxigraph. Lazy commit measured no slower (2-hop join back to back: 6.59–6.71 ms vs
#: 6.56–6.63 ms).
MIMALLOC_OPTIONS = {"MIMALLOC_ARENA_EAGER_COMMIT": "0"}


def preloaded(env: Mapping[str, str], lib: Path | None) -> dict[str, str]:
    """`env` with `lib` first in LD_PRELOAD (unchanged if `lib` is None or already there), and
    for mimalloc its MIMALLOC_OPTIONS where `env` does not set them."""
    out = dict(env)
    if lib is None:
        return out
    present = [p for p in out.get(_PRELOAD, "").replace(":", " ").split() if p]
    if str(lib) not in present:
        out[_PRELOAD] = " ".join([str(lib), *present])
    if name(lib) == "mimalloc":
        for key, value in MIMALLOC_OPTIONS.items():
            out.setdefault(key, value)
    return out


def in_use(lib: Path | None) -> bool:
    """Whether this process runs with `lib` mapped (preloaded at its start)."""
    if lib is None:
        return False
    with contextlib.suppress(OSError):
        maps = Path("/proc/self/maps").read_text()
        return str(lib) in maps or lib.name in maps
    return False


@contextlib.contextmanager
def for_children(lib: Path | None) -> Iterator[None]:
    """While inside, processes started from this one (multiprocessing's spawn, subprocess)
    inherit an environment that preloads `lib`. The environment is process-wide, so this holds
    a lock and puts LD_PRELOAD back on exit; a process started by another thread meanwhile gets
    the allocator too, which changes nothing but its speed."""
    if lib is None:
        yield
        return
    with _LOCK:
        wanted = preloaded(os.environ, lib)
        changed = {key: os.environ.get(key) for key, value in wanted.items() if os.environ.get(key) != value}
        os.environ.update({key: wanted[key] for key in changed})
        try:
            yield
        finally:
            for key, before in changed.items():
                if before is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = before


def reexec_with(lib: Path | None) -> None:
    """Replace this process by the same command with `lib` preloaded, unless it already runs
    with it (or was re-executed for it once). For `kg serve` on the command line only: the
    server process answers single-pattern queries itself, with pyoxigraph, and so gains the
    same way the workers do (5–8 % more point lookups per second, measured with wrk). Same PID,
    same descriptors, same arguments (`sys.orig_argv`); costs one interpreter start."""
    if lib is None or in_use(lib) or env_setting("allocator_reexec"):
        return
    argv = list(getattr(sys, "orig_argv", []) or [])
    if not argv or not sys.executable:
        return
    env = preloaded(os.environ, lib)
    env[_REEXEC_MARK] = "1"
    sys.stdout.flush()
    sys.stderr.flush()
    with contextlib.suppress(OSError):  # not executable after all: carry on without it
        os.execve(sys.executable, [sys.executable, *argv[1:]], env)
