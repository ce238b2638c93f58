"""CORS from a real Chromium page on another origin (issue 16, defect 1).

The page is served by a second HTTP server on another port of 127.0.0.1 (another origin) and
uses `fetch` as YASGUI, Comunica or a portal's script would: a GET query, a form POST query, a
direct `application/sparql-query` POST (preflighted), a JSON-LD fetch of an entity and a named
query call (both with `X-Requested-With`, so the browser preflights them too), the OpenAPI
document, and a write attempt with a bearer token (which must stay blocked). What the page's
script received is compared with the store's own answers; a CORS refusal shows up as the
browser's "Failed to fetch" in the results, not as a missing header in a unit test.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from kg.query.named import plain
from kg.sparql.params import bind, load_named_queries, run
from tests.serving import Server, serve_app
from tests.web.ui.ui_browser import chromium, missing_reason

from .conftest import GLADBECK, PROJECT_ROOT

pytestmark = pytest.mark.slow

WAIT_SECONDS = 120  # an upper bound for a loaded machine, not a performance assertion
HN = "https://w3id.org/hilfenetz/ontology#"
COUNT_QUERY = f"SELECT (COUNT(DISTINCT ?m) AS ?n) WHERE {{ ?m a <{HN}Municipality> }}"

#: The page's script: every call records {status, body or error, headers it could read}.
PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>portal</title></head><body>
<script>
const API = %(api)s;
const COUNT = %(count)s;
const ENTITY = %(entity)s;
window.__results = null;
async function call(name, url, init, read) {
  try {
    const r = await fetch(url, init);
    const text = await r.text();
    return [name, {status: r.status, body: read === "json" ? JSON.parse(text) : text,
                   etag: r.headers.get("ETag"), link: r.headers.get("Link"),
                   total: r.headers.get("X-Total-Count"), type: r.headers.get("Content-Type")}];
  } catch (e) {
    return [name, {error: String(e)}];
  }
}
(async () => {
  const json = {"Accept": "application/sparql-results+json"};
  const calls = await Promise.all([
    call("get_query", API + "/sparql?query=" + encodeURIComponent(COUNT), {headers: json}, "json"),
    call("post_form", API + "/sparql", {method: "POST", headers: {...json,
         "Content-Type": "application/x-www-form-urlencoded"}, body: "query=" + encodeURIComponent(COUNT)}, "json"),
    call("post_direct", API + "/sparql", {method: "POST", headers: {...json,
         "Content-Type": "application/sparql-query"}, body: COUNT}, "json"),
    call("entity_jsonld", API + "/id/" + ENTITY, {headers: {"Accept": "application/ld+json",
         "X-Requested-With": "XMLHttpRequest"}}, "json"),
    call("named_query", API + "/api/queries/municipality-programmes?municipality=" +
         encodeURIComponent("https://w3id.org/hilfenetz/id/" + ENTITY),
         {headers: {"Accept": "application/json", "X-Requested-With": "XMLHttpRequest"}}, "json"),
    call("openapi", API + "/openapi.json", {}, "json"),
    call("write_with_token", API + "/sparql", {method: "POST", headers: {"Authorization": "Bearer x",
         "Content-Type": "application/sparql-update"}, body: "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}, "text"),
  ]);
  window.__results = Object.fromEntries(calls);
})();
</script></body></html>"""


@pytest.fixture(scope="module")
def portal(kg_server: Server) -> Iterator[str]:
    """A page on another origin (another port) that calls the service from the browser."""
    page = PAGE % {"api": json.dumps(kg_server.url), "count": json.dumps(COUNT_QUERY),
                   "entity": json.dumps(GLADBECK.removeprefix("https://w3id.org/hilfenetz/id/"))}

    async def index(request: Request) -> HTMLResponse:
        return HTMLResponse(page)

    with serve_app(Starlette(routes=[Route("/", index)]), name="portal-uvicorn") as url:
        yield url


@pytest.fixture(scope="module")
def results(portal: str, kg_server: Server) -> dict[str, Any]:
    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    assert portal.rsplit(":", 1)[1] != kg_server.url.rsplit(":", 1)[1]  # two origins
    with chromium() as driver:
        driver.get(portal + "/")
        deadline = time.monotonic() + WAIT_SECONDS
        got = None
        while got is None and time.monotonic() < deadline:
            got = driver.execute_script("return window.__results")
            time.sleep(0.2)
        assert got is not None, "the page's calls did not finish"
        return dict(got)


def store_count(built_store: Path) -> int:
    store = ox.Store.read_only(str(built_store))
    (row,) = list(store.query(COUNT_QUERY, use_default_graph_as_union=True))
    return int(row["n"].value)


@pytest.mark.parametrize("name", ["get_query", "post_form", "post_direct"])
def test_queries_get_and_post(results: dict[str, Any], built_store: Path, name: str) -> None:
    r = results[name]
    assert "error" not in r, r
    assert r["status"] == 200
    assert int(r["body"]["results"]["bindings"][0]["n"]["value"]) == store_count(built_store) > 0
    assert r["etag"], "ETag must be readable by the page (Access-Control-Expose-Headers)"


def test_entity_as_jsonld(results: dict[str, Any]) -> None:
    r = results["entity_jsonld"]
    assert "error" not in r, r
    assert r["status"] == 200 and r["type"].startswith("application/ld+json")
    doc = r["body"]
    assert doc.get("@id") in (GLADBECK, "hnid:area/05562014") or GLADBECK in json.dumps(doc)
    assert "Gladbeck" in json.dumps(doc, ensure_ascii=False)
    assert 'rel="alternate"' in r["link"] and r["etag"]


def test_named_query(results: dict[str, Any], built_store: Path) -> None:
    r = results["named_query"]
    assert "error" not in r, r
    assert r["status"] == 200
    body = r["body"]
    query = next(q for q in load_named_queries(PROJECT_ROOT / "queries") if q.name == "municipality-programmes")
    store = ox.Store.read_only(str(built_store))
    expected = [[plain(s[c]) for c in query.columns]  # the API's JSON values of the store's terms
                for s in run(store, query, bind(query, {"municipality": GLADBECK}, store))]
    assert expected, "Gladbeck takes part in programmes"
    assert int(r["total"]) == body["total"] == len(expected)
    assert sorted(json.dumps([row[c] for c in query.columns]) for row in body["rows"]) == \
        sorted(json.dumps(row) for row in expected)


def test_openapi(results: dict[str, Any]) -> None:
    r = results["openapi"]
    assert "error" not in r, r
    assert "/sparql" in r["body"]["paths"] and "/api/queries" in r["body"]["paths"]


def test_write_with_a_token_stays_blocked(results: dict[str, Any]) -> None:
    """The preflight for Authorization is refused, so the browser never sends the write."""
    r = results["write_with_token"]
    assert "error" in r and "Failed to fetch" in r["error"], r
