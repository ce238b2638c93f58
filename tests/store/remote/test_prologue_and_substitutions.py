"""The query rewriting a remote store needs, checked against pyoxigraph itself (no server):
`substitutions=` as a VALUES block in the outermost WHERE group must answer what pyoxigraph's
own substitution answers, and the prologue for `prefixes=`/`base_iri=` must keep line numbers."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg.store.remote import (
    derive_update_url,
    prologue,
    unshift_position,
    with_substitutions,
)

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


@pytest.fixture(scope="module")
def mem() -> ox.Store:
    st = ox.Store()
    for s, t in (("s1", "x"), ("s2", "y"), ("s3", "x")):
        st.add(ox.Quad(ox.NamedNode(f"urn:{s}"), RDF_TYPE, ox.NamedNode(f"urn:{t}")))
    for s in ("s1", "s2"):
        st.add(ox.Quad(ox.NamedNode(f"urn:{s}"), ox.NamedNode("urn:label"), ox.Literal('where { "x" }', language="de")))
    return st


def _answer(result: object) -> object:
    if isinstance(result, ox.QueryBoolean):
        return bool(result)
    return sorted(str(x) for x in result)  # type: ignore[attr-defined]


@pytest.mark.parametrize("query", [
    "SELECT ?t (COUNT(*) AS ?c) WHERE { ?s a ?t } GROUP BY ?t",
    "ASK { ?s a ?t ; <urn:label> ?l }",
    "PREFIX u: <urn:>\n# a comment with where {\nSELECT * { ?s a ?t ; u:label ?l FILTER(?l != 'where {') }",
    "CONSTRUCT { ?s a ?t } WHERE { ?s a ?t }",
    "CONSTRUCT { ?s a ?t } { ?s a ?t }",
    "SELECT ?t ?s WHERE { { SELECT ?s ?t WHERE { ?s a ?t } } }",
    "SELECT ?s ?t WHERE { ?s a ?any OPTIONAL { ?s a ?t } }",
    'SELECT ?s ?t WHERE { ?s <urn:label> """where { "x" }"""@de . ?s a ?t }',
])
def test_substitutions_answer_like_pyoxigraph(mem: ox.Store, query: str) -> None:
    term = "urn:z" if query.startswith("ASK") else "urn:y"  # a binding that changes the answer
    sub = {ox.Variable("t"): ox.NamedNode(term)}
    ours = _answer(mem.query(with_substitutions(query, sub)))
    theirs = _answer(mem.query(query, substitutions=sub))
    assert ours == theirs
    assert ours != _answer(mem.query(query))


def test_substitution_of_a_literal_is_a_term_not_text(mem: ox.Store) -> None:
    sub = {ox.Variable("l"): ox.Literal('where { "x" }', language="de")}
    q = "SELECT ?s ?l WHERE { ?s <urn:label> ?l }"
    assert _answer(mem.query(with_substitutions(q, sub))) == _answer(mem.query(q, substitutions=sub)) != []


def test_prologue_keeps_lines_and_positions_are_corrected(mem: ox.Store) -> None:
    prefixes = {"u": "urn:", "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#"}
    query = "PREFIX u: <urn:>\nSELECT ?s WHERE { ?s rdf:type u:x }"
    head = prologue(query, "http://example.org/", prefixes)
    assert "\n" not in head and "PREFIX u:" not in head and "PREFIX rdf:" in head and "BASE" in head
    assert _answer(mem.query(head + query)) == _answer(mem.query(query, prefixes=prefixes))
    bad = "SELEC ?s"
    with pytest.raises(SyntaxError) as ours:
        mem.query(prologue(bad, None, prefixes) + bad)
    with pytest.raises(SyntaxError) as theirs:
        mem.query(bad, prefixes=prefixes)
    assert unshift_position(str(ours.value), len(prologue(bad, None, prefixes))) == str(theirs.value)


@pytest.mark.parametrize("query_url,update_url", [
    ("http://h:7878/query", "http://h:7878/update"),  # Oxigraph server
    ("http://h:3030/ds/query", "http://h:3030/ds/update"),  # Fuseki
    ("http://h:3030/ds/sparql", "http://h:3030/ds/update"),
    ("http://h:7200/repositories/hn", "http://h:7200/repositories/hn/statements"),  # GraphDB
    ("http://h:8890/sparql", "http://h:8890/sparql"),  # Virtuoso: one endpoint
])
def test_update_endpoint_defaults(query_url: str, update_url: str) -> None:
    assert derive_update_url(query_url) == update_url
