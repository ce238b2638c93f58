"""`GET /api/search?q=`: ranked, German-aware entity search (index: kg.query.search).

The index lives as long as the app (kg.query.service.ServiceState.search) and follows the store
version, so a rebuilt store (read-only mode) or a committed write (write mode) is searchable at once.

Also `GET /search`: a script-free HTML search page (form + ranked hits linking to the entity
pages), usable as the UI's search box without touching the query UI's files.
"""

from __future__ import annotations

import html
from typing import Any

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from kg.query.search import expand_type
from kg.rdf import HNID
from kg.web.state import service

MAX_QUERY = 200
MAX_LIMIT = 100
#: the type choices of the search page (value, German label)
PAGE_TYPES: tuple[tuple[str, str], ...] = (
    ("", "alle Arten"), ("hn:Organisation", "Organisationen"), ("hn:Person", "Personen"),
    ("hn:Programme", "Programme"), ("hn:Project", "Projekte"), ("hn:Event", "Veranstaltungen"),
    ("hn:Offer", "Angebote"), ("hn:Municipality", "Gemeinden"), ("hn:District", "Kreise"),
    ("hn:HealthOffice", "Gesundheitsämter"), ("skos:Concept", "Begriffe"),
)
PAGE_CSP = ("default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'none'; frame-ancestors 'self'; form-action 'self'")


def entity_href(iri: str) -> str:
    """Local entity page for project IRIs (served at /id/...), else the IRI itself."""
    return "/id/" + iri[len(HNID):] if iri.startswith(HNID) else iri


def render_page(q: str, type_value: str, hits: list[dict[str, Any]] | None, total: int) -> str:
    """The search page: a plain HTML form (GET /search) and the ranked hits; no script at all,
    so it works under the strictest CSP and without the query UI's JavaScript."""
    e = html.escape
    options = "".join(f'<option value="{e(v)}"{" selected" if v == type_value else ""}>{e(label)}</option>'
                      for v, label in PAGE_TYPES)
    items = ""
    if hits is not None:
        lis = "".join(
            f'<li><a href="{e(entity_href(h["iri"]))}">{e(h["label"])}</a> '
            f'<small>{e(h["iri"])}</small></li>' for h in hits)
        items = (f"<p>{total} Treffer für „{e(q)}“</p><ol>{lis}</ol>" if hits
                 else f"<p>Keine Treffer für „{e(q)}“.</p>")
    return f"""<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><title>Suche – hilfenetz</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/app.css"></head>
<body><main>
<h1>Suche im hilfenetz</h1>
<form method="get" action="/search" role="search">
<label for="q">Suchbegriff</label>
<input id="q" name="q" type="search" value="{e(q)}" maxlength="{MAX_QUERY}" required autofocus>
<label for="type">Art</label> <select id="type" name="type">{options}</select>
<button type="submit">Suchen</button>
</form>
{items}
<p><a href="/">Abfrage-Oberfläche</a> · <a href="/api/docs">REST-API</a></p>
</main></body></html>"""


def _error(name: str, msg: str, kind: str = "value_error") -> JSONResponse:
    return JSONResponse({"detail": [{"loc": ["query", name], "msg": msg, "type": kind}]}, status_code=422)


SEARCH_DOC: dict[str, Any] = {
    "summary": "Search entities by label, alternative label, abbreviation, name and description",
    "operation_id": "search_entities",
    "responses": {422: {"description": "Missing/overlong query or unknown type"}},
    "tags": ["search"],
}


async def search(
    request: Request,
    q: str = Query(..., min_length=1, max_length=MAX_QUERY,
                   description="Search text (case, umlauts/ae, ß/ss, hyphens and word forms do not matter)."),
    type: list[str] = Query(default=[], description="Only entities of this class (CURIE such as hn:Organisation "
                                                    "or IRI); repeat for several (all must hold)."),
    limit: int = Query(20, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0, le=100_000),
) -> JSONResponse:
    """Ranked hits as JSON."""
    allowed = {"q", "type", "limit", "offset"}
    for name in request.query_params:
        if name not in allowed:
            return _error(name, "unknown parameter", "extra_forbidden")
    types: list[str] = []
    for t in type:
        iri = expand_type(t)
        if iri is None:
            return _error("type", f"not a class CURIE or IRI: {t}")
        types.append(iri)
    index = await run_in_threadpool(service(request).search.index)
    hits, total = await run_in_threadpool(index.search, q, types, limit, offset)
    return JSONResponse({
        "q": q,
        "types": types,
        "total": total,
        "limit": limit,
        "offset": offset,
        "hits": [{"iri": h.iri, "label": h.label, "score": h.score, "types": list(h.types),
                  "matched": list(h.matched)} for h in hits],
    })


async def search_page(request: Request, q: str = Query("", max_length=MAX_QUERY),
                      type: str = Query("", max_length=200)) -> HTMLResponse:
    """The script-free HTML search page."""
    hits: list[dict[str, Any]] | None = None
    total = 0
    iri = expand_type(type) if type else None
    if q.strip():
        index = await run_in_threadpool(service(request).search.index)
        found, total = await run_in_threadpool(index.search, q, [iri] if iri else [], 50, 0)
        hits = [{"iri": h.iri, "label": h.label} for h in found]
    return HTMLResponse(render_page(q, type, hits, total),
                        headers={"Content-Security-Policy": PAGE_CSP, "Cache-Control": "no-cache"})
