"""Small HTTP helpers shared by every endpoint: bodies, media types, errors, ETags and 304s.

Why: bounded body reading (413 before the whole body is in memory), media type parsing,
bilingual plain-text error responses and conditional GET are needed in the same form by every
endpoint. There is one ETag scheme (`etag`) and one evaluation of If-None-Match and
If-Modified-Since (`not_modified`), used by /sparql, the named queries, the linked-data
documents and the downloads alike.
"""

from __future__ import annotations

import email.utils
import hashlib
from collections.abc import Mapping
from typing import Any

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from kg.errors import BodyTooLarge, ClientGone, KgError, WriteViolation, syntax_message  # noqa: F401 - re-exported
from kg.query.cache import body_digest


def scope_header(scope: Any, name: bytes) -> str:
    """First value of a request header straight from the ASGI scope (latin-1 decoded), '' if
    absent; `name` in lower case. For hot paths and plain ASGI middlewares, which need one
    header and not Starlette's Headers object."""
    for key, value in scope.get("headers") or ():
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, or BodyTooLarge as soon as more than `limit` bytes arrive."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def media_type(content_type: str | None) -> tuple[str, dict[str, str]]:
    """(`type/subtype` lower-cased, parameters) of a Content-Type header; ('', {}) if absent."""
    if not content_type:
        return "", {}
    parts = [p.strip() for p in content_type.split(";")]
    params: dict[str, str] = {}
    for p in parts[1:]:
        name, _, value = p.partition("=")
        params[name.strip().lower()] = value.strip().strip('"')
    return parts[0].lower(), params


def charset_ok(params: dict[str, str]) -> bool:
    """SPARQL request bodies must be UTF-8 (SPARQL 1.1 Protocol 2.1.3, 2.2.2)."""
    cs = params.get("charset")
    return cs is None or cs.lower().replace("_", "-") in ("utf-8", "utf8")


def error(status: int, en: str, de: str | None = None, headers: dict[str, str] | None = None) -> PlainTextResponse:
    """A plain-text error in English and German."""
    text = en if de is None else f"{en}\n{de}"
    return PlainTextResponse(text + "\n", status_code=status, headers=headers)


def error_response(exc: KgError, accept: str = "") -> Response:
    """The one HTTP answer to a project exception: its `http_status`, its English text and its
    German `de` text as plain text, its `headers`. A refused write offers its SHACL report as
    JSON or Turtle when `accept` asks for it; a client that left gets an empty 499."""
    if isinstance(exc, ClientGone):
        return Response(status_code=499)
    if isinstance(exc, WriteViolation):
        if "json" in accept:
            return Response(exc.report_json, status_code=exc.http_status, media_type="application/json")
        if "turtle" in accept:
            return Response(exc.report_turtle, status_code=exc.http_status, media_type="text/turtle; charset=utf-8")
        body = f"{exc}\n{exc.de}\n\n{exc.report_text}"
        return PlainTextResponse(body, status_code=exc.http_status, headers=exc.headers)
    return error(exc.http_status, str(exc), exc.de, headers=exc.headers)


def too_large(limit: int) -> Response:
    return error_response(BodyTooLarge(limit))


def valid_iri(value: str) -> bool:
    """True if `value` is an absolute IRI pyoxigraph accepts (so it is safe inside `<…>` in
    SPARQL text we build: no spaces, no `>`, no braces)."""
    if ":" not in value:
        return False
    try:
        ox.NamedNode(value)
    except ValueError:
        return False
    return True


# --- ETag and conditional GET ---------------------------------------------------------------


def etag(digest: bytes, version: str = "") -> str:
    """The strong ETag of a representation: `"` + 24 hex digits of BLAKE2b over a digest of its
    bytes and, for answers that are cached per store version, that version `"`.

    `digest` is kg.query.cache.body_digest of the body (query workers compute it next to the
    serialiser, so the event loop never hashes a large answer) or another digest of the
    content (a dump file's SHA-256 from its manifest). Documents whose bytes alone identify
    them (entity pages, downloads) pass no version, so a write elsewhere in the graph leaves
    their ETags, and the clients' cached copies, valid."""
    return '"' + hashlib.blake2b(digest + version.encode(), digest_size=12).hexdigest() + '"'


def etag_of(body: bytes, version: str = "") -> str:
    """`etag` of a body at hand."""
    return etag(body_digest(body), version)


def if_none_match(header: str | None, tag: str) -> bool:
    """True if an If-None-Match header lists `tag` (weak comparison, RFC 9110 13.1.2) or is `*`."""
    if not header:
        return False
    for part in header.split(","):
        candidate = part.strip()
        if candidate == "*" or candidate.removeprefix("W/") == tag:
            return True
    return False


def http_date(timestamp: float) -> str:
    """An HTTP-date (`Sun, 06 Nov 1994 08:49:37 GMT`)."""
    return email.utils.formatdate(timestamp, usegmt=True)


def parse_http_date(value: str | None) -> float | None:
    """The POSIX time of an HTTP-date, or None when absent or malformed (then it is ignored)."""
    if not value:
        return None
    try:
        dt = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):  # since Python 3.10 it raises instead of returning None
        return None
    return dt.timestamp()


def not_modified(scope: Any, tag: str, last_modified: float | None = None) -> bool:
    """True if the client's copy is current, so the answer is 304 (RFC 9110 13.2.2).

    If-None-Match decides when present; If-Modified-Since is only read without it, only for
    GET and HEAD, and only when the representation has a modification time (compared in whole
    seconds, the resolution of HTTP dates). Reads the ASGI scope directly: it is on the path of
    every /sparql answer."""
    inm = scope_header(scope, b"if-none-match")
    if inm:
        return if_none_match(inm, tag)
    if last_modified is None or scope.get("method") not in ("GET", "HEAD"):
        return False
    since = parse_http_date(scope_header(scope, b"if-modified-since"))
    return since is not None and int(last_modified) <= int(since)


#: Headers a 200 would carry that a 304 repeats (RFC 9110 15.4.5); the others are dropped.
_KEPT_ON_304 = frozenset(("cache-control", "content-location", "date", "etag", "expires", "vary", "last-modified",
                          "link"))


def not_modified_response(headers: Mapping[str, str]) -> Response:
    """A 304 with the validators and caching headers of `headers` (no body, no Content-Type)."""
    return Response(status_code=304, headers={k: v for k, v in headers.items() if k.lower() in _KEPT_ON_304})


def conditional(
    request: Request,
    body: bytes,
    content_type: str,
    *,
    tag: str | None = None,
    last_modified: float | None = None,
    headers: Mapping[str, str] | None = None,
    cache_control: str = "public, max-age=60",
) -> Response:
    """A 200 with ETag (default: `etag_of(body)`), Last-Modified (when given) and Cache-Control
    (unless `headers` has one), or the 304 when the request's validators match. For HEAD the
    server sends the same headers and no body."""
    h = dict(headers or {})
    h["ETag"] = tag or etag_of(body)
    if last_modified is not None:
        h["Last-Modified"] = http_date(last_modified)
    if not any(k.lower() == "cache-control" for k in h):
        h["Cache-Control"] = cache_control
    if not_modified(request.scope, h["ETag"], last_modified):
        return not_modified_response(h)
    h["Content-Type"] = content_type
    return Response(content=body, status_code=200, headers=h)
