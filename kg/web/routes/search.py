"""`GET /api/search?q=`: ranked, German-aware entity search (index: kg.query.search).

The index lives as long as the app (kg.query.service.ServiceState.search) and follows the store
version, so a rebuilt store (read-only mode) or a committed write (write mode) is searchable at once.

Also `GET /search`: a script-free HTML search page (form + ranked hits linking to the entity
pages), usable as the UI's search box without touching the query UI's files.
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox
from fastapi import Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from kg.i18n import Msg
from kg.query.describe import Vocabulary
from kg.query.search import About, Hit, expand_type
from kg.rdf import HN, HNID, RDF_TYPE
from kg.web.render import pages
from kg.web.render.pages import e
from kg.web.routes.linkeddata import page_context
from kg.web.state import service

MAX_QUERY = 200
MAX_LIMIT = 100
#: the type choices of the search page (value, label)
PAGE_TYPES: tuple[tuple[str, Msg], ...] = (
    ("", Msg("alle Arten", "all kinds")), ("hn:Organisation", Msg("Organisationen", "Organisations")),
    ("hn:Person", Msg("Personen", "People")), ("hn:Programme", Msg("Programme", "Programmes")),
    ("hn:Project", Msg("Projekte", "Projects")), ("hn:Event", Msg("Veranstaltungen", "Events")),
    ("hn:Offer", Msg("Angebote", "Offers")), ("hn:Municipality", Msg("Gemeinden", "Municipalities")),
    ("hn:District", Msg("Kreise", "Districts")), ("hn:Land", Msg("Länder", "Länder (states)")),
    ("hn:HealthOffice", Msg("Gesundheitsämter", "Health offices")), ("skos:Concept", Msg("Begriffe", "Concepts")),
)
TEXTS: dict[str, Msg] = {
    "title": Msg("Suche im hilfenetz", "Search hilfenetz"),
    "q": Msg("Suchbegriff", "Search term"),
    "type": Msg("Art", "Kind"),
    "land": Msg("Land", "Land (state)"),
    "all_laender": Msg("alle Länder", "all Länder"),
    "submit": Msg("Suchen", "Search"),
    "hits": Msg("{n} Treffer für „{q}“", "{n} hits for “{q}”"),
    "none": Msg("Keine Treffer für „{q}“.", "No hits for “{q}”."),
    "kreis": Msg("Kreis", "District"),
    "hint": Msg("Groß- und Kleinschreibung, Umlaute (ö/oe), Bindestriche, Wortformen und kleine Tippfehler "
                "spielen keine Rolle.",
                "Case, umlauts (ö/oe), hyphens, word forms and small typos do not matter."),
    "api": Msg("Dieselbe Suche als JSON", "The same search as JSON"),
}


def entity_href(iri: str) -> str:
    """Local entity page for project IRIs (served at /id/...), else the IRI itself."""
    return "/id/" + iri[len(HNID):] if iri.startswith(HNID) else iri


def kind_label(about: About, vocab: Vocabulary, lang: str) -> str:
    """The most specific asserted class(es) of a hit in words ("Gemeinde")."""
    own = [k for k in about.kinds if k.startswith(HN)] or list(about.kinds)
    names = [vocab.label(k, lang) or k.rsplit("#", 1)[-1].rsplit("/", 1)[-1] for k in vocab.most_specific(own)]
    return " / ".join(names)


def place_text(about: About, lang: str) -> str:
    """"Kreis Recklinghausen, Nordrhein-Westfalen" (what is known of it)."""
    parts = []
    if about.kreis is not None:
        label = about.kreis.label
        kreis = TEXTS["kreis"].text(lang)
        parts.append(label if label.lower().startswith(("kreis", "landkreis", "district")) or "," in label
                     else f"{kreis} {label}")
    if about.land is not None:
        parts.append(about.land.label)
    return ", ".join(parts)


def hit_json(h: Hit, vocab: Vocabulary, lang: str) -> dict[str, Any]:
    """One hit as JSON: the fields of before, plus kind and place (what tells equal labels apart)."""
    a = h.about
    return {
        "iri": h.iri, "label": h.label, "score": h.score, "types": list(h.types), "matched": list(h.matched),
        "kinds": list(a.kinds), "kindLabel": kind_label(a, vocab, lang),
        "kreis": {"iri": a.kreis.iri, "label": a.kreis.label} if a.kreis else None,
        "land": {"iri": a.land.iri, "label": a.land.label} if a.land else None,
        "place": place_text(a, lang),
    }


def disambiguate(hits: list[dict[str, Any]]) -> None:
    """Equal labels among the hits get their kind and, if still equal, their place appended in
    `display` ("Gladbeck, Stadt (Gemeinde)" / "Gladbeck, Stadt (Gemeindeverband)")."""
    counts: dict[str, int] = {}
    for h in hits:
        counts[h["label"]] = counts.get(h["label"], 0) + 1
    for h in hits:
        h["display"] = h["label"]
        if counts[h["label"]] > 1 and h["kindLabel"]:
            h["display"] = f'{h["label"]} ({h["kindLabel"]})'
    counts2: dict[str, int] = {}
    for h in hits:
        counts2[h["display"]] = counts2.get(h["display"], 0) + 1
    for h in hits:
        if counts2[h["display"]] > 1 and h["place"]:
            h["display"] = f'{h["display"]} – {h["place"]}'


def laender(store: Any) -> list[tuple[str, str]]:
    """(IRI, label) of every Land in the store, by label."""
    out = []
    for q in store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), ox.NamedNode(HN + "Land"), None):
        if isinstance(q.subject, ox.NamedNode):
            labels = [x.object.value for x in store.quads_for_pattern(
                q.subject, ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"), None, None)]
            out.append((q.subject.value, sorted(labels)[0] if labels else q.subject.value))
    return sorted(set(out), key=lambda x: x[1])


def render_page(ctx: pages.PageContext, q: str, type_value: str, land: str, choices: list[tuple[str, str]],
                hits: list[dict[str, Any]] | None, total: int) -> str:
    """The search page in the site's layout: a plain GET form (works without script) with filters
    by kind and Land, and the hits with their kind and place."""
    lang = ctx.lang
    tx = {k: m.text(lang) for k, m in TEXTS.items()}
    options = "".join(f'<option value="{e(v)}"{" selected" if v == type_value else ""}>{e(m.text(lang))}</option>'
                      for v, m in PAGE_TYPES)
    land_opts = f'<option value="">{e(tx["all_laender"])}</option>' + "".join(
        f'<option value="{e(iri)}"{" selected" if iri == land else ""}>{e(label)}</option>' for iri, label in choices)
    items = ""
    if hits is not None:
        lis = "".join(
            f'<li><a href="{e(ctx.root + entity_href(h["iri"]))}">{e(h["display"])}</a>'
            f'<div class="hit-meta"><span class="chip">{e(h["kindLabel"] or "–")}</span>'
            + (f' {e(h["place"])}' if h["place"] else "") + "</div></li>" for h in hits)
        items = (f'<p id="hit-count" role="status">{e(tx["hits"].format(n=total, q=q))}</p><ol class="hits">{lis}</ol>'
                 if hits else f'<p id="hit-count" role="status">{e(tx["none"].format(q=q))}</p>')
    body = f"""<h1 id="title">{e(tx["title"])}</h1>
<form class="filters" method="get" action="{e(ctx.root)}/search" role="search" aria-label="{e(tx["title"])}">
<label for="q">{e(tx["q"])}<input id="q" name="q" type="search" value="{e(q)}" maxlength="{MAX_QUERY}" required></label>
<label for="type">{e(tx["type"])}<select id="type" name="type">{options}</select></label>
<label for="land">{e(tx["land"])}<select id="land" name="land">{land_opts}</select></label>
<input type="hidden" name="lang" value="{e(lang)}">
<button type="submit">{e(tx["submit"])}</button>
</form>
<p class="muted">{e(tx["hint"])}</p>
{items}"""
    return pages.layout(ctx, tx["title"], body)


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
    land: str = Query("", max_length=200, description="Only entities lying in this Land (its IRI)."),
    lang: str = Query("de", pattern="^(de|en)$", description="Language of kindLabel, place and display."),
) -> JSONResponse:
    """Ranked hits as JSON, each with its kind and place and a `display` label that tells equal
    labels apart."""
    allowed = {"q", "type", "limit", "offset", "land", "lang"}
    for name in request.query_params:
        if name not in allowed:
            return _error(name, "unknown parameter", "extra_forbidden")
    types: list[str] = []
    for t in type:
        iri = expand_type(t)
        if iri is None:
            return _error("type", f"not a class CURIE or IRI: {t}")
        types.append(iri)
    state = service(request)
    index = await run_in_threadpool(state.search.index)
    hits, total = await run_in_threadpool(index.search, q, types, limit, offset, land or None)
    vocab = state.linked_data.vocab.get(state.store, state.version)
    out = [hit_json(h, vocab, lang) for h in hits]
    disambiguate(out)
    return JSONResponse({
        "q": q,
        "types": types,
        "land": land or None,
        "total": total,
        "limit": limit,
        "offset": offset,
        "hits": out,
    })


async def search_page(request: Request, q: str = Query("", max_length=MAX_QUERY),
                      type: str = Query("", max_length=200), land: str = Query("", max_length=200)) -> HTMLResponse:
    """The HTML search page (site layout, German and English)."""
    state = service(request)
    ctx = page_context(request, state)
    hits: list[dict[str, Any]] | None = None
    total = 0
    iri = expand_type(type) if type else None
    choices = await run_in_threadpool(laender, state.store)
    if q.strip():
        index = await run_in_threadpool(state.search.index)
        found, total = await run_in_threadpool(index.search, q, [iri] if iri else [], 50, 0, land or None)
        hits = [hit_json(h, ctx.vocab, ctx.lang) for h in found]
        disambiguate(hits)
    return HTMLResponse(render_page(ctx, q, type, land, choices, hits, total),
                        headers={"Cache-Control": "no-cache", "Content-Language": ctx.lang,
                                 "Vary": "Accept-Language"})
