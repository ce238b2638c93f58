"""kg.graph.hsds_import: HSDS services → offers in a contribution graph, through the spreadsheet
import's path, on private copies of the real built store.

Inputs: the HSDS specification's examples (tests/fixtures/hsds/, copied, CC BY-SA 4.0: fictional
services in "MyCity") — as they stand (their organisation, programme and area are unknown to the
reference data: clear errors, nothing written) and with those three fields pointed at the graph
(test fixture edits, made here) — and the graph's own export (the round trip changes nothing)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from kg.graph.hsds import export_hsds, hsds_id
from kg.graph.hsds_import import plan_hsds_import, read_services
from kg.graph.tabular.importer import ImportRefused, SourceMeta, commit_import
from kg.graph.tabular.resolve import Resolver
from kg.rdf import HN, HNID, source_graph
from tests.graph.tabular.conftest import pristine_store, store_state, work_store  # noqa: F401 - fixtures

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "tests" / "fixtures" / "hsds"
META = SourceMeta("Testdaten HSDS-Import", "Testfixture HSDS")


@pytest.fixture(scope="module")
def resolver(store: ox.Store) -> Resolver:
    return Resolver(store)


def _mappable_example(tmp_path: Path) -> Path:
    """service_full.json with organisation, programme and service area pointed at the graph (a test
    fixture edit): the LVR by its abbreviation, Gladbeck by its AGS, no programme."""
    service = json.loads((EXAMPLES / "service_full.json").read_text(encoding="utf-8"))
    service["organization"] = {"id": "0b9d1a3e-0000-4000-8000-000000000001", "name": "LVR"}
    service.pop("program")
    service["service_areas"] = [{"id": "0b9d1a3e-0000-4000-8000-000000000002", "name": "Gladbeck", "ags": "05562014"}]
    path = tmp_path / "service-testfixture.json"
    path.write_text(json.dumps(service, ensure_ascii=False), encoding="utf-8")
    return path


def test_examples_as_they_stand_are_clear_errors_and_write_nothing(pristine_store: Path) -> None:  # noqa: F811
    store = ox.Store.read_only(str(pristine_store))
    result = plan_hsds_import(store, EXAMPLES / "service_full.json", META)
    plan = result.plan
    assert not plan.ok and plan.quads == []
    report = plan.report("en")
    for field in ("field organization", "field program", "field service_areas[0]"):
        line = next((x for x in report.splitlines() if field in x), None)
        assert line is not None, report
        assert "service “Community Counselling” (id ac148810-d857-441c-9679-408f346de14b)" in line
        assert "is not known" in line
    assert "nicht bekannt" in plan.report("de") and "Feld service_areas[0]" in plan.report("de")
    warnings = [p for p in plan.problems if p.severity == "warning"]
    assert any("attributes[0]" in p.message.en and "left out" in p.message.en for p in warnings)
    before = store_state(pristine_store)
    del store
    with pytest.raises(ImportRefused):
        commit_import(pristine_store, plan)
    assert store_state(pristine_store) == before


def test_every_example_shape_is_read(tmp_path: Path) -> None:
    """A service, an API page of services and an organisation with its services all give services."""
    assert [s["name"] for s in read_services(EXAMPLES / "service_full.json")] == ["Community Counselling"]
    assert [s["id"] for s in read_services(EXAMPLES / "service_list.json")] == [
        s["id"] for s in json.loads((EXAMPLES / "service_list.json").read_text(encoding="utf-8"))["contents"]]
    from_org = read_services(EXAMPLES / "organization_full.json")
    assert from_org and all(s["organization"]["name"] for s in from_org)
    bad = tmp_path / "x.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(Exception, match="not an HSDS JSON file"):
        read_services(bad)
    with pytest.raises(Exception, match="no HSDS services"):  # a taxonomy is HSDS, but no service
        read_services(EXAMPLES / "taxonomy.json")


@pytest.mark.slow
def test_mappable_example_is_imported_with_provenance(work_store: Path, tmp_path: Path) -> None:  # noqa: F811
    path = _mappable_example(tmp_path)
    store = ox.Store.read_only(str(work_store))
    plan = plan_hsds_import(store, path, META).plan
    assert plan.ok, plan.report()
    offer = HNID + "offer/community-counselling"
    assert plan.added == [offer]
    del store
    assert commit_import(work_store, plan).changed
    store = ox.Store.read_only(str(work_store))
    q = (f"SELECT ?p ?o WHERE {{ GRAPH <{plan.graph}> {{ <{offer}> ?p ?o }} }}")
    facts = {(r["p"].value.rsplit("#", 1)[-1].rsplit("/", 1)[-1], r["o"].value) for r in store.query(q)}
    assert ("provider", HNID + "org/lvr") in facts
    assert ("areaServed", HNID + "area/05562014") in facts
    assert ("minAge", "12") in facts and ("maxAge", "100") in facts
    assert ("statedIn", plan.source_iri) in facts
    assert ("label", "Community Counselling") in facts
    src = {(r["p"].value.rsplit("#", 1)[-1], r["o"].value) for r in store.query(
        f"SELECT ?p ?o WHERE {{ GRAPH <{plan.graph}> {{ <{plan.source_iri}> ?p ?o }} }}")}
    assert ("fileName", path.name) in src
    assert any(p == "sha256" and len(o) == 64 for p, o in src)


def _offers_by_source(store: ox.Store) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    q = f"SELECT ?g ?o WHERE {{ GRAPH ?g {{ ?o a <{HN}Offer> }} }}"
    for r in store.query(q):
        g = r["g"].value
        if g.startswith(HNID + "graph/source/"):
            out.setdefault(g[len(HNID + "graph/source/"):], set()).add(r["o"].value)
    return out


@pytest.mark.slow
def test_export_import_round_trip_changes_nothing(store: ox.Store, resolver: Resolver, tmp_path: Path) -> None:
    export = export_hsds(store, tmp_path / "export")
    by_source = _offers_by_source(store)
    assert sum(len(v) for v in by_source.values()) == len(export.json_objects["services"]) >= 3
    for slug, offers in sorted(by_source.items()):
        folder = tmp_path / slug / "json"
        folder.mkdir(parents=True)
        mine = [s for s in export.json_objects["services"] if s["id"] in {hsds_id(o) for o in offers}]
        (folder / "services.json").write_text(json.dumps(mine, ensure_ascii=False), encoding="utf-8")
        (folder / "organizations.json").write_text(json.dumps(export.json_objects["organizations"]),
                                                   encoding="utf-8")
        plan = plan_hsds_import(store, tmp_path / slug, META, graph=source_graph(slug), source=slug,
                                resolver=resolver).plan
        assert plan.ok, plan.report()
        assert plan.quads == [] and plan.removed_quads == [], (slug, plan.quads, plan.removed_quads)
        assert plan.added == plan.changed == plan.removed == []


@pytest.mark.slow
def test_round_trip_notices_an_edit(store: ox.Store, resolver: Resolver, tmp_path: Path) -> None:
    """The round trip could fail: a service's changed age and area are a change of its offer only."""
    export = export_hsds(store, tmp_path / "export")
    by_source = _offers_by_source(store)
    slug, offers = next((s, o) for s, o in sorted(by_source.items()) if len(o) == 1)
    offer = next(iter(offers))
    service: dict[str, Any] = copy.deepcopy(
        next(s for s in export.json_objects["services"] if s["id"] == hsds_id(offer)))
    service["maximum_age"] = 17
    service["service_areas"] = [{"id": "0b9d1a3e-0000-4000-8000-000000000003", "name": "Gladbeck", "ags": "05562014"}]
    path = tmp_path / "edited.json"
    path.write_text(json.dumps([service], ensure_ascii=False), encoding="utf-8")
    plan = plan_hsds_import(store, path, META, graph=source_graph(slug), source=slug, resolver=resolver).plan
    assert plan.ok, plan.report()
    assert plan.changed == [offer]
    added = {(q.predicate.value.rsplit("#", 1)[-1], q.object.value) for q in plan.quads}
    assert ("maxAge", "17") in added and ("areaServed", HNID + "area/05562014") in added
    assert all(q.subject.value == offer for q in (*plan.quads, *plan.removed_quads))


@pytest.mark.slow
def test_cli_dry_run_and_refusal(pristine_store: Path, tmp_path: Path,  # noqa: F811
                                 capsys: pytest.CaptureFixture[str]) -> None:
    from kg.cli import main

    before = store_state(pristine_store)
    path = _mappable_example(tmp_path)
    assert main(["hsds", "import", str(path), "--store", str(pristine_store), "--source-title", "Testdaten HSDS",
                 "--publisher", "Testfixture", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "+ " + HNID + "offer/community-counselling" in out and "nothing written" in out
    code = main(["hsds", "import", str(EXAMPLES / "service_full.json"), "--store", str(pristine_store),
                 "--source-title", "Testdaten HSDS", "--publisher", "Testfixture"])
    captured = capsys.readouterr()
    assert code == 2, captured
    assert "service_areas[0]" in captured.out and "nichts wurde geschrieben" in captured.err + captured.out
    assert store_state(pristine_store) == before
