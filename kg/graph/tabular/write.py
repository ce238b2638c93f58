"""Write templates and exports: xlsx with drop-down lists and notes, CSV as Excel-DE saves it.

Why these choices:
- xlsx is written with openpyxl, the maintained writer that does data validation (drop-down lists),
  cell notes, frozen panes and autofilter; python-calamine (the reader) cannot write.
- The drop-down lists read their values from a hidden sheet "Listen (lists)" instead of an inline
  list: an inline list is limited to 255 characters, and the concept schemes have longer ones.
- Formula injection: a cell whose text starts with `=`, `+`, `-`, `@`, tab or CR is run as a formula
  by Excel and LibreOffice when it is typed or opened from CSV (OWASP "CSV injection"). In CSV,
  `escape_formula` prefixes such text with `'` (kg.graph.tabular.values.unescape_formula undoes exactly
  that on import). In xlsx the cell is written as a string cell — never a formula — with the
  quote-prefix style Excel itself sets when one types `'=…`: the stored value stays "=SUMME(A1)",
  so reading it back needs no undoing, and editing the cell does not turn it into a formula.
- CSV: `;` separated, UTF-8 with BOM (Excel-DE opens it with umlauts intact), CRLF, dates 31.12.2024,
  decimals with a comma, booleans ja/nein — the forms kg.graph.tabular.values reads back.
"""

from __future__ import annotations

import csv
import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from kg.graph.tabular.read import CellValue
from kg.graph.tabular.values import FORMULA_TRIGGERS

#: What the writers take: a CellValue, or a Decimal as kg.graph.tabular.values.parse_decimal gives it.
ExportValue = CellValue | Decimal

#: The sheet names of a template; the data sheet is first (read_table reads the first visible sheet).
INSTRUCTIONS_SHEET = "Anleitung (instructions)"
LISTS_SHEET = "Listen (lists)"
#: Rows a drop-down list covers below the header (Excel's own limit is 1,048,576).
VALIDATION_ROWS = 10_000
_REQUIRED_FILL = "FFF2CC"  # light yellow: required columns
_HEADER_FILL = "DDEBF7"  # light blue: other columns


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a template: its header, note, whether it is required, its allowed values."""

    header: str
    comment: str | None = None
    required: bool = False
    choices: tuple[str, ...] = ()
    width: int | None = None


def needs_formula_escape(value: object) -> bool:
    """Text a spreadsheet program would run as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def escape_formula(value: CellValue) -> CellValue:
    """Text starting with = + - @ (or tab/CR) gets a leading ' so no spreadsheet runs it; any other
    value unchanged (numbers stay numbers: -5 as a number is not a formula)."""
    if needs_formula_escape(value):
        return "'" + str(value)
    return value


def _csv_text(value: ExportValue) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, datetime.datetime):
        return value.strftime("%d.%m.%Y %H:%M") if value.time() != datetime.time() else value.strftime("%d.%m.%Y")
    if isinstance(value, datetime.date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, (float, Decimal)):
        text = format(Decimal(repr(value)) if isinstance(value, float) else value, "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text.replace(".", ",")
    if isinstance(value, int):
        return str(value)
    return str(escape_formula(value))  # text


def write_csv(path: Path, columns: Sequence[ColumnSpec], rows: Sequence[Sequence[ExportValue]], *,
              delimiter: str = ";", encoding: str = "utf-8-sig") -> None:
    """One header row and the rows; dates as 31.12.2024, decimals with a comma, text through
    escape_formula. Written to a temporary file and renamed, so a failed write leaves no half file."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with tmp.open("w", encoding=encoding, newline="") as fh:
            writer = csv.writer(fh, delimiter=delimiter, quotechar='"', lineterminator="\r\n",
                                quoting=csv.QUOTE_MINIMAL)
            writer.writerow([str(escape_formula(c.header)) for c in columns])
            for row in rows:
                writer.writerow([_csv_text(v) for v in row])
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def _sheet_ref(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def write_xlsx(path: Path, *, sheet_title: str, columns: Sequence[ColumnSpec], rows: Sequence[Sequence[ExportValue]],
               instructions: Sequence[tuple[str, str]] = ()) -> None:
    """The data sheet (header row frozen, autofilter, widths, notes, required columns bold on
    yellow, drop-down lists), then "Anleitung (instructions)" with the (de, en) paragraphs if any,
    then the hidden "Listen (lists)" sheet the drop-downs read from."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    path = Path(path)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet_title[:31]
    bold = Font(bold=True)
    for c, spec in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=c, value=spec.header)
        cell.data_type = "s"
        cell.font = bold
        cell.fill = PatternFill("solid", fgColor=_REQUIRED_FILL if spec.required else _HEADER_FILL)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if spec.comment:
            note = Comment(spec.comment, "hilfenetz")
            note.width, note.height = 320, 160
            cell.comment = note
        width = spec.width or min(60, max(12, len(spec.header) + 2))
        ws.column_dimensions[get_column_letter(c)].width = width
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            _put(ws.cell(row=r, column=c), value)
    ws.freeze_panes = "A2"
    if columns:
        last = get_column_letter(len(columns))
        ws.auto_filter.ref = f"A1:{last}{max(1, len(rows) + 1)}"

    if instructions:
        ins = wb.create_sheet(INSTRUCTIONS_SHEET)
        ins.column_dimensions["A"].width = 90
        ins.column_dimensions["B"].width = 90
        ins.append(["Deutsch", "English"])
        for cell in ins[1]:
            cell.font = bold
        for de, en in instructions:
            ins.append([de, en])
            for cell in ins[ins.max_row]:
                cell.data_type = "s"
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                if needs_formula_escape(cell.value):
                    cell.quotePrefix = True

    listed = [(c, spec) for c, spec in enumerate(columns, start=1) if spec.choices]
    if listed:
        lists = wb.create_sheet(LISTS_SHEET)
        lists.sheet_state = "hidden"
        for i, (c, spec) in enumerate(listed, start=1):
            col = get_column_letter(i)
            _put(lists.cell(row=1, column=i), spec.header)
            for r, choice in enumerate(spec.choices, start=2):
                _put(lists.cell(row=r, column=i), choice)
            source = f"{_sheet_ref(LISTS_SHEET)}!${col}$2:${col}${len(spec.choices) + 1}"
            dv = DataValidation(type="list", formula1=source, allow_blank=not spec.required, showDropDown=False,
                                showErrorMessage=True, errorStyle="stop",
                                errorTitle="Nicht erlaubt / not allowed",
                                error="Bitte einen Wert aus der Liste wählen. / Please choose a value from the list.",
                                showInputMessage=False)
            target = get_column_letter(c)
            dv.add(f"{target}2:{target}{VALIDATION_ROWS + 1}")
            ws.add_data_validation(dv)
    wb.active = 0
    tmp = path.with_name(path.name + ".tmp")
    try:
        wb.save(tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def _put(cell: Any, value: ExportValue) -> None:
    """One value into an openpyxl cell, typed: dates with a German date format, text always a
    string cell (never a formula), with the quote-prefix style where it looks like one."""
    if isinstance(value, datetime.datetime):
        cell.value = value
        cell.number_format = "DD.MM.YYYY HH:MM" if value.time() != datetime.time() else "DD.MM.YYYY"
    elif isinstance(value, datetime.date):
        cell.value = value
        cell.number_format = "DD.MM.YYYY"
    elif isinstance(value, Decimal):
        cell.value = float(value)
    elif isinstance(value, str):
        cell.value = value
        cell.data_type = "s"  # openpyxl would make "=…" a formula cell
        if needs_formula_escape(value):
            cell.quotePrefix = True
        if "\n" in value:
            from openpyxl.styles import Alignment

            cell.alignment = Alignment(wrap_text=True, vertical="top")
    else:
        cell.value = value
