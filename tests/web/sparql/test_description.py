"""Service description at GET /sparql (the three W3C service-description tests, written out
here because their manifest gives names only), negotiated, with the dataset's named graphs."""

from __future__ import annotations

import httpx
import pytest
import rdflib
from rdflib.namespace import RDF

from tests.serving import Server

from .conftest import BULK, PEOPLE, PEOPLE_COUNT

SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")


def _sd(server: Server, accept: str | None = None, fmt: str = "turtle") -> rdflib.Graph:
    r = httpx.get(server.sparql, headers={"Accept": accept} if accept else {})
    assert r.status_code == 200
    return rdflib.Graph().parse(data=r.content, format=fmt)


def test_returns_rdf_turtle_by_default(ro_server: Server) -> None:  # W3C sd: returns-rdf
    r = httpx.get(ro_server.sparql)
    assert r.headers["content-type"].startswith("text/turtle")
    assert len(rdflib.Graph().parse(data=r.text, format="turtle")) > 10


def test_has_endpoint_triple(ro_server: Server) -> None:  # W3C sd: has-endpoint-triple
    g = _sd(ro_server)
    assert (None, SD.endpoint, rdflib.URIRef(ro_server.sparql)) in g


def test_conforms_to_schema(ro_server: Server) -> None:  # W3C sd: conforms-to-schema
    """The sd: terms used exist in the vocabulary and are used with the right node types."""
    g = _sd(ro_server)
    service = g.value(predicate=RDF.type, object=SD.Service)
    assert service is not None
    assert set(g.objects(service, SD.supportedLanguage)) == {SD.SPARQL11Query}
    assert SD.UnionDefaultGraph in set(g.objects(service, SD.feature))
    formats = {str(f).rsplit("/", 1)[-1] for f in g.objects(service, SD.resultFormat)}
    assert {"SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV", "Turtle",
            "RDF_XML", "JSON-LD", "N-Triples"} <= formats
    dataset = g.value(service, SD.defaultDataset)
    assert (dataset, RDF.type, SD.Dataset) in g
    assert (g.value(dataset, SD.defaultGraph), RDF.type, SD.Graph) in g
    for _s, p, _o in g:
        if str(p).startswith(str(SD)):
            assert str(p).rsplit("#", 1)[-1] in {
                "endpoint", "supportedLanguage", "feature", "resultFormat", "inputFormat", "defaultDataset",
                "defaultGraph", "namedGraph", "name", "graph"}


def test_named_graphs_with_triple_counts(ro_server: Server) -> None:
    g = _sd(ro_server)
    counts = {}
    for ng in g.subjects(RDF.type, SD.NamedGraph):
        name = str(g.value(ng, SD.name))
        counts[name] = int(g.value(g.value(ng, SD.graph), VOID.triples))
    assert counts == {PEOPLE: 3 * PEOPLE_COUNT + 1, BULK: 3000}


@pytest.mark.parametrize("accept,fmt", [("application/ld+json", "json-ld"), ("application/rdf+xml", "xml"),
                                        ("application/n-triples", "nt")])
def test_negotiated(ro_server: Server, accept: str, fmt: str) -> None:
    g = _sd(ro_server, accept, fmt)
    assert (None, SD.endpoint, rdflib.URIRef(ro_server.sparql)) in g


def test_writable_server_announces_update(rw_server: Server) -> None:
    g = _sd(rw_server)
    service = g.value(predicate=RDF.type, object=SD.Service)
    assert SD.SPARQL11Update in set(g.objects(service, SD.supportedLanguage))


def test_project_prefixes_work_without_declaration(ro_server: Server) -> None:
    r = httpx.get(ro_server.sparql, params={"query": "SELECT ?p WHERE { ?p a foaf:Person } LIMIT 1"})
    assert r.status_code == 200 and len(r.json()["results"]["bindings"]) == 1
