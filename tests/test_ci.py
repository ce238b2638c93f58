"""CI's own rules: `.ci/run` lints before it tests and ends with the README's test command, and
`.ci/typecheck` lets the mypy baseline only shrink (new findings and fixed-but-listed ones fail)."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import re
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _readme_test_command() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = [line for line in readme.splitlines() if line.startswith("python3 -m venv .venv") and "pytest" in line]
    assert len(commands) == 1, commands
    return commands[0]


def test_ci_run_lints_first_and_ends_with_the_readme_command() -> None:
    lines = [line for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    assert lines[-1] == _readme_test_command()
    assert "set -euo pipefail" in lines  # a linter's non-zero status ends the run
    steps = [".venv/bin/lint-imports", ".venv/bin/ruff check kg tests bench", ".venv/bin/python .ci/typecheck"]
    positions = [lines.index(step) for step in steps]
    assert positions == sorted(positions) and positions[-1] < len(lines) - 1


def _typecheck(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, baseline: list[str],
               findings: list[str]) -> ModuleType:
    loader = importlib.machinery.SourceFileLoader("ci_typecheck", str(ROOT / ".ci" / "typecheck"))
    spec = importlib.util.spec_from_loader("ci_typecheck", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    path = tmp_path / "mypy-baseline.txt"
    path.write_text("# header stays\n" + "".join(f"{b}\n" for b in baseline), encoding="utf-8")
    monkeypatch.setattr(module, "ROOT", tmp_path)
    monkeypatch.setattr(module, "BASELINE", path)
    output = "\n".join(f"{f.split(': error: ')[0]}:7: error: {f.split(': error: ')[1]}" for f in findings)
    monkeypatch.setattr(module, "run_mypy", lambda: (findings, output))
    return module


A = 'kg/a.py: error: Item "None" of "bytes | None" has no attribute "decode"  [union-attr]'
B = "kg/b.py: error: Need type annotation for \"task\"  [var-annotated]"


@pytest.mark.parametrize(("baseline", "findings", "status", "says"), [
    ([A, A, B], [A, A, B], 0, "clean apart from 3 baselined"),
    ([A, B], [A, A, B], 1, "1 new mypy finding"),  # one more of the same kind in the same file
    ([A, A, B], [A, B], 1, "no longer reported"),  # fixed, but still listed
    ([], [B], 1, "1 new mypy finding"),
])
def test_the_baseline_only_shrinks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                   baseline: list[str], findings: list[str], status: int, says: str) -> None:
    module = _typecheck(tmp_path, monkeypatch, baseline, findings)
    monkeypatch.setattr("sys.argv", ["typecheck"])
    assert module.main() == status
    assert says in capsys.readouterr().out


def test_prune_removes_fixed_entries_and_never_adds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = _typecheck(tmp_path, monkeypatch, [A, A, B], [A, "kg/c.py: error: new  [misc]"])
    monkeypatch.setattr("sys.argv", ["typecheck", "--prune"])
    assert module.main() == 1  # the new finding in kg/c.py still fails
    text = module.BASELINE.read_text(encoding="utf-8")
    assert text.splitlines() == ["# header stays", A]


def test_the_checked_in_baseline_is_normalised_and_sorted() -> None:
    lines = [line for line in (ROOT / ".ci" / "mypy-baseline.txt").read_text(encoding="utf-8").splitlines()
             if line and not line.startswith("#")]
    assert lines == sorted(lines)
    pattern = re.compile(r"^kg/[\w/]+\.py: error: .+  \[[a-z0-9-]+\]$")
    assert [line for line in lines if not pattern.match(line)] == []  # no line numbers, a code each
    assert Counter(lines).most_common(1)[0][1] < 10  # repeats are counted findings, not a blanket entry
