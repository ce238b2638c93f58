"""The change history over HTTP: `/changes` (HTML in the site's layout, or JSON), `/changes.atom`
(an Atom feed for watchers), `/changes/{id}` (one change) and `POST /changes/{id}/revert`.

Why from the server's own store handle and not a worker: the history is read by index lookups
(kg.graph.changes.history), a few milliseconds, and must show a write the moment it is answered.
The revert is guarded by the write token (the admin scope once named tokens exist) and is a
write like any other: validated, recorded, refused with 409 and the dependent changes when later
changes built on it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any
from urllib.parse import urlencode
from xml.sax.saxutils import escape as xml_escape

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from kg.errors import KgError, RevertRefused
from kg.graph import changes
from kg.graph.write import revert_change
from kg.web.auth import actor, check_write_token
from kg.web.http import error, error_response
from kg.web.render import pages
from kg.web.routes.linkeddata import base_url, page_context
from kg.web.state import service

log = logging.getLogger("hilfenetz.changes")

MAX_LIMIT = 500
ATOM = "application/atom+xml; charset=utf-8"

CHANGES_DOC: dict[str, Any] = {
    "summary": "Recorded changes, newest first (HTML, or JSON with Accept: application/json or ?format=json)",
    "operation_id": "list_changes",
    "tags": ["history"],
}
FEED_DOC: dict[str, Any] = {"summary": "The recorded changes as an Atom feed", "operation_id": "changes_feed",
                            "tags": ["history"]}
CHANGE_DOC: dict[str, Any] = {"summary": "One recorded change (JSON or HTML)", "operation_id": "get_change",
                              "tags": ["history"]}
REVERT_DOC: dict[str, Any] = {
    "summary": "Revert a recorded change (write token); 409 with the dependent changes when later ones built on it",
    "operation_id": "revert_change", "tags": ["history"],
}


def _filters(request: Request) -> tuple[str | None, str | None, int] | Response:
    q = request.query_params
    try:
        limit = int(q.get("limit", "50"))
    except ValueError:
        return error(400, "limit must be a number.", "limit muss eine Zahl sein.")
    if not 1 <= limit <= MAX_LIMIT:
        return error(400, f"limit must be between 1 and {MAX_LIMIT}.", f"limit muss zwischen 1 und {MAX_LIMIT} liegen.")
    return q.get("graph") or None, q.get("resource") or None, limit


def _wants_json(request: Request) -> bool:
    if request.query_params.get("format") == "json":
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _label(action: str, lang: str) -> str:
    de = {"update": "SPARQL-Update", "graph-store": "Graph-Store-Schreibvorgang", "import": "Import",
          "hsds-import": "HSDS-Import", "contribution": "Beitrag", "revert": "Rücknahme",
          "build": "Neuaufbau (kg build)"}
    return de.get(action, action) if lang == "de" else action


def _rows_html(ctx: pages.PageContext, found: list[changes.ChangeInfo]) -> str:
    de = ctx.lang == "de"
    head = ("Änderung", "Zeit", "Wer", "Was", "+", "−", "Graphen") if de else \
        ("change", "time", "who", "what", "+", "−", "graphs")
    rows = []
    for c in found:
        what = _label(c.action, ctx.lang)
        if c.reverts:
            what += f' <a href="{pages.e(ctx.root)}/changes/{pages.e(c.reverts)}">{pages.e(c.reverts)}</a>'
        rows.append(
            f'<tr><td><a href="{pages.e(ctx.root)}/changes/{pages.e(c.id)}">{pages.e(c.id)}</a></td>'
            f"<td>{pages.e(c.time)}</td><td>{pages.e(c.actor)}</td><td>{what}</td>"
            f"<td>{c.added}</td><td>{c.removed}</td>"
            f'<td>{"<br>".join(pages.e(g) for g in c.graphs)}</td></tr>')
    if not rows:
        return f'<p class="muted" id="none">{"Keine Änderungen." if de else "No changes."}</p>'
    return ('<table class="props" id="changes"><tr>' + "".join(f"<th>{h}</th>" for h in head) + "</tr>"
            + "".join(rows) + "</table>")


async def _history(request: Request) -> tuple[list[changes.ChangeInfo], str | None, str | None] | Response:
    """The changes the request's filters select (newest first) with its graph and resource
    filters, or the 400 answer to a bad filter: what /changes and /changes.atom both list."""
    got = _filters(request)
    if isinstance(got, Response):
        return got
    graph, resource, limit = got
    found = await run_in_threadpool(changes.history, service(request).store, graph=graph, resource=resource,
                                    limit=limit)
    return found, graph, resource


async def changes_page(request: Request) -> Response:
    """The history, newest first, filtered by ?graph= and ?resource=; HTML or JSON."""
    got = await _history(request)
    if isinstance(got, Response):
        return got
    found, graph, resource = got
    state = service(request)
    if _wants_json(request):
        return Response(json.dumps({"changes": [c.to_json() for c in found]}, ensure_ascii=False),
                        media_type="application/json", headers={"Cache-Control": "no-cache"})
    ctx = await run_in_threadpool(page_context, request, state)
    de = ctx.lang == "de"
    title = "Änderungen" if de else "Changes"
    scope = ""
    if resource:
        scope += f'<p class="iri">{"Ressource" if de else "resource"}: <a href="{pages.e(ctx.href(resource))}">' \
                 f"{pages.e(resource)}</a></p>"
    if graph:
        scope += f'<p class="iri">{"Graph" if de else "graph"}: {pages.e(graph)}</p>'
    feed = f"{ctx.root}/changes.atom" + (f"?{urlencode({k: v for k, v in request.query_params.items()})}"
                                         if request.query_params else "")
    body = (f'<h1 id="title">{title}</h1>{scope}'
            f'<p class="muted">{"Neueste zuerst" if de else "Newest first"} · '
            f'<a href="{pages.e(feed)}" type="application/atom+xml">Atom</a></p>'
            + _rows_html(ctx, found))
    head = f'<link rel="alternate" type="application/atom+xml" href="{pages.e(feed)}">'
    return Response(pages.layout(ctx, title, body, head=head), media_type="text/html; charset=utf-8",
                    headers={"Cache-Control": "no-cache"})


def atom_feed(found: list[changes.ChangeInfo], base: str, self_href: str) -> str:
    """Atom 1.0 (RFC 4287): one entry per change, its id the change's IRI."""
    updated = found[0].time if found else "1970-01-01T00:00:00Z"
    entries = []
    for c in found:
        title = f"{c.action} by {c.actor}: +{c.added} −{c.removed}"
        summary = f"{c.action}; graphs: {', '.join(c.graphs) or '-'}" + (f"; {c.comment}" if c.comment else "")
        entries.append(
            f"<entry><id>{xml_escape(c.iri)}</id><title>{xml_escape(title)}</title>"
            f"<updated>{xml_escape(c.time)}</updated><author><name>{xml_escape(c.actor)}</name></author>"
            f'<link rel="alternate" type="text/html" href="{xml_escape(base)}/changes/{xml_escape(c.id)}"/>'
            f"<summary>{xml_escape(summary)}</summary></entry>")
    return ('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
            f"<id>{xml_escape(base)}/changes</id><title>hilfenetz – Änderungen / changes</title>"
            f"<updated>{xml_escape(updated)}</updated><author><name>hilfenetz</name></author>"
            f'<link rel="self" type="application/atom+xml" href="{xml_escape(self_href)}"/>'
            f'<link rel="alternate" type="text/html" href="{xml_escape(base)}/changes"/>'
            + "".join(entries) + "</feed>\n")


async def changes_feed(request: Request) -> Response:
    """The history as an Atom feed (same filters as /changes)."""
    got = await _history(request)
    if isinstance(got, Response):
        return got
    found = got[0]
    state = service(request)
    base = base_url(request, state.settings)
    return Response(atom_feed(found, base, str(request.url)), media_type=ATOM, headers={"Cache-Control": "no-cache"})


async def change_detail(request: Request, change_id: str) -> Response:
    """One change: JSON (with its added and removed triples as N-Quads) or an HTML page."""
    state = service(request)
    try:
        info = await run_in_threadpool(changes.get, state.store, change_id)
    except KgError as exc:
        return error_response(exc)
    if _wants_json(request):
        data = info.to_json()
        added, removed = await run_in_threadpool(changes.quads_of, state.store, info.id)
        data["addedQuads"] = "".join(f"{q} .\n" for q in added)
        data["removedQuads"] = "".join(f"{q} .\n" for q in removed)
        return Response(json.dumps(data, ensure_ascii=False), media_type="application/json")
    ctx = await run_in_threadpool(page_context, request, state)
    de = ctx.lang == "de"
    resources = "".join(f'<li><a href="{pages.e(ctx.href(r))}">{pages.e(r)}</a></li>' for r in info.resources[:200])
    body = (f'<h1 id="title">{"Änderung" if de else "Change"} {pages.e(info.id)}</h1>'
            + _rows_html(ctx, [info])
            + (f"<p>{pages.e(info.comment)}</p>" if info.comment else "")
            + f'<h2>{"Betroffene Ressourcen" if de else "Resources changed"}</h2><ul id="resources">{resources}</ul>'
            + f'<p class="muted"><a href="{pages.e(ctx.root)}/changes/{pages.e(info.id)}?format=json">JSON</a></p>')
    return Response(pages.layout(ctx, f"{'Änderung' if de else 'Change'} {info.id}", body),
                    media_type="text/html; charset=utf-8")


async def revert(request: Request, change_id: str) -> Response:
    """Revert one change (write token): 200 with the new change's id, 409 when refused."""
    state = service(request)
    denied = check_write_token(request)
    if denied is not None:
        return denied
    who = actor(request)

    def work() -> str:
        return revert_change(state, change_id, actor=who,
                             comment=request.query_params.get("comment"), validate=state.settings.validate_writes)

    try:
        new = await asyncio.get_running_loop().run_in_executor(None, work)
    except RevertRefused as exc:
        body = {"error": str(exc), "error_de": exc.de, "dependents": exc.dependents}
        return Response(json.dumps(body, ensure_ascii=False), status_code=409, media_type="application/json")
    except KgError as exc:
        return error_response(exc, request.headers.get("accept", ""))
    reverted = changes.id_of(change_id)
    answer = {"reverted": reverted, "change": new, "kept_for_build": _mark_kept_reverted(state, reverted, new)}
    return Response(json.dumps(answer, ensure_ascii=False), media_type="application/json")


def _mark_kept_reverted(state: object, reverted: str, revert: str) -> dict[str, object]:
    """Mark the kept contribution (kg.graph.kept) that `reverted` committed as reverted, so `kg build`
    does not bring it back. As with approvals, a project directory the server cannot write only
    warns (log and answer): the revert is committed and recorded either way."""
    from kg.graph.kept import contributions_dir, mark_reverted

    root = getattr(getattr(state, "settings", None), "project_root", None)
    try:
        if root is None:
            raise OSError("the server has no project root")
        graph = mark_reverted(root, reverted, revert)
    except OSError as exc:
        where = contributions_dir(root) if root else "(no project root)"
        log.warning("revert %s of %s: %s not updated (%s)", revert, reverted, where, exc)
        return {"updated": False, "graph": None,
                "de": f"{where} wurde nicht aktualisiert ({exc}): war {reverted} ein gespeicherter Beitrag, bringt "
                      "`kg build` ihn zurück.",
                "en": f"{where} was not updated ({exc}): if {reverted} was a kept contribution, `kg build` brings "
                      "it back."}
    return {"updated": graph is not None, "graph": graph, "de": None, "en": None}
