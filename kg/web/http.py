"""Small HTTP helpers shared by the query, update and graph store endpoints.

Why: bounded body reading (413 before the whole body is in memory), media type parsing and
bilingual plain-text error responses are needed in the same form by every endpoint.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse


def scope_header(scope: Any, name: bytes) -> str:
    """First value of a request header straight from the ASGI scope (latin-1 decoded), '' if
    absent; `name` in lower case. For hot paths and plain ASGI middlewares, which need one
    header and not Starlette's Headers object."""
    for key, value in scope.get("headers") or ():
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


class BodyTooLarge(Exception):
    """The request body is larger than the configured limit."""


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, or BodyTooLarge as soon as more than `limit` bytes arrive."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge()
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


def too_large(limit: int) -> PlainTextResponse:
    return error(
        413,
        f"The request body is larger than the limit of {limit} bytes.",
        f"Der Request-Body ist größer als das Limit von {limit} Bytes.",
    )


_POS_RE = re.compile(r"error at (\d+):(\d+)")


def syntax_message(kind: str, message: str) -> str:
    """Parser message with the position spelled out: `… (line L, column C)`."""
    m = _POS_RE.search(message)
    where = f" (line {m.group(1)}, column {m.group(2)} / Zeile {m.group(1)}, Spalte {m.group(2)})" if m else ""
    return f"{kind} syntax error{where}: {message}"


def valid_iri(value: str) -> bool:
    """True if `value` is an absolute IRI pyoxigraph accepts (so it is safe inside `<…>` in
    SPARQL text we build: no spaces, no `>`, no braces)."""
    import pyoxigraph as ox

    if ":" not in value:
        return False
    try:
        ox.NamedNode(value)
    except ValueError:
        return False
    return True
