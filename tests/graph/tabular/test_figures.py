"""The figures of events in the spreadsheet templates (issue 17): the parser of a figure cell, the
figure columns generated from the scheme hnid:concept/figure-measure, the import of an events sheet
(xlsx written by openpyxl, CSV as a German office saves it) into hn:StatedFigure nodes with their
evidence, re-import, edit, clearing, and the export → import round trip with the curated figures of
the Fachtag Frühe Hilfen 2013 and of the Vernetzungstagungen 2021.

Fixture data: the events and figures below are made up for these tests (source title
"Testdaten …"); they are not facts and are never kept in data/."""

from __future__ import annotations

import csv
import datetime
import gc
from decimal import Decimal
from pathlib import Path

import openpyxl
import pyoxigraph as ox
import pytest
import rdflib

from kg.errors import SpreadsheetError
from kg.graph.tabular.importer import SourceMeta, commit_import, plan_import
from kg.graph.tabular.mapping import figure_evidence_iri, figure_iri
from kg.graph.tabular.read import Cell
from kg.graph.tabular.resolve import Resolver
from kg.graph.tabular.sheets import export_kind, write_template
from kg.graph.tabular.templates import FIGURE_MEASURES
from kg.graph.tabular.templates import kind as make_kind
from kg.graph.tabular.values import PRECISIONS, figure_text, parse_figure
from kg.rdf import GRAPH_SCHEMES, HN, HNID, SKOS, source_document, source_graph
from tests.graph.tabular.conftest import write_csv, write_xlsx

ROOT = Path(__file__).resolve().parents[3]
FM = HNID + "concept/figure-measure/"
FP = HNID + "concept/figure-precision/"

# ----------------------------------------------------------------------------------- the parser

GOOD = [
    ("120", 120, None, "exact"), (" 120 ", 120, None, "exact"), ("rund 160", 160, None, "approximately"),
    ("ca. 150", 150, None, "approximately"), ("ca 150", 150, None, "approximately"),
    ("etwa 90", 90, None, "approximately"), ("mehr als 200", 200, None, "more-than"),
    ("über 200", 200, None, "more-than"), ("Über 200", 200, None, "more-than"), ("bis zu 80", 80, None, "up-to"),
    ("mindestens 30", 30, None, "at-least"), ("100–120", 100, 120, "exact"), ("100-120", 100, 120, "exact"),
    ("100 - 120", 100, 120, "exact"), ("100 bis 120", 100, 120, "exact"), ("zwischen 100 und 120", 100, 120, "exact"),
    ("ca. 100–120", 100, 120, "approximately"), ("about 150", 150, None, "approximately"),
    ("approximately 150", 150, None, "approximately"), ("more than 200", 200, None, "more-than"),
    ("over 200", 200, None, "more-than"), ("up to 80", 80, None, "up-to"), ("at least 30", 30, None, "at-least"),
    ("1.000", 1000, None, "exact"), ("rund 1.200", 1200, None, "approximately"), ("1 000", 1000, None, "exact"),
    ("mehr als 1.000", 1000, None, "more-than"), (120, 120, None, "exact"), (120.0, 120, None, "exact"),
    ("0", 0, None, "exact"),
]


@pytest.mark.parametrize(("text", "value", "maximum", "precision"), GOOD)
def test_parse_figure_reads_what_coordinators_write(text: object, value: int, maximum: int | None,
                                                    precision: str) -> None:
    fig = parse_figure(text)  # type: ignore[arg-type]
    assert fig is not None
    assert (fig.value, fig.max_value, fig.precision) == (value, maximum, precision)
    # the quote is the cell as written (blanks normalised), and a rebuilt text reads back the same
    assert fig.text == str(text).strip() or isinstance(text, (int, float))
    for lang in ("de", "en"):
        back = parse_figure(figure_text(fig.value, fig.max_value, fig.precision, lang))
        assert back is not None and back.same(fig)


def test_decimal_comma_where_the_figure_is_not_a_count() -> None:
    fig = parse_figure("rund 2,5", whole=False)
    assert fig is not None and (fig.value, fig.precision) == (Decimal("2.5"), "approximately")
    assert figure_text(fig.value, None, fig.precision) == "rund 2,5"
    assert figure_text(fig.value, None, fig.precision, "en") == "about 2.5"
    assert parse_figure("1.000,5", whole=False).value == Decimal("1000.5")  # type: ignore[union-attr]


@pytest.mark.parametrize(("text", "de", "en"), [
    ("viele", "ist keine Zahlenangabe", "is not a figure"),
    ("200 bis", "fehlt die Obergrenze", "no upper bound"),
    ("100 -", "fehlt die Obergrenze", "no upper bound"),
    ("-5", "nicht negativ", "cannot be negative"),
    ("−5", "nicht negativ", "cannot be negative"),
    (-5, "nicht negativ", "cannot be negative"),
    ("1,5", "keine ganze Zahl", "not a whole number"),
    (1.5, "keine ganze Zahl", "not a whole number"),
    ("1,000", "mehrdeutig", "ambiguous"),
    ("120-100", "Obergrenze der Spanne ist kleiner", "upper bound is below"),
    ("120 Personen", "ist keine Zahlenangabe", "is not a figure"),
    ("über", "ist keine Zahlenangabe", "is not a figure"),
    ("mehr als 100-120", "ist keine Zahlenangabe", "is not a figure"),
    (True, "ist keine Zahlenangabe", "is not a figure"),
    (datetime.date(2024, 5, 1), "ist keine Zahlenangabe", "is not a figure"),
])
def test_parse_figure_refuses_the_rest_in_german_and_english(text: object, de: str, en: str) -> None:
    with pytest.raises(SpreadsheetError) as err:
        parse_figure(text)  # type: ignore[arg-type]
    assert de in err.value.msg.de and en in err.value.msg.en


def test_a_figure_error_names_row_and_column() -> None:
    with pytest.raises(SpreadsheetError) as err:
        parse_figure("viele", Cell(7, 22, "Teilnehmende", "viele"))
    assert "Zeile 7" in err.value.text("de") and "„Teilnehmende“" in err.value.text("de")
    assert "row 7" in str(err.value) and "“Teilnehmende”" in str(err.value)


def test_empty_cells_are_no_figure() -> None:
    assert parse_figure(None) is None and parse_figure("  ") is None


def test_the_parser_knows_every_label_of_the_precision_scheme() -> None:
    """The words come from a table in values.py; every prefLabel and altLabel of the scheme file,
    German and English, must be among them and give its concept."""
    g = rdflib.Graph().parse(ROOT / "ontology" / "schemes" / "figure-precision.ttl")
    concepts = set(g.subjects(rdflib.RDF.type, rdflib.SKOS.Concept))
    assert len(concepts) == len(PRECISIONS) == 5
    for c in concepts:
        local = str(c).rsplit("/", 1)[-1]
        labels = {str(v) for p in (rdflib.SKOS.prefLabel, rdflib.SKOS.altLabel) for v in g.objects(c, p)}
        assert labels
        for label in labels:
            fig = parse_figure(f"{label} 42")
            assert fig is not None and fig.precision == local, (label, fig)


# ------------------------------------------------------------------------------- the template


def test_events_template_has_one_figure_column_per_concept_of_the_scheme(store: ox.Store) -> None:
    q = (f"SELECT ?c ?de ?en WHERE {{ GRAPH <{GRAPH_SCHEMES}> {{ ?c <{SKOS}inScheme> <{FIGURE_MEASURES}> ; "
         f"<{SKOS}prefLabel> ?de , ?en ; <{HN}order> ?o FILTER(lang(?de) = 'de' && lang(?en) = 'en') }} }} ORDER BY ?o")
    expected = [(r["c"].value, f"{r['de'].value} ({r['en'].value})") for r in store.query(q)]
    assert len(expected) >= 2
    k = make_kind(store, "events")
    figures = [(c.measure, c.header()) for c in k.columns if c.value == "figure"]
    assert figures == expected
    assert ("Teilnehmende (participants)" in dict(figures).values()
            and "Kommunen (municipalities)" in dict(figures).values())
    # no other kind gets them
    assert not [c for c in make_kind(store, "offers").columns if c.value == "figure"]


def test_events_xlsx_template_explains_the_figure_cells(store: ox.Store, tmp_path: Path) -> None:
    out = tmp_path / "events.xlsx"
    write_template(store, "events", out, fmt="xlsx")
    wb = openpyxl.load_workbook(out)
    headers = [c.value for c in wb.worksheets[0][1]]
    assert "Teilnehmende (participants)" in headers and "Anmeldungen (registrations)" in headers
    instructions = {r[0]: r[1] for r in wb["Anleitung (instructions)"].iter_rows(values_only=True) if r[0]}
    text = instructions["Teilnehmende (participants)"]
    assert "rund 160" in text and "100–120" in text and "Beleg" in text
    general = instructions["Zahlenangaben"]
    assert "„Teilnehmende“" in general and "„Kommunen“" in general and "geleerte Zelle entfernt" in general
    out_en = tmp_path / "events-en.xlsx"
    write_template(store, "events", out_en, fmt="xlsx", lang="en")
    rows_en = openpyxl.load_workbook(out_en)["Anleitung (instructions)"].iter_rows(values_only=True)
    assert "“participants”" in {r[0]: r[1] for r in rows_en if r[0]}["Figures"]
    # no such paragraph where there are no figure columns
    offers = tmp_path / "offers.xlsx"
    write_template(store, "offers", offers, fmt="xlsx")
    rows_offers = openpyxl.load_workbook(offers)["Anleitung (instructions)"].iter_rows(values_only=True)
    assert "Zahlenangaben" not in {r[0] for r in rows_offers}


# --------------------------------------------------------------------------------- the import

META = SourceMeta("Testdaten Veranstaltungen mit Zahlen", "Testfixture Netzwerkkoordination")
GRAPH = source_graph("testdaten-veranstaltungen-mit-zahlen")
SOURCE = source_document("testdaten-veranstaltungen-mit-zahlen")
HEADERS = ["Kennung (identifier)", "Bezeichnung (label) *", "Beginn (start date)", "Ort (location)",
           "Veranstalter (organiser)", "Teilnehmende", "Kommunen (municipalities)", "Anmeldungen"]
EV_A = HNID + "event/fachtag-kinderschutz-testfixture"
EV_B = HNID + "event/netzwerktreffen-testfixture"
ROWS: list[list[object]] = [
    ["", "Fachtag Kinderschutz (Testfixture)", "12.03.2025", "05562014", "LVR", "rund 160", "12", ""],
    ["netzwerktreffen-testfixture", "Netzwerktreffen (Testfixture)", "1.9.24", "", "", "100-120", "mindestens 3",
     "über 200"],
]


def _plan(store_path: Path, file: Path, meta: SourceMeta = META, **kw: object):  # type: ignore[no-untyped-def]
    s = ox.Store.read_only(str(store_path))
    try:
        return plan_import(s, file, "events", meta, **kw)  # type: ignore[arg-type]
    finally:
        del s
        gc.collect()


def _commit(store_path: Path, plan) -> None:  # type: ignore[no-untyped-def]
    gc.collect()
    commit_import(store_path, plan)


def _figures(store_path: Path, event: str) -> dict[str, dict[str, object]]:
    """measure → what the store says of the event's figure counting it (SPARQL over all graphs)."""
    s = ox.Store.read_only(str(store_path))
    q = f"""SELECT ?f ?m ?v ?max ?p ?de ?en ?quote ?src ?in ?g ?sup WHERE {{ GRAPH ?g {{
        ?f a <{HN}StatedFigure> ; <{HN}figureOf> <{event}> ; <{HN}measure> ?m ; <{HN}value> ?v ;
           <{HN}precision> ?p ; <{HN}statedIn> ?src ; <{HN}evidence> ?e ;
           <{HN}unitText> ?de , ?en FILTER(lang(?de) = "de" && lang(?en) = "en")
        OPTIONAL {{ ?f <{HN}maxValue> ?max }}
        ?e a <{HN}Evidence> ; <{HN}quote> ?quote ; <{HN}inSource> ?in ; <{HN}supports> ?sup }} }}"""
    out: dict[str, dict[str, object]] = {}
    for r in s.query(q):
        m = r["m"].value.rsplit("/", 1)[-1]
        assert m not in out, f"two figures of {event} count {m}"
        out[m] = {"iri": r["f"].value, "value": r["v"], "max": r["max"].value if r["max"] is not None else None,
                  "precision": r["p"].value.rsplit("/", 1)[-1], "unit": (r["de"].value, r["en"].value),
                  "quote": r["quote"].value, "statedIn": r["src"].value, "inSource": r["in"].value,
                  "graph": r["g"].value, "supports": r["sup"].value}
    del s
    gc.collect()
    return out


def _csv_cp1252(path: Path, rows: list[list[object]]) -> Path:
    """Semicolons, Windows-1252, as Excel-DE saves "CSV (Trennzeichen-getrennt)"."""
    return write_csv(path, HEADERS, rows, encoding="cp1252")


@pytest.mark.slow
def test_events_with_figures_import_reimport_edit_and_clear(work_store: Path, tmp_path: Path) -> None:
    f = _csv_cp1252(tmp_path / "veranstaltungen.csv", ROWS)
    assert "über".encode("cp1252") in f.read_bytes()
    plan = _plan(work_store, f)
    assert plan.ok, plan.report()
    assert plan.added == sorted([EV_A, EV_B])
    _commit(work_store, plan)
    a, b = _figures(work_store, EV_A), _figures(work_store, EV_B)
    assert set(a) == {"participants", "municipalities"} and set(b) == {"participants", "municipalities",
                                                                       "registrations"}
    p = a["participants"]
    assert p["iri"] == figure_iri(EV_A, FM + "participants", SOURCE)
    assert (p["value"].value, p["value"].datatype.value) == ("160", "http://www.w3.org/2001/XMLSchema#integer")
    assert p["precision"] == "approximately" and p["max"] is None
    assert p["unit"] == ("Teilnehmende", "participants")
    assert p["quote"] == "rund 160" and p["supports"] == HN + "value"
    assert p["statedIn"] == p["inSource"] == SOURCE and p["graph"] == GRAPH
    assert (a["municipalities"]["value"].value, a["municipalities"]["precision"]) == ("12", "exact")
    assert (b["participants"]["value"].value, b["participants"]["max"], b["participants"]["precision"],
            b["participants"]["quote"]) == ("100", "120", "exact", "100-120")
    assert (b["municipalities"]["precision"], b["registrations"]["precision"]) == ("at-least", "more-than")
    assert b["registrations"]["quote"] == "über 200"

    # the same file again: nothing changes
    again = _plan(work_store, f)
    assert again.ok and again.quads == [] and again.removed_quads == [] and not again.changed

    # an edited figure updates its node (same IRI, new value, new quote); a cleared cell removes it
    edited = [list(ROWS[0]), list(ROWS[1])]
    edited[0][5] = "mehr als 170"
    edited[1][7] = ""
    f2 = _csv_cp1252(tmp_path / "veranstaltungen-2.csv", edited)
    plan2 = _plan(work_store, f2)
    assert plan2.ok, plan2.report()
    assert plan2.changed == sorted([EV_A, EV_B]) and not plan2.added and not plan2.removed
    _commit(work_store, plan2)
    a2, b2 = _figures(work_store, EV_A), _figures(work_store, EV_B)
    assert a2["participants"]["iri"] == p["iri"]
    assert (a2["participants"]["value"].value, a2["participants"]["precision"], a2["participants"]["quote"]) == (
        "170", "more-than", "mehr als 170")
    assert set(b2) == {"participants", "municipalities"}
    gone = figure_iri(EV_B, FM + "registrations", SOURCE)
    s = ox.Store.read_only(str(work_store))
    assert not list(s.quads_for_pattern(ox.NamedNode(gone), None, None, None))
    assert not list(s.quads_for_pattern(ox.NamedNode(figure_evidence_iri(gone)), None, None, None))
    assert not list(s.quads_for_pattern(None, None, ox.NamedNode(figure_evidence_iri(gone)), ox.NamedNode(GRAPH)))
    del s
    gc.collect()

    # the export writes the cells back as they were written, and importing it changes nothing
    out = tmp_path / "export.csv"
    s = ox.Store.read_only(str(work_store))
    export_kind(s, "events", out, fmt="csv", source="testdaten-veranstaltungen-mit-zahlen")
    del s
    gc.collect()
    with open(out, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    by_id = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert by_id["fachtag-kinderschutz-testfixture"]["Teilnehmende (participants)"] == "mehr als 170"
    assert by_id["netzwerktreffen-testfixture"]["Teilnehmende (participants)"] == "100-120"
    assert by_id["netzwerktreffen-testfixture"]["Anmeldungen (registrations)"] == ""
    back = _plan(work_store, out)
    assert back.ok and back.quads == [] and back.removed_quads == []


@pytest.mark.slow
def test_events_xlsx_with_figures_and_a_bad_cell(work_store: Path, tmp_path: Path) -> None:
    """openpyxl writes number cells as numbers; a bad figure is one error naming row and column, and
    nothing of the file is written."""
    rows = [list(ROWS[0]), list(ROWS[1])]
    rows[0][5] = 45  # a number cell
    rows[1][6] = "viele"
    f = write_xlsx(tmp_path / "veranstaltungen.xlsx", HEADERS, rows)
    plan = _plan(work_store, f)
    assert not plan.ok
    assert [(e.row, e.column) for e in plan.errors] == [(3, "Kommunen (municipalities)")]
    text = plan.report("de")
    assert "Zeile 3, Spalte „Kommunen (municipalities)“: „viele“ ist keine Zahlenangabe" in text
    assert "row 3, column “Kommunen (municipalities)”: “viele” is not a figure" in plan.report("en")
    rows[1][6] = "ca. 3"
    rows[1][5] = "1,5"
    f = write_xlsx(tmp_path / "veranstaltungen-2.xlsx", HEADERS, rows)
    plan = _plan(work_store, f)
    assert [(e.row, e.column) for e in plan.errors] == [(3, "Teilnehmende")]
    assert "Zeile 3, Spalte „Teilnehmende“: „1,5“ ist keine ganze Zahl" in plan.report("de")
    rows[1][5] = "1.000"
    f = write_xlsx(tmp_path / "veranstaltungen-3.xlsx", HEADERS, rows)
    plan = _plan(work_store, f)
    assert plan.ok, plan.report()
    _commit(work_store, plan)
    a, b = _figures(work_store, EV_A), _figures(work_store, EV_B)
    assert (a["participants"]["value"].value, a["participants"]["quote"]) == ("45", "45")
    assert (b["participants"]["value"].value, b["participants"]["precision"]) == ("1000", "exact")
    assert (b["municipalities"]["value"].value, b["municipalities"]["precision"]) == ("3", "approximately")


# ------------------------------------------------------------------ the curated figures round trip

FACHTAG = HNID + "event/fachtag-fruehe-hilfen-koeln-2013"
TAGUNGEN = HNID + "event/vernetzungstagungen-2021-06-15"


@pytest.fixture(scope="module")
def resolver(store: ox.Store) -> Resolver:
    return Resolver(store)


def _rows(path: Path) -> dict[str, dict[str, str]]:
    if path.suffix == ".csv":
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh, delimiter=";"))
    else:
        ws = openpyxl.load_workbook(path).worksheets[0]
        rows = [["" if v is None else str(v) for v in r] for r in ws.iter_rows(values_only=True)]
    return {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_curated_figures_export_rebuilt_and_reimport_changes_nothing(store: ox.Store, resolver: Resolver,
                                                                      tmp_path: Path, fmt: str) -> None:
    """The Fachtag's "rund 160 Anmeldungen" and the Tagungen's "mehr als 200 Teilnehmerinnen und
    Teilnehmer" / "aus 33 Kommunen" come from the seed documents with their own evidence (a sentence,
    not a cell): they export as texts rebuilt from value and precision, and re-importing the export
    into the seed graph, or as a contribution of its own, neither duplicates nor rewrites them."""
    out = tmp_path / f"events.{fmt}"
    export_kind(store, "events", out, fmt=fmt, resolver=resolver)
    rows = _rows(out)
    fachtag, tagungen = rows["fachtag-fruehe-hilfen-koeln-2013"], rows["vernetzungstagungen-2021-06-15"]
    assert fachtag["Anmeldungen (registrations)"] == "rund 160"
    assert fachtag["Teilnehmende (participants)"] == ""  # registrations are not participants
    assert (tagungen["Teilnehmende (participants)"], tagungen["Kommunen (municipalities)"]) == ("mehr als 200", "33")
    for source in ("fachtag-fruehe-hilfen-2013", "vernetzung-jugendhilfe"):
        one = tmp_path / f"{source}.{fmt}"
        export_kind(store, "events", one, fmt=fmt, source=source, resolver=resolver)
        plan = plan_import(store, one, "events", SourceMeta("egal", "egal"), graph=source_graph(source),
                           resolver=resolver)
        assert plan.ok, plan.report()
        assert plan.quads == [] and plan.removed_quads == []
    # as a contribution: the events are restated in the new graph, their figures are not
    plan = plan_import(store, out, "events", SourceMeta("Testdaten Rundreise Veranstaltungen", "Testfixture"),
                       resolver=resolver)
    assert plan.ok, plan.report()
    assert FACHTAG in plan.added
    figure_quads = [q for q in plan.quads if "/figure/" in q.subject.value or "/evidence/" in q.subject.value]
    assert figure_quads == []


def test_an_edited_curated_figure_becomes_the_contributions_own(store: ox.Store, resolver: Resolver,
                                                                tmp_path: Path) -> None:
    """A cell that states something else than the seed ("rund 170" for "rund 160") adds the import's
    own figure in its graph; the seed's figure and evidence are not touched."""
    out = tmp_path / "events.csv"
    export_kind(store, "events", out, fmt="csv", source="fachtag-fruehe-hilfen-2013", resolver=resolver)
    with open(out, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    col = rows[0].index("Anmeldungen (registrations)")
    for r in rows[1:]:
        if r[0] == "fachtag-fruehe-hilfen-koeln-2013":
            r[col] = "rund 170"
    with open(out, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh, delimiter=";").writerows(rows)
    plan = plan_import(store, out, "events", SourceMeta("Testdaten Fachtag Korrektur", "Testfixture"),
                       resolver=resolver)
    assert plan.ok, plan.report()
    own = figure_iri(FACHTAG, FM + "registrations", source_document("testdaten-fachtag-korrektur"))
    mine = {(q.subject.value, q.predicate.value, q.object.value) for q in plan.quads}
    assert (own, HN + "value", "170") in mine and (own, HN + "precision", FP + "approximately") in mine
    assert (figure_evidence_iri(own), HN + "quote", "rund 170") in mine
    assert not [q for q in plan.removed_quads if "/figure/" in q.subject.value]
    seed_fig = HNID + "figure/fachtag-fruehe-hilfen-2013-anmeldungen"
    assert not [q for q in (*plan.quads, *plan.removed_quads) if q.subject.value == seed_fig]


def test_csvw_metadata_leaves_the_figure_columns_out(store: ox.Store) -> None:
    """CSVW cannot read the precision from the words nor split a range (docs/import.md, CSV on the
    Web): the events metadata suppresses the figure columns and maps every other column."""
    from kg.graph.tabular.csvw import metadata

    k = make_kind(store, "events")
    cols = {c["titles"]: c for c in metadata(k, "events.csv")["tableSchema"]["columns"] if "titles" in c}
    figure_headers = [c.header() for c in k.columns if c.value == "figure"]
    assert figure_headers
    for h in figure_headers:
        assert cols[h].get("suppressOutput") is True and "propertyUrl" not in cols[h]
    assert cols["Beginn (start date)"]["propertyUrl"] == HN + "startDate"


def _set_cell(path: Path, iri_local: str, header: str, value: str) -> None:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    col = rows[0].index(header)
    for r in rows[1:]:
        if r[0] == iri_local:
            r[col] = value
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh, delimiter=";").writerows(rows)


@pytest.mark.slow
def test_contributions_beside_a_curated_figure(work_store: Path, tmp_path: Path) -> None:
    """A contribution's "rund 170" beside the seed's "rund 160": exported first (a cell a spreadsheet
    made), restated by a second contribution without a clash (figures are per source), and dropped
    again when the first contribution's cell comes back to what the seed states; the seed's figure
    and its evidence never change."""
    reg = "Anmeldungen (registrations)"
    seed_fig = HNID + "figure/fachtag-fruehe-hilfen-2013-anmeldungen"

    def seed_state() -> set[str]:
        s = ox.Store.read_only(str(work_store))
        out = {str(q) for n in (seed_fig, HNID + "evidence/fachtag-fruehe-hilfen-2013/fig-registrations")
               for q in s.quads_for_pattern(ox.NamedNode(n), None, None, None)}
        del s
        gc.collect()
        return out

    def export(name: str) -> Path:
        s = ox.Store.read_only(str(work_store))
        out = tmp_path / name
        export_kind(s, "events", out, fmt="csv")
        del s
        gc.collect()
        return out

    before = seed_state()
    assert any('"160"' in q for q in before)
    meta_a = SourceMeta("Testdaten Fachtag Nachmeldung", "Testfixture")
    f = export("a.csv")
    _set_cell(f, "fachtag-fruehe-hilfen-koeln-2013", reg, "rund 170")
    plan = _plan(work_store, f, meta_a)
    assert plan.ok, plan.report()
    _commit(work_store, plan)
    own_a = figure_iri(FACHTAG, FM + "registrations", source_document("testdaten-fachtag-nachmeldung"))
    assert _rows(export("all.csv"))["fachtag-fruehe-hilfen-koeln-2013"][reg] == "rund 170"

    # a second contribution restating the export: its own figure, no clash with the first's
    plan_b = _plan(work_store, tmp_path / "all.csv", SourceMeta("Testdaten Fachtag Abschrift", "Testfixture"))
    assert plan_b.ok, plan_b.report()
    own_b = figure_iri(FACHTAG, FM + "registrations", source_document("testdaten-fachtag-abschrift"))
    assert own_b != own_a and any(q.subject.value == own_b for q in plan_b.quads)

    # the first contribution's cell back at the seed's figure: its own figure goes, the seed's stays
    _set_cell(f, "fachtag-fruehe-hilfen-koeln-2013", reg, "ca. 160")
    plan = _plan(work_store, f, meta_a)
    assert plan.ok, plan.report()
    assert FACHTAG in plan.changed
    assert [q for q in plan.quads if q.subject.value != plan.source_iri] == []  # only the file's checksum
    assert {q.subject.value for q in plan.removed_quads} - {plan.source_iri} == {own_a, figure_evidence_iri(own_a)}
    _commit(work_store, plan)
    assert _rows(export("after.csv"))["fachtag-fruehe-hilfen-koeln-2013"][reg] == "rund 160"
    assert seed_state() == before
