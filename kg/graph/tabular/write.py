"""Stand-in of the spreadsheet writer (replaced by branch h17-read at merge): the interface only."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ColumnSpec:
    header: str
    comment: str | None = None
    required: bool = False
    choices: tuple[str, ...] = ()
    width: int | None = None


def escape_formula(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def write_xlsx(path: Path, *, sheet_title: str, columns: Sequence[ColumnSpec], rows: Sequence[Sequence[Any]],
               instructions: Sequence[tuple[str, str]] = ()) -> None:
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet_title
    ws.append([c.header for c in columns])
    for r in rows:
        ws.append([escape_formula(v) for v in r])
    lists = wb.create_sheet("Listen") if any(c.choices for c in columns) else None
    if instructions:
        ins = wb.create_sheet("Anleitung")
        for k, v in instructions:
            ins.append([k, v])
    for i, c in enumerate(columns, start=1):
        letter = get_column_letter(i)
        if c.comment:
            ws.cell(1, i).comment = Comment(c.comment, "hilfenetz")
        if c.width:
            ws.column_dimensions[letter].width = c.width
        if c.choices and lists is not None:
            for j, ch in enumerate(c.choices, start=1):
                lists.cell(j, i, ch)
            dv = DataValidation(type="list", formula1=f"=Listen!${letter}$1:${letter}${len(c.choices)}",
                                allow_blank=True, showErrorMessage=False)
            ws.add_data_validation(dv)
            dv.add(f"{letter}2:{letter}5000")
    wb.save(path)


def write_csv(path: Path, columns: Sequence[ColumnSpec], rows: Sequence[Sequence[Any]], *, delimiter: str = ";",
              encoding: str = "utf-8-sig") -> None:
    with open(path, "w", encoding=encoding, newline="") as f:
        w = csv.writer(f, delimiter=delimiter)
        w.writerow([c.header for c in columns])
        for r in rows:
            w.writerow(["" if v is None else escape_formula(v) for v in r])
