"""What a description holds (own statements, incoming links, labels of linked resources,
provenance), the crawler walk programme → participation → municipality, and JSON-LD for plain
JSON consumers. Expected values are read from the store with SPARQL in the test."""

from __future__ import annotations

import re
from collections import deque

import httpx
import pyoxigraph as ox
import rdflib
from rdflib.compare import isomorphic

from kg import rdf as ns

from .conftest import Server

PROGRAMME = ns.HNID + "programme/kommunale-praeventionsketten"
LABEL_PROPS = ("http://www.w3.org/2000/01/rdf-schema#label", "http://www.w3.org/2004/02/skos/core#prefLabel",
               "http://purl.org/dc/terms/title")


def _ttl(server: Server, iri: str) -> rdflib.Graph:
    url = server.url + iri[len("https://w3id.org/hilfenetz"):]
    r = httpx.get(url, headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    return rdflib.Graph().parse(data=r.text, format="turtle")


def _rdflib(term: ox.NamedNode | ox.Literal | ox.BlankNode) -> rdflib.term.Node:
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        if term.datatype.value == str(rdflib.XSD.string):
            return rdflib.Literal(term.value)
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))
    return rdflib.BNode(term.value)


def test_description_holds_own_incoming_labels_and_provenance(ld_server: Server, fixture_store: ox.Store) -> None:
    for iri in (PROGRAMME, ns.HNID + "area/05562014", ns.HNID + "area/05562"):
        g = _ttl(ld_server, iri)
        node = ox.NamedNode(iri)
        own = {(q.subject, q.predicate, q.object) for q in fixture_store.quads_for_pattern(node, None, None, None)}
        incoming = {(q.subject, q.predicate, q.object) for q in fixture_store.quads_for_pattern(None, None, node, None)}
        assert own and incoming
        for s, p, o in own | incoming:
            assert (_rdflib(s), _rdflib(p), _rdflib(o)) in g
        linked = {o for _s, p, o in own if isinstance(o, ox.NamedNode) and p.value != str(rdflib.RDF.type)}
        linked |= {s for s, _p, _o in incoming if isinstance(s, ox.NamedNode)}
        for target in linked:
            for lp in LABEL_PROPS:
                for q in fixture_store.quads_for_pattern(target, ox.NamedNode(lp), None, None):
                    assert (_rdflib(target), rdflib.URIRef(lp), _rdflib(q.object)) in g
        # provenance: every source document stating it, with its title
        rows = fixture_store.query(
            f"SELECT DISTINCT ?src ?title WHERE {{ <{iri}> <{ns.HN}statedIn> ?src . "
            "?src <http://purl.org/dc/terms/title> ?title }",
            use_default_graph_as_union=True,
        )
        for row in rows:
            assert (_rdflib(row["src"]), rdflib.URIRef(LABEL_PROPS[2]), _rdflib(row["title"])) in g


def test_evidence_is_part_of_the_description(ld_server: Server, fixture_store: ox.Store) -> None:
    g = _ttl(ld_server, PROGRAMME)
    rows = list(fixture_store.query(
        f"SELECT ?quote ?prop WHERE {{ <{PROGRAMME}> <{ns.HN}evidence> ?e . "
        f"?e <{ns.HN}quote> ?quote ; <{ns.HN}supports> ?prop }}",
        use_default_graph_as_union=True,
    ))
    assert rows
    for row in rows:
        assert (None, rdflib.URIRef(ns.HN + "quote"), _rdflib(row["quote"])) in g
        assert (None, rdflib.URIRef(ns.HN + "supports"), _rdflib(row["prop"])) in g


def _participants(store: ox.Store, programme: str) -> set[str]:
    rows = store.query(
        f"SELECT DISTINCT ?m WHERE {{ ?p a <{ns.HN}Participation> ; <{ns.HN}participant> ?m ; "
        f"<{ns.HN}participationIn> <{programme}> }}",
        use_default_graph_as_union=True,
    )
    return {row["m"].value for row in rows}


def crawl(server: Server, start: str, max_depth: int) -> set[str]:
    """Breadth-first over Turtle descriptions, following every IRI under hnid: (both directions)."""
    seen = {start}
    todo = deque([(start, 0)])
    while todo:
        iri, depth = todo.popleft()
        if depth >= max_depth:
            continue
        g = _ttl(server, iri)
        for term in set(g.subjects()) | set(g.objects()):
            t = str(term)
            if isinstance(term, rdflib.URIRef) and t.startswith(ns.HNID) and t not in seen:
                seen.add(t)
                todo.append((t, depth + 1))
    return seen


def test_crawler_reaches_every_participating_municipality(ld_server: Server, fixture_store: ox.Store) -> None:
    expected = _participants(fixture_store, PROGRAMME)
    assert len(expected) == 2
    # Depth 2: programme → participation (incoming link) → municipality, without shortcuts:
    # only follow participations from the programme.
    g = _ttl(ld_server, PROGRAMME)
    participations = set(g.subjects(rdflib.URIRef(ns.HN + "participationIn"), rdflib.URIRef(PROGRAMME)))
    reached = set()
    for p in participations:
        pg = _ttl(ld_server, str(p))
        reached |= {str(o) for o in pg.objects(p, rdflib.URIRef(ns.HN + "participant"))}
    assert reached == expected
    assert expected <= crawl(ld_server, PROGRAMME, 2)


def test_json_consumer_reads_plain_keys(ld_server: Server, fixture_store: ox.Store) -> None:
    gladbeck = ns.HNID + "area/05562014"
    doc = httpx.get(ld_server.url + "/id/area/05562014", headers={"Accept": "application/ld+json"}).json()
    labels = {q.object.language: q.object.value
              for q in fixture_store.quads_for_pattern(
                  ox.NamedNode(gladbeck), ox.NamedNode(LABEL_PROPS[0]), None, None
              )}
    assert doc["id"] == gladbeck
    assert doc["name"] == labels
    parent = next(
        fixture_store.quads_for_pattern(ox.NamedNode(gladbeck), ox.NamedNode(ns.HN + "partOf"), None, None)
    ).object
    assert doc["partOf"]["id"] == parent.value
    parent_label = next(fixture_store.quads_for_pattern(parent, ox.NamedNode(LABEL_PROPS[0]), None, None)).object.value
    assert parent_label in doc["partOf"]["name"].values()
    assert "Municipality" in (doc["type"] if isinstance(doc["type"], list) else [doc["type"]])
    # The programme: participations as incoming links under a plain key.
    prog = httpx.get(ld_server.url + "/id/programme/kommunale-praeventionsketten.jsonld").json()
    parts = prog["linkedFrom"]["participationIn"]
    parts = parts if isinstance(parts, list) else [parts]
    assert {p["participant"]["id"] for p in parts} == _participants(fixture_store, PROGRAMME)


def test_context_keys_are_plain_names(ld_server: Server, fixture_store: ox.Store) -> None:
    ctx = httpx.get(ld_server.url + "/context.jsonld").json()["@context"]
    for key in ctx:
        assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key), key
    for key in ("id", "type", "name", "partOf", "participant", "participationIn", "statedIn", "prefLabel"):
        assert key in ctx
    # Every hn: property used in the data has its local name as key.
    used = {q.predicate.value for q in fixture_store.quads_for_pattern(None, None, None, None)}
    for p in used:
        if p.startswith(ns.HN):
            assert ctx[p[len(ns.HN):]]["@id"] == "hn:" + p[len(ns.HN):]


def test_jsonld_round_trips_to_the_turtle(ld_server: Server) -> None:
    """A JSON-LD processor (rdflib, fetching the published context) reads the same graph."""
    for path in (
        "/id/programme/kommunale-praeventionsketten", "/id/area/05562", "/id/source/praeventionsketten-recklinghausen"
    ):
        ttl = httpx.get(ld_server.url + path, headers={"Accept": "text/turtle"}).text
        g1 = rdflib.Graph().parse(data=ttl, format="turtle")
        g2 = rdflib.Graph().parse(ld_server.url + path + ".jsonld", format="json-ld")
        assert isomorphic(g1, g2), path
