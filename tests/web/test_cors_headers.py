"""The CORS contract header by header, with httpx over `kg serve` (the browser test,
test_cors_browser.py, shows what it means for a page; this one pins every route and the refusals)."""

from __future__ import annotations

import httpx
import pytest

from kg.web import cors
from tests.serving import Server

from .conftest import GLADBECK

ENTITY = "/id/" + GLADBECK.removeprefix("https://w3id.org/hilfenetz/id/")
ORIGIN = {"Origin": "https://portal.example"}
READS = ["/sparql", ENTITY, "/api/queries", "/api/queries/programmes-overview", "/openapi.json", "/api/search",
         "/ontology", "/downloads", "/context.jsonld", "/", "/health", "/no-such-page"]


@pytest.fixture(scope="module")
def client(kg_server: Server) -> httpx.Client:
    with httpx.Client(base_url=kg_server.url, timeout=300) as c:
        yield c


@pytest.mark.parametrize("path", READS)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_preflight_for_reads(client: httpx.Client, path: str, method: str) -> None:
    r = client.options(path, headers={**ORIGIN, "Access-Control-Request-Method": method,
                                      "Access-Control-Request-Headers": "accept, content-type, x-requested-with"})
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == "*"
    assert method in r.headers["access-control-allow-methods"]
    allowed = {h.strip().lower() for h in r.headers["access-control-allow-headers"].split(",")}
    assert {"accept", "content-type", "x-requested-with", "if-none-match"} <= allowed
    assert "authorization" not in allowed


@pytest.mark.parametrize("path", READS)
def test_answers_carry_allow_origin(client: httpx.Client, path: str) -> None:
    r = client.get(path, params={"q": "Gladbeck"} if path == "/api/search" else None, headers=ORIGIN)
    assert r.headers["access-control-allow-origin"] == "*", (path, r.status_code)
    exposed = {h.strip().lower() for h in r.headers["access-control-expose-headers"].split(",")}
    assert {"etag", "link", "x-total-count"} <= exposed


def test_post_query_answer_carries_allow_origin(client: httpx.Client) -> None:
    r = client.post("/sparql", data={"query": "ASK {}"}, headers=ORIGIN)
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "*"
    r = client.post("/sparql", content="ASK {}", headers={**ORIGIN, "Content-Type": "application/sparql-query"})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize(("method", "headers"), [("POST", "authorization"), ("GET", "authorization, accept"),
                                                 ("PUT", ""), ("DELETE", ""), ("PATCH", "content-type")])
def test_no_writes_across_origins(client: httpx.Client, method: str, headers: str) -> None:
    r = client.options("/store", headers={**ORIGIN, "Access-Control-Request-Method": method,
                                          "Access-Control-Request-Headers": headers})
    assert r.status_code == 403
    assert not [h for h in r.headers if h.lower().startswith("access-control-allow")]
    assert r.text.strip()  # says why


def test_metrics_are_not_for_pages_and_count_preflights(client: httpx.Client) -> None:
    assert "access-control-allow-origin" not in client.get("/metrics", headers=ORIGIN).headers
    client.options("/api/queries", headers={**ORIGIN, "Access-Control-Request-Method": "GET"})
    assert 'route="<preflight>"' in client.get("/metrics").text


def test_a_plain_options_is_not_a_preflight(client: httpx.Client) -> None:
    """Without Access-Control-Request-Method OPTIONS goes to the routes (which do not offer it)."""
    assert client.options("/api/queries").status_code == 405


def test_refusal_text_names_the_rule() -> None:
    assert cors.preflight_refusal("get", "Accept") is None
    assert "not write" in (cors.preflight_refusal("PUT", "") or "")
    assert "authorization" in (cors.preflight_refusal("POST", "Authorization") or "")
