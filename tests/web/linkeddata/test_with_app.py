"""The router inside the real application (`kg.web.app.create_app`): no route clashes with the
SPARQL endpoint and the query UI, and the store handle of the app is the one described."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import rdflib

from kg import rdf as ns
from tests.serving import serve_app

from .conftest import PROJECT_ROOT

pytestmark = pytest.mark.slow


def test_router_mounted_in_create_app(fixture_store_path: Path, tmp_path: Path) -> None:
    from kg.config import Settings
    from kg.web.app import create_app

    settings = Settings(store_path=fixture_store_path, project_root=PROJECT_ROOT, workers=1).resolved()
    app = create_app(settings)
    with serve_app(app) as url:
        g = rdflib.Graph()
        g.parse(url + "/id/programme/kommunale-praeventionsketten")
        assert (rdflib.URIRef(ns.HNID + "programme/kommunale-praeventionsketten"), rdflib.RDFS.label, None) in g
        ask = httpx.get(url + "/sparql", params={"query": f"ASK {{ GRAPH ?g {{ <{ns.HNID}area/05562014> ?p ?o }} }}"},
                        headers={"Accept": "application/sparql-results+json"}, timeout=60)
        assert ask.status_code == 200 and ask.json()["boolean"] is True
        assert httpx.get(url + "/", headers={"Accept": "text/html"}).status_code == 200
        assert httpx.get(url + "/ontology", headers={"Accept": "text/html"}).status_code == 200
        assert httpx.get(url + "/id/nothing-here", headers={"Accept": "text/html"}).status_code == 404
