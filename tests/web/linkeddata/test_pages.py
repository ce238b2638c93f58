"""Entity pages and ontology documentation: escaping, languages, grouping, incoming-link
pagination, sources with evidence, embedded schema.org JSON-LD, concept trees."""

from __future__ import annotations

import json
from collections.abc import Iterator
from html import escape
from html.parser import HTMLParser

import httpx
import pyoxigraph as ox
import rdflib
from rdflib.compare import isomorphic

from kg import rdf as ns

from .conftest import Server

PROGRAMME_PATH = "/id/programme/kommunale-praeventionsketten"
PROGRAMME = ns.HNID + "programme/kommunale-praeventionsketten"
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")


class Collector(HTMLParser):
    """Elements (tag, attrs) and the text inside <script> elements."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._in_script: dict[str, str | None] | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = dict(attrs)
            self.scripts.append((self._in_script, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = None

    def handle_data(self, data: str) -> None:
        if self._in_script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)
        else:
            self.text.append(data)

    def ids(self) -> set[str]:
        return {a["id"] for _t, a in self.elements if a.get("id")}

    def hrefs(self) -> Iterator[str]:
        for tag, a in self.elements:
            if tag == "a" and a.get("href"):
                yield a["href"]  # type: ignore[misc]


def _page(server: Server, path: str, **headers: str) -> tuple[str, Collector]:
    r = httpx.get(server.url + path, headers={"Accept": "text/html", **headers})
    assert r.status_code == 200, r.text
    c = Collector()
    c.feed(r.text)
    return r.text, c


def _labels(store: ox.Store, iri: str) -> dict[str, str]:
    return {
        q.object.language: q.object.value for q in store.quads_for_pattern(ox.NamedNode(iri), RDFS_LABEL, None, None)
    }


def test_labels_with_script_are_escaped(ld_server: Server, fixture_store: ox.Store) -> None:
    labels = _labels(fixture_store, PROGRAMME)
    assert "<script>" in labels["de"]  # the fixture is hostile on purpose
    _html, c = _page(ld_server, PROGRAMME_PATH)
    # The only inline script element is the schema.org JSON-LD (the header's search suggestions
    # come from the site's own /static/suggest.js); no label became markup.
    assert [a["src"] for a, _ in c.scripts if a.get("src")] == ["/static/suggest.js"]
    inline = [(a, text) for a, text in c.scripts if not a.get("src")]
    assert [a.get("type") for a, _ in inline] == ["application/ld+json"]
    assert "<" not in inline[0][1]  # the label's <script> cannot close the JSON-LD element
    assert labels["de"] in "".join(c.text)  # shown as text
    # embedded schema.org JSON-LD is valid JSON and names the resource
    data = json.loads(inline[0][1])
    assert data["@context"] == "https://schema.org"
    assert data["@id"] == PROGRAMME
    assert data["name"] == labels["de"]
    assert "Project" in data["@type"]  # hn:Programme is aligned to schema:Project
    # the incoming participant with a hostile label too
    cr = _labels(fixture_store, ns.HNID + "area/05562004")["de"]
    assert "<script>" in cr and cr in "".join(c.text)


def test_german_first_english_when_asked(ld_server: Server, fixture_store: ox.Store) -> None:
    labels = _labels(fixture_store, PROGRAMME)
    html_de, c = _page(ld_server, PROGRAMME_PATH)
    assert f'<h1 id="title">{escape(labels["de"])}</h1>' in html_de
    html_en, _ = _page(ld_server, PROGRAMME_PATH, **{"Accept-Language": "en-GB,en;q=0.9,de;q=0.5"})
    assert f'<h1 id="title">{escape(labels["en"])}</h1>' in html_en
    html_sw, _c_sw = _page(ld_server, PROGRAMME_PATH + "?lang=en")
    assert f'<h1 id="title">{escape(labels["en"])}</h1>' in html_sw
    assert '<html lang="en">' in html_sw
    # the switch links exist on every page
    assert {"lang-de", "lang-en"} <= c.ids()


def test_sections_sources_and_evidence(ld_server: Server, fixture_store: ox.Store) -> None:
    _html, c = _page(ld_server, PROGRAMME_PATH)
    # grouped by meaning: names, then who / where / when / facts / other relations
    assert {"names", "incoming", "sources"} <= c.ids()
    assert c.ids() & {"who", "where", "when", "facts", "other"}
    rows = fixture_store.query(
        f"SELECT ?q ?title WHERE {{ <{PROGRAMME}> <{ns.HN}evidence> ?e . ?e <{ns.HN}quote> ?q ; <{ns.HN}inSource> ?s . "
        f"?s <http://purl.org/dc/terms/title> ?title }}",
        use_default_graph_as_union=True,
    )
    text = "".join(c.text)
    n = 0
    for row in rows:
        assert row["q"].value in text
        assert row["title"].value in text
        n += 1
    assert n == 1
    hrefs = set(c.hrefs())
    assert "/id/area/05562014" in hrefs and "/id/participation/kpk-gladbeck" in hrefs
    assert "/ontology#StateProgramme" in hrefs


def test_incoming_links_are_counted_and_paginated(fixture_store, fixture_store_path, tmp_path) -> None:
    from tests.serving import serve_app

    from .conftest import PROJECT_ROOT, LdSettings, ld_app

    kreis = ox.NamedNode(ns.HNID + "area/05562")
    total = len({q.triple for q in fixture_store.quads_for_pattern(None, None, kreis, None)})
    assert total == 5
    app = ld_app(fixture_store, LdSettings(fixture_store_path, PROJECT_ROOT), tmp_path, html_page_size=2)
    with serve_app(app) as url:
        seen: set[str] = set()
        page = 1
        while True:
            r = httpx.get(f"{url}/id/area/05562?page={page}", headers={"Accept": "text/html"})
            assert r.status_code == 200
            assert f'data-total="{total}"' in r.text
            c = Collector()
            c.feed(r.text)
            members = {h for h in c.hrefs() if h.startswith("/id/area/05562") and len(h) > len("/id/area/05562")
                       and h[len("/id/area/05562")].isdigit()}
            seen |= members
            if 'rel="next"' not in r.text:
                break
            page += 1
        assert page == 3
        expected = {
            "/id/area/" + q.subject.value.rsplit("/", 1)[1]
            for q in fixture_store.quads_for_pattern(None, None, kreis, None)
        }
        assert seen == expected


def test_concept_scheme_is_a_tree(ld_server: Server) -> None:
    html, _c = _page(ld_server, "/id/concept/role")
    tree = html.split('id="tree"', 1)[1]
    # pilot-municipality is skos:broader member → nested inside member's list item
    member = tree.index("/id/concept/role/member")
    pilot = tree.index("/id/concept/role/pilot-municipality")
    assert member < pilot
    assert "<ul" in tree[member:pilot]


def test_ontology_page_documents_every_term(ld_server: Server, fixture_store: ox.Store) -> None:
    _html, c = _page(ld_server, "/ontology")
    ids = c.ids()
    text = "".join(c.text)
    rows = fixture_store.query(
        f"""SELECT ?t ?l WHERE {{ GRAPH <{ns.GRAPH_ONTOLOGY}> {{
            ?t a ?k ; <http://www.w3.org/2000/01/rdf-schema#label> ?l
            FILTER(?k IN (<http://www.w3.org/2002/07/owl#Class>, <http://www.w3.org/2002/07/owl#ObjectProperty>,
                          <http://www.w3.org/2002/07/owl#DatatypeProperty>)) }} }}"""
    )
    n = 0
    for row in rows:
        assert row["t"].value[len(ns.HN):] in ids
        assert row["l"].value in text  # both languages
        n += 1
    assert n > 20
    assert "schema:Project" in text  # the alignment of hn:Programme
    for scheme in ("scheme-role", "scheme-topic"):
        assert scheme in ids
    ttl = httpx.get(ld_server.url + "/ontology", headers={"Accept": "text/turtle"})
    assert ttl.headers["content-type"].startswith("text/turtle")
    served = rdflib.Graph().parse(data=ttl.text, format="turtle")
    expected = rdflib.Graph()
    for g in (ns.GRAPH_ONTOLOGY, ns.GRAPH_ALIGNMENT):
        data = ox.serialize(
            fixture_store.quads_for_pattern(None, None, None, ox.NamedNode(g)), format=ox.RdfFormat.N_QUADS
        )
        ds = rdflib.Dataset()
        ds.parse(data=data.decode(), format="nquads")
        for s, p, o, _g in ds.quads():
            expected.add((s, p, o))
    assert isomorphic(served, expected)
    assert httpx.get(ld_server.url + "/ontology.ttl").text == ttl.text


def test_unlabelled_nodes_get_a_readable_title(ld_server: Server, fixture_store: ox.Store) -> None:
    """A participation has no label: its title names the type and what it links (escaped)."""
    html, _c = _page(ld_server, "/id/participation/kpk-gladbeck")
    title = html.split('<h1 id="title">', 1)[1].split("</h1>", 1)[0]
    assert escape(_labels(fixture_store, ns.HNID + "area/05562014")["de"]) in title
    assert escape(_labels(fixture_store, PROGRAMME)["de"]) in title
    assert title.startswith("Beteiligung")  # the German label of hn:Participation in the fixture
