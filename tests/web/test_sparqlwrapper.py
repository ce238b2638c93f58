"""SPARQLWrapper as its users write it, against a real `kg serve` (issue 16, defect 2).

SPARQLWrapper's textbook CONSTRUCT — `SPARQLWrapper(url); setQuery("CONSTRUCT …");
query().convert()` — sends `Accept: application/rdf+xml` and, beside it, `format=xml`,
`output=xml` and `results=xml`; with RDFXML it sends `format=rdf+xml` and
`format=application/rdf+xml`, with N3 `format=n3`, with JSONLD `format=json-ld`. The server
answered 406 to each (it took `format=` as overriding Accept and knew none of these names). Every
test here compares the graph SPARQLWrapper hands back with the store's own answer to the query,
and fails on SPARQLWrapper's RuntimeWarning about an unexpected response type.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic
from SPARQLWrapper import JSON, JSONLD, N3, RDFXML, TURTLE, XML, SPARQLWrapper

from tests.serving import Server

from .conftest import GLADBECK

HN = "https://w3id.org/hilfenetz/ontology#"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
CONSTRUCT = f"CONSTRUCT {{ ?m <{RDFS_LABEL}> ?l }} WHERE {{ ?m a <{HN}Municipality> ; <{RDFS_LABEL}> ?l }}"
DESCRIBE = f"DESCRIBE <{GLADBECK}>"


def expected_graph(built_store: Path, query: str) -> rdflib.Graph:
    """The store's own answer (pyoxigraph, union default graph as the endpoint serves it)."""
    store = ox.Store.read_only(str(built_store))
    triples = list(store.query(query, use_default_graph_as_union=True))
    assert len(triples) > 3, "the test needs a non-trivial answer"
    return rdflib.Graph().parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode(), format="nt")


def run(sw: SPARQLWrapper) -> Any:
    """query().convert(), failing on SPARQLWrapper's warnings (e.g. a Content-Type it did not ask for)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = sw.query().convert()
    relevant = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    assert not relevant, [str(w.message) for w in relevant]
    return result


@pytest.mark.parametrize("query", [CONSTRUCT, DESCRIBE], ids=["construct", "describe"])
def test_defaults_give_an_rdflib_graph(kg_server: Server, built_store: Path, query: str) -> None:
    """Nothing but the query set: the default return format (XML → RDF/XML for graphs)."""
    sw = SPARQLWrapper(kg_server.sparql)
    sw.setQuery(query)
    graph = run(sw)
    assert isinstance(graph, rdflib.Graph)
    assert isomorphic(graph, expected_graph(built_store, query))


@pytest.mark.parametrize("query", [CONSTRUCT, DESCRIBE], ids=["construct", "describe"])
def test_defaults_with_post(kg_server: Server, built_store: Path, query: str) -> None:
    sw = SPARQLWrapper(kg_server.sparql)
    sw.setMethod("POST")
    sw.setQuery(query)
    assert isomorphic(run(sw), expected_graph(built_store, query))


@pytest.mark.parametrize(("fmt", "rdflib_format", "media"), [
    (N3, "turtle", "text/turtle"),  # N3 asks for text/n3 & co.: Turtle is N3
    (TURTLE, "turtle", "text/turtle"),
    (XML, None, "application/rdf+xml"),
    (RDFXML, None, "application/rdf+xml"),
    (JSONLD, None, "application/ld+json"),
    (JSON, None, "application/ld+json"),  # `format=json` for a graph: JSON-LD
])
@pytest.mark.parametrize("query", [CONSTRUCT, DESCRIBE], ids=["construct", "describe"])
def test_every_return_format(kg_server: Server, built_store: Path, query: str, fmt: str,
                             rdflib_format: str | None, media: str) -> None:
    sw = SPARQLWrapper(kg_server.sparql)
    sw.setQuery(query)
    sw.setReturnFormat(fmt)
    if fmt == JSON:  # SPARQLWrapper warns itself that JSON is no graph format; that is not our answer
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            response = sw.query()
    else:
        response = sw.query()
    assert response.info()["content-type"].startswith(media)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = response.convert()
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)], [str(w.message) for w in caught]
    graph = rdflib.Graph().parse(data=result, format=rdflib_format) if rdflib_format else result
    if isinstance(graph, rdflib.Dataset | rdflib.ConjunctiveGraph):  # JSON-LD: triples of the default graph
        graph = rdflib.Graph() + graph
    assert isomorphic(graph, expected_graph(built_store, query))


def test_select_defaults_still_give_sparql_xml(kg_server: Server, built_store: Path) -> None:
    """`format=xml` still means SPARQL XML results for a SELECT."""
    query = f"SELECT ?l WHERE {{ <{GLADBECK}> <{RDFS_LABEL}> ?l }}"
    store = ox.Store.read_only(str(built_store))
    expected = sorted(s["l"].value for s in store.query(query, use_default_graph_as_union=True))
    sw = SPARQLWrapper(kg_server.sparql)
    sw.setQuery(query)
    doc = run(sw)
    assert expected and sorted(n.firstChild.data for n in doc.getElementsByTagName("literal")) == expected
