"""kg.graph.tabular.values: the forms people type in German offices, and the errors for the rest."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from kg.errors import SpreadsheetError
from kg.graph.tabular.read import Cell
from kg.graph.tabular.values import (
    normalize_text,
    parse_bool,
    parse_date,
    parse_decimal,
    parse_integer,
    parse_text,
    parse_year,
    split_multi,
    unescape_formula,
)

D = datetime.date


@pytest.mark.parametrize("value, expected", [
    ("31.12.2024", D(2024, 12, 31)), ("1.9.24", D(2024, 9, 1)), ("01.09.2024", D(2024, 9, 1)),
    ("2024-09-01", D(2024, 9, 1)), (" 1.9.1999 ", D(1999, 9, 1)), ("1.9.75", D(1975, 9, 1)),
    ("29.02.2024", D(2024, 2, 29)), ("01.09.2024 00:00", D(2024, 9, 1)), ("2024-09-01T10:30:00", D(2024, 9, 1)),
    (D(2024, 9, 1), D(2024, 9, 1)), (datetime.datetime(2024, 9, 1, 10, 30), D(2024, 9, 1)),
    (None, None), ("  ", None),
])
def test_parse_date(value: object, expected: D | None) -> None:
    assert parse_date(value) == expected  # type: ignore[arg-type]


def test_a_date_that_does_not_exist_says_so() -> None:
    with pytest.raises(SpreadsheetError) as err:
        parse_date("31.02.2024")
    assert "dieses Datum gibt es nicht" in err.value.de and "does not exist" in str(err.value)
    assert "month 2 of 2024 has no day 31" in str(err.value)
    with pytest.raises(SpreadsheetError, match="no month 13"):
        parse_date("01.13.2024")
    with pytest.raises(SpreadsheetError, match="this date does not exist"):
        parse_date("2023-02-29")


@pytest.mark.parametrize("value", ["morgen", "2024", "12/31/2024", "31.12.", 45536, 2.5, True, "31.12.2024 abends"])
def test_not_a_date(value: object) -> None:
    with pytest.raises(SpreadsheetError, match="is not a date"):
        parse_date(value)  # type: ignore[arg-type]


def test_errors_carry_the_cell_when_given() -> None:
    cell = Cell(row=7, column=3, header="Beginn (start)", value="31.02.2024")
    with pytest.raises(SpreadsheetError) as err:
        parse_date(cell.value, cell)
    assert (err.value.row, err.value.column) == (7, 3)
    assert err.value.de.startswith("Zeile 7, Spalte C („Beginn (start)“): „31.02.2024“")
    assert str(err.value).startswith("row 7, column C (“Beginn (start)”): “31.02.2024”")
    with pytest.raises(SpreadsheetError) as err2:
        parse_integer("12,5")
    located = err2.value.at(row=4, column=2, file="offers.csv")
    assert str(located) == "offers.csv: row 4, column B: “12,5” is not a whole number"


@pytest.mark.parametrize("value, expected", [
    ("2024", 2024), (2024, 2024), (2024.0, 2024), (D(2019, 5, 1), 2019), ("1.9.24", 2024), (None, None), ("", None),
])
def test_parse_year(value: object, expected: int | None) -> None:
    assert parse_year(value) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["20244", "zwanzig", 1850, 2024.5])
def test_not_a_year(value: object) -> None:
    with pytest.raises(SpreadsheetError, match="not a year"):
        parse_year(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value, expected", [
    ("1.234,5", Decimal("1234.5")), ("1234,5", Decimal("1234.5")), ("1234.5", Decimal("1234.5")),
    ("1,234.5", Decimal("1234.5")), ("1.234", Decimal("1234")), ("1.234.567", Decimal("1234567")),
    ("-3,25", Decimal("-3.25")), ("12,50 €", Decimal("12.50")), ("1 234,5", Decimal("1234.5")), ("0", Decimal(0)),
    (2.5, Decimal("2.5")), (12, Decimal(12)), (0.1, Decimal("0.1")), (None, None), ("", None),
])
def test_parse_decimal(value: object, expected: Decimal | None) -> None:
    assert parse_decimal(value) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["zwölf", "1,2,3", "1.23.4", "12a", True, D(2024, 1, 1), "1..2"])
def test_not_a_decimal(value: object) -> None:
    with pytest.raises(SpreadsheetError, match="not a number"):
        parse_decimal(value)  # type: ignore[arg-type]


def test_parse_integer() -> None:
    assert parse_integer("1.200") == 1200 and parse_integer(12) == 12 and parse_integer("12,0") == 12
    assert parse_integer(None) is None
    with pytest.raises(SpreadsheetError) as err:
        parse_integer(2.5)
    assert "keine ganze Zahl" in err.value.de


@pytest.mark.parametrize("value, expected", [
    ("ja", True), ("Ja", True), ("x", True), ("X", True), ("yes", True), ("wahr", True), ("WAHR", True), ("1", True),
    (1, True), (True, True), ("nein", False), ("no", False), ("falsch", False), ("0", False), (0, False),
    (False, False), (None, None), ("", None),
])
def test_parse_bool(value: object, expected: bool | None) -> None:
    assert parse_bool(value) is expected  # type: ignore[arg-type]


def test_not_a_bool() -> None:
    with pytest.raises(SpreadsheetError) as err:
        parse_bool("vielleicht")
    assert "weder ja noch nein" in err.value.de and "neither yes nor no" in str(err.value)


def test_split_multi() -> None:
    assert split_multi("Kita; Grundschule;;\n Sekundarstufe\r\nÜbergang") == [
        "Kita", "Grundschule", "Sekundarstufe", "Übergang"]
    assert split_multi("Müller, Meyer & Co.") == ["Müller, Meyer & Co."]  # commas are part of names
    assert split_multi(None) == [] and split_multi("  ") == [] and split_multi(5) == ["5"]


def test_normalize_text_keeps_markup_verbatim() -> None:
    decomposed = "Lu\u0308ckenlos"  # ü as u + combining diaeresis (macOS file names, some PDFs)
    assert normalize_text(f"  {decomposed}\u00a0 \t Präventions-\nkette ") == "Lückenlos Präventions- kette"
    assert normalize_text(" a \n\n  b  c \r\n d", multiline=True) == "a\nb c\nd"
    script = '<script>alert("hi")</script> &amp; <b>x</b>'
    assert normalize_text(script) == script and parse_text(script) == script
    assert parse_text(3) == "3" and parse_text(D(2024, 9, 1)) == "2024-09-01" and parse_text(True) == "ja"
    assert parse_text("   ") is None


def test_unescape_formula_undoes_only_escape_formula() -> None:
    from kg.graph.tabular.write import escape_formula

    for text in ("=SUMME(A1)", "-5 Plätze", "+49 231 1234", "@home", "\tx", "'Lückenlos'", "plain", "'"):
        assert unescape_formula(str(escape_formula(text))) == text
    assert unescape_formula("'Lückenlos'") == "'Lückenlos'"
