"""The real `kg` command in a subprocess: build, query formats, stats, validate, help, errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import rdflib

ID = "https://w3id.org/hilfenetz/id/"
SUBCOMMANDS = ("build", "validate", "query", "stats")


@pytest.fixture(scope="module")
def cli_store(tmp_path_factory: pytest.TempPathFactory, mini_project_source: Path, run_kg) -> tuple[Path, Path]:
    """(project, store) — the mini project built once by `kg build` for the read-only tests."""
    import shutil

    root = tmp_path_factory.mktemp("cli")
    project = root / "project"
    shutil.copytree(mini_project_source, project)
    store = root / "var" / "store"
    res = run_kg("build", "--project", str(project), "--store", str(store))
    assert res.returncode == 0, res.stderr
    return project, store


def test_build_prints_graph_counts_and_progress(run_kg, mini_project: Path, tmp_path: Path) -> None:
    store = tmp_path / "s"
    res = run_kg("build", "--project", str(mini_project), "--store", str(store))
    assert res.returncode == 0, res.stderr
    assert "hnid:graph/source/demo | 18" in res.stdout
    for step in ("parse:", "load:", "validate:", "infer:", "swap:"):
        assert f"kg: {step}" in res.stderr
    assert (store / "CURRENT").is_file()


def test_build_uses_store_from_environment(run_kg, mini_project: Path, tmp_path: Path) -> None:
    store = tmp_path / "from-env"
    res = run_kg("build", "-q", "--project", str(mini_project), env={"HILFENETZ_STORE": str(store)})
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""
    assert (store / "CURRENT").is_file()


def test_build_syntax_error_names_file_line_column(run_kg, mini_project: Path, tmp_path: Path) -> None:
    seed = mini_project / "data" / "seeds" / "demo.ttl"
    seed.write_text("@prefix hn: <https://w3id.org/hilfenetz/ontology#> .\n\nhn:a hn:b hn:c ;\n   ] .\n")
    res = run_kg("build", "-q", "--project", str(mini_project), "--store", str(tmp_path / "s"))
    assert res.returncode == 1
    assert "data/seeds/demo.ttl:4:4: syntax error:" in res.stderr
    assert "Traceback" not in res.stderr


def test_query_table_shortens_iris(run_kg, cli_store: tuple[Path, Path]) -> None:
    _project, store = cli_store
    res = run_kg("query", "--store", str(store),
                 "SELECT ?o ?l WHERE { ?o a hn:YouthWelfareOffice ; rdfs:label ?l }")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].split("|")[0].strip() == "o"
    assert lines[2].split("|")[0].strip() == "hnorg:jugendamt-dortmund"  # a prefixed name one can paste back (no "/")
    assert "Jugendamt Dortmund" in lines[2]
    assert lines[-1] == "(1 row)"


def test_query_json_is_standard_sparql_results(run_kg, cli_store: tuple[Path, Path]) -> None:
    _, store = cli_store
    res = run_kg("query", "--format", "json", "--store", str(store),
                 "SELECT ?o WHERE { ?o a org:Organization } ORDER BY ?o")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["head"]["vars"] == ["o"]
    assert [b["o"]["value"] for b in data["results"]["bindings"]] == [
        ID + "area/05913000", ID + "org/gesundheitsamt-dortmund", ID + "org/jugendamt-dortmund"]


@pytest.mark.parametrize(("fmt", "delimiter"), [("csv", ","), ("tsv", "\t")])
def test_query_csv_tsv_rows(run_kg, cli_store: tuple[Path, Path], fmt: str, delimiter: str) -> None:
    _, store = cli_store
    res = run_kg("query", "--format", fmt, "--store", str(store),
                 "SELECT ?a ?b WHERE { ?a hn:cooperatesWith ?b } ORDER BY ?a")
    assert res.returncode == 0, res.stderr
    rows = list(csv.reader(io.StringIO(res.stdout), delimiter=delimiter))
    assert len(rows) == 3
    if fmt == "csv":
        assert rows[0] == ["a", "b"]
        assert rows[1] == [ID + "org/gesundheitsamt-dortmund", ID + "org/jugendamt-dortmund"]
    else:  # SPARQL TSV writes terms in Turtle syntax
        assert rows[0] == ["?a", "?b"]
        assert rows[1] == [f"<{ID}org/gesundheitsamt-dortmund>", f"<{ID}org/jugendamt-dortmund>"]


def test_query_construct_gives_turtle(run_kg, cli_store: tuple[Path, Path]) -> None:
    _, store = cli_store
    res = run_kg("query", "--store", str(store),
                 "CONSTRUCT { ?o a org:Organization } WHERE { ?o a org:Organization }")
    assert res.returncode == 0, res.stderr
    g = rdflib.Graph().parse(data=res.stdout, format="turtle")
    assert len(g) == 3
    assert (rdflib.URIRef(ID + "org/jugendamt-dortmund"), rdflib.RDF.type,
            rdflib.URIRef("http://www.w3.org/ns/org#Organization")) in g


@pytest.mark.parametrize(("where", "expected"), [("?x a hn:Municipality", "true"), ("?x a hn:Programme", "false")])
def test_query_ask(run_kg, cli_store: tuple[Path, Path], where: str, expected: str) -> None:
    _, store = cli_store
    res = run_kg("query", "--store", str(store), f"ASK {{ {where} }}")
    assert (res.returncode, res.stdout.strip()) == (0, expected)
    res = run_kg("query", "--format", "json", "--store", str(store), f"ASK {{ {where} }}")
    assert json.loads(res.stdout)["boolean"] is (expected == "true")


def test_query_by_name_and_from_file(run_kg, cli_store: tuple[Path, Path], tmp_path: Path) -> None:
    project, store = cli_store
    by_name = run_kg("query", "--project", str(project), "--store", str(store), "--format", "csv", "organisations")
    assert by_name.returncode == 0, by_name.stderr
    assert [r[1] for r in csv.reader(io.StringIO(by_name.stdout))][1:] == [
        "Dortmund", "Gesundheitsamt Dortmund", "Jugendamt Dortmund"]
    qfile = tmp_path / "q.rq"
    qfile.write_text((project / "queries" / "organisations.rq").read_text())
    from_file = run_kg("query", "--store", str(store), "--format", "csv", "-f", str(qfile))
    assert from_file.stdout == by_name.stdout


def test_query_unknown_name_lists_available(run_kg, cli_store: tuple[Path, Path]) -> None:
    project, store = cli_store
    res = run_kg("query", "--project", str(project), "--store", str(store), "no-such-query")
    assert res.returncode == 1
    assert "no query named 'no-such-query'" in res.stderr and "organisations" in res.stderr


def test_query_syntax_error_exits_2_with_parser_message(run_kg, cli_store: tuple[Path, Path]) -> None:
    _, store = cli_store
    res = run_kg("query", "--store", str(store), "SELECT ?x WHERE { ?x a }")
    assert res.returncode == 2
    assert "SPARQL syntax error" in res.stderr and "1:" in res.stderr
    assert res.stdout == "" and "Traceback" not in res.stderr


def test_query_without_store_says_run_build(run_kg, tmp_path: Path) -> None:
    res = run_kg("query", "ASK {}", cwd=tmp_path)
    assert res.returncode == 1
    assert res.stderr.strip() == "kg: error: no store at var/store — run `kg build` first"


def test_stats_json_counts_graphs_and_classes(run_kg, cli_store: tuple[Path, Path]) -> None:
    _, store = cli_store
    res = run_kg("stats", "--format", "json", "--store", str(store))
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["graphs"][ID + "graph/source/demo"] == 18
    assert data["total_triples"] == sum(data["graphs"].values())
    assert data["classes"]["http://www.w3.org/ns/org#Organization"] == 3
    assert data["classes"]["https://w3id.org/hilfenetz/ontology#YouthWelfareOffice"] == 1


def test_stats_table(run_kg, cli_store: tuple[Path, Path]) -> None:
    _, store = cli_store
    res = run_kg("stats", "--store", str(store), "--top", "3")
    assert res.returncode == 0, res.stderr
    assert "hnid:graph/source/demo | 18" in res.stdout
    class_rows = res.stdout.split("class")[1].splitlines()
    assert class_rows[-1] == "(3 rows)"


def test_validate_conforming_fixture_exits_0(run_kg, mini_project: Path) -> None:
    res = run_kg("validate", "-q", "--project", str(mini_project))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "The data conforms" in res.stdout


def test_validate_violation_exits_1_with_both_languages(run_kg, mini_project: Path) -> None:
    seed = mini_project / "data" / "seeds" / "demo.ttl"
    seed.write_text(seed.read_text() + "\norg:ohne-name a hn:YouthWelfareOffice ; hn:statedIn src:demo .\n")
    res = run_kg("validate", "-q", "--project", str(mini_project))
    assert res.returncode == 1
    out = res.stdout
    assert "hnorg:ohne-name" in out
    assert "rdfs:label" in out
    assert "Mindestanzahl / minimum count" in out
    assert "de: Eine Organisation braucht einen Namen (rdfs:label)." in out
    assert "en: An organisation needs a name (rdfs:label)." in out
    only_en = run_kg("validate", "-q", "--lang", "en", "--project", str(mini_project))
    assert "An organisation needs a name" in only_en.stdout and "Eine Organisation" not in only_en.stdout


def test_validate_json_and_turtle_reports(run_kg, mini_project: Path) -> None:
    seed = mini_project / "data" / "seeds" / "demo.ttl"
    seed.write_text(seed.read_text() + "\norg:ohne-name a hn:YouthWelfareOffice ; hn:statedIn src:demo .\n")
    res = run_kg("validate", "-q", "--format", "json", "--project", str(mini_project))
    assert res.returncode == 1
    data = json.loads(res.stdout)
    assert data["conforms"] is False
    (result,) = data["results"]
    assert (result["focus_node"], result["result_path"], result["severity"]) == (
        "hnorg:ohne-name", "rdfs:label", "Violation")
    res = run_kg("validate", "-q", "--format", "turtle", "--project", str(mini_project))
    g = rdflib.Graph().parse(data=res.stdout, format="turtle")
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    assert (None, sh.conforms, rdflib.Literal(False)) in g
    assert set(g.objects(None, sh.focusNode)) == {rdflib.URIRef(ID + "org/ohne-name")}


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_subcommand_has_help(run_kg, command: str) -> None:
    res = run_kg(command, "--help")
    assert res.returncode == 0
    assert res.stdout.startswith(f"usage: kg {command}")
    assert len(res.stdout.splitlines()) > 5


def test_top_level_help_lists_subcommands(run_kg) -> None:
    res = run_kg("--help")
    assert res.returncode == 0
    for command in SUBCOMMANDS:
        assert command in res.stdout


@pytest.mark.slow
def test_validate_real_project_conforms(run_kg) -> None:
    root = Path(__file__).resolve().parents[2]
    # the default engine (native); tests/shacl/test_real_store.py checks pyshacl agrees on the real store
    res = run_kg("validate", "-q", "--no-cache", "--project", str(root))
    assert res.returncode == 0, res.stdout[-4000:]


# ----------------------------------------------------------------------------- table formatting

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from kg.query.output import _width, render_table, short_iri  # noqa: E402

_cells = st.text(alphabet=st.sampled_from(list("abcXYZ äöüß–…Köln 0123")), max_size=12)


@settings(max_examples=50, deadline=None)
@given(rows=st.lists(st.lists(_cells, min_size=3, max_size=3), max_size=6))
def test_table_columns_line_up(rows: list[list[str]]) -> None:
    """Every column separator sits at the same display column in the header and every row."""
    text = render_table(["a", "bb", "ccc"], rows)
    lines = text.splitlines()
    assert lines[-1] == f"({len(rows)} row{'s' if len(rows) != 1 else ''})"

    def seps(line: str, ch: str) -> list[int]:
        out, col = [], 0
        for c in line:
            if c == ch:
                out.append(col)
            col += _width(c)
        return out

    rule = seps(lines[1], "+")
    assert len(rule) == 2
    for line in [lines[0], *lines[2:-1]]:
        assert seps(line, "|")[:2] == rule  # "x | y" over "--+--": | and + share a column


def test_short_iri_uses_longest_prefix() -> None:
    assert short_iri("https://w3id.org/hilfenetz/id/org/lvr") == "hnorg:lvr"
    assert short_iri("https://w3id.org/hilfenetz/id/graph/build") == "hnid:graph/build"
    assert short_iri("https://w3id.org/hilfenetz/ontology#Offer") == "hn:Offer"
    assert short_iri("http://example.org/x") == "http://example.org/x"
