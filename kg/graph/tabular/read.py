"""Stand-in of the spreadsheet reader (replaced by branch h17-read at merge): the interface only.

`read_table(path)` → `Table` of `Row`s of `Cell`s with 1-based spreadsheet row numbers."""

from __future__ import annotations

import csv
import datetime
from dataclasses import dataclass, field
from pathlib import Path

from kg.errors import SpreadsheetError
from kg.i18n import Msg

CellValue = str | int | float | bool | datetime.date | datetime.datetime | None


def column_letter(column: int) -> str:
    """1 → "A", 27 → "AA"."""
    out = ""
    while column > 0:
        column, rem = divmod(column - 1, 26)
        out = chr(65 + rem) + out
    return out


@dataclass(frozen=True)
class Cell:
    row: int
    column: int
    header: str
    value: CellValue

    @property
    def letter(self) -> str:
        return column_letter(self.column)


@dataclass(frozen=True)
class Row:
    number: int
    cells: tuple[Cell, ...]

    def get(self, header: str) -> Cell | None:
        for c in self.cells:
            if c.header == header:
                return c
        return None


@dataclass(frozen=True)
class TableWarning:
    row: int | None
    column: int | None
    message: Msg


@dataclass(frozen=True)
class TableLimits:
    max_bytes: int = 20_000_000
    max_rows: int = 100_000


@dataclass
class Table:
    name: str
    sheet: str | None
    headers: list[str]
    header_row: int
    rows: list[Row]
    warnings: list[TableWarning] = field(default_factory=list)


def _empty(v: CellValue) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _table(name: str, sheet: str | None, grid: list[list[CellValue]]) -> Table:
    header_at = next((i for i, r in enumerate(grid) if any(not _empty(v) for v in r)), None)
    if header_at is None:
        return Table(name, sheet, [], 1, [])
    headers = [("" if v is None else str(v)).strip() for v in grid[header_at]]
    while headers and not headers[-1]:
        headers.pop()
    rows = []
    for i, r in enumerate(grid[header_at + 1:], start=header_at + 2):
        if all(_empty(v) for v in r):
            continue
        cells = tuple(Cell(i, j + 1, h, r[j] if j < len(r) else None) for j, h in enumerate(headers))
        rows.append(Row(i, cells))
    return Table(name, sheet, headers, header_at + 1, rows)


def read_table(path: Path, *, sheet: str | None = None, limits: TableLimits | None = None) -> Table:
    path = Path(path)
    limits = limits or TableLimits()
    if path.stat().st_size > limits.max_bytes:
        raise SpreadsheetError(None, None, Msg(f"Datei größer als {limits.max_bytes} Bytes",
                                               f"file larger than {limits.max_bytes} bytes"))
    if path.suffix.lower() == ".xlsx":
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        ws = wb[sheet] if sheet else wb.worksheets[0]
        grid = [list(r) for r in ws.iter_rows(values_only=True)]
        wb.close()
        return _table(path.name, ws.title, grid)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    delimiter = ";" if text.split("\n", 1)[0].count(";") >= text.split("\n", 1)[0].count(",") else ","
    grid2: list[list[CellValue]] = [list(r) for r in csv.reader(text.splitlines(), delimiter=delimiter)]
    return _table(path.name, None, grid2)
