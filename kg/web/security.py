"""Security headers on every response: Content-Security-Policy, nosniff, Referrer-Policy, no framing.

Why one middleware and not per-route headers: a route added later (a new page, an error page,
a 404) must not go out without a policy. Routes that need a different policy (the query UI,
the Swagger page) keep their own `Content-Security-Policy` header (the search page uses the default); the
middleware only forces `frame-ancestors 'none'` into it, so no page of this service can be
framed (clickjacking). Nothing here reads request headers or bodies.

The entity pages (kg.web.render.pages) carry one inline `<style>` element and one inline `style`
attribute; they are allowed by their SHA-256 hashes (computed from the page module at start-up),
never by `'unsafe-inline'`. Their schema.org JSON-LD sits in `<script type="application/ld+json">`,
which browsers do not execute, so `script-src 'self'` does not affect it.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from kg.web.render import pages

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Inline style attributes the HTML pages use (allowed by hash with 'unsafe-hashes').
INLINE_STYLE_ATTRIBUTES: tuple[str, ...] = ("white-space:pre-wrap;font-size:.8rem",)
#: FastAPI's own /docs and /redoc load Swagger/ReDoc from a CDN with an inline script; they get
#: no CSP (they show no data from the store). The offline /api/docs has its own strict policy.
DEFAULT_CSP_EXEMPT: tuple[str, ...] = ()  # FastAPI's CDN-based /docs and /redoc are switched off

#: The only paths another origin may frame: the reconciliation preview card, which OpenRefine
#: shows in an iframe on its own origin (kg/web/routes/reconcile.py says why that is safe). Their
#: own `frame-ancestors` is kept and no `X-Frame-Options: DENY` is added; every other path stays
#: unframeable.
FRAMEABLE_PATHS: tuple[str, ...] = ("/reconcile/preview",)

STATIC_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
)

_FRAME_ANCESTORS = re.compile(r"frame-ancestors[^;]*")


def csp_hash(text: str) -> str:
    """A CSP source expression `'sha256-…'` for an inline element's exact content."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def inline_style_hashes() -> list[str]:
    """Hashes of the inline styles of kg.web.render.pages."""
    hashes = [csp_hash(pages.STYLE)]
    hashes += [csp_hash(s) for s in INLINE_STYLE_ATTRIBUTES]
    return hashes


def default_csp(style_hashes: Iterable[str] = ()) -> str:
    """The policy for every response that does not bring its own: same origin only, no inline
    script, no plugins, no framing, forms only to this origin."""
    hashes = " ".join(style_hashes)
    style = "style-src 'self'" + (f" 'unsafe-hashes' {hashes}" if hashes else "")
    return (
        "default-src 'self'; script-src 'self'; " + style + "; img-src 'self' data:; connect-src 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )


def force_no_framing(policy: str) -> str:
    """`policy` with its frame-ancestors directive replaced by (or extended with) `'none'`."""
    if _FRAME_ANCESTORS.search(policy):
        return _FRAME_ANCESTORS.sub("frame-ancestors 'none'", policy)
    return policy.rstrip("; ") + "; frame-ancestors 'none'"


class SecurityHeadersMiddleware:
    """Plain ASGI (streamed answers stay streamed): adds the headers to `http.response.start`."""

    def __init__(self, app: ASGIApp, *, csp: str, csp_exempt: Iterable[str] = DEFAULT_CSP_EXEMPT,
                 frameable: Iterable[str] = FRAMEABLE_PATHS) -> None:
        self.app = app
        self.csp = csp.encode()
        self.csp_exempt = frozenset(csp_exempt)
        self.frameable = frozenset(frameable)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        exempt = scope.get("path", "") in self.csp_exempt
        frameable = scope.get("path", "") in self.frameable

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self._headers(list(message.get("headers") or []), exempt, frameable)
            await send(message)

        await self.app(scope, receive, send_wrapper)

    def _headers(self, headers: list[tuple[bytes, bytes]], exempt: bool,
                 frameable: bool = False) -> list[tuple[bytes, bytes]]:
        present = {k.lower() for k, _ in headers}
        # a frameable path keeps its own frame-ancestors only if it brings its own policy
        own_policy = frameable and b"content-security-policy" in present
        out: list[tuple[bytes, bytes]] = []
        for key, value in headers:
            if key.lower() == b"content-security-policy" and not own_policy:
                value = force_no_framing(value.decode("latin-1")).encode("latin-1")
            out.append((key, value))
        if not exempt and b"content-security-policy" not in present:
            out.append((b"content-security-policy", self.csp))
        out += [(k, v) for k, v in STATIC_HEADERS if k not in present and not (own_policy and k == b"x-frame-options")]
        return out


def install(app: Any, settings: Any = None) -> None:
    """Add the security headers middleware to `app` (call before the app starts)."""
    app.add_middleware(SecurityHeadersMiddleware, csp=default_csp(inline_style_hashes()))
