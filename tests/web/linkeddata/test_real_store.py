"""The acceptance checks of issue 5 on the store built from the real project (slow: needs the
`built_store` session fixture). Expected values come from SPARQL on that store."""

from __future__ import annotations

import gzip
import io

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from kg import rdf as ns

from .conftest import Server
from .test_dumps_and_dataset import same_quads

pytestmark = pytest.mark.slow

RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


def _local(server: Server, iri: str) -> str:
    return server.url + iri[len("https://w3id.org/hilfenetz"):]


def _select(store: ox.Store, query: str) -> list[ox.QuerySolution]:
    return list(store.query(query, use_default_graph_as_union=True))


def test_rdflib_reads_a_real_entity(real_server: Server) -> None:
    rows = _select(real_server.store, f"SELECT ?o ?l WHERE {{ ?o a <{ns.HN}Organisation> ; <{RDFS_LABEL}> ?l "
                                      f"FILTER(STRSTARTS(STR(?o), '{ns.HNID}org/')) }} ORDER BY ?o LIMIT 1")
    assert rows
    iri = rows[0]["o"].value
    g = rdflib.Graph()
    g.parse(_local(real_server, iri))
    labels = {str(o) for o in g.objects(rdflib.URIRef(iri), rdflib.RDFS.label)}
    assert rows[0]["l"].value in labels


def _ttl(server: Server, iri: str) -> rdflib.Graph:
    r = httpx.get(_local(server, iri), headers={"Accept": "text/turtle"}, timeout=60)
    assert r.status_code == 200, iri
    return rdflib.Graph().parse(data=r.text, format="turtle")


def test_crawler_reaches_every_participant_of_every_programme(real_server: Server) -> None:
    store = real_server.store
    rows = _select(store,
                   f"SELECT ?prog ?agent WHERE {{ ?p a <{ns.HN}Participation> ; <{ns.HN}participationIn> ?prog ; "
                   f"<{ns.HN}participant> ?agent . ?prog a <{ns.HN}Programme> }}")
    expected: dict[str, set[str]] = {}
    for r in rows:
        expected.setdefault(r["prog"].value, set()).add(r["agent"].value)
    assert expected, "no programme with participations in the data"
    participation_in = rdflib.URIRef(ns.HN + "participationIn")
    participant = rdflib.URIRef(ns.HN + "participant")
    for prog, agents in expected.items():
        g = _ttl(real_server, prog)
        reached: set[str] = set()
        for p in g.subjects(participation_in, rdflib.URIRef(prog)):  # incoming links
            pg = _ttl(real_server, str(p))
            reached |= {str(o) for o in pg.objects(p, participant)}
        assert reached == agents, prog


def test_json_consumer_on_a_real_municipality(real_server: Server) -> None:
    gladbeck = ns.area("05562014")
    # the first JSON-LD answer computes the context from the whole store: allow for a busy machine
    doc = httpx.get(_local(real_server, gladbeck), headers={"Accept": "application/ld+json"}, timeout=120).json()
    rows = _select(real_server.store,
                   f"SELECT ?l ?parent WHERE {{ <{gladbeck}> <{RDFS_LABEL}> ?l ; <{ns.HN}partOf> ?parent }}")
    assert rows
    assert doc["name"]["de"] == rows[0]["l"].value
    parent = doc["partOf"]["id"] if isinstance(doc["partOf"], dict) else doc["partOf"]
    assert parent == rows[0]["parent"].value


@pytest.mark.parametrize("path", ["area/05562014", "area/05", "org/lvr", "concept/life-phase"])
def test_real_jsonld_matches_turtle(real_server: Server, path: str) -> None:
    url = f"{real_server.url}/id/{path}"
    ttl = httpx.get(url, headers={"Accept": "text/turtle"}, timeout=60)
    if ttl.status_code == 404:
        pytest.skip(f"{path} not in the data")
    g1 = rdflib.Graph().parse(data=ttl.text, format="turtle")
    g2 = rdflib.Graph().parse(url + ".jsonld", format="json-ld")
    assert isomorphic(g1, g2)


def test_busy_resource_is_paginated_and_counted(real_server: Server) -> None:
    """The resource with the most incoming links (a reference source: every area cites it)."""
    rows = _select(real_server.store, f"""SELECT ?o (COUNT(*) AS ?n) WHERE {{ ?s <{ns.HN}statedIn> ?o }}
                                          GROUP BY ?o ORDER BY DESC(?n) LIMIT 1""")
    iri = rows[0]["o"].value
    total = len({q.triple for q in real_server.store.quads_for_pattern(None, None, ox.NamedNode(iri), None)
                 if q.subject != ox.NamedNode(iri)})
    assert total > 1000
    r = httpx.get(_local(real_server, iri), headers={"Accept": "text/html"}, timeout=60)
    assert r.status_code == 200
    assert f'data-total="{total}"' in r.text
    assert r.headers["x-incoming-total"] == str(total)
    assert 'rel="next"' in r.text
    assert len(r.content) < 2_000_000  # capped, not thousands of rows


def test_served_dump_is_isomorphic_to_the_store(real_server: Server) -> None:
    listing = httpx.get(real_server.url + "/downloads?format=json", timeout=600).json()
    assert listing["quads"] == len(real_server.store)
    nq = gzip.decompress(httpx.get(real_server.url + "/downloads/hilfenetz.nq.gz", timeout=600).content)
    fresh = ox.Store()
    fresh.load(io.BytesIO(nq), format=ox.RdfFormat.N_QUADS)
    assert same_quads(fresh, real_server.store)
