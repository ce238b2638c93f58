"""kg.store.protocol.QueryStore: the embedded pyoxigraph store and RemoteStore both implement
it (checked by mypy on the module, which asserts it for both, and at run time by method names)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.store.protocol import QueryStore, solutions
from kg.store.remote import RemoteStore

ROOT = Path(__file__).resolve().parents[2]


def test_both_stores_are_query_stores_at_run_time() -> None:
    assert isinstance(ox.Store(), QueryStore)
    assert isinstance(RemoteStore("http://127.0.0.1:9/query"), QueryStore)  # no request is made
    assert not isinstance(object(), QueryStore)


@pytest.mark.slow  # a cold mypy run: about 20 s
def test_mypy_checks_both_implementations_against_the_protocol(tmp_path: Path) -> None:
    """kg/store/protocol.py returns an ox.Store and a RemoteStore where a QueryStore is expected
    (under TYPE_CHECKING): mypy fails there if either lacks a member or has an incompatible one."""
    p = subprocess.run([sys.executable, "-m", "mypy", "--ignore-missing-imports", "--follow-imports=silent",
                        "--cache-dir", str(tmp_path / "cache"), "kg/store/protocol.py"],
                       cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "Success: no issues found in 1 source file" in p.stdout


def test_solutions_is_typed_and_refuses_other_answers() -> None:
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://e.example/s"), ox.NamedNode("http://e.example/p"), ox.Literal("o")))
    rows = list(solutions(store.query("SELECT ?o WHERE { ?s ?p ?o }")))
    assert [r["o"] for r in rows] == [ox.Literal("o")]
    with pytest.raises(TypeError, match="expected the solutions of a SELECT query, got QueryBoolean"):
        solutions(store.query("ASK { ?s ?p ?o }"))
