"""Dereferencing /id/…: content negotiation, extensions, headers, conditional GET, HEAD, 404/406.

Expected values come from the fixture file (parsed independently with rdflib), not from the
server's own output.
"""

from __future__ import annotations

import json

import httpx
import pytest
import rdflib
from rdflib.compare import isomorphic

from kg import rdf as ns

from .conftest import FIXTURE, Server

PROGRAMME = "programme/kommunale-praeventionsketten"
RDFS_LABEL = rdflib.RDFS.label


@pytest.fixture(scope="module")
def fixture_dataset() -> rdflib.Dataset:
    ds = rdflib.Dataset()
    ds.parse(FIXTURE, format="trig")
    return ds


def _labels(ds: rdflib.Dataset, iri: str) -> set[str]:
    return {str(o) for _s, _p, o, _g in ds.quads((rdflib.URIRef(iri), RDFS_LABEL, None, None))}


def test_rdflib_parse_gets_turtle_and_the_label(ld_server: Server, fixture_dataset: rdflib.Dataset) -> None:
    url = f"{ld_server.url}/id/{PROGRAMME}"
    # rdflib sends its own Accept header (all its parsers); the server must choose Turtle.
    g = rdflib.Graph()
    g.parse(url)
    iri = rdflib.URIRef(ns.HNID + PROGRAMME)
    found = {str(o) for o in g.objects(iri, RDFS_LABEL)}
    assert found == _labels(fixture_dataset, ns.HNID + PROGRAMME)
    from rdflib.parser import Parser
    from rdflib.plugin import plugins

    accept = ", ".join(p.name for p in plugins(kind=Parser) if "/" in p.name)
    r = httpx.get(url, headers={"Accept": accept})
    assert r.headers["content-type"].startswith("text/turtle")


ACCEPTS = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
}
EXT = {"ttl": "turtle", "jsonld": "json-ld", "nt": "nt", "rdf": "xml"}


def _parse(body: str, fmt: str, base: str) -> rdflib.Graph:
    return rdflib.Graph().parse(data=body, format=fmt, publicID=base)


@pytest.mark.parametrize("path", [PROGRAMME, "area/05562014", "area/05562", "concept/role", "evidence/kpk-start"])
def test_all_formats_say_the_same(ld_server: Server, path: str) -> None:
    url = f"{ld_server.url}/id/{path}"
    graphs = []
    for accept, fmt in ACCEPTS.items():
        r = httpx.get(url, headers={"Accept": accept})
        assert r.status_code == 200, (accept, r.text)
        assert r.headers["content-type"].split(";")[0] == accept
        graphs.append(_parse(r.text, fmt, url))
    for ext, fmt in EXT.items():
        r = httpx.get(f"{url}.{ext}")
        assert r.status_code == 200
        graphs.append(_parse(r.text, fmt, url))
    assert len(graphs[0]) > 0
    for g in graphs[1:]:
        assert isomorphic(graphs[0], g)


def test_html_by_accept_and_extension(ld_server: Server) -> None:
    url = f"{ld_server.url}/id/{PROGRAMME}"
    r1 = httpx.get(url, headers={"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"})
    r2 = httpx.get(url + ".html")
    for r in (r1, r2):
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/html")
        assert "<h1" in r.text


def test_headers_vary_link_etag_last_modified(ld_server: Server) -> None:
    url = f"{ld_server.url}/id/{PROGRAMME}"
    r = httpx.get(url, headers={"Accept": "text/turtle"})
    assert "accept" in r.headers["vary"].lower()
    link = r.headers["link"]
    for ext, media in (("ttl", "text/turtle"), ("jsonld", "application/ld+json"), ("nt", "application/n-triples"),
                       ("rdf", "application/rdf+xml"), ("html", "text/html")):
        assert f'</id/{PROGRAMME}.{ext}>; rel="alternate"; type="{media}"' in link
    assert r.headers["content-location"] == f"/id/{PROGRAMME}.ttl"
    etag = r.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')
    assert r.headers["last-modified"].endswith("GMT")
    assert r.headers["access-control-allow-origin"] == "*"  # portals fetch from the browser
    assert "Link" in r.headers["access-control-expose-headers"]
    # Every alternate resolves.
    for href in [p.split(";")[0].strip()[1:-1] for p in link.split(",") if 'rel="alternate"' in p]:
        assert httpx.get(ld_server.url + href).status_code == 200


def test_conditional_get_and_head(ld_server: Server) -> None:
    url = f"{ld_server.url}/id/{PROGRAMME}"
    r = httpx.get(url, headers={"Accept": "text/turtle"})
    etag, lm = r.headers["etag"], r.headers["last-modified"]
    r304 = httpx.get(url, headers={"Accept": "text/turtle", "If-None-Match": etag})
    assert r304.status_code == 304 and r304.content == b""
    assert r304.headers["etag"] == etag
    r304b = httpx.get(url, headers={"Accept": "text/turtle", "If-Modified-Since": lm})
    assert r304b.status_code == 304
    # A different variant has a different ETag, so the same If-None-Match does not match.
    other = httpx.get(url, headers={"Accept": "application/n-triples", "If-None-Match": etag})
    assert other.status_code == 200 and other.headers["etag"] != etag
    stale = httpx.get(url, headers={"Accept": "text/turtle", "If-Modified-Since": "Mon, 01 Jan 1990 00:00:00 GMT"})
    assert stale.status_code == 200
    head = httpx.head(url, headers={"Accept": "text/turtle"})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == etag
    assert head.headers["content-type"] == r.headers["content-type"]


@pytest.mark.parametrize("path", ["/id/org/does-not-exist", "/id/", "/id/area/05562014/extra", "/id/%3Cscript%3E"])
def test_unknown_iri_is_a_404_page(ld_server: Server, path: str) -> None:
    r = httpx.get(ld_server.url + path, headers={"Accept": "text/html"})
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "<script>" not in r.text.split("</head>", 1)[1]
    r2 = httpx.get(ld_server.url + path, headers={"Accept": "text/turtle"})
    assert r2.status_code == 404
    assert httpx.head(ld_server.url + path).status_code == 404


def test_unacceptable_type_is_406(ld_server: Server) -> None:
    r = httpx.get(f"{ld_server.url}/id/{PROGRAMME}", headers={"Accept": "image/png"})
    assert r.status_code == 406


def test_public_base_url_keeps_canonical_iris(fixture_store, fixture_store_path, tmp_path) -> None:
    """Behind a proxy with another public URL: RDF keeps w3id IRIs, HTML links stay local paths,
    the JSON-LD context reference uses the public URL."""
    from .conftest import serve_store

    gen = serve_store(fixture_store, fixture_store_path, tmp_path, public_base_url="https://kg.example.org/")
    srv = next(gen)
    try:
        ttl = httpx.get(f"{srv.url}/id/{PROGRAMME}", headers={"Accept": "text/turtle"}).text
        g = rdflib.Graph().parse(data=ttl, format="turtle")
        assert (rdflib.URIRef(ns.HNID + PROGRAMME), None, None) in g
        doc = httpx.get(f"{srv.url}/id/{PROGRAMME}.jsonld").json()
        assert doc["@context"] == "https://kg.example.org/context.jsonld"
        html = httpx.get(f"{srv.url}/id/{PROGRAMME}.html").text
        assert 'href="/id/area/05562014"' in html
        assert 'href="https://w3id.org/hilfenetz/id/area/05562014"' not in html
    finally:
        next(gen, None)


def test_jsonld_context_reference_is_served(ld_server: Server) -> None:
    doc = httpx.get(f"{ld_server.url}/id/{PROGRAMME}.jsonld").json()
    assert doc["@context"] == f"{ld_server.url}/context.jsonld"
    ctx = httpx.get(doc["@context"])
    assert ctx.status_code == 200
    assert "@context" in json.loads(ctx.text)
