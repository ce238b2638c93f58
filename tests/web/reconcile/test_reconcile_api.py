"""`/reconcile` over the real built store and a real server: every answer validated against the
0.2 JSON schemas (tests/web/reconcile/schemas.py), requests sent the way OpenRefine 3.x sends
them (the manifest by JSONP, batches as a form-encoded POST)."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.web.reconcile.schemas import check
from tests.web.security.test_headers import assert_works_under_csp

PROJECT_ROOT = Path(__file__).resolve().parents[3]
HNID = "https://w3id.org/hilfenetz/id/"
AREA = HNID + "area/"
GLADBECK, RECKLINGHAUSEN_KREIS, RECKLINGHAUSEN_STADT = AREA + "05562014", AREA + "05562", AREA + "05562032"
LZG_KOORD = HNID + "org/landeskoordinierungsstelle-fruehe-hilfen-nrw"


def population(ags: str) -> int:
    """The population of a Gemeinde straight from the reference CSV (an independent source)."""
    with open(PROJECT_ROOT / "data/reference/gemeinden.csv", encoding="utf-8") as f:
        return next(int(r["population"]) for r in csv.DictReader(f) if r["ags"] == ags)


def batch(client: httpx.Client, queries: dict[str, Any], method: str = "POST") -> dict[str, Any]:
    """A query batch as OpenRefine sends it (POST, form-encoded `queries=`), checked both ways."""
    check("reconciliation-query-batch", queries)
    payload = json.dumps(queries)
    r = (client.post("/reconcile", data={"queries": payload}) if method == "POST"
         else client.get("/reconcile", params={"queries": payload}))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    check("reconciliation-result-batch", body)
    assert set(body) == set(queries)
    return body


def jsonp(text: str, callback: str) -> Any:
    m = re.fullmatch(r"/\*\*/" + re.escape(callback) + r"\((.*)\);", text, re.S)
    assert m, text[:200]
    return json.loads(m.group(1))


# ------------------------------------------------------------------------------ manifest


def test_manifest(client: httpx.Client, recon_url: str) -> None:
    r = client.get("/reconcile")
    assert r.status_code == 200
    m = r.json()
    check("manifest", m)
    assert "0.2" in m["versions"]
    assert m["identifierSpace"] == HNID
    assert {t["id"] for t in m["defaultTypes"]} >= {"hn:Municipality", "hn:District", "hn:Organisation",
                                                    "hn:HealthOffice", "hn:Programme", "skos:Concept"}
    assert m["preview"]["url"] == recon_url + "/reconcile/preview?id={{id}}"
    assert m["suggest"]["entity"]["service_url"] == recon_url + "/reconcile"
    assert m["extend"]["propose_properties"]["service_path"] == "/properties"


def test_manifest_as_jsonp_as_openrefine_asks(client: httpx.Client) -> None:
    """OpenRefine 3.x fetches the manifest with `callback=jsonp<timestamp>` (a <script> request)."""
    r = client.get("/reconcile", params={"callback": "jsonp1712345678901"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/javascript")
    check("manifest", jsonp(r.text, "jsonp1712345678901"))


def test_jsonp_callback_must_be_an_identifier(client: httpx.Client) -> None:
    r = client.get("/reconcile", params={"callback": "alert(1)//"})
    assert r.status_code == 400
    assert "Bezeichner" in r.text


def test_cors_on_reconcile(client: httpx.Client) -> None:
    r = client.post("/reconcile", data={"queries": json.dumps({"q0": {"query": "Gladbeck"}})},
                    headers={"Origin": "http://127.0.0.1:3333"})
    assert r.headers.get("access-control-allow-origin") == "*"


# ------------------------------------------------------------------------------ queries


def test_batch_post_form_and_get_agree(client: httpx.Client) -> None:
    queries = {"q0": {"query": "Gladbeck", "type": "hn:Municipality"},
               "q1": {"query": "Kr. Recklinghausen", "type": "hn:District", "limit": 3}}
    posted, got = batch(client, queries, "POST"), batch(client, queries, "GET")
    assert posted == got
    top = posted["q0"]["result"][0]
    assert (top["id"], top["match"], top["score"]) == (GLADBECK, True, 100)
    assert top["type"][0]["id"] == "hn:Municipality"
    assert "Recklinghausen" in top["description"] and "Nordrhein-Westfalen" in top["description"]
    assert posted["q1"]["result"][0]["id"] == RECKLINGHAUSEN_KREIS and posted["q1"]["result"][0]["match"]
    assert len(posted["q1"]["result"]) <= 3


def test_designator_forms(client: httpx.Client) -> None:
    body = batch(client, {
        "stadt": {"query": "Stadt Recklinghausen", "type": "hn:AdministrativeArea"},
        "comma": {"query": "Recklinghausen, Stadt", "type": "hn:Municipality"},
        "kreis": {"query": "Kreis Recklinghausen", "type": "hn:AdministrativeArea"},
        "landkreis": {"query": "Landkreis München", "type": "hn:District"},
        "umlaut": {"query": "Muenchen", "type": "hn:Municipality"},
    })
    assert [body[k]["result"][0]["id"] for k in ("stadt", "comma", "kreis", "landkreis", "umlaut")] == \
        [RECKLINGHAUSEN_STADT, RECKLINGHAUSEN_STADT, RECKLINGHAUSEN_KREIS, AREA + "09184", AREA + "09162000"]
    assert all(body[k]["result"][0]["match"] for k in body)
    feats = {f["id"]: f["value"] for f in body["stadt"]["result"][0]["features"]}
    assert feats["designator_agrees"] is True
    conflict = next(c for c in body["stadt"]["result"] if c["id"] == RECKLINGHAUSEN_KREIS)
    assert conflict["score"] <= 60 and not conflict["match"]


def test_bare_name_of_kreis_and_town_is_ambiguous(client: httpx.Client) -> None:
    result = batch(client, {"q": {"query": "Recklinghausen", "type": "hn:AdministrativeArea"}})["q"]["result"]
    ids = [c["id"] for c in result]
    assert RECKLINGHAUSEN_KREIS in ids[:2] and RECKLINGHAUSEN_STADT in ids[:2]
    assert not any(c["match"] for c in result)


def test_name_in_two_laender_is_ambiguous_and_land_narrows(client: httpx.Client) -> None:
    """Salem is a Gemeinde in Schleswig-Holstein and in Baden-Württemberg."""
    body = batch(client, {
        "both": {"query": "Salem", "type": "hn:Municipality"},
        "bw": {"query": "Salem", "type": "hn:Municipality", "properties": [{"pid": "land", "v": "Baden-Württemberg"}]},
        "sh": {"query": "Salem", "type": "hn:Municipality", "properties": [{"pid": "land", "v": "DE-SH"}]},
        "id": {"query": "Salem", "type": "hn:Municipality", "properties": [{"pid": "land", "v": {"id": AREA + "08"}}]},
    })
    both = body["both"]["result"]
    assert {c["id"] for c in both} == {AREA + "01053107", AREA + "08435052"}
    assert [c["score"] for c in both] == [100, 100] and not any(c["match"] for c in both)
    for key, ags in (("bw", "08435052"), ("sh", "01053107"), ("id", "08435052")):
        result = body[key]["result"]
        assert [c["id"] for c in result] == [AREA + ags], key
        assert result[0]["match"] is True


def test_kreis_narrows_further(client: httpx.Client) -> None:
    """Neuenkirchen: eleven Gemeinden, four in Niedersachsen, two in Kreis Vorpommern-Greifswald."""
    body = batch(client, {
        "ni": {"query": "Neuenkirchen", "type": "hn:Municipality", "limit": 10,
               "properties": [{"pid": "land", "v": "Niedersachsen"}]},
        "os": {"query": "Neuenkirchen", "type": "hn:Municipality",
               "properties": [{"pid": "land", "v": "Niedersachsen"}, {"pid": "kreis", "v": "Landkreis Osnabrück"}]},
        "vg": {"query": "Neuenkirchen", "type": "hn:Municipality",
               "properties": [{"pid": "kreis", "v": "13075"}]},
    })
    ni = body["ni"]["result"]
    assert len(ni) >= 4 and all(c["id"].startswith(AREA + "03") for c in ni) and not any(c["match"] for c in ni)
    assert [(c["id"], c["match"]) for c in body["os"]["result"]] == [(AREA + "03459027", True)]
    vg = body["vg"]["result"]
    assert {c["id"] for c in vg} == {AREA + "13075101", AREA + "13075102"} and not any(c["match"] for c in vg)


def test_ags_and_ars_lookup(client: httpx.Client) -> None:
    body = batch(client, {
        "ags": {"query": "05562014"},
        "ars": {"query": "055620014014"},
        "prop": {"query": "Gladbeck", "properties": [{"pid": "ags", "v": "05562014"}]},
        "only": {"properties": [{"pid": "ags", "v": "05562"}]},
    })
    for key in ("ags", "ars", "prop"):
        top = body[key]["result"][0]
        assert (top["id"], top["match"]) == (GLADBECK, True), key
    assert body["only"]["result"][0]["id"] == RECKLINGHAUSEN_KREIS


def test_other_types(client: httpx.Client) -> None:
    body = batch(client, {
        "office": {"query": "Gesundheitsamt Kreis Recklinghausen", "type": "hn:HealthOffice"},
        "org": {"query": "LZG.NRW", "type": "hn:Organisation"},
        "prog": {"query": "Kommunale Präventionsketten", "type": "hn:Programme"},
        "concept": {"query": "Kammer", "type": "skos:Concept"},
        "typo": {"query": "Recklinghusen", "type": "hn:Municipality"},
        "unknown": {"query": "Gladbeck", "type": "hn:NoSuchType"},
    })
    assert body["office"]["result"][0]["id"] == HNID + "health-office/105562"
    assert body["org"]["result"][0]["id"] == HNID + "org/lzg-nrw"
    assert body["prog"]["result"][0]["id"] == HNID + "programme/kommunale-praeventionsketten-nrw"
    assert body["concept"]["result"][0]["id"] == HNID + "concept/organisation-type/chamber"
    assert all(body[k]["result"][0]["match"] for k in ("office", "org", "prog", "concept"))
    typo = body["typo"]["result"][0]
    assert typo["id"] == RECKLINGHAUSEN_STADT and typo["match"] is False and typo["score"] < 90
    assert body["unknown"]["result"] == []


@pytest.mark.parametrize("payload", ["{not json", json.dumps([1, 2]), json.dumps({"q0": {"query": "x", "bogus": 1}}),
                                     json.dumps({"q0": {"query": ""}}),
                                     json.dumps({f"q{i}": {"query": "Gladbeck"} for i in range(1001)})])
def test_bad_batches_are_refused(client: httpx.Client, payload: str) -> None:
    r = client.post("/reconcile", data={"queries": payload})
    assert r.status_code == 400
    assert "queries" in r.text


# ------------------------------------------------------------------------------ suggest


def test_suggest_entity(client: httpx.Client) -> None:
    r = client.get("/reconcile/suggest/entity", params={"prefix": "Gladb", "type": "hn:Municipality"})
    body = r.json()
    check("suggest-entities-response", body)
    assert body["result"][0]["id"] == GLADBECK
    r = client.get("/reconcile/suggest/entity", params={"prefix": "Mün", "callback": "cb_1"})
    body = jsonp(r.text, "cb_1")
    check("suggest-entities-response", body)
    assert body["result"] and body["result"][0]["name"].startswith("München")


def test_suggest_type_and_property(client: httpx.Client) -> None:
    types = client.get("/reconcile/suggest/type", params={"prefix": "Gem"}).json()
    check("suggest-types-response", types)
    assert {"hn:Municipality", "hn:MunicipalAssociation"} <= {t["id"] for t in types["result"]}
    props = client.get("/reconcile/suggest/property", params={"prefix": "Ein", "type": "hn:Municipality"}).json()
    check("suggest-properties-response", props)
    # "Einwohnerzahl" and "Stichtag der Einwohnerzahl" (a word of the name starts with the prefix)
    assert [p["id"] for p in props["result"]] == ["population", "populationDate"]
    land = client.get("/reconcile/suggest/property", params={"prefix": "la"}).json()
    assert "land" in {p["id"] for p in land["result"]}


# ------------------------------------------------------------------------------ preview and view


def test_preview_card_is_frameable_and_scriptless(client: httpx.Client) -> None:
    r = client.get("/reconcile/preview", params={"id": GLADBECK})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "Gladbeck" in r.text and "05562014" in r.text and "Recklinghausen" in r.text
    assert f"{population('05562014'):,}".replace(",", ".") in r.text
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors *" in csp and "script-src 'none'" in csp
    assert "x-frame-options" not in r.headers
    assert "<script" not in r.text
    assert_works_under_csp(r.text, csp)  # its one inline <style> is allowed by hash
    # every other route stays unframeable, and so does the preview route's own error answer
    other = client.get("/reconcile")
    assert "frame-ancestors 'none'" in other.headers["content-security-policy"]
    assert other.headers["x-frame-options"] == "DENY"
    missing = client.get("/reconcile/preview", params={"id": AREA + "99999999"})
    assert missing.status_code == 404
    assert "frame-ancestors 'none'" in missing.headers["content-security-policy"]
    assert missing.headers["x-frame-options"] == "DENY"


def test_view_redirects_to_the_entity_page(client: httpx.Client) -> None:
    r = client.get("/reconcile/view", params={"id": GLADBECK})
    assert r.status_code == 303 and r.headers["location"] == "/id/area/05562014"


# ------------------------------------------------------------------------------ extension


def test_propose_properties(client: httpx.Client) -> None:
    body = client.get("/reconcile/properties", params={"type": "hn:Municipality"}).json()
    check("data-extension-property-proposal", body)
    assert {"ags", "kreis", "land", "population", "healthOffice"} <= {p["id"] for p in body["properties"]}
    org = client.get("/reconcile/properties", params={"type": "hn:Organisation"}).json()
    assert {"type", "location", "programmes"} <= {p["id"] for p in org["properties"]}


def test_extend_municipalities_and_organisations(client: httpx.Client) -> None:
    query = {"ids": [GLADBECK, LZG_KOORD],
             "properties": [{"id": p} for p in ("ags", "kreis", "land", "population", "healthOffice", "type",
                                                "location", "programmes")]}
    check("data-extension-query", query)
    r = client.post("/reconcile", data={"extend": json.dumps(query)})
    assert r.status_code == 200, r.text
    body = r.json()
    check("data-extension-response", body)
    g = body["rows"][GLADBECK]
    assert g["ags"] == [{"str": "05562014"}]
    assert [v["id"] for v in g["kreis"]] == [RECKLINGHAUSEN_KREIS]
    assert [v["id"] for v in g["land"]] == [AREA + "05"]
    assert g["population"] == [{"int": population("05562014")}]
    assert [v["id"] for v in g["healthOffice"]] == [HNID + "health-office/105562"]
    assert HNID + "programme/kommunale-praeventionsketten-nrw" in [v["id"] for v in g["programmes"]]
    o = body["rows"][LZG_KOORD]
    assert [v["id"] for v in o["location"]] == [AREA + "05"]
    assert HNID + "programme/bundesinitiative-netzwerke-fruehe-hilfen-familienhebammen" in \
        [v["id"] for v in o["programmes"]]
    assert o["type"] and o["ags"] == []


def test_extend_unknown_property_is_refused(client: httpx.Client) -> None:
    r = client.get("/reconcile", params={"extend": json.dumps({"ids": [GLADBECK], "properties": [{"id": "nope"}]})})
    assert r.status_code == 400 and "unbekannte Eigenschaft" in r.text
