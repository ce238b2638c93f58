"""The read-only HSDS API (/api/hsds/…, kg/web/routes/hsds.py) on a real server on 127.0.0.1 (httpx):
over the real built store and over a store on disk made of the ontology, the concept schemes and
the marked HSDS fixture of tests/graph/hsds (fixture-hsds-offers.trig: two offers, a provider, a
grant, a health office).

Every object of every endpoint is validated against the HSDS JSON schemas (kg/graph/hsds_schema,
copied from the specification), every list envelope against the OpenAPI's `Page` schema
(tests/fixtures/hsds/openapi.json, copied, CC BY-SA 4.0); all pages together are the export's
objects (kg.graph.hsds.build_hsds on the same store); filters, 404s, ETags, CORS, OpenAPI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest

from kg.graph.hsds import SCHEMA_DIR, build_hsds, hsds_id
from kg.rdf import HNID
from tests.web.api.conftest import PROJECT_ROOT, serve

FIXTURE = PROJECT_ROOT / "tests" / "graph" / "hsds" / "fixture-hsds-offers.trig"
OPENAPI = PROJECT_ROOT / "tests" / "fixtures" / "hsds" / "openapi.json"
#: endpoint → the HSDS schema of its objects
SCHEMA_OF = {"organizations": "organization.json", "services": "service.json",
             "service_at_locations": "service_at_location.json", "taxonomies": "taxonomy.json",
             "taxonomy_terms": "taxonomy_term.json"}
PAGE_FIELDS = {"total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty", "contents"}


def _validator(schema: Any) -> Any:
    from jsonschema import Draft202012Validator, FormatChecker
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    resources = [(p.name, Resource.from_contents(json.loads(p.read_text(encoding="utf-8")),
                                                 default_specification=DRAFT202012))
                 for p in SCHEMA_DIR.glob("*.json")]
    return Draft202012Validator(schema, registry=Registry().with_resources(resources), format_checker=FormatChecker())


VALIDATORS: dict[str, Any] = {}


def check_object(endpoint: str, obj: dict[str, Any]) -> None:
    if endpoint not in VALIDATORS:
        VALIDATORS[endpoint] = _validator({"$ref": SCHEMA_OF[endpoint]})
    errors = list(VALIDATORS[endpoint].iter_errors(obj))
    assert not errors, f"{endpoint} {obj.get('id')}: " + "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
    for service in obj.get("services", []):  # an organisation's services (compiled/organization.json)
        check_object("services", service)


def check_page(body: dict[str, Any]) -> None:
    page_schema = json.loads(OPENAPI.read_text(encoding="utf-8"))["components"]["schemas"]["Page"]
    errors = list(_validator(page_schema).iter_errors({k: v for k, v in body.items() if k != "contents"}))
    assert not errors, errors
    assert set(body) == PAGE_FIELDS
    assert body["size"] == len(body["contents"])
    assert body["empty"] == (body["size"] == 0)
    assert body["first_page"] == (body["page_number"] == 1)
    assert body["last_page"] == (body["page_number"] >= body["total_pages"])


def all_pages(client: httpx.Client, endpoint: str, per_page: int, **params: str) -> list[dict[str, Any]]:
    """Every object of a list endpoint, page by page, each page's envelope and objects checked."""
    out: list[dict[str, Any]] = []
    number = 1
    while True:
        r = client.get(f"/api/hsds/{endpoint}", params={**params, "page": str(number), "per_page": str(per_page)})
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("application/json")
        body = r.json()
        check_page(body)
        assert body["page_number"] == number
        assert body["size"] <= per_page
        for obj in body["contents"]:
            check_object(endpoint, obj)
        out += body["contents"]
        if body["last_page"]:
            assert body["total_items"] == len(out)
            assert body["total_pages"] == number
            return out
        assert body["size"] == per_page
        number += 1


# --------------------------------------------------------------------------- servers


def _fixture_store(path: Path) -> Path:
    store = ox.Store(str(path))
    for ttl in sorted((PROJECT_ROOT / "ontology").glob("*.ttl")):
        store.load(path=str(ttl), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(HNID + "graph/ontology"))
    for ttl in sorted((PROJECT_ROOT / "ontology" / "schemes").glob("*.ttl")):
        store.load(path=str(ttl), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(HNID + "graph/schemes"))
    store.load(path=str(FIXTURE), format=ox.RdfFormat.TRIG)
    store.flush()
    del store
    return path


@pytest.fixture(scope="module")
def fixture_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _fixture_store(tmp_path_factory.mktemp("hsds-api") / "store")


@pytest.fixture(scope="module")
def fx(fixture_store: Path) -> Iterator[httpx.Client]:
    """A client of a server over the fixture store (no rate limit: paging at per_page=1 is ~400 requests)."""
    with serve(fixture_store, rate_limit=0.0) as url, httpx.Client(base_url=url, timeout=60) as c:
        yield c


@pytest.fixture(scope="module")
def fixture_export(fixture_store: Path) -> dict[str, list[dict[str, Any]]]:
    return build_hsds(ox.Store.read_only(str(fixture_store))).json_objects


# --------------------------------------------------------------------------- the real graph


@pytest.mark.slow
def test_real_graph_every_endpoint_pages_the_export(client: httpx.Client, built_store: Path) -> None:
    export = build_hsds(ox.Store.read_only(str(built_store))).json_objects
    for endpoint in SCHEMA_OF:
        objects = all_pages(client, endpoint, per_page=100)
        assert objects == export.get(endpoint, []), endpoint
        for obj in objects[:3]:  # by id: the same object (organisations add their services)
            r = client.get(f"/api/hsds/{endpoint}/{obj['id']}")
            assert r.status_code == 200
            check_object(endpoint, r.json())
            assert {k: v for k, v in r.json().items() if k != "services"} == obj
    assert len(export["organizations"]) > 300 and export["services"] and export["taxonomy_terms"]


# --------------------------------------------------------------------------- the fixture


def test_root_names_version_and_openapi(fx: httpx.Client) -> None:
    r = fx.get("/api/hsds/")
    assert r.status_code == 200
    body = r.json()
    assert body["version"].startswith("3.")
    assert set(body) == {"version", "profile", "openapi_url"}
    assert body["openapi_url"] == str(fx.base_url).rstrip("/") + "/openapi.json"
    assert fx.get(body["openapi_url"]).status_code == 200


def test_fixture_pages_are_the_export(fx: httpx.Client, fixture_export: dict[str, list[dict[str, Any]]]) -> None:
    for endpoint in SCHEMA_OF:
        for per_page in (1, 2, 1000):
            assert all_pages(fx, endpoint, per_page) == fixture_export.get(endpoint, []), (endpoint, per_page)
    assert len(fixture_export["services"]) == 2
    assert fixture_export.get("service_at_locations", []) == []  # the model has no delivery locations


def test_page_past_the_end_and_bad_paging(fx: httpx.Client) -> None:
    body = fx.get("/api/hsds/services", params={"page": "9", "per_page": "1"}).json()
    check_page(body)
    assert body["empty"] and body["total_items"] == 2 and body["total_pages"] == 2 and body["last_page"]
    for params in ({"page": "0"}, {"per_page": "0"}, {"per_page": "1001"}):
        r = fx.get("/api/hsds/services", params=params)
        assert r.status_code == 400, params
        assert "must" in r.text and "muss" in r.text  # English and German
    assert fx.get("/api/hsds/services", params={"page": "x"}).status_code == 422
    assert fx.get("/api/hsds/services", params={"colour": "red"}).status_code == 422


def test_by_id_and_unknown_ids(fx: httpx.Client, fixture_export: dict[str, list[dict[str, Any]]]) -> None:
    sid = hsds_id(HNID + "offer/fixture-patenschaften")
    r = fx.get(f"/api/hsds/services/{sid}")
    assert r.status_code == 200
    assert r.json() == next(s for s in fixture_export["services"] if s["id"] == sid)
    assert r.json()["service_areas"][0]["uri"].startswith(HNID + "area/")
    for endpoint in SCHEMA_OF:
        r = fx.get(f"/api/hsds/{endpoint}/00000000-0000-5000-8000-000000000000")
        assert r.status_code == 404, endpoint
        assert "no HSDS" in r.text and "kein HSDS-Objekt" in r.text and "00000000-0000" in r.text


def test_organization_carries_its_services(fx: httpx.Client) -> None:
    oid = hsds_id(HNID + "org/fixture-traeger")
    org = fx.get(f"/api/hsds/organizations/{oid}").json()
    check_object("organizations", org)
    assert [s["name"] for s in org["services"]] == ["Fixture-Patenschaften"]
    assert "service_areas" not in org["services"][0]  # one-to-one fields only
    full = fx.get(f"/api/hsds/organizations/{oid}", params={"full_service": "true"}).json()
    check_object("organizations", full)
    assert full["services"][0]["service_areas"]
    listed = fx.get("/api/hsds/organizations", params={"full_service": "true", "per_page": "1000"}).json()
    assert next(o for o in listed["contents"] if o["id"] == oid)["services"] == full["services"]


def test_service_filters_are_cumulative(fx: httpx.Client, fixture_export: dict[str, list[dict[str, Any]]]) -> None:
    def names(**params: str) -> list[str]:
        return sorted(s["name"] for s in all_pages(fx, "services", 50, **params))

    patenschaften = next(s for s in fixture_export["services"] if s["name"] == "Fixture-Patenschaften")
    term = patenschaften["attributes"][0]["taxonomy_term"]
    oid = hsds_id(HNID + "org/fixture-traeger")
    assert names() == ["Angebot ohne Anbieter", "Fixture-Patenschaften"]
    assert names(search="patenSCHAFTEN") == ["Fixture-Patenschaften"]
    assert names(search="anbieter ohne") == ["Angebot ohne Anbieter"]  # every word, any order
    assert names(search="patenschaften anbieter") == []
    assert names(organization_id=oid) == ["Fixture-Patenschaften"]
    assert names(taxonomy_term_id=term["id"]) == ["Fixture-Patenschaften"]
    assert names(taxonomy_id=term["taxonomy_id"]) == ["Fixture-Patenschaften"]
    assert names(taxonomy_id=term["taxonomy_id"], search="ohne") == []
    assert names(organization_id="nobody") == []
    minimal = fx.get("/api/hsds/services", params={"minimal": "true"}).json()["contents"]
    assert sorted(minimal, key=lambda x: x["id"]) == sorted(({"id": s["id"]} for s in fixture_export["services"]),
                                                            key=lambda x: x["id"])
    flat = fx.get("/api/hsds/services", params={"full": "false"}).json()["contents"]
    assert flat and all(not isinstance(v, list) for s in flat for v in s.values())
    for name, value in (("modified_after", "2024-01-01T00:00:00Z"), ("postcode", "44135")):
        endpoint = "services" if name == "modified_after" else "service_at_locations"
        r = fx.get(f"/api/hsds/{endpoint}", params={name: value})
        assert r.status_code == 400 and "not supported" in r.text and "nicht unterstützt" in r.text


def test_taxonomy_term_filters(fx: httpx.Client, fixture_export: dict[str, list[dict[str, Any]]]) -> None:
    terms = fixture_export["taxonomy_terms"]
    child = next(t for t in terms if t.get("parent_id"))
    taxonomy = child["taxonomy_id"]
    in_taxonomy = all_pages(fx, "taxonomy_terms", 100, taxonomy_id=taxonomy)
    assert in_taxonomy == [t for t in terms if t.get("taxonomy_id") == taxonomy]
    assert all_pages(fx, "taxonomy_terms", 100, parent_id=child["parent_id"]) == [
        t for t in terms if t.get("parent_id") == child["parent_id"]]
    top = all_pages(fx, "taxonomy_terms", 100, top_only="true", taxonomy_id=taxonomy)
    assert top and child not in top and all(not t.get("parent_id") for t in top)
    found = all_pages(fx, "taxonomy_terms", 100, search=child["name"])
    assert child in found
    assert all_pages(fx, "taxonomies", 100, search="zzz-nothing") == []


def test_ndjson_is_every_object_without_paging(fx: httpx.Client,
                                               fixture_export: dict[str, list[dict[str, Any]]]) -> None:
    r = fx.get("/api/hsds/taxonomy_terms", params={"format": "ndjson", "per_page": "1"})
    assert r.headers["content-type"].startswith("application/x-ndjson")
    assert [json.loads(line) for line in r.text.splitlines()] == fixture_export["taxonomy_terms"]


def test_etag_head_and_cors(fx: httpx.Client) -> None:
    r = fx.get("/api/hsds/taxonomies", headers={"Origin": "https://portal.example"})
    assert r.status_code == 200 and r.headers["etag"]
    assert r.headers["access-control-allow-origin"] == "*"
    again = fx.get("/api/hsds/taxonomies", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    other = fx.get("/api/hsds/taxonomies", params={"per_page": "1"})
    assert other.headers["etag"] != r.headers["etag"]
    head = fx.head("/api/hsds/taxonomies")
    assert head.status_code == 200 and head.headers["etag"] == r.headers["etag"] and head.content == b""


def test_openapi_describes_the_hsds_routes(fx: httpx.Client) -> None:
    doc = fx.get("/openapi.json").json()
    for endpoint in SCHEMA_OF:
        assert f"/api/hsds/{endpoint}" in doc["paths"] and f"/api/hsds/{endpoint}/{{id}}" in doc["paths"]
    params = {p["name"] for p in doc["paths"]["/api/hsds/services"]["get"]["parameters"]}
    assert {"search", "page", "per_page", "taxonomy_term_id", "taxonomy_id", "organization_id"} <= params
    assert "/api/hsds/" in doc["paths"]
