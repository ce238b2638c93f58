"""The REST API as a protocol: formats, pagination, validation, injection, OpenAPI, reachability.

Real server over the real store (conftest). A parameter value is bound as an RDF term, so an
attempt to inject SPARQL either fails validation (422) or is an inert literal."""

from __future__ import annotations

import csv
import io
import json

import httpx
import pyoxigraph as ox
import pytest

from kg.sparql.params import bind, load_named_queries, run

from .conftest import HNID, QUERIES

GLADBECK = HNID + "area/05562014"


def test_list_of_queries(client: httpx.Client) -> None:
    body = client.get("/api/queries").json()
    names = [q["name"] for q in body["queries"]]
    assert names == sorted(p.stem for p in QUERIES.glob("*.rq"))
    mp = next(q for q in body["queries"] if q["name"] == "municipality-programmes")
    assert [p["name"] for p in mp["params"]] == ["municipality", "programme"]
    assert mp["params"][0]["type"] == "iri(hn:AdministrativeArea)"
    assert mp["title"]["de"] == "Programme je Kommune, Kommunen je Programm"


@pytest.mark.parametrize("name", sorted(p.stem for p in QUERIES.glob("*.rq")))
def test_every_query_reachable_and_equal_to_the_store(client: httpx.Client, store: ox.Store, name: str) -> None:
    """Each file is served, and the API's rows are exactly the store's own answer to the file."""
    query = next(q for q in load_named_queries(QUERIES) if q.name == name)
    # without request values the API binds the header defaults
    expected = [[None if s[c] is None else s[c].value for c in query.columns]
                for s in run(store, query, bind(query, {}, store))]
    r = client.get(f"/api/queries/{name}", params={"format": "csv", "per_page": "1000"})
    assert r.status_code == 200, r.text
    got = list(csv.reader(io.StringIO(r.text)))
    assert got[0] == list(query.columns)
    assert int(r.headers["x-total-count"]) == len(expected)
    assert got[1:] == [["" if v is None else v for v in row] for row in expected[:1000]]


def test_pagination_and_link_headers(client: httpx.Client) -> None:
    everything = client.get("/api/queries/municipality-programmes").json()["rows"]
    total = len(everything)
    assert total >= 4  # the data states several programme participations
    per_page = -(-total // 3)  # three pages
    r1 = client.get("/api/queries/municipality-programmes", params={"per_page": str(per_page)})
    assert r1.status_code == 200
    assert r1.headers["x-total-count"] == str(total)
    links = {part.split(";")[1].strip(): part.split(";")[0].strip()[1:-1] for part in r1.headers["link"].split(",")}
    assert set(links) == {'rel="first"', 'rel="last"', 'rel="next"'}
    assert links['rel="last"'].endswith("page=3")
    seen = r1.json()["rows"]
    r2 = client.get(links['rel="next"'])
    assert 'rel="prev"' in r2.headers["link"]
    seen += r2.json()["rows"]
    r3 = client.get(links['rel="last"'])
    assert 'rel="next"' not in r3.headers["link"]
    seen += r3.json()["rows"]
    assert len(seen) == total
    assert seen == everything  # pages are slices of one stable order


def test_csv_and_jsonld(client: httpx.Client) -> None:
    params = {"municipality": GLADBECK}
    r = client.get("/api/queries/municipality-programmes", params=params, headers={"Accept": "text/csv"})
    assert r.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(r.text)))
    # Gladbeck: Modellkommune of the programme, Projektpartner of the Kreis's project (the source
    # reserves "Kooperationspartner" for the institutions: issue 21)
    assert {row["role"].rsplit("/", 1)[1] for row in table} == {"model-municipality", "project-partner"}
    r = client.get("/api/queries/municipality-programmes", params={**params, "format": "jsonld"})
    assert r.headers["content-type"].startswith("application/ld+json")
    doc = json.loads(r.text)
    assert len(doc["@graph"]) == len(table)  # one node per row of the same query as CSV
    triples = list(ox.parse(r.content, format=ox.RdfFormat.JSON_LD, base_iri=str(r.url)))
    vocab = doc["@context"]["@vocab"]
    joined = {t.object.value for t in triples if t.predicate.value == vocab + "joined"}
    assert joined == {"2012", "2017"}
    munis = {t.object.value for t in triples if t.predicate.value == vocab + "municipality"}
    assert munis == {GLADBECK}


def test_json_rows_are_plain(client: httpx.Client) -> None:
    body = client.get("/api/queries/municipality-programmes", params={"municipality": GLADBECK}).json()
    assert body["params"] == {"municipality": GLADBECK}
    row = next(r for r in body["rows"] if r["joined"] == 2012)
    assert row["municipalityLabel"] == "Gladbeck, Stadt"
    assert isinstance(row["joined"], int)


@pytest.mark.parametrize("params,loc", [
    ({"nope": "1"}, "nope"),                                           # unknown parameter
    ({"municipality": "not an iri"}, "municipality"),                  # not an IRI
    ({"municipality": HNID + "org/lvr"}, "municipality"),              # exists, wrong class
    ({"municipality": HNID + "area/99999999"}, "municipality"),        # does not exist
    ({"programme": GLADBECK}, "programme"),                            # a place is no programme
    ({"page": "0"}, "page"),
    ({"per_page": "100000"}, "per_page"),
    ({"format": "xml"}, "format"),
])
def test_invalid_parameters_are_422(client: httpx.Client, params: dict[str, str], loc: str) -> None:
    r = client.get("/api/queries/municipality-programmes", params=params)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["query", loc]


def test_typed_values(client: httpx.Client) -> None:
    base = "/api/queries/actor-cooperation-partners"
    assert client.get(base, params={"fromYear": "twenty"}).status_code == 422
    assert client.get(base, params={"fromYear": "2021.5"}).status_code == 422
    assert client.get(base, params={"role": HNID + "concept/life-phase/infancy"}).status_code == 422  # other scheme
    assert client.get(base, params={"role": HNID + "concept/role/organiser"}).status_code == 200
    assert client.get(base, params={"fromYear": "2021", "fromYear2": "1"}).status_code == 422
    assert client.get(base, params=[("fromYear", "2020"), ("fromYear", "2021")]).status_code == 422


def test_injection_attempts(client: httpx.Client) -> None:
    base = "/api/queries/municipality-programmes"
    before = client.get(base).json()["total"]
    assert before > 0
    attacks = [
        f"<{GLADBECK}> }} UNION {{ ?s ?p ?o }} #",
        f"{GLADBECK}> }} UNION {{ ?municipality ?p ?o",
        f"{GLADBECK} . ?x ?y ?z",
        GLADBECK + "\n} SELECT * WHERE { ?s ?p ?o }",
        'hn:Programme" } #',
    ]
    for value in attacks:
        r = client.get(base, params={"municipality": value})
        assert r.status_code == 422, (value, r.text)
    # a string-like value that is a *valid* IRI is only ever one term: no rows, not more
    r = client.get(base, params={"municipality": "urn:x:%7D%20UNION%20%7B%20?s%20?p%20?o%20%7D"})
    assert r.status_code == 422  # well-formed IRI, but no such area
    # the untouched query still answers as before
    assert client.get(base).json()["total"] == before


def test_unknown_query_is_404(client: httpx.Client) -> None:
    assert client.get("/api/queries/no-such-query").status_code == 404


def test_openapi_document_is_valid(client: httpx.Client) -> None:
    """Valid OpenAPI 3.1 — apart from operationIds, which the served document makes unique only
    once the app calls kg.web.app.install_openapi (next test)."""
    from openapi_spec_validator import validate

    from kg.web.app import unique_operation_ids

    doc = client.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    validate(unique_operation_ids(doc))
    op = doc["paths"]["/api/queries/actor-cooperation-partners"]["get"]
    params = {p["name"]: p for p in op["parameters"]}
    assert params["fromYear"]["schema"]["type"] == "integer"
    assert params["actor"]["schema"]["format"] == "iri"
    assert {"format", "page", "per_page"} <= set(params)
    assert set(op["responses"]["200"]["content"]) == {"application/json", "text/csv", "application/ld+json"}
    for q in load_named_queries(QUERIES):
        assert f"/api/queries/{q.name}" in doc["paths"]
    assert "/api/search" in doc["paths"] and "/api/network" in doc["paths"]


def test_served_openapi_document_is_valid_as_is(client: httpx.Client) -> None:
    from openapi_spec_validator import validate

    doc = client.get("/openapi.json").json()
    ids = [op["operationId"] for item in doc["paths"].values() for op in item.values()
           if isinstance(op, dict) and "operationId" in op]
    assert len(ids) == len(set(ids)), "duplicate operationIds: install_openapi(app) must run last"
    validate(doc)


def test_interactive_docs(client: httpx.Client) -> None:
    assert client.get("/docs").status_code == 404  # FastAPI's CDN-based page is switched off
    r = client.get("/api/docs")  # interactive docs, every asset served by this server
    assert r.status_code == 200 and "/api/docs/assets/swagger-ui-bundle.js" in r.text
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert client.get("/api/docs/assets/swagger-ui-bundle.js").status_code == 200
    assert client.get("/api/docs/assets/../../etc/passwd").status_code == 404


@pytest.mark.parametrize("name", sorted(p.stem for p in QUERIES.glob("*.rq")))
def test_file_runs_unchanged_at_the_sparql_endpoint(client: httpx.Client, store: ox.Store, name: str) -> None:
    """What the query UI does: send the file text (with the shared prefixes) to /sparql. Same
    rows as the store's answer to the unbound text; for files without parameter defaults also
    the same count as the REST API without parameters."""
    query = next(q for q in load_named_queries(QUERIES) if q.name == name)
    r = client.post("/sparql", data={"query": query.text}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.text
    sparql_rows = r.json()["results"]["bindings"]
    assert len(sparql_rows) == sum(1 for _ in run(store, query, {}))
    if not any(p.default is not None for p in query.bindable):
        api = client.get(f"/api/queries/{name}", params={"per_page": "1"})
        assert len(sparql_rows) == int(api.headers["x-total-count"])
