"""`format=` values common clients send, over HTTP against `kg serve` (issue 16, defect 2).

SPARQLWrapper, Virtuoso-style links and hand-written URLs name formats in many ways; each name
must give the same serialisation the media type would, whatever the Accept header says, and an
unknown value must leave the choice to Accept. The expected media types come from the one table
(kg.formats), the names from what the clients send.
"""

from __future__ import annotations

import httpx
import pytest

from kg import formats
from tests.serving import Server

from .conftest import GLADBECK

CONSTRUCT = f"CONSTRUCT WHERE {{ <{GLADBECK}> ?p ?o }}"
SELECT = f"SELECT ?p ?o WHERE {{ <{GLADBECK}> ?p ?o }}"

GRAPH_NAMES = {
    "xml": formats.RDF_XML, "rdf+xml": formats.RDF_XML, "rdf": formats.RDF_XML, "rdfxml": formats.RDF_XML,
    "application/rdf+xml": formats.RDF_XML, "n3": formats.TURTLE, "turtle": formats.TURTLE, "ttl": formats.TURTLE,
    "text/turtle": formats.TURTLE, "json": formats.JSON_LD, "json-ld": formats.JSON_LD, "jsonld": formats.JSON_LD,
    "nt": formats.N_TRIPLES, "ntriples": formats.N_TRIPLES, "n-triples": formats.N_TRIPLES, "nq": formats.N_QUADS,
    "nquads": formats.N_QUADS, "trig": formats.TRIG, "TriG": formats.TRIG,
}
RESULT_NAMES = {
    "json": formats.SPARQL_JSON, "srj": formats.SPARQL_JSON, "application/sparql-results+json": formats.SPARQL_JSON,
    "xml": formats.SPARQL_XML, "srx": formats.SPARQL_XML, "csv": formats.CSV, "tsv": formats.TSV,
    "text/tab-separated-values": formats.TSV,
}


@pytest.fixture(scope="module")
def client(kg_server: Server) -> httpx.Client:
    with httpx.Client(base_url=kg_server.url, timeout=120) as c:
        yield c


@pytest.mark.parametrize(("name", "fmt"), sorted(GRAPH_NAMES.items()))
def test_graph_format_names(client: httpx.Client, name: str, fmt: formats.Format) -> None:
    # an Accept that asks for something else: `format=` names what the client wants
    r = client.get("/sparql", params={"query": CONSTRUCT, "format": name}, headers={"Accept": "text/plain"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == fmt.content_type


@pytest.mark.parametrize(("name", "fmt"), sorted(RESULT_NAMES.items()))
def test_result_format_names(client: httpx.Client, name: str, fmt: formats.Format) -> None:
    r = client.post("/sparql", params={"format": name}, data={"query": SELECT})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == fmt.content_type


def test_text_n3_is_served_as_turtle(client: httpx.Client) -> None:
    r = client.get("/sparql", params={"query": CONSTRUCT}, headers={"Accept": "text/n3"})
    assert r.status_code == 200 and r.headers["content-type"] == formats.TURTLE.content_type


@pytest.mark.parametrize(("accept", "fmt"), [("application/rdf+xml", formats.RDF_XML),
                                             ("application/n-triples", formats.N_TRIPLES)])
def test_unknown_format_value_leaves_it_to_accept(client: httpx.Client, accept: str, fmt: formats.Format) -> None:
    r = client.get("/sparql", params={"query": CONSTRUCT, "format": "fancy"}, headers={"Accept": accept})
    assert r.status_code == 200 and r.headers["content-type"] == fmt.content_type


def test_a_format_of_another_kind_is_406(client: httpx.Client) -> None:
    r = client.get("/sparql", params={"query": CONSTRUCT, "format": "csv"})
    assert r.status_code == 406
    assert "text/turtle" in r.text  # names what there is
