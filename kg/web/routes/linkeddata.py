"""Linked data for portals: dereferencing `/id/…`, the JSON-LD context, /ontology, /dataset,
/.well-known/void and /downloads: module-level handlers, listed in kg.web.app.ROUTES.

Every handler takes the store, its version and the linked-data caches (kg.web.state.
LinkedDataCaches) from the app's state per request (`service(request)`), so a store swapped after
a write or a rebuild is served at once; nothing here is global.

HTTP behaviour, shared by every route here:
- content negotiation by `Accept` (q-values) or by extension (`.ttl .jsonld .nt .rdf .html`),
  `Vary: Accept, Accept-Language`, `Link: rel="alternate"` for each format, `Content-Location`;
- `ETag` (of the body, so it is right even after SPARQL updates) and `Last-Modified` (newest
  file of the store directory), conditional GET → 304, HEAD: kg.web.http.conditional;
- CORS for pages on other origins comes from the app's one middleware (kg.web.cors);
- unknown IRIs give a 404 page (HTML or text), never a 500.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from fastapi import Request
from fastapi.responses import FileResponse, Response

from kg import formats
from kg import rdf as ns
from kg.graph.dataset import (
    DATASET_IRI,
    VOID_IRI,
    dcat_description,
    licensed_sources,
    void_description,
)
from kg.graph.dump import graph_file_name
from kg.i18n import Msg
from kg.query.describe import (
    RDF_TYPE,
    SKOS,
    concept_schemes,
    concept_tree,
    describe,
    ontology_header,
    ontology_terms,
)
from kg.web.http import conditional, etag, etag_of, not_modified, not_modified_response
from kg.web.negotiation import Format, negotiate
from kg.web.render import pages
from kg.web.render.jsonld import PROFILE_EXPANDED, requested_profile
from kg.web.state import service

CANONICAL_BASE = pages.CANONICAL_BASE


TTL, JSONLD, NT, RDFXML, HTML = formats.TURTLE, formats.JSON_LD, formats.N_TRIPLES, formats.RDF_XML, formats.HTML

#: Server preference on ties: RDF clients that list many types (rdflib) get Turtle; `*/*` too.
#: A document's URL with the format's extension (`/id/x.ttl`, `.jsonld`, `.nt`, `.rdf`, `.html`)
#: names that format.
RESOURCE_FORMATS: tuple[Format, ...] = (TTL, JSONLD, NT, RDFXML, HTML)
SERIALIZE_PREFIXES: dict[str, str] = {k: v for k, v in ns.PREFIXES.items() if k != "hnid"}


# --- small HTTP helpers -------------------------------------------------------------------------


def choose_lang(request: Request) -> str:
    """`?lang=` wins; else the better of de/en in Accept-Language; German by default."""
    q = request.query_params.get("lang", "").lower()
    if q in pages.LANGS:
        return q
    best, best_q = "de", 0.0
    for part in (request.headers.get("accept-language") or "").split(","):
        fields = [x.strip() for x in part.split(";")]
        tag = fields[0].lower().split("-")[0]
        weight = 1.0
        for f in fields[1:]:
            if f.startswith("q="):
                try:
                    weight = float(f[2:])
                except ValueError:
                    weight = 0.0
        if tag in pages.LANGS and weight > best_q:
            best, best_q = tag, weight
    return best


def _split_extension(path: str) -> tuple[str, Format | None]:
    """`org/lvr.ttl` → (`org/lvr`, Turtle); paths without a known extension are left alone."""
    head, _, last = path.rpartition("/")
    if "." in last:
        stem, ext = last.rsplit(".", 1)
        fmt = formats.by_extension(ext, RESOURCE_FORMATS)
        if fmt is not None and stem:
            return (f"{head}/{stem}" if head else stem), fmt
    return path, None


# --- helpers of the handlers ------------------------------------------------------------------


def base_url(request: Request, settings: Any) -> str:
    """Where this service is reachable from outside (for absolute links in RDF and JSON)."""
    configured = settings.public_base_url
    if configured:
        return str(configured).rstrip("/")
    return str(request.base_url).rstrip("/")


def page_context(request: Request, state: Any) -> pages.PageContext:
    """Language, root path and vocabulary labels of an HTML page."""
    return pages.PageContext(
        lang=choose_lang(request),
        root=request.scope.get("root_path", "").rstrip("/"),
        vocab=state.linked_data.vocab.get(state.store, state.version),
        path=request.url.path,
        query={k: v for k, v in request.query_params.items()},
    )


def render_rdf(triples: list[ox.Triple], fmt: Format) -> bytes:
    prefixes = SERIALIZE_PREFIXES if fmt in (TTL, RDFXML) else None
    return ox.serialize(triples, format=fmt.rdf, prefixes=prefixes)


def alternates(request: Request, local: str) -> list[tuple[str, str, str]]:
    root = request.scope.get("root_path", "").rstrip("/")
    return [(f"{root}{local}.{f.extension}", f.media_type, f.label) for f in RESOURCE_FORMATS]


def link_header(alts: list[tuple[str, str, str]], canonical: str | None = None) -> str:
    parts = [f'<{href}>; rel="alternate"; type="{mt}"' for href, mt, _ in alts]
    if canonical:
        parts.append(f'<{canonical}>; rel="canonical"')
    return ", ".join(parts)


def not_acceptable(available: Sequence[str] | None = None) -> Response:
    """406 naming what is available (default: the resource formats; an area profile passes its two)."""
    offered = available if available is not None else [f.media_type for f in RESOURCE_FORMATS]
    text = "406 Not Acceptable. Available: " + ", ".join(offered) + "\n"
    return Response(text, status_code=406, media_type="text/plain", headers={"Vary": "Accept"})


def not_found(request: Request, state: Any, iri: str, fmt: Format | None) -> Response:
    """404: an HTML page for browsers, else plain text."""
    if fmt is None or fmt.key == "html":
        ctx = page_context(request, state)
        body = pages.not_found_page(ctx, iri)
        return Response(body, status_code=404, media_type="text/html; charset=utf-8",
                        headers={"Vary": "Accept, Accept-Language"})
    return Response(f"404 Not Found: no resource {iri}\n", status_code=404, media_type="text/plain",
                    headers={"Vary": "Accept"})


# --- the resources ------------------------------------------------------------------------------


def resource(path: str, request: Request) -> Response:
    """Dereference `https://w3id.org/hilfenetz/id/{path}`."""
    state = service(request)
    store, ld = state.store, state.linked_data
    stem, forced = _split_extension(path)
    fmt = forced or negotiate(request.headers.get("accept"), RESOURCE_FORMATS)
    iri = ns.HNID + stem
    if fmt is None:
        return not_acceptable()
    local = f"/id/{stem}"
    try:
        page = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        page = 1
    if fmt.key == "html":
        d = describe(store, iri, incoming_offset=(page - 1) * ld.html_page_size, incoming_limit=ld.html_page_size,
                     for_people=True)
        if d is not None and d.incoming_total and (page - 1) * ld.html_page_size >= d.incoming_total:
            page = (d.incoming_total - 1) // ld.html_page_size + 1  # past the end: show the last page
            d = describe(store, iri, incoming_offset=(page - 1) * ld.html_page_size,
                         incoming_limit=ld.html_page_size, for_people=True)
    else:
        d = describe(store, iri)
    if d is None:
        if stem.startswith("graph/") and _is_named_graph(store, iri):
            # A named graph is served as a whole by its dump file.
            root = request.scope.get("root_path", "").rstrip("/")
            return Response(status_code=303, headers={"Location": f"{root}/downloads/{graph_file_name(iri)}",
                                                      "Vary": "Accept"})
        return not_found(request, state, iri, fmt)
    alts = alternates(request, local)
    headers = {
        "Vary": "Accept, Accept-Language",
        "Link": link_header(alts, iri),
        "Content-Location": f"{request.scope.get('root_path', '').rstrip('/')}{local}.{fmt.extension}",
        # every incoming link in the store, also where the HTML page leaves inferred copies out
        "X-Incoming-Total": str(d.incoming_total + d.incoming_hidden),
    }
    if fmt.key == "html":
        ctx = page_context(request, state)
        tree = None
        if ox.NamedNode(SKOS + "ConceptScheme") in {q.object for q in d.own if q.predicate == RDF_TYPE}:
            tree = concept_tree(store, iri)
        body = pages.entity_page(ctx, d, alternates=alts, page=page, page_size=ld.html_page_size, tree=tree).encode()
        headers["Content-Language"] = ctx.lang
    elif fmt.key == "jsonld":
        framer = ld.contexts.framer(store, state.version)
        doc = framer.frame(d.triples(), iri, base_url(request, state.settings) + "/context.jsonld")
        if requested_profile(request.headers.get("accept")) == PROFILE_EXPANDED:
            body = json.dumps(framer.expand(doc), ensure_ascii=False, indent=1).encode()
            del headers["Content-Location"]  # the .jsonld file is the compacted document
            return conditional(request, body, f'application/ld+json; profile="{PROFILE_EXPANDED}"',
                               last_modified=ld.last_modified(state.version), headers=headers)
        body = json.dumps(doc, ensure_ascii=False, indent=1).encode()
    else:
        body = render_rdf(d.triples(), fmt)
    return conditional(request, body, fmt.content_type, last_modified=ld.last_modified(state.version), headers=headers)


def context(request: Request) -> Response:
    """The published JSON-LD context: plain keys for every property and class."""
    state = service(request)
    store, ld = state.store, state.linked_data
    body = json.dumps({"@context": ld.contexts.get(store, state.version)}, ensure_ascii=False, indent=1).encode()
    return conditional(request, body, JSONLD.content_type, last_modified=ld.last_modified(state.version))


# --- ontology ---


def ontology_triples(store: ox.Store) -> list[ox.Triple]:
    seen: dict[ox.Triple, None] = {}
    for g in (ns.GRAPH_ONTOLOGY, ns.GRAPH_ALIGNMENT):
        for q in store.quads_for_pattern(None, None, None, ox.NamedNode(g)):
            seen.setdefault(q.triple, None)
    return list(seen)


def ontology(request: Request, forced: Format | None) -> Response:
    state = service(request)
    store, ld = state.store, state.linked_data
    fmt = forced or negotiate(request.headers.get("accept"), (HTML, TTL, JSONLD, NT, RDFXML))
    if fmt is None:
        return not_acceptable()
    alts = alternates(request, "/ontology")
    headers = {"Vary": "Accept, Accept-Language", "Link": link_header(alts, ns.ONTOLOGY_IRI),
               "Content-Location": f"/ontology.{fmt.extension}"}
    if fmt.key == "html":
        ctx = page_context(request, state)
        schemes = [(iri, labels, defs, concept_tree(store, iri)) for iri, labels, defs in concept_schemes(store)]
        body = pages.ontology_page(ctx, ontology_header(store), ontology_terms(store), schemes).encode()
        headers["Content-Language"] = ctx.lang
    else:
        triples = ontology_triples(store)
        if not triples:
            return not_found(request, state, ns.ONTOLOGY_IRI, fmt)
        body = render_rdf(triples, fmt)
    return conditional(request, body, fmt.content_type, last_modified=ld.last_modified(state.version), headers=headers)


def ontology_doc(request: Request) -> Response:
    """The ontology: documentation page for people, Turtle (etc.) for machines."""
    return ontology(request, None)


def ontology_version(version: str, request: Request) -> Response:
    """The versionIRI (`…/ontology/0.1.0`) serves the same documents as long as it is current."""
    state = service(request)
    store = state.store
    current = {q.object.value for q in store.quads_for_pattern(
        ox.NamedNode(ns.ONTOLOGY_IRI), ox.NamedNode(OWL_VERSION_IRI), None, None)}
    if f"{ns.ONTOLOGY_IRI}/{version}" not in current:
        return not_found(request, state, f"{ns.ONTOLOGY_IRI}/{version}", None)
    return ontology(request, None)


def ontology_ext(ext: str, request: Request) -> Response:
    fmt = formats.by_extension(ext, RESOURCE_FORMATS)
    if fmt is None:
        return not_found(request, service(request), f"{ns.ONTOLOGY_IRI}.{ext}", None)
    return ontology(request, fmt)


# --- dataset descriptions ---


def rdf_document(request: Request, triples: list[ox.Triple], local: str, forced: Format | None,
                 title: str, iri: str) -> Response:
    """An RDF document in the negotiated format; browsers (HTML first) get the Turtle in a page."""
    state = service(request)
    ld = state.linked_data
    offers = (TTL, JSONLD, NT, RDFXML, HTML)
    fmt = forced or negotiate(request.headers.get("accept"), offers) or TTL
    alts = [(f"{local}.{f.extension}", f.media_type, f.label) for f in offers[:-1]]
    headers = {"Vary": "Accept", "Link": link_header(alts)}
    if fmt.key == "html":
        ctx = page_context(request, state)
        text = render_rdf(triples, TTL).decode()
        body = pages.source_page(ctx, title, iri, text, alts).encode()
    else:
        body = render_rdf(triples, fmt)
    return conditional(request, body, fmt.content_type, last_modified=ld.last_modified(state.version), headers=headers)


def dataset(request: Request, forced: Format | None) -> Response:
    state = service(request)
    store, ld = state.store, state.linked_data
    _dir, manifest = ld.dump(store, state.version)
    triples = dcat_description(base_url(request, state.settings), manifest, ld.stats(store, state.version),
                               licensed_sources(store))
    return rdf_document(request, triples, "/dataset", forced, "DCAT-AP", DATASET_IRI)


def dataset_doc(request: Request) -> Response:
    """DCAT-AP description of the dataset and its distributions."""
    return dataset(request, None)


def dataset_ext(ext: str, request: Request) -> Response:
    fmt = formats.by_extension(ext, RESOURCE_FORMATS)
    if fmt is None:
        return not_found(request, service(request), f"{CANONICAL_BASE}/dataset.{ext}", None)
    return dataset(request, fmt)


def void(request: Request) -> Response:
    """VoID description: counts, partitions, subsets per named graph, linksets."""
    state = service(request)
    store, ld = state.store, state.linked_data
    _dir, manifest = ld.dump(store, state.version)
    triples = void_description(base_url(request, state.settings), ld.stats(store, state.version), manifest)
    return rdf_document(request, triples, "/.well-known/void", None, "VoID", VOID_IRI)


def void_ext(ext: str, request: Request) -> Response:
    fmt = formats.by_extension(ext, RESOURCE_FORMATS)
    if fmt is None:
        return not_found(request, service(request), f"{VOID_IRI}.{ext}", None)
    state = service(request)
    store, ld = state.store, state.linked_data
    _dir, manifest = ld.dump(store, state.version)
    triples = void_description(base_url(request, state.settings), ld.stats(store, state.version), manifest)
    return rdf_document(request, triples, "/.well-known/void", fmt, "VoID", VOID_IRI)


# --- downloads ---


def downloads(request: Request) -> Response:
    """Listing of the dump files (HTML, or JSON = the manifest)."""
    state = service(request)
    store, ld = state.store, state.linked_data
    _dir, manifest = ld.dump(store, state.version)
    want = negotiate(request.headers.get("accept"), (HTML, formats.JSON),
                     tuple(request.query_params.getlist("format")))
    base = base_url(request, state.settings)
    if want is formats.JSON:
        data = json.loads(manifest.to_json())
        for f in data["files"]:
            f["url"] = f"{base}/downloads/{f['name']}"
        data["sha256sums"] = f"{base}/downloads/SHA256SUMS"
        body = json.dumps(data, ensure_ascii=False, indent=1).encode()
        return conditional(request, body, formats.JSON.content_type, last_modified=ld.last_modified(state.version),
                           headers={"Vary": "Accept"})
    ctx = page_context(request, state)
    root = ctx.root
    rows = [
        (f"{root}/downloads/{f.name}", f.name,
         f"{f.media_type}{' (gzip)' if f.encoding else ''} · {f.size} bytes · SHA-256 {f.sha256}"
         + (f" · {f.graph}" if f.graph else ""))
        for f in manifest.files
    ]
    rows.append((f"{root}/downloads/SHA256SUMS", "SHA256SUMS", "sha256sum -c"))
    rows.append((f"{root}/downloads/manifest.json", "manifest.json", "application/json"))
    intro = Msg(
        f"Der ganze Graph ({manifest.quads} Quads) und jeder benannte Graph einzeln; Version {manifest.version}.",
        f"The whole graph ({manifest.quads} quads) and every named graph on its own; version {manifest.version}.",
    ).text(ctx.lang)
    body = pages.listing_page(ctx, pages.t("downloads", ctx.lang), intro, rows).encode()
    return conditional(request, body, HTML.content_type, last_modified=ld.last_modified(state.version),
                       headers={"Vary": "Accept, Accept-Language"})


def download_file(name: str, request: Request) -> Response:
    """One dump file; only names listed in the manifest are served (no path tricks)."""
    state = service(request)
    store, ld = state.store, state.linked_data
    directory, manifest = ld.dump(store, state.version)
    allowed = {f.name: f for f in manifest.files}
    if name in ("SHA256SUMS", "manifest.json"):
        media = "text/plain; charset=utf-8" if name == "SHA256SUMS" else "application/json"
    elif name in allowed:
        f = allowed[name]
        media = "application/gzip" if f.encoding == "gzip" else f.media_type + "; charset=utf-8"
    else:
        return Response(f"404 Not Found: {name}\n", status_code=404, media_type="text/plain")
    path = directory / name
    if name in allowed:  # a dump: its SHA-256 is in the manifest, the file need not be read
        sha256 = bytes.fromhex(allowed[name].sha256)
        tag = etag(sha256)
    else:  # the two small index files
        data = path.read_bytes()
        sha256, tag = hashlib.sha256(data).digest(), etag_of(data)
    headers = {"Cache-Control": "public, max-age=300", "ETag": tag,
               "Digest": "sha-256=" + base64.b64encode(sha256).decode()}
    if not_modified(request.scope, tag):
        return not_modified_response(headers)
    return FileResponse(path, media_type=media, headers=headers, filename=Path(name).name)


OWL_VERSION_IRI = ns.OWL_VERSION_IRI


def _is_named_graph(store: ox.Store, iri: str) -> bool:
    try:
        node = ox.NamedNode(iri)
    except ValueError:
        return False
    return store.contains_named_graph(node)
