"""Bad input never gives a 500, and never gets into the SPARQL text the server builds."""

from __future__ import annotations

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.serving import Server

_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80)
_sparqlish = st.lists(
    st.sampled_from(["SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "WHERE", "{", "}", "?s", "<http://x>", "'a'",
                     "GRAPH", "SERVICE", "FILTER(", ")", ".", ";", "PREFIX", "p:", "*", "LIMIT", "1", "#", "\n",
                     "\"\"\"", "<", ">", "VALUES", "(", "BIND", "AS", "COUNT(*)", "GROUP BY", "OPTIONAL"]),
    max_size=25,
).map(" ".join)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    query=st.one_of(_text, _sparqlish),
    graph=st.one_of(st.none(), _text),
    fmt=st.one_of(st.none(), _text),
    timeout=st.one_of(st.none(), _text, st.floats(allow_nan=True, allow_infinity=True).map(str)),
    accept=st.one_of(st.none(), st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1,
                                        max_size=40)),
)
def test_random_queries_never_500(ro_server: Server, query: str, graph: str | None, fmt: str | None,
                                  timeout: str | None, accept: str | None) -> None:
    params = [("query", query)]
    if graph is not None:
        params.append(("default-graph-uri", graph))
    if fmt is not None:
        params.append(("format", fmt))
    if timeout is not None:
        params.append(("timeout", timeout))
    headers = {"Accept": accept} if accept is not None else {}
    r = httpx.post(ro_server.sparql, data=dict(params), headers=headers, timeout=30)
    assert r.status_code < 500 or (r.status_code == 503 and "time limit" in r.text), (r.status_code, r.text)


def test_graph_iri_cannot_inject_sparql(rw_server: Server) -> None:
    auth = rw_server.auth()
    r = httpx.put(rw_server.gsp, params={"graph": "http://example.org/keep"},
                  headers={**auth, "Content-Type": "text/turtle"},
                  content=b"<http://example.org/a> <http://example.org/b> 1 .")
    assert r.status_code in (201, 204)
    evil = "http://x> {} } ; DROP ALL ; INSERT DATA { GRAPH <http://y"
    r = httpx.put(rw_server.gsp, params={"graph": evil}, headers={**auth, "Content-Type": "text/turtle"}, content=b"")
    assert r.status_code == 400
    r = httpx.post(rw_server.sparql, params={"using-graph-uri": evil},
                   content=b"INSERT { <http://example.org/c> <http://example.org/d> 1 } WHERE { ?s ?p ?o }",
                   headers={**auth, "Content-Type": "application/sparql-update"})
    assert r.status_code == 400
    r = httpx.get(rw_server.gsp, params={"graph": "http://example.org/keep"}, headers=auth)
    assert r.status_code == 200 and "example.org/a" in r.text


def test_gsp_random_bodies_never_500(rw_server: Server) -> None:
    auth = rw_server.auth()
    for ctype, body in [("text/turtle", b"\xff\xfe not utf8"), ("application/rdf+xml", b"<rdf:RDF"),
                        ("application/ld+json", b"{not json"), ("application/n-triples", b"<a> <b> <c>"),
                        ("multipart/form-data; boundary=x",
                         b"--x\r\nContent-Type: text/turtle\r\n\r\n<a:b> <a:c> <a:d> .\r\n--x--\r\n"),
                        ("multipart/form-data", b"garbage")]:
        r = httpx.post(rw_server.gsp, params={"graph": "http://example.org/rnd"},
                       headers={**auth, "Content-Type": ctype},
                       content=body)
        assert r.status_code < 500, (ctype, r.status_code, r.text)
