"""Query worker processes: the only place where SPARQL queries are evaluated (besides the inline
single-pattern lookups of kg.query.execute.execute_inline).

Why processes: pyoxigraph cannot stop a running query (no cancel or timeout API, see
oxigraph#1336/#1926), and its own cancellation is only checked when quads are read, so joins
and aggregates over intermediate results run on. A query in a separate process can be stopped
for real: at its deadline the process gets SIGKILL and a fresh worker takes its place, while the
other workers and the async server keep answering.

`WorkerPool` is asyncio-friendly: it hands jobs (kg.query.messages) to idle workers and waits
for the answer without blocking the event loop. What runs inside a worker is kg.query.execute.

Which store a worker reads: in read-only and remote mode the store itself (`store_path`, the
same for all). In a writable server each worker has a private copy of the live store that it
brings up to date before each job by replaying the writes it has not seen (kg.query.replicas:
why, and what falls back to a fresh copy); the pool tracks each worker's copy and position.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing as mp
import os
import select
import struct
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.reduction import ForkingPickler as _ForkingPickler
from typing import Any

from kg import allocator
from kg.config import env_setting
from kg.errors import ClientGone, QueryTimeout, WorkerCrashed
from kg.query.execute import _worker_main
from kg.query.messages import QueryAnswer, QueryJob
from kg.query.replicas import CatchUp, Copy, Replicas

log = logging.getLogger("hilfenetz.server")


@dataclass(eq=False)
class _Worker:
    process: Any
    conn: Connection
    store_path: str | None = None
    jobs: int = 0
    #: writable server: the worker's own copy of the store and the journal position it holds
    copy: Copy | None = None
    #: copies the worker had open before moving to `copy`: deleted once it answered from the new one
    retired: list[str] = field(default_factory=list)


class WorkerPool:
    """A fixed number of worker processes, an idle queue, and kill-and-replace at deadlines."""

    def __init__(
        self,
        size: int,
        store_path: str,
        *,
        memory_limit: int | None = None,
        on_event: Callable[[str], None] | None = None,
        replicas: Replicas | None = None,
    ) -> None:
        self.size = max(1, int(size))
        self.store_path = str(store_path)
        self.memory_limit = memory_limit
        self._ctx = mp.get_context("spawn")
        self._idle: asyncio.LifoQueue[_Worker] | None = None
        self._workers: set[_Worker] = set()
        self._executor = ThreadPoolExecutor(max_workers=self.size * 2 + 2, thread_name_prefix="kg-query")
        self._lock = threading.Lock()
        self._closed = False
        self.on_event = on_event or (lambda name: None)
        self.killed = 0
        self.started = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self.generation = 0
        self._reaper: asyncio.Task[None] | None = None
        #: writable server: every worker reads a copy of its own, kept current from the journal
        self.replicas = replicas
        #: preloaded into every worker (kg.allocator: mimalloc unless HILFENETZ_ALLOCATOR says otherwise)
        self.allocator = allocator.library()

    # life cycle -------------------------------------------------------------------------

    def _spawn(self) -> _Worker:
        copy = self._new_copy()
        parent, child = self._ctx.Pipe(duplex=True)
        _widen_buffers(parent, child)
        proc = self._ctx.Process(
            target=_worker_main, args=(child, self.memory_limit, copy.path if copy else None),
            name="kg-query-worker", daemon=True,
        )
        with allocator.for_children(self.allocator):  # a spawned worker is a fresh interpreter: exec'd with it
            proc.start()
        child.close()
        worker = _Worker(proc, parent, copy=copy)
        with self._lock:
            self._workers.add(worker)
            self.started += 1
        return worker

    def _new_copy(self) -> Copy | None:
        """A copy of the live store for a starting worker (opened by it before its first job), or
        None (read-only/remote mode; or the copy failed, e.g. a full disk: its first job tries again)."""
        if self.replicas is None:
            return None
        try:
            return self.replicas.checkpoint()
        except OSError as exc:
            log.error("no copy of the store for a new query worker (its first query tries again): %s", exc)
            return None

    async def start(self) -> None:
        """Start the workers (call inside the running event loop)."""
        # last in, first out: under light load the same (warm) worker takes the next job, see
        # kg.query.execute._spin_until_next_job; a queue would hand every other job to a worker gone cold
        self._idle = asyncio.LifoQueue()
        loop = asyncio.get_running_loop()
        for _ in range(self.size):
            worker = await loop.run_in_executor(self._executor, self._spawn)
            self._idle.put_nowait(worker)
        self._reaper = asyncio.get_running_loop().create_task(self._reap_idle_forever())

    async def _reap_idle_forever(self, interval: float = 1.0) -> None:
        """Replace idle workers that died (OOM killer, an admin's kill) within `interval`.

        Why: with last-in-first-out hand-out a worker at the bottom of the idle stack may not
        be asked for a job for a long time, so its death would otherwise go unnoticed and the
        pool would be smaller than configured exactly when load arrives."""
        while not self._closed and self._idle is not None:
            await asyncio.sleep(interval)
            idle: list[_Worker] = list(getattr(self._idle, "_queue", ()))
            for worker in idle:
                if worker.process.is_alive():
                    continue
                with contextlib.suppress(ValueError):
                    self._idle._queue.remove(worker)  # type: ignore[attr-defined]
                    self.on_event("crash")
                    self._background(self._replace(worker))

    async def close(self) -> None:
        """Stop all workers."""
        self._closed = True
        if self._reaper is not None:
            self._reaper.cancel()
        with self._lock:
            workers = list(self._workers)
            self._workers.clear()
        for w in workers:
            with contextlib.suppress(Exception):
                w.conn.send(None)
        for w in workers:
            w.process.join(timeout=2)
            if w.process.is_alive():
                w.process.kill()
                w.process.join(timeout=2)
            with contextlib.suppress(Exception):
                w.conn.close()
            self._discard_copies(w)
        self._executor.shutdown(wait=False, cancel_futures=True)

    def alive(self) -> int:
        """Number of live worker processes."""
        with self._lock:
            return sum(1 for w in self._workers if w.process.is_alive())

    def pids(self) -> list[int]:
        with self._lock:
            return sorted(w.process.pid for w in self._workers if w.process.pid)

    def set_store_path(self, path: str, generation: int = 0) -> None:
        """Point later jobs at another store (read-only and remote mode: the same path after a
        rebuild, a new `generation` makes the workers reopen it)."""
        self.store_path = str(path)
        self.generation = generation

    def _kill(self, worker: _Worker) -> None:
        with self._lock:
            self._workers.discard(worker)
        with contextlib.suppress(Exception):
            worker.process.kill()
        with contextlib.suppress(Exception):
            worker.process.join(timeout=5)
        with contextlib.suppress(Exception):
            worker.conn.close()
        self._discard_copies(worker)

    def _discard_copies(self, worker: _Worker) -> None:
        """Delete the copies of a worker that is gone (its process has exited)."""
        if self.replicas is None:
            return
        paths = [*worker.retired, *([worker.copy.path] if worker.copy is not None else [])]
        worker.retired, worker.copy = [], None
        for path in paths:
            self.replicas.discard(path)

    def _background(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _replace(self, worker: _Worker) -> None:
        """Kill `worker` and start a fresh one (retrying, so the pool never shrinks for good)."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._kill, worker)
        delay = 0.1
        while not self._closed and self._idle is not None:
            try:
                fresh = await loop.run_in_executor(self._executor, self._spawn)
            except Exception:  # noqa: BLE001 - e.g. out of processes: try again a bit later
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            self._idle.put_nowait(fresh)
            return

    # running jobs -----------------------------------------------------------------------

    async def run(
        self,
        job: QueryJob,
        *,
        deadline: float,
        limit: float,
        queue_timeout: float,
        is_disconnected: Callable[[], Awaitable[bool]] | None = None,
        on_part: Callable[[bytes], Awaitable[None]] | None = None,
    ) -> QueryAnswer:
        """Answer `job` in a worker, or raise QueryTimeout once `time.monotonic()` passes `deadline`.

        Waiting for a free worker counts against the deadline (and at most `queue_timeout`).
        A job with `stream_after` may send its answer in parts: each is awaited in `on_part`
        (under the same deadline and disconnect checks) before the final QueryAnswer returns."""
        assert self._idle is not None, "WorkerPool.start() was not called"
        loop = asyncio.get_running_loop()
        wait = min(deadline - time.monotonic(), queue_timeout)
        if wait <= 0:
            raise QueryTimeout(limit, queued=True)
        while True:
            try:
                worker = await asyncio.wait_for(self._idle.get(), timeout=wait)
            except TimeoutError:
                self.on_event("queue_timeout")
                raise QueryTimeout(limit, queued=True) from None
            if worker.process.is_alive():
                break
            # died while idle (e.g. killed from outside): replace it and take the next one
            self._background(self._replace(worker))
            wait = min(deadline - time.monotonic(), queue_timeout)
            if wait <= 0:
                raise QueryTimeout(limit, queued=True)
        worker.jobs += 1
        finished = False
        try:
            step: CatchUp | None = None
            if self.replicas is None:
                job.store_path = self.store_path
                job.store_generation = self.generation
            else:
                step = await self._catch_up(worker, job)
                if step is None:  # no copy could be made (e.g. the disk is full)
                    finished = True
                    return QueryAnswer(False, kind="store", message="no copy of the store for the query worker "
                                       "could be made (see the server log)")
            worker.store_path = job.store_path
            payload = _ForkingPickler.dumps(job)
            if len(payload) <= _INLINE_SEND_MAX:
                # fits the (empty) pipe's buffer: the write cannot block, so no thread hop
                worker.conn.send_bytes(payload)
            else:
                await loop.run_in_executor(self._executor, worker.conn.send_bytes, payload)
            while True:
                await self._until_readable(worker, deadline, limit, is_disconnected)
                try:
                    message = await self._read_answer(worker)
                except (EOFError, OSError) as exc:
                    self.on_event("crash")
                    raise WorkerCrashed(f"worker process died: {exc!r}") from None
                if not isinstance(message, bytes):
                    break
                if on_part is None:
                    raise WorkerCrashed("the worker sent a part of an answer that was not to be streamed")
                await on_part(message)
            finished = True
            if step is not None:
                self._caught_up(worker, step, message)
            return message
        finally:
            if finished:
                self._idle.put_nowait(worker)
            else:
                # deadline, crash, client gone or cancellation: the worker may still be busy
                # with a runaway query, so it is killed and replaced
                self._background(self._replace(worker))


    async def _catch_up(self, worker: _Worker, job: QueryJob) -> CatchUp | None:
        """Point `job` at the worker's copy with the writes it has not applied yet; first a fresh
        copy if the journal no longer reaches it (or it has none). None if no copy can be made.

        Read-your-writes: every write answered before this query arrived is in the journal up to
        `position` or in a copy made now, so the worker answers after applying it."""
        assert self.replicas is not None
        journal = self.replicas.journal
        copy = worker.copy
        step = journal.since(copy.position) if copy is not None else None
        if step is None or (copy is not None and copy.due(step.position, time.monotonic())):
            try:
                fresh = await asyncio.get_running_loop().run_in_executor(self._executor, self.replicas.checkpoint)
            except OSError as exc:  # e.g. the disk is full (then writes are refused too)
                if copy is None or step is None:  # an answer without writes it lacks: not given
                    log.error("no copy of the store for a query worker: %s", exc)
                    return None
                log.error("no fresh copy of the store for a query worker, it keeps its old one: %s", exc)
            else:
                if copy is not None:
                    worker.retired.append(copy.path)
                worker.copy = fresh
                # a write that cannot be replayed may have landed since the copy: the copy holds
                # every write answered before this query came, so it answers it; the next job copies again
                step = journal.since(fresh.position) or CatchUp(fresh.position, "")
        assert worker.copy is not None
        job.store_path = worker.copy.path
        job.store_generation = 0
        job.own_copy = True
        job.replay = step.update
        return step

    def _caught_up(self, worker: _Worker, step: CatchUp, answer: QueryAnswer) -> None:
        """After the worker answered: it holds `step.position` now, unless it reports its copy lost
        (it did not open or failed to replay: the next job brings a fresh one). Copies it has
        closed are deleted."""
        assert worker.copy is not None
        if answer.copy_lost:
            log.error("a query worker gave up its copy of the store (its next query gets a fresh one): %s",
                      answer.message)
            worker.retired.append(worker.copy.path)
            worker.copy = None
        else:
            worker.copy = Copy(worker.copy.path, step.position, worker.copy.made)
        if worker.retired and self.replicas is not None:
            paths, worker.retired = worker.retired, []
            for path in paths:
                asyncio.get_running_loop().run_in_executor(self._executor, self.replicas.discard, path)

    async def _until_readable(
        self,
        worker: _Worker,
        deadline: float,
        limit: float,
        is_disconnected: Callable[[], Awaitable[bool]] | None,
    ) -> None:
        """Wait (in the event loop, no thread) until the worker starts answering; raise
        QueryTimeout at the deadline and ClientGone when the client has left."""
        loop = asyncio.get_running_loop()
        readable: asyncio.Future[None] = loop.create_future()
        fd = worker.conn.fileno()

        def ready() -> None:
            if not readable.done():
                readable.set_result(None)

        loop.add_reader(fd, ready)
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self.killed += 1
                    self.on_event("timeout")
                    raise QueryTimeout(limit)
                done, _ = await asyncio.wait({readable}, timeout=min(remaining, 0.5))
                if done:
                    return
                if is_disconnected is not None and await is_disconnected():
                    self.killed += 1
                    self.on_event("client_gone")
                    raise ClientGone()
        finally:
            loop.remove_reader(fd)
            # uvloop makes a watched descriptor non-blocking; the reads and writes that follow
            # (and the worker's next job) expect a blocking one
            os.set_blocking(fd, True)

    async def _read_answer(self, worker: _Worker) -> Any:
        """Read the answer the worker has begun to send (multiprocessing's framing: a 4-byte
        big-endian length, or -1 and an 8-byte length, then the pickle).

        Why not `conn.recv()` in a thread, as before: the thread hop costs about as much as a
        point lookup. A small answer is read right here: its bytes are in the pipe or on their
        way (the worker writes the whole message at once); a large one is read in a thread, so
        the event loop never waits on a long transfer."""
        fd = worker.conn.fileno()
        header = _read_exact(fd, 4)
        (size,) = struct.unpack("!i", header)
        if size == -1:
            (size,) = struct.unpack("!Q", _read_exact(fd, 8))
        if size <= _INLINE_RECV_MAX:
            data = _read_exact(fd, size)
        else:
            data = await asyncio.get_running_loop().run_in_executor(self._executor, _read_exact, fd, size)
        return _ForkingPickler.loads(data)  # a QueryAnswer, or bytes: a part of a streamed answer


#: Socket buffer of the job/answer connection (the kernel caps it at net.core.wmem_max/rmem_max,
#: 4 MiB here): an answer of this size is written by the worker in one go and read by the
#: server in one go, instead of in 208 KiB rounds that pass control back and forth.
_SOCKET_BUFFER = 4 * 1024 * 1024


def _widen_buffers(*conns: Connection) -> None:
    import socket

    for conn in conns:
        with contextlib.suppress(OSError):
            sock = socket.socket(fileno=os.dup(conn.fileno()))
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, _SOCKET_BUFFER)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _SOCKET_BUFFER)
            finally:
                sock.close()


#: Jobs up to this size are written to the worker's pipe from the event loop (the pipe is empty
#: and holds 64 KiB, so the write never blocks); larger ones from a thread.
_INLINE_SEND_MAX = 60 * 1024
#: Answers up to this size are read in the event loop (with the wide socket buffer the bytes are
#: already there: about 0.25 ms for 276 KB), larger ones in a thread.
_INLINE_RECV_MAX = 1024 * 1024


def _read_exact(fd: int, size: int) -> bytes:
    """Exactly `size` bytes from a blocking pipe, or EOFError if the writer went away."""
    chunks: list[bytes] = []
    left = size
    while left > 0:
        try:
            chunk = os.read(fd, min(left, 1 << 20))
        except BlockingIOError:  # a non-blocking descriptor after all: wait for the rest
            select.select([fd], [], [], 1.0)
            continue
        if not chunk:
            raise EOFError("the worker closed its pipe")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def default_memory_limit() -> int | None:
    """Per-worker data segment limit from the process setting worker_memory_mb (0 = none)."""
    mb = int(env_setting("worker_memory_mb"))
    return mb * 1024 * 1024 if mb > 0 else None
