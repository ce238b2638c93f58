"""The query UI: `/` (one HTML page), `/static/*` (its CSS/JS), `GET /api/examples`.

Why server-side so little: the page is static and talks to /sparql like any other client, so
what a user sees in the browser is exactly what the public SPARQL endpoint does. Every asset
is shipped in kg/web/static (no CDN; the page works offline) and the page is served with a
Content-Security-Policy that forbids foreign origins and inline scripts.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

from kg.query.describe import ontology_terms
from kg.query.named import queries_dir_for
from kg.rdf import PREFIXES
from kg.sparql.catalog import load_examples
from kg.sparql.params import bind
from kg.store.remote import with_substitutions
from kg.web.render.pages import script_json
from kg.web.state import service

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'self'; form-action 'self'"
)
_MEDIA_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".html": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}

def index() -> HTMLResponse:
    """The query page, with the project prefixes embedded as JSON for the editor."""
    html = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    html = html.replace("__PREFIXES_JSON__", script_json(PREFIXES, indent=None))
    return HTMLResponse(html, headers={"Content-Security-Policy": CSP, "Cache-Control": "no-cache"})


_VOCAB_CACHE: dict[str, list[dict[str, str]]] = {}


def vocabulary(request: Request) -> JSONResponse:
    """The ontology's classes and properties for the editor's autocompletion: CURIE, kind and
    German/English label. Computed once per store version (about 200 terms)."""
    state = service(request)
    version = str(state.version)
    terms = _VOCAB_CACHE.get(version)
    if terms is None:
        terms = [
            {"curie": "hn:" + term.local, "iri": term.iri, "kind": term.kind,
             "de": term.labels.get("de", ""), "en": term.labels.get("en", "")}
            for term in ontology_terms(state.store)
        ]
        _VOCAB_CACHE.clear()
        _VOCAB_CACHE[version] = terms
    return JSONResponse(terms, headers={"Cache-Control": "no-cache"})


def static_file(name: str) -> FileResponse:
    """A file of kg/web/static by plain name (no sub-paths: nothing outside can be reached)."""
    path = STATIC_DIR / name
    if "/" in name or "\\" in name or name.startswith(".") or not path.is_file() or name == "index.html":
        raise HTTPException(status_code=404)
    media = _MEDIA_TYPES.get(path.suffix, "application/octet-stream")
    return FileResponse(path, media_type=media, headers={"Cache-Control": "no-cache"})


def examples(request: Request) -> JSONResponse:
    """The example queries of `queries/` (name, title de/en, description de/en, params, query).

    A file whose parameters have header defaults gets them as a VALUES block, the way the REST
    API binds them (`/api/queries/{name}` without values): unbound, a query such as "health
    office of a municipality" would run for all 10,953 Gemeinden, which is not the example."""
    state = service(request)
    named = state.named_queries
    items = []
    for example in load_examples(queries_dir_for(state.settings)):
        item = example.to_json()
        query = named.get(example.name)
        bound = bind(query, {}, None) if query is not None else {}
        if bound:
            item["query"] = with_substitutions(str(item["query"]), bound)
        items.append(item)
    return JSONResponse(items)
