"""Smaller routes: named graphs under /id/graph/…, the ontology's version IRI, RDF documents
(/dataset, /.well-known/void) for browsers."""

from __future__ import annotations

import httpx
import rdflib

from kg import rdf as ns
from kg.graph.dump import graph_file_name

from .conftest import Server


def test_named_graph_iri_redirects_to_its_dump(ld_server: Server) -> None:
    graph = ns.source_graph("praeventionsketten-recklinghausen")
    r = httpx.get(ld_server.url + graph[len("https://w3id.org/hilfenetz"):], headers={"Accept": "text/turtle"})
    assert r.status_code == 303
    assert r.headers["location"] == "/downloads/" + graph_file_name(graph)
    followed = httpx.get(ld_server.url + r.headers["location"])
    assert followed.status_code == 200
    g = rdflib.Graph().parse(data=followed.text, format="turtle")
    assert (rdflib.URIRef(ns.HNID + "participation/kpk-gladbeck"), None, None) in g
    assert httpx.get(ld_server.url + "/id/graph/not-a-graph").status_code == 404


def test_ontology_version_iri(ld_server: Server) -> None:
    r = httpx.get(ld_server.url + "/ontology/0.1.0", headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    assert r.text == httpx.get(ld_server.url + "/ontology.ttl").text
    assert httpx.get(ld_server.url + "/ontology/9.9.9").status_code == 404


def test_rdf_documents_for_browsers(ld_server: Server) -> None:
    for path in ("/dataset", "/.well-known/void"):
        page = httpx.get(ld_server.url + path, headers={"Accept": "text/html,*/*;q=0.8"})
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert '<pre id="source"' in page.text
        ttl = httpx.get(ld_server.url + path + ".ttl")
        assert ttl.headers["content-type"].startswith("text/turtle")
        # the page shows exactly that Turtle (escaped)
        import html

        pre = '<pre id="source" style="white-space:pre-wrap;font-size:.8rem">'
        shown = page.text.split(pre, 1)[1].split("</pre>", 1)[0]
        assert html.unescape(shown) == ttl.text


def test_attribution_of_reference_data_on_pages_and_in_dcat(ld_server: Server, fixture_store) -> None:
    import pyoxigraph as ox

    cc_text = ox.NamedNode("http://creativecommons.org/ns#attributionText")
    src = ox.NamedNode(ns.HNID + "source/destatis-test")
    text = next(fixture_store.quads_for_pattern(src, cc_text, None, None)).object.value
    page = httpx.get(ld_server.url + "/id/area/05562014", headers={"Accept": "text/html"}).text
    import html

    assert html.escape(text) in page and text not in page  # shown, escaped (it contains <Test> & Co.)
    assert 'href="https://www.govdata.de/dl-de/by-2-0"' in page
    g = rdflib.Graph().parse(ld_server.url + "/dataset")
    dataset = rdflib.URIRef("https://w3id.org/hilfenetz/dataset")
    assert (dataset, rdflib.DCTERMS.source, rdflib.URIRef(src.value)) in g
    assert (rdflib.URIRef(src.value), rdflib.URIRef(cc_text.value), rdflib.Literal(text)) in g


import pytest  # noqa: E402


@pytest.mark.parametrize("path", [
    "/id/a%20b", "/id/%FF", "/id/" + "x" * 3000, "/id/area/05562.xyz", "/id/.ttl", "/id/area/05562..ttl",
    "/id/area/05562%00", "/ontology.xyz", "/dataset.xyz", "/downloads/%2e%2e/x",
])
def test_odd_paths_are_404_not_500(ld_server: Server, path: str) -> None:
    for accept in ("text/html", "text/turtle", "*/*"):
        assert httpx.get(ld_server.url + path, headers={"Accept": accept}).status_code == 404


@pytest.mark.parametrize("query", ["page=-1", "page=abc", "page=999999", "page=99999999999999999999999", "lang=fr"])
def test_odd_parameters_still_render(ld_server: Server, query: str) -> None:
    r = httpx.get(f"{ld_server.url}/id/area/05562?{query}", headers={"Accept": "text/html"})
    assert r.status_code == 200
    assert 'data-total="5"' in r.text
    import re

    m = re.search(r'data-total="5">(\d+)–(\d+) ', r.text)
    assert m is not None
    first, last = int(m.group(1)), int(m.group(2))
    assert 1 <= first <= last <= 5  # never an empty or out-of-range window


@pytest.mark.parametrize("path", ["/dataset", "/.well-known/void", "/ontology"])
def test_documents_agree_across_formats(ld_server: Server, path: str) -> None:
    from rdflib.compare import isomorphic

    base = rdflib.Graph().parse(data=httpx.get(ld_server.url + path + ".ttl").text, format="turtle")
    assert len(base) > 10
    for ext, fmt in (("jsonld", "json-ld"), ("nt", "nt"), ("rdf", "xml")):
        r = httpx.get(f"{ld_server.url}{path}.{ext}")
        assert r.status_code == 200, (path, ext)
        assert isomorphic(base, rdflib.Graph().parse(data=r.text, format=fmt)), (path, ext)
