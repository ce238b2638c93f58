"""Templates generated from the model: columns from the SHACL shapes (so they cannot drift),
drop-down lists from the concept schemes, instructions, an example from the real data; exports
escape formula cells."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pyoxigraph as ox
import pytest

from kg.graph.tabular.importer import SourceMeta, plan_import
from kg.graph.tabular.resolve import Resolver
from kg.graph.tabular.sheets import export_kind, write_template
from kg.graph.tabular.templates import KINDS, kind
from kg.rdf import HN, HNID

SH = "http://www.w3.org/ns/shacl#"


@pytest.fixture(scope="module")
def resolver(store: ox.Store) -> Resolver:
    return Resolver(store)


def test_every_kind_has_its_shapes_properties_as_columns(store: ox.Store) -> None:
    for name, d in KINDS.items():
        k = kind(store, name)
        preds = {c.predicate for c in k.columns if c.predicate}
        q = f"""SELECT DISTINCT ?p ?min WHERE {{ GRAPH <{HNID}graph/shapes> {{
            ?ns <{SH}targetClass> <{d.cls}> ; <{SH}property> ?ps . ?ps <{SH}path> ?p FILTER(isIRI(?p))
            OPTIONAL {{ ?ps <{SH}minCount> ?min }} }} }}"""
        shape_paths = {r["p"].value: r["min"] for r in store.query(q)}
        expected = set(shape_paths) - {HN + x for x in ("statedIn", "evidence", "hasParticipation", "amount")}
        assert expected <= preds, (name, expected - preds)
        required = {c.predicate for c in k.columns if c.required and c.value not in ("partners",)}
        assert required == {p for p, m in shape_paths.items() if m is not None and int(m.value) >= 1
                            and p not in (HN + "statedIn", HN + "hasParticipation")}, name


def test_concept_columns_offer_the_schemes_german_labels(store: ox.Store) -> None:
    k = kind(store, "offers")
    col = k.column("lifePhase")
    assert col is not None and col.scheme == HNID + "concept/life-phase"
    q = f"""SELECT ?l WHERE {{ GRAPH ?g {{ ?c <http://www.w3.org/2004/02/skos/core#inScheme> <{col.scheme}> ;
        <http://www.w3.org/2004/02/skos/core#prefLabel> ?l ; <{HN}order> ?o FILTER(lang(?l) = "de") }} }} ORDER BY ?o"""
    assert list(col.choices) == [r["l"].value for r in store.query(q)]
    assert col.header() == "Lebensphase (life phase)" and col.header("en") == "life phase (Lebensphase)"
    label = k.column("label")
    assert label is not None and label.header() == "Bezeichnung (label) *"


def test_xlsx_template_has_lists_instructions_and_an_example_from_the_data(store: ox.Store, resolver: Resolver,
                                                                           tmp_path: Path) -> None:
    out = tmp_path / "angebote.xlsx"
    write_template(store, "offers", out, fmt="xlsx", resolver=resolver)
    wb = openpyxl.load_workbook(out)
    data = wb.worksheets[0]
    headers = [c.value for c in data[1]]
    assert headers[:2] == ["Kennung (identifier)", "Bezeichnung (label) *"]
    assert data.max_row == 1  # no data rows: the example is on the instructions sheet
    life = headers.index("Lebensphase (life phase)") + 1
    letter = openpyxl.utils.get_column_letter(life)
    validations = [dv for dv in data.data_validations.dataValidation if dv.type == "list"]
    assert any(str(dv.sqref).startswith(f"{letter}2") for dv in validations)
    texts = [str(c.value) for ws in wb.worksheets[1:] for row in ws.iter_rows() for c in row if c.value]
    assert "Grundschulalter" in texts
    # the example: an offer the sources state (Frühe Hilfen or the KIPS offer)
    assert "Beispiel aus den Daten" in texts
    assert any(t in texts for t in ("Frühe Hilfen", "Beratungs- und Finanzierungsmöglichkeiten für Einrichtungen "
                                                    "(KIPS Prävention NRW)"))


def test_csv_template_has_csvw_metadata_and_a_comment_example(store: ox.Store, resolver: Resolver,
                                                              tmp_path: Path) -> None:
    out = tmp_path / "kooperationen.csv"
    files = write_template(store, "cooperations", out, fmt="csv", lang="en", resolver=resolver)
    assert files == [out, tmp_path / "kooperationen.csv-metadata.json"]
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, as Excel expects
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines(), delimiter=";"))
    assert rows[0][1] == "label (Bezeichnung) *" and rows[0][-1] == "partners and roles (Partner und Rollen) *"
    assert rows[1][0].startswith("# ")
    assert "[" in rows[1][-1]  # partners written "name [role]"


def test_export_escapes_formula_cells(work_store: Path, tmp_path: Path) -> None:
    """A label that a spreadsheet would run as a formula is exported escaped (fixture data)."""
    s = ox.Store(str(work_store))
    g = ox.NamedNode(HNID + "graph/source/testdaten-formel")
    o = ox.NamedNode(HNID + "offer/formel-testfixture")
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    src = ox.NamedNode(HNID + "source/testdaten-formel")
    s.extend([ox.Quad(o, rdf_type, ox.NamedNode(HN + "Offer"), g),
              ox.Quad(src, rdf_type, ox.NamedNode(HN + "SourceDocument"), g),
              ox.Quad(o, ox.NamedNode(HN + "statedIn"), src, g),
              ox.Quad(o, ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
                      ox.Literal('=HYPERLINK("http://example.org")', language="de"), g)])
    out = tmp_path / "x.xlsx"
    export_kind(s, "offers", out, fmt="xlsx", source="testdaten-formel")
    del s
    cell = openpyxl.load_workbook(out).worksheets[0].cell(2, 2)
    assert cell.data_type == "s"  # a text cell, never a formula
    assert cell.quotePrefix or not str(cell.value).startswith("=")
    csv_out = tmp_path / "x.csv"
    s = ox.Store.read_only(str(work_store))
    export_kind(s, "offers", csv_out, fmt="csv", source="testdaten-formel")
    row = list(csv.reader(csv_out.read_text(encoding="utf-8-sig").splitlines(), delimiter=";"))[1]
    assert row[1] == "'=HYPERLINK(\"http://example.org\")"
    # and the import undoes the escape: the round trip changes nothing
    for f in (out, csv_out):
        plan = plan_import(s, f, "offers", SourceMeta("x", "y"), graph=HNID + "graph/source/testdaten-formel",
                           validate=False)
        assert plan.ok and plan.quads == [] and plan.removed_quads == [], (f, plan.quads, plan.removed_quads)
    del s


@pytest.mark.parametrize("name", list(KINDS))
def test_every_kind_writes_both_formats(store: ox.Store, resolver: Resolver, tmp_path: Path, name: str) -> None:
    for fmt in ("xlsx", "csv"):
        out = tmp_path / f"{name}.{fmt}"
        files = write_template(store, name, out, fmt=fmt, resolver=resolver)
        assert out.is_file() and out.stat().st_size > 0 and len(files) == (1 if fmt == "xlsx" else 2)
