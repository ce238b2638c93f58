"""Fixtures for the linked-data tests: an on-disk store from fixture.trig and a real uvicorn server
(tests/serving.py).

Why a server per store and not TestClient: the acceptance criteria ask for real HTTP clients
(rdflib fetching by URL, httpx, Chromium), which need a listening socket.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from fastapi import FastAPI

from kg.store.fingerprint import version_of
from kg.web import cors
from kg.web.app import ROUTES, mount
from kg.web.routes import linkeddata, ui
from kg.web.state import LinkedDataCaches
from tests.serving import serve_app

HERE = Path(__file__).parent
FIXTURE = HERE / "fixture.trig"
PROJECT_ROOT = HERE.parents[2]


@dataclass
class LdSettings:
    """The minimal settings the router needs (the real Settings has more)."""

    store_path: Path
    project_root: Path
    public_base_url: str | None = None


@dataclass
class Server:
    url: str
    store: ox.Store
    store_path: Path


def make_fixture_store(path: Path) -> ox.Store:
    store = ox.Store(str(path))
    store.load(path=str(FIXTURE), format=ox.RdfFormat.TRIG)
    store.flush()
    return store


class LdState:
    """What the linked-data routes read from the app's state (kg.web.state.WebState): a store
    served without query workers. Its version is the one the app would name, or (by default)
    derived from the store's size and files, so a change to the store is seen at once."""

    def __init__(self, store: ox.Store, settings: LdSettings, cache_dir: Path, *,
                 version: Callable[[], str] | None = None, html_page_size: int = 50) -> None:
        self.store = store
        self.settings = settings
        self._version = version
        self.linked_data = LinkedDataCaches(settings.store_path, cache_dir, html_page_size)

    @property
    def version(self) -> str:
        return self._version() if self._version is not None else version_of(self.store, self.settings.store_path)


def ld_app(store: ox.Store, settings: LdSettings, cache_dir: Path, **state_kw: Any) -> FastAPI:
    """An app with the real linked-data routes, (for the pages' home link) the query UI's, the
    change history's list, and
    the service's CORS middleware (portals fetch the documents from the browser)."""
    app = FastAPI()
    app.state.kg = LdState(store, settings, cache_dir, **state_kw)
    # the entity pages link to a resource's change history: its list is mounted too
    mount(app, tuple(r for r in ROUTES if r.handler.__module__ in (linkeddata.__name__, ui.__name__)
                     or r.name == "changes"))
    cors.install(app)
    return app


def serve_store(store: ox.Store, store_path: Path, tmp: Path, public_base_url: str | None = None) -> Iterator[Server]:
    settings = LdSettings(store_path=store_path, project_root=PROJECT_ROOT, public_base_url=public_base_url)
    app = ld_app(store, settings, tmp / "downloads-cache")
    with serve_app(app) as url:
        yield Server(url, store, store_path)


@pytest.fixture(scope="session")
def fixture_store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ld-store") / "store"
    store = make_fixture_store(path)
    del store
    return path


@pytest.fixture(scope="session")
def fixture_store(fixture_store_path: Path) -> ox.Store:
    return ox.Store.read_only(str(fixture_store_path))


@pytest.fixture(scope="session")
def ld_server(
    fixture_store: ox.Store, fixture_store_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    yield from serve_store(fixture_store, fixture_store_path, tmp_path_factory.mktemp("ld-cache"))


@pytest.fixture(scope="session")
def real_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server over the store built from the real project (tests/conftest.py `built_store`)."""
    store_path = Path(request.getfixturevalue("built_store"))
    store = ox.Store.read_only(str(store_path))
    yield from serve_store(store, store_path, tmp_path_factory.mktemp("ld-real-cache"))
