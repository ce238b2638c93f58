"""The list of bad inputs and the answer each must get, run against real servers.

BAD_INPUTS is a data table (cited by count in docs/security.md): name, server ("ro": read-only
server on the real project store; "rw": writable server on a small store), method, path,
query parameters, body, headers, expected status, expected text fragment. For every case on
the writable server the store's quads are compared before and after: a refused write changes
nothing. For path traversal, the answer must not contain any file's content either.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.serving import Server, start_server, stop_server
from tests.web.sparql.conftest import TOKEN, make_small_store

HNID = "https://w3id.org/hilfenetz/id/"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TTL = {"Content-Type": "text/turtle", **AUTH}
G = "http://example.org/g/people"
BODY_LIMIT = 200_000
NEST = 1000
DEEP = 15_000
#: query length cap of the read-only server (httpx refuses URLs over 64 KiB, so below that)
MAX_QUERY = 32_000


@dataclass(frozen=True)
class Bad:
    """One bad input and its expected answer."""

    name: str
    server: str
    method: str
    path: str
    expect: int
    fragment: str
    params: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    #: A known defect (the case is an expected failure until it is fixed; strict: a fix shows up).
    known_bug: str = ""


SQ = {"Content-Type": "application/sparql-query"}
SU = {"Content-Type": "application/sparql-update", **AUTH}

BAD_INPUTS: tuple[Bad, ...] = (
    # ---- malformed SPARQL (query): 400 naming line and column
    Bad("unterminated group", "ro", "GET", "/sparql", 400, "line 1, column 27",
        {"query": "SELECT * WHERE { ?s ?p ?o "}),
    Bad("trailing garbage", "ro", "GET", "/sparql", 400, "SPARQL query syntax error (line 1, column 14",
        {"query": "ASK {} garbage"}),
    Bad("second line error", "ro", "POST", "/sparql", 400, "line 2, column",
        body=b"SELECT *\nWHERE { ?s ?p }", headers=SQ),
    Bad("NUL byte", "ro", "GET", "/sparql", 400, "SPARQL query syntax error", {"query": "ASK {\x00}"}),
    Bad("empty query", "ro", "GET", "/sparql", 400, "The query is empty", {"query": "  "}),
    # nesting the parser handles: evaluated normally
    Bad("nested groups (depth 1000)", "ro", "POST", "/sparql", 200, '"bindings":[{}]',
        body=("SELECT * WHERE " + "{" * NEST + "}" * NEST).encode(), headers={**SQ, "Accept": "application/json"}),
    Bad("nested parentheses (depth 1000)", "ro", "POST", "/sparql", 200, "true",
        body=("ASK { FILTER(" + "(" * NEST + "1" + ")" * NEST + ") }").encode(), headers=SQ),
    Bad("nested OPTIONAL (depth 1000)", "ro", "POST", "/sparql", 200, "bindings",
        body=("SELECT * WHERE { " + "OPTIONAL { " * NEST + "?s <http://example.org/none> ?o "
              + "} " * NEST + "} LIMIT 1").encode(),
        headers={**SQ, "Accept": "application/json"}),
    Bad("nested FILTER EXISTS (depth 1000)", "ro", "POST", "/sparql", 200, "false",
        body=("ASK { " + "FILTER EXISTS { " * NEST + "?s <http://example.org/none> ?o " + "} " * NEST + "}").encode(),
        headers={**SQ, "Accept": "application/json"}),
    Bad("brackets inside a string do not nest", "ro", "POST", "/sparql", 200, "true",
        body=('ASK { FILTER("' + "{(" * DEEP + '" != "") }').encode(), headers=SQ),
    # nesting deeper than the limit (would overflow the parser's stack): refused before parsing
    Bad("nested groups (depth 15000)", "ro", "POST", "/sparql", 400, "the limit is 2000 levels",
        body=("SELECT*WHERE" + "{" * DEEP + "}" * DEEP).encode(), headers=SQ),
    Bad("nested update (depth 15000)", "rw", "POST", "/sparql", 400, "höchstens 2000 Ebenen",
        body=("DELETE { ?s ?p ?o } WHERE " + "{" * DEEP + "?s ?p ?o" + "}" * DEEP).encode(), headers=SU),
    Bad("update sent as query", "ro", "POST", "/sparql", 400, "This is a SPARQL Update", body=b"CLEAR ALL", headers=SQ),
    Bad("update via GET", "ro", "GET", "/sparql", 405, "must be sent with POST", {"update": "CLEAR ALL"}),
    Bad("two query parameters", "ro", "GET", "/sparql?query=ASK%7B%7D&query=ASK%7B%7D", 400, "Exactly one"),
    Bad("bad timeout", "ro", "GET", "/sparql", 400, "`timeout` must be a number",
        {"query": "ASK {}", "timeout": "soon"}),
    Bad("negative timeout", "ro", "GET", "/sparql", 400, "greater than 0", {"query": "ASK {}", "timeout": "-1"}),
    Bad("bad graph IRI", "ro", "GET", "/sparql", 400, "Not a valid graph IRI",
        {"query": "ASK {}", "default-graph-uri": "not an iri>"}),
    Bad("no acceptable format", "ro", "GET", "/sparql", 406, "No acceptable format", {"query": "ASK {}"},
        headers={"Accept": "image/png"}),
    Bad("unknown graph is empty, not an error", "ro", "GET", "/sparql", 200, '"bindings":[]',
        {"query": "SELECT * WHERE { ?s ?p ?o }", "default-graph-uri": "http://example.org/no-such-graph"},
        headers={"Accept": "application/sparql-results+json"}),
    # ---- server-side request forgery
    Bad("SERVICE to metadata address", "ro", "GET", "/sparql", 403, "is not allowed",
        {"query": "SELECT * WHERE { SERVICE <http://169.254.169.254/latest/meta-data/> { ?s ?p ?o } }"}),
    Bad("SERVICE to file URL", "ro", "GET", "/sparql", 403, "is not allowed",
        {"query": "SELECT * WHERE { SERVICE <file:///etc/passwd> { ?s ?p ?o } }"}),
    Bad("LOAD from internal host", "rw", "POST", "/sparql", 403, "is not allowed",
        body=b"LOAD <http://127.0.0.1:9/secret>", headers=SU),
    Bad("LOAD from file URL", "rw", "POST", "/sparql", 403, "is not allowed",
        body=b"LOAD <file:///etc/passwd> INTO GRAPH <http://example.org/x>", headers=SU),
    # ---- invalid UTF-8, wrong content types, huge input
    Bad("invalid UTF-8 query body", "ro", "POST", "/sparql", 400, "not valid UTF-8",
        body=b'ASK { FILTER("\xff\xfe") }', headers=SQ),
    Bad("invalid UTF-8 form body", "ro", "POST", "/sparql", 400, "not valid UTF-8", body=b"query=ASK%20%7B%7D\xff",
        headers={"Content-Type": "application/x-www-form-urlencoded"}),
    Bad("non-UTF-8 charset", "ro", "POST", "/sparql", 415, "must be UTF-8", body=b"ASK {}",
        headers={"Content-Type": "application/sparql-query; charset=latin-1"}),
    Bad("query as text/plain", "ro", "POST", "/sparql", 415, "Unsupported Content-Type text/plain", body=b"ASK {}",
        headers={"Content-Type": "text/plain"}),
    Bad("query without content type", "ro", "POST", "/sparql", 415, "Unsupported Content-Type (none)", body=b"ASK {}"),
    Bad("huge literal in query", "ro", "POST", "/sparql", 413, "longer than the limit",
        body=b'ASK { FILTER("' + b"x" * 300_000 + b'" != "") }', headers=SQ),
    Bad("huge GET query string", "ro", "GET", "/sparql", 414, "longer than the limit",
        {"query": 'ASK { FILTER("' + "x" * 40_000 + '" != "") }'}),
    Bad("PUT on /sparql", "ro", "PUT", "/sparql", 405, "not allowed on /sparql", body=b"x"),
    # ---- writes: malformed RDF is 400 naming line and column, nothing changes
    Bad("malformed Turtle", "rw", "PUT", "/store", 400, "line 2, column", {"graph": G},
        b"<http://example.org/a> <http://example.org/b> 'c' .\n<http://example.org/a> <http://example.org/b> .\n", TTL),
    Bad("Turtle undefined prefix", "rw", "POST", "/store", 400, "RDF syntax error", {"graph": G},
        b"ex:a ex:b ex:c .", TTL),
    Bad("malformed N-Triples", "rw", "PUT", "/store", 400, "line 1, column", {"graph": G},
        b"<http://example.org/a> <http://example.org/b> \"c .\n", {"Content-Type": "application/n-triples", **AUTH}),
    Bad("malformed JSON-LD", "rw", "PUT", "/store", 400, "RDF", {"graph": G},
        b'{"@id": "http://example.org/a", "http://example.org/b": [', {"Content-Type": "application/ld+json", **AUTH}),
    Bad("malformed RDF/XML", "rw", "PUT", "/store", 400, "not well-formed XML (line 1, column", {"graph": G},
        b"<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'><rdf:Description></rdf:RDF>",
        {"Content-Type": "application/rdf+xml", **AUTH}),
    Bad("truncated RDF/XML", "rw", "PUT", "/store", 400, "not well-formed XML", {"graph": G + "/truncated"},
        b"<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'><rdf:Description "
        b"rdf:about='http://example.org/a'><x:p xmlns:x='http://example.org/'>v</x:p>",
        {"Content-Type": "application/rdf+xml", **AUTH}),
    Bad("N-Quads into one graph", "rw", "PUT", "/store", 415, "Unsupported media type application/n-quads",
        {"graph": G},
        b"<http://example.org/a> <http://example.org/b> <http://example.org/c> <http://example.org/g> .\n",
        {"Content-Type": "application/n-quads", **AUTH}),
    Bad("Turtle with invalid UTF-8", "rw", "PUT", "/store", 400, "RDF", {"graph": G},
        b"<http://example.org/a> <http://example.org/b> '\xff\xfe' .", TTL),
    Bad("graph as PDF", "rw", "PUT", "/store", 415, "Unsupported media type application/pdf", {"graph": G}, b"%PDF-1.4",
        {"Content-Type": "application/pdf", **AUTH}),
    Bad("graph without content type", "rw", "PUT", "/store", 415, "Unsupported media type (none)", {"graph": G},
        b"<http://example.org/a> <http://example.org/b> 'c' .", AUTH),
    Bad("huge literal over body limit", "rw", "PUT", "/store", 413, f"limit of {BODY_LIMIT} bytes", {"graph": G},
        b"<http://example.org/a> <http://example.org/b> '" + b"x" * 300_000 + b"' .", TTL),
    Bad("malformed update", "rw", "POST", "/sparql", 400, "SPARQL update syntax error (line 1, column",
        body=b"INSERT DATA { <http://example.org/a> <http://example.org/b> }", headers=SU),
    Bad("update of missing graph without SILENT", "rw", "POST", "/sparql", 400, "The update failed",
        body=b"DROP GRAPH <http://example.org/no-such-graph>", headers=SU),
    Bad("write without token", "rw", "PUT", "/store", 401, "needs a bearer token", {"graph": G},
        b"<http://example.org/a> <http://example.org/b> 'c' .", {"Content-Type": "text/turtle"}),
    Bad("write with wrong token", "rw", "POST", "/sparql", 401, "bearer token is not valid", body=b"CLEAR ALL",
        headers={"Content-Type": "application/sparql-update", "Authorization": "Bearer nope"}),
    Bad("relative graph IRI", "rw", "PUT", "/store", 400, "must be an absolute IRI", {"graph": "people"},
        b"<http://example.org/a> <http://example.org/b> 'c' .", TTL),
    Bad("graph and default together", "rw", "GET", "/store?graph=http://example.org/g&default", 400, "not both",
        headers=AUTH),
    Bad("unknown graph GET", "rw", "GET", "/store", 404, "No graph <http://example.org/no-such-graph>",
        {"graph": "http://example.org/no-such-graph"}, headers=AUTH),
    Bad("unknown graph DELETE", "rw", "DELETE", "/store", 404, "No graph", {"graph": "http://example.org/nothing"},
        headers=AUTH),
    Bad("traversal as direct graph", "rw", "GET", "/store/..%2F..%2Fetc%2Fpasswd", 404, "No graph", headers=AUTH),
    # ---- path traversal in every path parameter (404, no file content)
    *(Bad(f"traversal {p}", "ro", "GET", p, 404, "") for p in (
        "/id/..%2F..%2F..%2Fetc%2Fpasswd", "/id/../../etc/passwd", "/downloads/..%2F..%2Fetc%2Fpasswd",
        "/downloads/..%2Fstore%2FCURRENT", "/static/..%2Fapp.py", "/static/..%2F..%2F..%2Fpyproject.toml",
        "/static/%2Fetc%2Fpasswd", "/api/docs/assets/..%2F__init__.py", "/ontology/..%2F..%2Fetc%2Fpasswd",
        "/api/queries/..%2F..%2Fetc%2Fpasswd", "/api/queries/..%2Fqueries%2Ffunding.rq",
        "/dataset.%2F..%2F..%2Fetc%2Fpasswd", "/ontology.%2F..%2Fpyproject.toml",
    )),
    # ---- parameter injection in named queries (422, never reaches SPARQL)
    Bad("IRI parameter closing the IRI", "ro", "GET", "/api/queries/actor-cooperation-partners", 422, "actor",
        {"actor": HNID + "org/lvr> } ; DROP ALL ; SELECT * { <x"}),
    Bad("IRI parameter with quotes", "ro", "GET", "/api/queries/actor-cooperation-partners", 422, "actor",
        {"actor": 'x" . } #'}),
    Bad("integer parameter with SPARQL", "ro", "GET", "/api/queries/actor-cooperation-partners", 422, "fromYear",
        {"fromYear": "2018 } UNION { ?s ?p ?o"}),
    Bad("concept parameter outside its scheme", "ro", "GET", "/api/queries/actor-cooperation-partners", 422, "role",
        {"role": HNID + "org/lvr"}),
    Bad("unknown parameter", "ro", "GET", "/api/queries/actor-cooperation-partners", 422, "unknown parameter",
        {"FILTER": "true"}),
    Bad("repeated parameter", "ro", "GET", "/api/queries/actor-cooperation-partners?fromYear=1&fromYear=2", 422,
        "given more than once"),
    Bad("per_page zero", "ro", "GET", "/api/queries/actor-cooperation-partners", 422, "per_page", {"per_page": "0"}),
    Bad("unknown named query", "ro", "GET", "/api/queries/no-such-query", 404, "Not Found"),
    Bad("search text too long", "ro", "GET", "/api/search", 422, "at most", {"q": "a" * 5000}),
)


# ---------------------------------------------------------------------------- servers


@pytest.fixture(scope="module")
def servers(built_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Server]]:
    logs = tmp_path_factory.mktemp("bad-log")
    env = {"HILFENETZ_RATE_LIMIT": "off"}
    ro = start_server(built_store, logs, "--workers", "2", "--timeout", "10",
                      extra_env={**env, "HILFENETZ_MAX_QUERY_BYTES": str(MAX_QUERY)})
    small = make_small_store(tmp_path_factory.mktemp("bad-rw") / "store")
    try:
        rw = start_server(small, logs, "--workers", "1", "--max-body-bytes", str(BODY_LIMIT),
                          token=TOKEN, extra_env=env)
    except Exception:
        stop_server(ro.process)
        raise
    yield {"ro": ro, "rw": rw}
    stop_server(rw.process)
    stop_server(ro.process)


def all_quads(server: Server) -> list[tuple[str, ...]]:
    """Every quad: named graphs by SPARQL, the default graph by the Graph Store Protocol."""
    q = "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"
    r = httpx.post(server.sparql, data={"query": q}, headers={"Accept": "text/tab-separated-values"}, timeout=60)
    assert r.status_code == 200, r.text
    named = sorted(tuple(line.split("\t")) for line in r.text.splitlines()[1:] if line)
    d = httpx.get(server.gsp, params={"default": ""}, headers={**AUTH, "Accept": "application/n-triples"}, timeout=60)
    assert d.status_code == 200
    return named + sorted(("", line) for line in d.text.splitlines())


def _params() -> list[object]:
    return [pytest.param(c, id=c.name,
                         marks=[pytest.mark.xfail(strict=True, reason=c.known_bug)] if c.known_bug else [])
            for c in BAD_INPUTS]


@pytest.mark.parametrize("case", _params())
def test_bad_input_gets_its_answer(servers: dict[str, Server], case: Bad) -> None:
    server = servers[case.server]
    before = all_quads(server) if case.server == "rw" else None
    r = httpx.request(case.method, server.url + case.path, params=case.params or None, content=case.body,
                      headers=case.headers, timeout=60)
    assert r.status_code == case.expect, (case.name, r.status_code, r.text[:400])
    assert case.fragment in r.text, (case.name, r.text[:400])
    assert "Traceback" not in r.text and "root:x:0:0" not in r.text and "[build-system]" not in r.text
    if before is not None:
        assert all_quads(server) == before
    # the server still answers
    assert httpx.get(server.sparql, params={"query": "ASK {}"}, timeout=30).status_code == 200


def test_table_size() -> None:
    """docs/security.md cites this count; keep them in step."""
    assert len(BAD_INPUTS) == 74
