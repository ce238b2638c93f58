"""The change history over HTTP against a real `kg serve` with a write token: /changes (JSON,
HTML), /changes.atom (parsed as Atom with xml.etree), /changes/{id}, POST /changes/{id}/revert,
and the entity page's link to its changes.

Fixture data (made up here, marked as such): triples about hnid:fixture/... in test graphs.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from kg.rdf import GRAPH_CHANGES, HNID
from tests.serving import Server, start_server, stop_server

TOKEN = "changes-test-token"
ENTITY = HNID + "fixture/change-test-entity"
GRAPH = HNID + "graph/fixture/changes-test"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
A = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    store: Path = tmp_path_factory.mktemp("changes") / "store"
    srv = start_server(store, tmp_path_factory.mktemp("changes-log"), "--workers", "1", token=TOKEN,
                       extra_env={"HILFENETZ_RATE_LIMIT": "off"})
    yield srv
    stop_server(srv.process)


def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


def history(server: Server, **params: str) -> list[dict[str, object]]:
    r = httpx.get(server.url + "/changes", params={**params, "format": "json"}, timeout=30)
    assert r.status_code == 200, r.text
    return list(r.json()["changes"])


def labels(server: Server) -> set[str]:
    q = f"SELECT ?o WHERE {{ GRAPH <{GRAPH}> {{ <{ENTITY}> <{LABEL}> ?o }} }}"
    r = httpx.get(server.sparql, params={"query": q}, headers={"Accept": "application/sparql-results+json"},
                  timeout=30)
    return {b["o"]["value"] for b in r.json()["results"]["bindings"]}


def test_history_feed_revert_and_entity_link(server: Server) -> None:
    put = httpx.put(server.url + "/store", params={"graph": GRAPH}, timeout=30,
                    content=f'<{ENTITY}> <{LABEL}> "eins"@de , "one"@en .'.encode(),
                    headers={**auth(), "Content-Type": "text/turtle"})
    assert put.status_code == 201, put.text
    upd = httpx.post(server.sparql, timeout=30, headers=auth(), data={"update": (
        f'WITH <{GRAPH}> DELETE {{ <{ENTITY}> <{LABEL}> "eins"@de }} INSERT {{ <{ENTITY}> <{LABEL}> "zwei"@de }} '
        f'WHERE {{ <{ENTITY}> <{LABEL}> "eins"@de }}')})
    assert upd.status_code == 200, upd.text
    other = httpx.post(server.sparql, timeout=30, headers=auth(), data={
        "update": f'INSERT DATA {{ GRAPH <{HNID}graph/fixture/other> {{ <{HNID}fixture/x> <{LABEL}> "x" }} }}'})
    assert other.status_code == 200
    got = history(server)
    assert [(c["action"], c["triplesAdded"], c["triplesRemoved"]) for c in got] == [
        ("update", 1, 0), ("update", 1, 1), ("graph-store", 2, 0)]
    # the single write token is the admin token named write-token (kg.web.auth)
    assert got[1]["graphs"] == [GRAPH] and got[1]["actor"] == "write-token"
    assert [c["id"] for c in history(server, resource=ENTITY)] == [got[1]["id"], got[2]["id"]]
    assert [c["id"] for c in history(server, graph=f"{HNID}graph/fixture/other")] == [got[0]["id"]]
    assert labels(server) == {"zwei", "one"}

    # the Atom feed: well-formed, RFC 4287's required elements, newest first
    feed = httpx.get(server.url + "/changes.atom", timeout=30)
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.content)
    assert root.tag == f"{A}feed"
    for name in ("id", "title", "updated", "author"):
        assert root.find(f"{A}{name}") is not None, name
    entries = root.findall(f"{A}entry")
    assert [e.findtext(f"{A}id") for e in entries] == [str(c["iri"]) for c in got]
    for e in entries:
        assert e.findtext(f"{A}title") and e.findtext(f"{A}updated") and e.find(f"{A}author/{A}name") is not None
        assert e.find(f"{A}link").get("href", "").endswith("/changes/" + e.findtext(f"{A}id").rsplit("/", 1)[1])

    # the HTML page in the site's layout, and one change as JSON with its triples
    page = httpx.get(server.url + "/changes", params={"resource": ENTITY, "lang": "en"}, timeout=30)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert got[1]["id"] in page.text and got[0]["id"] not in page.text and 'class="top"' in page.text
    one = httpx.get(server.url + f"/changes/{got[1]['id']}", params={"format": "json"}, timeout=30).json()
    assert '"zwei"@de' in one["addedQuads"] and '"eins"@de' in one["removedQuads"]
    assert httpx.get(server.url + "/changes/nope", timeout=30).status_code == 404

    # the entity page links to its changes
    ent = httpx.get(server.url + "/id/fixture/change-test-entity", headers={"Accept": "text/html"}, timeout=30)
    assert ent.status_code == 200
    assert f'/changes?resource={quote(ENTITY, safe="")}' in ent.text
    assert "/id/change/" not in ent.text  # the change records are not listed as incoming links

    # revert: refused without the token, refused (409, listing it) while a later change builds on it
    first, second = got[2]["id"], got[1]["id"]
    assert httpx.post(server.url + f"/changes/{first}/revert", timeout=30).status_code == 401
    refused = httpx.post(server.url + f"/changes/{first}/revert", headers=auth(), timeout=30)
    assert refused.status_code == 409 and refused.json()["dependents"] == [second]
    assert labels(server) == {"zwei", "one"}  # nothing changed
    done = httpx.post(server.url + f"/changes/{second}/revert", headers=auth(), timeout=30)
    assert done.status_code == 200, done.text
    assert labels(server) == {"eins", "one"}
    done = httpx.post(server.url + f"/changes/{first}/revert", headers=auth(), timeout=30)
    assert done.status_code == 200, done.text
    assert labels(server) == set()
    latest = history(server)[0]
    assert latest["action"] == "revert" and latest["reverts"] == first and latest["triplesRemoved"] == 2
    again = httpx.post(server.url + f"/changes/{first}/revert", headers=auth(), timeout=30)
    assert again.status_code == 409 and "already reverted" in again.json()["error"]


def test_history_graph_is_not_writable_over_http(server: Server) -> None:
    before = history(server, limit="500")
    r = httpx.post(server.sparql, timeout=30, headers=auth(),
                   data={"update": f"CLEAR GRAPH <{GRAPH_CHANGES}>"})
    assert r.status_code == 400 and "history" in r.text
    r = httpx.delete(server.url + "/store", params={"graph": GRAPH_CHANGES}, headers=auth(), timeout=30)
    assert r.status_code == 400
    assert history(server, limit="500") == before
