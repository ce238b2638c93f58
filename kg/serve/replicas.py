"""Several `kg serve` processes over one store, sharing one listening socket (`kg serve --replicas N`).

Why: one server process has one asyncio event loop in one interpreter. HTTP parsing, content
negotiation, the answer cache, JSON and HTML rendering and every router run there under one GIL,
so that single core is the ceiling for cheap requests although the SPARQL evaluation itself runs
in separate query worker processes (kg.query.pool). N server processes put N event loops on
N cores.

How the replicas share the port (clients see one address; no proxy, no port per replica):
* `reuseport` (default on Linux): every replica listens on its own socket bound to the same
  address with SO_REUSEPORT, and the kernel spreads new connections evenly over the replicas'
  sockets (a hash of the client address and port). The parent binds the address once without
  listening, so a port in use is reported before any replica starts, and holds it meanwhile.
* `shared` (elsewhere, or on request): the parent binds and listens once and passes that socket
  to the children, as uvicorn's multiprocess supervisor and gunicorn do. Whichever process wakes
  first accepts, and asyncio accepts up to `backlog` queued connections per wake-up, so a burst
  of new connections (a client or a proxy opening its pool) tends to land on one replica; with
  keep-alive it then stays there. Measured in bench/bench_scaleout.py (8 or 16 keep-alive
  connections opened at once): with a shared socket 1 cell in 24 had every connection on one
  replica (and so did the first trial run); with reuseport the busier replica never had more
  than 71 % of the answers. Hence reuseport by default.
Either way a keep-alive connection stays with the replica that accepted it.

Why spawned children that each call `create_app(settings)`: a forked copy of an open pyoxigraph
(RocksDB) handle, its threads and the parent's event loop is unsafe. A spawned child is a fresh
interpreter and builds everything itself: its own read-only store handle, its own query worker
processes, answer cache, rate-limit buckets, metrics registry and rebuild watcher. Read-only
pyoxigraph handles in several processes on one directory are safe (that is what the query
workers already do), and every replica notices a `kg build` swap on its own.

Why only read-only: in write mode the writable handle, the write lock, the snapshots and the
store version live in one process (kg.query.service); RocksDB admits one writer per directory.
So N > 1 with a write token is refused (one writer; scale reads with read-only replicas).

The default of `kg serve` without a write token (`--replicas auto`, see `auto_replicas`): one
replica per usable CPU, at most MAX_AUTO_REPLICAS. Why the default and not an option to find:
the Rust servers use every core with threads; one Python process cannot (measured on 2 cores,
point lookups at concurrency 8: one process 0.17-0.22x Oxigraph's requests/s, two 0.27-0.36x;
bench/results/sparql.md). The price is memory: each replica has its own store handle, answer
cache and query workers (on the real graph about 300 MiB RSS per replica with its two workers).

Shared by the group, through a directory the supervisor makes for it (Settings.group_dir):
* `/metrics`: each replica publishes its metrics there, and the replica that answers a scrape
  merges them (counters and histograms summed, gauges per replica with a `replica` label;
  kg.serve.sharedmetrics);
* the per-client rate limit: one table of token buckets mapped by every replica
  (kg.serve.sharedlimits), so a client gets the configured rate whichever replicas its
  connections land on.

Per process, by design:
* `/health` and `/ready` describe the replica that answered the request;
* the answer cache: each replica warms its own.
Every response carries `X-Hilfenetz-Replica: <index>` (0 … N-1) so an operator, a load test or a
test can see which replica answered.

Supervision: a child that dies after it started serving is replaced (with a growing delay if it
keeps dying early); a child that fails while starting up (exit code 3, uvicorn's
STARTUP_FAILURE: the store or the app is broken) stops the whole group, because every restart
would fail the same way. SIGTERM or SIGINT to the parent stops every replica gracefully
(in-flight requests finish, query workers stop), then kills what is left after a grace period.
The children ask the kernel for SIGTERM when the parent dies (Linux `PR_SET_PDEATHSIG`), so even
a parent killed with SIGKILL leaves no orphaned servers.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import multiprocessing as mp
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from kg import allocator
from kg.config import Settings
from kg.errors import ReplicaError
from kg.serve.sharedlimits import SharedTokenBuckets
from kg.serve.sharedmetrics import SharedMetrics
from kg.store.embedded import pid_alive
from kg.web.metrics import MetricsRegistry

#: Exit code of a child whose app or server could not start (uvicorn.config.STARTUP_FAILURE).
STARTUP_FAILURE = 3
#: Response header naming the replica that answered (its index, 0 … N-1).
REPLICA_HEADER = "X-Hilfenetz-Replica"
#: A child that dies within this many seconds of its start counts as dying early (backoff grows).
EARLY_DEATH_S = 10.0
#: Longest delay between restarts of a replica that keeps dying early.
MAX_RESTART_DELAY_S = 30.0
#: Backlog of the shared listening socket (uvicorn's default).
BACKLOG = 2048
#: prctl(2) options (linux/prctl.h).
PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36


def check_replicas(settings: Settings, replicas: int) -> None:
    """Raise ReplicaError unless `replicas` server processes may serve `settings`' store."""
    if replicas < 1:
        raise ReplicaError(
            f"--replicas must be at least 1, not {replicas}. / --replicas muss mindestens 1 sein, nicht {replicas}."
        )
    if replicas > 1 and settings.writable:
        raise ReplicaError(
            f"{replicas} replicas refused: with a write token only one process may hold the writable store "
            "(one writer). Serve writes from one process and scale reads with read-only replicas "
            "(kg serve --replicas N without a write token). / "
            f"{replicas} Replikate abgelehnt: mit Schreib-Token darf nur ein Prozess den Store schreibend "
            "öffnen (ein Schreiber). Schreibzugriffe über einen Prozess bedienen, Lesezugriffe mit "
            "schreibgeschützten Replikaten skalieren (kg serve --replicas N ohne Schreib-Token)."
        )


#: Most replicas `--replicas auto` starts (more is a deliberate `--replicas N`: each costs memory).
MAX_AUTO_REPLICAS = 4


def usable_cpus(cgroup_file: Path = Path("/proc/self/cgroup"), cgroup_root: Path = Path("/sys/fs/cgroup")) -> int:
    """CPUs this process may use, at least 1: its affinity mask (e.g. a container's cpuset), and
    no more than its cgroup's CPU quota rounded up (`docker run --cpus 2`, a Kubernetes CPU
    limit), which the affinity mask does not show."""
    try:
        cpus = max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        cpus = max(1, os.cpu_count() or 1)
    quota = cgroup_cpu_quota(cgroup_file, cgroup_root)
    if quota is not None:
        cpus = min(cpus, max(1, math.ceil(quota)))
    return cpus


def cgroup_cpu_quota(cgroup_file: Path = Path("/proc/self/cgroup"),
                     cgroup_root: Path = Path("/sys/fs/cgroup")) -> float | None:
    """The CPU quota of this process's cgroup in CPUs (quota ÷ period), or None without one.

    cgroup v2: `cpu.max` ("max 100000" = none, "200000 100000" = 2 CPUs); v1: the `cpu`
    controller's `cpu.cfs_quota_us` (-1 = none) and `cpu.cfs_period_us`. The cgroup's own
    directory is tried first, then the mount's root (inside a container's cgroup namespace the
    path in /proc/self/cgroup is often `/`, or not mounted at all)."""
    try:
        lines = cgroup_file.read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        hierarchy, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        rel = path.lstrip("/")
        if hierarchy == "0" and controllers == "":  # v2
            for base in (cgroup_root / rel, cgroup_root):
                try:
                    limit, period = (base / "cpu.max").read_text().split()[:2]
                except (OSError, ValueError):
                    continue
                return None if limit == "max" else _ratio(limit, period)
        elif "cpu" in controllers.split(","):  # v1
            mount = cgroup_root / controllers
            if not mount.exists():
                mount = cgroup_root / "cpu"
            for base in (mount / rel, mount):
                try:
                    quota = (base / "cpu.cfs_quota_us").read_text().strip()
                    period = (base / "cpu.cfs_period_us").read_text().strip()
                except OSError:
                    continue
                return None if quota.startswith("-") else _ratio(quota, period)
    return None


def _ratio(quota: str, period: str) -> float | None:
    try:
        q, p = float(quota), float(period)
    except ValueError:
        return None
    return q / p if q > 0 and p > 0 else None


def auto_replicas(settings: Settings, cpus: int | None = None) -> tuple[int, str]:
    """The replica count of `--replicas auto`, and why, for the start-up line.

    With a write token one process (one writer); else one per usable CPU, at most
    MAX_AUTO_REPLICAS."""
    if settings.writable:
        return 1, "writes enabled: one process"
    cpus = usable_cpus() if cpus is None else max(1, cpus)
    count = min(cpus, MAX_AUTO_REPLICAS)
    capped = f", at most {MAX_AUTO_REPLICAS}" if cpus > MAX_AUTO_REPLICAS else ""
    return count, f"one per usable CPU: {cpus} CPU{'s' if cpus > 1 else ''}{capped}"


#: How the replicas share the port: "reuseport" (own socket each, SO_REUSEPORT) or "shared".
ACCEPT_MODES = ("reuseport", "shared")


def default_accept_mode() -> str:
    """SO_REUSEPORT spreads connections over the replicas on Linux; elsewhere share one socket."""
    return "reuseport" if sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT") else "shared"


def bind_socket(host: str, port: int, *, reuseport: bool = False, listen: bool = True) -> socket.socket:
    """Bind `host:port` (and listen unless `listen` is false). With `reuseport`, other sockets of
    this user may bind the same address; the kernel spreads connections over the listening ones."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuseport:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        if listen:
            sock.listen(BACKLOG)
        sock.set_inheritable(True)
    except OSError:
        sock.close()
        raise
    return sock


# --------------------------------------------------------------------------------------------
# child side


class ReplicaHeader:
    """ASGI wrapper that adds `X-Hilfenetz-Replica: <index>` to every HTTP response."""

    def __init__(self, app: Any, index: int) -> None:
        self.app = app
        self.header = (REPLICA_HEADER.lower().encode("latin-1"), str(index).encode("latin-1"))

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: Any) -> None:
            if message.get("type") == "http.response.start":
                message = dict(message)
                message["headers"] = [*message.get("headers", []), self.header]
            await send(message)

        await self.app(scope, receive, send_with_header)


def _die_with_parent(parent_pid: int) -> None:
    """Linux: get SIGTERM when the supervisor dies, so a killed parent leaves no orphans."""
    if not _prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM)):
        return
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)


def _prctl(option: int, value: int) -> bool:
    """Linux prctl(2); False where it is not available."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0) == 0
    except Exception:  # noqa: BLE001
        return False


def _report_ready(server: Any, conn: Connection) -> None:
    """Tell the parent once uvicorn serves (lifespan done: store open, query workers up)."""
    while not server.started and not server.should_exit:
        time.sleep(0.05)
    if server.started:
        with contextlib.suppress(Exception):
            conn.send(os.getpid())
    with contextlib.suppress(Exception):
        conn.close()


def _child_main(settings: Settings, sock: socket.socket | None, index: int, log_level: str,
                ready: Connection, parent_pid: int) -> None:
    """One replica: its own app (store handle, query workers, caches), serving on the shared
    socket, or (`sock` None) on a socket of its own bound with SO_REUSEPORT."""
    _die_with_parent(parent_pid)
    if sock is None:
        try:
            sock = bind_socket(settings.host, settings.port, reuseport=True)
        except OSError as exc:
            print(f"kg serve: replica {index} cannot listen on {settings.host}:{settings.port}: {exc}",
                  file=sys.stderr, flush=True)
            sys.exit(STARTUP_FAILURE)
    # here, in the replica, not at the top: the supervising process never builds an app, and
    # FastAPI with every route costs it ~2.5 s to import
    import uvicorn

    from kg.web.app import create_app

    try:
        app = create_app(replace(settings, replica=index), group=GroupDirectory(settings.group_dir, index))
    except Exception:  # noqa: BLE001 - report and tell the parent not to restart us
        traceback.print_exc()
        print(f"kg serve: replica {index} could not start / Replikat {index} konnte nicht starten",
              file=sys.stderr, flush=True)
        sys.exit(STARTUP_FAILURE)
    config = uvicorn.Config(ReplicaHeader(app, index), log_level=log_level, access_log=False, lifespan="on",
                            host=settings.host, port=settings.port)
    server = uvicorn.Server(config)
    threading.Thread(target=_report_ready, args=(server, ready), name="replica-ready", daemon=True).start()
    server.run(sockets=[sock])  # exits with STARTUP_FAILURE itself if the lifespan start fails


def serve_one(settings: Settings, log_level: str, banner: str) -> int:
    """`kg serve --replicas 1`: the app in this process, on uvicorn, until SIGTERM/SIGINT; `banner`
    is printed to stderr once the app (store, workers) is made. The web app and uvicorn are imported
    here, as in `_child_main`, not with this module: kg.cli imports every command at start, and
    fastapi made every `kg` command (even `kg --help`) take about 0.35 s more CPU (0.48 → 0.84 s,
    python -X importtime on the 2-core CI machine)."""
    import uvicorn

    from kg.web.app import create_app

    app = create_app(settings)
    print(banner, file=sys.stderr)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=log_level, access_log=False)
    return 0


# --------------------------------------------------------------------------------------------
# parent side


@dataclass(eq=False)
class _Slot:
    """One replica position: the current process for index `index` and its restart history."""

    index: int
    process: Any = None
    ready_conn: Connection | None = None
    ready: bool = False
    started_at: float = 0.0
    early_deaths: int = 0
    restart_at: float | None = None  # when a dead replica is due to be started again
    pids: list[int] = field(default_factory=list)  # every PID this slot had (for the log)


def _say(message: str) -> None:
    print(f"kg serve: {message}", file=sys.stderr, flush=True)


def descendants(pid: int) -> list[int]:
    """PIDs of every process below `pid` (Linux /proc; empty elsewhere)."""
    children: dict[int, list[int]] = {}
    proc = Path("/proc")
    if not proc.is_dir():
        return []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    out: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


class Supervisor:
    """Starts `replicas` children on one socket, replaces dead ones, stops all on SIGTERM/SIGINT."""

    def __init__(self, settings: Settings, sock: socket.socket, replicas: int, log_level: str,
                 grace: float | None = None, accept: str = "shared") -> None:
        self.settings = settings
        self.sock = sock  # listening (shared) or only bound, holding the address (reuseport)
        self.accept = accept
        self.log_level = log_level
        self.slots = [_Slot(i) for i in range(replicas)]
        # graceful stop: in-flight queries may run up to the query deadline
        self.grace = grace if grace is not None else settings.timeout + 5.0
        self._ctx = mp.get_context("spawn")
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self._stop_signal: int | None = None
        self._subreaper = False
        self.exit_code = 0

    # signals -------------------------------------------------------------------------------

    def _on_signal(self, signum: int, _frame: Any) -> None:
        self._stop_signal = signum
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"x")

    # children ------------------------------------------------------------------------------

    def _start(self, slot: _Slot) -> None:
        ready_r, ready_w = self._ctx.Pipe(duplex=False)
        proc = self._ctx.Process(
            target=_child_main,
            args=(self.settings, self.sock if self.accept == "shared" else None, slot.index, self.log_level,
                  ready_w, os.getpid()),
            name=f"kg-replica-{slot.index}",
            daemon=False,  # a replica starts its own query worker processes
        )
        with allocator.for_children(allocator.library()):  # a replica answers lookups itself
            proc.start()
        ready_w.close()
        slot.process, slot.ready_conn, slot.ready = proc, ready_r, False
        slot.started_at, slot.restart_at = time.monotonic(), None
        slot.pids.append(proc.pid)

    def _reap(self, slot: _Slot) -> None:
        """The child of `slot` exited: decide between stopping everything and a restart."""
        proc = slot.process
        proc.join(timeout=1)
        code = proc.exitcode
        lived = time.monotonic() - slot.started_at
        for pid in descendants(proc.pid):  # query workers of a killed replica
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        if slot.ready_conn is not None:
            slot.ready_conn.close()
            slot.ready_conn = None
        slot.process = None
        if code == STARTUP_FAILURE and not slot.ready:
            _say(f"replica {slot.index} (pid {proc.pid}) failed to start; stopping all replicas / "
                 f"Replikat {slot.index} konnte nicht starten; alle Replikate werden beendet")
            self.exit_code = 1
            self._stop_signal = self._stop_signal or -1
            return
        slot.early_deaths = slot.early_deaths + 1 if lived < EARLY_DEATH_S else 0
        delay = 0.0 if slot.early_deaths <= 1 else min(MAX_RESTART_DELAY_S, 0.5 * 2 ** (slot.early_deaths - 1))
        slot.restart_at = time.monotonic() + delay
        _say(f"replica {slot.index} (pid {proc.pid}) exited with {code} after {lived:.0f} s; "
             f"restarting it in {delay:g} s")

    def _kill_strays(self) -> None:
        """Kill and reap orphaned query workers of a dead replica. The supervisor is a child
        subreaper, so they become its children instead of init's; idle ones exit by themselves
        when their replica's pipe closes, but one busy with a long query would run on."""
        if not self._subreaper:
            return
        mine = {s.process.pid for s in self.slots if s.process is not None}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) in mine:
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                cmd = (entry / "cmdline").read_bytes()
            except (OSError, IndexError, ValueError):
                continue
            if int(fields[1]) != os.getpid() or b"resource_tracker" in cmd:
                continue  # not ours, or multiprocessing's resource tracker
            pid = int(entry.name)
            if fields[0] != "Z":
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)

    # main loop -----------------------------------------------------------------------------

    def run(self) -> int:
        old = {s: signal.signal(s, self._on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        self._subreaper = _prctl(PR_SET_CHILD_SUBREAPER, 1)
        try:
            for slot in self.slots:
                self._start(slot)
            self._loop()
        finally:
            self._stop_all()
            for s, handler in old.items():
                signal.signal(s, handler)
            os.close(self._wake_r)
            os.close(self._wake_w)
            self.sock.close()
        return self.exit_code

    def _loop(self) -> None:
        announced = False
        while self._stop_signal is None:
            now = time.monotonic()
            for slot in self.slots:
                if slot.process is None and slot.restart_at is not None and slot.restart_at <= now:
                    self._start(slot)
            waits = [s.restart_at - now for s in self.slots if s.process is None and s.restart_at is not None]
            timeout = max(0.0, min([1.0, *waits]))
            handles: dict[Any, tuple[str, _Slot]] = {}
            for slot in self.slots:
                if slot.process is not None:
                    handles[slot.process.sentinel] = ("exit", slot)
                    if slot.ready_conn is not None:
                        handles[slot.ready_conn] = ("ready", slot)
            for obj in wait([self._wake_r, *handles], timeout=timeout):
                if obj == self._wake_r:
                    with contextlib.suppress(OSError):
                        os.read(self._wake_r, 64)
                    continue
                kind, slot = handles[obj]
                if kind == "ready":
                    try:
                        slot.ready_conn.recv()  # type: ignore[union-attr]
                        slot.ready = True
                    except (EOFError, OSError):
                        pass  # the child ended before serving; its sentinel tells why
                    if slot.ready_conn is not None:
                        slot.ready_conn.close()
                        slot.ready_conn = None
                elif slot.process is not None:
                    self._reap(slot)
                    self._kill_strays()
            if not announced and all(s.ready for s in self.slots):
                announced = True
                pids = ", ".join(str(s.process.pid) for s in self.slots if s.process is not None)
                _say(f"{len(self.slots)} replicas serving {self.settings.endpoint_url()} (pids {pids}; "
                     f"accept: {self.accept})")

    def _stop_all(self) -> None:
        """SIGTERM every replica (graceful), wait up to `grace` seconds, then SIGKILL the rest
        and their query workers."""
        running = [s.process for s in self.slots if s.process is not None]
        tree = {p.pid: descendants(p.pid) for p in running}
        for p in running:
            with contextlib.suppress(ProcessLookupError):
                os.kill(p.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        for p in running:
            p.join(timeout=max(0.0, deadline - time.monotonic()))
        for p in running:
            if p.is_alive():
                _say(f"replica pid {p.pid} did not stop within {self.grace:g} s; killing it")
                p.kill()
                p.join(timeout=5)
            for pid in tree.get(p.pid, []) + descendants(p.pid):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
        for slot in self.slots:
            slot.process = None
        self._kill_strays()
        for slot in self.slots:
            if slot.ready_conn is not None:
                slot.ready_conn.close()
                slot.ready_conn = None
            slot.process = None


def _without_credentials(url: str) -> str:
    """A store URL fit for a log line: no user:password@, no query string."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = (f"[{host}]" if ":" in host else host) + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


#: Group directories are `{tempdir}/hilfenetz-group-{supervisor PID}-{random}`.
GROUP_DIR_PREFIX = "hilfenetz-group-"


class GroupDirectory:
    """The services a replica shares with its group through the group directory: one table of
    rate-limit buckets (kg.serve.sharedlimits) and one merged /metrics (kg.serve.sharedmetrics).
    Given to kg.web.app.create_app, which knows them only by this shape."""

    def __init__(self, directory: Path | None, index: int) -> None:
        if directory is None:
            raise ReplicaError("a replica needs the group directory its supervisor made")
        self.directory = Path(directory)
        self.index = index

    def rate_buckets(self, rate: float, burst: int) -> SharedTokenBuckets:
        return SharedTokenBuckets(self.directory, rate, burst)

    def shared_metrics(self, registry: MetricsRegistry) -> SharedMetrics:
        return SharedMetrics(self.directory, str(self.index), registry)


def remove_stale_group_dirs(root: Path | None = None) -> list[Path]:
    """Remove the group directories (metrics snapshots, the 2 MiB rate-limit table) of
    supervisors that are gone, and return them.

    Why: a supervisor stopped gracefully removes its own, but one killed with SIGKILL cannot;
    without this every such kill would leave a directory in /tmp for good. Only this user's
    directories whose supervisor PID no longer exists are touched (a reused PID keeps its
    directory: harmless, and never a live group's)."""
    root = Path(root) if root is not None else Path(tempfile.gettempdir())
    removed: list[Path] = []
    for entry in root.glob(GROUP_DIR_PREFIX + "*"):
        pid_text = entry.name[len(GROUP_DIR_PREFIX):].split("-", 1)[0]
        try:
            if not pid_text.isdigit() or not entry.is_dir() or entry.stat().st_uid != os.getuid():
                continue
        except OSError:
            continue
        if pid_alive(int(pid_text)):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        if not entry.exists():
            removed.append(entry)
    return removed


def run_replicas(settings: Settings, replicas: int, log_level: str = "info", accept: str | None = None) -> int:
    """Serve `settings` with `replicas` server processes on one address until SIGTERM/SIGINT.

    `accept`: "reuseport" or "shared" (see the module docstring; default: reuseport on Linux).
    Returns the exit status: 0 after a signal, 1 if the address cannot be bound or a replica fails
    to start, 2 if the replica count is refused (write mode with more than one replica)."""
    try:
        check_replicas(settings, replicas)
    except ReplicaError as exc:
        _say(str(exc))
        return 2
    accept = accept or default_accept_mode()
    if accept not in ACCEPT_MODES:
        _say(f"unknown accept mode {accept!r} (one of {', '.join(ACCEPT_MODES)})")
        return 2
    settings = settings.resolved()
    try:
        sock = bind_socket(settings.host, settings.port, reuseport=accept == "reuseport", listen=accept == "shared")
    except OSError as exc:
        _say(f"cannot listen on {settings.host}:{settings.port}: {exc} / "
             f"kann nicht auf {settings.host}:{settings.port} lauschen: {exc}")
        return 1
    if settings.port == 0:  # the kernel chose the port: name the real one in service descriptions
        settings = replace(settings, port=int(sock.getsockname()[1]))
    mp.allow_connection_pickling()
    url = getattr(settings, "store_url", None)  # a remote store (kg.store.remote), if set
    store = _without_credentials(url) if url else settings.store_path
    # the replicas publish their metrics here (so any of them can answer /metrics for all) and
    # keep the per-client rate limit in one table
    for stale in remove_stale_group_dirs():
        _say(f"removed {stale}, left behind by a supervisor that is gone")
    group_dir = Path(tempfile.mkdtemp(prefix=f"{GROUP_DIR_PREFIX}{os.getpid()}-"))
    _say(f"starting {replicas} replica(s) on {settings.host}:{settings.port} over {store} "
         f"(read-only; allocator {allocator.describe(allocator.library())}; /health and /ready per replica, "
         f"/metrics and the rate limit of all, shared through {group_dir})")
    try:
        return Supervisor(replace(settings, group_dir=group_dir), sock, replicas, log_level,
                          accept=accept).run()
    finally:
        shutil.rmtree(group_dir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """`python -m kg.serve.replicas STORE PORT N [--rate-limit R] [--no-cache] [--workers W]`:
    run replicas without the main CLI (the benchmark and the tests use it)."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m kg.serve.replicas")
    ap.add_argument("store", type=Path)
    ap.add_argument("port", type=int)
    ap.add_argument("replicas", type=int)
    ap.add_argument("--host", default=None)
    ap.add_argument("--project", type=Path, default=None)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--timeout", type=float, default=None)
    ap.add_argument("--rate-limit", type=float, default=None)
    ap.add_argument("--no-cache", action="store_true", help="answer cache off")
    ap.add_argument("--store-url", default=None, help="remote SPARQL store (if the remote backend is installed)")
    ap.add_argument("--write-token-env", default=None)
    ap.add_argument("--log-level", default="warning")
    ap.add_argument("--accept", choices=ACCEPT_MODES, default=None,
                    help="reuseport: a socket per replica (default on Linux); shared: one socket")
    args = ap.parse_args(argv)
    # the environment fills what the options leave open (kg.config), as for `kg serve`
    settings = Settings.from_sources(
        {"host": args.host, "workers": args.workers, "timeout": args.timeout, "rate_limit": args.rate_limit,
         "cache_entries": 0 if args.no_cache else None, "write_token_env": args.write_token_env},
        store_path=args.store, project_root=args.project, port=args.port, store_url=args.store_url,
        warm_caches=False,
    )
    return run_replicas(settings, args.replicas, args.log_level, accept=args.accept)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
