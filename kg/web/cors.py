"""CORS: browser pages on other origins may read everything this service publishes, never write.

Why one middleware for the whole app: the graph is public, read-only data, and the clients that
use it from a browser — YASGUI, Comunica, a portal's own JavaScript — live on other origins.
Before, CORS was added per route (the linked-data documents) and for four fixed paths (GET
only), so `POST /sparql` (how YASGUI sends long queries), `/api/*`, `/openapi.json` and every
preflight except `/sparql`'s were blocked. Now every response carries
`Access-Control-Allow-Origin: *`, and a preflight is answered here, before routing, for any path.

What a cross-origin page may do (docs/security.md, "Cross-origin pages"):
- GET, HEAD and POST (a SPARQL query as a form or as `application/sparql-query`), with the
  request headers content negotiation and revalidation need (`ALLOW_HEADERS`);
- read the response headers clients use (`EXPOSE_HEADERS`: ETag, Link, pagination, …).
What it may not: send `Authorization` (so no write with the bearer token), or use PUT, DELETE
or PATCH (the graph store). A preflight asking for either is refused with 403 and no
`Access-Control-Allow-*` headers, so the browser does not send the request. Writes are made
from the service's own origin or outside a browser (curl, `kg`, scripts).

No credentials are ever allowed (`*` and credentials exclude each other); the service has no
cookies. `/metrics` gets no CORS: it is for the Prometheus scraper, not for web pages.

Plain ASGI (like kg.web.ops and kg.web.security), so streamed answers stay streamed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from kg.web.http import scope_header

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Methods a page on another origin may use.
ALLOW_METHODS: tuple[str, ...] = ("GET", "HEAD", "POST")
#: Request headers it may send: content negotiation (Accept, Accept-Language), a query body
#: (Content-Type), revalidation (If-None-Match, If-Modified-Since, Cache-Control, Pragma) and
#: the X-Requested-With that some SPARQL editors add. Not Authorization (see the module text).
ALLOW_HEADERS: tuple[str, ...] = (
    "Accept", "Accept-Language", "Content-Language", "Content-Type", "If-None-Match", "If-Modified-Since",
    "Cache-Control", "Pragma", "X-Requested-With",
)
#: Response headers its script may read beyond the CORS-safelisted ones.
EXPOSE_HEADERS: tuple[str, ...] = (
    "ETag", "Link", "Content-Location", "Content-Disposition", "Content-Length", "Retry-After", "X-Total-Count",
    "X-Incoming-Total", "Digest",
)
#: Paths without CORS.
DEFAULT_EXCLUDED: tuple[str, ...] = ("/metrics",)
#: Seconds a browser may keep a preflight answer (Chromium caps it at 7200).
MAX_AGE = 7200

_ALLOWED_HEADER_NAMES = frozenset(h.lower() for h in ALLOW_HEADERS)
_RESPONSE_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"access-control-allow-origin", b"*"),
    (b"access-control-expose-headers", ", ".join(EXPOSE_HEADERS).encode()),
)
_PREFLIGHT_OK: tuple[tuple[bytes, bytes], ...] = (
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-methods", ", ".join(ALLOW_METHODS).encode()),
    (b"access-control-allow-headers", ", ".join(ALLOW_HEADERS).encode()),
    (b"access-control-max-age", str(MAX_AGE).encode()),
)
_PREFLIGHT_VARY = (b"vary", b"Access-Control-Request-Method, Access-Control-Request-Headers")


def preflight_refusal(method: str, request_headers: str) -> str | None:
    """Why a preflight for `method` with `Access-Control-Request-Headers: request_headers` is
    refused, or None when it is allowed."""
    if method.upper() not in ALLOW_METHODS:
        return (f"Cross-origin {method.upper()} is not allowed: pages on other origins may read "
                f"({', '.join(ALLOW_METHODS)}), not write.")
    asked = [h.strip().lower() for h in request_headers.split(",") if h.strip()]
    extra = [h for h in asked if h not in _ALLOWED_HEADER_NAMES]
    if extra:
        return (f"Cross-origin requests may not send {', '.join(extra)}; allowed: {', '.join(ALLOW_HEADERS)} "
                "(writes with a token are made from this origin or outside a browser).")
    return None


class CorsMiddleware:
    """Adds the CORS headers to every response (except `excluded` paths); answers preflights."""

    def __init__(self, app: ASGIApp, *, excluded: Iterable[str] = DEFAULT_EXCLUDED) -> None:
        self.app = app
        self.excluded = frozenset(excluded)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path", "") in self.excluded:
            await self.app(scope, receive, send)
            return
        if scope.get("method") == "OPTIONS":
            requested = scope_header(scope, b"access-control-request-method")
            if requested:
                await self._preflight(requested, scope_header(scope, b"access-control-request-headers"), send)
                return

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*(message.get("headers") or ()), *_RESPONSE_HEADERS]
            await send(message)

        await self.app(scope, receive, send_wrapper)

    @staticmethod
    async def _preflight(method: str, request_headers: str, send: Send) -> None:
        refusal = preflight_refusal(method, request_headers)
        if refusal is None:
            headers = [(b"content-length", b"0"), _PREFLIGHT_VARY, *_PREFLIGHT_OK]
            await send({"type": "http.response.start", "status": 204, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        body = (refusal + "\n").encode()
        headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
                   _PREFLIGHT_VARY]
        await send({"type": "http.response.start", "status": 403, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def install(app: Any, excluded: Iterable[str] = DEFAULT_EXCLUDED) -> None:
    """Add the CORS middleware to `app` (call before the app starts)."""
    app.add_middleware(CorsMiddleware, excluded=tuple(excluded))
