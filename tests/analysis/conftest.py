"""Shared for the analysis tests: where the artefacts go (test-artifacts/, git-ignored, so the
figures of a test run can be looked at), and the CLI functions as a tiny `kg`."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def run_cli(*argv: str) -> int:
    """Parse and run with only this issue's subcommands (`kg export …`, `kg report …`), the way
    kg.cli does once they are wired."""
    from kg.cli.analysis import add_export_parser, add_report_parser

    parser = argparse.ArgumentParser(prog="kg")
    sub = parser.add_subparsers(dest="command", required=True)
    add_export_parser(sub)
    add_report_parser(sub)
    args = parser.parse_args(list(argv))
    return int(args.func(args) or 0)


def read_csv(path: Path) -> list[dict[str, str]]:
    """The rows of a CSV file the commands wrote (the file closed again, as csv wants it: newline="")."""
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))
