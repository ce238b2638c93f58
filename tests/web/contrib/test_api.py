"""The contribution flow over the JSON API on a real server over the mini fixture project:
check, submit, pending (not served), review, approve or reject; conflicts."""

from __future__ import annotations

import os
import threading

import httpx

from tests.web.contrib.conftest import CONTRIB, INVALID_TTL, VALID_TTL, ContribServer

ORG = "https://w3id.org/hilfenetz/id/org/"


def _kept(s: ContribServer) -> set[str]:
    return s.kept()


def _changes_about(s: ContribServer, resource: str) -> list[dict[str, object]]:
    r = httpx.get(s.url + "/changes", params={"resource": resource, "format": "json"})
    assert r.status_code == 200, r.text
    return list(r.json()["changes"])


def test_check_keeps_nothing_and_reports_the_violation(contrib_server: ContribServer) -> None:
    s = contrib_server
    before, kept = s.dump(), _kept(s)
    r = s.submit("kreis-a", INVALID_TTL, check=True)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["kept"] is False and body["status"] == "checked"
    [problem] = body["problems"]
    assert problem["severity"] == "error" and problem["property"] == "rdfs:label"
    assert "Namen" in problem["message_de"] and "name" in problem["message_en"]
    assert 'class="error"' in body["html"]
    assert s.dump() == before and _kept(s) == kept


def test_pending_is_not_served_until_approved(contrib_server: ContribServer) -> None:
    s = contrib_server
    ttl = VALID_TTL.replace("beratung-kinder-dortmund", "pending-probe").replace("(Fixture)", "Pending-Probe")
    before = s.dump()
    r = s.submit("kreis-a", ttl, source_title="Fixture-Quelle", comment="erste Einreichung")
    assert r.status_code == 201, r.text
    sub = r.json()
    assert sub["status"] == "pending" and sub["kept"] is True and sub["counts"]["added"] == 4
    assert r.headers["location"].endswith("/api/contributions/" + sub["id"])
    # nothing served: not in the union default graph, not under GRAPH ?g, no entity page, not in search
    assert s.dump() == before
    assert not s.ask(f"ASK {{ <{ORG}pending-probe> ?p ?o }}")
    assert not s.ask(f"ASK {{ GRAPH ?g {{ <{ORG}pending-probe> ?p ?o }} }}")
    assert not s.ask('ASK { ?s ?p "Beratungsstelle Kinder Pending-Probe"@de }')
    assert httpx.get(s.url + "/id/org/pending-probe", headers={"Accept": "text/turtle"}).status_code == 404
    assert _changes_about(s, ORG + "pending-probe") == []  # nothing committed, nothing recorded
    # the reviewer sees it with the change in words
    r = httpx.get(s.url + f"/api/contributions/{sub['id']}", headers=s.auth("redaktion"))
    assert r.status_code == 200
    got = r.json()
    [change] = got["changes"]
    assert change["label"] == "Beratungsstelle Kinder Pending-Probe" and change["new"] is True
    assert {a["property_label"] for a in change["added"]} >= {"Zuständigkeitsgebiet", "Bezeichnung", "Typ"}
    assert any(a["value_label"] == "Dortmund" for a in change["added"])
    assert 'class="approve"' in got["html"]
    # approve: committed with its inferences
    r = httpx.post(s.url + f"/api/contributions/{sub['id']}/approve", headers=s.auth("redaktion"),
                   json={"comment": "passt"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved" and r.json()["decided_by"] == "redaktion"
    assert s.ask(f"ASK {{ GRAPH <{CONTRIB}kreis-a/main> {{ <{ORG}pending-probe> ?p ?o }} }}")
    assert s.ask(f"ASK {{ GRAPH <https://w3id.org/hilfenetz/id/graph/inferred> {{ <{ORG}pending-probe> ?p ?o }} }}")
    assert httpx.get(s.url + "/id/org/pending-probe", headers={"Accept": "text/turtle"}).status_code == 200
    # recorded as a change: the reviewer's token name, the action, the pending graph as its source
    [change] = _changes_about(s, ORG + "pending-probe")
    assert (change["actor"], change["action"], change["source"]) == ("redaktion", "contribution", sub["pending_graph"])
    assert CONTRIB + "kreis-a/main" in change["graphs"] and change["triplesAdded"] == 4
    # a replayed approval: 409, nothing changes
    after = s.dump()
    r = httpx.post(s.url + f"/api/contributions/{sub['id']}/approve", headers=s.auth("redaktion"), json={})
    assert r.status_code == 409
    assert "approved by redaktion" in r.text and "freigegeben" in r.text
    assert s.dump() == after


def test_invalid_submission_is_kept_with_its_report_and_cannot_be_approved(contrib_server: ContribServer) -> None:
    s = contrib_server
    before = s.dump()
    r = s.submit("kreis-a", INVALID_TTL, graph=CONTRIB + "kreis-a/zwei")
    assert r.status_code == 422, r.text
    sub = r.json()
    assert sub["status"] == "invalid" and sub["kept"] is True and sub["problems"]
    assert sub["id"] in _kept(s)
    got = httpx.get(s.url + f"/api/contributions/{sub['id']}", headers=s.auth("kreis-a")).json()
    assert got["status"] == "invalid" and got["problems"][0]["property"] == "rdfs:label"
    r = httpx.post(s.url + f"/api/contributions/{sub['id']}/approve", headers=s.auth("redaktion"), json={})
    assert r.status_code == 409 and "invalid" in r.text
    assert s.dump() == before


def test_reject_needs_a_reason_and_keeps_it(contrib_server: ContribServer) -> None:
    s = contrib_server
    r = s.submit("kreis-a", VALID_TTL, graph=CONTRIB + "kreis-a/abgelehnt")
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    before = s.dump()
    r = httpx.post(s.url + f"/api/contributions/{cid}/reject", headers=s.auth("redaktion"), json={"comment": ""})
    assert r.status_code == 400 and "Kommentar" in r.text
    r = httpx.post(s.url + f"/api/contributions/{cid}/reject", headers=s.auth("redaktion"),
                   json={"comment": "Quelle fehlt"})
    assert r.status_code == 200
    got = httpx.get(s.url + f"/api/contributions/{cid}", headers=s.auth("kreis-a")).json()
    assert got["status"] == "rejected" and got["decision_comment"] == "Quelle fehlt"
    assert got["history"][-1]["action"] == "rejected"
    r = httpx.post(s.url + f"/api/contributions/{cid}/approve", headers=s.auth("redaktion"), json={})
    assert r.status_code == 409 and "rejected" in r.text
    assert s.dump() == before


def test_two_reviewers_approving_at_once_one_wins(contrib_server: ContribServer) -> None:
    s = contrib_server
    ttl = VALID_TTL.replace("beratung-kinder-dortmund", "race-probe")
    r = s.submit("kreis-a", ttl, graph=CONTRIB + "kreis-a/race")
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    barrier = threading.Barrier(2)
    answers: dict[str, httpx.Response] = {}

    def approve(name: str) -> None:
        barrier.wait()
        answers[name] = httpx.post(s.url + f"/api/contributions/{cid}/approve", headers=s.auth(name),
                                   json={"comment": name}, timeout=60)

    threads = [threading.Thread(target=approve, args=(n,)) for n in ("redaktion", "redaktion-2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(a.status_code for a in answers.values())
    assert codes == [200, 409], {n: (a.status_code, a.text[:200]) for n, a in answers.items()}
    winner = next(n for n, a in answers.items() if a.status_code == 200)
    loser = next(a for a in answers.values() if a.status_code == 409)
    assert f"approved by {winner}" in loser.text and "nicht mehr offen" in loser.text
    r = httpx.get(s.url + f"/api/contributions/{cid}", headers=s.auth("redaktion")).json()
    assert r["decided_by"] == winner and [h["action"] for h in r["history"]] == ["approved"]


def test_a_second_version_shows_changed_and_removed_statements(contrib_server: ContribServer) -> None:
    s = contrib_server
    g = CONTRIB + "kreis-a/versionen"
    ttl = VALID_TTL.replace("beratung-kinder-dortmund", "version-probe")
    cid = s.submit("kreis-a", ttl, graph=g).json()["id"]
    assert httpx.post(s.url + f"/api/contributions/{cid}/approve", headers=s.auth("redaktion"),
                      json={}).status_code == 200
    v2 = ttl.replace("Beratungsstelle Kinder (Fixture)", "Beratungsstelle Familie (Fixture)").replace(
        "  hn:areaServed <https://w3id.org/hilfenetz/id/area/05913000> ;\n", "")
    r = s.submit("kreis-a", v2, graph=g)
    assert r.status_code == 201, r.text
    [change] = r.json()["changes"]
    assert change["new"] is False
    [changed] = change["changed"]
    assert changed["value_label"] == "Beratungsstelle Familie (Fixture)"
    assert changed["old_label"] == "Beratungsstelle Kinder (Fixture)"
    assert [x["value_label"] for x in change["removed"]] == ["Dortmund"]
    assert "bisher" in r.json()["html"] and 'class="removed"' in r.json()["html"]


def test_listing_by_status_and_owner(contrib_server: ContribServer) -> None:
    s = contrib_server
    s.submit("kreis-b", VALID_TTL.replace("beratung-kinder-dortmund", "b-probe"))
    mine = httpx.get(s.url + "/api/contributions", headers=s.auth("kreis-b")).json()["contributions"]
    assert mine and {c["submitter"] for c in mine} == {"kreis-b"}
    everyone = httpx.get(s.url + "/api/contributions", headers=s.auth("redaktion")).json()["contributions"]
    assert {"kreis-a", "kreis-b"} <= {c["submitter"] for c in everyone}
    ids = [c["id"] for c in everyone]
    assert ids == sorted(ids, reverse=True)  # newest first
    pending = httpx.get(s.url + "/api/contributions", params={"status": "pending"},
                        headers=s.auth("redaktion")).json()["contributions"]
    assert pending and {c["status"] for c in pending} == {"pending"}
    assert httpx.get(s.url + "/api/contributions", params={"status": "bogus"},
                     headers=s.auth("redaktion")).status_code == 400


def test_openapi_describes_the_contribution_api(contrib_server: ContribServer) -> None:
    doc = httpx.get(contrib_server.url + "/openapi.json").json()
    paths = doc["paths"]
    assert {"post", "get"} <= set(paths["/api/contributions"])
    assert "multipart/form-data" in paths["/api/contributions"]["post"]["requestBody"]["content"]
    assert "get" in paths["/api/contributions/{cid}"]
    for action in ("approve", "reject"):
        op = paths[f"/api/contributions/{{cid}}/{action}"]["post"]
        assert {"401", "403", "409"} <= set(op["responses"])
    ids = [op["operationId"] for item in paths.values() for op in item.values() if isinstance(op, dict)]
    assert len(ids) == len(set(ids))


def test_a_crash_between_commit_and_record_is_reconciled(contrib_server: ContribServer, tmp_path: os.PathLike[str]
                                                         ) -> None:
    """A record left `approving` (the process died after the store commit or before it) is
    resolved from the store: the same pending graph as the target graph -> approved; else pending."""
    import pyoxigraph as ox

    from kg.graph.contributions import Contributions, Record, SourceInfo

    c = Contributions(__import__("pathlib").Path(tmp_path) / "c")
    store = ox.Store()
    g = CONTRIB + "kreis-a/crash"
    t = ox.Triple(ox.NamedNode(ORG + "x"), ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"), ox.Literal("x"))
    done = c.create(Record(c.new_id(), "approving", "kreis-a", g, "rdf", "a.ttl", "now", SourceInfo()), b"", [t])
    not_done = c.create(Record(c.new_id() + "", "approving", "kreis-a", CONTRIB + "kreis-a/other", "rdf", "b.ttl",
                               "now", SourceInfo()), b"", [t])
    store.add(ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(g)))
    assert sorted(c.reconcile(store)) == sorted([done.id, not_done.id])
    assert c.get(done.id).status == "approved" and c.get(not_done.id).status == "pending"
    # a half-written submission directory from a crash is removed when the directory is opened
    (c.dir / ".tmp-abc").mkdir()
    Contributions(c.dir)
    assert not (c.dir / ".tmp-abc").exists()
