"""The small store of tests/web/sparql/conftest.py for the serve tests that start `kg serve` over it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.sparql.conftest import make_small_store


@pytest.fixture(scope="session")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_small_store(tmp_path_factory.mktemp("small") / "store")
