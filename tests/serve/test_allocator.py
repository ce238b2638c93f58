"""The query-evaluating processes run with mimalloc (kg/allocator.py): `kg serve` re-executes
itself with it preloaded, its query workers are spawned with it; HILFENETZ_ALLOCATOR=system
keeps glibc's malloc, and a library the dynamic linker refuses costs a warning, never the service.

Real servers (`python -m kg.cli serve`), real processes: what a process runs with is read
from its /proc/PID/maps, not from what the code meant to do."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import httpx
import pytest

from kg import allocator
from tests.serving import start_server, stop_server
from tests.web.sparql.conftest import EX, PEOPLE

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="LD_PRELOAD and /proc are Linux's")

# a join with a FILTER: evaluated by a query worker (single patterns are answered in the server)
JOIN = (f"SELECT ?p ?age WHERE {{ GRAPH <{PEOPLE}> {{ ?p a <http://xmlns.com/foaf/0.1/Person> ; <{EX}age> ?age }} "
        "FILTER(?age > 30) } ORDER BY ?p")


def _mapped(pid: int, lib: Path) -> bool:
    return str(lib) in Path(f"/proc/{pid}/maps").read_text()


def test_the_default_is_the_mimalloc_of_the_installed_wheel() -> None:
    lib = allocator.library({})
    assert lib is not None, "cmeel-mimalloc is a dependency on Linux: its library must be found"
    assert lib.is_file() and lib.name.startswith("libmimalloc.so")
    assert allocator.name(lib) == "mimalloc"
    assert allocator.library({allocator.ENV: "mimalloc"}) == lib


def test_system_and_paths_choose_other_allocators(tmp_path: Path) -> None:
    assert allocator.library({allocator.ENV: "system"}) is None
    assert allocator.name(None) == "system"
    other = tmp_path / "libother.so"
    other.write_bytes(b"\x7fELF")
    assert allocator.library({allocator.ENV: str(other)}) == other.resolve()
    assert allocator.name(other) == "libother.so"
    assert allocator.library({allocator.ENV: str(tmp_path / "missing.so")}) is None


def test_preloaded_puts_the_library_first_once_and_keeps_the_others() -> None:
    lib = Path("/opt/lib/libmimalloc.so.3")
    assert allocator.preloaded({}, lib)["LD_PRELOAD"] == str(lib)
    env = allocator.preloaded({"LD_PRELOAD": "/a.so:/b.so", "X": "1"}, lib)
    assert env["LD_PRELOAD"] == f"{lib} /a.so /b.so" and env["X"] == "1"
    assert allocator.preloaded(env, lib) == env  # not twice
    assert allocator.preloaded({"LD_PRELOAD": "/a.so"}, None) == {"LD_PRELOAD": "/a.so"}
    # mimalloc commits its arenas lazily (RLIMIT_DATA), unless the environment says otherwise
    assert env["MIMALLOC_ARENA_EAGER_COMMIT"] == "0"
    assert allocator.preloaded({"MIMALLOC_ARENA_EAGER_COMMIT": "1"}, lib)["MIMALLOC_ARENA_EAGER_COMMIT"] == "1"
    assert "MIMALLOC_ARENA_EAGER_COMMIT" not in allocator.preloaded({}, Path("/opt/lib/libtcmalloc.so.4"))


def test_for_children_sets_the_preload_only_while_inside(monkeypatch: pytest.MonkeyPatch) -> None:
    lib = Path("/opt/lib/libmimalloc.so.3")
    monkeypatch.setenv("LD_PRELOAD", "/a.so")
    with allocator.for_children(lib):
        assert os.environ["LD_PRELOAD"] == f"{lib} /a.so"
    assert os.environ["LD_PRELOAD"] == "/a.so"
    monkeypatch.delenv("LD_PRELOAD")
    with allocator.for_children(lib):
        assert os.environ["LD_PRELOAD"] == str(lib)
    assert "LD_PRELOAD" not in os.environ


def _people_answer(server_sparql: str) -> bytes:
    r = httpx.get(server_sparql, params={"query": JOIN}, headers={"Accept": "text/csv"}, timeout=30)
    assert r.status_code == 200, r.text
    return r.content


def test_kg_serve_and_its_workers_run_with_mimalloc_and_answer_as_with_glibc(
        small_store: Path, tmp_path: Path) -> None:
    lib = allocator.library({})
    assert lib is not None
    answers: dict[str, bytes] = {}
    for choice in ("mimalloc", "system"):
        server = start_server(small_store, tmp_path, "--workers", "2", extra_env={allocator.ENV: choice})
        try:
            answers[choice] = _people_answer(server.sparql)
            workers = server.worker_pids()
            assert len(workers) == 2
            expected = choice == "mimalloc"
            # the server process itself (re-executed with the preload: same PID) and every worker
            assert _mapped(server.process.pid, lib) is expected
            assert all(_mapped(pid, lib) is expected for pid in workers)
            if expected:
                environ = Path(f"/proc/{min(workers)}/environ").read_bytes().split(b"\0")
                assert b"MIMALLOC_ARENA_EAGER_COMMIT=0" in environ
            start_line = next(line for line in server.log.read_text().splitlines() if "kg serve: http" in line)
            assert f"allocator {choice})" in start_line
        finally:
            stop_server(server.process)
    rows = answers["mimalloc"].decode().splitlines()
    assert rows[0] == "p,age" and len(rows) > 2  # people over 30: there are some
    assert answers["mimalloc"] == answers["system"]


def test_a_library_the_linker_refuses_costs_a_warning_not_the_service(small_store: Path, tmp_path: Path) -> None:
    """A file that is no shared object: the dynamic linker says so and ignores it; `kg serve`
    re-executes once (not in a loop), says that the preload failed, and serves."""
    bogus = tmp_path / "libbogus.so"
    bogus.write_text("not an ELF file\n")
    server = start_server(small_store, tmp_path, "--workers", "1", extra_env={allocator.ENV: str(bogus)})
    try:
        rows = _people_answer(server.sparql).decode().splitlines()
        assert rows[0] == "p,age" and len(rows) > 2
        log = server.log.read_text()
        starts = [line for line in log.splitlines() if "kg serve: http" in line]
        assert len(starts) == 1, log
        assert "could not be preloaded" in starts[0]
        assert "libbogus.so" in log and "ignored" in log  # ld.so's own warning
        assert server.process.poll() is None
    finally:
        stop_server(server.process)


@pytest.mark.parametrize("choice", ["mimalloc", "system"])
def test_a_worker_pool_started_in_any_process_preloads_its_workers(
        choice: str, small_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without `kg serve`'s re-execution (this pytest process runs with glibc's malloc), the pool
    still spawns its workers with the allocator, and they answer."""
    import asyncio
    import time

    from kg.query.messages import QueryJob
    from kg.query.pool import WorkerPool

    lib = allocator.library({})
    assert lib is not None and not allocator.in_use(lib)
    monkeypatch.setenv(allocator.ENV, choice)

    async def run() -> tuple[list[bool], bytes]:
        pool = WorkerPool(1, str(small_store))
        await pool.start()
        try:
            answer = await pool.run(QueryJob(JOIN, "csv", None), deadline=time.monotonic() + 30, limit=30,
                                    queue_timeout=10)
            assert answer.ok, answer.message
            return [_mapped(pid, lib) for pid in pool.pids()], answer.body
        finally:
            await pool.close()

    mapped, body = asyncio.run(run())
    assert body.decode().splitlines()[0] == "p,age"
    assert mapped == [choice == "mimalloc"]
    assert str(lib) not in os.environ.get("LD_PRELOAD", "")  # this process's environment is as it was
