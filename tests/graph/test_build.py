"""The build: a real on-disk store, atomic replacement, and failures that change nothing."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from kg import rdf as ns
from kg.errors import BuildError, BuildValidationError, KgError, SourceSyntaxError
from kg.graph.build import GRAPH_BUILD, build
from kg.graph.sources import parse_project
from kg.store import graph_counts, open_read_only
from kg.store.swap import building_path, old_path, recover


def snapshot(directory: Path) -> dict[str, str]:
    """relative path → SHA-256 of every file below `directory` (to compare stores byte for byte)."""
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*")) if p.is_file()
    }


def _siblings(store_path: Path) -> list[str]:
    """What lies next to the store, except the lock file builds share."""
    return sorted(p.name for p in store_path.parent.iterdir() if p.name != f".{store_path.name}.lock")


def _ask(store_path: Path, where: str) -> bool:
    store = open_read_only(store_path)
    return bool(store.query(f"ASK {{ {where} }}", use_default_graph_as_union=True, prefixes=ns.PREFIXES))


@pytest.fixture
def built_mini(tmp_path: Path, mini_project: Path) -> Path:
    store_path = tmp_path / "var" / "store"
    build(mini_project, store_path)
    return store_path


def test_build_loads_each_file_into_its_graph_and_infers(mini_project: Path, built_mini: Path) -> None:
    counts = graph_counts(open_read_only(built_mini))
    expected: dict[str, int] = {}
    for parsed in parse_project(mini_project):
        expected[parsed.source.graph] = expected.get(parsed.source.graph, 0) + len(parsed.quads)
    for graph, n in expected.items():
        assert counts[graph] == n, graph
    assert counts[ns.GRAPH_INFERRED] > 0
    assert counts[GRAPH_BUILD] > 0
    assert _ask(built_mini, "<https://w3id.org/hilfenetz/id/org/jugendamt-dortmund> a org:Organization")
    assert _siblings(built_mini) == ["store"]  # no .building-* or .old left behind


def test_build_records_triple_counts_in_build_graph(built_mini: Path) -> None:
    store = open_read_only(built_mini)
    rows = store.query(
        f"SELECT ?n WHERE {{ GRAPH <{GRAPH_BUILD}> {{ <{ns.source_graph('demo')}> "
        "<http://rdfs.org/ns/void#triples> ?n } }")
    assert [int(r["n"].value) for r in rows] == [graph_counts(store)[ns.source_graph("demo")]]


def test_successful_rebuild_replaces_the_store(mini_project: Path, built_mini: Path) -> None:
    seed = mini_project / "data" / "seeds" / "demo.ttl"
    seed.write_text(seed.read_text() + '\norg:neu a hn:YouthWelfareOffice ; rdfs:label "Neues Amt"@de ;'
                    " hn:statedIn src:demo .\n", encoding="utf-8")
    before = snapshot(built_mini)
    assert not _ask(built_mini, '?x rdfs:label "Neues Amt"@de')
    result = build(mini_project, built_mini)
    assert result.store_path == built_mini.absolute()
    assert snapshot(built_mini) != before
    assert _ask(built_mini, '<https://w3id.org/hilfenetz/id/org/neu> a org:Organization')
    assert _siblings(built_mini) == ["store"]


def test_syntax_error_leaves_previous_store_byte_identical(mini_project: Path, built_mini: Path) -> None:
    before = snapshot(built_mini)
    seed = mini_project / "data" / "seeds" / "demo.ttl"
    seed.write_text(seed.read_text() + "\norg:kaputt hn:areaServed ] .\n", encoding="utf-8")
    n_lines = len(seed.read_text().splitlines())
    with pytest.raises(SourceSyntaxError) as info:
        build(mini_project, built_mini)
    assert info.value.line == n_lines
    assert str(info.value.path) == "data/seeds/demo.ttl"
    assert snapshot(built_mini) == before
    assert _siblings(built_mini) == ["store"]


def test_broken_query_file_fails_build_naming_file_and_leaves_store(mini_project: Path, built_mini: Path) -> None:
    """A named query that does not parse must fail the build, never vanish from the API."""
    from kg.sparql.params import QueryFilesError

    before = snapshot(built_mini)
    (mini_project / "queries" / "broken.rq").write_text(
        "# title: broken\nSELECT ?x WHERE { ?x ?p }\n", encoding="utf-8"
    )
    with pytest.raises(QueryFilesError) as info:
        build(mini_project, built_mini)
    assert "broken.rq" in str(info.value)
    assert snapshot(built_mini) == before
    assert _siblings(built_mini) == ["store"]


def test_shacl_violation_leaves_previous_store_byte_identical(mini_project: Path, built_mini: Path) -> None:
    before = snapshot(built_mini)
    seed = mini_project / "data" / "seeds" / "demo.ttl"
    # an organisation without a label (shape with messages) serving a non-area (generated message)
    seed.write_text(seed.read_text() + "\norg:ohne-name a hn:YouthWelfareOffice ; hn:statedIn src:demo ;"
                    " hn:areaServed org:jugendamt-dortmund .\n", encoding="utf-8")
    with pytest.raises(BuildValidationError) as info:
        build(mini_project, built_mini)
    report = info.value.report
    assert not report.conforms
    got = {(r.focus_node, r.result_path, r.constraint_component.rsplit("#", 1)[1]) for r in report.violations}
    assert got == {
        ("hnorg:ohne-name", "rdfs:label", "MinCountConstraintComponent"),
        ("hnorg:ohne-name", "hn:areaServed", "ClassConstraintComponent"),
    }
    text = str(info.value)
    assert "Eine Organisation braucht einen Namen (rdfs:label)." in text
    assert "An organisation needs a name (rdfs:label)." in text
    assert "Der Wert hnorg:jugendamt-dortmund von hn:areaServed ist keine Instanz von hn:AdministrativeArea" in text
    assert "The value hnorg:jugendamt-dortmund of hn:areaServed is not an instance of hn:AdministrativeArea" in text
    assert "data/seeds/demo.ttl" in text  # where to fix it
    assert snapshot(built_mini) == before
    assert _siblings(built_mini) == ["store"]


def test_bad_reference_csv_fails_build_and_leaves_store_identical(mini_project: Path, built_mini: Path) -> None:
    before = snapshot(built_mini)
    ref = mini_project / "data" / "reference"
    ref.mkdir()
    (ref / "laender.csv").write_text("foo,bar\n1,2\n", encoding="utf-8")
    with pytest.raises(BuildError, match=r"laender\.csv:1: unexpected header"):
        build(mini_project, built_mini)
    assert snapshot(built_mini) == before
    assert _siblings(built_mini) == ["store"]
    # the quick build without reference data does not read the broken file
    result = build(mini_project, built_mini, include_reference=False)
    assert not result.reference_included


def test_failed_first_build_creates_no_store(tmp_path: Path, mini_project: Path) -> None:
    (mini_project / "data" / "sources.ttl").write_text("@prefix : <x> .\n:a :b", encoding="utf-8")
    store_path = tmp_path / "var" / "store"
    with pytest.raises(SourceSyntaxError):
        build(mini_project, store_path)
    assert not store_path.parent.exists()  # parsing fails before anything is created


def test_build_refuses_to_replace_a_directory_that_is_not_a_store(tmp_path: Path, mini_project: Path) -> None:
    precious = tmp_path / "Documents"
    precious.mkdir()
    (precious / "letter.txt").write_text("nicht löschen")
    before = snapshot(precious)
    with pytest.raises(KgError, match="not a store"):
        build(mini_project, precious)
    assert snapshot(precious) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Documents", "project"]


def test_build_refuses_to_replace_a_file(tmp_path: Path, mini_project: Path) -> None:
    target = tmp_path / "store"
    target.write_text("a file")
    with pytest.raises(KgError, match="not a store directory"):
        build(mini_project, target)
    assert target.read_text() == "a file"


def test_recover_restores_old_store_after_crash_between_renames(built_mini: Path) -> None:
    before = snapshot(built_mini)
    old = old_path(built_mini)
    os.rename(built_mini, old)  # state after "rename target → .old", before "rename new → target"
    actions = recover(built_mini)
    assert len(actions) == 1 and "restored" in actions[0]
    assert snapshot(built_mini) == before
    assert not old.exists()


def test_recover_removes_old_store_left_after_completed_swap(built_mini: Path) -> None:
    old = old_path(built_mini)
    shutil.copytree(built_mini, old)
    before = snapshot(built_mini)
    recover(built_mini)
    assert not old.exists()
    assert snapshot(built_mini) == before


def test_recover_removes_building_dirs_of_dead_processes(built_mini: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    stale = built_mini.with_name(f".{built_mini.name}.building-{int(dead.stdout)}")
    stale.mkdir()
    (stale / "CURRENT").write_text("x")
    mine = building_path(built_mini)
    mine.mkdir()
    recover(built_mini)
    assert not stale.exists()
    assert mine.exists()  # never delete the directory of a live process (this one)


def test_store_opened_read_only_is_not_modified_by_queries(built_mini: Path) -> None:
    before = snapshot(built_mini)
    store = ox.Store.read_only(str(built_mini))
    assert len(list(store.query("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }"))) > 0
    del store
    assert snapshot(built_mini) == before


def test_no_reference_build_turns_unresolvable_area_links_into_warnings(tmp_path: Path, mini_project: Path) -> None:
    """Without the reference data an area IRI that is not loaded cannot pass sh:class; that is
    reported as a warning saying why, not hidden and not a violation."""
    seed = mini_project / "data" / "seeds" / "demo.ttl"
    seed.write_text(seed.read_text() + "\norg:gesundheitsamt-dortmund hn:areaServed area:05315000 .\n")
    result = build(mini_project, tmp_path / "store", include_reference=False)
    warnings = [r for r in result.report.results if r.severity == "Warning"]
    assert [(w.focus_node, w.value) for w in warnings] == [("hnorg:gesundheitsamt-dortmund", "area:05315000")]
    assert "reference data not loaded" in warnings[0].message_en
    assert "Referenzdaten nicht geladen" in warnings[0].message_de


def test_unknown_link_that_is_not_reference_stays_a_violation(tmp_path: Path, mini_project: Path) -> None:
    seed = mini_project / "data" / "seeds" / "demo.ttl"
    seed.write_text(seed.read_text() + "\norg:gesundheitsamt-dortmund hn:areaServed org:unbekannt .\n")
    with pytest.raises(BuildValidationError):
        build(mini_project, tmp_path / "store", include_reference=False)


# ----------------------------------------------------------------------------- the real project


@pytest.mark.slow
def test_real_project_builds_with_every_source_graph(built_store: Path) -> None:
    from kg.graph.build import reference_available
    from kg.graph.sources import discover

    root = Path(__file__).resolve().parents[2]
    counts = graph_counts(open_read_only(built_store))
    for src in discover(root):
        assert counts.get(src.graph, 0) > 0, src.display
    assert counts[ns.GRAPH_INFERRED] > 0
    if reference_available(root):
        assert counts[ns.GRAPH_REFERENCE_DESTATIS] > 100_000
        assert counts[ns.GRAPH_REFERENCE_HEALTH_OFFICES] > 1_000


@pytest.mark.slow
def test_real_project_jugendamt_and_municipality_queries(built_store: Path) -> None:
    store = open_read_only(built_store)
    n_org = int(next(iter(store.query("SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a org:Organization }",
                                      use_default_graph_as_union=True, prefixes=ns.PREFIXES)))["n"].value)
    n_hn = int(next(iter(store.query("SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a hn:Organisation }",
                                     use_default_graph_as_union=True, prefixes=ns.PREFIXES)))["n"].value)
    assert n_org >= n_hn > 0


# ----------------------------------------------------------------------------- validation per concern

REF_TTL = """
@prefix hn: <https://w3id.org/hilfenetz/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix area: <https://w3id.org/hilfenetz/id/area/> .
area:05 a hn:AdministrativeArea ; rdfs:label "Nordrhein-Westfalen"@de .
area:05913000 a hn:AdministrativeArea ; rdfs:label "Dortmund"@de ; hn:partOf area:05 .
area:05315000 a hn:AdministrativeArea ; hn:partOf area:05 .
"""

AREA_SHAPE = """
@prefix hn: <https://w3id.org/hilfenetz/ontology#> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://w3id.org/hilfenetz/shapes#AreaShape> a sh:NodeShape ; sh:targetClass hn:AdministrativeArea ;
  sh:property [ sh:path rdfs:label ; sh:minCount 1 ] ;
  sh:property [ sh:path hn:partOf ; sh:class hn:AdministrativeArea ] .
"""


def _split_store(tmp_path: Path, project: Path, ref_ttl: str) -> ox.Store:
    (project / "ontology" / "shapes" / "areas.ttl").write_text(AREA_SHAPE, encoding="utf-8")
    store = ox.Store(str(tmp_path / f"split-{len(list(tmp_path.iterdir()))}"))
    store.bulk_extend(q for p in parse_project(project) for q in p.quads)
    store.load(ref_ttl.encode(), ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(ns.GRAPH_REFERENCE_DESTATIS))
    return store


def test_validation_per_concern_finds_violations_in_both_parts(tmp_path: Path, mini_project: Path) -> None:
    from kg.graph.build import validate_store

    seed = mini_project / "data" / "seeds" / "demo.ttl"
    # the seed's Dortmund carries no label of its own here: its label lives in the reference graph
    seed.write_text(seed.read_text().replace('rdfs:label "Dortmund"@de ;', "")
                    + "\norg:kaputt a hn:OrganisationalUnit ; hn:statedIn src:demo ."
                    + "\norg:gesundheitsamt-dortmund hn:areaServed area:05315000 .\n", encoding="utf-8")
    store = _split_store(tmp_path, mini_project, REF_TTL)
    report = validate_store(store)
    got = sorted((r.focus_node, r.result_path) for r in report.violations)
    # curated part: org:kaputt has no label; Köln (05315000) has none either — found by both parts
    # (the seed links to it), reported once. Dortmund passes: its reference description (label, partOf a
    # typed area) was part of the context.
    assert got == [("area:05315000", "rdfs:label"), ("hnorg:kaputt", "rdfs:label")]
    assert any(n.startswith("curated data") for n in report.notes)
    assert any(n.startswith("reference data") for n in report.notes)
    sh = "http://www.w3.org/ns/shacl#"
    import rdflib
    assert len(set(report.graph.subjects(rdflib.RDF.type, rdflib.URIRef(sh + "ValidationReport")))) == 1
    assert len(set(report.graph.objects(None, rdflib.URIRef(sh + "result")))) == 2


def test_reference_validation_result_is_cached_by_key(tmp_path: Path, mini_project: Path) -> None:
    from kg.graph.build import validate_store

    cache = tmp_path / "cache"
    bad = _split_store(tmp_path, mini_project, REF_TTL)
    first = validate_store(bad, cache_dir=cache, cache_key="k1")
    assert [r.focus_node for r in first.violations] == ["area:05315000"]
    assert [p.name for p in cache.iterdir()] == ["reference-k1.ttl"]
    # same key: the stored result is reused (even though this store's reference data is fixed)
    fixed = _split_store(tmp_path, mini_project, REF_TTL.replace(
        "area:05315000 a hn:AdministrativeArea ;", 'area:05315000 a hn:AdministrativeArea ; rdfs:label "Köln"@de ;'))
    reused = validate_store(fixed, cache_dir=cache, cache_key="k1")
    assert [r.focus_node for r in reused.violations] == ["area:05315000"]
    assert any("reused" in n for n in reused.notes)
    # a new key (inputs changed) validates again
    fresh = validate_store(fixed, cache_dir=cache, cache_key="k2")
    assert fresh.conforms and not fresh.results
    assert [p.name for p in cache.iterdir()] == ["reference-k2.ttl"]  # the stale result is gone


def test_reader_explains_an_interrupted_swap(built_mini: Path) -> None:
    os.rename(built_mini, old_path(built_mini))
    with pytest.raises(KgError, match=r"previous one is at .*store\.old"):
        open_read_only(built_mini)


def test_validation_cache_key_follows_inputs_and_engine(mini_project: Path) -> None:
    from kg.graph.build import validation_cache_key

    k1 = validation_cache_key(mini_project)
    assert validation_cache_key(mini_project) == k1 == validation_cache_key(mini_project, "native")  # the default
    assert validation_cache_key(mini_project, "pyshacl") != k1
    shapes = mini_project / "ontology" / "shapes" / "shapes.ttl"
    shapes.write_text(shapes.read_text() + "\n# changed\n", encoding="utf-8")
    k2 = validation_cache_key(mini_project)
    assert k2 != k1
    (mini_project / "data" / "reference").mkdir()
    (mini_project / "data" / "reference" / "kreise.csv").write_text("ags\n", encoding="utf-8")
    assert validation_cache_key(mini_project) != k2


def test_native_is_the_default_engine_and_reports_as_pyshacl_does(mini_project: Path) -> None:
    """kg build / kg validate use the native engine unless told otherwise; on a project with
    violations and warnings its report has the same results as the reference engine's."""
    from kg.graph.build import validate_project
    from kg.shacl import DEFAULT_ENGINE

    assert DEFAULT_ENGINE == "native"
    seed = mini_project / "data" / "seeds" / "demo.ttl"
    seed.write_text(
        seed.read_text() + "\norg:kaputt a hn:OrganisationalUnit ; hn:statedIn src:demo .\n", encoding="utf-8"
    )

    def results(report: Any) -> list[tuple[str, ...]]:
        return sorted((r.severity, r.focus_node, r.result_path or "", r.constraint_component, str(r.value))
                      for r in report.results)

    default = validate_project(mini_project)
    reference = validate_project(mini_project, engine="pyshacl")
    assert default.violations and results(default) == results(reference)
    assert (default.engine, reference.engine) == ("native", "pyshacl")
