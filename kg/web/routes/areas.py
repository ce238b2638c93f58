"""`/gebiet/{key}`: the profile of an area; `/vergleich?a=…&b=…`: two areas side by side.

Both as HTML for people and as JSON for programs — the same URL with `Accept: application/json`
or with `.json` appended (`/gebiet/05562.json`, `/vergleich.json?a=…&b=…`); the HTML is rendered
from exactly the data the JSON carries (kg.query.profile → kg.web.render.profile). `key` is the
local part of the area's IRI (`05562014`, `05562`, `05`, `gv-055620014`, `rheinland`) or a
12-digit ARS. ETags and 304s come from the one helper (kg.web.http.conditional); the body
depends only on the store's content and the language, so an unchanged page keeps its ETag.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from kg import formats
from kg.query.profile import area_profile, resolve
from kg.web.http import conditional
from kg.web.negotiation import negotiate
from kg.web.render import profile as render
from kg.web.routes.linkeddata import not_acceptable, page_context
from kg.web.state import service

OFFERS = (formats.HTML, formats.JSON)
HEADERS = {"Vary": "Accept, Accept-Language"}


def _format(request: Request, forced_json: bool) -> formats.Format | None:
    if forced_json:
        return formats.JSON
    return negotiate(request.headers.get("accept"), OFFERS, request.query_params.get("format"))


def _json(request: Request, data: Any, status: int = 200) -> Response:
    body = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True).encode()
    if status != 200:
        return Response(body, status_code=status, media_type="application/json", headers=HEADERS)
    return conditional(request, body, "application/json", headers=HEADERS)


def _not_found(request: Request, fmt: formats.Format, key: str) -> Response:
    state = service(request)
    if fmt.key != "html":
        return _json(request, {"error": "not found", "key": key,
                               "de": "Kein Gebiet mit diesem Schlüssel", "en": "No area with this key"}, 404)
    ctx = page_context(request, state)
    body = render.compare_page(ctx, None, None, key, "", f'{render.t("unknown_area", ctx.lang)}: {key}')
    return Response(body, status_code=404, media_type="text/html; charset=utf-8", headers=HEADERS)


def area(key: str, request: Request) -> Response:
    """The profile of one area (Gemeinde, Kreis, Land, Regierungsbezirk, region)."""
    forced = key.endswith(".json")
    key = key.removesuffix(".json")
    fmt = _format(request, forced)
    if fmt is None:
        return not_acceptable([f.media_type for f in OFFERS])
    state = service(request)
    ctx = page_context(request, state)
    iri = resolve(state.store, key)
    profile = area_profile(state.store, iri, ctx.lang) if iri else None
    if profile is None:
        return _not_found(request, fmt, key)
    if fmt.key != "html":
        return _json(request, profile)
    body = render.profile_page(ctx, profile).encode()
    return conditional(request, body, "text/html; charset=utf-8",
                       headers={**HEADERS, "Content-Language": ctx.lang})


def _compare(request: Request, forced_json: bool) -> Response:
    fmt = _format(request, forced_json)
    if fmt is None:
        return not_acceptable([f.media_type for f in OFFERS])
    state = service(request)
    ctx = page_context(request, state)
    key_a = request.query_params.get("a", "")[:80]
    key_b = request.query_params.get("b", "")[:80]
    found: list[dict[str, Any] | None] = []
    missing = []
    for key in (key_a, key_b):
        iri = resolve(state.store, key) if key else None
        found.append(area_profile(state.store, iri, ctx.lang) if iri else None)
        if key and found[-1] is None:
            missing.append(key)
    a, b = found
    message = f'{render.t("unknown_area", ctx.lang)}: {", ".join(missing)}' if missing else ""
    status = 404 if missing else 200
    if fmt.key != "html":
        if a is None or b is None:
            return _json(request, {"error": "two areas needed (a, b)", "unknown": missing,
                                   "de": "Zwei Gebiete nötig (a, b)", "en": "Two areas needed (a, b)"},
                         404 if missing else 400)
        return _json(request, {"a": a, "b": b})
    body = render.compare_page(ctx, a, b, key_a, key_b, message).encode()
    if status != 200:
        return Response(body, status_code=status, media_type="text/html; charset=utf-8", headers=HEADERS)
    return conditional(request, body, "text/html; charset=utf-8", headers={**HEADERS, "Content-Language": ctx.lang})


def compare(request: Request) -> Response:
    """Two areas side by side; without `a` and `b` the form to choose them."""
    return _compare(request, False)


def compare_json(request: Request) -> Response:
    """`/vergleich.json`: the comparison as JSON."""
    return _compare(request, True)
