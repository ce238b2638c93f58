"""Real client libraries against the real server: SPARQLWrapper and rdflib's SPARQLStore."""

from __future__ import annotations

import rdflib
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, TSV, TURTLE, XML, SPARQLWrapper

from tests.serving import Server

from .conftest import EX, PEOPLE_COUNT

FOAF = "http://xmlns.com/foaf/0.1/"
Q = f"PREFIX foaf: <{FOAF}> SELECT ?name WHERE {{ <{EX}person/4> foaf:name ?name }}"


def test_sparqlwrapper_select_json_xml_csv_tsv(ro_server: Server) -> None:
    sw = SPARQLWrapper(ro_server.sparql)
    sw.setQuery(Q)
    sw.setReturnFormat(JSON)
    res = sw.query().convert()
    assert [b["name"]["value"] for b in res["results"]["bindings"]] == ["Person 4"]
    sw.setReturnFormat(XML)
    doc = sw.query().convert()
    assert [n.firstChild.data for n in doc.getElementsByTagName("literal")] == ["Person 4"]
    sw.setReturnFormat(CSV)
    assert sw.query().convert().decode().splitlines() == ["name", "Person 4"]
    sw.setReturnFormat(TSV)
    assert sw.query().convert().decode().splitlines() == ["?name", '"Person 4"@de']


def test_sparqlwrapper_post_ask_and_construct(ro_server: Server) -> None:
    sw = SPARQLWrapper(ro_server.sparql)
    sw.setMethod("POST")
    sw.setQuery(f"ASK {{ <{EX}person/4> ?p ?o }}")
    sw.setReturnFormat(JSON)
    assert sw.query().convert()["boolean"] is True
    sw.setQuery(f"PREFIX foaf: <{FOAF}> CONSTRUCT {{ ?p foaf:name ?n }} WHERE {{ ?p foaf:name ?n }}")
    sw.setReturnFormat(TURTLE)
    g = rdflib.Graph().parse(data=sw.query().convert(), format="turtle")
    assert len(g) == PEOPLE_COUNT


def test_rdflib_sparqlstore(ro_server: Server) -> None:
    store = SPARQLStore(ro_server.sparql)
    g = rdflib.Graph(store)
    rows = list(g.query(f"PREFIX foaf: <{FOAF}> SELECT ?p ?name WHERE {{ ?p foaf:name ?name }} ORDER BY ?p LIMIT 2"))
    assert [str(r.name) for r in rows] == ["Person 0", "Person 1"]
    assert g.query(f"ASK {{ <{EX}person/19> ?p ?o }}").askAnswer is True
    cg = g.query(f"CONSTRUCT {{ <{EX}person/1> ?p ?o }} WHERE {{ <{EX}person/1> ?p ?o }}").graph
    assert (rdflib.URIRef(EX + "person/1"), rdflib.URIRef(EX + "age"), rdflib.Literal(21)) in cg
    # triple pattern access goes through SELECT as well
    assert (rdflib.URIRef(EX + "person/2"), rdflib.URIRef(FOAF + "name"), rdflib.Literal("Person 2", lang="de")) in g
