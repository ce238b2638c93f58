"""kg.graph.tabular.importer on the real store: plan, commit, stable IRIs, provenance, and the
semantic bad inputs of issue 17 — each refused with its row and column, nothing written.

Fixture data: the offers and organisations below are made up for these tests (source title
"Testdaten …"); they are not facts and are never kept in data/."""

from __future__ import annotations

import gc
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.graph.tabular.importer import ImportRefused, SourceMeta, commit_import, plan_import
from kg.rdf import HN, HNID, source_document, source_graph
from tests.graph.tabular.conftest import OFFER_HEADERS, store_state, write_csv, write_xlsx

META = SourceMeta("Testdaten Angebote Kreis Recklinghausen", "Testfixture Kreis Recklinghausen")
GRAPH = source_graph("testdaten-angebote-kreis-recklinghausen")
TWO_ROWS = [
    ["", "Elterncafé Gladbeck (Testfixture)", "Eltern- und Familienangebot",
     "Säuglings- und Kleinkindalter (0–3 Jahre)", "Belastete Familien", "Kreis Recklinghausen", "Stadt Gladbeck",
     0, 3, "1.9.24"],
    ["patenschaften-cr", "Patenschaften Castrop-Rauxel (Testfixture)", "Gruppenangebot für Kinder und Jugendliche",
     "Grundschulalter", "Kinder psychisch kranker Eltern", "LVR", "05562004", 6, 10, "2023"],
]


def _plan(store_path: Path, file: Path, kind: str = "offers", meta: SourceMeta = META, **kw: object):
    s = ox.Store.read_only(str(store_path))
    try:
        return plan_import(s, file, kind, meta, **kw)  # type: ignore[arg-type]
    finally:
        del s
        gc.collect()


def _commit(store_path: Path, plan) -> object:  # type: ignore[no-untyped-def]
    gc.collect()
    return commit_import(store_path, plan)


def _graph_quads(store_path: Path, graph: str) -> set[str]:
    s = ox.Store.read_only(str(store_path))
    out = {str(q) for q in s.quads_for_pattern(None, None, None, ox.NamedNode(graph))}
    del s
    return out


@pytest.mark.slow
def test_offers_import_end_to_end_stable_and_with_provenance(work_store: Path, tmp_path: Path) -> None:
    f = write_csv(tmp_path / "angebote.csv", OFFER_HEADERS, TWO_ROWS)
    plan = _plan(work_store, f)
    assert plan.ok, plan.report()
    assert plan.added == [HNID + "offer/elterncafe-gladbeck-testfixture", HNID + "offer/patenschaften-cr"]
    assert not plan.changed and not plan.removed
    _commit(work_store, plan)
    quads = _graph_quads(work_store, GRAPH)
    offer = f"<{HNID}offer/elterncafe-gladbeck-testfixture>"
    assert f"{offer} <{HN}areaServed> <{HNID}area/05562014> <{GRAPH}>" in quads
    assert f"{offer} <{HN}provider> <{HNID}area/05562> <{GRAPH}>" in quads
    assert f"{offer} <{HN}lifePhase> <{HNID}concept/life-phase/infancy> <{GRAPH}>" in quads
    assert f'{offer} <{HN}startDate> "2024-09-01"^^<http://www.w3.org/2001/XMLSchema#date> <{GRAPH}>' in quads
    assert f'{offer} <{HN}sourceRow> "2"^^<http://www.w3.org/2001/XMLSchema#integer> <{GRAPH}>' in quads
    src = source_document("testdaten-angebote-kreis-recklinghausen")
    assert f"{offer} <{HN}statedIn> <{src}> <{GRAPH}>" in quads
    patenschaften = f"<{HNID}offer/patenschaften-cr>"
    assert f'{patenschaften} <{HN}startDate> "2023"^^<http://www.w3.org/2001/XMLSchema#gYear> <{GRAPH}>' in quads
    # the source node: title, publisher, file name, SHA-256, tool version
    import hashlib

    assert any(q.startswith(f"<{src}> <{HN}sha256> \"{hashlib.sha256(f.read_bytes()).hexdigest()}\"") for q in quads)
    assert any(q.startswith(f"<{src}> <{HN}fileName> \"angebote.csv\"") for q in quads)
    assert any(q.startswith(f"<{src}> <{HN}toolVersion> \"kg ") for q in quads)
    # the same file again: nothing to change
    again = _plan(work_store, f)
    assert again.ok and not again.quads and not again.removed_quads and not again.added and not again.changed
    # a changed row updates its resource; a row gone from the file is gone from the graph
    rows = [list(TWO_ROWS[0])]
    rows[0][8] = 6
    f2 = write_csv(tmp_path / "angebote.csv", OFFER_HEADERS, rows)
    plan2 = _plan(work_store, f2)
    assert plan2.ok, plan2.report()
    assert plan2.changed == [HNID + "offer/elterncafe-gladbeck-testfixture"]
    assert plan2.removed == [HNID + "offer/patenschaften-cr"]
    _commit(work_store, plan2)
    quads = _graph_quads(work_store, GRAPH)
    assert f'{offer} <{HN}maxAge> "6"^^<http://www.w3.org/2001/XMLSchema#integer> <{GRAPH}>' in quads
    assert f'{offer} <{HN}maxAge> "3"^^<http://www.w3.org/2001/XMLSchema#integer> <{GRAPH}>' not in quads
    assert not any(q.startswith(patenschaften) for q in quads)


@pytest.mark.slow
def test_prevention_chain_queries_return_rows_after_an_import(work_store: Path, tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[3]
    text = (root / "queries" / "prevention-chain-gaps.rq").read_text()
    s = ox.Store.read_only(str(work_store))
    before = list(s.query(text))
    del s
    f = write_csv(tmp_path / "angebote.csv", OFFER_HEADERS, TWO_ROWS)
    _commit(work_store, _plan(work_store, f))
    s = ox.Store.read_only(str(work_store))
    rows = list(s.query(text))
    by_municipality = list(s.query((root / "queries" / "offers-by-municipality.rq").read_text()))
    del s
    gladbeck = [r for r in rows if r["area"].value == HNID + "area/05562014"]
    assert not [r for r in before if r["area"].value == HNID + "area/05562014"]
    assert len(gladbeck) == 6  # every life phase, in order
    covered = {r["lifePhase"].value.rsplit("/", 1)[-1]: r["gap"].value for r in gladbeck}
    assert covered["infancy"] == "false" and covered["pregnancy"] == "true"
    assert {r["offer"].value for r in by_municipality} >= {HNID + "offer/elterncafe-gladbeck-testfixture",
                                                           HNID + "offer/patenschaften-cr"}


def _refused(store_path: Path, file: Path, kind: str = "offers", handle: ox.Store | None = None,
             resolver: object = None) -> tuple[str, object]:
    """Plan the file, commit it (must be refused) and check the store is unchanged."""
    before = store_state(store_path)
    if handle is not None:
        plan = plan_import(handle, file, kind, META, resolver=resolver)  # type: ignore[arg-type]
    else:
        plan = _plan(store_path, file, kind)
    assert not plan.ok
    with pytest.raises(ImportRefused):
        _commit(store_path, plan)
    assert store_state(store_path) == before
    return plan.report(), plan


def test_unknown_columns_are_a_warning_naming_them(
        pristine_store: Path, pristine_handle: ox.Store, pristine_resolver: object, tmp_path: Path) -> None:
    f = write_csv(tmp_path / "a.csv", [*OFFER_HEADERS, "Bemerkung intern", "Farbe"], [[*TWO_ROWS[0], "x", "rot"]])
    plan = plan_import(pristine_handle, f, "offers", META, resolver=pristine_resolver)  # type: ignore[arg-type]
    assert plan.ok, plan.report()
    warnings = [p for p in plan.problems if p.severity == "warning"]
    assert len(warnings) == 1
    assert "„Bemerkung intern“" in warnings[0].message.de and "“Farbe”" in warnings[0].message.en
    assert warnings[0].candidates == ["Bemerkung intern", "Farbe"]


def test_missing_required_column_is_an_error_naming_it(
        pristine_store: Path, pristine_handle: ox.Store, pristine_resolver: object, tmp_path: Path) -> None:
    headers = [h for h in OFFER_HEADERS if not h.startswith("Bezeichnung")]
    f = write_csv(tmp_path / "a.csv", headers, [[v for i, v in enumerate(TWO_ROWS[0]) if i != 1]])
    report, _ = _refused(pristine_store, f, handle=pristine_handle, resolver=pristine_resolver)
    assert "Die Pflichtspalte „Bezeichnung (label) *“ fehlt" in report
    assert "required column “label (Bezeichnung) *” is missing" in report


def test_duplicate_identifiers_in_the_file(
        pristine_store: Path, pristine_handle: ox.Store, pristine_resolver: object, tmp_path: Path) -> None:
    rows = [list(TWO_ROWS[1]), list(TWO_ROWS[1])]
    rows[1][1] = "Ein anderes Angebot (Testfixture)"
    f = write_xlsx(tmp_path / "a.xlsx", OFFER_HEADERS, rows)
    report, plan = _refused(pristine_store, f, handle=pristine_handle, resolver=pristine_resolver)
    [err] = plan.errors  # type: ignore[attr-defined]
    assert (err.row, err.column, err.letter) == (3, "Kennung (identifier)", "A")
    assert "schon in Zeile 2" in report and "already in row 2" in report


def test_unknown_concept_value_lists_allowed_values_and_suggests(
        pristine_store: Path, pristine_handle: ox.Store, pristine_resolver: object, tmp_path: Path) -> None:
    rows = [list(TWO_ROWS[0]), list(TWO_ROWS[1])]
    rows[1][3] = "Grundschulalte"  # a typo
    rows[0][3] = "Kita"
    f = write_csv(tmp_path / "a.csv", OFFER_HEADERS, rows)
    report, plan = _refused(pristine_store, f, handle=pristine_handle, resolver=pristine_resolver)
    errs = {e.row: e for e in plan.errors}  # type: ignore[attr-defined]
    assert set(errs) == {2, 3}
    assert errs[2].column == "Lebensphase (life phase)" and errs[2].letter == "D"
    assert "„Kita“ ist kein erlaubter Wert für Lebensphase. Erlaubt: Schwangerschaft und Geburt" in errs[2].message.de
    assert "Meinten Sie „Grundschulalter“?" in errs[3].message.de
    assert errs[3].candidates == ["Grundschulalter"]
    assert "Zeile 7" not in report and "Zeile 3, Spalte „Lebensphase (life phase)“" in report


def test_municipality_name_in_several_laender_is_ambiguous(
        pristine_store: Path, pristine_handle: ox.Store, pristine_resolver: object, tmp_path: Path) -> None:
    rows = [list(TWO_ROWS[0])]
    rows[0][6] = "Neuenkirchen"
    f = write_csv(tmp_path / "a.csv", OFFER_HEADERS, rows)
    _report, plan = _refused(pristine_store, f, handle=pristine_handle, resolver=pristine_resolver)
    [err] = plan.errors  # type: ignore[attr-defined]
    assert (err.row, err.column, err.letter) == (2, "Einzugsgebiet (area served)", "G")
    assert "mehrdeutig" in err.message.de
    laender = {c.rsplit(", ", 1)[-1].rstrip(")") for c in err.candidates}
    assert {"Niedersachsen", "Nordrhein-Westfalen", "Schleswig-Holstein", "Mecklenburg-Vorpommern"} <= laender


def test_non_existing_provider_and_area(
        pristine_store: Path, pristine_handle: ox.Store, pristine_resolver: object, tmp_path: Path) -> None:
    rows = [list(TWO_ROWS[0]), list(TWO_ROWS[1])]
    rows[0][5] = "Verein der nicht existiert e. V."
    rows[1][6] = "05999999"
    f = write_csv(tmp_path / "a.csv", OFFER_HEADERS, rows)
    report, plan = _refused(pristine_store, f, handle=pristine_handle, resolver=pristine_resolver)
    errs = {(e.row, e.column) for e in plan.errors}  # type: ignore[attr-defined]
    assert errs == {(2, "Anbieter (provider)"), (3, "Einzugsgebiet (area served)")}
    assert "ist nicht bekannt" in report and "Kein Gebiet mit dem amtlichen Schlüssel 05999999" in report


def test_names_are_matched_tolerantly(
        pristine_store: Path, pristine_handle: ox.Store, pristine_resolver: object, tmp_path: Path) -> None:
    rows = [list(TWO_ROWS[0])]
    rows[0][5] = "lzg.nrw"  # an abbreviation the data states, in other case
    rows[0][6] = "Koeln"  # umlaut spelled out
    f = write_csv(tmp_path / "a.csv", OFFER_HEADERS, rows)
    plan = plan_import(pristine_handle, f, "offers", META, resolver=pristine_resolver,  # type: ignore[arg-type]
                       validate=False)
    assert plan.ok, plan.report()
    objects = {(q.predicate.value, q.object.value) for q in plan.quads}
    assert (HN + "provider", HNID + "org/lzg-nrw") in objects
    assert (HN + "areaServed", HNID + "area/05315000") in objects


@pytest.mark.slow
def test_organisation_name_matching_two_resources(work_store: Path, tmp_path: Path) -> None:
    orgs = write_csv(tmp_path / "orgs.csv", ["Kennung", "Bezeichnung", "Einzugsgebiet"], [
        ["familienbuero-a", "Familienbüro (Testfixture)", "05562014"],
        ["familienbuero-b", "Familienbüro (Testfixture)", "05562004"],
    ])
    plan = _plan(work_store, orgs, "organisations", SourceMeta("Testdaten Organisationen", "Testfixture"))
    assert plan.ok, plan.report()
    _commit(work_store, plan)
    rows = [list(TWO_ROWS[0])]
    rows[0][5] = "Familienbuero (Testfixture)"
    f = write_csv(tmp_path / "a.csv", OFFER_HEADERS, rows)
    _report, plan2 = _refused(work_store, f)
    [err] = plan2.errors  # type: ignore[attr-defined]
    assert (err.row, err.column) == (2, "Anbieter (provider)")
    assert len(err.candidates) == 2 and all("Familienbüro (Testfixture)" in c for c in err.candidates)
    assert {HNID + "org/familienbuero-a", HNID + "org/familienbuero-b"} == {
        c.rsplit("<", 1)[-1].rstrip(">") for c in err.candidates}


def test_validation_against_the_whole_graph_names_row_and_column(
        pristine_store: Path, pristine_handle: ox.Store, pristine_resolver: object, tmp_path: Path) -> None:
    """A minimum age above the maximum age passes every cell check; SHACL on the graph finds it."""
    rows = [list(TWO_ROWS[0])]
    rows[0][7], rows[0][8] = 12, 3
    f = write_csv(tmp_path / "a.csv", OFFER_HEADERS, rows)
    _report, plan = _refused(pristine_store, f, handle=pristine_handle, resolver=pristine_resolver)
    [err] = plan.errors  # type: ignore[attr-defined]
    assert err.row == 2 and err.column == "Mindestalter (minimum age)"
    assert "Mindestalter (hn:minAge) darf nicht über dem Höchstalter" in err.message.de


def test_a_date_that_does_not_exist_names_row_and_column(
        pristine_store: Path, pristine_handle: ox.Store, pristine_resolver: object, tmp_path: Path) -> None:
    rows = [list(TWO_ROWS[0])]
    rows[0][9] = "31.02.2024"
    f = write_csv(tmp_path / "a.csv", OFFER_HEADERS, rows)
    _, plan = _refused(pristine_store, f, handle=pristine_handle, resolver=pristine_resolver)
    [err] = plan.errors  # type: ignore[attr-defined]
    assert (err.row, err.column, err.letter) == (2, "Beginn (start date)", "J")
    assert "31.02.2024" in err.message.de


def test_html_and_script_are_stored_as_text(pristine_handle: ox.Store, pristine_resolver: object,
                                            tmp_path: Path) -> None:
    rows = [list(TWO_ROWS[0])]
    rows[0][1] = '<script>alert("x")</script> Elterncafé <b>neu</b>'
    f = write_xlsx(tmp_path / "a.xlsx", OFFER_HEADERS, rows)
    plan = plan_import(pristine_handle, f, "offers", META, resolver=pristine_resolver,  # type: ignore[arg-type]
                       validate=False)
    assert plan.ok, plan.report()
    labels = [q.object for q in plan.quads if q.predicate.value.endswith("#label") and "offer/" in q.subject.value]
    assert [(lbl.value, lbl.language) for lbl in labels] == [(rows[0][1], "de")]


def test_a_file_that_is_not_a_spreadsheet_is_refused(pristine_store: Path, pristine_handle: ox.Store,
                                                     pristine_resolver: object, tmp_path: Path) -> None:
    f = tmp_path / "angebote.xlsx"
    f.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8)
    report, plan = _refused(pristine_store, f, handle=pristine_handle, resolver=pristine_resolver)
    assert len(plan.errors) == 1  # type: ignore[attr-defined]
    assert "PDF" in report


def test_grants_with_amount(pristine_handle: ox.Store, pristine_resolver: object, tmp_path: Path) -> None:
    """A grant row: funder and recipient by name, the funded project by its abbreviation, the
    amount with German thousands and decimal separators (fixture data, not a fact)."""
    headers = ["Fördermittelgeber", "Zuwendungsempfänger", "gefördertes Vorhaben", "Betrag", "Beginn"]
    f = write_csv(tmp_path / "z.csv", headers, [["LVR", "Kreis Recklinghausen", "KAP-DO", "12.500,50", "2025"]])
    plan = plan_import(pristine_handle, f, "grants", SourceMeta("Testdaten Zuwendungen", "Testfixture"),
                       resolver=pristine_resolver)  # type: ignore[arg-type]
    assert plan.ok, plan.report()
    grant = HNID + "grant/lvr-kreis-recklinghausen-kap-do"
    got = {(q.subject.value, q.predicate.value.rsplit("#", 1)[-1], q.object.value) for q in plan.quads}
    assert {(grant, "funder", HNID + "org/lvr"), (grant, "recipient", HNID + "area/05562"),
            (grant, "fundedItem", HNID + "project/kap-do"), (grant, "amount", grant + "/amount"),
            (grant + "/amount", "amountValue", "12500.50"), (grant + "/amount", "currency", "EUR")} <= got
    assert plan.added == [grant]


def test_headers_match_in_english_german_any_case_with_or_without_marker(
        pristine_handle: ox.Store, pristine_resolver: object, tmp_path: Path) -> None:
    headers = ["label (Bezeichnung) *", "LIFE PHASE", "einzugsgebiet *", "Provider (Anbieter)"]
    f = write_csv(tmp_path / "a.csv", headers, [["Elterncafé (Testfixture)", "infancy", "05562014", "hnorg:lvr"]])
    plan = plan_import(pristine_handle, f, "offers", META, resolver=pristine_resolver,  # type: ignore[arg-type]
                       validate=False)
    assert plan.ok and not plan.problems, plan.report()
    got = {(q.predicate.value.rsplit("#", 1)[-1], q.object.value) for q in plan.quads
           if q.subject.value == HNID + "offer/elterncafe-testfixture"}
    assert {("lifePhase", HNID + "concept/life-phase/infancy"), ("areaServed", HNID + "area/05562014"),
            ("provider", HNID + "org/lvr")} <= got
