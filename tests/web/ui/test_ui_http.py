"""The UI's HTTP surface on the real server: page, assets (all local), examples, downloads."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from kg.rdf import PREFIXES
from kg.sparql.catalog import load_examples
from kg.sparql.params import bind, load_named_queries
from kg.web.routes.ui import STATIC_DIR

PROJECT_ROOT = Path(__file__).resolve().parents[3]

RESULT_FORMATS = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
GRAPH_FORMATS = {
    "ttl": "text/turtle",
    "nt": "application/n-triples",
    "nq": "application/n-quads",
    "trig": "application/trig",
    "jsonld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
}


def test_page_is_served_with_csp_and_prefixes(ui_server: str) -> None:
    r = httpx.get(ui_server + "/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    for prefix, iri in PREFIXES.items():
        assert f'"{prefix}": "{iri}"' in r.text
    # every referenced asset is local and served
    refs = re.findall(r'(?:src|href)="([^"]+)"', r.text)
    assert refs
    for ref in refs:
        assert ref.startswith(("/", "#")), f"non-local reference {ref}"
        if ref == "/downloads":
            continue  # generates the dumps on first use (tens of seconds); tests/web/linkeddata covers it
        assert httpx.get(ui_server + ref, timeout=120).status_code == 200, ref


def test_static_assets_reference_no_foreign_origin() -> None:
    """No CDN: no script, style, font or fetch from another origin in any asset."""
    pattern = re.compile(r"""(src|href)\s*=\s*["']https?:"""
                         r"""|url\(\s*["']?https?:|@import|fetch\(\s*["']https?:""", re.IGNORECASE)
    for path in STATIC_DIR.iterdir():
        if path.suffix in (".html", ".js", ".css"):
            assert not pattern.search(path.read_text(encoding="utf-8")), path.name


def test_static_route_does_not_escape_the_folder(ui_server: str) -> None:
    assert httpx.get(ui_server + "/static/app.js").headers["content-type"].startswith("text/javascript")
    for bad in ("/static/..%2Fui.py", "/static/%2E%2E/ui.py", "/static/nope.js"):
        assert httpx.get(ui_server + bad).status_code == 404, bad


def test_api_examples_lists_project_queries(ui_server: str) -> None:
    r = httpx.get(ui_server + "/api/examples")
    assert r.status_code == 200
    served = r.json()
    expected = [q.to_json() for q in load_examples(PROJECT_ROOT / "queries")]
    assert [{k: v for k, v in e.items() if k != "query"} for e in served] == \
        [{k: v for k, v in e.items() if k != "query"} for e in expected]
    # the text is the file's, with the header defaults bound first in the WHERE group (as the
    # REST API binds them); files without defaults are served unchanged
    named = {q.name: q for q in load_named_queries(PROJECT_ROOT / "queries")}
    with_defaults = 0
    for got, want in zip(served, expected, strict=True):
        defaults = bind(named[got["name"]], {}, None)
        if not defaults:
            assert got["query"] == want["query"]
            continue
        with_defaults += 1
        assert got["query"] != want["query"] and got["query"].replace(" ", "").replace("\n", "")
        block = got["query"][got["query"].index(" VALUES ("):]
        assert all(f"<{term.value}>" in block.split("}")[0] for term in defaults.values())
        assert got["query"].replace(block[:block.index("}") + 2], "") == want["query"]
    assert with_defaults == 3
    for item in served:
        assert set(item) >= {"name", "title", "description", "query"}
        assert set(item["title"]) == {"de", "en"}


@pytest.mark.parametrize("fmt,media", sorted(RESULT_FORMATS.items()))
def test_select_download_formats(ui_server: str, fmt: str, media: str) -> None:
    """The request the download buttons make: POST /sparql?format=… with the query in the form."""
    query = "SELECT ?s WHERE { ?s a ?c } LIMIT 2"
    r = httpx.post(ui_server + "/sparql", params={"format": fmt}, data={"query": query},
                   headers={"Accept": "*/*"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(media)
    assert r.content


@pytest.mark.parametrize("fmt,media", sorted(GRAPH_FORMATS.items()))
def test_graph_download_formats(ui_server: str, fmt: str, media: str) -> None:
    query = "CONSTRUCT { ?s a ?c } WHERE { ?s a ?c } LIMIT 2"
    r = httpx.post(ui_server + "/sparql", params={"format": fmt}, data={"query": query},
                   headers={"Accept": "*/*"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(media)
    assert r.content
