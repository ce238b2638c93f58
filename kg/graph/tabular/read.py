"""Read one sheet of a spreadsheet (xlsx/xlsm, ODS, CSV) as typed cells with their row and column.

Why this module: the files come from network coordinators and offices, saved by Excel, LibreOffice
or a script, and the import must say "Zeile 7, Spalte C" about any cell it rejects. So every cell
keeps the row and column number a spreadsheet program shows, values keep the type the file stores
(an xlsx date is a date, a CSV field is text; the mapping parses text with kg.graph.tabular.values),
and nothing is guessed silently: merged cells, columns with data but no header and formulas without
a stored result become warnings that name the cell.

The format is decided by the file's content, not its name: a zip whose `[Content_Types].xml`
declares a workbook is xlsx/xlsm, a zip whose `mimetype` member is the ODF spreadsheet type is ODS,
text (UTF-8 with or without BOM, else Windows-1252) is CSV; anything else (PDF, PNG, a Word file,
random bytes) is a SpreadsheetError saying what it is.

Readers, chosen on measurement (bench/results/tabular-read.md): python-calamine (Rust) for xlsx and
ODS — several times faster than openpyxl's read-only mode and pandas at 1,000 and 10,000 rows, with a
fraction of the memory; formulas are never evaluated (calamine returns the cached result). CSV: the
standard library's csv module (pandas' C parser is not faster on files this size and brings a
dependency the reading does not need).

Limits (the spreadsheet_* rows of kg/config.py, with their environment variables): file size, cells
of the used range, and for the zip containers the unpacked size and compression ratio, all read from
the zip's central directory before one byte is decompressed, so a "zip bomb" (a few KB that unpack
to gigabytes) is refused cheaply.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import math
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from kg.config import env_setting, env_var
from kg.errors import SpreadsheetError, SpreadsheetLimitError, column_letter
from kg.i18n import Msg

CellValue = str | int | float | bool | datetime.date | datetime.datetime | None

#: What `detect_format` answers.
XLSX, ODS, CSV = "xlsx", "ods", "csv"

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_XLSX_MAIN_TYPES = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
    "application/vnd.ms-excel.template.macroEnabled.main+xml",
)
#: Known non-spreadsheet files by their first bytes, so the error can say what the file is.
_MAGIC_NAMES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "PDF"), (b"\x89PNG", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"GIF8", "GIF"),
    (b"\x1f\x8b", "gzip"), (b"7z\xbc\xaf", "7z"), (b"Rar!", "RAR"), (b"{\\rtf", "RTF"),
)
#: Zip members smaller than this are never a bomb, whatever their ratio (a tiny XML file packs 20:1).
_RATIO_MIN_BYTES = 1_000_000
#: C0 control characters that never occur in a text file (tab, LF, CR, FF allowed).
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def letter(column: int) -> str:
    """1 → "A", 28 → "AB"."""
    return column_letter(column)


@dataclass(frozen=True)
class Cell:
    """One cell: where a spreadsheet program shows it and the value as the file stores it.

    `value`: xlsx/ODS typed (numbers that are whole are int, dates date or datetime, booleans bool;
    formula cells their cached result, never evaluated); CSV text; an empty cell None."""

    row: int
    column: int
    header: str
    value: CellValue

    @property
    def letter(self) -> str:
        """The column's letters: "A", "B", …, "AA"."""
        return column_letter(self.column)

    @property
    def ref(self) -> str:
        """"C7"."""
        return f"{self.letter}{self.row}"


@dataclass(frozen=True)
class Row:
    """One data row: its number and one cell per header column, in column order."""

    number: int
    cells: tuple[Cell, ...]

    def get(self, header: str) -> Cell | None:
        """The cell under `header` (first such column), None if there is no such column."""
        for cell in self.cells:
            if cell.header == header:
                return cell
        return None


@dataclass(frozen=True)
class TableWarning:
    """Something the reader did not guess about, with where it is (1-based; None = whole file).

    `code` lets the caller decide how serious it is: merged, merged-covered, formula-without-value,
    data-without-header, duplicate-header, time-as-text."""

    row: int | None
    column: int | None
    msg: Msg
    code: str = ""

    def text(self, lang: str) -> str:
        """"Zeile 7, Spalte C: …" — via SpreadsheetError's wording, so errors and warnings read alike."""
        return SpreadsheetError(self.msg, row=self.row, column=self.column).text(lang)


@dataclass
class Table:
    """One sheet: its headers (trailing empty header columns dropped), the header row's number, the
    data rows (fully empty rows skipped) and the warnings."""

    name: str
    sheet: str | None
    headers: list[str]
    header_row: int
    rows: list[Row]
    warnings: list[TableWarning] = field(default_factory=list)
    format: str = ""
    encoding: str | None = None
    delimiter: str | None = None


@dataclass(frozen=True)
class TableLimits:
    """The limits a read is held to (defaults and environment variables: kg/config.py)."""

    max_bytes: int = 50_000_000
    max_cells: int = 2_000_000
    max_unzipped_bytes: int = 300_000_000
    max_zip_ratio: float = 200.0

    @classmethod
    def from_settings(cls, environ: Mapping[str, str] | None = None) -> TableLimits:
        """The limits of the settings table (their environment variables over the defaults)."""
        return cls(
            max_bytes=env_setting("spreadsheet_max_bytes", environ),
            max_cells=env_setting("spreadsheet_max_cells", environ),
            max_unzipped_bytes=env_setting("spreadsheet_max_unzipped_bytes", environ),
            max_zip_ratio=env_setting("spreadsheet_max_zip_ratio", environ),
        )


# --------------------------------------------------------------------------- entry point


def read_table(path: Path, *, sheet: str | None = None, limits: TableLimits | None = None) -> Table:
    """Read `sheet` (default: the first visible sheet; CSV has one) of the file at `path`.

    The header row is the first row with any non-empty cell; every later non-empty row is a data
    row. Raises SpreadsheetError for a file that is not a spreadsheet, a missing sheet, or a file
    over a limit (SpreadsheetLimitError, before it is unpacked or parsed)."""
    path = Path(path)
    limits = limits or TableLimits.from_settings()
    name = path.name
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SpreadsheetError(Msg(f"Datei nicht lesbar: {exc.strerror}", f"cannot read the file: {exc.strerror}"),
                               file=name) from None
    if limits.max_bytes and size > limits.max_bytes:
        var = env_var("spreadsheet_max_bytes")
        raise SpreadsheetLimitError(Msg(
            f"die Datei ist {_de(size)} Bytes groß; erlaubt sind höchstens {_de(limits.max_bytes)} Bytes ({var})",
            f"the file is {size:,} bytes; the limit is {limits.max_bytes:,} bytes ({var})"), file=name)
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(_ZIP_MAGIC):
        kind = _zip_kind(path, limits)
        return _read_workbook(path, kind, sheet, limits)
    if head.startswith(_OLE2_MAGIC):
        raise SpreadsheetError(Msg(
            "ein Dokument im alten Microsoft-Office-Format (.xls/.doc); bitte als .xlsx (Excel-Arbeitsmappe), "
            ".ods oder .csv speichern",
            "a file in the old Microsoft Office format (.xls/.doc); please save it as .xlsx (Excel workbook), "
            ".ods or .csv"), file=name)
    for magic, what in _MAGIC_NAMES:
        if head.startswith(magic):
            raise _not_a_spreadsheet(name, what)
    data = path.read_bytes()
    return _read_csv_bytes(data, name, sheet, limits)


def _not_a_spreadsheet(name: str, what: str, what_de: str | None = None) -> SpreadsheetError:
    return SpreadsheetError(Msg(
        f"keine Tabelle: die Datei ist {what_de or what}; erwartet wird eine Tabelle als .xlsx, .ods oder .csv",
        f"not a spreadsheet: the file is {what}; expected a spreadsheet as .xlsx, .ods or .csv"), file=name)


# --------------------------------------------------------------------------- zip containers


def check_zip(zf: zipfile.ZipFile, name: str, limits: TableLimits) -> None:
    """Refuse a zip whose members, as its central directory states them, unpack to more than the
    limit or pack more tightly than the ratio limit. Reads the directory only: nothing is unpacked.
    (A directory that lies about sizes is caught while unpacking: zipfile and calamine's zip reader
    stop at the stated size.)"""
    total = 0
    for info in zf.infolist():
        total += info.file_size
        if limits.max_zip_ratio and info.file_size > _RATIO_MIN_BYTES:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_zip_ratio:
                var = env_var("spreadsheet_max_zip_ratio")
                raise SpreadsheetLimitError(Msg(
                    f"„{info.filename}“ in der Datei würde entpackt {_de(info.file_size)} Bytes ergeben, das "
                    f"{ratio:.0f}-Fache der gepackten Größe; erlaubt ist höchstens das {limits.max_zip_ratio:g}-Fache "
                    f"({var}) — die Datei wurde nicht entpackt",
                    f"“{info.filename}” in the file would unpack to {info.file_size:,} bytes, {ratio:.0f} times "
                    f"its packed size; the limit is {limits.max_zip_ratio:g} times ({var}) — the file was not "
                    "unpacked"), file=name)
    if limits.max_unzipped_bytes and total > limits.max_unzipped_bytes:
        var = env_var("spreadsheet_max_unzipped_bytes")
        raise SpreadsheetLimitError(Msg(
            f"die Datei würde entpackt {_de(total)} Bytes ergeben; erlaubt sind höchstens "
            f"{_de(limits.max_unzipped_bytes)} Bytes ({var}) — die Datei wurde nicht entpackt",
            f"the file would unpack to {total:,} bytes; the limit is {limits.max_unzipped_bytes:,} bytes "
            f"({var}) — the file was not unpacked"), file=name)


def _zip_kind(path: Path, limits: TableLimits) -> str:
    """xlsx or ods, from the zip's own declaration, after the size checks; else a SpreadsheetError."""
    name = path.name
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise SpreadsheetError(Msg("beschädigte Datei: ein unvollständiges ZIP-Archiv (xlsx/ods?)",
                                   "damaged file: an incomplete zip archive (xlsx/ods?)"), file=name) from None
    with zf:
        check_zip(zf, name, limits)
        names = set(zf.namelist())
        if "mimetype" in names and zf.getinfo("mimetype").file_size < 200:
            mimetype = zf.read("mimetype").strip()
            if mimetype == _ODS_MIMETYPE:
                return ODS
            raise _not_a_spreadsheet(name, f"OpenDocument ({mimetype.decode('ascii', 'replace')})")
        if "[Content_Types].xml" in names and zf.getinfo("[Content_Types].xml").file_size < 1_000_000:
            types = zf.read("[Content_Types].xml").decode("utf-8", "replace")
            if any(t in types for t in _XLSX_MAIN_TYPES):
                return XLSX
            if "wordprocessingml" in types:
                raise _not_a_spreadsheet(name, "Word (.docx)")
            if "presentationml" in types:
                raise _not_a_spreadsheet(name, "PowerPoint (.pptx)")
            raise _not_a_spreadsheet(name, "Office Open XML")
    raise _not_a_spreadsheet(name, "a zip archive without a workbook", "ein ZIP-Archiv ohne Arbeitsmappe")


def _read_workbook(path: Path, kind: str, sheet: str | None, limits: TableLimits) -> Table:
    from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    name = path.name
    try:
        wb = CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError) as exc:
        raise SpreadsheetError(Msg(f"die Arbeitsmappe ist nicht lesbar: {exc}", f"the workbook cannot be read: {exc}"),
                               file=name) from None
    try:
        metas = wb.sheets_metadata
        if sheet is None:
            visible = [m.name for m in metas if m.typ == SheetTypeEnum.WorkSheet
                       and m.visible == SheetVisibleEnum.Visible]
            if not visible:
                raise SpreadsheetError(Msg("die Arbeitsmappe hat kein sichtbares Tabellenblatt",
                                           "the workbook has no visible worksheet"), file=name)
            sheet_name = visible[0]
        else:
            if sheet not in wb.sheet_names:
                listed = ", ".join(f"„{n}“" for n in wb.sheet_names)
                raise SpreadsheetError(Msg(f"kein Tabellenblatt „{sheet}“; vorhanden: {listed}",
                                           f"no sheet “{sheet}”; the workbook has: {listed}"), file=name)
            sheet_name = sheet
        ws = wb.get_sheet_by_name(sheet_name)
        end_row, end_col = ws.end or (0, 0)
        cells = (end_row + 1) * (end_col + 1) if ws.end else 0
        if limits.max_cells and cells > limits.max_cells:
            raise _too_many_cells(name, cells, limits)
        grid = ws.to_python(skip_empty_area=False)
        merged = [((r0 + 1, c0 + 1), (r1 + 1, c1 + 1)) for (r0, c0), (r1, c1) in (ws.merged_cell_ranges or [])]
    except CalamineError as exc:
        raise SpreadsheetError(Msg(f"das Tabellenblatt ist nicht lesbar: {exc}", f"the sheet cannot be read: {exc}"),
                               file=name) from None
    finally:
        wb.close()
    scan = _scan_xlsx(path, sheet_name, metas) if kind == XLSX else _scan_ods(path, sheet_name)
    merged = merged or scan.merged
    values: list[list[CellValue]] = [[_typed(v) for v in row] for row in grid]
    for r, c in scan.formulas_without_value:
        if r - 1 < len(values) and c - 1 < len(values[r - 1]):
            values[r - 1][c - 1] = None
    table = _build_table(name, sheet_name, enumerate(values, start=1), kind)
    table.warnings[:0] = _merge_warnings(merged, table)
    for r, c in scan.formulas_without_value:
        table.warnings.append(TableWarning(r, c, Msg(
            "Formelzelle ohne gespeichertes Ergebnis: Formeln werden nicht berechnet; bitte die Datei in einem "
            "Tabellenprogramm öffnen und speichern oder den Wert statt der Formel eintragen",
            "formula cell without a stored result: formulas are not evaluated; open and save the file in a "
            "spreadsheet program, or enter the value instead of the formula"), "formula-without-value"))
    return table


def _too_many_cells(name: str, cells: int, limits: TableLimits) -> SpreadsheetLimitError:
    var = env_var("spreadsheet_max_cells")
    return SpreadsheetLimitError(Msg(
        f"das Tabellenblatt hat {_de(cells)} Zellen; erlaubt sind höchstens {_de(limits.max_cells)} ({var})",
        f"the sheet has {cells:,} cells; the limit is {limits.max_cells:,} ({var})"), file=name)


def _de(n: int) -> str:
    """12345 → "12.345" (German thousands separator)."""
    return f"{n:,}".replace(",", ".")


def _typed(value: Any) -> CellValue:
    """calamine's value → CellValue: "" → None, whole floats → int (xlsx stores every number as a
    double, so 3 is 3.0 in the file), times of day and durations → text (no type in CellValue)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 2**53:
            return int(value)
        return value
    if isinstance(value, (int, str, datetime.date)):  # datetime is a date
        return value
    if isinstance(value, datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return str(value)
    return str(value)


@dataclass
class _Scan:
    """What calamine does not tell: formula cells without a stored value, ODS merges (1-based)."""

    formulas_without_value: list[tuple[int, int]] = field(default_factory=list)
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)


_CELL_RE = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_REF_RE = re.compile(rb'\br="([A-Z]+)(\d+)"')
_FORMULA_RE = re.compile(rb"<(?:\w+:)?f[ />]")  # <f>, <f t="shared" …/>, <x:f>; not <formula1>
_VALUE_RE = re.compile(rb"<(?:\w+:)?v>[^<]+</(?:\w+:)?v>|<(?:\w+:)?is>", re.S)


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def _scan_xlsx(path: Path, sheet_name: str, metas: Iterable[Any]) -> _Scan:
    """Find formula cells (`<f>`) without a cached value (`<v>`) in the sheet's XML. Only runs when
    the sheet holds a formula at all (a byte search); the checked zip is small by then."""
    scan = _Scan()
    with zipfile.ZipFile(path) as zf:
        member = _xlsx_sheet_member(zf, sheet_name)
        if member is None:
            return scan
        xml = zf.read(member)
    if not _FORMULA_RE.search(xml):
        return scan
    for m in _CELL_RE.finditer(xml):
        inner = m.group(2) or b""
        if not _FORMULA_RE.search(inner):
            continue
        if _VALUE_RE.search(inner):
            continue
        ref = _REF_RE.search(m.group(1))
        if ref:
            scan.formulas_without_value.append((int(ref.group(2)), _col_number(ref.group(1))))
    return scan


def _xlsx_sheet_member(zf: zipfile.ZipFile, sheet_name: str) -> str | None:
    """The zip member of the sheet named `sheet_name` (workbook.xml → its relationship → target)."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
          "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
          "p": "http://schemas.openxmlformats.org/package/2006/relationships"}
    try:
        workbook = ElementTree.fromstring(zf.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        return None
    rid = None
    for el in workbook.iterfind("m:sheets/m:sheet", ns):
        if el.get("name") == sheet_name:
            rid = el.get(f"{{{ns['r']}}}id")
    for rel in rels.iterfind("p:Relationship", ns):
        if rel.get("Id") == rid:
            target = rel.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return None


_T = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_O = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"


def _scan_ods(path: Path, sheet_name: str) -> _Scan:
    """ODS merges (`number-rows-spanned`/`number-columns-spanned`, which calamine does not report)
    and formula cells without `office:value-type`; skipped when content.xml has neither."""
    scan = _Scan()
    with zipfile.ZipFile(path) as zf:
        try:
            xml = zf.read("content.xml")
        except KeyError:
            return scan
    if b"spanned" not in xml and b"table:formula" not in xml:
        return scan
    in_sheet = False
    row = 0
    col = 0
    for event, el in ElementTree.iterparse(io.BytesIO(xml), events=("start", "end")):
        tag = el.tag
        if tag == f"{{{_T}}}table":
            if event == "start":
                in_sheet = el.get(f"{{{_T}}}name") == sheet_name
                row = 0
            else:
                in_sheet = False
                el.clear()
            continue
        if not in_sheet:
            continue
        if tag == f"{{{_T}}}table-row":
            if event == "start":
                col = 0
            else:
                row += int(el.get(f"{{{_T}}}number-rows-repeated", "1"))
                el.clear()
        elif tag in (f"{{{_T}}}table-cell", f"{{{_T}}}covered-table-cell") and event == "start":
            r, c = row + 1, col + 1
            rows_spanned = int(el.get(f"{{{_T}}}number-rows-spanned", "1"))
            cols_spanned = int(el.get(f"{{{_T}}}number-columns-spanned", "1"))
            if rows_spanned > 1 or cols_spanned > 1:
                scan.merged.append(((r, c), (r + rows_spanned - 1, c + cols_spanned - 1)))
            if el.get(f"{{{_T}}}formula") is not None and el.get(f"{{{_O}}}value-type") is None:
                scan.formulas_without_value.append((r, c))
            col += int(el.get(f"{{{_T}}}number-columns-repeated", "1"))
    return scan


def _range_ref(top_left: tuple[int, int], bottom_right: tuple[int, int]) -> str:
    return f"{column_letter(top_left[1])}{top_left[0]}:{column_letter(bottom_right[1])}{bottom_right[0]}"


def _merge_warnings(merged: list[tuple[tuple[int, int], tuple[int, int]]], table: Table) -> list[TableWarning]:
    """One warning per merged range at its top-left cell, and one per cell a vertical merge covers
    in a later row: the value stands only in the top-left cell and is not copied down (a merged
    "Kreis Recklinghausen" over five rows means five offers to a person, one to a file)."""
    warnings = []
    for (r0, c0), (r1, c1) in sorted(merged):
        ref = _range_ref((r0, c0), (r1, c1))
        warnings.append(TableWarning(r0, c0, Msg(
            f"verbundene Zellen {ref}: der Wert steht nur in {column_letter(c0)}{r0}",
            f"merged cells {ref}: the value is only in {column_letter(c0)}{r0}"), "merged"))
        for r in range(r0 + 1, r1 + 1):
            if r <= table.header_row:
                continue
            warnings.append(TableWarning(r, c0, Msg(
                f"Zelle gehört zu den verbundenen Zellen {ref}: der Wert aus {column_letter(c0)}{r0} wird nicht "
                "übernommen; bitte die Verbindung aufheben und den Wert in jede Zeile eintragen",
                f"cell is part of the merged cells {ref}: the value of {column_letter(c0)}{r0} is not copied; "
                "please unmerge and enter the value in every row"), "merged-covered"))
    return warnings


# --------------------------------------------------------------------------- building the table


def _is_empty(value: CellValue) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _header_text(value: CellValue) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value).strip()


def _build_table(name: str, sheet: str | None, rows: Iterable[tuple[int, list[CellValue]]], fmt: str) -> Table:
    """Header = the first non-empty row; data = the non-empty rows after it."""
    it: Iterator[tuple[int, list[CellValue]]] = iter(rows)
    header_row = 0
    headers: list[str] = []
    for number, values in it:
        if any(not _is_empty(v) for v in values):
            header_row = number
            headers = [_header_text(v) for v in values]
            break
    while headers and not headers[-1]:
        headers.pop()
    table = Table(name=name, sheet=sheet, headers=headers, header_row=header_row, rows=[], format=fmt)
    if not headers:
        raise SpreadsheetError(Msg("die Tabelle ist leer: keine Kopfzeile gefunden",
                               "the sheet is empty: no header row found"), file=name)
    seen: dict[str, int] = {}
    for i, h in enumerate(headers, start=1):
        if h and h in seen:
            table.warnings.append(TableWarning(header_row, i, Msg(
                f"die Spaltenüberschrift „{h}“ steht schon in Spalte {column_letter(seen[h])}",
                f"the header “{h}” is already in column {column_letter(seen[h])}"), "duplicate-header"))
        seen.setdefault(h, i)
    width = len(headers)
    flagged_columns: set[int] = set()
    for number, values in it:
        if all(_is_empty(v) for v in values):
            continue
        for c, v in enumerate(values, start=1):
            if _is_empty(v) or c in flagged_columns:
                continue
            if c > width or not headers[c - 1]:
                flagged_columns.add(c)
                table.warnings.append(TableWarning(number, c, Msg(
                    "Daten in einer Spalte ohne Überschrift: die Spalte wird nicht gelesen",
                    "data in a column without a header: the column is not read"), "data-without-header"))
        if all(_is_empty(v) for v in values[:width]):
            continue  # data only in columns without a header: warned above
        cells = tuple(Cell(number, c, headers[c - 1], values[c - 1] if c <= len(values) else None)
                      for c in range(1, width + 1))
        table.rows.append(Row(number, cells))
    return table


# --------------------------------------------------------------------------- CSV


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 (with or without BOM) when the bytes are valid UTF-8, else
    Windows-1252, what Excel-DE writes for "CSV (Trennzeichen-getrennt)". Why not a guesser
    (charset-normalizer): a cp1252 file is almost never valid UTF-8 (any „ü€ byte ≥ 0x80 standing
    alone breaks it), so the strict UTF-8 test decides without a probability; and the 5 bytes
    cp1252 leaves undefined, NUL bytes and other control characters mean "not text"."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8):].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            raise ValueError("BOM but not UTF-8") from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    return data.decode("cp1252"), "cp1252"


def sniff_delimiter(text: str) -> str:
    """`;`, `,` or tab: the one that occurs most often outside quotes in the first non-empty line
    (the header row); `;` on a tie or when there is none (Excel-DE's separator)."""
    line_chars: list[str] = []
    in_quotes = False
    started = False
    for ch in text:
        if ch == '"':
            in_quotes = not in_quotes
        elif ch in "\r\n" and not in_quotes:
            if started and "".join(line_chars).strip():
                break
            line_chars = []
            continue
        started = True
        if not in_quotes:
            line_chars.append(ch)
    line = "".join(line_chars)
    counts = {d: line.count(d) for d in (";", ",", "\t")}
    best = max(counts.values())
    if best == 0 or counts[";"] == best:
        return ";"
    return "," if counts[","] == best else "\t"


def _read_csv_bytes(data: bytes, name: str, sheet: str | None, limits: TableLimits) -> Table:
    try:
        text, encoding = decode_text(data)
    except (UnicodeDecodeError, ValueError):
        raise _not_a_spreadsheet(name, "binary, not a text file", "binär, keine Textdatei") from None
    bad = _CONTROL_RE.search(text[:65536])
    if bad or (not text.strip() and data):
        raise _not_a_spreadsheet(name, "binary, not a text file", "binär, keine Textdatei")
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', strict=False)

    def records() -> Iterator[tuple[int, list[CellValue]]]:
        start = 1
        cells = 0
        try:
            for fields in reader:
                line = start
                start = reader.line_num + 1
                cells += len(fields)
                if limits.max_cells and cells > limits.max_cells:
                    raise _too_many_cells(name, cells, limits)
                yield line, [f if f != "" else None for f in fields]
        except csv.Error as exc:
            raise SpreadsheetError(Msg(f"CSV nicht lesbar: {exc}", f"cannot read the CSV: {exc}"),
                                   row=start, file=name) from None

    table = _build_table(name, None, records(), CSV)
    table.encoding = encoding
    table.delimiter = delimiter
    if sheet is not None:
        table.warnings.insert(0, TableWarning(None, None, Msg(
            f"eine CSV-Datei hat keine Tabellenblätter; „{sheet}“ wird nicht beachtet",
            f"a CSV file has no sheets; “{sheet}” is ignored"), "no-sheets"))
    return table
