"""kg.graph.kept on its own: versions of a contribution graph, which one `kg build` replays after
replacements, reverts and reverts of reverts, the earlier flat metadata format, and that a
half-written keep never shows. Real files in a temporary project; the contents are fixture text."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.graph import kept

GRAPH = "https://w3id.org/hilfenetz/id/graph/contrib/kreis-a/fixture"
OTHER = "https://w3id.org/hilfenetz/id/graph/contrib/kreis-a/other"


def _keep(root: Path, graph: str, body: str, change: str) -> Path:
    return kept.keep(root, body.encode(), format="rdf", kind="rdf", graph=graph, original_file_name="b.ttl",
                     suffix=".ttl", source={"title": "Fixture"}, approved_by="redaktion", via="web",
                     change_id=change)


def _current(root: Path, graph: str) -> str | None:
    found = [v.change_id for v in kept.kept_contributions(root) if v.graph == graph]
    return found[0] if found else None


def test_versions_replacement_and_reverts(tmp_path: Path) -> None:
    first = _keep(tmp_path, GRAPH, "<urn:a> <urn:p> 1 .", "c1")
    _keep(tmp_path, OTHER, "<urn:b> <urn:p> 1 .", "c2")
    second = _keep(tmp_path, GRAPH, "<urn:a> <urn:p> 2 .", "c3")
    assert first != second and first.is_file() and second.is_file()
    # one entry per graph, in the order accepted: the replaced graph's newest version counts
    assert [(v.graph, v.change_id, v.sequence) for v in kept.kept_contributions(tmp_path)] == \
        [(OTHER, "c2", 2), (GRAPH, "c3", 3)]
    assert kept.mark_reverted(tmp_path, "c3", "r1") == GRAPH
    assert _current(tmp_path, GRAPH) == "c1"          # the version before comes back
    assert kept.mark_reverted(tmp_path, "c1", "r2") == GRAPH
    assert _current(tmp_path, GRAPH) is None          # all reverted: not rebuilt
    assert kept.mark_reverted(tmp_path, "r2", "r3") == GRAPH
    assert _current(tmp_path, GRAPH) == "c1"          # the revert reverted: back
    assert kept.mark_reverted(tmp_path, "update-never-kept", "r4") is None
    # every one of them is accounted for (kg build warns about the others)
    assert kept.kept_change_ids(tmp_path) == {"c1", "c2", "c3", "r1", "r2", "r3"}
    meta = json.loads((tmp_path / "data" / "contributions" / "fixture.json").read_text())
    assert [v["reverted_by"] for v in meta["versions"]] == [None, "r1"]


def test_replay_makes_the_graph_the_kept_file(tmp_path: Path) -> None:
    _keep(tmp_path, GRAPH, "<urn:a> <urn:p> 1 .\n<urn:a> <urn:q> _:x .", "c1")
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("urn:stale"), ox.NamedNode("urn:p"), ox.Literal("x"), ox.NamedNode(GRAPH)))
    result = kept.replay(tmp_path, store)
    assert result.quads == 2 and not result.skipped
    got = {(str(q.subject), str(q.predicate)) for q in store.quads_for_pattern(None, None, None, ox.NamedNode(GRAPH))}
    assert got == {("<urn:a>", "<urn:p>"), ("<urn:a>", "<urn:q>")}


def test_the_earlier_flat_format_is_read(tmp_path: Path) -> None:
    d = tmp_path / "data" / "contributions"
    d.mkdir(parents=True)
    (d / "alt.csv").write_text("Bezeichnung\nX\n", encoding="utf-8")
    (d / "alt.json").write_text(json.dumps({
        "kind": "offers", "graph": GRAPH, "file": "alt.csv", "original_file_name": "Alt.csv", "sha256": "0" * 64,
        "tool_version": "kg 0.1.0", "sequence": 1, "source": {"title": "Alt", "publisher": "P", "date": None}}))
    [v] = kept.kept_contributions(tmp_path)
    assert (v.format, v.kind, v.path(tmp_path).name, v.original_file_name) == ("spreadsheet", "offers", "alt.csv",
                                                                               "Alt.csv")


def test_a_failed_metadata_write_leaves_the_old_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _keep(tmp_path, GRAPH, "<urn:a> <urn:p> 1 .", "c1")
    meta = tmp_path / "data" / "contributions" / "fixture.json"
    before = meta.read_bytes()

    def crash(*_a: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(kept.os, "replace", crash)
    with pytest.raises(OSError):
        _keep(tmp_path, GRAPH, "<urn:a> <urn:p> 2 .", "c2")
    monkeypatch.undo()
    assert meta.read_bytes() == before and _current(tmp_path, GRAPH) == "c1"
    assert not list(meta.parent.rglob(".*"))  # no temporary (or lock) files left
