"""Source discovery (path → graph, docs/model.md) and syntax errors with exact positions."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg import rdf as ns
from kg.errors import KgError, SourceSyntaxError
from kg.graph.sources import discover, parse_file, parse_project

PREFIX = "@prefix ex: <http://example.org/> .\n"


def _write(root: Path, rel: str, text: str) -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


def test_discover_maps_every_path_to_its_graph(tmp_path: Path) -> None:
    triple = PREFIX + "ex:a ex:b ex:c .\n"
    for rel in ("ontology/agents.ttl", "ontology/alignment.ttl", "ontology/schemes/role.ttl",
                "ontology/shapes/core.ttl", "data/sources.ttl", "data/seeds/abgestimmte-hilfen.ttl",
                "data/reference/statutes.ttl", "data/reference/notes.txt", "ontology/README.md"):
        _write(tmp_path, rel, triple)
    found = {s.display: s.graph for s in discover(tmp_path)}
    assert found == {
        "ontology/agents.ttl": ns.GRAPH_ONTOLOGY,
        "ontology/alignment.ttl": ns.GRAPH_ALIGNMENT,
        "ontology/schemes/role.ttl": ns.GRAPH_SCHEMES,
        "ontology/shapes/core.ttl": ns.GRAPH_SHAPES,
        "data/sources.ttl": ns.GRAPH_SOURCES,
        "data/seeds/abgestimmte-hilfen.ttl": ns.HNID + "graph/source/abgestimmte-hilfen",
        "data/reference/statutes.ttl": ns.GRAPH_REFERENCE_STATUTES,
    }


def test_discover_on_empty_directory_finds_nothing(tmp_path: Path) -> None:
    assert discover(tmp_path) == []


def test_seed_file_name_must_be_a_slug(tmp_path: Path) -> None:
    _write(tmp_path, "data/seeds/Bad_Name.ttl", PREFIX)
    with pytest.raises(KgError, match=r"Bad_Name\.ttl.*slug"):
        discover(tmp_path)


def test_quads_land_in_the_graph_of_their_file(tmp_path: Path) -> None:
    _write(tmp_path, "data/seeds/demo.ttl", PREFIX + "ex:a ex:b ex:c , ex:d .\n")
    (parsed,) = parse_project(tmp_path)
    assert len(parsed.quads) == 2
    assert {q.graph_name.value for q in parsed.quads} == {ns.source_graph("demo")}


def test_blank_nodes_of_two_files_stay_distinct(tmp_path: Path) -> None:
    _write(tmp_path, "ontology/a.ttl", PREFIX + "_:b0 ex:p 1 .\n")
    _write(tmp_path, "ontology/b.ttl", PREFIX + "_:b0 ex:p 2 .\n")
    a, b = parse_project(tmp_path)
    assert a.quads[0].subject != b.quads[0].subject


# (file content, expected line, expected column) — columns are 1-based characters, umlauts count once
TURTLE_ERRORS = [
    (PREFIX + "ex:a ex:b ex:c .\nex:d ex:e ] .\n", 3, 11),
    (PREFIX + "ex:a ex:b \"Köln Düsseldorf\" ; ex:c ] .\n", 2, 36),
    (PREFIX + "\n\n   ex:a ex:b ex:c ;\n      ex:d ] .\n", 5, 12),
    ("ex:a ex:b ex:c .\n", 1, 1),  # undeclared prefix
    (PREFIX + "ex:a ex:b \"x\"@de-1234567890 .\n", 2, 15),  # bad language tag
    (PREFIX + "<not an iri> ex:b ex:c .\n", 2, 1),
]


@pytest.mark.parametrize(("text", "line", "column"), TURTLE_ERRORS)
def test_turtle_syntax_error_position(tmp_path: Path, text: str, line: int, column: int) -> None:
    path = _write(tmp_path, "data/seeds/broken.ttl", text)
    with pytest.raises(SourceSyntaxError) as info:
        parse_project(tmp_path)
    err = info.value
    assert (err.line, err.column) == (line, column)
    assert err.path == Path("data/seeds/broken.ttl")
    assert str(err).startswith(f"data/seeds/broken.ttl:{line}:{column}: syntax error: ")
    assert path.is_file()


def test_unterminated_string_reports_where_it_starts(tmp_path: Path) -> None:
    _write(tmp_path, "data/sources.ttl", PREFIX + "ex:a ex:b ex:c .\n  ex:d ex:e \"open .\n")
    with pytest.raises(SourceSyntaxError) as info:
        parse_project(tmp_path)
    assert (info.value.line, info.value.column) == (3, 13)
    assert "end of file" in info.value.message.lower()


def test_invalid_utf8_is_a_syntax_error_with_position(tmp_path: Path) -> None:
    p = tmp_path / "data" / "seeds" / "binary.ttl"
    p.parent.mkdir(parents=True)
    p.write_bytes(PREFIX.encode() + b"ex:a ex:b \"\xff\" .\n")
    with pytest.raises(SourceSyntaxError) as info:
        parse_project(tmp_path)
    assert info.value.line == 2
    assert "UTF-8" in info.value.message


TRIG_ERRORS = [
    ("<http://g> { <http://a> <http://b> <http://c> .\n <x y> <http://b> <http://c> }\n", 2, 2),
    (PREFIX + "ex:g {\n  ex:a ex:b ex:c .\n  ex:a ex:b ] .\n}\n", 4, 13),
]


@pytest.mark.parametrize(("text", "line", "column"), TRIG_ERRORS)
def test_trig_syntax_error_position(tmp_path: Path, text: str, line: int, column: int) -> None:
    path = _write(tmp_path, "x.trig", text)
    with pytest.raises(SourceSyntaxError) as info:
        parse_file(path, ns.GRAPH_SOURCES, "x.trig")
    assert (info.value.line, info.value.column) == (line, column)


def test_trig_default_graph_goes_to_file_graph_and_named_graphs_keep_names(tmp_path: Path) -> None:
    path = _write(tmp_path, "x.trig", PREFIX + "ex:a ex:b ex:c .\nex:g { ex:d ex:e ex:f . }\n")
    quads = parse_file(path, ns.GRAPH_SOURCES)
    assert sorted(q.graph_name.value for q in quads) == ["http://example.org/g", ns.GRAPH_SOURCES]


@settings(max_examples=25, deadline=None)
@given(
    n_before=st.integers(min_value=0, max_value=12),
    indent=st.integers(min_value=0, max_value=8),
    word=st.sampled_from(["ex:p", "ex:långer", "ex:x-y"]),
)
def test_error_position_property(tmp_path_factory: pytest.TempPathFactory, n_before: int, indent: int,
                                 word: str) -> None:
    """A stray `]` after n valid statements is reported on its own line and column."""
    root = tmp_path_factory.mktemp("prop")
    lines = [PREFIX.rstrip("\n")] + [f"ex:s{i} {word} \"Wert {i}\" ." for i in range(n_before)]
    bad = " " * indent + f"ex:s {word} ] ."
    lines.append(bad)
    _write(root, "data/seeds/prop.ttl", "\n".join(lines) + "\n")
    with pytest.raises(SourceSyntaxError) as info:
        parse_project(root)
    assert info.value.line == n_before + 2
    assert info.value.column == bad.index("]") + 1
