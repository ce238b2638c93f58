"""The real project graph through the real server: the programme-municipalities question.

Uses the session fixture `built_store` from tests/conftest.py (a store built from the project);
skipped with the reason when that fixture is not available or the build fails."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.serving import Server, start_server, stop_server

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def real_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    store = request.getfixturevalue("built_store")
    server = start_server(Path(store), tmp_path_factory.mktemp("real-log"), "--workers", "2")
    yield server
    stop_server(server.process)


def _local_answer(store: Path, query: str) -> list[dict[str, str]]:
    import pyoxigraph as ox

    from kg.rdf import PREFIXES

    s = ox.Store.read_only(str(store))
    res = s.query(query, use_default_graph_as_union=True, prefixes=dict(PREFIXES))
    data = json.loads(res.serialize(format=ox.QueryResultsFormat.JSON))
    return [{k: v["value"] for k, v in b.items()} for b in data["results"]["bindings"]]


@pytest.mark.slow
def test_programme_municipalities(real_server: Server) -> None:
    query = (ROOT / "queries" / "programme-municipalities.rq").read_text(encoding="utf-8")
    r = httpx.get(real_server.sparql, params={"query": query}, timeout=60)
    assert r.status_code == 200, r.text
    rows = [{k: v["value"] for k, v in b.items()} for b in r.json()["results"]["bindings"]]
    assert rows, "the project graph names municipalities in programmes"
    assert all(row["municipality"].startswith("https://w3id.org/hilfenetz/id/area/") for row in rows)
    assert rows == _local_answer(real_server.store, query)
    # the same answer as CSV has one line per row plus the header
    r = httpx.get(real_server.sparql, params={"query": query}, headers={"Accept": "text/csv"}, timeout=60)
    assert r.status_code == 200 and len(r.text.strip().splitlines()) == len(rows) + 1


@pytest.mark.slow
def test_description_lists_project_graphs(real_server: Server) -> None:
    r = httpx.get(real_server.sparql, timeout=60)
    assert r.status_code == 200
    assert "https://w3id.org/hilfenetz/id/graph/ontology" in r.text
    assert "https://w3id.org/hilfenetz/id/graph/shapes" in r.text


AREA = "https://w3id.org/hilfenetz/id/area/"


@pytest.mark.slow
def test_area_prefix_is_predeclared(real_server: Server) -> None:
    """`area:05562004` (Castrop-Rauxel) without PREFIX, posted as the query UI posts it."""
    query = "SELECT ?kreis ?name WHERE { area:05562004 hn:partOf ?kreis . ?kreis skos:altLabel ?name }"
    r = httpx.post(real_server.sparql, data={"query": query},
                   headers={"Accept": "application/sparql-results+json"}, timeout=60)
    assert r.status_code == 200, r.text
    rows = [{k: v["value"] for k, v in b.items()} for b in r.json()["results"]["bindings"]]
    assert rows == [{"kreis": AREA + "05562", "name": "Kreis Recklinghausen"}]


@pytest.mark.slow
def test_slashed_prefixed_name_is_explained(real_server: Server) -> None:
    """The 400 answer (which the query UI shows as it is) says what is wrong and how to write it."""
    query = "SELECT ?kreis WHERE { hnid:area/05562004 hn:partOf ?kreis }"
    for r in (httpx.get(real_server.sparql, params={"query": query}, timeout=60),
              httpx.post(real_server.sparql, data={"query": query}, timeout=60)):
        assert r.status_code == 400
        assert r.text == (
            "SPARQL query syntax error (line 1, column 23 / Zeile 1, Spalte 23): error at 1:23: "
            "hnid:area/05562004: '/' is not allowed in a prefixed name's local part; "
            f"write <{AREA}05562004> or area:05562004\n"
            "SPARQL-Syntaxfehler: hnid:area/05562004: '/' ist im lokalen Teil eines Präfixnamens nicht erlaubt; "
            f"schreiben Sie <{AREA}05562004> oder area:05562004\n")
