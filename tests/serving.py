"""The one place the tests start hilfenetz servers on 127.0.0.1, in two ways:

* in this process: `serve_app` runs any ASGI app in a real uvicorn server in a thread, and
  `serve_kg` does so for the service's own app (`make_app`: `create_app` over a store). Why a
  thread: those tests need the app object (to mount extra routers or read its state).
* as a subprocess: `start_server` runs `python -m kg.cli serve` (what users start) and returns a
  `Server`; `stop_server` ends it. Why a subprocess: tests that kill the server, its workers or its
  replicas, or watch its processes' memory, need it in a process of its own.

Other programs' servers (the Oxigraph server of tests/store/remote) stay with their tests.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve_app(app: Any, port: int | None = None, name: str = "test-uvicorn") -> Iterator[str]:
    """Serve `app` until the block ends; yield its base URL. Raises if uvicorn does not start."""
    port = port or free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            thread.join(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join()


def copy_project(source: Path, dst: Path) -> Path:
    """A copy of a project root (ontology/, data/ without data/contributions/, queries/,
    pyproject.toml) for a writable server or a build: approvals keep their files under the
    server's project root (kg.graph.kept), which must never be the checkout or a fixture folder."""
    import shutil

    dst.mkdir(parents=True, exist_ok=True)
    for d in ("ontology", "data", "queries"):
        if (source / d).is_dir():
            shutil.copytree(source / d, dst / d, ignore=shutil.ignore_patterns("contributions"))
    if (source / "pyproject.toml").is_file():
        shutil.copy(source / "pyproject.toml", dst)
    return dst


def make_app(store: Path, port: int = 0, *, project_root: Path = PROJECT_ROOT, **settings_kw: Any) -> Any:
    """The service's app (`kg.web.app.create_app`) over `store`; nothing runs until it is served."""
    from kg.config import Settings
    from kg.web.app import create_app

    return create_app(Settings(store_path=store, project_root=project_root, host="127.0.0.1", port=port,
                               **settings_kw))


@contextmanager
def serve_kg(store: Path, *, name: str = "kg-test-uvicorn", **settings_kw: Any) -> Iterator[str]:
    """The service's app over `store` in a real uvicorn server on a free port; yields its base URL."""
    port = free_port()
    with serve_app(make_app(store, port, **settings_kw), port, name=name) as url:
        yield url


@dataclass
class Server:
    """A running `kg serve` subprocess."""

    url: str
    process: subprocess.Popen[bytes]
    store: Path
    log: Path
    token: str | None = None

    @property
    def sparql(self) -> str:
        return self.url + "/sparql"

    @property
    def gsp(self) -> str:
        return self.url + "/store"

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def worker_pids(self) -> set[int]:
        """PIDs of the server's worker processes (children started by multiprocessing spawn)."""
        pids: set[int] = set()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                cmd = (entry / "cmdline").read_bytes()
            except (OSError, IndexError, ValueError):
                continue
            if ppid == self.process.pid and b"spawn_main" in cmd:
                pids.add(int(entry.name))
        return pids


def start_server(store: Path, log_dir: Path, *args: str, token: str | None = None, timeout: float = 30,
                 extra_env: dict[str, str] | None = None) -> Server:
    """Start `python -m kg.cli serve` and wait until it answers."""
    port = free_port()
    log = log_dir / f"server-{port}.log"
    env = dict(os.environ)
    env.pop("HILFENETZ_WRITE_TOKEN", None)
    env.update(extra_env or {})
    if "--replicas" not in args:
        # one server process, whose query workers are its children (worker_pids): the fixtures
        # test the service's behaviour; the replicated default has its own tests (test_replicas)
        args = ("--replicas", "1", *args)
    cmd = [sys.executable, "-m", "kg.cli", "serve", "--store", str(store), "--port", str(port),
           "--no-build", "--log-level", "warning", *args]
    if token:
        env["KG_TEST_TOKEN"] = token
        cmd += ["--write-token-env", "KG_TEST_TOKEN"]
    with open(log, "wb") as fh:  # the server has its own descriptor for it; ours is closed at once
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text()}")
        try:
            r = httpx.get(url + "/sparql", params={"query": "ASK {}"}, timeout=2)
            if r.status_code == 200:
                return Server(url, proc, store, log, token)
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    stop_server(proc)
    raise RuntimeError(f"server did not come up:\n{log.read_text()}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
