"""`GET /api/queries` and `GET /api/queries/{name}`: every `queries/*.rq` file as a typed REST
endpoint (the HTTP side; loading, binding and running a named query is kg.query.named).

Why one route per file (not one generic route): the OpenAPI document then lists each query with
its own typed parameters, so clients and the interactive docs know what a query takes; the route
list (kg.web.app) declares the route once and expands it per file. Output: plain JSON rows, CSV
or JSON-LD; pages with `Link` headers. The query runs in a query worker under the server's
deadline, exactly like a /sparql query (a slow one is stopped with 503 and the other clients go
on being served); the request values are checked against the store in this process (cheap
pattern lookups with LIMIT 1).
"""

from __future__ import annotations

import csv
import io
import json
import math
import time
from typing import Any
from urllib.parse import urlencode

import pyoxigraph as ox
from fastapi import Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from kg import formats
from kg.query import named
from kg.query.cache import CachedAnswer
from kg.sparql.params import NamedQuery, ParamError, ParamSpec
from kg.web.http import conditional, etag_of
from kg.web.negotiation import negotiate
from kg.web.routes.sparql import failure_response, run_in_pool
from kg.web.state import service

API_PREFIX = "/api/queries"
DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 1000
#: The output formats by their `format=` value (the API's own, documented enum), default first.
FORMATS: dict[str, formats.Format] = {"json": formats.JSON, "csv": formats.CSV, "jsonld": formats.JSON_LD}
MEDIA = {name: fmt.content_type for name, fmt in FORMATS.items()}


# ----------------------------------------------------------------------------- answers


def unprocessable(errors: list[ParamError]) -> JSONResponse:
    """422 in FastAPI's own error shape, so clients handle both alike."""
    return JSONResponse(
        {"detail": [{"loc": ["query", e.name], "msg": e.message, "type": e.kind} for e in errors]},
        status_code=422,
    )


def _int_control(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ParamError(name, "not an integer", "int_parsing") from None
    if not low <= value <= high:
        raise ParamError(name, f"must be between {low} and {high}", "out_of_range")
    return value


def choose_format(request: Request) -> str:
    """`?format=` wins (exactly one of the documented values); else the Accept header (with
    q-values, kg.web.negotiation), else JSON: a browser's `text/html, */*` gets JSON."""
    fmt = request.query_params.get("format")
    if fmt:
        if fmt not in FORMATS:
            raise ParamError("format", f"one of {', '.join(FORMATS)}", "enum")
        return fmt
    chosen = negotiate(request.headers.get("accept"), tuple(FORMATS.values()))
    return next((name for name, f in FORMATS.items() if f is chosen), "json")


def _page_url(request: Request, page: int) -> str:
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    pairs.append(("page", str(page)))
    return f"{request.url.path}?{urlencode(pairs)}"


def link_header(request: Request, page: int, last: int) -> str:
    """RFC 8288 links to the first, previous, next and last page (relative URLs)."""
    rels = [("first", 1), ("last", last)]
    if page > 1:
        rels.append(("prev", min(page - 1, last)))
    if page < last:
        rels.append(("next", page + 1))
    return ", ".join(f'<{_page_url(request, p)}>; rel="{r}"' for r, p in rels)


async def evaluate(request: Request, query: NamedQuery, bound: dict[str, Any], page: int, per_page: int
                   ) -> tuple[list[str], list[list[Any]], int] | Response:
    """Run the query in a query worker, under the server's deadline (like /sparql: a query that
    runs too long is stopped, its worker replaced, the client gets 503).

    (columns, the rows of the page as terms, total number of rows), or the error response."""
    settings = service(request).settings
    started = time.monotonic()
    outcome = await run_in_pool(request, named.page_job(query, bound, page, per_page, settings),
                                started=started, limit=settings.timeout, form="SELECT")
    if isinstance(outcome, Response):
        return outcome
    if not outcome.ok:
        return failure_response(outcome, "SELECT")
    return named.page_of(outcome)


def render(fmt: str, query: NamedQuery, request: Request, columns: list[str], rows: list[list[Any]],
           bound: dict[str, Any], page: int, per_page: int, total: int) -> Response:
    """The page in the chosen format."""
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if t is None else (t.value if not isinstance(t, ox.BlankNode) else f"_:{t.value}")
                             for t in row])
        return Response(buf.getvalue(), media_type=MEDIA["csv"])
    if fmt == "jsonld":
        vocab = str(request.url_for(f"namedquery_{query.name}")) + "#"
        graph = [{c: named.jsonld_value(t) for c, t in zip(columns, row, strict=True) if t is not None} for row in rows]
        doc = {"@context": {"@vocab": vocab}, "@graph": graph}
        return Response(json.dumps(doc, ensure_ascii=False), media_type=MEDIA["jsonld"])
    body = {
        "query": query.name,
        "params": {k: named.plain(v) for k, v in bound.items()},
        "columns": columns,
        "rows": [{c: named.plain(t) for c, t in zip(columns, row, strict=True)} for row in rows],
        "page": page,
        "per_page": per_page,
        "total": total,
    }
    return JSONResponse(body)


# ----------------------------------------------------------------------------- OpenAPI


def _param_doc(spec: ParamSpec) -> dict[str, Any]:
    what = {
        "iri": f"IRI of an instance of {spec.type_label[4:-1]}",
        "resource": "IRI of any described resource",
        "concept": f"IRI of a concept of the scheme <{spec.arg}>",
        "string": f"text, at most {spec.max_length} characters",
        "integer": "integer",
        "date": "date YYYY-MM-DD",
    }[spec.type]
    default = "" if spec.default is None else " Default from the query file."
    return {
        "name": spec.name, "in": "query", "required": False,
        "description": f"{what}. Unset: no restriction.{default}",
        "schema": spec.openapi_schema(),
    }


_CONTROL_DOCS: list[dict[str, Any]] = [
    {"name": "format", "in": "query", "required": False,
     "description": "Output format (else chosen by the Accept header).",
     "schema": {"type": "string", "enum": list(MEDIA)}},
    {"name": "page", "in": "query", "required": False, "description": "Page number, from 1.",
     "schema": {"type": "integer", "minimum": 1, "default": 1}},
    {"name": "per_page", "in": "query", "required": False, "description": "Rows per page.",
     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": DEFAULT_PER_PAGE}},
]

_ROWS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["query", "columns", "rows", "page", "per_page", "total"],
    "properties": {
        "query": {"type": "string"},
        "params": {"type": "object"},
        "columns": {"type": "array", "items": {"type": "string"}},
        "rows": {"type": "array", "items": {"type": "object"}},
        "page": {"type": "integer"}, "per_page": {"type": "integer"}, "total": {"type": "integer"},
    },
}

_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"detail": {"type": "array", "items": {"type": "object", "properties": {
        "loc": {"type": "array", "items": {"type": "string"}},
        "msg": {"type": "string"}, "type": {"type": "string"}}}}},
}


def _operation_extra(query: NamedQuery) -> dict[str, Any]:
    return {"parameters": [_param_doc(p) for p in query.bindable] + _CONTROL_DOCS}


def _responses(query: NamedQuery) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "description": f"Rows of {query.name} (columns: {', '.join(query.columns)}); "
                           "Link header with first/prev/next/last pages, X-Total-Count.",
            "content": {
                "application/json": {"schema": _ROWS_SCHEMA},
                "text/csv": {"schema": {"type": "string"}},
                "application/ld+json": {"schema": {"type": "object"}},
            },
        },
        422: {"description": "Unknown parameter or a value that does not fit its type.",
              "content": {"application/json": {"schema": _ERROR_SCHEMA}}},
    }


# ----------------------------------------------------------------------------- handlers


def route_doc(query: NamedQuery) -> dict[str, Any]:
    """The OpenAPI description of one query's route (FastAPI's `add_api_route` keywords)."""
    return {
        "operation_id": f"query_{query.name.replace('-', '_')}",
        "summary": query.example.title.get("en") or query.name,
        "description": _description(query),
        "openapi_extra": _operation_extra(query),
        "responses": _responses(query),
        "response_class": Response,
        "tags": ["named queries"],
    }


LIST_DOC: dict[str, Any] = {"summary": "List the named queries", "operation_id": "list_named_queries",
                            "tags": ["named queries"]}


def list_queries(request: Request) -> JSONResponse:
    """Every named query with its parameters, columns and text."""
    queries = service(request).named_queries.values()
    return JSONResponse({"queries": [named.catalogue_entry(q, str(request.url_for(f"namedquery_{q.name}")))
                                     for q in queries]})


def _description(query: NamedQuery) -> str:
    d = query.example.description
    text = f"{d.get('en', '')}\n\n*{query.example.title.get('de', '')}*: {d.get('de', '')}"
    return text + f"\n\nSource file: `queries/{query.path.name}` (runs unchanged at /sparql)."


async def answer(request: Request) -> Response:
    """One page of the named query this route serves (its route name is `namedquery_{name}`)."""
    state = service(request)
    query = state.named_queries[request.scope["route"].name.removeprefix("namedquery_")]
    errors: list[ParamError] = []
    page = per_page = 0
    fmt = "json"
    try:
        fmt = choose_format(request)
        page = _int_control(request, "page", 1, 1, 10**9)
        per_page = _int_control(request, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    except ParamError as exc:
        errors.append(exc)
    repeated = [k for k in set(request.query_params.keys()) if len(request.query_params.getlist(k)) > 1]
    errors += [ParamError(k, "given more than once", "multiple_values") for k in repeated]
    if errors:
        return unprocessable(errors)
    version = state.version
    # the published graph only changes with its version: a page already answered for exactly
    # this request (URL, format) is served from the answer cache without a query worker
    key = ("namedquery", query.name, fmt, str(request.base_url),
           tuple(sorted(request.query_params.multi_items())), version)
    cached = state.cache.get(key)
    if cached is not None:
        return cached_response(request, cached)
    values = dict(request.query_params.items())
    try:
        bound = await run_in_threadpool(named.bind_values, query, values, state.store)
    except ParamError as exc:
        return unprocessable([exc])
    evaluated = await evaluate(request, query, bound, page, per_page)
    if isinstance(evaluated, Response):
        return evaluated
    columns, rows, total = evaluated
    response = render(fmt, query, request, columns, rows, bound, page, per_page, total)
    last = max(1, math.ceil(total / per_page))
    headers = (("Link", link_header(request, page, last)), ("X-Total-Count", str(total)))
    entry = CachedAnswer(response.headers["content-type"], bytes(response.body),
                         etag_of(bytes(response.body), version), headers)
    if version == state.version:
        state.cache.put(key, entry)
    return cached_response(request, entry)


def cached_response(request: Request, entry: CachedAnswer) -> Response:
    """The answer with its ETag (304 when the client has it already) and its own headers."""
    headers = {"Vary": "Accept", "Cache-Control": "public, max-age=0, must-revalidate", **dict(entry.headers)}
    return conditional(request, entry.body, entry.content_type, tag=entry.etag, headers=headers)
