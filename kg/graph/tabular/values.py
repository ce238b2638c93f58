"""Cell values as people type them in German offices → Python values, or a bilingual error.

Why one module: the same "1.9.24" arrives as text from a CSV and as a date from an xlsx cell, and the
mapping of every template (offers, grants, events, …) must accept both the same way. Each parser
takes a CellValue (kg.graph.tabular.read) and, optionally, the Cell it came from; a value it cannot
read raises SpreadsheetError with a German and an English message that says what was expected, and
with the cell's row, column and header when the cell is given (else the caller locates it with
`error.at(row=…, column=…)`).

Accepted forms, decided on what Excel-DE and LibreOffice-DE write and what people type:
- dates: `31.12.2024`, `1.9.24` (two-digit years: 00–69 → 2000–2069, 70–99 → 1970–1999, Excel's
  pivot), `01.09.2024`, ISO `2024-09-01`, xlsx/ODS date cells; a date that does not exist
  (`31.02.2024`) is an error that says so;
- years: `2024`, a number cell 2024, a date cell (its year);
- decimals: `1.234,5`, `1234,5`, `1234.5`, `1,234.5` (with both separators the later one is the
  decimal mark), number cells; `1.234` alone is read as German thousands (1234) — what Excel-DE shows;
- integers: as decimals, but the value must be whole;
- booleans: ja/nein, yes/no, x (and empty = None), wahr/falsch, true/false, 1/0;
- stated figures (the figure columns of the events template): `120`, `rund 160`, `ca. 150`, `mehr
  als 200`, `über 200`, `bis zu 80`, `mindestens 30`, `100–120` / `100-120` / `100 bis 120` (a
  range: value and maximum), in German or English (`about 150`, `more than 200`, `up to 80`, `at
  least 30`); the precision comes from the words, the value from the number (`1.000` is a thousand);
- several values in one cell: separated by `;` or line breaks (not `,`, which names contain);
- text: stripped, Unicode NFC, inner runs of blanks collapsed to one space; line breaks kept where
  the column is multi-line; HTML or script stays verbatim (it is stored as a literal and escaped
  wherever it is shown: kg.web.render).
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from kg.errors import SpreadsheetError
from kg.graph.tabular.read import Cell, CellValue
from kg.i18n import Msg

__all__ = [
    "FORMULA_TRIGGERS", "PRECISIONS", "Figure", "figure_text", "normalize_text", "parse_bool", "parse_date",
    "parse_decimal", "parse_figure", "parse_integer", "parse_text", "parse_year", "split_multi", "unescape_formula",
]


def _fail(msg: Msg, cell: Cell | None) -> SpreadsheetError:
    if cell is None:
        return SpreadsheetError(msg)
    return SpreadsheetError(msg, row=cell.row, column=cell.column, header=cell.header or None)


def _shown(value: CellValue) -> str:
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


# --------------------------------------------------------------------------- text

_BLANKS_RE = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_LINES_RE = re.compile(r"\s*(?:\r\n|\r|\n)\s*")


def normalize_text(text: str, *, multiline: bool = False) -> str:
    """Strip, NFC, collapse inner blanks (incl. no-break spaces) to one space; line breaks become
    one space, or with `multiline` stay as single "\\n". Nothing else is touched: "<script>" stays
    "<script>" (stored as text, escaped where shown)."""
    text = unicodedata.normalize("NFC", text)
    if multiline:
        lines = [_BLANKS_RE.sub(" ", line).strip() for line in _LINES_RE.split(text.strip())]
        return "\n".join(line for line in lines if line)
    return _BLANKS_RE.sub(" ", _LINES_RE.sub(" ", text)).strip()


def parse_text(value: CellValue, cell: Cell | None = None, *, multiline: bool = False) -> str | None:
    """Any cell as normalised text; empty → None. A number cell in a text column gives its digits
    (3 → "3", 2.5 → "2.5"), a date cell its ISO form, a boolean ja/nein."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ", timespec="minutes") if value.time() != datetime.time() \
            else value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = normalize_text(str(value), multiline=multiline)
    return text or None


#: First characters that make a spreadsheet program read a cell as a formula (OWASP CSV injection).
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def unescape_formula(text: str) -> str:
    """Undo kg.graph.tabular.write.escape_formula on a CSV field: "'=SUMME(A1)" → "=SUMME(A1)".
    Only a quote directly before a trigger character is removed — the exact form escape_formula
    writes — so "'Lückenlos'" keeps its quotes. (xlsx needs no undoing: the writer sets the cell's
    quote-prefix style and leaves the value alone.)"""
    if len(text) >= 2 and text[0] == "'" and text[1] in "=+-@\t\r":
        return text[1:]
    return text


# --------------------------------------------------------------------------- dates

_DE_DATE_RE = re.compile(r"(\d{1,2})\.\s*(\d{1,2})\.\s*(\d{4}|\d{2})(?!\d)")
_ISO_DATE_RE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_TIME_SUFFIX_RE = re.compile(r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")


def _expand_year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        year += 2000 if year < 70 else 1900
    return year


def parse_date(value: CellValue, cell: Cell | None = None) -> datetime.date | None:
    """`31.12.2024`, `1.9.24`, `01.09.2024`, `2024-09-01`, or a date cell → date; empty → None.
    A date that does not exist (31.02.2024) is an error naming the day that is missing."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, (bool, int, float)):
        raise _fail(Msg(
            f"„{_shown(value)}“ ist kein Datum; erwartet wird z. B. 31.12.2024 (bitte die Zelle als Datum "
            "oder Text formatieren)",
            f"“{_shown(value)}” is not a date; expected e.g. 31.12.2024 (please format the cell as date or text)"),
            cell)
    text = normalize_text(str(value))
    if not text:
        return None
    m = _DE_DATE_RE.fullmatch(text) or _DE_DATE_RE.match(text)
    if m and _TIME_SUFFIX_RE.fullmatch(text[m.end():]):
        day, month, year = int(m.group(1)), int(m.group(2)), _expand_year(m.group(3))
    else:
        m = _ISO_DATE_RE.match(text)
        if not (m and _TIME_SUFFIX_RE.fullmatch(text[m.end():])):
            raise _fail(Msg(
                f"„{_shown(text)}“ ist kein Datum; erwartet wird TT.MM.JJJJ (z. B. 31.12.2024), T.M.JJ "
                "(1.9.24) oder JJJJ-MM-TT (2024-09-01)",
                f"“{_shown(text)}” is not a date; expected DD.MM.YYYY (e.g. 31.12.2024), D.M.YY (1.9.24) "
                "or YYYY-MM-DD (2024-09-01)"), cell)
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    try:
        return datetime.date(year, month, day)
    except ValueError:
        pass
    if not 1 <= month <= 12:
        raise _fail(Msg(f"„{text}“: einen Monat {month} gibt es nicht", f"“{text}”: there is no month {month}"), cell)
    raise _fail(Msg(f"„{text}“: dieses Datum gibt es nicht — der {month}. Monat {year} hat keinen {day}. Tag",
                    f"“{text}”: this date does not exist — month {month} of {year} has no day {day}"), cell)


def parse_year(value: CellValue, cell: Cell | None = None) -> int | None:
    """A year (xsd:gYear): `2024`, a number cell 2024, or a date (its year); 1900–2100. Empty → None."""
    if value is None:
        return None
    if isinstance(value, datetime.date):
        return value.year
    year: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        year = value
    elif isinstance(value, float) and value.is_integer():
        year = int(value)
    elif isinstance(value, str):
        text = normalize_text(value)
        if not text:
            return None
        if re.fullmatch(r"\d{4}", text):
            year = int(text)
        else:
            try:
                day = parse_date(text, cell)
            except SpreadsheetError:
                day = None
            year = day.year if day else None
    if year is None or not 1900 <= year <= 2100:
        raise _fail(Msg(f"„{_shown(value)}“ ist keine Jahreszahl; erwartet wird z. B. 2024",
                        f"“{_shown(value)}” is not a year; expected e.g. 2024"), cell)
    return year


# --------------------------------------------------------------------------- numbers

_NUMBER_CHARS_RE = re.compile(r"[+-]?[\d.,]+")
_THOUSANDS_DOTS_RE = re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+")


def parse_decimal(value: CellValue, cell: Cell | None = None) -> Decimal | None:
    """A number: decimal comma (`1234,5`), thousands dots (`1.234,5`), a plain `1234.5`, a number
    cell. Blanks inside (`1 234,5`) and a trailing `€`/`%` sign are tolerated. Empty → None."""
    if value is None:
        return None
    if isinstance(value, (bool, datetime.date)):
        raise _fail(Msg(f"„{_shown(value)}“ ist keine Zahl", f"“{_shown(value)}” is not a number"), cell)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    text = normalize_text(value).replace(" ", "").replace("\u202f", "")
    text = text.removesuffix("€").removesuffix("EUR").removesuffix("%").strip()
    if not text:
        return None
    bad = _fail(Msg(f"„{_shown(value)}“ ist keine Zahl; erwartet wird z. B. 1234,5 oder 1.234,5",
                    f"“{_shown(value)}” is not a number; expected e.g. 1234,5 or 1.234,5"), cell)
    if not _NUMBER_CHARS_RE.fullmatch(text):
        raise bad
    if "," in text and "." in text:
        # the later separator is the decimal mark: 1.234,5 (German) or 1,234.5 (English)
        text = text.replace(".", "").replace(",", ".") if text.rfind(",") > text.rfind(".") else text.replace(",", "")
    elif "," in text:
        if text.count(",") > 1:
            raise bad
        text = text.replace(",", ".")
    elif text.count(".") > 1 or _THOUSANDS_DOTS_RE.fullmatch(text):
        if not _THOUSANDS_DOTS_RE.fullmatch(text):
            raise bad
        text = text.replace(".", "")  # 1.234 / 1.234.567: German thousands
    try:
        return Decimal(text)
    except InvalidOperation:
        raise bad from None


def parse_integer(value: CellValue, cell: Cell | None = None) -> int | None:
    """A whole number (as parse_decimal reads numbers); `12,5` is an error. Empty → None."""
    number = parse_decimal(value, cell)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise _fail(Msg(f"„{_shown(value)}“ ist keine ganze Zahl", f"“{_shown(value)}” is not a whole number"), cell)
    return int(number)


# --------------------------------------------------------------------------- yes/no

_TRUE = {"ja", "j", "yes", "y", "x", "wahr", "true", "1", "✓", "✔"}
_FALSE = {"nein", "n", "no", "falsch", "false", "0", "-"}


def parse_bool(value: CellValue, cell: Cell | None = None) -> bool | None:
    """ja/nein, yes/no, x, wahr/falsch, true/false, 1/0 (any case), boolean and 0/1 number cells;
    empty → None (not False: an empty cell says nothing)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = normalize_text(str(value)).lower()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _fail(Msg(f"„{_shown(value)}“ ist weder ja noch nein; erlaubt: ja, nein, x, wahr, falsch, 1, 0",
                    f"“{_shown(value)}” is neither yes nor no; allowed: yes, no, ja, nein, x, true, false, 1, 0"),
                cell)


# --------------------------------------------------------------------------- several values

_MULTI_SPLIT_RE = re.compile(r"\s*(?:;|\r\n|\r|\n)\s*")


def split_multi(value: CellValue, cell: Cell | None = None) -> list[str]:
    """Several values in one cell, separated by `;` or line breaks (Alt+Enter in Excel): each
    normalised, empty parts dropped. A non-text cell is one value. Empty → []."""
    if value is None:
        return []
    if not isinstance(value, str):
        text = parse_text(value, cell)
        return [text] if text else []
    parts = (normalize_text(p) for p in _MULTI_SPLIT_RE.split(value))
    return [p for p in parts if p]


# --------------------------------------------------------------------------- stated figures

#: The precisions of hnid:concept/figure-precision (local names) and the words that say them, German
#: and English, longest first where one starts another ("bis zu" before "bis"). The scheme's own
#: labels are among them (tests/graph/tabular/test_values.py checks that against the scheme file).
PRECISIONS: dict[str, tuple[str, ...]] = {
    "exact": ("exakt", "genau", "exactly", "exact"),
    "approximately": ("rund", "ca.", "ca", "circa", "zirka", "etwa", "ungefähr", "ungefaehr", "annähernd",
                      "approximately", "approx.", "approx", "about", "around", "roughly", "~", "≈"),
    "more-than": ("mehr als", "über", "ueber", "more than", "over", ">"),
    "up-to": ("bis zu", "höchstens", "hoechstens", "maximal", "max.", "up to", "at most", "≤", "<="),
    "at-least": ("mindestens", "wenigstens", "min.", "at least", "≥", ">="),
}
_WORD_OF = sorted(((w, p) for p, ws in PRECISIONS.items() for w in ws), key=lambda x: -len(x[0]))
_NUM = r"\d(?:[\d.,]*\d)?"
_RANGE_RE = re.compile(rf"(?:zwischen|between)?\s*(?P<a>{_NUM})\s*(?:–|—|-|bis|to|und|and)\s*(?P<b>{_NUM})",
                       re.IGNORECASE)
_OPEN_RANGE_RE = re.compile(rf"(?:zwischen|between)?\s*{_NUM}\s*(?:–|—|-|bis|to|und|and)\s*", re.IGNORECASE)
_SPACE_THOUSANDS_RE = re.compile(r"(?<=\d)[ \u202f\u00a0](?=\d{3}(?!\d))")
_NEGATIVE_RE = re.compile(r"^[-−–]\s*\d")


@dataclass(frozen=True)
class Figure:
    """A stated figure as a cell gives it: `value` (the lower bound of a range), `max_value` (a range's
    upper bound, else None), `precision` (a local name of hnid:concept/figure-precision) and `text`,
    the cell as written (normalised blanks) — the evidence quote of the figure."""

    value: Decimal
    max_value: Decimal | None
    precision: str
    text: str

    def same(self, other: Figure) -> bool:
        """The same statement, whatever the wording ("ca. 150" and "rund 150")."""
        return (self.value, self.max_value, self.precision) == (other.value, other.max_value, other.precision)


def _figure_examples() -> Msg:
    return Msg("erwartet wird eine Zahl, wahlweise mit Genauigkeit: 120, rund 160, ca. 150, mehr als 200, über 200, "
               "bis zu 80, mindestens 30 oder eine Spanne 100–120 (was gezählt wird, sagt die Spalte)",
               "expected a number, optionally with its precision: 120, about 160, ca. 150, more than 200, "
               "up to 80, at least 30, or a range 100–120 (what is counted is the column's meaning)")


def parse_figure(value: CellValue, cell: Cell | None = None, *, whole: bool = True) -> Figure | None:
    """A figure cell → Figure; empty → None. `whole`: the column counts things (participants,
    municipalities), so `1,5` is an error; `1.000` is read as German thousands (1000) either way.
    A negative number, words without a number ("viele"), an open range ("200 bis"), a range whose
    upper bound is below its lower one, or words after the number are errors that say what is expected."""
    if value is None:
        return None
    if isinstance(value, (bool, datetime.date)):
        ex = _figure_examples()
        raise _fail(Msg(f"„{_shown(value)}“ ist keine Zahlenangabe; {ex.de}",
                        f"“{_shown(value)}” is not a figure; {ex.en}"), cell)
    if isinstance(value, (int, float)):
        text = str(int(value)) if isinstance(value, int) or value.is_integer() else repr(value)
        number = parse_decimal(value, cell)
        assert number is not None
        return _checked(Figure(number, None, "exact", text), value, cell, whole)
    text = normalize_text(str(value))
    if not text:
        return None
    if _NEGATIVE_RE.match(text):
        raise _fail(Msg(f"„{_shown(text)}“: eine Zahlenangabe kann nicht negativ sein",
                        f"“{_shown(text)}”: a figure cannot be negative"), cell)
    rest = _SPACE_THOUSANDS_RE.sub("", text)
    precision = "exact"
    low = rest.casefold()
    for word, p in _WORD_OF:
        if low.startswith(word) and (not word[-1].isalpha() or len(low) == len(word) or not low[len(word)].isalpha()):
            precision, rest = p, rest[len(word):].strip()
            break
    ex = _figure_examples()
    m = _RANGE_RE.fullmatch(rest)
    if m and precision in ("exact", "approximately"):
        low_value = parse_decimal(m["a"], cell)
        high_value = parse_decimal(m["b"], cell)
        assert low_value is not None and high_value is not None
        if high_value < low_value:
            raise _fail(Msg(f"„{_shown(text)}“: die Obergrenze der Spanne ist kleiner als die Untergrenze",
                            f"“{_shown(text)}”: the range's upper bound is below its lower bound"), cell)
        return _checked(Figure(low_value, high_value, precision, text), text, cell, whole)
    if _OPEN_RANGE_RE.fullmatch(rest):
        raise _fail(Msg(f"„{_shown(text)}“: der Spanne fehlt die Obergrenze; {ex.de}",
                        f"“{_shown(text)}”: the range has no upper bound; {ex.en}"), cell)
    if not re.fullmatch(_NUM, rest):
        raise _fail(Msg(f"„{_shown(text)}“ ist keine Zahlenangabe; {ex.de}",
                        f"“{_shown(text)}” is not a figure; {ex.en}"), cell)
    if whole and re.fullmatch(r"\d{1,3}(?:,\d{3})+", rest):
        raise _fail(Msg(f"„{_shown(text)}“ ist mehrdeutig: tausend wird „1.000“ oder „1000“ geschrieben, "
                        "das Komma trennt Nachkommastellen",
                        f"“{_shown(text)}” is ambiguous: write a thousand as “1.000” or “1000”; the comma is "
                        "the decimal mark"), cell)
    number = parse_decimal(rest, cell)
    assert number is not None
    return _checked(Figure(number, None, precision, text), text, cell, whole)


def _checked(figure: Figure, shown: CellValue, cell: Cell | None, whole: bool) -> Figure:
    for n in (figure.value, figure.max_value):
        if n is not None and n < 0:
            raise _fail(Msg(f"„{_shown(shown)}“: eine Zahlenangabe kann nicht negativ sein",
                            f"“{_shown(shown)}”: a figure cannot be negative"), cell)
        if whole and n is not None and n != n.to_integral_value():
            raise _fail(Msg(f"„{_shown(shown)}“ ist keine ganze Zahl; gezählt wird hier in ganzen Zahlen "
                            "(„1.000“ ist tausend)",
                            f"“{_shown(shown)}” is not a whole number; this column counts in whole numbers "
                            "(“1.000” is a thousand)"), cell)
    return figure


_REBUILT = {"de": {"approximately": "rund ", "more-than": "mehr als ", "up-to": "bis zu ", "at-least": "mindestens "},
            "en": {"approximately": "about ", "more-than": "more than ", "up-to": "up to ", "at-least": "at least "}}


def _number_text(n: Decimal, lang: str) -> str:
    if n == n.to_integral_value():
        return str(int(n))
    s = str(n.normalize())
    return s.replace(".", ",") if lang == "de" else s


def figure_text(value: Decimal, max_value: Decimal | None, precision: str, lang: str = "de") -> str:
    """A cell text that parse_figure reads back as the same figure: "rund 160", "100–120",
    "mehr als 200" (or in English "about 160", …); for a figure whose evidence is not a cell."""
    number = _number_text(value, lang)
    if max_value is not None:
        number += "–" + _number_text(max_value, lang)
    return _REBUILT.get(lang, _REBUILT["de"]).get(precision, "") + number
