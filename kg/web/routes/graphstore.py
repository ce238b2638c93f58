"""SPARQL 1.1 Graph Store HTTP Protocol at `/store` (only when a write token is configured).

Indirect identification: `/store?graph=<IRI>` or `/store?default`; direct identification: any
path below `/store/`, whose graph IRI is the public base URL + the path. GET/HEAD read a graph
(404 if it does not exist), PUT replaces it (201 if new), POST merges into it (or, on `/store`
itself, creates a new graph: 201 + Location), DELETE drops it (404 if it does not exist).
Every method requires a bearer token: writes the admin scope (kg.web.auth), reads admin, review or
a contributor's own graph. Every change goes through kg.graph.write as one
SPARQL Update (validated against the shapes before commit; 422 and no change on violation).
Bodies: Turtle, N-Triples, RDF/XML, JSON-LD, or multipart/form-data of those; malformed RDF is a
400 naming line and column; other media types are 415.
"""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import uuid
import xml.parsers.expat
from typing import Any
from urllib.parse import urlsplit

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import Response

from kg import formats
from kg.errors import BadRequest, Forbidden, KgError, UnsupportedMediaType
from kg.graph.changes import ChangeMeta
from kg.graph.write import apply_update, graph_store_diff
from kg.i18n import Msg
from kg.rdf import PREFIXES
from kg.web.auth import Principal, actor, admin_only, authenticate, require, tokens
from kg.web.http import (
    BodyTooLarge,
    error,
    error_response,
    media_type,
    read_body,
    valid_iri,
)
from kg.web.negotiation import (
    Format,
    describe_offers,
    format_from_content_type,
    negotiate,
)
from kg.web.routes.sparql import write_outcome_response
from kg.web.state import service

#: Formats a single graph is read and written in (no dataset formats).
GRAPH_FORMATS: tuple[Format, ...] = formats.TRIPLE_FORMATS
METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE"]


def _target(request: Request, direct_path: str | None) -> str | None:
    """The graph IRI the request addresses; None means the default graph; '' means the store."""
    if direct_path is not None:
        iri = service(request).settings.base_url() + "/store/" + direct_path
        if not valid_iri(iri):
            raise BadRequest(f"{iri!r} is not a valid graph IRI.", de="Keine gültige Graph-IRI.")
        return iri
    graphs = request.query_params.getlist("graph")
    has_default = "default" in request.query_params
    if graphs and has_default:
        raise BadRequest("Use either ?graph= or ?default, not both.",
                         de="Entweder ?graph= oder ?default, nicht beides.")
    if len(graphs) > 1:
        raise BadRequest("Exactly one ?graph= parameter is allowed.", de="Genau ein ?graph=-Parameter ist erlaubt.")
    if has_default:
        return None
    if graphs:
        iri = graphs[0]
        if not urlsplit(iri).scheme or not valid_iri(iri):
            raise BadRequest(f"?graph= must be an absolute IRI, not {iri!r}.",
                             de="?graph= muss eine absolute IRI sein.")
        return iri
    return ""


def _parse_body(body: bytes, content_type: str | None, base_iri: str) -> list[Any]:
    """Triples of an RDF body (or of every part of a multipart/form-data body)."""
    mtype, _ = media_type(content_type)
    documents: list[tuple[bytes, str | None]] = []
    if mtype == "multipart/form-data":
        header = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(header + body)
        if not msg.is_multipart():
            raise BadRequest("Malformed multipart/form-data body.", de="Fehlerhafter multipart/form-data-Body.")
        for part in msg.iter_parts():
            payload = part.get_payload(decode=True) or b""
            documents.append((payload, part.get("content-type")))
    else:
        documents.append((body, content_type))
    triples: list[Any] = []
    for payload, ctype in documents:
        fmt = format_from_content_type(ctype, GRAPH_FORMATS)
        if fmt is None:
            raise UnsupportedMediaType(
                f"Unsupported media type {ctype or '(none)'}; use one of {describe_offers(GRAPH_FORMATS)}.",
                de=f"Nicht unterstützter Medientyp {ctype or '(keiner)'}; erlaubt: {describe_offers(GRAPH_FORMATS)}.",
            )
        if fmt.key == "rdfxml":
            _require_well_formed_xml(payload)
        try:
            for quad in ox.parse(payload, format=fmt.rdf, base_iri=base_iri,
                                 rename_blank_nodes=True):
                triples.append(ox.Triple(quad.subject, quad.predicate, quad.object))
        except SyntaxError as exc:
            where = f" (line {exc.lineno}, column {exc.offset})" if getattr(exc, "lineno", None) else ""
            raise BadRequest(f"RDF syntax error{where}: {exc}", de=f"RDF-Syntaxfehler{where}.") from None
        except ValueError as exc:
            raise BadRequest(f"RDF could not be read: {exc}", de="RDF konnte nicht gelesen werden.") from None
    return triples


def _require_well_formed_xml(payload: bytes) -> None:
    """pyoxigraph 0.5 reads RDF/XML without its closing tags, so an interrupted upload would be
    stored as if complete; check well-formedness first (expat: no DTD or entity fetching)."""
    parser = xml.parsers.expat.ParserCreate()
    try:
        parser.Parse(payload, True)
    except xml.parsers.expat.ExpatError as exc:
        where = f" (line {exc.lineno}, column {exc.offset + 1})"
        raise BadRequest(f"RDF/XML is not well-formed XML{where}: {xml.parsers.expat.ErrorString(exc.code)}",
                         de=f"RDF/XML ist kein wohlgeformtes XML{where}.") from None


def _insert_data(graph: str | None, triples: list[Any]) -> str:
    if not triples:
        return ""
    lines = "\n".join(f"{t.subject} {t.predicate} {t.object} ." for t in triples)
    if graph is None:
        return f"INSERT DATA {{\n{lines}\n}}"
    return f"INSERT DATA {{ GRAPH <{graph}> {{\n{lines}\n}} }}"


def _exists(state: Any, graph: str | None) -> bool:
    if graph is None:
        return True
    return bool(state.store.contains_named_graph(ox.NamedNode(graph)))


def _read_graph(state: Any, graph: str | None, fmt_key: str) -> bytes:
    g = ox.DefaultGraph() if graph is None else ox.NamedNode(graph)
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in state.store.quads_for_pattern(None, None, None, g)]
    fmt = formats.by_key(fmt_key).rdf
    if fmt_key in ("ttl", "rdfxml"):
        return ox.serialize(triples, format=fmt, prefixes=dict(PREFIXES))
    return ox.serialize(triples, format=fmt)


async def _write(request: Request, state: Any, update: str, graph: str | None, method: str,
                 triples: list[Any]) -> Any:
    def work() -> Any:
        # the request says its change (graph_store_diff, computed under the write lock); `update`
        # is what the general fallback runs, and it changes one graph: only that one is compared
        diff = graph_store_diff(state.store, method, graph, triples)
        return apply_update(state, update, base_iri=None, validate=state.settings.validate_writes, graphs=[graph],
                            meta=ChangeMeta(actor=actor(request), action="graph-store"), diff=diff)

    def locked() -> Any:
        with state.write_lock:
            return work()

    return await asyncio.get_running_loop().run_in_executor(None, locked)


_WRITE_WHAT = Msg("Schreiben über das Graph Store Protocol", "Writing through the Graph Store Protocol")


def _check_read(principal: Principal, graph: str | None) -> None:
    """Admins and reviewers read every graph; a contributor only the graphs it may contribute to."""
    if principal.reviewer or (graph and principal.may_contribute_to(graph)):
        return
    raise Forbidden(f"The token {principal.name!r} may read only its own contribution graphs here.",
                    de=f"Das Token {principal.name!r} darf hier nur seine eigenen Beitragsgraphen lesen.")


async def handle(request: Request, direct_path: str | None = None) -> Response:
    """One Graph Store Protocol request."""

    state = service(request)
    try:
        method = request.method
        reading = method in ("GET", "HEAD")
        principal = authenticate(request, tokens(state)) if reading else \
            require(request, tokens(state), admin_only(_WRITE_WHAT))
        graph = _target(request, direct_path)
        if reading:
            _check_read(principal, graph)
            if graph == "":
                return error(400, "Name a graph with ?graph=<IRI> or ?default.",
                             "Graph mit ?graph=<IRI> oder ?default angeben.")
            fmt = negotiate(request.headers.get("accept"), GRAPH_FORMATS, tuple(request.query_params.getlist("format")))
            if fmt is None:
                return error(406, f"No acceptable format; available: {describe_offers(GRAPH_FORMATS)}.")
            if not _exists(state, graph):
                return error(404, f"No graph <{graph}> in the store.", f"Kein Graph <{graph}> im Store.")
            headers = {"Content-Type": fmt.content_type, "Vary": "Accept"}
            if method == "HEAD":
                return Response(status_code=200, headers=headers)
            body = await asyncio.get_running_loop().run_in_executor(None, _read_graph, state, graph, fmt.key)
            return Response(body, status_code=200, headers=headers)
        if method == "DELETE":
            if graph == "":
                return error(400, "Name a graph with ?graph=<IRI> or ?default.",
                             "Graph mit ?graph=<IRI> oder ?default angeben.")
            if not _exists(state, graph):
                return error(404, f"No graph <{graph}> in the store.", f"Kein Graph <{graph}> im Store.")
            update = "CLEAR DEFAULT" if graph is None else f"DROP GRAPH <{graph}>"
            outcome = await _write(request, state, update, graph, "DELETE", [])
            return write_outcome_response(request, outcome, Response(status_code=204))
        # PUT / POST
        try:
            body = await read_body(request, state.settings.max_body_bytes)
        except BodyTooLarge as exc:
            return error_response(exc)
        created_location: str | None = None
        if graph == "":
            if method == "PUT":
                return error(400, "PUT needs ?graph=<IRI> or ?default.", "PUT braucht ?graph=<IRI> oder ?default.")
            graph = state.settings.base_url() + "/store/graphs/" + uuid.uuid4().hex
            created_location = graph
        base = graph if graph is not None else state.settings.base_url() + "/store"
        triples = _parse_body(body, request.headers.get("content-type"), base)
        existed = _exists(state, graph)
        if method == "PUT":
            parts = [
                "CLEAR SILENT DEFAULT" if graph is None else f"DROP SILENT GRAPH <{graph}> ; CREATE GRAPH <{graph}>"
            ]
        else:
            parts = [] if graph is None or existed else [f"CREATE SILENT GRAPH <{graph}>"]
        data = _insert_data(graph, triples)
        if data:
            parts.append(data)
        if not parts:
            return Response(status_code=204)
        outcome = await _write(request, state, " ;\n".join(parts), graph, method, triples)
        if created_location is not None:
            success = Response(status_code=201, headers={"Location": created_location})
        elif not existed:
            success = Response(status_code=201, headers={"Location": graph or ""})
        else:
            success = Response(status_code=204)
        return write_outcome_response(request, outcome, success)
    except KgError as exc:
        return error_response(exc)


async def store_indirect(request: Request) -> Response:
    """Graph Store Protocol, indirect identification (?graph= / ?default)."""
    return await handle(request)


async def store_direct(request: Request, path: str) -> Response:
    """Graph Store Protocol, direct identification (the request URL is the graph IRI)."""
    if not path:
        return await handle(request)
    return await handle(request, direct_path=path)
