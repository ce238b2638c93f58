"""`kg template`, `kg import`, `kg export KIND` as a coordinator runs them (the README walkthrough):
the real command, on a private copy of the real store. The two offers are test fixtures (source
title "Testdaten …"), never kept in the project's data/."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.rdf import HNID
from kg.store.fingerprint import store_version


def _rows(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f, delimiter=";"))


def _write(path: Path, rows: list[list[str]]) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f, delimiter=";").writerows(rows)


@pytest.mark.slow
def test_template_fill_dry_run_fix_import_query_export(run_kg, built_store: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    shutil.copytree(built_store, store)
    project = tmp_path / "project"
    project.mkdir()
    template = tmp_path / "angebote.csv"
    res = run_kg("template", "offers", "--format", "csv", "--output", str(template), "--store", str(store))
    assert res.returncode == 0, res.stderr
    rows = _rows(template)
    header = rows[0]
    assert rows[1][0].startswith("#")  # the example row from the data, a comment

    def row(**cells: str) -> list[str]:
        out = [""] * len(header)
        for k, v in cells.items():
            out[header.index(k)] = v
        return out

    rows.append(row(**{"Bezeichnung (label) *": "Elterncafé Gladbeck (Testfixture)",
                       "Lebensphase (life phase)": "Säuglings- und Kleinkindalter (0–3 Jahre)",
                       "Zielgruppe (target group)": "Belastete Familien",
                       "Einzugsgebiet (area served)": "Stadt Gladbeck",
                       "Anbieter (provider)": "Kreis Recklinghausen"}))
    rows.append(row(**{"Bezeichnung (label) *": "Kindergruppe Castrop-Rauxel (Testfixture)",
                       "Lebensphase (life phase)": "Kita",
                       "Zielgruppe (target group)": "Kinder psychisch kranker Eltern",
                       "Einzugsgebiet (area served)": "05562004"}))
    _write(template, rows)
    before = store_version(store)
    args = ("import", str(template), "--kind", "offers", "--source-title", "Testdaten Angebote Kreis RE",
            "--publisher", "Testfixture", "--store", str(store), "--project", str(project))
    res = run_kg(*args, "--dry-run")
    assert res.returncode == 2, res.stdout + res.stderr
    assert "Zeile 4, Spalte „Lebensphase (life phase)“: „Kita“ ist kein erlaubter Wert" in res.stdout
    assert "row 4, column “Lebensphase (life phase)”" in res.stdout
    assert "nichts wurde geschrieben" in res.stderr
    # fix the error the report names
    rows[3][header.index("Lebensphase (life phase)")] = "Vorschulalter (3–6 Jahre)"
    _write(template, rows)
    res = run_kg(*args, "--dry-run")
    assert res.returncode == 0, res.stdout + res.stderr
    assert f"+ {HNID}offer/elterncafe-gladbeck-testfixture" in res.stdout
    assert "neu / added: 2" in res.stdout
    assert store_version(store) == before  # a dry run writes nothing
    res = run_kg(*args)
    assert res.returncode == 0, res.stdout + res.stderr
    meta = json.loads((project / "data" / "contributions" / "testdaten-angebote-kreis-re.json").read_text())
    version = meta["versions"][-1]
    kept = project / "data" / "contributions" / version["file"]
    assert kept.read_bytes() == template.read_bytes()
    assert version["kind"] == "offers" and version["source"]["publisher"] == "Testfixture"
    assert version["original_file_name"] == template.name and version["change_id"] in res.stdout
    # find the offers with kg query and in the prevention-chain queries
    res = run_kg("query", "--store", str(store), "--format", "csv",
                 "SELECT ?o WHERE { ?o a hn:Offer ; hn:areaServed area:05562014 }")
    assert f"{HNID}offer/elterncafe-gladbeck-testfixture" in res.stdout
    res = run_kg("query", "--store", str(store), "--format", "csv", "prevention-chain-gaps")
    assert res.returncode == 0, res.stderr
    assert f"{HNID}area/05562004" in res.stdout and f"{HNID}area/05562014" in res.stdout
    # export → import without edits changes nothing
    exported = tmp_path / "export.csv"
    res = run_kg("export", "offers", "--format", "csv", "--source", "testdaten-angebote-kreis-re",
                 "--output", str(exported), "--store", str(store))
    assert res.returncode == 0, res.stderr
    assert "2 rows" in res.stdout
    res = run_kg("import", str(exported), "--kind", "offers", "--into-source", "testdaten-angebote-kreis-re",
                 "--source-title", "egal", "--publisher", "egal", "--store", str(store), "--dry-run")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "neu / added: 0, geändert / changed: 0, entfernt / removed: 0 (0 + / 0 − triples)" in res.stdout


@pytest.mark.slow
def test_kg_build_rebuilds_the_imported_graph_from_the_kept_file(run_kg, built_store: Path, tmp_path: Path) -> None:
    """A fresh clone with data/contributions/ builds the same contribution graph."""
    root = Path(__file__).resolve().parents[2]
    project = tmp_path / "project"
    for d in ("ontology", "data", "queries"):
        shutil.copytree(root / d, project / d, ignore=shutil.ignore_patterns("contributions"))
    shutil.copy(root / "pyproject.toml", project)
    store = tmp_path / "store"
    shutil.copytree(built_store, store)
    f = tmp_path / "Angebote.csv"
    _write(f, [["Bezeichnung", "Lebensphase", "Einzugsgebiet", "Anbieter"],
               ["Lotsendienst (Testfixture)", "Schwangerschaft und Geburt", "Gladbeck", "LVR"]])
    res = run_kg("import", str(f), "--kind", "offers", "--source-title", "Testdaten Build",
                 "--publisher", "Testfixture",
                 "--date", "2026-12-01", "--licence", "https://creativecommons.org/licenses/by/4.0/",
                 "--store", str(store), "--project", str(project))
    assert res.returncode == 0, res.stdout + res.stderr
    rebuilt = tmp_path / "rebuilt"
    res = run_kg("build", "--project", str(project), "--store", str(rebuilt))
    assert res.returncode == 0, res.stdout + res.stderr
    graph = ox.NamedNode(HNID + "graph/source/testdaten-build")

    def quads(path: Path) -> set[str]:
        s = ox.Store.read_only(str(path))
        out = {str(q) for q in s.quads_for_pattern(None, None, None, graph)}
        del s
        return out

    imported = quads(store)
    assert len(imported) > 15
    assert quads(rebuilt) == imported
