"""`/api/docs`: the interactive REST API docs, served entirely from this server (no CDN, unlike
FastAPI's /docs), under a CSP without inline scripts. 404 when Swagger UI is not installed."""

from __future__ import annotations

from pathlib import Path

from fastapi.responses import Response

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


def docs() -> Response:
    """The Swagger UI page for /openapi.json."""
    if swagger_ui_dir() is None:
        return Response("Swagger UI is not installed (pip install swagger-ui-bundle-v2)", status_code=404)
    return Response(_DOCS_HTML, media_type="text/html; charset=utf-8", headers={"Content-Security-Policy": _DOCS_CSP})


def docs_init() -> Response:
    """The page's script (a file, so the CSP needs no inline script)."""
    return Response(_DOCS_INIT, media_type="text/javascript; charset=utf-8")


def docs_asset(name: str) -> Response:
    """Swagger UI's CSS and bundle, by plain name."""
    base = swagger_ui_dir()
    if base is None or name not in _DOCS_ASSETS:
        return Response(status_code=404)
    return Response((base / name).read_bytes(), media_type=_DOCS_ASSETS[name],
                    headers={"Cache-Control": "public, max-age=86400"})
