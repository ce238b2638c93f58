"""Server settings in one immutable dataclass, so the app, the workers and the CLI agree.

Why a dataclass and not environment lookups scattered around: tests create several servers
with different limits side by side, and every limit must be visible in one place.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

WRITE_TOKEN_ENV = "HILFENETZ_WRITE_TOKEN"


@dataclass(frozen=True)
class Settings:
    """Everything `create_app` needs. Paths are absolute after `resolved()`."""

    store_path: Path
    project_root: Path | None = None
    #: Remote mode: the query endpoint of a SPARQL 1.1 server to serve from instead of the
    #: embedded store at `store_path` (kg.store.remote). Read-only: no write token with it.
    store_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    #: Query deadline in seconds (per request a lower `timeout=` may be asked for).
    timeout: float = 30.0
    #: Upper bound of solutions (SELECT) or triples (CONSTRUCT/DESCRIBE) in one answer.
    max_result_rows: int = 100_000
    #: Upper bound of a serialised answer in bytes.
    max_result_bytes: int = 64 * 1024 * 1024
    #: Upper bound of a request body in bytes (queries, updates, uploaded graphs).
    max_body_bytes: int = 16 * 1024 * 1024
    #: Bearer token that enables SPARQL Update and the Graph Store Protocol; None = read-only.
    write_token: str | None = field(default=None, repr=False)
    #: Hosts that SERVICE and LOAD may contact (exact host names, lower case). Empty: none.
    service_allow: tuple[str, ...] = ()
    #: Base URL the service is reachable at (used in the service description, GSP graph IRIs).
    public_base_url: str | None = None
    #: Number of query worker processes.
    workers: int = 2
    #: How long a request may wait for a free worker before 503 + Retry-After (within its deadline).
    queue_timeout: float = 10.0
    #: Response cache size (number of entries, total bytes); 0 disables it.
    cache_entries: int = 2048
    cache_bytes: int = 128 * 1024 * 1024
    #: Largest single response body the cache keeps.
    cache_entry_max_bytes: int = 4 * 1024 * 1024
    #: Validate writes against the SHACL shapes stored in the shapes graph.
    validate_writes: bool = True
    #: Read-only mode: seconds between checks whether the store was rebuilt (0 = never).
    watch_interval: float = 5.0
    #: Requests per second and burst per client IP (kg.web.limits; 0 = no rate limit).
    rate_limit: float = 50.0
    rate_burst: int = 200
    #: Longest query in bytes (GET query string, direct application/sparql-query body); 0 = none.
    max_query_bytes: int = 256 * 1024
    #: Reverse proxies whose X-Forwarded-For names the client (for the rate limit).
    trusted_proxies: tuple[str, ...] = ()
    #: Precompute dumps, dataset description and JSON-LD context in the background at start
    #: (kg serve does; tests leave it off to save CPU).
    warm_caches: bool = False
    #: Read-only embedded store: a query of one triple pattern (kg.sparql.text.
    #: is_single_pattern) whose answer has at most this many rows and `inline_max_bytes`
    #: bytes is answered in the server process, without a worker (0 = never; see
    #: kg.query.execute.execute_inline). Larger answers go to a worker as every other query.
    inline_max_rows: int = 2000
    inline_max_bytes: int = 512 * 1024
    #: SELECT answers from a query worker are streamed to the client in parts of this many bytes
    #: once they reach that size (kg.web.routes.sparql.StreamedAnswer); smaller answers are sent
    #: whole, with an ETag. 0 = never stream. Why 1 MiB and not less: every part is one more
    #: message through the worker's pipe and the event loop; with 64 KiB, the benchmark's 2-hop
    #: joins (answers up to 535 KB) got 8 % fewer requests/s at concurrency 8 (228 vs 247/s,
    #: main process 0.96 vs 0.73 ms CPU per request), while a 22 MB answer still starts
    #: arriving after ~40 ms with 1 MiB (15 ms with 64 KiB, 0.55 s unstreamed).
    stream_after_bytes: int = 1024 * 1024
    #: `kg serve --replicas`: this replica's index, and the directory the supervisor made for the
    #: group: the replicas publish their metrics there for one merged /metrics
    #: (kg.serve.sharedmetrics) and keep their per-client rate limit there in one table
    #: (kg.serve.sharedlimits). None when the process serves alone.
    replica: int | None = None
    group_dir: Path | None = None

    @property
    def remote(self) -> bool:
        """Serving from a remote SPARQL store (`kg serve --store URL`)."""
        return bool(self.store_url)

    @property
    def inline_queries(self) -> bool:
        """Single-pattern queries may be answered in the server process: only over the embedded
        store opened read-only (no write can interleave; no network call in the event loop)."""
        return self.inline_max_rows > 0 and not self.remote and not self.writable

    @property
    def writable(self) -> bool:
        """Writes (update, graph store) are enabled only with a token."""
        return bool(self.write_token)

    def base_url(self) -> str:
        """Public base URL without trailing slash."""
        if self.public_base_url:
            return self.public_base_url.rstrip("/")
        host = self.host if ":" not in self.host else f"[{self.host}]"
        return f"http://{host}:{self.port}"

    def endpoint_url(self) -> str:
        """URL of the query endpoint, as named in the service description."""
        return self.base_url() + "/sparql"

    def resolved(self) -> Settings:
        """Copy with absolute paths and a lower-cased allow-list."""
        return replace(
            self,
            store_path=Path(self.store_path).expanduser().resolve(),
            project_root=Path(self.project_root).expanduser().resolve() if self.project_root else None,
            service_allow=tuple(sorted({h.strip().lower() for h in self.service_allow if h.strip()})),
        )


def token_from_env(name: str = WRITE_TOKEN_ENV) -> str | None:
    """The write token from the environment (never from argv, where `ps` would show it)."""
    value = os.environ.get(name, "").strip()
    return value or None
