"""Fixtures of the spreadsheet tests: private copies of the real built store, and filled-in files.

The files these tests write are test fixtures, made up for the tests (marked as such in their
source title "Testdaten"); they are never kept in data/."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Sequence
from pathlib import Path

import pyoxigraph as ox
import pytest


@pytest.fixture(scope="module")
def pristine_store(built_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the real store shared by a module's tests that must leave it unchanged."""
    dst = tmp_path_factory.mktemp("pristine") / "store"
    shutil.copytree(built_store, dst)
    return dst


@pytest.fixture
def work_store(built_store: Path, tmp_path: Path) -> Path:
    """A private copy of the real store that a test may write to."""
    dst = tmp_path / "store"
    shutil.copytree(built_store, dst)
    return dst


def write_csv(path: Path, headers: Sequence[str], rows: Sequence[Sequence[object]], *, delimiter: str = ";",
              encoding: str = "utf-8-sig") -> Path:
    """A CSV as a German office saves it (semicolons, UTF-8 with BOM)."""
    with open(path, "w", encoding=encoding, newline="") as f:
        w = csv.writer(f, delimiter=delimiter)
        w.writerow(headers)
        for r in rows:
            w.writerow(["" if v is None else v for v in r])
    return path


def write_xlsx(path: Path, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(headers))
    for r in rows:
        ws.append(list(r))
    wb.save(path)
    return path


def store_state(path: Path) -> str:
    """The store directory's fingerprint (kg.store.fingerprint): every committed write changes it,
    reading does not — so an unchanged value means nothing was written."""
    from kg.store.fingerprint import store_version

    return store_version(path)


@pytest.fixture(scope="module")
def pristine_handle(pristine_store: Path) -> ox.Store:
    """The pristine copy opened read-only once per module."""
    return ox.Store.read_only(str(pristine_store))


@pytest.fixture(scope="module")
def pristine_resolver(pristine_handle: ox.Store):  # type: ignore[no-untyped-def]
    """The reference index of the pristine store, built once per module (about 2 s)."""
    from kg.graph.tabular.resolve import Resolver

    return Resolver(pristine_handle)


OFFER_HEADERS = ["Kennung (identifier)", "Bezeichnung (label) *", "Angebotsart (offer type)",
                 "Lebensphase (life phase)", "Zielgruppe (target group)", "Anbieter (provider)",
                 "Einzugsgebiet (area served)", "Mindestalter (minimum age)", "Höchstalter (maximum age)",
                 "Beginn (start date)"]
