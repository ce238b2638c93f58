"""What the web and `kg hsds import` write survives `kg build` (kg.graph.kept): on a private copy
of the real built store and project, an HSDS file is imported with the real command, a
spreadsheet and RDF files are submitted and approved on the real server (httpx), one approval is
reverted over HTTP and one graph is replaced and its newest version reverted; then a fresh copy of
the project (what a clone of it with data/contributions/ holds) is built with `kg build`, and each
contribution graph of the rebuilt store is compared triple by triple with the live store.

Everything contributed here is test data (fixtures, made up for these tests: "Testdaten …").
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest

from kg.rdf import HNID
from kg.web.auth import add_token
from tests.graph.hsds.test_hsds_import import _mappable_example
from tests.graph.tabular.conftest import write_csv
from tests.serving import copy_project, serve_kg

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[3]
CONTRIB = HNID + "graph/contrib/kreis-re/"
SHEET_GRAPH = CONTRIB + "angebote-testdaten"
RDF_GRAPH = CONTRIB + "rdf-testdaten"
REVERTED_GRAPH = CONTRIB + "zurueckgenommen-testdaten"
VERSIONS_GRAPH = CONTRIB + "versionen-testdaten"
HSDS_GRAPH = HNID + "graph/source/testdaten-hsds-build"
HSDS_DIR_GRAPH = HNID + "graph/source/testdaten-hsds-verzeichnis"


def org_ttl(slug: str, label: str) -> str:
    """An organisation in Gladbeck (fixture data), stated in a source of the real graph."""
    return (f"@prefix hn: <https://w3id.org/hilfenetz/ontology#> .\n"
            f"@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
            f"<{HNID}org/{slug}> a hn:Organisation ;\n  rdfs:label \"{label}\"@de ;\n"
            f"  hn:statedIn <{HNID}source/praeventionsketten-recklinghausen> ;\n"
            f"  hn:areaServed <{HNID}area/05562014> .\n")


@dataclass
class Scenario:
    live: Path
    rebuilt: Path
    project: Path
    approvals: dict[str, dict[str, object]] = field(default_factory=dict)
    reverts: dict[str, dict[str, object]] = field(default_factory=dict)
    no_reference: Any = None  # the BuildResult of `kg build --no-reference` of the clone

    def quads(self, store: Path, graph: str) -> set[str]:
        s = ox.Store.read_only(str(store))
        out = {str(q) for q in s.quads_for_pattern(None, None, None, ox.NamedNode(graph))}
        del s
        return out


def _submit(url: str, token: str, graph: str, name: str, body: bytes, kind: str, **fields: str) -> str:
    r = httpx.post(url + "/api/contributions", headers={"Authorization": "Bearer " + token},
                   data={"kind": kind, "graph": graph, **fields}, files={"file": (name, body)}, timeout=300)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _approve(url: str, token: str, cid: str) -> dict[str, object]:
    r = httpx.post(url + f"/api/contributions/{cid}/approve", headers={"Authorization": "Bearer " + token},
                   json={"comment": "passt"}, timeout=300)
    assert r.status_code == 200, r.text
    return dict(r.json())


def _change_of(url: str, graph: str) -> str:
    r = httpx.get(url + "/changes", params={"format": "json", "graph": graph}, timeout=60)
    assert r.status_code == 200, r.text
    return str(r.json()["changes"][0]["id"])


@pytest.fixture(scope="module")
def scenario(built_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    from kg.cli import main

    tmp = tmp_path_factory.mktemp("kept-for-build")
    project = copy_project(ROOT, tmp / "project")
    live = tmp / "store"
    shutil.copytree(built_store, live)
    sc = Scenario(live, tmp / "rebuilt", project)
    # 1. kg hsds import (the real command; the store is not open elsewhere)
    hsds = _mappable_example(tmp)
    assert main(["hsds", "import", str(hsds), "--store", str(live), "--project", str(project),
                 "--source-title", "Testdaten HSDS Build", "--publisher", "Testfixture",
                 "--date", "2026-12-01"]) == 0
    # … and from a directory (as an export writes it), another service (fixture edit)
    service = json.loads(hsds.read_text(encoding="utf-8"))
    service.update(id="0b9d1a3e-0000-4000-8000-0000000000d1", name="Beratung im Verzeichnis (Testdaten)")
    folder = tmp / "hsds-verzeichnis"
    folder.mkdir()
    (folder / "services.json").write_text(json.dumps([service], ensure_ascii=False), encoding="utf-8")
    assert main(["hsds", "import", str(folder), "--store", str(live), "--project", str(project),
                 "--source-title", "Testdaten HSDS Verzeichnis", "--publisher", "Testfixture"]) == 0
    # 2. on the web: a spreadsheet, RDF files, a revert, a replaced graph with its newest version reverted
    tokens = tmp / "tokens.toml"
    secrets = {"kreis-re": add_token(tokens, "kreis-re", ["contribute:kreis-re/*"]),
               "redaktion": add_token(tokens, "redaktion", ["review"]),
               "betrieb": add_token(tokens, "betrieb", ["admin"])}
    sheet = write_csv(tmp / "Angebote Testdaten.csv", ["Bezeichnung", "Lebensphase", "Einzugsgebiet", "Anbieter"],
                      [["Lotsendienst Gladbeck (Testdaten)", "Schwangerschaft und Geburt", "Gladbeck", "LVR"],
                       ["Elterncafé Gladbeck (Testdaten)", "Säuglings- und Kleinkindalter (0–3 Jahre)",
                        "05562014", "Kreis Recklinghausen"]])
    with serve_kg(live, workers=1, tokens_file=tokens, project_root=project, contributions_dir=tmp / "submissions",
                  rate_limit=0.0, name="kept-uvicorn") as url:
        c, r, a = secrets["kreis-re"], secrets["redaktion"], secrets["betrieb"]
        cid = _submit(url, c, SHEET_GRAPH, sheet.name, sheet.read_bytes(), "offers", source_title="Testdaten Angebote",
                      source_publisher="Testfixture Kreis", source_date="2026-11-30")
        sc.approvals["sheet"] = _approve(url, r, cid)
        cid = _submit(url, c, RDF_GRAPH, "traeger.ttl", org_ttl("traeger-testdaten", "Träger (Testdaten)").encode(),
                      "rdf", source_title="Testdaten RDF")
        sc.approvals["rdf"] = _approve(url, r, cid)
        cid = _submit(url, c, REVERTED_GRAPH, "weg.ttl", org_ttl("weg-testdaten", "Weg (Testdaten)").encode(), "rdf")
        sc.approvals["reverted"] = _approve(url, r, cid)
        change = _change_of(url, REVERTED_GRAPH)
        rev = httpx.post(url + f"/changes/{change}/revert", headers={"Authorization": "Bearer " + a}, timeout=120)
        assert rev.status_code == 200, rev.text
        sc.reverts["reverted"] = dict(rev.json())
        for version in ("1", "2"):
            body = org_ttl("versionen-testdaten", f"Version {version} (Testdaten)").encode()
            cid = _submit(url, c, VERSIONS_GRAPH, f"v{version}.ttl", body, "rdf")
            sc.approvals["v" + version] = _approve(url, r, cid)
        change = _change_of(url, VERSIONS_GRAPH)
        rev = httpx.post(url + f"/changes/{change}/revert", headers={"Authorization": "Bearer " + a}, timeout=120)
        assert rev.status_code == 200, rev.text
        sc.reverts["v2"] = dict(rev.json())
    # 3. a fresh clone of the project (with data/contributions/) is built
    clone = tmp / "clone"
    shutil.copytree(project, clone)
    from kg.graph.build import build

    build(clone, sc.rebuilt)
    sc.no_reference = build(clone, tmp / "no-reference", include_reference=False)
    yield sc


def test_a_spreadsheet_approved_on_the_web_is_rebuilt(scenario: Scenario) -> None:
    kept = scenario.approvals["sheet"]["kept_for_build"]
    assert isinstance(kept, dict) and kept["kept"] is True, kept
    live = scenario.quads(scenario.live, SHEET_GRAPH)
    assert len(live) > 15
    assert scenario.quads(scenario.rebuilt, SHEET_GRAPH) == live
    meta = json.loads((scenario.project / "data" / "contributions" / "angebote-testdaten.json").read_text())
    v = meta["versions"][-1]
    assert (v["format"], v["kind"], v["via"], v["approved_by"], v["submitted_by"]) == \
        ("spreadsheet", "offers", "web", "redaktion", "kreis-re")
    assert v["original_file_name"] == "Angebote Testdaten.csv" and v["source"]["date"] == "2026-11-30"
    assert v["change_id"] and v["tool_version"].startswith("kg ")


def test_an_rdf_upload_approved_on_the_web_is_rebuilt(scenario: Scenario) -> None:
    live = scenario.quads(scenario.live, RDF_GRAPH)
    assert len(live) == 4
    assert scenario.quads(scenario.rebuilt, RDF_GRAPH) == live


def test_an_hsds_import_is_rebuilt(scenario: Scenario) -> None:
    for graph in (HSDS_GRAPH, HSDS_DIR_GRAPH):
        live = scenario.quads(scenario.live, graph)
        assert len(live) > 10
        assert scenario.quads(scenario.rebuilt, graph) == live
    meta = json.loads((scenario.project / "data" / "contributions" / "testdaten-hsds-build.json").read_text())
    assert meta["versions"][-1]["format"] == "hsds" and meta["versions"][-1]["via"] == "kg hsds import"
    # a directory is kept as one JSON file of its services; the source node still names the directory
    meta = json.loads((scenario.project / "data" / "contributions" / "testdaten-hsds-verzeichnis.json").read_text())
    assert meta["versions"][-1]["original_is_directory"] is True
    assert any('"hsds-verzeichnis"' in q for q in scenario.quads(scenario.rebuilt, HSDS_DIR_GRAPH))


def test_a_reverted_contribution_is_not_rebuilt(scenario: Scenario) -> None:
    assert scenario.reverts["reverted"]["kept_for_build"] == {
        "updated": True, "graph": REVERTED_GRAPH, "de": None, "en": None}
    assert scenario.quads(scenario.live, REVERTED_GRAPH) == set()
    assert scenario.quads(scenario.rebuilt, REVERTED_GRAPH) == set()


def test_reverting_a_replacement_rebuilds_the_version_before(scenario: Scenario) -> None:
    live = scenario.quads(scenario.live, VERSIONS_GRAPH)
    assert any('"Version 1 (Testdaten)"@de' in q for q in live) and not any("Version 2" in q for q in live)
    assert scenario.quads(scenario.rebuilt, VERSIONS_GRAPH) == live


def test_no_reference_replays_what_needs_no_reference_data_and_counts_the_rest(scenario: Scenario) -> None:
    """`kg build --no-reference`: the RDF uploads replay (their area links are warnings then); the
    spreadsheet and the HSDS import name areas, which are reference data: skipped and named."""
    result = scenario.no_reference
    assert sorted(Path(f).name.rsplit("-", 1)[0] for f in result.skipped_contributions) == \
        ["angebote-testdaten", "testdaten-hsds-build", "testdaten-hsds-verzeichnis"]
    noref = scenario.no_reference.store_path
    assert scenario.quads(noref, RDF_GRAPH) == scenario.quads(scenario.live, RDF_GRAPH)
    assert scenario.quads(noref, VERSIONS_GRAPH) == scenario.quads(scenario.live, VERSIONS_GRAPH)
    assert scenario.quads(noref, SHEET_GRAPH) == set() and scenario.quads(noref, HSDS_GRAPH) == set()
    assert scenario.quads(noref, HSDS_DIR_GRAPH) == set()
