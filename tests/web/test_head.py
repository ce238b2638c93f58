"""HEAD wherever GET (issue 16, defect 3), with httpx over a real `kg serve`.

RFC 9110 9.3.2: HEAD is GET without the body — same status, same headers (Content-Length too).
Before, every route declared only for GET (all of /api/*, /openapi.json, /api/docs, /search,
/metrics) answered HEAD with 405; link checkers and `curl -I` saw a broken service.
"""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from tests.serving import Server

from .conftest import GLADBECK

ENTITY = "/id/" + GLADBECK.removeprefix("https://w3id.org/hilfenetz/id/")
#: Headers that may differ between two requests for the same thing.
VOLATILE = {"date"}

GET_PATHS = [
    "/api/queries",
    f"/api/queries/municipality-programmes?municipality={quote(GLADBECK, safe='')}",
    "/api/queries/programmes-overview?format=csv",
    "/api/search?q=Gladbeck",
    "/api/network",
    f"/api/network?focus={quote(GLADBECK, safe='')}&hops=1",
    "/api/examples",
    "/api/docs",
    "/api/docs/init.js",
    "/openapi.json",
    "/search?q=Gladbeck",
    ENTITY,
    ENTITY + ".ttl",
    ENTITY + ".jsonld",
    "/ontology",
    "/ontology.ttl",
    "/context.jsonld",
    "/downloads",
    "/downloads/manifest.json",
    "/.well-known/void",
    "/sparql",  # the service description
    "/sparql?query=ASK%20%7B%7D",
    "/health",
    "/",
    "/static/app.js",
]


@pytest.fixture(scope="module")
def client(kg_server: Server) -> httpx.Client:
    with httpx.Client(base_url=kg_server.url, timeout=300) as c:
        yield c


@pytest.mark.parametrize("path", GET_PATHS)
def test_head_is_get_without_body(client: httpx.Client, path: str) -> None:
    get = client.get(path)
    head = client.head(path)
    assert get.status_code == 200, (path, get.text[:300])
    assert head.status_code == 200, path
    assert head.content == b""
    strip = lambda r: {k: v for k, v in r.headers.items() if k.lower() not in VOLATILE}  # noqa: E731
    assert strip(head) == strip(get)
    assert int(head.headers["content-length"]) == len(get.content)


def test_every_documented_get_route_takes_head(client: httpx.Client) -> None:
    """Each GET operation of the OpenAPI document without path parameters answers HEAD as GET."""
    spec = client.get("/openapi.json").json()
    paths = [p for p, ops in spec["paths"].items() if "get" in ops and "{" not in p]
    assert "/api/queries" in paths and len(paths) > 20
    for path in paths:
        get, head = client.get(path), client.head(path)
        assert head.status_code == get.status_code != 405, (path, head.status_code, get.status_code)
        assert head.content == b""


def test_head_of_a_missing_page_is_404_not_405(client: httpx.Client) -> None:
    assert client.head("/api/queries/no-such-query").status_code == 404
    assert client.head("/id/area/no-such-area").status_code == 404
