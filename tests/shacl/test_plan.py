"""Which plan the native engine chooses, and that its timing breakdown says so: on small data
the property shapes are checked focus-first; with scan_min_focus=0 every predicate path is
scanned once for all shapes using it (what large data gets). Results of both plans are compared
with pyshacl in test_differential; here only the choice and the profile output are checked."""

from __future__ import annotations

import re

import pytest
import rdflib

from kg.shacl.engine import validate_graphs

PREFIX = """@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> ."""
DATA = PREFIX + """
ex:a a ex:T ; ex:n 1 , 2 ; ex:s ex:src . ex:b a ex:T ; ex:n "x" ; ex:s ex:src . ex:c a ex:T .
ex:src a ex:Source .
"""
SHAPES = PREFIX + """
ex:S a sh:NodeShape ; sh:targetClass ex:T ;
    sh:property [ sh:path ex:n ; sh:datatype xsd:integer ; sh:maxCount 1 ] ,
                [ sh:path ex:s ; sh:minCount 1 ; sh:class ex:Source ] .
"""


def _steps(scan_min_focus: int | None) -> tuple[dict[str, float], int]:
    data = rdflib.Graph().parse(data=DATA, format="turtle")
    shapes = rdflib.Graph().parse(data=SHAPES, format="turtle")
    rep = validate_graphs(data, shapes, scan_min_focus=scan_min_focus)
    note = next(n for n in rep.notes if n.startswith("native engine:"))
    steps = {k: float(v) for k, v in re.findall(r"([a-z-]+) (\d+\.\d+)", note.split("CPU s by step:")[1])}
    return steps, len(rep.results)


def test_small_data_is_checked_focus_first() -> None:
    steps, n = _steps(None)
    assert "values" in steps and "counts" in steps
    assert not any(k.startswith("scan-values") for k in steps)
    assert n == 3  # ex:a two values, ex:b "x", ex:c no ex:s


def test_forced_scan_plan_scans_paths_and_finds_the_same_number_of_results() -> None:
    steps, n = _steps(0)
    assert any(k.startswith("scan-values") for k in steps) and "min" in steps and "max-probe" in steps
    assert "values" not in steps and "counts" not in steps
    assert n == 3


def test_profile_table_on_stderr(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HILFENETZ_SHACL_PROFILE", "1")
    _steps(0)
    err = capsys.readouterr().err
    assert "native SHACL run:" in err and "scan-values" in err and "min S" in err
