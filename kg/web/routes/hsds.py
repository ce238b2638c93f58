"""The read-only Open Referral HSDS 3.x API under `/api/hsds/` (issue 20), laid out as the HSDS
OpenAPI document lays it out: `/` (version, profile, OpenAPI URL), `/organizations`, `/services`,
`/service_at_locations`, `/taxonomies`, `/taxonomy_terms`, each as a paged list and by `{id}`.

Why here: service directories read HSDS over HTTP; the objects are the export's (kg.graph.hsds via
kg.query.hsds, computed once per store version), so `kg hsds export` and the API agree object for
object. Lists carry the HSDS `Page` fields and `contents`; filters are cumulative; a filter the
model cannot answer is a 400, an unknown parameter a 422 (as the other REST routes), an unknown id
a 404 — errors in English and German. Every answer has an ETag (kg.web.http.conditional) and, like
everything the service publishes, CORS for any origin. docs/hsds.md describes it.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from kg.errors import BadRequest, KgError, NotFound
from kg.query.hsds import MAX_PER_PAGE, PER_PAGE, check_paging, meta, one_to_one, page, refuse_unsupported
from kg.web.http import conditional, error_response
from kg.web.state import service

JSON = "application/json"
NDJSON = "application/x-ndjson"
#: endpoint → (singular for messages, German name)
_NAMES = {"organizations": ("organization", "Organisation"), "services": ("service", "Angebot (Service)"),
          "service_at_locations": ("service at location", "Angebot an einem Ort"),
          "taxonomies": ("taxonomy", "Taxonomie"), "taxonomy_terms": ("taxonomy term", "Taxonomie-Begriff")}
#: The query parameters of each list endpoint (HSDS OpenAPI); others get 422.
_PARAMS = {
    "organizations": {"search", "full_service", "full", "page", "per_page", "format"},
    "services": {"search", "page", "per_page", "format", "taxonomy_term_id", "taxonomy_id", "organization_id",
                 "modified_after", "minimal", "full"},
    "service_at_locations": {"search", "taxonomy_term_id", "taxonomy_id", "organization_id", "modified_after",
                             "full", "page", "per_page", "format", "postcode", "proximity"},
    "taxonomies": {"search", "page", "per_page", "format"},
    "taxonomy_terms": {"search", "page", "per_page", "format", "taxonomy_id", "top_only", "parent_id"},
}


def _doc(summary: str, operation_id: str, description: str = "") -> dict[str, Any]:
    return {"summary": summary, "operation_id": operation_id, "tags": ["hsds"], "response_class": JSONResponse,
            "description": description,
            "responses": {400: {"description": "A page or filter the API cannot answer (text, English and German)"},
                          404: {"description": "No object with this id (text, English and German)"},
                          422: {"description": "Unknown parameter"}}}


_LIST_TEXT = ("A page of HSDS {what} (`Page` fields and `contents`), objects as `kg hsds export` writes them "
              "(docs/hsds.md). Filters are cumulative.")
META_DOC = _doc("HSDS API: version, profile and OpenAPI document", "hsds_meta")
ORGANIZATIONS_DOC = _doc("HSDS organizations (paged)", "hsds_organizations", _LIST_TEXT.format(what="organizations"))
ORGANIZATION_DOC = _doc("One HSDS organization, with its services", "hsds_organization")
SERVICES_DOC = _doc("HSDS services: the offers (paged)", "hsds_services", _LIST_TEXT.format(what="services"))
SERVICE_DOC = _doc("One HSDS service", "hsds_service")
SAL_DOC = _doc("HSDS service_at_locations (paged; the model has no delivery locations, so none)",
               "hsds_service_at_locations", _LIST_TEXT.format(what="service_at_locations"))
SAL_ONE_DOC = _doc("One HSDS service_at_location", "hsds_service_at_location")
TAXONOMIES_DOC = _doc("HSDS taxonomies: the concept schemes (paged)", "hsds_taxonomies",
                      _LIST_TEXT.format(what="taxonomies"))
TAXONOMY_DOC = _doc("One HSDS taxonomy", "hsds_taxonomy")
TERMS_DOC = _doc("HSDS taxonomy terms: the concepts (paged)", "hsds_taxonomy_terms",
                 _LIST_TEXT.format(what="taxonomy terms"))
TERM_DOC = _doc("One HSDS taxonomy term", "hsds_taxonomy_term")

_PAGE = Query(1, description="Page number (from 1)")
_PER_PAGE = Query(PER_PAGE, description=f"Objects per page (1–{MAX_PER_PAGE})")
_SEARCH = Query(None, max_length=200, description="Full text search: every word in name, alternate name or "
                                                  "description (case and umlauts do not matter)")
_FORMAT = Query("json", pattern="^(json|ndjson)$",
                description="`json` (paged) or `ndjson` (every matching object, one per line, no paging)")
_TERM = Query(None, max_length=100, description="Only services with this taxonomy term (attribute)")
_TAXONOMY = Query(None, max_length=100, description="Only objects with a term of this taxonomy")
_ORG = Query(None, max_length=100, description="Only services of this organization")
_FULL = Query(True, description="Nested child objects (true, default) or only one-to-one fields (false)")


def _unknown(request: Request, endpoint: str) -> JSONResponse | None:
    for name in request.query_params:
        if name not in _PARAMS[endpoint]:
            return JSONResponse({"detail": [{"loc": ["query", name], "msg": "unknown parameter",
                                             "type": "extra_forbidden"}]}, status_code=422)
    return None


def _json(request: Request, data: Any) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return conditional(request, body, JSON)


async def _list(request: Request, endpoint: str, page_number: int, per_page: int, fmt: str, *,
                full: bool = True, minimal: bool = False, **filters: Any) -> Response:
    refused = _unknown(request, endpoint)
    if refused is not None:
        return refused
    try:
        refuse_unsupported(request.query_params)
        check_paging(page_number, per_page)
    except KgError as exc:
        return error_response(exc)
    index = await run_in_threadpool(service(request).hsds.index)
    objects = index.select(endpoint, **filters)
    if minimal:
        objects = [{"id": o["id"]} for o in objects]
    elif not full:
        objects = [one_to_one(o) for o in objects]
    if fmt == "ndjson":
        body = b"".join(json.dumps(o, ensure_ascii=False, separators=(",", ":")).encode() + b"\n" for o in objects)
        return conditional(request, body, NDJSON)
    return _json(request, page(objects, page_number, per_page))


async def _one(request: Request, endpoint: str, object_id: str, **kw: Any) -> Response:
    for name in request.query_params:
        if name not in kw:
            return JSONResponse({"detail": [{"loc": ["query", name], "msg": "unknown parameter",
                                             "type": "extra_forbidden"}]}, status_code=422)
    index = await run_in_threadpool(service(request).hsds.index)
    obj = index.get(endpoint, object_id, **kw)
    if obj is None:
        en, de = _NAMES[endpoint]
        return error_response(NotFound(f"no HSDS {en} with id {object_id}", de=f"kein HSDS-Objekt ({de}) mit der "
                                                                            f"id {object_id}"))
    return _json(request, obj)


# --------------------------------------------------------------------------- the routes


async def hsds_meta(request: Request) -> Response:
    """The API root: HSDS version, profile and the OpenAPI document's URL."""
    if request.query_params:
        return error_response(BadRequest("/api/hsds/ takes no parameters", de="/api/hsds/ nimmt keine Parameter"))
    return _json(request, meta(str(request.base_url) + "openapi.json"))


async def organizations(request: Request, search: str | None = _SEARCH, full_service: bool = Query(
        False, description="Each organization with its full services"), full: bool = _FULL,
        page: int = _PAGE, per_page: int = _PER_PAGE, format: str = _FORMAT) -> Response:
    """A page of organizations."""
    return await _list(request, "organizations", page, per_page, format, full=full, search=search,
                       full_service=full_service)


async def organization(request: Request, id: str, full_service: bool = Query(
        False, description="Services with all their fields and children (else one-to-one fields)")) -> Response:
    """One organization with its services."""
    return await _one(request, "organizations", id, full_service=full_service)


async def services(request: Request, search: str | None = _SEARCH, taxonomy_term_id: str | None = _TERM,
                   taxonomy_id: str | None = _TAXONOMY, organization_id: str | None = _ORG,
                   modified_after: str | None = Query(None, description="Not supported (400): no modification times"),
                   minimal: bool = Query(False, description="Only the ids"), full: bool = _FULL,
                   page: int = _PAGE, per_page: int = _PER_PAGE, format: str = _FORMAT) -> Response:
    """A page of services (the offers)."""
    del modified_after  # refused by refuse_unsupported
    return await _list(request, "services", page, per_page, format, full=full, minimal=minimal, search=search,
                       taxonomy_term_id=taxonomy_term_id, taxonomy_id=taxonomy_id, organization_id=organization_id)


async def service_one(request: Request, id: str) -> Response:
    """One service."""
    return await _one(request, "services", id)


async def service_at_locations(
        request: Request, search: str | None = _SEARCH, taxonomy_term_id: str | None = _TERM,
        taxonomy_id: str | None = _TAXONOMY, organization_id: str | None = _ORG,
        modified_after: str | None = Query(None, description="Not supported (400): no modification times"),
        postcode: str | None = Query(None, description="Not supported (400): no postcode areas"),
        proximity: str | None = Query(None, description="Not supported (400): no coordinates"),
        full: bool = _FULL, page: int = _PAGE, per_page: int = _PER_PAGE, format: str = _FORMAT) -> Response:
    """A page of service_at_locations: always empty, the model knows the areas an offer serves, not
    the places it is delivered at (docs/hsds.md)."""
    del modified_after, postcode, proximity
    return await _list(request, "service_at_locations", page, per_page, format, full=full, search=search,
                       taxonomy_term_id=taxonomy_term_id, taxonomy_id=taxonomy_id, organization_id=organization_id)


async def service_at_location(request: Request, id: str) -> Response:
    """One service_at_location (there are none: 404)."""
    return await _one(request, "service_at_locations", id)


async def taxonomies(request: Request, search: str | None = _SEARCH, page: int = _PAGE, per_page: int = _PER_PAGE,
                     format: str = _FORMAT) -> Response:
    """A page of taxonomies (the concept schemes)."""
    return await _list(request, "taxonomies", page, per_page, format, search=search)


async def taxonomy(request: Request, id: str) -> Response:
    """One taxonomy."""
    return await _one(request, "taxonomies", id)


async def taxonomy_terms(request: Request, search: str | None = _SEARCH, taxonomy_id: str | None = _TAXONOMY,
                         top_only: bool = Query(False, description="Only terms without a parent"),
                         parent_id: str | None = Query(None, max_length=100, description="Only children of this term"),
                         page: int = _PAGE, per_page: int = _PER_PAGE, format: str = _FORMAT) -> Response:
    """A page of taxonomy terms (the concepts)."""
    return await _list(request, "taxonomy_terms", page, per_page, format, search=search, taxonomy_id=taxonomy_id,
                       top_only=top_only, parent_id=parent_id)


async def taxonomy_term(request: Request, id: str) -> Response:
    """One taxonomy term."""
    return await _one(request, "taxonomy_terms", id)
