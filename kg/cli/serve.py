"""`kg serve`: build the graph if needed, then serve it with uvicorn.

Why the build-if-missing step: `kg serve` is the README's one command on a fresh clone. The
write token is read from an environment variable only (`--write-token-env NAME`, default
HILFENETZ_WRITE_TOKEN), never from argv, where other users could see it in `ps`.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
from pathlib import Path

from kg.config import WRITE_TOKEN_ENV, Settings, token_from_env
from kg.store import is_remote


def _default_project() -> Path:
    """The project root as the main CLI finds it (falls back to the current directory)."""
    try:
        from kg.cli import find_project_root

        return find_project_root()
    except Exception:  # noqa: BLE001 - the main CLI is optional here
        return Path.cwd()


def _default_store(project: Path) -> Path:
    """The store the main CLI's `kg build` writes: $HILFENETZ_STORE, else ./var/store."""
    try:
        from kg.cli import default_store

        return default_store()
    except Exception:  # noqa: BLE001
        return project / "var" / "store"


def add_serve_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Register `kg serve` on the main CLI's subparsers."""
    p = subparsers.add_parser(
        "serve",
        help="serve the graph over SPARQL (builds it first if the store does not exist)",
        description="Serve the knowledge graph: SPARQL 1.1 Query Protocol at /sparql, "
        "and with a write token also SPARQL Update and the Graph Store Protocol at /store.",
    )
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS",
                   help="query deadline in seconds; a query past it is stopped (default 30)")
    p.add_argument("--project", type=Path, default=None,
                   help="project root with ontology/ and data/ (default: found from the current directory)")
    p.add_argument("--store", default=None, metavar="PATH|URL",
                   help="store directory (default: $HILFENETZ_STORE or ./var/store, as for `kg build`), or "
                        "the query endpoint URL of a SPARQL 1.1 server to serve from (read-only; see "
                        "docs/remote-store.md), e.g. http://127.0.0.1:7878/query (Oxigraph server) or "
                        "http://127.0.0.1:3030/ds/query (Fuseki)")
    p.add_argument("--replicas", type=_replicas_arg, default="auto", metavar="N|auto",
                   help="server processes sharing the port (read-only). Default auto: one per usable CPU "
                        "(affinity mask and cgroup CPU quota), at most 4, and one with a write token; "
                        "1 = a single process")
    p.add_argument("--workers", type=int, default=2, help="query worker processes (default 2)")
    p.add_argument("--max-rows", type=int, default=100_000, help="largest answer in rows/triples")
    p.add_argument("--inline-max-rows", type=int, default=2000, metavar="N",
                   help="read-only embedded store: answer a query of one triple pattern with at most N "
                        "rows in the server process instead of a worker (0 = always use a worker; default 2000)")
    p.add_argument("--max-result-bytes", type=int, default=64 * 1024 * 1024, help="largest answer in bytes")
    p.add_argument("--stream-after-bytes", type=int, default=1024 * 1024, metavar="N",
                   help="stream SELECT answers to the client in parts of N bytes once they reach that size, "
                        "while the query still runs (0 = send every answer whole; default 1048576)")
    p.add_argument("--cache-entries", type=int, default=2048, metavar="N",
                   help="answers kept in the answer cache, keyed by query, format and graph version "
                        "(0 = no answer cache; default 2048)")
    p.add_argument("--max-body-bytes", type=int, default=16 * 1024 * 1024, help="largest request body in bytes")
    p.add_argument("--write-token-env", default=None, metavar="NAME",
                   help=f"enable writes with the bearer token in environment variable NAME "
                        f"(default: {WRITE_TOKEN_ENV} if set)")
    p.add_argument("--public-base-url", default=None, help="base URL the service is reachable at")
    p.add_argument("--allow-service", action="append", default=[], metavar="HOST",
                   help="host that SERVICE/LOAD may contact (repeatable; default: none)")
    p.add_argument("--watch-interval", type=float, default=5.0, metavar="SECONDS",
                   help="read-only mode: check this often whether `kg build` replaced the store, and "
                        "switch to the new one without a restart (0 = never; default 5)")
    p.add_argument("--no-build", action="store_true", help="do not build a missing store: fail, or with writes enabled start on an empty store")
    p.add_argument("--rate-limit", type=float, default=50.0, metavar="PER_SECOND",
                   help="requests per second per client before 429 (0 = off; default 50)")
    p.add_argument("--rate-burst", type=int, default=200, metavar="N", help="burst per client (default 200)")
    p.add_argument("--max-query-bytes", type=int, default=256 * 1024, metavar="N",
                   help="longest query accepted, in bytes (default 262144)")
    p.add_argument("--trusted-proxy", action="append", default=[], metavar="ADDRESS",
                   help="reverse proxy whose X-Forwarded-For names the client (repeatable)")
    p.add_argument("--no-warm", action="store_true",
                   help="do not precompute dumps and the dataset description in the background at start")
    p.add_argument("--log-level", default="info", help="uvicorn log level")
    p.set_defaults(func=run_serve)
    return p


def _replicas_arg(text: str) -> int | str:
    from kg.serve.replicas import parse_replicas

    return parse_replicas(text)


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Settings from parsed arguments (and the token from the environment)."""
    project = (args.project or _default_project()).resolve()
    store_url: str | None = None
    if args.store is not None and is_remote(str(args.store)):
        store_url = str(args.store)
        # not a store: where the downloads cache of the remote's dumps goes (var/.remote-….downloads)
        store = project / "var" / f"remote-{hashlib.sha256(store_url.encode()).hexdigest()[:12]}"
    else:
        store = (Path(args.store) if args.store is not None else _default_store(project)).resolve()
    token = token_from_env(args.write_token_env) if args.write_token_env else token_from_env(WRITE_TOKEN_ENV)
    if args.write_token_env and token is None:
        raise SystemExit(f"kg serve: environment variable {args.write_token_env} is empty or not set")
    if store_url and token:
        raise SystemExit(
            "kg serve: writes are not offered over a remote store (the server cannot validate and commit "
            "in one transaction on a store it does not control); serve it read-only and publish with "
            "`kg build --store URL`. / Über einem entfernten Store gibt es keine Schreibzugriffe; "
            "Daten mit `kg build --store URL` veröffentlichen. (Unset the write token / Schreib-Token entfernen.)")
    return Settings(
        store_path=store,
        store_url=store_url,
        project_root=project,
        host=args.host,
        port=args.port,
        timeout=args.timeout,
        max_result_rows=args.max_rows,
        inline_max_rows=args.inline_max_rows,
        stream_after_bytes=args.stream_after_bytes,
        cache_entries=max(0, args.cache_entries),
        max_result_bytes=args.max_result_bytes,
        max_body_bytes=args.max_body_bytes,
        write_token=token,
        service_allow=tuple(args.allow_service),
        public_base_url=args.public_base_url,
        workers=args.workers,
        watch_interval=args.watch_interval,
        warm_caches=not args.no_warm,
        rate_limit=args.rate_limit,
        rate_burst=args.rate_burst,
        max_query_bytes=args.max_query_bytes,
        trusted_proxies=tuple(args.trusted_proxy),
    )


def ensure_store(settings: Settings, build_allowed: bool = True) -> None:
    """Build the store from the project if it does not exist yet (never in remote mode: the
    remote is filled by `kg build --store URL`)."""
    if settings.remote:
        return
    store = settings.store_path
    if store.exists() and any(store.iterdir()):
        return
    if not build_allowed and settings.writable:
        return  # a writable server may start on an empty store (it is created on open)
    if not build_allowed:
        raise SystemExit(f"kg serve: no store at {store} (run `kg build`)")
    if settings.project_root is None:
        raise SystemExit("kg serve: no store and no project root to build it from")
    print(f"kg serve: no store at {store}; building it from {settings.project_root} …", file=sys.stderr)
    from kg.graph.build import build  # lazily: the build pulls in heavy dependencies

    build(settings.project_root, store)


def run_serve(args: argparse.Namespace) -> int:
    """Entry point of `kg serve`."""
    import uvicorn

    from kg import allocator
    from kg.web.app import create_app

    lib = allocator.library()
    if getattr(args, "from_command_line", False):
        allocator.reexec_with(lib)  # returns only if it need not (or cannot) re-execute
    settings = settings_from_args(args)
    replicas_arg = getattr(args, "replicas", 1)
    if replicas_arg == "auto":
        from kg.serve.replicas import auto_replicas

        replicas, why = auto_replicas(settings)
        print(f"kg serve: {replicas} server process{'es' if replicas > 1 else ''} "
              f"(--replicas auto, {why}; --replicas N to choose)", file=sys.stderr)
    else:
        replicas = int(replicas_arg)
    if replicas != 1:
        from kg.serve.replicas import ReplicaError, check_replicas, run_replicas

        try:  # before building: a refused combination must not cost a build first
            check_replicas(settings, replicas)
        except ReplicaError as exc:
            print(f"kg serve: {exc}", file=sys.stderr)
            return 2  # a usage error, as argparse answers one
    ensure_store(settings, build_allowed=not args.no_build)
    if replicas > 1:
        return int(run_replicas(settings, replicas, args.log_level))
    app = create_app(settings)
    mode = "read-write (token required)" if settings.writable else "read-only"
    if settings.remote:
        from kg.store.remote import redact

        mode += f", remote store {redact(settings.store_url or '')}"
    print(f"kg serve: {settings.endpoint_url()} ({mode}, timeout {settings.timeout:g} s, "
          f"allocator {allocator.describe(lib)})", file=sys.stderr)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=args.log_level, access_log=False)
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m kg.cli.serve …` works even without the main `kg` CLI."""
    parser = argparse.ArgumentParser(prog="kg")
    sub = parser.add_subparsers(dest="command", required=True)
    add_serve_parser(sub)
    args = parser.parse_args(argv)
    args.from_command_line = argv is None
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
