"""The linked-data caches follow the store *version* the app names, not the store's size.

Why: the old cache key `len(store)` counted every quad on every HTML and JSON-LD request (a full
scan; a quarter of the main process under the soak test). Now the app's version is the key: a
change the app has not announced is not seen, an announced one is seen at once. Both halves are
checked here against a real on-disk store and a real uvicorn server.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from kg import rdf as ns
from kg.query.describe import VocabularyCache
from kg.web.render.jsonld import ContextCache
from tests.serving import serve_app

from .conftest import PROJECT_ROOT, LdSettings, ld_app, make_fixture_store

PROBE = ox.NamedNode(ns.HN + "soakProbeNote")
AGENT = ox.NamedNode(ns.HN + "Agent")
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")


@pytest.fixture()
def versioned(tmp_path: Path) -> Iterator[tuple[str, ox.Store, list[str]]]:
    """A server over a writable copy of the fixture store whose version the test sets."""
    store = make_fixture_store(tmp_path / "store")
    version = ["v1"]
    settings = LdSettings(store_path=tmp_path / "store", project_root=PROJECT_ROOT)
    app = ld_app(store, settings, tmp_path / "downloads", version=lambda: version[0])
    with serve_app(app) as url:
        yield url, store, version


def test_context_is_rebuilt_when_the_version_moves(versioned: tuple[str, ox.Store, list[str]]) -> None:
    url, store, version = versioned
    before = httpx.get(url + "/context.jsonld", timeout=30).json()["@context"]
    assert "soakProbeNote" not in before
    store.add(ox.Quad(ox.NamedNode(ns.HNID + "org/soak-probe"), PROBE, ox.Literal("x"),
                      ox.NamedNode(ns.HNID + "graph/test")))
    same = httpx.get(url + "/context.jsonld", timeout=30).json()["@context"]
    assert same == before  # not announced: served from the cache of v1
    version[0] = "v2"
    after = httpx.get(url + "/context.jsonld", timeout=30).json()["@context"]
    assert after["soakProbeNote"]["@id"] == "hn:soakProbeNote"


def test_vocabulary_cache_is_kept_per_version(tmp_path: Path) -> None:
    store = make_fixture_store(tmp_path / "store")
    cache = VocabularyCache()
    v1 = cache.get(store, "v1")
    assert v1.label(AGENT.value, "fr") == "Akteur"
    store.add(ox.Quad(AGENT, RDFS_LABEL, ox.Literal("Acteur", language="fr"), ox.NamedNode(ns.GRAPH_ONTOLOGY)))
    assert cache.get(store, "v1") is v1  # same version: the same object, no reload
    assert cache.get(store, "v2").label(AGENT.value, "fr") == "Acteur"
    # without a version the store itself is the key (its size changed, so this reloads too)
    assert cache.get(store).label(AGENT.value, "fr") == "Acteur"


def test_context_framer_is_shared_within_a_version(tmp_path: Path) -> None:
    store = make_fixture_store(tmp_path / "store")
    cache = ContextCache()
    framer = cache.framer(store, "v1")
    assert cache.framer(store, "v1") is framer
    assert framer.ctx is cache.get(store, "v1")
    assert cache.framer(store, "v2") is not framer
