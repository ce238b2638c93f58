"""Fuzz the HTTP API from its own OpenAPI description (schemathesis): no 500, no hang, the server
and its workers survive.

Every operation of the served /openapi.json gets EXAMPLES positive and EXAMPLES negative cases
(wrong types, missing and unexpected parameters, odd strings) in the default run and
EXAMPLES_SLOW of each in the slow variant. Why hypothesis directly and not schemathesis' pytest
plugin: `schemathesis.pytest.from_fixture` does not work with pytest 9 (it reads
`request.node._nodeid`); the strategies are the same. The number of cases sent is printed.
"""

from __future__ import annotations

import os

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Verbosity, given, settings
from hypothesis.errors import Unsatisfiable

from tests.server.conftest import TOKEN, Server

EXAMPLES = int(os.environ.get("KG_FUZZ_EXAMPLES", "2"))
#: 40 per mode and operation gave 4225 cases (2010 read-only, 2215 writable), 0 failures: see docs/security.md
EXAMPLES_SLOW = int(os.environ.get("KG_FUZZ_EXAMPLES_SLOW", "3"))
#: 503 is the documented answer for a query past its deadline or a busy server; 500 never.
ALLOWED_5XX = {503}
MODES = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)


def fuzz(server: Server, examples: int, headers: dict[str, str] | None = None) -> tuple[int, int, dict[int, int]]:
    """Run the fuzzer over every operation; returns (operations, cases sent, count per status)."""
    schema = schemathesis.openapi.from_url(server.url + "/openapi.json")
    statuses: dict[int, int] = {}
    failures: list[str] = []
    operations = 0
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
                if response.status_code >= 500 and response.status_code not in ALLOWED_5XX:
                    failures.append(f"{case.method} {case.formatted_path} query={case.query!r}: "
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
    ops, sent, statuses = fuzz(fuzz_ro_server, EXAMPLES)
    print(f"\nschemathesis read-only: {ops} operations, {sent} cases, statuses {sorted(statuses.items())}")
    assert sent >= ops * 2  # every operation was really exercised


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
