"""The change history across `kg build` (kg.graph.build, kg.graph.changes): the new store carries
the old store's history over and records the build itself as a change that cannot be reverted;
a write that is not kept in data/ is named when a build replaces it; a failed build leaves store
and history exactly as they were. The real `kg` command on a private copy of the mini fixture
project (tests/fixtures/mini); the written triples are fixture data, made up here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pyoxigraph as ox

from kg.graph import write as writes
from kg.graph.changes import ChangeMeta
from kg.rdf import GRAPH_CHANGES
from tests.serving import serve_kg

EX = "https://example.org/fixture/"
GRAPH = EX + "graph/admin-write"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
TOKEN = "build-history-test-token-0123456789"


def _kg(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kg.cli", *args], capture_output=True, text=True, timeout=300)


def _dump(store: Path) -> list[str]:
    s = ox.Store.read_only(str(store))
    out = sorted(s.dump(format=ox.RdfFormat.N_QUADS).decode().splitlines())
    del s
    return out


def test_history_across_builds_and_the_build_is_not_revertible(mini_project: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    first = _kg("build", "--project", str(mini_project), "--store", str(store), "-q")
    assert first.returncode == 0, first.stderr
    # an admin's write that no file in data/ holds
    state = writes.LocalState(store)
    out = writes.apply_update(state, f'INSERT DATA {{ GRAPH <{GRAPH}> {{ <{EX}a> <{LABEL}> "A (Fixture)" }} }}',
                              base_iri=None, validate=True, meta=ChangeMeta("betrieb", "update"))
    state.close()
    assert out.ok and out.change_id
    write_id = out.change_id
    second = _kg("build", "--project", str(mini_project), "--store", str(store), "-q")
    assert second.returncode == 0, second.stderr
    # the build names the write it replaces, in German and English
    assert "1 recorded change(s) since the last build are not kept in data/" in second.stderr
    assert "1 aufgezeichnete Änderung(en) seit dem letzten Build" in second.stderr and write_id in second.stderr
    build_id = second.stdout.split("recorded as change ", 1)[1].split()[0]
    # the write is gone from the data, not from the history
    s = ox.Store.read_only(str(store))
    assert not list(s.quads_for_pattern(None, None, None, ox.NamedNode(GRAPH)))
    del s
    listed = _kg("history", "--store", str(store), "--format", "json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [(r["action"], r["actor"]) for r in rows] == [("build", "cli"), ("update", "betrieb"), ("build", "cli")]
    assert rows[0]["id"] == build_id and rows[1]["id"] == write_id
    assert rows[0]["revertible"] is False and write_id in (rows[0]["comment"] or "")
    assert set(rows[0]["graphs"]) >= {"https://w3id.org/hilfenetz/id/graph/ontology",
                                      "https://w3id.org/hilfenetz/id/graph/inferred"}
    # reverting the build: refused, with the reason in German and English
    refused = _kg("revert", build_id, "--store", str(store), "--project", str(mini_project))
    assert refused.returncode == 1
    assert "is a `kg build`" in refused.stderr and "ist ein `kg build`" in refused.stderr
    # … and over HTTP (admin token): 409 with both texts, nothing written
    before = _dump(store)
    with serve_kg(store, workers=1, write_token=TOKEN, project_root=mini_project, rate_limit=0.0) as url:
        r = httpx.post(url + f"/changes/{build_id}/revert", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
    assert r.status_code == 409, r.text
    assert "is a `kg build`" in r.json()["error"] and "ist ein `kg build`" in r.json()["error_de"]
    assert _dump(store) == before


def test_a_failed_build_leaves_store_and_history_as_they_were(mini_project: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    assert _kg("build", "--project", str(mini_project), "--store", str(store), "-q").returncode == 0
    state = writes.LocalState(store)
    out = writes.apply_update(state, f'INSERT DATA {{ GRAPH <{GRAPH}> {{ <{EX}b> <{LABEL}> "B (Fixture)" }} }}',
                              base_iri=None, validate=True, meta=ChangeMeta("betrieb", "update"))
    state.close()
    assert out.ok
    before = _dump(store)
    assert any(f"<{GRAPH_CHANGES}>" in line for line in before)
    seed = next((mini_project / "data" / "seeds").glob("*.ttl"))
    seed.write_text(seed.read_text(encoding="utf-8") + "\n<broken> <turtle\n", encoding="utf-8")
    failed = _kg("build", "--project", str(mini_project), "--store", str(store), "-q")
    assert failed.returncode != 0
    assert seed.name in failed.stderr
    assert _dump(store) == before
