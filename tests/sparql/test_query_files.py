"""Query files: every file in queries/ loads (header, typed params, SPARQL), and a broken file is
an error naming the file and the parser's message — in the loader, the checker and the API
router (which then refuses to start) — never a query that silently disappears."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kg.sparql.params import (
    QueryFileError,
    check_query_files,
    load_named_queries,
    parse_param,
)

QUERIES = Path(__file__).resolve().parents[2] / "queries"

GOOD = """# title: T
# title@de: T
# description: d
# description@de: d
# param: x iri(hn:Programme) - <https://w3id.org/hilfenetz/id/programme/kips-praevention-nrw>
PREFIX hn: <https://w3id.org/hilfenetz/ontology#>
SELECT ?x WHERE { ?p hn:participationIn ?x }
"""


def test_all_project_queries_load() -> None:
    assert check_query_files(QUERIES) == []
    queries = load_named_queries(QUERIES)
    assert len(queries) == len(list(QUERIES.glob("*.rq")))
    typed = {q.name for q in queries if q.bindable}
    assert {"municipality-programmes", "event-organisers-speakers", "actor-cooperation-partners",
            "actors-in-two-programmes", "offers-by-municipality", "prevention-chain-gaps", "cross-sector-links",
            "funding", "statement-sources"} <= typed


@pytest.mark.parametrize("text,needle", [
    (GOOD.replace("SELECT ?x WHERE {", "SELECT ?x WHERE {{"), "SPARQL syntax error"),
    (GOOD.replace("iri(hn:Programme)", "iri(nope:Programme)"), "not a known CURIE"),
    (GOOD.replace("iri(hn:Programme)", "float"), "unknown parameter type"),
    (GOOD.replace("SELECT ?x WHERE", "SELECT ?p WHERE"), "projection"),
    (GOOD.replace("# title@de: T\n", ""), "title@de"),
    (GOOD.replace("{ ?p hn:participationIn ?x }", "{ ?p hn:participationIn ?y BIND(?y AS ?x) }"), "AS"),
])
def test_broken_file_is_reported_with_file_and_message(tmp_path: Path, text: str, needle: str) -> None:
    (tmp_path / "ok.rq").write_text(GOOD, encoding="utf-8")
    bad = tmp_path / "broken.rq"
    bad.write_text(text, encoding="utf-8")
    problems = check_query_files(tmp_path)
    assert [p.path for p in problems] == [bad]
    assert needle in problems[0].message
    assert str(bad) in str(problems[0])
    with pytest.raises(QueryFileError) as info:
        load_named_queries(tmp_path)
    assert info.value.path == bad


def test_catalogue_refuses_a_broken_file(tmp_path: Path) -> None:
    from kg.query.named import load_catalogue

    shutil.copy(QUERIES / "funding.rq", tmp_path / "funding.rq")
    (tmp_path / "broken.rq").write_text(GOOD.replace("WHERE {", "WHERE {{"), encoding="utf-8")
    with pytest.raises(QueryFileError) as info:
        load_catalogue(tmp_path)
    assert info.value.path.name == "broken.rq"


def test_param_line_syntax() -> None:
    p = parse_param("fromYear integer - 2018")
    assert (p.name, p.type, p.default, p.example, p.bindable) == ("fromYear", "integer", None, "2018", True)
    p = parse_param("role concept(role) <https://w3id.org/hilfenetz/id/concept/role/speaker>")
    assert p.arg == "https://w3id.org/hilfenetz/id/concept/role" and p.default is not None
    p = parse_param("text string(80) - \"Gladbeck Stadt\"")
    assert p.max_length == 80 and p.example == '"Gladbeck Stadt"'
    legacy = parse_param("programme iri (all programmes) <https://w3id.org/hilfenetz/id/programme/x>")
    assert legacy.bindable is False  # old form: default fixed in a VALUES block, not bindable


def test_build_hook_lists_every_broken_file(tmp_path: Path) -> None:
    from kg.errors import KgError
    from kg.sparql.params import require_valid_query_files

    (tmp_path / "a.rq").write_text(GOOD.replace("WHERE {", "WHERE {{"), encoding="utf-8")
    (tmp_path / "b.rq").write_text(GOOD.replace("iri(hn:Programme)", "float"), encoding="utf-8")
    with pytest.raises(KgError) as info:
        require_valid_query_files(tmp_path)
    text = str(info.value)
    assert str(tmp_path / "a.rq") in text and "SPARQL syntax error" in text
    assert str(tmp_path / "b.rq") in text and "unknown parameter type" in text
    assert require_valid_query_files(QUERIES) == len(list(QUERIES.glob("*.rq")))


def test_app_does_not_start_without_a_broken_query(tmp_path: Path, built_store: Path) -> None:
    """With a broken file in {project}/queries, the served app must not quietly lack the API."""
    from kg.config import Settings
    from kg.web.app import create_app


    (tmp_path / "queries").mkdir()
    shutil.copy(QUERIES / "funding.rq", tmp_path / "queries" / "funding.rq")
    (tmp_path / "queries" / "broken.rq").write_text(GOOD.replace("WHERE {", "WHERE {{"), encoding="utf-8")
    with pytest.raises(QueryFileError) as info:
        create_app(Settings(store_path=built_store, project_root=tmp_path, workers=1))
    assert info.value.path.name == "broken.rq"
