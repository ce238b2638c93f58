"""The W3C SHACL Core test suite, run through its own runner (../shared/conformance), must pass
98 of 98 at the "full" level (isomorphic reports) with the compiled SPARQL plan (as configured, and
with the scan-first path queries forced on the suite's tiny data) and with the exact Python
evaluation alone. Skipped with a reason when the suite is not available."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CONFORMANCE = Path(__file__).resolve().parents[3] / "shared" / "conformance"
RUNNER = CONFORMANCE / "run_shacl_suite.py"
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not RUNNER.exists(), reason=f"W3C SHACL suite runner not found at {RUNNER}")


@pytest.mark.parametrize("func", ["validate_files", "validate_files_scan", "validate_files_exact"])
def test_w3c_core_full(func: str, tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    proc = subprocess.run(
        [sys.executable, str(RUNNER), "--folder", "core", "--require", "full",
         "--callable", f"kg.shacl.w3c_adapter:{func}", "--json", str(out)],
        cwd=ROOT, check=False, capture_output=True, text=True, timeout=600)
    data = json.loads(out.read_text())
    failed = [t["name"] for t in data["tests"] if not t["full"]]
    assert len(data["tests"]) == 98
    assert failed == [], proc.stdout[-3000:]
    assert proc.returncode == 0
