"""SPARQL 1.1 Service Description, answered at GET /sparql without a query.

Why: clients (YASGUI, federating engines, crawlers) discover the endpoint's formats, features and
dataset from it. It lists sd:resultFormat, sd:feature, sd:supportedLanguage, the default dataset
with every named graph and its triple count (void:triples), and sd:endpoint built from the public
base URL. Serialised with pyoxigraph; cached per store version.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from kg import formats
from kg.rdf import DCT, RDF_TYPE, SD, VOID, XSD_INTEGER
from kg.rdf import FORMATS as FORMATS_NS
from kg.web.http import error
from kg.web.negotiation import GRAPH_FORMATS, describe_offers, negotiate

#: Result formats we serve, as W3C format IRIs.
_RESULT_FORMAT_IRIS = (
    "SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
    "Turtle", "N-Triples", "N-Quads", "TriG", "JSON-LD", "RDF_XML",
)
_INPUT_FORMAT_IRIS = ("Turtle", "N-Triples", "RDF_XML", "JSON-LD")

_SD_FORMATS = GRAPH_FORMATS


def build_description(state: Any) -> list[Any]:
    """The service description as pyoxigraph triples."""
    import pyoxigraph as ox

    settings = state.settings
    n = ox.NamedNode
    service = n(settings.endpoint_url())
    triples: list[Any] = []

    def add(s: Any, p: str, o: Any) -> None:
        triples.append(ox.Triple(s, n(p), o))

    add(service, RDF_TYPE, n(SD + "Service"))
    add(service, SD + "endpoint", service)
    add(service, SD + "supportedLanguage", n(SD + "SPARQL11Query"))
    if settings.writable:
        add(service, SD + "supportedLanguage", n(SD + "SPARQL11Update"))
    for feat in ("UnionDefaultGraph", "BasicFederatedQuery"):
        if feat == "BasicFederatedQuery" and not settings.service_allow:
            continue
        add(service, SD + "feature", n(SD + feat))
    for f in _RESULT_FORMAT_IRIS:
        add(service, SD + "resultFormat", n(FORMATS_NS + f))
    if settings.writable:
        for f in _INPUT_FORMAT_IRIS:
            add(service, SD + "inputFormat", n(FORMATS_NS + f))
    add(service, DCT + "title", ox.Literal("hilfenetz SPARQL endpoint", language="en"))
    add(service, DCT + "title", ox.Literal("hilfenetz SPARQL-Endpunkt", language="de"))

    dataset = ox.BlankNode()
    add(service, SD + "defaultDataset", dataset)
    add(dataset, RDF_TYPE, n(SD + "Dataset"))
    default_graph = ox.BlankNode()
    add(dataset, SD + "defaultGraph", default_graph)
    add(default_graph, RDF_TYPE, n(SD + "Graph"))
    counts: dict[str, int] = {}
    for sol in state.store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"):
        counts[sol["g"].value] = int(sol["n"].value)
    for g in state.store.named_graphs():
        if isinstance(g, ox.NamedNode):
            counts.setdefault(g.value, 0)
    # the default graph is the union of all graphs: its size is the number of quads in the store
    total = len(state.store)
    add(default_graph, VOID + "triples", ox.Literal(str(total), datatype=n(XSD_INTEGER)))
    for g in sorted(counts):
        ng = ox.BlankNode()
        graph = ox.BlankNode()
        add(dataset, SD + "namedGraph", ng)
        add(ng, RDF_TYPE, n(SD + "NamedGraph"))
        add(ng, SD + "name", n(g))
        add(ng, SD + "graph", graph)
        add(graph, RDF_TYPE, n(SD + "Graph"))
        add(graph, VOID + "triples", ox.Literal(str(counts[g]), datatype=n(XSD_INTEGER)))
    return triples


def serialise_description(state: Any, key: str) -> bytes:
    import pyoxigraph as ox

    cache = state.description_cache()
    ck = (state.version, key)
    if ck not in cache:
        fmt = formats.by_key(key).rdf
        prefixes = (
            {"sd": SD, "void": VOID, "dct": DCT, "formats": FORMATS_NS} if key in ("ttl", "trig", "rdfxml") else None
        )
        triples = build_description(state)
        cache[ck] = (
            ox.serialize(triples, format=fmt, prefixes=prefixes) if prefixes else ox.serialize(triples, format=fmt)
        )
    return cache[ck]


async def description_response(request: Request, state: Any) -> Response:
    """GET /sparql without a query: the negotiated service description (Turtle by default)."""
    fmt = negotiate(request.headers.get("accept"), _SD_FORMATS, tuple(request.query_params.getlist("format")))
    if fmt is None:
        return error(406,
                     "No acceptable format for the service description; "
                     f"available: {describe_offers(_SD_FORMATS)}.",
                     "Kein passendes Format für die Dienstbeschreibung.")
    body = await asyncio.get_running_loop().run_in_executor(None, serialise_description, state, fmt.key)
    # HEAD too gets the body (cached per version): the server sends its Content-Length, not the bytes
    return Response(body, status_code=200, headers={"Vary": "Accept", "Content-Type": fmt.content_type})
