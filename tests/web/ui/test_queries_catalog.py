"""The example-query catalog: header parsing, prefix completion, and the project's own queries."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.rdf import PREFIXES
from kg.sparql.catalog import (
    load_example,
    load_examples,
    parse_header,
    split_header,
    with_prefixes,
)

PROJECT_QUERIES = Path(__file__).resolve().parents[3] / "queries"

SAMPLE = """# title: Programmes
# title@de: Programme
# description: All programmes
#   and their labels.
# description@de: Alle Programme.
# param: land — AGS of the Land
# source: hand-written
SELECT ?p ?l WHERE { ?p a hn:Programme ; rdfs:label ?l . FILTER(?l != "skos:x") } # dct:y
"""


def test_parse_header_languages_continuations_params() -> None:
    langs, params, extra = parse_header(SAMPLE)
    assert langs["title"] == {"en": "Programmes", "de": "Programme"}
    assert langs["description"] == {"en": "All programmes and their labels.", "de": "Alle Programme."}
    assert params == ("land — AGS of the Land",)
    assert extra == {"source": "hand-written"}


def test_split_header_is_exact() -> None:
    head, body = split_header(SAMPLE)
    assert head + body == SAMPLE
    assert body.startswith("SELECT")


def test_with_prefixes_adds_only_missing_used_prefixes() -> None:
    text = with_prefixes(SAMPLE)
    head, body = split_header(text)
    assert head == split_header(SAMPLE)[0]
    assert body.startswith(f"PREFIX hn: <{PREFIXES['hn']}>\nPREFIX rdfs: <{PREFIXES['rdfs']}>\nSELECT")
    assert "PREFIX skos:" not in text and "PREFIX dct:" not in text  # only inside a string / comment
    declared = "PREFIX hn: <urn:x#>\nSELECT * { ?s a hn:X }"
    assert with_prefixes(declared) == declared
    # the completed query parses on its own
    ox.Store().query(text)


def test_load_examples(tmp_path: Path) -> None:
    (tmp_path / "b.rq").write_text(SAMPLE, encoding="utf-8")
    (tmp_path / "a.rq").write_text("ASK { ?s ?p ?o }\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("ignored", encoding="utf-8")
    items = load_examples(tmp_path)
    assert [q.name for q in items] == ["a", "b"]
    a = items[0].to_json()
    assert a["title"] == {"de": "a", "en": "a"} and a["form"] == "ASK"
    b = items[1].to_json()
    assert b["title"] == {"de": "Programme", "en": "Programmes"} and b["form"] == "SELECT"
    assert b["params"] == ["land — AGS of the Land"]
    assert load_examples(tmp_path / "missing") == []


@pytest.mark.parametrize("path", sorted(PROJECT_QUERIES.glob("*.rq")), ids=lambda p: p.name)
def test_project_queries_have_titles_and_parse(path: Path) -> None:
    """Every shipped example has an English and a German title and parses with the shared prefixes
    (parameters have defaults in the text, so parameterised examples parse as they are)."""
    ex = load_example(path)
    assert ex.title.get("en") and ex.title.get("de"), f"{path.name}: '# title:' and '# title@de:' required"
    assert ex.query_form in ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE")
    ox.Store().query(with_prefixes(ex.text))
