"""Per-client request limits: a token bucket per client IP (429 + Retry-After) and a query length cap.

Why in front of everything: a single client must not be able to fill the worker queue or the
access log; the bucket answers before any routing, parsing or store access happens. The query
length cap (414) stops megabyte-long GET query strings and direct `application/sparql-query`
bodies before they reach the SPARQL parser; form posts and updates are bounded by the body
limit (`max_body_bytes`) of the endpoints.

Defaults are generous (a browser or a script is never limited; a flood is): 50 requests per
second sustained, bursts of 200, per client IP. Probes (/health, /ready, /metrics) are never
limited, so an orchestrator never sees a 429. Behind a reverse proxy every request comes from
the proxy's address; list it in `trusted_proxies` and the last `X-Forwarded-For` entry counts.

Configuration: the Settings fields rate_limit, rate_burst, max_query_bytes and trusted_proxies
(kg.config: flags of `kg serve`, or for deployments whose command line is fixed the variables
HILFENETZ_RATE_LIMIT, HILFENETZ_MAX_QUERY_BYTES and HILFENETZ_TRUSTED_PROXIES; docs/configuration.md).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any

from kg.config import SETTING
from kg.errors import QueryTooLong

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

DEFAULT_RATE: float = SETTING["rate_limit"].default
DEFAULT_BURST: int = SETTING["rate_burst"].default
DEFAULT_MAX_QUERY_BYTES: int = SETTING["max_query_bytes"].default
#: Paths never rate limited (liveness/readiness probes and metrics scrapes).
UNLIMITED_PATHS: frozenset[str] = frozenset({"/health", "/ready", "/metrics"})
#: Most clients tracked at once; the least recently seen are forgotten first (bounded memory).
MAX_CLIENTS = 100_000


@dataclass(frozen=True)
class LimitConfig:
    """Effective limits: rate 0 disables the bucket, max_query_bytes 0 disables the length cap."""

    rate: float = DEFAULT_RATE
    burst: int = DEFAULT_BURST
    max_query_bytes: int = DEFAULT_MAX_QUERY_BYTES
    trusted_proxies: tuple[str, ...] = ()


def config_from(settings: Any = None) -> LimitConfig:
    """Limits from Settings (fields `rate_limit`, `rate_burst`, `max_query_bytes`,
    `trusted_proxies` when present; the environment is already in them: Settings.from_sources)."""
    rate = float(getattr(settings, "rate_limit", DEFAULT_RATE))
    burst = int(getattr(settings, "rate_burst", DEFAULT_BURST))
    max_query = int(getattr(settings, "max_query_bytes", DEFAULT_MAX_QUERY_BYTES))
    proxies = tuple(getattr(settings, "trusted_proxies", ()) or ())
    return LimitConfig(rate=max(0.0, rate), burst=max(0, burst), max_query_bytes=max(0, max_query),
                       trusted_proxies=proxies)


class TokenBuckets:
    """One token bucket per key: `burst` tokens, refilled at `rate` per second.

    Thread-safe (the ASGI app may be called from several threads in tests); memory is bounded
    by MAX_CLIENTS (least recently seen keys are dropped: they would have a full bucket anyway
    after burst/rate seconds)."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = MAX_CLIENTS) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Take one token; 0.0 if granted, else the seconds until one is available."""
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.pop(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self._buckets[key] = (tokens, now)
                wait = (1.0 - tokens) / self.rate
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        return wait

    def __len__(self) -> int:
        return len(self._buckets)


def client_key(scope: Scope, trusted_proxies: Iterable[str]) -> str:
    """The client's IP: the peer address, or the last X-Forwarded-For entry if the peer is a
    trusted proxy (the last entry is the one the proxy itself appended: it cannot be forged)."""
    client = scope.get("client")
    peer = client[0] if client else "unknown"
    if peer in trusted_proxies:
        for key, value in scope.get("headers") or ():
            if key.lower() == b"x-forwarded-for":
                last = value.decode("latin-1").split(",")[-1].strip()
                if last:
                    return last
    return peer


def _query_length(scope: Scope) -> int:
    return len(scope.get("query_string") or b"")


async def _plain(send: Send, status: int, text: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = text.encode("utf-8")
    hdrs = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": hdrs + (headers or [])})
    await send({"type": "http.response.body", "body": body})


class LimitsMiddleware:
    """Plain ASGI: 429 + Retry-After when the client's bucket is empty, 414 for an over-long
    GET query string, 413 for an over-long direct `application/sparql-query` POST."""

    def __init__(self, app: ASGIApp, *, config: LimitConfig, buckets: Any = None) -> None:
        self.app = app
        self.config = config
        if buckets is None and config.rate > 0:
            buckets = TokenBuckets(config.rate, config.burst)
        self.buckets = buckets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if self.buckets is not None and path not in UNLIMITED_PATHS:
            wait = self.buckets.take(client_key(scope, self.config.trusted_proxies))
            if wait > 0:
                retry = max(1, math.ceil(wait))
                await _plain(
                    send, 429,
                    f"Too many requests from your address: at most {self.config.rate:g} per second "
                    f"(bursts of {self.config.burst}). Retry after {retry} s.\n"
                    f"Zu viele Anfragen von Ihrer Adresse; bitte nach {retry} s erneut versuchen.\n",
                    [(b"retry-after", str(retry).encode())],
                )
                return
        limit = self.config.max_query_bytes
        if limit and _query_length(scope) > limit:
            await _plain(
                send, 414,
                f"The query string is longer than the limit of {limit} bytes; send long queries with POST.\n"
                f"Der Query-String ist länger als das Limit von {limit} Bytes; lange Abfragen per POST senden.\n",
            )
            return
        if limit and scope.get("method") == "POST" and _is_direct_query(scope):
            receive = _capped_receive(receive, limit)
            try:
                await self.app(scope, receive, send)
            except QueryTooLong:
                await _plain(
                    send, 413,
                    f"The query is longer than the limit of {limit} bytes.\n"
                    f"Die Abfrage ist länger als das Limit von {limit} Bytes.\n",
                )
            return
        await self.app(scope, receive, send)


def _is_direct_query(scope: Scope) -> bool:
    for key, value in scope.get("headers") or ():
        if key.lower() == b"content-type":
            return value.split(b";")[0].strip().lower() == b"application/sparql-query"
    return False


def _capped_receive(receive: Receive, limit: int) -> Receive:
    """`receive` that raises QueryTooLong once more than `limit` body bytes arrived."""
    seen = 0

    async def capped() -> Message:
        nonlocal seen
        message = await receive()
        if message.get("type") == "http.request":
            seen += len(message.get("body") or b"")
            if seen > limit:
                raise QueryTooLong()
        return message

    return capped


def buckets_for(config: LimitConfig, shared: Callable[[float, int], Any] | None = None) -> Any:
    """The buckets for `config`: None without a rate limit; for a replica of `kg serve
    --replicas` the table `shared(rate, burst)` makes for the whole group
    (kg.serve.sharedlimits), else this process's own. Should the shared table not open, the
    replica limits on its own and says so: a rate limit must never stop the service."""
    if config.rate <= 0:
        return None
    if shared is not None:
        try:
            return shared(config.rate, config.burst)
        except (OSError, ValueError) as exc:
            logging.getLogger("hilfenetz.server").warning(
                "the shared rate limit table could not be opened (%s); this replica limits "
                "its clients on its own", exc)
    return TokenBuckets(config.rate, config.burst)


def install(app: Any, settings: Any = None, shared: Callable[[float, int], Any] | None = None) -> LimitConfig:
    """Add the limits middleware to `app` (call before the app starts); returns the config.
    `shared(rate, burst)` makes the group's shared buckets (a replica of a group)."""
    config = config_from(settings)
    buckets = buckets_for(config, shared)
    app.add_middleware(LimitsMiddleware, config=config, buckets=buckets)
    app.state.limits = config
    return config
