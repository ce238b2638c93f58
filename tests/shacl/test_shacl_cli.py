"""`kg shacl DATA SHAPES`: Turtle report on stdout, exit 0 conforms / 1 not / 2 failure; relative
IRIs resolved against each file's own URI; external suites can drive it (W3C runner, --command)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import rdflib

from kg.shacl.report import SH

ROOT = Path(__file__).resolve().parents[2]
RUNNER = ROOT.parent / "shared" / "conformance" / "run_shacl_suite.py"

SHAPES = """@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
<#S> a sh:NodeShape ; sh:targetClass ex:C ; sh:property <#P> . <#P> sh:path ex:p ; sh:minCount 1 ."""
GOOD = """@prefix ex: <http://example.org/> . <a> a ex:C ; ex:p 1 ."""
BAD = """@prefix ex: <http://example.org/> . <a> a ex:C ."""


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kg.cli", "shacl", *args], cwd=ROOT,
                          check=False, capture_output=True, text=True, timeout=120)


def test_conforming_exit_0_and_turtle(tmp_path: Path) -> None:
    (tmp_path / "s.ttl").write_text(SHAPES)
    (tmp_path / "d.ttl").write_text(GOOD)
    p = _run(str(tmp_path / "d.ttl"), str(tmp_path / "s.ttl"))
    assert p.returncode == 0, p.stderr
    g = rdflib.Graph().parse(data=p.stdout, format="turtle")
    assert (None, SH.conforms, rdflib.Literal(True)) in g


def test_violation_exit_1_relative_iris_per_file(tmp_path: Path) -> None:
    (tmp_path / "s.ttl").write_text(SHAPES)
    (tmp_path / "d.ttl").write_text(BAD)
    p = _run(str(tmp_path / "d.ttl"), str(tmp_path / "s.ttl"))
    assert p.returncode == 1, p.stderr
    g = rdflib.Graph().parse(data=p.stdout, format="turtle")
    res = next(g.objects(None, SH.result))
    assert g.value(res, SH.focusNode) == rdflib.URIRef((tmp_path / "d.ttl").as_uri().rsplit("/", 1)[0] + "/a")
    assert g.value(res, SH.sourceShape) == rdflib.URIRef((tmp_path / "s.ttl").as_uri() + "#P")


def test_broken_shapes_exit_2(tmp_path: Path) -> None:
    (tmp_path / "s.ttl").write_text("this is not turtle")
    (tmp_path / "d.ttl").write_text(GOOD)
    p = _run(str(tmp_path / "d.ttl"), str(tmp_path / "s.ttl"))
    assert p.returncode == 2
    assert "validation failed" in p.stderr


@pytest.mark.skipif(not RUNNER.exists(), reason=f"W3C SHACL suite runner not found at {RUNNER}")
@pytest.mark.parametrize("folder", ["core/misc", "core/targets"])
def test_w3c_suite_through_the_command(folder: str, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    p = subprocess.run([sys.executable, str(RUNNER), "--folder", folder, "--json", str(out), "--command",
                        f"{sys.executable} -m kg.cli shacl {{data}} {{shapes}}"],
                       cwd=ROOT, check=False, capture_output=True, text=True, timeout=600)
    data = json.loads(out.read_text())
    assert all(t["full"] for t in data["tests"]), p.stdout[-2000:]
