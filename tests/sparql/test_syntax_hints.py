"""A prefixed name with '/' in its local part (`hnid:area/05562004`) is explained, in English and
German, instead of the parser's character classes; the per-type prefixes of the data files
(`area:`, `prog:`, …) are predeclared, so `area:05562004` works without PREFIX.

The CLI tests run the real `kg query` on the store built from the real project (reference data
included): 05562004 is Castrop-Rauxel, a town of Kreis Recklinghausen (05562)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from kg.rdf import HNID, PREFIXES
from kg.sparql.text import explain_syntax_error

ROOT = Path(__file__).resolve().parents[2]
AREA = HNID + "area/"
SLASH_EN = ("hnid:area/05562004: '/' is not allowed in a prefixed name's local part; "
            f"write <{AREA}05562004> or area:05562004")
SLASH_DE = ("hnid:area/05562004: '/' ist im lokalen Teil eines Präfixnamens nicht erlaubt; "
            f"schreiben Sie <{AREA}05562004> oder area:05562004")


@pytest.mark.parametrize(("query", "line", "column"), [
    ("SELECT * WHERE { hnid:area/05562004 ?p ?o }", 1, 18),  # subject: the parser stops at the '/'
    ("SELECT * WHERE {\n  ?s ?p hnid:area/05562004 .\n}", 2, 9),  # object: it stops somewhere after
    ("SELECT * WHERE { ?s ?p hnid:area/05562004 ; ?q ?r }", 1, 24),
])
def test_slashed_name_is_explained_with_both_ways_to_write_it(query: str, line: int, column: int) -> None:
    hint = explain_syntax_error(query, PREFIXES)
    assert hint is not None
    assert (hint.en, hint.de, hint.line, hint.column) == (SLASH_EN, SLASH_DE, line, column)


def test_deeper_slashes_query_prefixes_and_unknown_prefixes() -> None:
    hint = explain_syntax_error("SELECT * { ?s ?p hnid:concept/topic/fruehe-hilfen }", PREFIXES)
    assert hint is not None and hint.en.endswith(f"write <{HNID}concept/topic/fruehe-hilfen> or topic:fruehe-hilfen")
    hint = explain_syntax_error("SELECT * { ?s ?p hnid:org/x/y }", PREFIXES)  # no prefix fits: the IRI only
    assert hint is not None and hint.en.endswith(f"write <{HNID}org/x/y>")
    hint = explain_syntax_error("PREFIX e: <http://e.example/> SELECT * { e:a/b ?p zz:c/d }", {})
    assert hint is not None
    assert hint.en == ("e:a/b: '/' is not allowed in a prefixed name's local part; write <http://e.example/a/b>; "
                       "zz:c/d: '/' is not allowed in a prefixed name's local part, and the prefix zz: is not "
                       "declared; write the full IRI in <…>")
    assert "zz:c/d: '/' ist im lokalen Teil" in hint.de


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { ?s hn:areaServed/rdfs:label ?o }",  # a sequence path
    "SELECT * WHERE { ?s hn:partOf/a ?c }",
    'SELECT * WHERE { ?s ?p "hnid:area/05562004" } # hnid:area/05562004',  # in a string and a comment
    "SELECT * WHERE { <http://x.example/hnid:area/1> ?p ?o }",  # inside an IRI
    "SELECT * WHERE { ?s ?p ?o ; }",  # another error altogether
])
def test_no_hint_without_a_slashed_name(query: str) -> None:
    assert explain_syntax_error(query, PREFIXES) is None


def test_per_type_prefixes_of_the_data_files_are_predeclared() -> None:
    """Every prefix the data files declare for entities (a folder under hnid:) in more than one
    file is in kg.rdf.PREFIXES, and no data file binds a prefix of the table to another IRI."""
    seen: dict[tuple[str, str], set[str]] = {}
    files = [p for d in ("data", "ontology") for p in (ROOT / d).rglob("*") if p.suffix in (".ttl", ".trig")]
    for f in files:
        for prefix, iri in re.findall(r"@prefix\s+([\w-]*):\s*<([^>]*)>", f.read_text(encoding="utf-8")):
            assert PREFIXES.get(prefix, iri) == iri, f"{f}: {prefix}: is {iri}, the table says {PREFIXES[prefix]}"
            seen.setdefault((prefix, iri), set()).add(f.name)
    shared = {(prefix, iri) for (prefix, iri), fs in seen.items() if len(fs) > 1}
    entity = {prefix for prefix, iri in shared if re.fullmatch(re.escape(HNID) + r"[\w/-]+/", iri)}
    assert {"area", "prog", "event", "offer", "hnorg", "topic", "tg"} <= entity
    assert [prefix for prefix, _ in sorted(shared) if prefix not in PREFIXES] == []


def test_kg_query_with_area_prefix_gives_kreis_recklinghausen(run_kg, built_store: Path) -> None:
    res = run_kg("query", "--store", str(built_store), "--format", "csv",
                 "SELECT ?kreis ?name WHERE { area:05562004 hn:partOf ?kreis . ?kreis skos:altLabel ?name }")
    assert res.returncode == 0, res.stderr
    assert list(csv.DictReader(io.StringIO(res.stdout))) == [{"kreis": AREA + "05562", "name": "Kreis Recklinghausen"}]


def test_kg_query_with_slashed_name_explains_and_exits_2(run_kg, built_store: Path) -> None:
    res = run_kg("query", "--store", str(built_store), "SELECT ?kreis WHERE { hnid:area/05562004 hn:partOf ?kreis }")
    assert res.returncode == 2
    assert res.stdout == ""
    assert f"SPARQL syntax error: error at 1:23: {SLASH_EN}\n" in res.stderr
    assert f"SPARQL-Syntaxfehler: {SLASH_DE}\n" in res.stderr
    assert "'A' ..= 'Z'" not in res.stderr and "Traceback" not in res.stderr
