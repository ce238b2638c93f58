"""The query UI: `/` (one HTML page), `/static/*` (its CSS/JS), `GET /api/examples`.

Why server-side so little: the page is static and talks to /sparql like any other client, so
what a user sees in the browser is exactly what the public SPARQL endpoint does. Every asset
is shipped in kg/web/static (no CDN; the page works offline) and the page is served with a
Content-Security-Policy that forbids foreign origins and inline scripts.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

from kg.config import env_setting
from kg.rdf import PREFIXES
from kg.sparql.params import bind, load_named_queries
from kg.sparql.catalog import load_examples
from kg.store.remote import with_substitutions
from kg.web.render.pages import script_json

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
#: Where the example queries live when nothing else says so: the checkout the package runs from.
_PACKAGE_PROJECT_ROOT = Path(__file__).resolve().parents[3]

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

router = APIRouter()


def queries_dir(request: Request) -> Path:
    """The folder of example queries.

    Order: `app.state.queries_dir`, the project root of the app settings (`app.state.settings` or
    `app.state.kg.settings`),
    the process setting `queries` ($HILFENETZ_QUERIES), the checkout this package was installed from, `./queries`."""
    state = request.app.state
    explicit = getattr(state, "queries_dir", None)
    if explicit:
        return Path(explicit)
    candidates = (getattr(state, "settings", None), getattr(getattr(state, "kg", None), "settings", None))
    for settings in candidates:
        for attr in ("project_root", "project"):
            root = getattr(settings, attr, None)
            if root:
                return Path(root) / "queries"
    configured = env_setting("queries")
    if configured is not None:
        return Path(configured)
    packaged = _PACKAGE_PROJECT_ROOT / "queries"
    if packaged.is_dir():
        return packaged
    return Path.cwd() / "queries"


@router.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse, include_in_schema=False)
def index() -> HTMLResponse:
    """The query page, with the project prefixes embedded as JSON for the editor."""
    html = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    html = html.replace("__PREFIXES_JSON__", script_json(PREFIXES, indent=None))
    return HTMLResponse(html, headers={"Content-Security-Policy": CSP, "Cache-Control": "no-cache"})


@router.api_route("/static/{name}", methods=["GET", "HEAD"], include_in_schema=False)
def static_file(name: str) -> FileResponse:
    """A file of kg/web/static by plain name (no sub-paths: nothing outside can be reached)."""
    path = STATIC_DIR / name
    if "/" in name or "\\" in name or name.startswith(".") or not path.is_file() or name == "index.html":
        raise HTTPException(status_code=404)
    media = _MEDIA_TYPES.get(path.suffix, "application/octet-stream")
    return FileResponse(path, media_type=media, headers={"Cache-Control": "no-cache"})


@router.get("/api/examples", tags=["ui"])
def examples(request: Request) -> JSONResponse:
    """The example queries of `queries/` (name, title de/en, description de/en, params, query).

    A file whose parameters have header defaults gets them as a VALUES block, the way the REST
    API binds them (`/api/queries/{name}` without values): unbound, a query such as "health
    office of a municipality" would run for all 10,953 Gemeinden, which is not the example."""
    folder = queries_dir(request)
    named = {q.name: q for q in load_named_queries(folder)}
    items = []
    for example in load_examples(folder):
        item = example.to_json()
        query = named.get(example.name)
        bound = bind(query, {}, None) if query is not None else {}
        if bound:
            item["query"] = with_substitutions(str(item["query"]), bound)
        items.append(item)
    return JSONResponse(items)
