"""Write rights: every refusal of the scoped tokens, with its status (401 no/unknown token, 403
wrong scope or graph), a reason in German and English, and nothing written (the served store and
the submissions directory compared before and after)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest

from tests.web.contrib.conftest import CONTRIB, HNID, VALID_TTL, ContribServer

NT = b"<https://w3id.org/hilfenetz/id/org/x> <http://www.w3.org/2000/01/rdf-schema#label> \"x\" ."
PROTECTED = {
    "another contributor's graph": CONTRIB + "kreis-b/main",
    "the shapes": HNID + "graph/shapes",
    "the ontology": HNID + "graph/ontology",
    "the reference data": HNID + "graph/reference/destatis",
    "the change record": HNID + "graph/changes",
    "a source graph": HNID + "graph/source/demo",
    "a pending graph": HNID + "graph/pending/20260101T000000-00000000",
    "outside the contribution prefix by ..": CONTRIB + "kreis-a/../kreis-b/main",
}


def _state(s: ContribServer) -> tuple[bytes, set[str]]:
    return s.dump(), s.kept()


def _bilingual(r: httpx.Response, de: str, en: str) -> None:
    assert de in r.text and en in r.text, r.text
    for secret_holder in ("hn_",):
        assert secret_holder not in r.text


@pytest.mark.parametrize("what", sorted(PROTECTED))
def test_contributor_cannot_submit_outside_its_graphs(contrib_server: ContribServer, what: str) -> None:
    s = contrib_server
    before = _state(s)
    r = s.submit("kreis-a", VALID_TTL, graph=PROTECTED[what])
    assert r.status_code == 403, r.text
    if PROTECTED[what].startswith(CONTRIB):
        _bilingual(r, "darf nicht in", "may not contribute to")
    else:
        _bilingual(r, "geschützt", "protected")
    assert _state(s) == before


@dataclass
class Call:
    name: str
    send: Callable[[ContribServer, dict[str, str]], httpx.Response]


def _update(graph: str) -> Callable[[ContribServer, dict[str, str]], httpx.Response]:
    return lambda s, h: httpx.post(s.url + "/sparql", data={"update": f"INSERT DATA {{ GRAPH <{graph}> {{ "
                                   f"<{HNID}org/x> <http://www.w3.org/2000/01/rdf-schema#label> 'x' }} }}"}, headers=h)


def _put(graph: str) -> Callable[[ContribServer, dict[str, str]], httpx.Response]:
    return lambda s, h: httpx.put(s.url + "/store", params={"graph": graph}, content=NT,
                                  headers={**h, "Content-Type": "application/n-triples"})


CALLS = [
    Call("update own graph", _update(CONTRIB + "kreis-a/main")),
    Call("update other's graph", _update(CONTRIB + "kreis-b/main")),
    Call("update shapes", _update(HNID + "graph/shapes")),
    Call("update changes graph", _update(HNID + "graph/changes")),
    Call("store PUT own graph", _put(CONTRIB + "kreis-a/main")),
    Call("store PUT other's graph", _put(CONTRIB + "kreis-b/main")),
    Call("store PUT ontology", _put(HNID + "graph/ontology")),
    Call("store PUT reference", _put(HNID + "graph/reference/destatis")),
    Call("store DELETE shapes", lambda s, h: httpx.delete(s.url + "/store", params={"graph": HNID + "graph/shapes"},
                                                          headers=h)),
    Call("submit", lambda s, h: httpx.post(s.url + "/api/contributions", data={"kind": "rdf"},
                                           files={"file": ("a.ttl", VALID_TTL.encode(), "text/turtle")}, headers=h)),
    Call("approve", lambda s, h: httpx.post(s.url + "/api/contributions/20260101T000000-00000000/approve", json={},
                                            headers=h)),
    Call("reject", lambda s, h: httpx.post(s.url + "/api/contributions/20260101T000000-00000000/reject",
                                           json={"comment": "x"}, headers=h)),
    Call("list", lambda s, h: httpx.get(s.url + "/api/contributions", headers=h)),
]


@pytest.mark.parametrize("call", CALLS, ids=[c.name for c in CALLS])
@pytest.mark.parametrize("auth", ["none", "unknown", "basic"])
def test_no_or_unknown_token_is_401(contrib_server: ContribServer, call: Call, auth: str) -> None:
    s = contrib_server
    headers = {"none": {}, "unknown": {"Authorization": "Bearer hn_not-a-token"},
               "basic": {"Authorization": "Basic " + s.secrets["betrieb"]}}[auth]
    before = _state(s)
    r = call.send(s, headers)
    assert r.status_code == 401, r.text
    assert r.headers["www-authenticate"].startswith("Bearer")
    if auth == "unknown":
        _bilingual(r, "nicht gültig", "not valid")
    else:
        _bilingual(r, "braucht ein Bearer-Token", "needs a bearer token")
    assert _state(s) == before


WRONG_SCOPE = [
    # (token, call, German and English part of the reason)
    ("kreis-a", "update own graph", "Scope admin", "admin scope"),
    ("kreis-a", "update other's graph", "Scope admin", "admin scope"),
    ("kreis-a", "update shapes", "Scope admin", "admin scope"),
    ("kreis-a", "update changes graph", "Scope admin", "admin scope"),
    ("kreis-a", "store PUT own graph", "Scope admin", "admin scope"),
    ("kreis-a", "store PUT other's graph", "Scope admin", "admin scope"),
    ("kreis-a", "store PUT ontology", "Scope admin", "admin scope"),
    ("kreis-a", "store PUT reference", "Scope admin", "admin scope"),
    ("kreis-a", "store DELETE shapes", "Scope admin", "admin scope"),
    ("redaktion", "update shapes", "Scope admin", "admin scope"),
    ("redaktion", "store PUT ontology", "Scope admin", "admin scope"),
    ("redaktion", "submit", "contribute:MUSTER", "contribute:PATTERN"),
    ("kreis-a", "approve", "Scope review", "review or admin scope"),
    ("kreis-b", "reject", "Scope review", "review or admin scope"),
]


@pytest.mark.parametrize("token,call_name,de,en", WRONG_SCOPE, ids=[f"{t}-{c}" for t, c, _, _ in WRONG_SCOPE])
def test_wrong_scope_is_403(contrib_server: ContribServer, token: str, call_name: str, de: str, en: str) -> None:
    s = contrib_server
    call = next(c for c in CALLS if c.name == call_name)
    before = _state(s)
    r = call.send(s, s.auth(token))
    assert r.status_code == 403, r.text
    _bilingual(r, de, en)
    assert repr(token) in r.text  # the reason names the token by its name, never its secret
    assert s.secrets[token] not in r.text
    assert _state(s) == before


def test_contributor_cannot_read_another_contributors_submission_or_graph(contrib_server: ContribServer) -> None:
    s = contrib_server
    r = s.submit("kreis-b", VALID_TTL, graph=CONTRIB + "kreis-b/privat")
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    r = httpx.get(s.url + f"/api/contributions/{cid}", headers=s.auth("kreis-a"))
    assert r.status_code == 403 and "jemand anderem" in r.text and "another contributor" in r.text
    assert httpx.get(s.url + f"/api/contributions/{cid}", headers=s.auth("kreis-b")).status_code == 200
    r = httpx.get(s.url + "/store", params={"graph": HNID + "graph/shapes"}, headers=s.auth("kreis-a"))
    assert r.status_code == 403 and "eigenen Beitragsgraphen" in r.text


def test_admin_and_the_legacy_write_token(tmp_path_factory: pytest.TempPathFactory,
                                          mini_project_source: object) -> None:
    """The single write token of earlier versions is an admin token named `write-token`: it
    updates, and it may approve; together with a tokens file both work."""
    from pathlib import Path

    from kg.graph.build import build
    from tests.serving import copy_project, serve_kg
    from tests.web.contrib.conftest import write_tokens

    tmp = tmp_path_factory.mktemp("legacy")
    build(Path(str(mini_project_source)), tmp / "store")
    secrets = write_tokens(tmp / "tokens.toml")
    legacy = "legacy-token-of-earlier-versions-0123456789"
    with serve_kg(tmp / "store", workers=1, tokens_file=tmp / "tokens.toml", write_token=legacy,
                  contributions_dir=tmp / "c", rate_limit=0.0,
                  project_root=copy_project(Path(str(mini_project_source)), tmp / "project")) as url:
        s = ContribServer(url, secrets, tmp / "store", tmp / "c", tmp / "project")
        r = _update(CONTRIB + "x/y")(s, {"Authorization": "Bearer " + legacy})
        assert r.status_code == 200, r.text
        r = _update(CONTRIB + "x/z")(s, s.auth("betrieb"))
        assert r.status_code == 200, r.text
        cid = s.submit("kreis-a", VALID_TTL).json()["id"]
        r = httpx.post(url + f"/api/contributions/{cid}/approve", headers={"Authorization": "Bearer " + legacy},
                       json={"comment": "ok"})
        assert r.status_code == 200 and r.json()["decided_by"] == "write-token"
        actors = {(c["actor"], c["action"]) for c in httpx.get(url + "/changes", params={"format": "json"}).json()[
            "changes"]}
        assert {("write-token", "update"), ("betrieb", "update"), ("write-token", "contribution")} <= actors
        # revert over HTTP: admin only; refused (409, with the later change) once a later change built on it
        g = CONTRIB + "x/revert"
        ins = f"INSERT DATA {{ GRAPH <{g}> {{ <{HNID}org/r> <http://www.w3.org/2000/01/rdf-schema#label> 'r' }} }}"
        assert httpx.post(url + "/sparql", data={"update": ins}, headers=s.auth("betrieb")).status_code == 200
        first = httpx.get(url + "/changes", params={"format": "json", "resource": HNID + "org/r"}).json()["changes"][0]
        for name, status in (("kreis-a", 403), ("redaktion", 403)):
            r = httpx.post(url + f"/changes/{first['id']}/revert", headers=s.auth(name))
            assert r.status_code == status and "Scope admin" in r.text and "admin scope" in r.text
        assert httpx.post(url + f"/changes/{first['id']}/revert").status_code == 401
        upd = (f"DELETE DATA {{ GRAPH <{g}> {{ <{HNID}org/r> <http://www.w3.org/2000/01/rdf-schema#label> 'r' }} }} ; "
               f"INSERT DATA {{ GRAPH <{g}> {{ <{HNID}org/r> <http://www.w3.org/2000/01/rdf-schema#label> 'r2' }} }}")
        assert httpx.post(url + "/sparql", data={"update": upd}, headers=s.auth("betrieb")).status_code == 200
        later = httpx.get(url + "/changes", params={"format": "json", "resource": HNID + "org/r"}).json()["changes"][0]
        r = httpx.post(url + f"/changes/{first['id']}/revert", headers=s.auth("betrieb"))
        assert r.status_code == 409, r.text
        assert later["id"] in str(r.json()["dependents"])
