"""One ETag scheme and one conditional GET for every route that has validators (issue 16).

Before, /sparql, the named queries and the linked-data documents each had their own ETag
(BLAKE2b of body and version; SHA-256 of the body; a dump's SHA-256 prefix) and their own
If-None-Match code, and only one of them read If-Modified-Since. Now kg.web.http does it for
all; these tests hold every route to the same rules (RFC 9110 13.1-13.2) with httpx over
`kg serve`.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import httpx
import pytest

from tests.serving import Server

from .conftest import GLADBECK

ENTITY = "/id/" + GLADBECK.removeprefix("https://w3id.org/hilfenetz/id/")
ETAG = re.compile(r'^"[0-9a-f]{24}"$')  # the one scheme: 96 bits of BLAKE2b, strong

PATHS = [
    "/sparql?query=" + quote(f"SELECT ?p ?o WHERE {{ <{GLADBECK}> ?p ?o }}"),
    "/api/queries/municipality-programmes?municipality=" + quote(GLADBECK, safe=""),
    ENTITY,
    ENTITY + ".ttl",
    "/context.jsonld",
    "/ontology.ttl",
    "/downloads/manifest.json",
    "/downloads/SHA256SUMS",
]
#: Routes that also know when their data last changed.
WITH_LAST_MODIFIED = [ENTITY, ENTITY + ".ttl", "/context.jsonld", "/ontology.ttl"]


@pytest.fixture(scope="module")
def client(kg_server: Server) -> httpx.Client:
    with httpx.Client(base_url=kg_server.url, timeout=300) as c:
        yield c


@pytest.mark.parametrize("path", PATHS)
def test_if_none_match(client: httpx.Client, path: str) -> None:
    first = client.get(path)
    assert first.status_code == 200, first.text[:300]
    tag = first.headers["etag"]
    assert ETAG.match(tag), tag
    assert client.get(path).headers["etag"] == tag  # stable
    for header in (tag, "W/" + tag, f'"nope", {tag}', "*"):
        r = client.get(path, headers={"If-None-Match": header})
        assert r.status_code == 304, (path, header)
        assert r.content == b"" and r.headers["etag"] == tag
        assert "content-type" not in r.headers
    assert client.head(path, headers={"If-None-Match": tag}).status_code == 304
    other = client.get(path, headers={"If-None-Match": '"0000"'})
    assert other.status_code == 200 and other.content == first.content


def test_a_dump_file(client: httpx.Client) -> None:
    manifest = client.get("/downloads/manifest.json").json()
    name = manifest["files"][0]["name"]
    r = client.get("/downloads/" + name)
    assert r.status_code == 200 and ETAG.match(r.headers["etag"])
    again = client.get("/downloads/" + name, headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


@pytest.mark.parametrize("path", WITH_LAST_MODIFIED)
def test_if_modified_since(client: httpx.Client, path: str) -> None:
    first = client.get(path)
    stamp = first.headers["last-modified"]
    assert client.get(path, headers={"If-Modified-Since": stamp}).status_code == 304
    assert client.get(path, headers={"If-Modified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"}).status_code == 200
    # If-None-Match decides when both are sent (RFC 9110 13.2.2)
    assert client.get(path, headers={"If-Modified-Since": stamp, "If-None-Match": '"0000"'}).status_code == 200
    # a malformed date is ignored
    assert client.get(path, headers={"If-Modified-Since": "yesterday"}).status_code == 200
