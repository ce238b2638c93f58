"""The process setting gil_switch_ms takes effect: the app sets its process's GIL switch interval
(why: kg.config, the row's comment; measured in bench/results/write.md)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.config import Settings, env_setting
from kg.web.app import create_app

EX = "https://w3id.org/hilfenetz/id/test/"


@pytest.fixture()
def store_path(tmp_path: Path) -> Path:
    """A fixture store of three quads (read-only apps need one that exists)."""
    store = ox.Store(str(tmp_path / "store"))
    g = ox.NamedNode(EX + "graph")
    store.extend(ox.Quad(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(EX + "p"), ox.Literal(str(i)), g) for i in range(3))
    store.flush()
    del store
    return tmp_path / "store"


@pytest.fixture(autouse=True)
def keep_interval() -> Iterator[None]:
    before = sys.getswitchinterval()
    yield
    sys.setswitchinterval(before)


def test_the_app_sets_the_configured_switch_interval(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sys.setswitchinterval(0.005)
    monkeypatch.setenv("HILFENETZ_GIL_SWITCH_MS", "0.25")
    create_app(Settings(store_path=store_path, workers=1))
    assert sys.getswitchinterval() == pytest.approx(0.00025)


def test_the_default_is_half_a_millisecond(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HILFENETZ_GIL_SWITCH_MS", raising=False)
    sys.setswitchinterval(0.005)
    assert env_setting("gil_switch_ms") == 0.5
    create_app(Settings(store_path=store_path, workers=1))
    assert sys.getswitchinterval() == pytest.approx(0.0005)


def test_zero_leaves_the_interval_alone(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HILFENETZ_GIL_SWITCH_MS", "0")
    sys.setswitchinterval(0.003)
    create_app(Settings(store_path=store_path, workers=1))
    assert sys.getswitchinterval() == pytest.approx(0.003)


def test_a_bad_value_is_ignored_with_a_warning(monkeypatch: pytest.MonkeyPatch,
                                              caplog: pytest.LogCaptureFixture) -> None:
    """As every process knob (kg.config.env_setting): the default, and a warning naming the variable."""
    monkeypatch.setenv("HILFENETZ_GIL_SWITCH_MS", "-1")
    assert env_setting("gil_switch_ms") == 0.5
    assert "HILFENETZ_GIL_SWITCH_MS" in caplog.text
