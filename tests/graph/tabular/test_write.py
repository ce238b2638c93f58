"""kg.graph.tabular.write: templates with drop-down lists (read back with openpyxl), formula escaping,
and write → read round trips of every value type through xlsx and CSV. Files are test fixtures in
tmp_path."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from kg.graph.tabular.read import read_table
from kg.graph.tabular.values import (
    parse_bool,
    parse_date,
    parse_decimal,
    parse_integer,
    parse_text,
    split_multi,
    unescape_formula,
)
from kg.graph.tabular.write import (
    INSTRUCTIONS_SHEET,
    LISTS_SHEET,
    ColumnSpec,
    escape_formula,
    write_csv,
    write_xlsx,
)

PHASES = tuple(f"Lebensphase {i}: Übergang von der Kita in die Grundschule" for i in range(40))  # > 255 chars
COLUMNS = [
    ColumnSpec("Name (name) *", comment="Name des Angebots / name of the offer", required=True, width=40),
    ColumnSpec("Lebensphase (life phase)", comment="Erlaubt: … / allowed: …", choices=PHASES),
    ColumnSpec("Angebotsart (offer type) *", required=True, choices=("Beratung", "Gruppenangebot")),
    ColumnSpec("Beginn (start)"),
    ColumnSpec("Plätze (places)"),
    ColumnSpec("Kosten (costs, EUR)"),
    ColumnSpec("Kostenlos (free of charge)"),
]
ROWS = [
    ["=SUMME(A1)", PHASES[0], "Beratung", datetime.date(2024, 12, 31), 12, Decimal("1234.5"), True],
    ["-5 Plätze", PHASES[39], "Gruppenangebot", datetime.date(2024, 9, 1), 0, 0.1, False],
    ['<script>alert("x")</script> „Lückenlos“', None, "Beratung", None, None, 2.5, None],
    ["+49 231 12345", "Kita; Grundschule", "Beratung", datetime.date(1999, 1, 1), -3, Decimal("-7.25"), True],
    ["@alle\nzweite Zeile", None, None, None, None, None, None],
]


def test_escape_formula() -> None:
    assert escape_formula("=SUMME(A1)") == "'=SUMME(A1)"
    assert escape_formula("-5 Plätze") == "'-5 Plätze"
    assert escape_formula("+49") == "'+49" and escape_formula("@x") == "'@x"
    assert escape_formula("\t=1") == "'\t=1" and escape_formula("\r=1") == "'\r=1"
    assert escape_formula("Lückenlos") == "Lückenlos" and escape_formula("a=b") == "a=b"
    assert escape_formula(-5) == -5 and escape_formula(None) is None and escape_formula(2.5) == 2.5
    assert escape_formula(datetime.date(2024, 1, 1)) == datetime.date(2024, 1, 1)


@pytest.fixture
def template(tmp_path: Path) -> Path:
    path = tmp_path / "angebote.xlsx"
    write_xlsx(path, sheet_title="Angebote (offers)", columns=COLUMNS, rows=ROWS,
               instructions=[("Eine Zeile pro Angebot.", "One row per offer."),
                             ("=Nicht rechnen", "=do not compute")])
    return path


def test_xlsx_template_sheets_lists_and_looks(template: Path) -> None:
    wb = openpyxl.load_workbook(template)
    assert wb.sheetnames == ["Angebote (offers)", INSTRUCTIONS_SHEET, LISTS_SHEET]
    data, ins, lists = wb.worksheets
    assert [data.sheet_state, ins.sheet_state, lists.sheet_state] == ["visible", "visible", "hidden"]
    assert data.freeze_panes == "A2"
    assert data.auto_filter.ref == f"A1:G{len(ROWS) + 1}"
    assert data.column_dimensions["A"].width == 40
    header = [c.value for c in data[1]]
    assert header == [c.header for c in COLUMNS]
    assert data["A1"].comment.text == "Name des Angebots / name of the offer"
    assert data["A1"].font.b and data["C1"].font.b
    assert data["A1"].fill.fgColor.rgb.endswith("FFF2CC") and not data["B1"].fill.fgColor.rgb.endswith("FFF2CC")
    # drop-down lists: one validation per listed column, reading from the hidden sheet
    validations = {str(dv.sqref): dv for dv in data.data_validations.dataValidation}
    assert set(validations) == {"B2:B10001", "C2:C10001"}
    phases = validations["B2:B10001"]
    assert phases.type == "list" and phases.showErrorMessage and phases.allow_blank
    assert not validations["C2:C10001"].allow_blank  # required column
    sheet_ref, cells = phases.formula1.split("!")
    assert sheet_ref == "'Listen (lists)'"
    first, last = cells.replace("$", "").split(":")
    listed = [row[0].value for row in lists[first:last]]
    assert listed == list(PHASES) and len("".join(PHASES)) > 255
    assert [c.value for c in ins["A"]] == ["Deutsch", "Eine Zeile pro Angebot.", "=Nicht rechnen"]
    assert ins["A3"].data_type == "s" and ins["A3"].quotePrefix


def test_xlsx_text_is_never_a_formula(template: Path) -> None:
    wb = openpyxl.load_workbook(template)
    ws = wb.worksheets[0]
    for ref in ("A2", "A3", "A5", "A6"):
        assert ws[ref].data_type == "s", ref  # a string cell, not a formula
        assert ws[ref].quotePrefix, ref  # and it stays text when edited
    assert ws["A2"].value == "=SUMME(A1)"  # the value itself is not changed
    assert not ws["A4"].quotePrefix  # "<script…" does not look like a formula


def test_xlsx_round_trip_every_type(template: Path) -> None:
    t = read_table(template)
    assert t.sheet == "Angebote (offers)"  # the data sheet, first visible
    assert t.headers == [c.header for c in COLUMNS]
    got = [[c.value for c in r.cells] for r in t.rows]
    expected = [[float(v) if isinstance(v, Decimal) else v for v in row] for row in ROWS]
    assert got == expected
    assert t.warnings == []
    # parsed by the value parsers, the same values as written
    for row, src in zip(t.rows, ROWS, strict=True):
        assert parse_text(row.cells[0].value, multiline=True) == src[0]
        assert parse_date(row.cells[3].value) == src[3]
        assert parse_integer(row.cells[4].value) == src[4]
        assert parse_decimal(row.cells[5].value) == (Decimal(repr(src[5])) if isinstance(src[5], float) else src[5])
        assert parse_bool(row.cells[6].value) is src[6]


def test_csv_as_excel_de_saves_it_and_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "angebote.csv"
    write_csv(path, COLUMNS, ROWS)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfName (name) *;")  # UTF-8 with BOM, ;
    lines = raw.decode("utf-8-sig").split("\r\n")
    assert lines[1].startswith("'=SUMME(A1);") and ";31.12.2024;12;1234,5;ja" in lines[1]
    assert lines[2].startswith("'-5 Plätze;") and ";01.09.2024;0;0,1;nein" in lines[2]
    t = read_table(path)
    assert (t.encoding, t.delimiter) == ("utf-8-sig", ";")
    assert all(isinstance(c.value, (str, type(None))) for r in t.rows for c in r.cells)
    for row, src in zip(t.rows, ROWS, strict=True):
        text = row.cells[0].value
        assert unescape_formula(text) == src[0]  # the reader undoes nothing; the mapping unescapes
        assert parse_text(row.cells[1].value) == src[1]
        assert parse_date(row.cells[3].value) == src[3]
        assert parse_integer(row.cells[4].value) == src[4]
        want = src[5]
        assert parse_decimal(row.cells[5].value) == (Decimal(repr(want)) if isinstance(want, float) else want)
        assert parse_bool(row.cells[6].value) is src[6]
    assert split_multi(t.rows[3].cells[1].value) == ["Kita", "Grundschule"]


def test_csv_cp1252_comma_variant(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    write_csv(path, COLUMNS[:2], [["„Lückenlos“ 5 €", "a, b"]], delimiter=",", encoding="cp1252")
    assert b"\x84L\xfcckenlos\x93 5 \x80" in path.read_bytes()
    t = read_table(path)
    assert (t.encoding, t.delimiter) == ("cp1252", ",")
    assert [[c.value for c in r.cells] for r in t.rows] == [["„Lückenlos“ 5 €", "a, b"]]


def test_failed_write_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    with pytest.raises(UnicodeEncodeError):
        write_csv(path, COLUMNS[:1], [["Kyrillisch: Ж"]], encoding="cp1252")
    assert list(tmp_path.iterdir()) == []  # neither the file nor its temporary
