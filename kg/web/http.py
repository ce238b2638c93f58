"""Small HTTP helpers shared by the query, update and graph store endpoints.

Why: bounded body reading (413 before the whole body is in memory), media type parsing and
bilingual plain-text error responses are needed in the same form by every endpoint.
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from kg.errors import BodyTooLarge, ClientGone, KgError, WriteViolation, syntax_message  # noqa: F401 - re-exported


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
