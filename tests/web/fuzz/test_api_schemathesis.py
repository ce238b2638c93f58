"""Fuzz the HTTP API from its own OpenAPI description (schemathesis): no 500, no hang, the server
and its workers survive.

Every operation of the served /openapi.json gets EXAMPLES positive and EXAMPLES negative cases
(wrong types, missing and unexpected parameters, odd strings) in the default run and
EXAMPLES_SLOW of each in the slow variant; /sparql (GET and POST, described in
kg/web/routes/sparql_openapi.py) gets SPARQL_EXAMPLES more of each on both
servers. Why hypothesis directly and not schemathesis' pytest
plugin: `schemathesis.pytest.from_fixture` does not work with pytest 9 (it reads
`request.node._nodeid`); the strategies are the same. The number of cases sent is printed.
"""

from __future__ import annotations

import os

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Verbosity, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable

from tests.serving import Server
from tests.web.sparql.conftest import TOKEN

#: Bodies for the two SPARQL media types, which schemathesis cannot make by itself (it only sent
#: forms before these were registered): real operations, any text, any bytes (not UTF-8: 400).
_SPARQL_QUERIES = (b"SELECT * WHERE { ?s ?p ?o } LIMIT 3", b"ASK {}", b"CONSTRUCT WHERE { ?s ?p ?o } LIMIT 2",
                   b"DESCRIBE <https://w3id.org/hilfenetz/id/area/05562004>", b"SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")
_SPARQL_UPDATES = (
    b"INSERT DATA { GRAPH <http://example.org/fuzz> { <http://example.org/s> <http://example.org/p> 1 } }",
    b"CLEAR SILENT GRAPH <http://example.org/fuzz>",
    b"DELETE WHERE { GRAPH <http://example.org/fuzz> { ?s ?p ?o } }",
)
_ANY_TEXT = st.one_of(st.text().map(str.encode), st.binary(max_size=64))
schemathesis.openapi.media_type("application/sparql-query", st.one_of(st.sampled_from(_SPARQL_QUERIES), _ANY_TEXT))
schemathesis.openapi.media_type("application/sparql-update", st.one_of(st.sampled_from(_SPARQL_UPDATES), _ANY_TEXT))

EXAMPLES = int(os.environ.get("KG_FUZZ_EXAMPLES", "2"))
#: 40 per mode and operation gave 4225 cases (2010 read-only, 2215 writable), 0 failures: see docs/security.md
EXAMPLES_SLOW = int(os.environ.get("KG_FUZZ_EXAMPLES_SLOW", "3"))
#: 503 is the documented answer for a query past its deadline or a busy server; 500 never.
ALLOWED_5XX = {503}
MODES = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)


def fuzz(server: Server, examples: int, headers: dict[str, str] | None = None, path: str | None = None,
         sent_to: dict[str, int] | None = None) -> tuple[int, int, dict[int, int]]:
    """Run the fuzzer over every operation (or those of `path`); returns (operations, cases sent,
    count per status). `sent_to` counts the cases per operation and request media type."""
    schema = schemathesis.openapi.from_url(server.url + "/openapi.json")
    if path is not None:
        schema = schema.include(path=path)
    statuses: dict[int, int] = {}
    failures: list[str] = []
    operations = 0
    sent_to = sent_to if sent_to is not None else {}
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in MODES:
            try:
                strategy = operation.as_strategy(generation_mode=mode)
            except Exception as exc:
                if mode is schemathesis.GenerationMode.NEGATIVE:
                    continue
                raise AssertionError(f"{operation.label}: no strategy: {exc}") from exc

            @given(case=strategy)
            @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck),
                      database=None, verbosity=Verbosity.quiet)
            def run(case: schemathesis.Case) -> None:
                response = case.call(base_url=server.url, headers=headers, timeout=30)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                label = f"{case.method} {case.path}" + (f" {case.media_type}" if case.media_type else "")
                sent_to[label] = sent_to.get(label, 0) + 1
                if response.status_code >= 500 and response.status_code not in ALLOWED_5XX:
                    failures.append(f"{case.method} {case.formatted_path} query={case.query!r} body={case.body!r}: "
                                    f"{response.status_code} {response.text[:200]}")

            try:
                run()
            except Unsatisfiable:
                if mode is not schemathesis.GenerationMode.NEGATIVE:
                    raise  # an operation without parameters has no negative cases; positive ones it has
    assert server.process.poll() is None, "the server process died"
    assert httpx.get(server.sparql, params={"query": "ASK {}"}, timeout=30).status_code == 200
    assert failures == [], "\n".join(failures[:20])
    return operations, sum(statuses.values()), statuses


def test_fuzz_read_only_api(fuzz_ro_server: Server) -> None:
    sent_to: dict[str, int] = {}
    ops, sent, statuses = fuzz(fuzz_ro_server, EXAMPLES, sent_to=sent_to)
    print(f"\nschemathesis read-only: {ops} operations, {sent} cases, statuses {sorted(statuses.items())}")
    assert sent >= ops * 2  # every operation was really exercised
    assert any(k.startswith("GET /sparql") for k in sent_to) and any(k.startswith("POST /sparql") for k in sent_to)


#: Cases per mode for the /sparql operations alone: their parameters and three body media types
#: get more than the 2 of the whole-API run (about 40 requests per server).
SPARQL_EXAMPLES = int(os.environ.get("KG_FUZZ_SPARQL_EXAMPLES", "10"))
SPARQL_BODIES = {"application/sparql-query", "application/sparql-update", "application/x-www-form-urlencoded"}


def _fuzz_sparql(server: Server, headers: dict[str, str] | None = None) -> dict[int, int]:
    sent_to: dict[str, int] = {}
    ops, sent, statuses = fuzz(server, SPARQL_EXAMPLES, headers=headers, path="/sparql", sent_to=sent_to)
    print(f"\nschemathesis /sparql: {ops} operations, {sent} cases, statuses {sorted(statuses.items())}, "
          f"per operation {sorted(sent_to.items())}")
    assert ops == 2  # GET and POST (HEAD is answered like GET and not a separate operation)
    assert sent_to.get("GET /sparql", 0) >= SPARQL_EXAMPLES
    posted = {k.removeprefix("POST /sparql ") for k in sent_to if k.startswith("POST /sparql ")}
    # the documented bodies were sent: each case draws one of the three (all three in every run seen)
    assert len(posted & SPARQL_BODIES) >= 2, posted
    return statuses


def test_fuzz_sparql_read_only(fuzz_ro_server: Server) -> None:
    statuses = _fuzz_sparql(fuzz_ro_server)
    assert statuses.get(200, 0) > 0  # not only refusals: documented requests that run


def test_fuzz_sparql_writable(fuzz_rw_server: Server) -> None:
    _fuzz_sparql(fuzz_rw_server, headers={"Authorization": f"Bearer {TOKEN}"})


def test_fuzz_writable_api(fuzz_rw_server: Server) -> None:
    ops, sent, statuses = fuzz(fuzz_rw_server, EXAMPLES, headers={"Authorization": f"Bearer {TOKEN}"})
    print(f"\nschemathesis writable: {ops} operations, {sent} cases, statuses {sorted(statuses.items())}")
    assert sent >= ops * 2


@pytest.mark.slow
def test_fuzz_read_only_api_many(fuzz_ro_server: Server) -> None:
    ops, sent, statuses = fuzz(fuzz_ro_server, EXAMPLES_SLOW)
    print(f"\nschemathesis read-only (slow): {ops} operations, {sent} cases, statuses {sorted(statuses.items())}")
    assert sent >= ops * 2


@pytest.mark.slow
def test_fuzz_writable_api_many(fuzz_rw_server: Server) -> None:
    ops, sent, statuses = fuzz(fuzz_rw_server, EXAMPLES_SLOW, headers={"Authorization": f"Bearer {TOKEN}"})
    print(f"\nschemathesis writable (slow): {ops} operations, {sent} cases, statuses {sorted(statuses.items())}")
    assert sent >= ops * 2
