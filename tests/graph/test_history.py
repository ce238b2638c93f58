"""The change history and revert (kg.graph.changes, kg.graph.write), on a real store on disk.

Fixture data (made up here, marked as such): a few triples about ex:a / ex:b in test graphs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg import rdf as ns
from kg.errors import RevertRefused
from kg.graph import changes
from kg.graph import write as writes
from kg.graph.changes import ChangeMeta

EX = "https://example.org/fixture/"
G1 = EX + "graph/one"
G2 = EX + "graph/two"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


def _state(tmp_path: Path) -> writes.LocalState:
    return writes.LocalState(tmp_path / "store")


def _data(store: ox.Store) -> set[str]:
    """Every quad outside the history (and the inferred graph), as N-Quads lines."""
    skip = (ns.GRAPH_CHANGES, ns.GRAPH_INFERRED)
    return {str(q) for q in store.quads_for_pattern(None, None, None, None)
            if not (isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value in skip)}


def _ok(out: writes.WriteOutcome) -> str:
    assert out.ok, out.message
    assert out.change_id is not None
    return out.change_id


def test_every_kind_of_write_is_recorded_with_its_counts(tmp_path: Path) -> None:
    state = _state(tmp_path)
    try:
        u1 = _ok(writes.apply_update(state, f'INSERT DATA {{ GRAPH <{G1}> {{ <{EX}a> <{LABEL}> "A" . '
                                            f'<{EX}a> <{EX}p> <{EX}b> }} }}', base_iri=None, validate=True,
                                     meta=ChangeMeta("alice", "update")))
        triples = [ox.Triple(ox.NamedNode(EX + "b"), ox.NamedNode(LABEL), ox.Literal("B"))]
        diff = writes.graph_store_diff(state.store, "PUT", G2, triples)
        gs = _ok(writes.apply_update(state, f'INSERT DATA {{ GRAPH <{G2}> {{ <{EX}b> <{LABEL}> "B" }} }}',
                                     base_iri=None, validate=True, graphs=[G2], diff=diff,
                                     meta=ChangeMeta("bob", "graph-store")))
        mod = _ok(writes.apply_update(
            state, f'WITH <{G1}> DELETE {{ <{EX}a> <{LABEL}> ?o }} INSERT {{ <{EX}a> <{LABEL}> "A2", "A3" }} '
                   f'WHERE {{ <{EX}a> <{LABEL}> ?o }}', base_iri=None, validate=True))
        imp = _ok(writes.apply_change(state, [ox.Quad(ox.NamedNode(EX + "c"), ox.NamedNode(LABEL), ox.Literal("C"),
                                                      ox.NamedNode(G2))], [],
                                      meta=ChangeMeta("cli", "import", source=EX + "source/file")))
        found = changes.history(state.store)
        assert [c.id for c in found] == [imp, mod, gs, u1]  # newest first
        by_id = {c.id: c for c in found}
        assert (by_id[u1].actor, by_id[u1].action, by_id[u1].added, by_id[u1].removed) == ("alice", "update", 2, 0)
        assert (by_id[gs].actor, by_id[gs].action, by_id[gs].added, by_id[gs].removed) == ("bob", "graph-store", 1, 0)
        assert (by_id[mod].actor, by_id[mod].added, by_id[mod].removed) == ("anonymous", 2, 1)
        assert by_id[imp].source == EX + "source/file" and by_id[imp].graphs == [G2]
        assert [c.id for c in changes.history(state.store, graph=G1)] == [mod, u1]
        assert [c.id for c in changes.history(state.store, resource=EX + "b")] == [gs]
        assert [c.id for c in changes.history(state.store, limit=2)] == [imp, mod]
        # what is recorded is exactly what changed
        added, removed = changes.quads_of(state.store, mod)
        assert {str(q) for q in added} == {f'<{EX}a> <{LABEL}> "A2" <{G1}>', f'<{EX}a> <{LABEL}> "A3" <{G1}>'}
        assert {str(q) for q in removed} == {f'<{EX}a> <{LABEL}> "A" <{G1}>'}
        # a write that changes nothing records nothing
        again = writes.apply_update(state, f'INSERT DATA {{ GRAPH <{G1}> {{ <{EX}a> <{LABEL}> "A2" }} }}',
                                    base_iri=None, validate=True)
        assert again.ok and again.change_id is None and len(changes.history(state.store)) == 4
    finally:
        state.close()


def test_revert_restores_exactly_and_is_recorded(tmp_path: Path) -> None:
    state = _state(tmp_path)
    try:
        _ok(writes.apply_update(
            state, f'INSERT DATA {{ GRAPH <{G1}> {{ <{EX}a> <{LABEL}> "A" . <{EX}x> <{LABEL}> "X" }} }}',
            base_iri=None, validate=True))
        before = _data(state.store)
        cid = _ok(writes.apply_update(
            state, f'DELETE DATA {{ GRAPH <{G1}> {{ <{EX}a> <{LABEL}> "A" }} }} ; ', base_iri=None, validate=True))
        cid2 = _ok(writes.apply_update(state, f'INSERT DATA {{ GRAPH <{G1}> {{ <{EX}a> <{LABEL}> "new" }} }}',
                                       base_iri=None, validate=True))
        assert _data(state.store) != before
        # the later change touched the same subject: refused, naming it
        with pytest.raises(RevertRefused) as refused:
            writes.revert_change(state, cid, actor="admin")
        assert refused.value.dependents == [cid2] and cid2 in str(refused.value)
        r2 = writes.revert_change(state, cid2, actor="admin")
        r1 = writes.revert_change(state, cid, actor="admin")
        assert _data(state.store) == before
        info = changes.get(state.store, r1)
        assert (info.action, info.reverts, info.actor, info.added, info.removed) == ("revert", cid, "admin", 1, 0)
        assert changes.get(state.store, r2).reverts == cid2
        with pytest.raises(RevertRefused, match="already reverted"):
            writes.revert_change(state, cid, actor="admin")
    finally:
        state.close()


def test_revert_of_a_change_that_no_longer_applies_is_refused(tmp_path: Path) -> None:
    state = _state(tmp_path)
    try:
        cid = _ok(writes.apply_update(state, f'INSERT DATA {{ GRAPH <{G1}> {{ <{EX}a> <{LABEL}> "A" }} }}',
                                      base_iri=None, validate=True))
        # changed behind the write path's back (as an old backup restored would): the record no longer fits
        state.store.remove(ox.Quad(ox.NamedNode(EX + "a"), ox.NamedNode(LABEL), ox.Literal("A"), ox.NamedNode(G1)))
        before = _data(state.store)
        history = len(changes.history(state.store))
        with pytest.raises(RevertRefused, match="no longer applies"):
            writes.revert_change(state, cid, actor="admin")
        assert _data(state.store) == before and len(changes.history(state.store)) == history
    finally:
        state.close()


def test_the_history_graph_cannot_be_written_directly(tmp_path: Path) -> None:
    state = _state(tmp_path)
    try:
        _ok(writes.apply_update(state, f'INSERT DATA {{ GRAPH <{G1}> {{ <{EX}a> <{LABEL}> "A" }} }}',
                                base_iri=None, validate=True))
        before = set(map(str, state.store.quads_for_pattern(None, None, None, None)))
        for update in (f'INSERT DATA {{ GRAPH <{ns.GRAPH_CHANGES}> {{ <{EX}forged> <{LABEL}> "x" }} }}',
                       f"DROP GRAPH <{ns.GRAPH_CHANGES}>",
                       f"DELETE WHERE {{ GRAPH <{ns.GRAPH_CHANGES}> {{ ?s ?p ?o }} }}"):
            out = writes.apply_update(state, update, base_iri=None, validate=True)
            assert not out.ok and "history" in out.message, update
        assert set(map(str, state.store.quads_for_pattern(None, None, None, None))) == before
    finally:
        state.close()


def test_blank_node_changes_are_recorded_but_not_revertible(tmp_path: Path) -> None:
    state = _state(tmp_path)
    try:
        # INSERT DATA with a blank node takes the general (staged) path: recorded all the same
        out = writes.apply_update(state, f'INSERT DATA {{ GRAPH <{G1}> {{ <{EX}a> <{EX}p> [ <{LABEL}> "x" ] }} }}',
                                  base_iri=None, validate=True)
        cid = _ok(out)
        assert out.timings.get("staged") == 1.0
        info = changes.get(state.store, cid)
        assert info.added == 2 and not info.revertible
        with pytest.raises(RevertRefused, match="blank nodes"):
            writes.revert_change(state, cid, actor="admin")
    finally:
        state.close()


def test_cli_history_and_revert(tmp_path: Path) -> None:
    state = _state(tmp_path)
    cid = _ok(writes.apply_update(state, f'INSERT DATA {{ GRAPH <{G1}> {{ <{EX}a> <{LABEL}> "A" }} }}',
                                  base_iri=None, validate=True, meta=ChangeMeta("carol", "update")))
    state.close()
    store = str(tmp_path / "store")

    def kg(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "kg.cli", *args, "--store", store], capture_output=True,
                              text=True, timeout=120)

    listed = kg("history", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [(r["id"], r["actor"], r["triplesAdded"]) for r in rows] == [(cid, "carol", 1)]
    table = kg("history", "--resource", EX + "a")
    assert cid in table.stdout and "carol" in table.stdout
    assert kg("history", "--resource", EX + "nothing", "--format", "json").stdout.strip() == "[]"
    done = kg("revert", cid)
    assert done.returncode == 0, done.stderr
    again = kg("revert", cid)
    assert again.returncode == 1 and "already reverted" in again.stderr
    rows = json.loads(kg("history", "--format", "json").stdout)
    assert rows[0]["action"] == "revert" and rows[0]["actor"] == "cli" and rows[0]["reverts"] == cid
    check = ox.Store.read_only(store)
    assert not list(check.quads_for_pattern(ox.NamedNode(EX + "a"), None, None, ox.NamedNode(G1)))
