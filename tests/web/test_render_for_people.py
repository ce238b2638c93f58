"""Literals written for people (kg/web/render/pages.py): numbers, dates, no datatypes."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg.rdf import XSD
from kg.web.render.pages import format_date, format_number, literal_html, literal_text


@pytest.mark.parametrize(("text", "de", "en"), [
    ("603462", "603.462", "603,462"), ("761.32", "761,32", "761.32"), ("7", "7", "7"),
    ("-1200", "-1.200", "-1,200"), ("1234567.5", "1.234.567,5", "1,234,567.5"), ("abc", "abc", "abc"),
])
def test_numbers(text: str, de: str, en: str) -> None:
    assert format_number(text, "de") == de and format_number(text, "en") == en


@pytest.mark.parametrize(("text", "dt", "de", "en"), [
    ("2013-07-15", "date", "15. Juli 2013", "15 July 2013"),
    ("2021", "gYear", "2021", "2021"),
    ("2019-09", "gYearMonth", "September 2019", "September 2019"),
    ("2024-12-31T10:30:00Z", "dateTime", "31. Dezember 2024, 10:30 Uhr", "31 December 2024, 10:30"),
    ("2013-13-01", "date", "2013-13-01", "2013-13-01"),  # not a date: shown as it is
])
def test_dates(text: str, dt: str, de: str, en: str) -> None:
    assert format_date(text, XSD + dt, "de") == de and format_date(text, XSD + dt, "en") == en


def test_no_datatype_on_the_page() -> None:
    lit = ox.Literal("603462", datatype=ox.NamedNode(XSD + "integer"))
    assert literal_html(lit, "de") == "603.462"
    assert "xsd" not in literal_html(ox.Literal("2021", datatype=ox.NamedNode(XSD + "gYear")), "de")
    assert literal_text(ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean")), "de") == "ja"
    # a language other than the page's is marked for screen readers and shown as a small tag
    assert literal_html(ox.Literal("Expert day", language="en"), "de") == (
        '<span lang="en">Expert day</span><span class="lang">en</span>')
    assert literal_html(ox.Literal("Fachtag", language="de"), "de") == "Fachtag"
