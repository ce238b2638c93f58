"""kg.graph.tabular.read on real files: xlsx written by openpyxl, ODS written by odfpy (directly and
through pandas), CSV bytes as Excel-DE saves them — every bad input of issue 17 that concerns reading.
All files here are test fixtures, generated in tmp_path."""

from __future__ import annotations

import datetime
import io
import os
import resource
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest

from kg.errors import SpreadsheetError, SpreadsheetLimitError
from kg.graph.tabular.read import Cell, Table, TableLimits, read_table, sniff_delimiter


def values(table: Table) -> list[list[object]]:
    return [[c.value for c in row.cells] for row in table.rows]


# ------------------------------------------------------------------------------------ xlsx


def _xlsx(path: Path, rows: list[list[object]], *, title: str = "Angebote") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def test_xlsx_typed_values_rows_and_columns(tmp_path: Path) -> None:
    p = _xlsx(tmp_path / "offers.xlsx", [
        ["Name ", " Plätze", "Beginn", "Kostenlos", "Kosten"],
        ["KIPS Beratung", 12, datetime.date(2024, 9, 1), True, 2.5],
        ["Lückenlos", 3, datetime.datetime(2024, 9, 1, 10, 30), False, None],
    ])
    t = read_table(p)
    assert (t.name, t.sheet, t.format, t.header_row) == ("offers.xlsx", "Angebote", "xlsx", 1)
    assert t.headers == ["Name", "Plätze", "Beginn", "Kostenlos", "Kosten"]
    assert values(t) == [["KIPS Beratung", 12, datetime.date(2024, 9, 1), True, 2.5],
                         ["Lückenlos", 3, datetime.datetime(2024, 9, 1, 10, 30), False, None]]
    assert isinstance(t.rows[0].cells[1].value, int)
    cell = t.rows[1].get("Beginn")
    assert cell == Cell(3, 3, "Beginn", datetime.datetime(2024, 9, 1, 10, 30))
    assert cell.letter == "C" and cell.ref == "C3"
    assert t.rows[0].get("nope") is None
    assert t.warnings == []


def test_header_is_first_non_empty_row_and_empty_rows_and_trailing_columns_skipped(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["B3"] = "Name"
    ws["C3"] = "Ort"
    ws["B4"] = "a"
    ws["B6"] = "b"  # row 5 empty
    ws["C6"] = "Dortmund"
    ws["F6"] = "   "  # blank cell far right: not data
    ws["B7"] = " "  # a row of blanks only: skipped
    wb.save(tmp_path / "t.xlsx")
    t = read_table(tmp_path / "t.xlsx")
    assert t.header_row == 3
    assert t.headers == ["", "Name", "Ort"]
    assert [r.number for r in t.rows] == [4, 6]
    assert t.rows[1].get("Ort") == Cell(6, 3, "Ort", "Dortmund")
    assert t.warnings == []


def test_data_under_an_empty_header_is_a_warning(tmp_path: Path) -> None:
    p = _xlsx(tmp_path / "t.xlsx", [["Name", None, "Ort"], ["a", "lost?", "x", None, "far"]])
    t = read_table(p)
    assert t.headers == ["Name", "", "Ort"]
    found = {(w.code, w.row, w.column) for w in t.warnings}
    assert found == {("data-without-header", 2, 2), ("data-without-header", 2, 5)}
    w = next(w for w in t.warnings if w.column == 5)
    assert "Zeile 2, Spalte E" in w.text("de") and "row 2, column E" in w.text("en")


def test_duplicate_header_is_a_warning(tmp_path: Path) -> None:
    t = read_table(_xlsx(tmp_path / "t.xlsx", [["Name", "Name"], ["a", "b"]]))
    assert [(w.code, w.row, w.column) for w in t.warnings] == [("duplicate-header", 1, 2)]
    assert t.rows[0].get("Name").value == "a"


def test_default_sheet_is_first_visible_and_sheet_by_name(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    hidden = wb.active
    hidden.title = "Listen (lists)"
    hidden.append(["Kita"])
    hidden.sheet_state = "hidden"
    data = wb.create_sheet("Angebote")
    data.append(["Name"])
    data.append(["KAP-DO"])
    ins = wb.create_sheet("Anleitung (instructions)")
    ins.append(["Deutsch", "English"])
    wb.save(tmp_path / "t.xlsx")
    assert read_table(tmp_path / "t.xlsx").sheet == "Angebote"
    assert values(read_table(tmp_path / "t.xlsx")) == [["KAP-DO"]]
    assert read_table(tmp_path / "t.xlsx", sheet="Anleitung (instructions)").headers == ["Deutsch", "English"]
    with pytest.raises(SpreadsheetError) as err:
        read_table(tmp_path / "t.xlsx", sheet="Daten")
    assert "„Angebote“" in err.value.de and "no sheet “Daten”" in str(err.value)


def test_merged_cells_warn_and_are_not_copied(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in (["Name", "Kreis", "Ort"], ["a", "Kreis Recklinghausen", "Gladbeck"], ["b", None, "Dorsten"],
                ["c", None, "Marl"], ["d", "x", "y"]):
        ws.append(row)
    ws.merge_cells("B2:B4")  # vertical: the Kreis for three offers
    ws.merge_cells("A5:C5")  # horizontal
    wb.save(tmp_path / "t.xlsx")
    t = read_table(tmp_path / "t.xlsx")
    assert values(t) == [["a", "Kreis Recklinghausen", "Gladbeck"], ["b", None, "Dorsten"], ["c", None, "Marl"],
                         ["d", None, None]]
    found = [(w.code, w.row, w.column) for w in t.warnings]
    assert ("merged", 2, 2) in found and ("merged", 5, 1) in found
    assert ("merged-covered", 3, 2) in found and ("merged-covered", 4, 2) in found
    covered = next(w for w in t.warnings if w.code == "merged-covered" and w.row == 3)
    assert "B2:B4" in covered.text("de") and "Zeile 3, Spalte B" in covered.text("de")
    assert "not copied" in covered.text("en")


def _patch_member(path: Path, member: str, old: bytes, new: bytes) -> None:
    """Rewrite one member of a zip (as a spreadsheet program saving the file would)."""
    with zipfile.ZipFile(path) as zf:
        items = [(i, zf.read(i.filename)) for i in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in items:
            if info.filename == member:
                assert old in data
                data = data.replace(old, new)
            zf.writestr(info, data)


def test_formula_cells_cached_value_read_never_evaluated(tmp_path: Path) -> None:
    p = _xlsx(tmp_path / "t.xlsx", [["Name", "Plätze"], ["a", "=1+1"], ["b", "=SUM(B2:B2)"]])
    # openpyxl stores no result; give B2 the cached result 5 as Excel would have saved it (deliberately
    # not 1+1: a reader that evaluated the formula would say 2)
    _patch_member(p, "xl/worksheets/sheet1.xml", b"<f>1+1</f><v></v>", b"<f>1+1</f><v>5</v>")
    t = read_table(p)
    assert values(t) == [["a", 5], ["b", None]]
    assert [(w.code, w.row, w.column) for w in t.warnings] == [("formula-without-value", 3, 2)]
    assert "Zeile 3, Spalte B" in t.warnings[0].text("de") and "not evaluated" in t.warnings[0].text("en")


def test_html_and_script_text_verbatim(tmp_path: Path) -> None:
    nasty = '<script>alert("x")</script><b onclick="x()">fett</b> & &amp;'
    t = read_table(_xlsx(tmp_path / "t.xlsx", [["Beschreibung"], [nasty]]))
    assert values(t) == [[nasty]]
    csv_path = tmp_path / "t.csv"
    csv_path.write_bytes(("Beschreibung\r\n" + '"' + nasty.replace('"', '""') + '"\r\n').encode("cp1252"))
    assert values(read_table(csv_path)) == [[nasty]]


# ------------------------------------------------------------------------------------- ODS


def test_ods_typed_cells_written_by_odfpy(tmp_path: Path) -> None:
    """Text, float, date, boolean cells as LibreOffice stores them (office:value-type), one empty row,
    a hidden-free workbook whose first sheet is the data sheet."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    def cell(kind: str, shown: str, **kw: object) -> TableCell:
        c = TableCell(valuetype=kind, **kw)
        c.addElement(P(text=shown))
        return c

    doc = OpenDocumentSpreadsheet()
    table = Table(name="Angebote")
    rows = [
        [cell("string", "Name"), cell("string", "Plätze"), cell("string", "Beginn"), cell("string", "Kostenlos")],
        [cell("string", "KIPS"), cell("float", "12", value="12"), cell("date", "01.09.24", datevalue="2024-09-01"),
         cell("boolean", "WAHR", booleanvalue="true")],
        [],
        [cell("string", "Lückenlos"), cell("float", "2,5", value="2.5"),
         cell("date", "31.01.23", datevalue="2023-01-31"), cell("boolean", "FALSCH", booleanvalue="false")],
    ]
    for cells in rows:
        tr = TableRow()
        for c in cells:
            tr.addElement(c)
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    doc.save(str(tmp_path / "t.ods"))
    t = read_table(tmp_path / "t.ods")
    assert (t.format, t.sheet, t.headers) == ("ods", "Angebote", ["Name", "Plätze", "Beginn", "Kostenlos"])
    assert values(t) == [["KIPS", 12, datetime.date(2024, 9, 1), True],
                         ["Lückenlos", 2.5, datetime.date(2023, 1, 31), False]]
    assert [r.number for r in t.rows] == [2, 4]


def test_ods_merged_cells_and_formula_without_value(tmp_path: Path) -> None:
    """Written with odfpy directly: a vertical merge (number-rows-spanned) and a formula without a
    stored value — neither is reported by calamine itself."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import CoveredTableCell, Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="Daten")

    def text_cell(text: str, **kw: object) -> TableCell:
        cell = TableCell(valuetype="string", **kw)
        cell.addElement(P(text=text))
        return cell

    rows = [[text_cell("Name"), text_cell("Kreis"), text_cell("Summe")],
            [text_cell("a"), text_cell("Oberbergischer Kreis", numberrowsspanned=2), TableCell(formula="of:=1+1")],
            [text_cell("b"), CoveredTableCell(), TableCell(valuetype="float", value=3, formula="of:=1+2")]]
    for cells in rows:
        tr = TableRow()
        for cell in cells:
            tr.addElement(cell)
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    doc.save(str(tmp_path / "t.ods"))
    t = read_table(tmp_path / "t.ods")
    assert values(t) == [["a", "Oberbergischer Kreis", None], ["b", None, 3]]
    found = [(w.code, w.row, w.column) for w in t.warnings]
    assert ("merged", 2, 2) in found and ("merged-covered", 3, 2) in found
    assert ("formula-without-value", 2, 3) in found
    assert ("formula-without-value", 3, 3) not in found


# ------------------------------------------------------------------------------------- CSV


def test_csv_windows_1252_as_excel_de_saves_it(tmp_path: Path) -> None:
    raw = "Name;Ort;Kosten\r\n„Lückenlos“ – Präventionskette;Gummersbach;12,50 €\r\n;;\r\nKAP-DO;Dortmund;0\r\n"
    p = tmp_path / "offers.csv"
    p.write_bytes(raw.encode("cp1252"))
    assert b"\x84L\xfcckenlos\x93" in p.read_bytes() and b"\x80" in p.read_bytes()  # real cp1252 bytes
    t = read_table(p)
    assert (t.encoding, t.delimiter, t.format, t.sheet) == ("cp1252", ";", "csv", None)
    assert values(t) == [["„Lückenlos“ – Präventionskette", "Gummersbach", "12,50 €"], ["KAP-DO", "Dortmund", "0"]]
    assert [r.number for r in t.rows] == [2, 4]


def test_csv_utf8_with_bom_comma_separated_trailing_columns(tmp_path: Path) -> None:
    raw = "\ufeffName,Ort,,\r\nKIPS,\"Kreis Recklinghausen, Gladbeck\",,\r\n,,,\r\n\r\nKAP-DO,Dortmund,,\r\n"
    p = tmp_path / "t.csv"
    p.write_bytes(raw.encode("utf-8"))
    t = read_table(p)
    assert (t.encoding, t.delimiter) == ("utf-8-sig", ",")
    assert t.headers == ["Name", "Ort"]  # BOM not part of the first header; trailing empty columns dropped
    assert values(t) == [["KIPS", "Kreis Recklinghausen, Gladbeck"], ["KAP-DO", "Dortmund"]]
    assert [r.number for r in t.rows] == [2, 5]
    assert t.warnings == []


def test_csv_utf8_without_bom_and_quoted_newlines_keep_line_numbers(tmp_path: Path) -> None:
    raw = 'Name;Beschreibung\n"KIPS";"Zeile eins\nZeile zwei; mit Semikolon"\nLückenlos;"kurz"\n'
    p = tmp_path / "t.csv"
    p.write_bytes(raw.encode("utf-8"))
    t = read_table(p)
    assert (t.encoding, t.delimiter) == ("utf-8", ";")
    assert values(t) == [["KIPS", "Zeile eins\nZeile zwei; mit Semikolon"], ["Lückenlos", "kurz"]]
    assert [r.number for r in t.rows] == [2, 4]  # the second record starts on line 4


def test_sniff_delimiter() -> None:
    assert sniff_delimiter("a;b;c\n1,5;2,5;3") == ";"
    assert sniff_delimiter("\n\na,b,c\n1;2") == ","
    assert sniff_delimiter('"a;b",c,d\n') == ","
    assert sniff_delimiter("a\tb\n") == "\t"
    assert sniff_delimiter("Name\nx") == ";"


# ------------------------------------------------------------------------- not a spreadsheet


def _docx(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                    'package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/'
                    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        zf.writestr("word/document.xml", "<w:document/>")
    return path


@pytest.mark.parametrize("name, data, what", [
    ("offers.xlsx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "PDF"),
    ("offers.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG"),
    ("offers.csv", bytes(range(256)) * 4, "binary"),
    ("offers.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xls"),
    ("offers.xlsx", b"PK\x03\x04 not really a zip", "zip"),
])
def test_not_a_spreadsheet_is_a_clear_error(tmp_path: Path, name: str, data: bytes, what: str) -> None:
    p = tmp_path / name
    p.write_bytes(data)
    with pytest.raises(SpreadsheetError) as err:
        read_table(p)
    assert what in str(err.value)
    assert name in str(err.value) and err.value.de and name in err.value.de


def test_docx_and_other_zip_are_not_spreadsheets(tmp_path: Path) -> None:
    with pytest.raises(SpreadsheetError, match=r"not a spreadsheet: the file is Word \(\.docx\)"):
        read_table(_docx(tmp_path / "offers.xlsx"))
    with zipfile.ZipFile(tmp_path / "a.ods", "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.text")
    with pytest.raises(SpreadsheetError, match=r"opendocument\.text"):
        read_table(tmp_path / "a.ods")


def test_format_is_detected_by_content_not_name(tmp_path: Path) -> None:
    p = _xlsx(tmp_path / "offers.csv", [["Name"], ["a"]])  # an xlsx misnamed .csv
    assert read_table(p).format == "xlsx"


# ------------------------------------------------------------------------------------ limits


def test_file_over_the_size_limit(tmp_path: Path) -> None:
    p = tmp_path / "big.csv"
    p.write_bytes(b"Name\r\n" + b"x\r\n" * 2000)
    with pytest.raises(SpreadsheetLimitError) as err:
        read_table(p, limits=TableLimits(max_bytes=1000))
    assert "HILFENETZ_SPREADSHEET_MAX_BYTES" in str(err.value) and "1,000 bytes" in str(err.value)
    assert "1.000 Bytes" in err.value.de and err.value.http_status == 413
    limits = TableLimits.from_settings({"HILFENETZ_SPREADSHEET_MAX_BYTES": "1000"})
    assert limits.max_bytes == 1000
    with pytest.raises(SpreadsheetLimitError):
        read_table(p, limits=limits)
    assert len(read_table(p, limits=TableLimits(max_bytes=10_000)).rows) == 2000


def test_too_many_cells(tmp_path: Path) -> None:
    p = _xlsx(tmp_path / "t.xlsx", [["a", "b", "c"]] * 40)
    with pytest.raises(SpreadsheetLimitError, match="120 cells; the limit is 100"):
        read_table(p, limits=TableLimits(max_cells=100))
    c = tmp_path / "t.csv"
    c.write_text("a;b;c\n" * 40, encoding="utf-8")
    with pytest.raises(SpreadsheetLimitError, match="HILFENETZ_SPREADSHEET_MAX_CELLS"):
        read_table(c, limits=TableLimits(max_cells=100))


def _zip_bomb(path: Path, unpacked_mb: int) -> Path:
    """A real xlsx (openpyxl) whose sheet XML is replaced by `unpacked_mb` MB of one repeated row,
    deflated to a few hundred KB: what a zip bomb in a spreadsheet looks like."""
    base = _xlsx(path.with_name("base.xlsx"), [["Name"], ["x"]])
    chunk = b'<row r="2"><c r="A2" t="inlineStr"><is><t>x</t></is></c></row>' * (1_048_576 // 62)
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for info in src.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as out:
                    out.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                              b"<sheetData>")
                    for _ in range(unpacked_mb):
                        out.write(chunk)
                    out.write(b"</sheetData></worksheet>")
            else:
                zf.writestr(info, src.read(info.filename))
    return path


@pytest.mark.slow
def test_xlsx_zip_bomb_is_refused_without_unpacking(tmp_path: Path) -> None:
    bomb = _zip_bomb(tmp_path / "offers.xlsx", 400)
    assert bomb.stat().st_size < 2_000_000  # ~400 MB packed into well under 2 MB
    with zipfile.ZipFile(bomb) as zf:
        assert zf.getinfo("xl/worksheets/sheet1.xml").file_size > 400_000_000
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    try:
        with pytest.raises(SpreadsheetLimitError) as err:
            read_table(bomb, limits=TableLimits())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "HILFENETZ_SPREADSHEET_MAX_ZIP_RATIO" in str(err.value) and "was not unpacked" in str(err.value)
    assert "nicht entpackt" in err.value.de
    assert peak < 5_000_000  # the Python heap never held the sheet
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before < 100_000  # KB: nothing unpacked
    # with the ratio check off, the unpacked-size limit refuses it, also from the directory alone
    with pytest.raises(SpreadsheetLimitError, match="HILFENETZ_SPREADSHEET_MAX_UNZIPPED_BYTES"):
        read_table(bomb, limits=TableLimits(max_zip_ratio=0))


def test_limits_from_the_settings_table() -> None:
    from kg.config import SETTING

    env = {"HILFENETZ_SPREADSHEET_MAX_CELLS": "7", "HILFENETZ_SPREADSHEET_MAX_UNZIPPED_BYTES": "9",
           "HILFENETZ_SPREADSHEET_MAX_ZIP_RATIO": "3.5"}
    assert TableLimits.from_settings(env) == TableLimits(max_bytes=SETTING["spreadsheet_max_bytes"].default,
                                                         max_cells=7, max_unzipped_bytes=9, max_zip_ratio=3.5)
    assert TableLimits.from_settings({}) == TableLimits()  # the dataclass defaults are the table's


def test_spreadsheet_error_names_row_and_column() -> None:
    from kg.i18n import Msg

    e = SpreadsheetError(Msg("„Kita“ ist kein erlaubter Wert", "“Kita” is not an allowed value"), row=7, column=3,
                         header="Lebensphase", file="offers.xlsx")
    assert str(e) == "offers.xlsx: row 7, column C (“Lebensphase”): “Kita” is not an allowed value"
    assert e.de == "offers.xlsx: Zeile 7, Spalte C („Lebensphase“): „Kita“ ist kein erlaubter Wert"
    moved = SpreadsheetError(Msg("x", "x")).at(row=2, column=28)
    assert str(moved) == "row 2, column AB: x" and moved.text("de") == "Zeile 2, Spalte AB: x"
    import pickle

    again = pickle.loads(pickle.dumps(e))
    assert (again.row, again.column, str(again), again.de) == (7, 3, str(e), e.de)


def test_unreadable_path(tmp_path: Path) -> None:
    with pytest.raises(SpreadsheetError, match="cannot read the file"):
        read_table(tmp_path / "missing.xlsx")


def test_bytes_are_not_held_open(tmp_path: Path) -> None:
    """The file can be removed right after reading (no handle left open, e.g. on Windows shares)."""
    p = _xlsx(tmp_path / "t.xlsx", [["a"], ["b"]])
    read_table(p)
    os.remove(p)
    assert not p.exists()
    assert io  # imported for readers of this file: CSV bytes are built with plain bytes here


@pytest.mark.slow
def test_zip_directory_that_lies_about_sizes_is_refused_while_unpacking(tmp_path: Path) -> None:
    """A bomb whose zip directory claims 5,000 bytes for a 50 MB sheet passes the directory check;
    calamine's zip reader stops at the stated size, so it is refused without being unpacked."""
    import struct

    bomb = _zip_bomb(tmp_path / "offers.xlsx", 50)
    with zipfile.ZipFile(bomb) as zf:
        real = zf.getinfo("xl/worksheets/sheet1.xml").file_size
    data = bomb.read_bytes()
    assert data.count(struct.pack("<I", real)) >= 2  # the local header (zip64 aside) and the directory
    bomb.write_bytes(data.replace(struct.pack("<I", real), struct.pack("<I", 5000)))
    with zipfile.ZipFile(bomb) as zf:
        assert zf.getinfo("xl/worksheets/sheet1.xml").file_size == 5000
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(SpreadsheetError, match="larger than its declared"):
        read_table(bomb, limits=TableLimits())
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before < 30_000  # KB
