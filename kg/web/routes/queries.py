"""`GET /api/queries/{name}`: every `queries/*.rq` file as a typed REST endpoint.

Why one route per file (not one generic route): the OpenAPI document then lists each query with
its own typed parameters, so clients and the interactive docs know what a query takes. The query
text is never changed: request values are validated by `kg.sparql.params` and bound as RDF terms
(pyoxigraph substitutions). Output: plain JSON rows, CSV or JSON-LD; pages with `Link` headers.
The query runs in a query worker under the server's deadline, exactly like a /sparql query (a
slow one is stopped with 503 and the other clients go on being served); the request values are
checked against the store in this process (cheap pattern lookups with LIMIT 1).

The files are loaded when the router is made; a broken file raises `QueryFileError` there, so the
app does not start with a query silently missing.

Wiring (kg/web/app.py)::

    from kg.web.routes import queries as namedqueries
    app.include_router(namedqueries.make_router(lambda: state.store,
                                                namedqueries.queries_dir_for(settings)))
    app.include_router(namedqueries.docs_router())   # /api/docs: Swagger UI without CDN
    namedqueries.install_openapi(app)   # after all routers: unique operationIds
"""

from __future__ import annotations

import csv
import io
import json
import math
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from kg.sparql.params import (
    NamedQuery,
    ParamError,
    ParamSpec,
    bind,
    load_named_queries,
)
from kg import formats
from kg.query.cache import CachedAnswer
from kg.query.workers import QueryJob
from kg.rdf import XSD
from kg.web.http import conditional, etag_of
from kg.web.negotiation import negotiate
from kg.web.routes.sparql import failure_response, run_in_pool

API_PREFIX = "/api/queries"
DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 1000
#: Request parameters the API itself reads (not query parameters).
CONTROL = ("format", "page", "per_page")
#: The output formats by their `format=` value (the API's own, documented enum), default first.
FORMATS: dict[str, formats.Format] = {"json": formats.JSON, "csv": formats.CSV, "jsonld": formats.JSON_LD}
MEDIA = {name: fmt.content_type for name, fmt in FORMATS.items()}
_INTS = {XSD + t for t in ("integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
                           "negativeInteger", "nonPositiveInteger", "unsignedInt", "unsignedLong",
                           "unsignedShort", "unsignedByte")}
_FLOATS = {XSD + "decimal", XSD + "double", XSD + "float"}
_PACKAGE_ROOT = Path(__file__).resolve().parents[3]


def queries_dir_for(settings: Any) -> Path:
    """`{project_root}/queries` of the settings, else the checkout this package runs from."""
    root = getattr(settings, "project_root", None)
    return Path(root) / "queries" if root else _PACKAGE_ROOT / "queries"


# ----------------------------------------------------------------------------- values


def plain(term: Any) -> Any:
    """A term as a plain JSON value: IRI string, number/boolean for numeric/boolean literals,
    else the lexical form; blank nodes as `_:id`; unbound → None."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Literal):
        dt = term.datatype.value
        try:
            if dt in _INTS:
                return int(term.value)
            if dt in _FLOATS:
                return float(term.value)
            if dt == XSD + "boolean":
                return term.value in ("true", "1")
        except ValueError:
            return term.value
        return term.value
    return str(term)


def jsonld_value(term: Any) -> Any:
    """A term as a JSON-LD value object (keeps datatype and language)."""
    if isinstance(term, ox.NamedNode):
        return {"@id": term.value}
    if isinstance(term, ox.BlankNode):
        return {"@id": f"_:{term.value}"}
    if term.language:
        return {"@value": term.value, "@language": term.language}
    if term.datatype.value == XSD + "string":
        return {"@value": term.value}
    return {"@value": term.value, "@type": term.datatype.value}


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


def page_job(query: NamedQuery, bound: dict[str, Any], page: int, per_page: int, settings: Any) -> QueryJob:
    """The worker job for one page of a named query: the unchanged text, the request values as
    substitutions, the union default graph (as served at /sparql)."""
    return QueryJob(
        query=query.text,
        result_format=None,
        graph_format=None,
        union_default_graph=True,
        substitutions=dict(bound) or None,
        page=((page - 1) * per_page, per_page),
        max_rows=getattr(settings, "max_result_rows", 100_000),
        max_bytes=getattr(settings, "max_result_bytes", 64 * 1024 * 1024),
    )


async def evaluate(request: Request, query: NamedQuery, bound: dict[str, Any], page: int, per_page: int
                   ) -> tuple[list[str], list[list[Any]], int] | Response:
    """Run the query in a query worker, under the server's deadline (like /sparql: a query that
    runs too long is stopped, its worker replaced, the client gets 503).

    (columns, the rows of the page as terms, total number of rows), or the error response."""
    settings = request.app.state.kg.settings
    started = time.monotonic()
    outcome = await run_in_pool(request, page_job(query, bound, page, per_page, settings),
                                started=started, limit=settings.timeout, form="SELECT")
    if isinstance(outcome, Response):
        return outcome
    if not outcome.ok:
        return failure_response(outcome, "SELECT")
    return outcome.columns, outcome.page_rows or [], outcome.rows


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
        graph = [{c: jsonld_value(t) for c, t in zip(columns, row) if t is not None} for row in rows]
        doc = {"@context": {"@vocab": vocab}, "@graph": graph}
        return Response(json.dumps(doc, ensure_ascii=False), media_type=MEDIA["jsonld"])
    body = {
        "query": query.name,
        "params": {k: plain(v) for k, v in bound.items()},
        "columns": columns,
        "rows": [{c: plain(t) for c, t in zip(columns, row)} for row in rows],
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


# ----------------------------------------------------------------------------- router


def catalogue_entry(query: NamedQuery, request: Request) -> dict[str, Any]:
    """What `GET /api/queries` lists for one query."""
    data = query.example.to_json()
    return {
        "name": query.name,
        "title": data["title"],
        "description": data["description"],
        "url": str(request.url_for(f"namedquery_{query.name}")),
        "columns": list(query.columns),
        "params": [{"name": p.name, "type": p.type_label, "default": p.default, "example": p.example}
                   for p in query.bindable],
        "query": query.text,
    }


def make_router(get_store: Callable[[], Any], queries_dir: Path) -> APIRouter:
    """A router with `GET /api/queries` and one `GET /api/queries/{name}` per file.

    Raises kg.sparql.params.QueryFileError when a file is broken (the app must not start)."""
    queries = load_named_queries(queries_dir)
    router = APIRouter(tags=["named queries"])

    @router.get(API_PREFIX, summary="List the named queries", operation_id="list_named_queries")
    def list_queries(request: Request) -> JSONResponse:
        return JSONResponse({"queries": [catalogue_entry(q, request) for q in queries]})

    for query in queries:
        router.add_api_route(
            f"{API_PREFIX}/{query.name}",
            _endpoint(query, get_store),
            methods=["GET"],
            name=f"namedquery_{query.name}",
            operation_id=f"query_{query.name.replace('-', '_')}",
            summary=query.example.title.get("en") or query.name,
            description=_description(query),
            openapi_extra=_operation_extra(query),
            responses=_responses(query),
            response_class=Response,
        )
    return router


def _description(query: NamedQuery) -> str:
    d = query.example.description
    text = f"{d.get('en', '')}\n\n*{query.example.title.get('de', '')}*: {d.get('de', '')}"
    return text + f"\n\nSource file: `queries/{query.path.name}` (runs unchanged at /sparql)."


def _endpoint(query: NamedQuery, get_store: Callable[[], Any]) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
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
        state = request.app.state.kg
        version = state.version
        # the published graph only changes with its version: a page already answered for exactly
        # this request (URL, format) is served from the answer cache without a query worker
        key = ("namedquery", query.name, fmt, str(request.base_url),
               tuple(sorted(request.query_params.multi_items())), version)
        cached = state.cache.get(key)
        if cached is not None:
            return cached_response(request, cached)
        store = get_store()
        values = dict(request.query_params.items())
        try:
            bound = await run_in_threadpool(bind, query, values, store, CONTROL)
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

    endpoint.__name__ = f"namedquery_{query.name.replace('-', '_')}"
    endpoint.__doc__ = query.example.title.get("en")
    return endpoint


def cached_response(request: Request, entry: CachedAnswer) -> Response:
    """The answer with its ETag (304 when the client has it already) and its own headers."""
    headers = {"Vary": "Accept", "Cache-Control": "public, max-age=0, must-revalidate", **dict(entry.headers)}
    return conditional(request, entry.body, entry.content_type, tag=entry.etag, headers=headers)


def iter_names(queries_dir: Path) -> Iterator[str]:
    """Names of the served queries (for tests and the CLI)."""
    return (q.name for q in load_named_queries(queries_dir))


def unique_operation_ids(schema: dict[str, Any]) -> dict[str, Any]:
    """Make every operationId of an OpenAPI document unique, in place (OpenAPI requires it).

    Why: routes registered for GET and HEAD at once (e.g. /health, /sparql) get the same
    generated operationId for both methods, which OpenAPI validators reject. Later duplicates
    get the method appended (`health_health_get_head`)."""
    seen: set[str] = set()
    for path_item in schema.get("paths", {}).values():
        for method, op in path_item.items():
            if not isinstance(op, dict) or "operationId" not in op:
                continue
            oid = op["operationId"]
            if oid in seen:
                oid, n = f"{op['operationId']}_{method}", 2
                while oid in seen:
                    oid, n = f"{op['operationId']}_{method}{n}", n + 1
                op["operationId"] = oid
            seen.add(oid)
    return schema


def install_openapi(app: Any) -> None:
    """Serve /openapi.json with unique operationIds. Call once after all routers are added."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if not app.openapi_schema:
            app.openapi_schema = unique_operation_ids(generate())
        return app.openapi_schema

    app.openapi = openapi
    app.state.unique_operation_ids = True


# ----------------------------------------------------------------------------- offline docs

_DOCS_HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>hilfenetz REST API</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/api/docs/init.js"></script>
</body></html>"""
_DOCS_INIT = ('window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true, '
              'tryItOutEnabled: true, presets: [SwaggerUIBundle.presets.apis]});\n')
_DOCS_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
             "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'self'")
_DOCS_ASSETS = {"swagger-ui.css": "text/css; charset=utf-8", "swagger-ui-bundle.js": "text/javascript; charset=utf-8"}


def swagger_ui_dir() -> Path | None:
    """The vendored Swagger UI (PyPI swagger-ui-bundle-v2, 5.x: renders OpenAPI 3.1), if installed."""
    try:
        import swagger_ui_bundle
    except ImportError:
        return None
    path = Path(getattr(swagger_ui_bundle, "swagger_ui_path", ""))
    return path if (path / "swagger-ui-bundle.js").is_file() else None


def docs_router() -> APIRouter:
    """`/api/docs`: interactive docs served entirely from this server (no CDN, unlike FastAPI's
    /docs), under a CSP without inline scripts. 404 when Swagger UI is not installed."""
    router = APIRouter(include_in_schema=False)

    @router.get("/api/docs")
    def docs() -> Response:
        if swagger_ui_dir() is None:
            return Response("Swagger UI is not installed (pip install swagger-ui-bundle-v2)", status_code=404)
        return Response(_DOCS_HTML, media_type="text/html; charset=utf-8", headers={"Content-Security-Policy": _DOCS_CSP})

    @router.get("/api/docs/init.js")
    def docs_init() -> Response:
        return Response(_DOCS_INIT, media_type="text/javascript; charset=utf-8")

    @router.get("/api/docs/assets/{name}")
    def docs_asset(name: str) -> Response:
        base = swagger_ui_dir()
        if base is None or name not in _DOCS_ASSETS:
            return Response(status_code=404)
        return Response((base / name).read_bytes(), media_type=_DOCS_ASSETS[name],
                        headers={"Cache-Control": "public, max-age=86400"})

    return router
