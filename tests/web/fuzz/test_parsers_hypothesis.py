"""Property-based tests of the parsers (hypothesis): broken input is always a clean, positioned
error, never another exception, a 500 or a dead worker.

* kg.graph.sources.parse_file on mutated Turtle: quads, or SourceSyntaxError with 1-based line/column
  inside the file; nothing else.
* /sparql on random token soup: 200, 400 (syntax, with line and column) or the documented 503
  (deadline); never 500; the server survives.
* Graph Store PUT of mutated Turtle: 2xx, or 400 naming line and column, and then the store
  is unchanged.
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.errors import SourceSyntaxError
from kg.graph.sources import parse_file
from tests.serving import Server
from tests.web.sparql.conftest import TOKEN

N = int(os.environ.get("KG_HYPOTHESIS_EXAMPLES", "150"))
N_SLOW = int(os.environ.get("KG_HYPOTHESIS_EXAMPLES_SLOW", "1500"))
COMMON = {"deadline": None, "suppress_health_check": list(HealthCheck), "database": None}

SEED_TTL = """@prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:a a ex:Thing ;
    ex:name "Ä name"@de , "a name"@en ;
    ex:count 3 ; ex:ratio 1.5e0 ; ex:when "2024-01-01"^^xsd:date ;
    ex:list ( ex:b "c" 4 ) ;
    ex:blank [ ex:inner ex:c ] .
ex:b ex:text \"\"\"multi
line\"\"\" .
"""

TTL_PIECES = ["@prefix", "ex:", "<http://example.org/x>", "<", ">", '"', '"""', "'", ".", ";", ",", "[", "]", "(", ")",
              "^^", "@de", "_:b", "a", " ", "\n", "\\", "\\u00", "#", "true", "1.", "-", "\x00", "é", "\ud7ff"]


@st.composite
def mutated_turtle(draw: st.DrawFn) -> bytes:
    """The seed document with a few random insertions, deletions and replacements."""
    text = SEED_TTL
    for _ in range(draw(st.integers(1, 6))):
        pos = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "delete", "replace"]))
        piece = draw(st.one_of(st.sampled_from(TTL_PIECES), st.text(max_size=4)))
        if op == "insert":
            text = text[:pos] + piece + text[pos:]
        elif op == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 8)):]
        else:
            text = text[:pos] + piece + text[pos + len(piece):]
    data = text.encode("utf-8", "surrogatepass")
    if draw(st.booleans()) and data:  # sometimes invalid UTF-8
        pos = draw(st.integers(0, len(data) - 1))
        data = data[:pos] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x80\x80"])) + data[pos:]
    return data


def _check_parse(tmp: Path, data: bytes) -> None:
    path = tmp / "doc.ttl"
    path.write_bytes(data)
    try:
        parse_file(path, "http://example.org/g")
    except SourceSyntaxError as exc:
        lines = data.count(b"\n") + 1
        assert exc.line is not None and 1 <= exc.line <= lines + 1, (exc.line, lines, str(exc))
        assert exc.column is None or exc.column >= 1
        assert str(path) in str(exc)


@given(data=mutated_turtle())
@settings(max_examples=N, **COMMON)
def test_source_parser_errors_are_positioned(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    _check_parse(tmp_path_factory.mktemp("p", numbered=True), data)


@pytest.mark.slow
@given(data=mutated_turtle())
@settings(max_examples=N_SLOW, **COMMON)
def test_source_parser_errors_are_positioned_many(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    _check_parse(tmp_path_factory.mktemp("p", numbered=True), data)


SPARQL_TOKENS = ["SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "WHERE", "*", "{", "}", "(", ")", ".", ";", ",", "?s", "?p",
                 "?o", "$x", "<http://example.org/v>", "<>", '"lit"', "'x'@de", "1", "-2.5e3", "a", "FILTER",
                 "OPTIONAL",
                 "UNION", "MINUS", "GRAPH", "BIND", "AS", "VALUES", "UNDEF", "LIMIT", "OFFSET", "ORDER BY", "GROUP BY",
                 "HAVING", "COUNT", "DISTINCT", "REGEX", "STR", "LANG", "^^", "|", "/", "+", "!", "=", "&&", "||",
                 "EXISTS", "NOT", "PREFIX", "ex:", "BASE", "SERVICE", "#", "\n", "\x00", "é", "\\"]


@st.composite
def token_soup(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.one_of(st.sampled_from(SPARQL_TOKENS), st.text(max_size=3)), min_size=1, max_size=30))
    return " ".join(parts)


def _check_query(server: Server, client: httpx.Client, text: str) -> None:
    r = client.post(server.sparql, content=text.encode("utf-8", "surrogatepass"),
                    headers={"Content-Type": "application/sparql-query"})
    assert r.status_code in (200, 400, 403, 503), (text, r.status_code, r.text[:300])
    if r.status_code == 400 and "syntax error" in r.text:
        assert "line " in r.text and "column " in r.text, r.text
    if r.status_code == 503:
        assert "time limit" in r.text or "worker" in r.text, r.text


@pytest.fixture(scope="module")
def client() -> httpx.Client:
    with httpx.Client(timeout=30) as c:
        yield c


@given(text=token_soup())
@settings(max_examples=N, **COMMON)
def test_sparql_endpoint_never_500(fuzz_rw_server: Server, client: httpx.Client, text: str) -> None:
    _check_query(fuzz_rw_server, client, text)


@pytest.mark.slow
@given(text=token_soup())
@settings(max_examples=N_SLOW, **COMMON)
def test_sparql_endpoint_never_500_many(fuzz_rw_server: Server, client: httpx.Client, text: str) -> None:
    _check_query(fuzz_rw_server, client, text)


GSP_GRAPH = "http://example.org/g/fuzz"


def _graph_nt(server: Server, client: httpx.Client) -> str:
    r = client.get(server.gsp, params={"graph": GSP_GRAPH}, headers={"Accept": "application/n-triples",
                                                                     "Authorization": f"Bearer {TOKEN}"})
    if r.status_code == 404:
        return "<absent>"
    assert r.status_code == 200, r.text
    return "\n".join(sorted(r.text.splitlines()))


@given(data=mutated_turtle())
@settings(max_examples=max(20, N // 3), **COMMON)
def test_graph_store_put_is_all_or_nothing(fuzz_rw_server: Server, client: httpx.Client, data: bytes) -> None:
    before = _graph_nt(fuzz_rw_server, client)
    r = client.put(fuzz_rw_server.gsp, params={"graph": GSP_GRAPH}, content=data,
                   headers={"Content-Type": "text/turtle", "Authorization": f"Bearer {TOKEN}"})
    assert r.status_code in (201, 204, 400), (r.status_code, r.text[:300])
    if r.status_code == 400:
        assert "syntax error" in r.text or "could not be read" in r.text, r.text
        assert _graph_nt(fuzz_rw_server, client) == before
    else:
        assert _graph_nt(fuzz_rw_server, client) != "<absent>"
