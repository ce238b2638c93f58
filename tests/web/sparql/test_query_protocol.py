"""SPARQL 1.1 Query Protocol against a real server: methods, dataset, formats, errors, ETags."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import httpx
import pytest
import rdflib

from tests.serving import Server

from .conftest import BULK, EX, PEOPLE, PEOPLE_COUNT

NAMES_Q = (
    "PREFIX foaf: <http://xmlns.com/foaf/0.1/> "
    "SELECT ?p ?name WHERE { ?p foaf:name ?name } ORDER BY ?p LIMIT 3"
)
CONSTRUCT_Q = (
    "PREFIX foaf: <http://xmlns.com/foaf/0.1/> "
    "CONSTRUCT { ?p foaf:name ?name } WHERE { ?p foaf:name ?name }"
)
SRX = "{http://www.w3.org/2005/sparql-results#}"


def _names_from_json(body: bytes) -> list[str]:
    data = json.loads(body)
    return [b["name"]["value"] for b in data["results"]["bindings"]]


def test_get_json_default(ro_server: Server, client: httpx.Client) -> None:
    r = client.get(ro_server.sparql, params={"query": NAMES_Q})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/sparql-results+json")
    data = r.json()
    assert data["head"]["vars"] == ["p", "name"]
    # ORDER BY on IRIs: person/0, person/1, person/10
    assert _names_from_json(r.content) == ["Person 0", "Person 1", "Person 10"]
    assert data["results"]["bindings"][0]["name"]["xml:lang"] == "de"


def test_post_form_and_direct_give_same_answer(ro_server: Server, client: httpx.Client) -> None:
    a = client.post(ro_server.sparql, data={"query": NAMES_Q})
    b = client.post(ro_server.sparql, content=NAMES_Q.encode(), headers={"Content-Type": "application/sparql-query"})
    assert a.status_code == b.status_code == 200
    assert _names_from_json(a.content) == _names_from_json(b.content) == ["Person 0", "Person 1", "Person 10"]


def test_select_xml(ro_server: Server, client: httpx.Client) -> None:
    r = client.get(ro_server.sparql, params={"query": NAMES_Q}, headers={"Accept": "application/sparql-results+xml"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/sparql-results+xml")
    root = ET.fromstring(r.content)
    lits = [e.text for e in root.iter(SRX + "literal")]
    assert lits == ["Person 0", "Person 1", "Person 10"]


def test_select_csv_and_tsv(ro_server: Server, client: httpx.Client) -> None:
    q = f"SELECT ?m WHERE {{ <{EX}person/0> <{EX}motto> ?m }}"
    r = client.get(ro_server.sparql, params={"query": q}, headers={"Accept": "text/csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == ["m"]
    assert rows[1] == ['Tab\there, "quotes", comma, and\nnewline; Ümlaut']
    r = client.get(ro_server.sparql, params={"query": q}, headers={"Accept": "text/tab-separated-values"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/tab-separated-values")
    lines = r.text.split("\n")
    assert lines[0] == "?m"
    assert lines[1] == '"Tab\\there, \\"quotes\\", comma, and\\nnewline; Ümlaut"'


def test_ask_json_and_xml(ro_server: Server, client: httpx.Client) -> None:
    q = f"ASK {{ <{EX}person/3> ?p ?o }}"
    r = client.get(ro_server.sparql, params={"query": q})
    assert r.status_code == 200 and r.json()["boolean"] is True
    r = client.get(ro_server.sparql, params={"query": f"ASK {{ <{EX}nobody> ?p ?o }}"},
                   headers={"Accept": "application/sparql-results+xml"})
    assert r.status_code == 200
    assert ET.fromstring(r.content).find(SRX + "boolean").text == "false"


@pytest.mark.parametrize(
    "accept,rdflib_format,ctype",
    [
        ("text/turtle", "turtle", "text/turtle"),
        ("application/n-triples", "nt", "application/n-triples"),
        ("application/n-quads", "nquads", "application/n-quads"),
        ("application/trig", "trig", "application/trig"),
        ("application/ld+json", "json-ld", "application/ld+json"),
        ("application/rdf+xml", "xml", "application/rdf+xml"),
    ],
)
def test_construct_every_graph_format(ro_server: Server, client: httpx.Client, accept: str, rdflib_format: str,
                                      ctype: str) -> None:
    r = client.get(ro_server.sparql, params={"query": CONSTRUCT_Q}, headers={"Accept": accept})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(ctype)
    if rdflib_format in ("nquads", "trig"):
        g = rdflib.Dataset()
        g.parse(data=r.content, format=rdflib_format)
        triples = set(g.triples((None, None, None)))
    else:
        g = rdflib.Graph()
        g.parse(data=r.content, format=rdflib_format)
        triples = set(g)
    assert len(triples) == PEOPLE_COUNT
    assert (rdflib.URIRef(EX + "person/7"), rdflib.URIRef("http://xmlns.com/foaf/0.1/name"),
            rdflib.Literal("Person 7", lang="de")) in triples


def test_describe_default_turtle(ro_server: Server, client: httpx.Client) -> None:
    r = client.get(ro_server.sparql, params={"query": f"DESCRIBE <{EX}person/2>"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    g = rdflib.Graph().parse(data=r.text, format="turtle")
    assert (rdflib.URIRef(EX + "person/2"), rdflib.URIRef(EX + "age"), rdflib.Literal(22)) in g


def test_format_parameter_overrides_accept(ro_server: Server, client: httpx.Client) -> None:
    r = client.get(ro_server.sparql, params={"query": NAMES_Q, "format": "csv"}, headers={"Accept": "application/json"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.text.splitlines()[1].endswith("Person 0")


def test_q_values_choose_the_preferred(ro_server: Server, client: httpx.Client) -> None:
    accept = "application/sparql-results+json;q=0.5, text/csv;q=0.9, */*;q=0.1"
    r = client.get(ro_server.sparql, params={"query": NAMES_Q}, headers={"Accept": accept})
    assert r.headers["content-type"].startswith("text/csv")
    r = client.get(ro_server.sparql, params={"query": CONSTRUCT_Q},
                   headers={"Accept": "text/turtle;q=0.2, application/n-triples"})
    assert r.headers["content-type"].startswith("application/n-triples")


def test_406_when_nothing_fits(ro_server: Server, client: httpx.Client) -> None:
    r = client.get(ro_server.sparql, params={"query": NAMES_Q}, headers={"Accept": "image/png"})
    assert r.status_code == 406
    assert "application/sparql-results+json" in r.text
    r = client.get(ro_server.sparql, params={"query": CONSTRUCT_Q}, headers={"Accept": "text/csv"})
    assert r.status_code == 406
    # a `format=` that names a format of another kind is what the client asked for: 406
    r = client.get(ro_server.sparql, params={"query": CONSTRUCT_Q, "format": "csv"})
    assert r.status_code == 406 and "text/turtle" in r.text
    # an unknown `format=` does not override Accept (issue 16: SPARQLWrapper sends several)
    r = client.get(ro_server.sparql, params={"query": NAMES_Q, "format": "nonsense"}, headers={"Accept": "image/png"})
    assert r.status_code == 406
    r = client.get(ro_server.sparql, params={"query": NAMES_Q, "format": "nonsense"}, headers={"Accept": "text/csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")


def test_default_graph_is_union_and_dataset_params_restrict(ro_server: Server, client: httpx.Client) -> None:
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    r = client.get(ro_server.sparql, params={"query": count})
    total = int(r.json()["results"]["bindings"][0]["n"]["value"])
    assert total == 3 * PEOPLE_COUNT + 1 + 3000 + 1
    r = client.get(ro_server.sparql, params={"query": count, "default-graph-uri": PEOPLE})
    assert int(r.json()["results"]["bindings"][0]["n"]["value"]) == 3 * PEOPLE_COUNT + 1
    r = client.get(ro_server.sparql,
                   params=[("query", count), ("default-graph-uri", PEOPLE), ("default-graph-uri", BULK)])
    assert int(r.json()["results"]["bindings"][0]["n"]["value"]) == 3 * PEOPLE_COUNT + 1 + 3000
    # named-graph-uri limits what GRAPH ?g sees
    q = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    r = client.get(ro_server.sparql, params={"query": q, "named-graph-uri": BULK})
    assert [b["g"]["value"] for b in r.json()["results"]["bindings"]] == [BULK]
    # protocol dataset wins over FROM in the query
    q = f"SELECT (COUNT(*) AS ?n) FROM <{BULK}> WHERE {{ ?s ?p ?o }}"
    r = client.get(ro_server.sparql, params={"query": q, "default-graph-uri": PEOPLE})
    assert int(r.json()["results"]["bindings"][0]["n"]["value"]) == 3 * PEOPLE_COUNT + 1


def test_syntax_error_is_400_with_message_and_position(ro_server: Server, client: httpx.Client) -> None:
    r = client.get(ro_server.sparql, params={"query": "SELECT * WHERE {\n  ?s ?p \n}"})
    assert r.status_code == 400
    assert "syntax error" in r.text
    assert "line 3, column" in r.text
    assert "expected" in r.text


@pytest.mark.parametrize(
    "method,kwargs,status",
    [
        ("PUT", {"params": {"query": "ASK {}"}}, 405),
        ("DELETE", {"params": {"query": "ASK {}"}}, 405),
        ("POST", {"content": b"ASK {}", "headers": {"Content-Type": "text/plain"}}, 415),
        ("POST", {"content": b"query=ASK%20%7B%7D"}, 415),
        ("POST", {"content": "ASK {}".encode("utf-16"),
                  "headers": {"Content-Type": "application/sparql-query; charset=UTF-16"}}, 415),
        ("GET", {"params": [("query", "ASK {}"), ("query", "SELECT * {}")]}, 400),
        ("GET", {"params": {"update": "CLEAR ALL"}}, 405),
        ("GET", {"params": {"query": "CLEAR ALL"}}, 400),
        ("GET", {"params": {"query": "ASK {}", "timeout": "soon"}}, 400),
        ("POST", {"data": {"query": "ASK {}", "update": "CLEAR ALL"}}, 400),
    ],
)
def test_bad_requests_are_4xx(ro_server: Server, client: httpx.Client, method: str, kwargs: dict, status: int) -> None:
    r = client.request(method, ro_server.sparql, **kwargs)
    assert r.status_code == status, r.text
    assert r.text.strip()


def test_request_body_limit_is_413(ro_server: Server, client: httpx.Client) -> None:
    big = "ASK { " + "#" * 200_000 + "\n}"
    r = client.post(ro_server.sparql, content=big.encode(), headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 413
    assert "100000 bytes" in r.text


def test_result_row_limit_is_413_naming_the_limit(ro_server: Server, client: httpx.Client) -> None:
    # 3,000 short CSV lines: the limit is found before the answer is large enough to stream
    r = client.get(ro_server.sparql, params={"query": f"SELECT ?o WHERE {{ ?s <{EX}v> ?o }}"},
                   headers={"Accept": "text/csv"})
    assert r.status_code == 413
    assert "1000 rows" in r.text
    r = client.get(ro_server.sparql, params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"})
    assert r.status_code == 413
    r = client.get(ro_server.sparql, params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1000"})
    assert r.status_code == 200 and len(r.json()["results"]["bindings"]) == 1000
    # in JSON too (the default stream threshold, 1 MiB, is not reached before 1000 rows); an
    # answer that passes the limit after it started streaming is cut off: test_streaming.py
    r = client.get(ro_server.sparql, params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert r.status_code == 413 and "1000 rows" in r.text


def test_etag_and_304(ro_server: Server, client: httpx.Client) -> None:
    q = f"SELECT ?n WHERE {{ <{EX}person/5> <http://xmlns.com/foaf/0.1/name> ?n }}"
    r1 = client.get(ro_server.sparql, params={"query": q})
    etag = r1.headers["etag"]
    assert etag.startswith('"')
    r2 = client.get(ro_server.sparql, params={"query": q}, headers={"If-None-Match": etag})
    assert r2.status_code == 304 and r2.content == b""
    # same query with different layout and a comment hits the same cache entry and ETag
    q2 = f"# comment\nSELECT   ?n\nWHERE {{ <{EX}person/5>   <http://xmlns.com/foaf/0.1/name> ?n }}"
    r3 = client.get(ro_server.sparql, params={"query": q2})
    assert r3.headers["etag"] == etag
    assert [b["n"]["value"] for b in r3.json()["results"]["bindings"]] == ["Person 5"]
    # another format has another ETag
    r4 = client.get(ro_server.sparql, params={"query": q}, headers={"Accept": "text/csv"})
    assert r4.headers["etag"] != etag


def test_head_has_headers_no_body(ro_server: Server, client: httpx.Client) -> None:
    r = client.head(ro_server.sparql, params={"query": "ASK {}"})
    assert r.status_code == 200 and r.content == b""
    assert r.headers["content-type"].startswith("application/sparql-results+json")


def test_nesting_depth_ignores_strings_iris_and_comments() -> None:
    """The pre-parser nesting check counts { ( [ together, but not inside strings, IRIs or
    comments, and a stray closing bracket never hides the nesting that follows it."""
    from kg.sparql.text import MAX_NESTING, nesting_depth, too_deep

    assert nesting_depth('SELECT * WHERE { ?s ?p "{{{((" . FILTER(?a < ?b) } # {{{{') == 2
    assert nesting_depth("ASK { ?s ?p '''a\n{{{\n''' ; <http://example.org/a#{> ?o }") == 1
    assert nesting_depth("ASK { FILTER(STR(?x) = STR([ ])) }") == 4
    assert nesting_depth(")))" + "{" * 5 + "}" * 5) == 5
    deep = "SELECT * WHERE " + "{" * (MAX_NESTING + 1) + "}" * (MAX_NESTING + 1)
    assert too_deep(deep) == MAX_NESTING + 1
    assert too_deep("SELECT * WHERE " + "{" * MAX_NESTING + "}" * MAX_NESTING) is None
    # many brackets side by side are not deep
    assert too_deep("ASK { " + "{ } " * (3 * MAX_NESTING) + "}") is None
    assert too_deep('ASK { FILTER("' + "{" * (3 * MAX_NESTING) + '" != "") }') is None
