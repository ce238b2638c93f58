"""W3C SPARQL 1.1 Protocol (34) and Graph Store Protocol (13) manifests, replayed over HTTP
against a real writable server; every test starts on an empty store. Skipped with a clear
reason when the manifests (../shared/conformance) are not available."""

from __future__ import annotations

import pytest

from tests.serving import Server

from .conftest import TOKEN
from .w3c_runner import W3CTest, all_tests, conformance_dir, run_test

_BASE = conformance_dir()
_TESTS: list[W3CTest] = all_tests(_BASE) if _BASE else []

#: Tests judged not applicable, with the reason (also in tests/web/sparql/CONFORMANCE.md).
NOT_APPLICABLE: dict[str, str] = {}


@pytest.mark.skipif(_BASE is None, reason="W3C conformance manifests not found (set HILFENETZ_CONFORMANCE or "
                                          "place them in ../shared/conformance)")
@pytest.mark.parametrize("test", _TESTS or [None], ids=[f"{t.kind}:{t.name}" for t in _TESTS] or ["none"])
def test_w3c(test: W3CTest, rw_server: Server) -> None:
    if test.name in NOT_APPLICABLE:
        pytest.skip(NOT_APPLICABLE[test.name])
    run_test(test, rw_server.url, TOKEN)


@pytest.mark.skipif(_BASE is None, reason="W3C conformance manifests not found")
def test_manifest_counts() -> None:
    assert sum(1 for t in _TESTS if t.kind == "protocol") == 34
    assert sum(1 for t in _TESTS if t.kind == "gsp") == 13
