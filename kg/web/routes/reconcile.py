"""`/reconcile`: the W3C Reconciliation Service API 0.2, the version OpenRefine 3.x speaks
(matching logic: kg.query.reconcile; how to use it: docs/reconciliation.md).

- `GET /reconcile` without parameters: the service manifest; with `callback=` as JSONP
  (OpenRefine 3.x asks for the manifest that way, `callback=jsonp…`).
- `GET`/`POST /reconcile` with `queries=` (a JSON batch; POST as a form,
  `application/x-www-form-urlencoded`, as OpenRefine sends it): candidates per query.
- `GET`/`POST /reconcile` with `extend=` (a JSON `{"ids", "properties"}`): data extension;
  `GET /reconcile/properties?type=`: the properties proposed for a type.
- `GET /reconcile/suggest/entity|type|property?prefix=`: auto-completion (JSONP too).
- `GET /reconcile/preview?id=`: a small HTML card for OpenRefine's preview iframe. It is the one
  route another origin may frame (kg.web.security `FRAMEABLE_PATHS`): OpenRefine runs on its own
  origin (http://127.0.0.1:3333 by default, anything when hosted), the card has no script, no
  form and no link that acts, so framing it offers nothing to click-jack.
- `GET /reconcile/view?id=`: the manifest's view URL, a redirect to the entity's page.

CORS comes from the app's middleware (kg.web.cors), as for every route.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any
from urllib.parse import parse_qs

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from kg.errors import BadRequest, KgError, NotFound
from kg.query.reconcile import (
    MATCH_PROPERTIES,
    MAX_LIMIT,
    PROPERTIES,
    TYPES,
    Extender,
    entity_iri,
    parse_queries,
    preview_facts,
    properties_for,
    reconcile_batch,
    type_iri,
)
from kg.query.search import fold
from kg.rdf import HN, HNID
from kg.web.http import error_response, media_type, read_body
from kg.web.routes.linkeddata import base_url
from kg.web.security import csp_hash
from kg.web.state import service

SPEC_VERSION = "0.2"
#: a JSONP callback name (OpenRefine sends `jsonp1712345678901`, jQuery `jQuery3600_…`)
_CALLBACK = re.compile(r"[A-Za-z_$][A-Za-z0-9_$.]{0,99}")
PREVIEW_WIDTH, PREVIEW_HEIGHT = 400, 160
PREVIEW_STYLE = ("body{font:14px/1.35 system-ui,sans-serif;margin:6px;color:#222}"
                 "h1{font-size:15px;margin:0 0 4px}dl{margin:0;display:grid;grid-template-columns:auto 1fr;"
                 "gap:1px 8px}dt{color:#666}dd{margin:0}small{color:#666;word-break:break-all}")

#: the preview card's policy: nothing but its one inline <style> (allowed by hash), no script,
#: no form; framing by any origin (see the module text)
PREVIEW_CSP = (f"default-src 'none'; style-src {csp_hash(PREVIEW_STYLE)}; img-src 'none'; script-src 'none'; "
               "base-uri 'none'; form-action 'none'; frame-ancestors *")



def _param(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or {"type": "string"}}


_CALLBACK_PARAM = _param("callback", "JSONP: wrap the JSON answer in a call of this function (OpenRefine 3.x).")
_FORM = {"requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": {
    "type": "object", "properties": {"queries": {"type": "string"}, "extend": {"type": "string"}}}}}}}


def _doc(summary: str, *params: dict[str, Any], form: bool = False) -> dict[str, Any]:
    extra: dict[str, Any] = {"parameters": list(params)}
    if form:
        extra.update(_FORM)
    return {"tags": ["reconciliation"], "summary": summary, "openapi_extra": extra}


RECONCILE_DOC = _doc(
    "Reconciliation service (W3C Reconciliation API 0.2): manifest, batch queries, data extension",
    _param("queries", 'A JSON query batch, e.g. {"q0": {"query": "Gladbeck", "type": "hn:Municipality"}}.'),
    _param("extend", 'A JSON data-extension query: {"ids": [IRI, …], "properties": [{"id": "ags"}, …]}.'),
    _CALLBACK_PARAM)
RECONCILE_POST_DOC = _doc("Reconciliation: batch queries or data extension as a form (as OpenRefine sends them)",
                          form=True)
_SUGGEST_PARAMS = (_param("prefix", "What the user has typed so far."),
                   _param("limit", "At most this many results (1–50).", {"type": "integer", "minimum": 1}),
                   _CALLBACK_PARAM)
SUGGEST_ENTITY_DOC = _doc("Reconciliation: suggest entities by name prefix", *_SUGGEST_PARAMS,
                          _param("type", "Only entities of this type (hn:Municipality, …)."),
                          _param("cursor", "Skip this many results.", {"type": "integer", "minimum": 0}))
SUGGEST_TYPE_DOC = _doc("Reconciliation: suggest types", *_SUGGEST_PARAMS)
SUGGEST_PROPERTY_DOC = _doc("Reconciliation: suggest properties", *_SUGGEST_PARAMS,
                            _param("type", "Properties of this type."))
PROPERTIES_DOC = _doc("Reconciliation: the data-extension properties proposed for a type",
                      _param("type", "A type id (hn:Municipality, …)."),
                      _param("limit", "At most this many properties.", {"type": "integer", "minimum": 1}),
                      _CALLBACK_PARAM)
PREVIEW_DOC = _doc("Reconciliation: an HTML preview card of an entity (frameable)", _param("id", "Entity IRI."))
VIEW_DOC = _doc("Reconciliation: redirect to the entity's page", _param("id", "Entity IRI."))


def _jsonp_or_json(request: Request, payload: Any, status: int = 200) -> Response:
    """JSON, or JSONP when a `callback` is given (GET only; the name must be an identifier)."""
    callback = request.query_params.get("callback")
    if callback is not None:
        if not _CALLBACK.fullmatch(callback):
            raise BadRequest("callback must be a JavaScript identifier",
                             de="callback muss ein JavaScript-Bezeichner sein")
        body = f"/**/{callback}({json.dumps(payload, ensure_ascii=False)});"
        return Response(body, status_code=status, media_type="application/javascript; charset=utf-8")
    return JSONResponse(payload, status_code=status)


def _bad(request: Request, exc: KgError) -> Response:
    return error_response(exc, request.headers.get("accept", ""))


def manifest(base: str) -> dict[str, Any]:
    """The service manifest (0.2 schema `manifest.json`)."""
    rec = base + "/reconcile"
    return {
        "versions": [SPEC_VERSION],
        "name": "hilfenetz – Gemeinden, Kreise, Organisationen, Programme, Begriffe",
        "identifierSpace": HNID,
        "schemaSpace": HN,
        "documentation": base + "/api/docs#/reconciliation",
        "view": {"url": rec + "/view?id={{id}}"},
        "preview": {"url": rec + "/preview?id={{id}}", "width": PREVIEW_WIDTH, "height": PREVIEW_HEIGHT},
        "defaultTypes": [{"id": t.id, "name": t.de} for t in TYPES],
        "suggest": {
            "entity": {"service_url": rec, "service_path": "/suggest/entity"},
            "type": {"service_url": rec, "service_path": "/suggest/type"},
            "property": {"service_url": rec, "service_path": "/suggest/property"},
        },
        "extend": {"propose_properties": {"service_url": rec, "service_path": "/properties"}},
    }


async def _params(request: Request) -> dict[str, str]:
    """The request's parameters: the query string, and for POST the form body (UTF-8)."""
    params = {k: v for k, v in request.query_params.items()}
    if request.method == "POST":
        body = await read_body(request, service(request).settings.max_body_bytes)
        kind, _ = media_type(request.headers.get("content-type"))
        if body and kind not in ("application/x-www-form-urlencoded", ""):
            raise BadRequest("POST /reconcile takes a form (application/x-www-form-urlencoded)",
                             de="POST /reconcile erwartet ein Formular (application/x-www-form-urlencoded)")
        for k, vs in parse_qs(body.decode("utf-8", errors="strict"), keep_blank_values=True).items():
            params[k] = vs[-1]
    return params


def _json_param(name: str, value: str) -> Any:
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise BadRequest(f"{name}: not JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}",
                         de=f"{name}: kein JSON (Zeile {exc.lineno}, Spalte {exc.colno}): {exc.msg}") from exc


async def reconcile(request: Request) -> Response:
    """Manifest, batch queries or data extension (GET and POST)."""
    try:
        params = await _params(request)
        state = service(request)
        if "queries" in params:
            raw = _json_param("queries", params["queries"])
            try:
                batch = parse_queries(raw)
            except ValueError as exc:
                raise BadRequest(f"queries: {exc}", de=f"queries: {exc}") from exc
            index = await run_in_threadpool(state.reconcile.index)
            answer = await run_in_threadpool(reconcile_batch, index, batch)
            return _jsonp_or_json(request, answer)
        if "extend" in params:
            raw = _json_param("extend", params["extend"])
            if (not isinstance(raw, dict) or not isinstance(raw.get("ids"), list)
                    or not isinstance(raw.get("properties"), list)):
                raise BadRequest("extend needs 'ids' and 'properties' lists",
                                 de="extend braucht die Listen 'ids' und 'properties'")
            ids = [str(i) for i in raw["ids"]]
            pids = [str(p.get("id")) if isinstance(p, dict) else str(p) for p in raw["properties"]]
            index = await run_in_threadpool(state.reconcile.index)
            try:
                answer = await run_in_threadpool(Extender(index).extend, ids, pids)
            except ValueError as exc:
                raise BadRequest(f"extend: {exc}", de=f"extend: {exc}") from exc
            return _jsonp_or_json(request, answer)
        return _jsonp_or_json(request, manifest(base_url(request, state.settings)))
    except KgError as exc:
        return _bad(request, exc)


def _limit(request: Request, default: int = 10) -> int:
    raw = request.query_params.get("limit", str(default))
    if not raw.isdigit():
        raise BadRequest("limit must be a whole number", de="limit muss eine ganze Zahl sein")
    return max(1, min(MAX_LIMIT, int(raw)))


async def suggest_entity(request: Request) -> Response:
    """Entities whose name starts with `prefix` (optionally of `type`)."""
    try:
        prefix = request.query_params.get("prefix", "")
        limit = _limit(request)
        cursor = request.query_params.get("cursor", "0")
        start = int(cursor) if cursor.isdigit() else 0
        types = [t for t in (type_iri(v) for v in request.query_params.getlist("type")) if t]
        if request.query_params.getlist("type") and not types:
            return _jsonp_or_json(request, {"result": []})
        index = await run_in_threadpool(service(request).reconcile.index)
        recs = await run_in_threadpool(index.suggest, prefix, types, limit, start) if prefix.strip() else []
        result = [{"id": r.iri, "name": r.name(), "description": index.description(r),
                   "notable": [{"id": t.id, "name": t.de} for t in index.types_of(r)]} for r in recs]
        return _jsonp_or_json(request, {"result": result})
    except KgError as exc:
        return _bad(request, exc)


def _prefix_hit(prefix: str, *texts: str) -> bool:
    p = fold(prefix.strip())
    return not p or any(fold(t).startswith(p) or any(w.startswith(p) for w in fold(t).split()) for t in texts)


async def suggest_type(request: Request) -> Response:
    """The service's types whose id or name starts with `prefix`."""
    try:
        prefix = request.query_params.get("prefix", "")
        limit = _limit(request)
        result = [{"id": t.id, "name": t.de, "description": t.en} for t in TYPES
                  if _prefix_hit(prefix, t.id, t.id.split(":")[-1], t.de, t.en)]
        return _jsonp_or_json(request, {"result": result[:limit]})
    except KgError as exc:
        return _bad(request, exc)


async def suggest_property(request: Request) -> Response:
    """Properties (for matching: Land, Kreis, AGS …; for extension: all) starting with `prefix`."""
    try:
        prefix = request.query_params.get("prefix", "")
        limit = _limit(request)
        t = request.query_params.get("type")
        props = properties_for(t) + [p for p in MATCH_PROPERTIES if t is None or type_iri(t) in p.types]
        result = [{"id": p.id, "name": p.de, "description": p.en} for p in props
                  if _prefix_hit(prefix, p.id, p.de, p.en)]
        return _jsonp_or_json(request, {"result": result[:limit]})
    except KgError as exc:
        return _bad(request, exc)


async def propose_properties(request: Request) -> Response:
    """The data-extension properties proposed for `type` (0.2 `propose_properties`)."""
    try:
        t = request.query_params.get("type")
        limit = _limit(request, len(PROPERTIES))
        props = properties_for(t)
        answer: dict[str, Any] = {"properties": [{"id": p.id, "name": p.de, "description": p.en}
                                                 for p in props[:limit]], "limit": limit}
        if t:
            answer["type"] = t
        return _jsonp_or_json(request, answer)
    except KgError as exc:
        return _bad(request, exc)


async def preview(request: Request) -> Response:
    """A small HTML card: name, IRI and the facts that tell namesakes apart."""
    ident = request.query_params.get("id", "")
    if not ident:
        return _bad(request, BadRequest("id is missing", de="id fehlt"))
    iri = entity_iri(ident)
    index = await run_in_threadpool(service(request).reconcile.index)
    facts = await run_in_threadpool(preview_facts, index, iri)
    if facts is None:
        return _bad(request, NotFound(f"unknown id: {ident}", de=f"unbekannte id: {ident}"))
    e = html.escape
    rows = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in facts)
    body = (f'<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>{e(index.records[iri].name())}'
            f"</title><style>{PREVIEW_STYLE}</style></head><body><h1>{e(index.records[iri].name())}</h1>"
            f"<dl>{rows}</dl><small>{e(iri)}</small></body></html>")
    return Response(body, media_type="text/html; charset=utf-8",
                    headers={"Content-Security-Policy": PREVIEW_CSP, "Cache-Control": "no-cache"})


async def view(request: Request) -> Response:
    """The manifest's view URL: a redirect to the entity's own page (/id/… for hilfenetz IRIs)."""
    ident = request.query_params.get("id", "")
    if not ident:
        return _bad(request, BadRequest("id is missing", de="id fehlt"))
    iri = entity_iri(ident)
    if not iri.startswith(HNID):
        return _bad(request, NotFound(f"not a hilfenetz id: {ident}", de=f"keine hilfenetz-id: {ident}"))
    return RedirectResponse("/id/" + iri[len(HNID):], status_code=303)
