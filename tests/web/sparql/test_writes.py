"""Writes: token required, validated against the shapes before commit, nothing changes on failure."""

from __future__ import annotations

import httpx
import pytest
import rdflib

from tests.serving import Server

from .conftest import EX, TOKEN

ALL_QUADS = ("SELECT ?g ?s ?p ?o WHERE { { GRAPH ?g { ?s ?p ?o } } "
             "UNION { ?s ?p ?o FILTER NOT EXISTS { GRAPH ?x { ?s ?p ?o } } } }")


def dump(server: Server) -> list[tuple[str, ...]]:
    """Every quad of the store (named graphs via GRAPH, and real default-graph triples), sorted."""
    q = "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"
    r = httpx.get(server.sparql, params={"query": q, "format": "tsv", "named-graph-uri": _graphs(server)}, timeout=30)
    assert r.status_code == 200, r.text
    rows = r.text.split("\n")[1:]
    d = httpx.get(server.gsp, params={"default": ""}, headers={**server.auth(), "Accept": "application/n-triples"})
    return sorted(tuple(x.split("\t")) for x in rows if x) + sorted(("DEFAULT", line) for line in d.text.splitlines())


def _graphs(server: Server) -> list[str]:
    r = httpx.get(server.sparql, params={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"}, timeout=30)
    return [b["g"]["value"] for b in r.json()["results"]["bindings"]]


# ---------------------------------------------------------------- read-only server


def test_read_only_server_has_no_writes(ro_server: Server) -> None:
    r = httpx.post(ro_server.sparql, data={"update": "CLEAR ALL"}, headers={"Authorization": "Bearer x"})
    assert r.status_code == 405 and "read-only" in r.text
    r = httpx.post(ro_server.sparql, content=b"CLEAR ALL", headers={"Content-Type": "application/sparql-update"})
    assert r.status_code == 405
    for method in ("GET", "PUT", "POST", "DELETE"):
        r = httpx.request(method, ro_server.url + "/store", params={"default": ""}, content=b"")
        assert r.status_code == 404, (method, r.status_code)
    # and the data is still there
    r = httpx.get(ro_server.sparql, params={"query": f"ASK {{ <{EX}person/0> ?p ?o }}"})
    assert r.json()["boolean"] is True


# ---------------------------------------------------------------- token


@pytest.mark.parametrize(
    "headers,status",
    [({}, 401), ({"Authorization": "Bearer wrong"}, 401), ({"Authorization": "Basic " + TOKEN}, 401),
     ({"Authorization": f"Bearer {TOKEN}x"}, 401)],
)
def test_update_needs_the_token(rw_server: Server, headers: dict[str, str], status: int) -> None:
    before = dump(rw_server)
    r = httpx.post(rw_server.sparql, data={"update": f"INSERT DATA {{ <{EX}t> <{EX}p> 1 }}"}, headers=headers)
    assert r.status_code == status
    assert TOKEN not in r.text
    assert dump(rw_server) == before
    r = httpx.put(rw_server.gsp, params={"graph": EX + "tok"}, content=b"<a:b> <a:c> <a:d> .",
                  headers={**headers, "Content-Type": "application/n-triples"})
    assert r.status_code == status
    assert dump(rw_server) == before


def test_update_and_graph_store_with_token(rw_server: Server) -> None:
    auth = rw_server.auth()
    g = EX + "g/written"
    r = httpx.post(rw_server.sparql, data={"update": f"DROP SILENT GRAPH <{g}>"}, headers=auth)
    assert r.status_code == 200
    r = httpx.post(rw_server.sparql, data={"update": f"INSERT DATA {{ GRAPH <{g}> {{ <{EX}w> <{EX}p> 'x' }} }}"},
                   headers=auth)
    assert r.status_code == 200, r.text
    # the workers see the write at once (new snapshot, new version)
    r = httpx.get(rw_server.sparql, params={"query": f"SELECT ?o WHERE {{ <{EX}w> <{EX}p> ?o }}"})
    assert [b["o"]["value"] for b in r.json()["results"]["bindings"]] == ["x"]
    # graph store: GET in Turtle, replace with PUT, merge with POST, DELETE
    r = httpx.get(rw_server.gsp, params={"graph": g}, headers=auth)
    assert r.status_code == 200 and r.headers["content-type"] == "text/turtle; charset=utf-8"
    assert len(rdflib.Graph().parse(data=r.text, format="turtle")) == 1
    r = httpx.put(rw_server.gsp, params={"graph": g}, headers={**auth, "Content-Type": "text/turtle"},
                  content=f"<{EX}w> <{EX}p> 'y' , 'z' .".encode())
    assert r.status_code == 204
    r = httpx.post(rw_server.gsp, params={"graph": g}, headers={**auth, "Content-Type": "application/ld+json"},
                   content=b'{"@id": "http://example.org/w", "http://example.org/q": "j"}')
    assert r.status_code == 204
    r = httpx.get(rw_server.sparql,
                  params={"query": f"SELECT ?o WHERE {{ GRAPH <{g}> {{ <{EX}w> ?p ?o }} }} ORDER BY ?o"})
    assert [b["o"]["value"] for b in r.json()["results"]["bindings"]] == ["j", "y", "z"]
    r = httpx.delete(rw_server.gsp, params={"graph": g}, headers=auth)
    assert r.status_code == 204
    r = httpx.get(rw_server.gsp, params={"graph": g}, headers=auth)
    assert r.status_code == 404


def test_bad_graph_store_bodies(rw_server: Server) -> None:
    auth = rw_server.auth()
    before = dump(rw_server)
    r = httpx.put(rw_server.gsp, params={"graph": EX + "bad"}, headers={**auth, "Content-Type": "text/turtle"},
                  content=b"@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:d ex:e \"unterminated .\n")
    assert r.status_code == 400
    assert "line 3" in r.text and "column" in r.text
    r = httpx.put(rw_server.gsp, params={"graph": EX + "bad"}, headers={**auth, "Content-Type": "text/csv"},
                  content=b"a,b")
    assert r.status_code == 415
    r = httpx.put(rw_server.gsp, params={"graph": EX + "bad"}, headers=auth, content=b"<a:b> <a:c> <a:d> .")
    assert r.status_code == 415
    r = httpx.put(rw_server.gsp, params={"graph": "not-absolute"}, headers={**auth, "Content-Type": "text/turtle"},
                  content=b"")
    assert r.status_code == 400
    r = httpx.post(rw_server.sparql, data={"update": "INSERT DATA { <a:b> <a:c> }"}, headers=auth)
    assert r.status_code == 400 and "line 1, column" in r.text
    r = httpx.post(rw_server.sparql, data={"update": "INSERT DATA { hnid:area/1 <a:c> 1 }"}, headers=auth)
    assert r.status_code == 400
    assert "hnid:area/1: '/' is not allowed in a prefixed name's local part; write " \
           "<https://w3id.org/hilfenetz/id/area/1> or area:1\n" in r.text
    assert "SPARQL-Syntaxfehler im Update: hnid:area/1: '/' ist im lokalen Teil" in r.text
    assert dump(rw_server) == before


# ---------------------------------------------------------------- validation before commit


def test_violating_update_is_refused_with_report_and_changes_nothing(shapes_server: Server) -> None:
    auth = shapes_server.auth()
    before = dump(shapes_server)
    assert any("alice" in " ".join(row) for row in before)
    # carol is a Person without a name: violates sh:minCount 1
    update = (f"INSERT DATA {{ GRAPH <{EX}g/data> {{ <{EX}carol> a <{EX}Person> ; <{EX}age> 5 }} }} ;"
              f"DELETE DATA {{ GRAPH <{EX}g/data> {{ <{EX}alice> <{EX}age> 30 }} }}")
    r = httpx.post(shapes_server.sparql, data={"update": update}, headers=auth, timeout=60)
    assert r.status_code == 422
    assert "carol" in r.text and "refused" in r.text
    assert dump(shapes_server) == before
    # the report is also available as Turtle
    r = httpx.post(shapes_server.sparql, data={"update": update}, headers={**auth, "Accept": "text/turtle"}, timeout=60)
    assert r.status_code == 422
    report = rdflib.Graph().parse(data=r.text, format="turtle")
    SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    assert (None, SH.conforms, rdflib.Literal(False)) in report
    assert (None, SH.focusNode, rdflib.URIRef(EX + "carol")) in report
    # … and as JSON
    r = httpx.post(shapes_server.sparql, data={"update": update}, headers={**auth, "Accept": "application/json"},
                   timeout=60)
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/json")
    assert r.json()["conforms"] is False and "carol" in r.text
    assert dump(shapes_server) == before


def test_violating_graph_store_put_is_refused(shapes_server: Server) -> None:
    auth = shapes_server.auth()
    before = dump(shapes_server)
    body = f"<{EX}dave> a <{EX}Person> ; <{EX}name> 'Dave' ; <{EX}age> 1, 2 .".encode()
    r = httpx.put(shapes_server.gsp, params={"graph": EX + "g/data"}, headers={**auth, "Content-Type": "text/turtle"},
                  content=body, timeout=60)
    assert r.status_code == 422
    assert dump(shapes_server) == before


def test_conforming_write_is_committed(shapes_server: Server) -> None:
    auth = shapes_server.auth()
    update = f"INSERT DATA {{ GRAPH <{EX}g/data> {{ <{EX}erin> a <{EX}Person> ; <{EX}name> 'Erin' }} }}"
    r = httpx.post(shapes_server.sparql, data={"update": update}, headers=auth, timeout=60)
    assert r.status_code == 200, r.text
    r = httpx.get(shapes_server.sparql, params={"query": f"SELECT ?n WHERE {{ <{EX}erin> <{EX}name> ?n }}"})
    assert [b["n"]["value"] for b in r.json()["results"]["bindings"]] == ["Erin"]


def test_deleting_a_required_value_is_refused(shapes_server: Server) -> None:
    """Removal counts as a change too (the node loses its name); also via GRAPH ?g (any graph)."""
    auth = shapes_server.auth()
    before = dump(shapes_server)
    for update in (
        f"DELETE DATA {{ GRAPH <{EX}g/data> {{ <{EX}bob> <{EX}name> 'Bob' }} }}",
        f"DELETE {{ GRAPH ?g {{ <{EX}bob> <{EX}name> ?n }} }} WHERE {{ GRAPH ?g {{ <{EX}bob> <{EX}name> ?n }} }}",
    ):
        r = httpx.post(shapes_server.sparql, data={"update": update}, headers=auth, timeout=60)
        assert r.status_code == 422, (update, r.status_code, r.text)
        assert "bob" in r.text
        assert dump(shapes_server) == before


def test_mentioned_iris() -> None:
    from kg.sparql.text import mentioned_iris

    assert mentioned_iris("PREFIX e: <http://e/> INSERT DATA { GRAPH e:g { e:s e:p 'GRAPH ?x' } }") == {
        "http://e/", "http://e/g", "http://e/s", "http://e/p"}
    assert mentioned_iris("DELETE WHERE { GRAPH ?g { ?s ?p ?o } }") is None
    assert mentioned_iris("DROP ALL") is None
    assert mentioned_iris("CLEAR NAMED") is None
    assert mentioned_iris("INSERT DATA { hn:a hn:b 1 }", {"hn": "http://h#"}) == {"http://h#a", "http://h#b"}


# ---------------------------------------------------------------- inferred graph kept consistent


def test_committed_writes_keep_the_inferred_graph_consistent(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A write changes the derived triples of what it touches in the same commit: a new Person is
    an Agent in hnid:graph/inferred at once, and stops being one when its type goes; what is
    derived equals a fresh inference of the data."""
    import pyoxigraph as ox

    from kg.graph.infer import infer
    from kg.rdf import GRAPH_INFERRED, GRAPH_ONTOLOGY, GRAPH_SHAPES
    from tests.serving import start_server, stop_server

    from .conftest import SHAPES_DATA_TTL, SHAPES_TTL

    path = tmp_path / "store"
    store = ox.Store(str(path))
    store.load(SHAPES_TTL, format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(GRAPH_SHAPES))
    store.load(SHAPES_DATA_TTL, format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(EX + "g/data"))
    store.load(f"<{EX}Person> <http://www.w3.org/2000/01/rdf-schema#subClassOf> <{EX}Agent> .",
               format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(GRAPH_ONTOLOGY))
    infer(store)
    store.flush()
    del store
    server = start_server(path, tmp_path, "--workers", "1", token=TOKEN, extra_env={"HILFENETZ_RATE_LIMIT": "off"})
    auth = server.auth()

    def is_agent(who: str) -> bool:
        q = f"ASK {{ GRAPH <{GRAPH_INFERRED}> {{ <{EX}{who}> a <{EX}Agent> }} }}"
        return bool(httpx.get(server.sparql, params={"query": q}, timeout=30).json()["boolean"])

    try:
        assert is_agent("alice") and not is_agent("frank")
        r = httpx.post(server.sparql, headers=auth, timeout=60, data={
            "update": f"INSERT DATA {{ GRAPH <{EX}g/data> {{ <{EX}frank> a <{EX}Person> ; <{EX}name> 'Frank' }} }}"})
        assert r.status_code == 200, r.text
        assert is_agent("frank")
        # a refused write derives nothing
        r = httpx.post(server.sparql, headers=auth, timeout=60,
                       data={"update": f"INSERT DATA {{ GRAPH <{EX}g/data> {{ <{EX}gina> a <{EX}Person> }} }}"})
        assert r.status_code == 422 and not is_agent("gina")
        # graph store: replacing the data graph without alice's type takes her Agent type away
        r = httpx.get(server.gsp, params={"graph": EX + "g/data"}, headers={**auth, "Accept": "application/n-triples"})
        kept = "\n".join(line for line in r.text.splitlines()
                         if not (line.startswith(f"<{EX}alice>") and "type" in line))
        r = httpx.put(server.gsp, params={"graph": EX + "g/data"}, content=kept.encode(),
                      headers={**auth, "Content-Type": "application/n-triples"}, timeout=60)
        assert r.status_code == 204, r.text
        assert not is_agent("alice") and is_agent("bob") and is_agent("frank")
    finally:
        stop_server(server.process)
    # the store on disk: inferred graph = a fresh inference of the data
    store = ox.Store(str(path))
    inferred = ox.NamedNode(GRAPH_INFERRED)
    kept_inferred = set(store.quads_for_pattern(None, None, None, inferred))
    store.clear_graph(inferred)
    infer(store)
    assert set(store.quads_for_pattern(None, None, None, inferred)) == kept_inferred


def test_a_write_that_changes_nothing_is_accepted(shapes_server: Server) -> None:
    before = dump(shapes_server)
    r = httpx.post(shapes_server.sparql, headers=shapes_server.auth(), timeout=60,
                   data={"update": f"INSERT DATA {{ GRAPH <{EX}g/data> {{ <{EX}alice> <{EX}name> 'Alice' }} }}"})
    assert r.status_code == 200, r.text
    assert dump(shapes_server) == before
