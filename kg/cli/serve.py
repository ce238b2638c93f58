"""`kg serve`: build the graph if needed, then serve it with uvicorn (one process or replicas).

Why the build-if-missing step: `kg serve` is the README's one command on a fresh clone. Every
option is generated from the settings table (kg.config); the write token is read from an
environment variable only (HILFENETZ_WRITE_TOKEN, or the one --write-token-env names), never from
argv, where other users could see it in `ps`.
"""

from __future__ import annotations

import argparse
import hashlib
import sys

from kg import allocator
from kg.cli.common import add_settings, project, remote_store, store_path
from kg.config import Settings, resolve
from kg.errors import KgError
from kg.graph.build import build
from kg.serve.replicas import ReplicaError, auto_replicas, check_replicas, run_replicas, serve_one
from kg.store.remote import redact


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `kg serve`: its options are the table's rows for "serve"."""
    p = sub.add_parser(
        "serve",
        help="serve the graph over SPARQL (builds it first if the store does not exist)",
        description="Serve the knowledge graph: SPARQL 1.1 Query Protocol at /sparql, "
        "and with a write token also SPARQL Update and the Graph Store Protocol at /store. "
        "Every option can also be set in the environment where the table says so "
        "(docs/configuration.md); an option given here wins.",
    )
    add_settings(p, "serve", metavar={"store": "PATH|URL"},
                 store="a URL is served read-only, e.g. http://127.0.0.1:7878/query (Oxigraph server) or "
                       "http://127.0.0.1:3030/ds/query (Fuseki)")
    p.set_defaults(func=run)


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Settings from the parsed options and the environment (kg.config.Settings.from_sources)."""
    root = project(args)
    store_url = remote_store(args)
    if store_url is not None:
        # not a store: where the downloads cache of the remote's dumps goes (var/.remote-….downloads)
        store = root / "var" / f"remote-{hashlib.sha256(store_url.encode()).hexdigest()[:12]}"
    else:
        store = store_path(args).resolve()
    settings = Settings.from_sources(vars(args), store_path=store, store_url=store_url, project_root=root)
    if store_url and settings.writable:
        raise KgError(
            "writes are not offered over a remote store (the server cannot validate and commit "
            "in one transaction on a store it does not control); serve it read-only and publish with "
            "`kg build --store URL`. / Über einem entfernten Store gibt es keine Schreibzugriffe; "
            "Daten mit `kg build --store URL` veröffentlichen. (Unset the write token / Schreib-Token entfernen.)")
    return settings


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
        raise KgError(f"no store at {store} (run `kg build`)")
    if settings.project_root is None:
        raise KgError("no store and no project root to build it from")
    print(f"kg serve: no store at {store}; building it from {settings.project_root} …", file=sys.stderr)
    build(settings.project_root, store)


def run(args: argparse.Namespace) -> int:
    """Entry point of `kg serve`."""
    lib = allocator.library()
    if getattr(args, "from_command_line", False):
        allocator.reexec_with(lib)  # returns only if it need not (or cannot) re-execute
    settings = settings_from_args(args)
    replicas_arg = resolve("replicas", args.replicas)
    if replicas_arg == "auto":
        replicas, why = auto_replicas(settings)
        print(f"kg serve: {replicas} server process{'es' if replicas > 1 else ''} "
              f"(--replicas auto, {why}; --replicas N to choose)", file=sys.stderr)
    else:
        replicas = int(replicas_arg)
    if replicas != 1:
        try:  # before building: a refused combination must not cost a build first
            check_replicas(settings, replicas)
        except ReplicaError as exc:
            print(f"kg serve: {exc}", file=sys.stderr)
            return 2  # a usage error, as argparse answers one
    ensure_store(settings, build_allowed=not args.no_build)
    log_level = resolve("log_level", args.log_level)
    if replicas > 1:
        return int(run_replicas(settings, replicas, log_level))
    mode = "read-write (token required)" if settings.writable else "read-only"
    if settings.remote:
        mode += f", remote store {redact(settings.store_url or '')}"
    return serve_one(settings, log_level, f"kg serve: {settings.endpoint_url()} ({mode}, timeout "
                                          f"{settings.timeout:g} s, allocator {allocator.describe(lib)})")
