"""Shared for the analysis tests: where the artefacts go (test-artifacts/, git-ignored, so the
figures of a test run can be looked at), and the CLI functions as a tiny `kg`."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from kg.cli import make_parser

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def run_cli(*argv: str) -> int:
    """Parse and run a `kg` command in this process (`kg export …`, `kg report …`); errors propagate."""
    args = make_parser().parse_args(list(argv))
    return int(args.func(args) or 0)


def read_csv(path: Path) -> list[dict[str, str]]:
    """The rows of a CSV file the commands wrote (the file closed again, as csv wants it: newline="")."""
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))
