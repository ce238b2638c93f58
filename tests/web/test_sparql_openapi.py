"""The OpenAPI description of /sparql: valid, complete, and its examples are requests that work.

The document is read from a real server (/openapi.json) and checked with openapi-spec-validator;
the requests are built from the document the way Swagger UI's "Try it out" builds them (each
parameter's `example`, the first media type of the 200 answer as Accept, the body's example),
and the same is done by clicking through Swagger UI itself (/api/docs) in headless Chromium.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate

from kg.web.negotiation import GRAPH_FORMATS, RESULT_FORMATS
from tests.serving import make_app

QUERY_PARAMS = {"query", "default-graph-uri", "named-graph-uri", "timeout", "format"}
UPDATE_PARAMS = {"using-graph-uri", "using-named-graph-uri"}
BODIES = {"application/sparql-query", "application/sparql-update", "application/x-www-form-urlencoded"}
QUERY_ERRORS = {"400", "406", "413", "429", "503"}
UPDATE_ERRORS = {"401", "403", "422"}
WAIT_SECONDS = 60  # an upper bound for slow machines, not a performance assertion


@pytest.fixture(scope="module")
def spec(web_server: str) -> dict[str, Any]:
    response = httpx.get(web_server + "/openapi.json", timeout=30)
    assert response.status_code == 200
    return response.json()


def test_document_is_valid_with_unique_operation_ids(spec: dict[str, Any]) -> None:
    validate(spec)  # raises with the first violation of the OpenAPI 3.1 schema
    ids = [op["operationId"] for item in spec["paths"].values() for op in item.values()
           if isinstance(op, dict) and "operationId" in op]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert spec["paths"]["/sparql"]["get"]["operationId"] == "sparql_query_get"
    assert spec["paths"]["/sparql"]["post"]["operationId"] == "sparql_post"


def test_sparql_parameters_bodies_and_answers(spec: dict[str, Any]) -> None:
    get = spec["paths"]["/sparql"]["get"]
    post = spec["paths"]["/sparql"]["post"]
    assert {p["name"] for p in get["parameters"]} == QUERY_PARAMS
    assert {p["name"] for p in post["parameters"]} == (QUERY_PARAMS - {"query"}) | UPDATE_PARAMS
    body = post["requestBody"]["content"]
    assert set(body) == BODIES
    form = body["application/x-www-form-urlencoded"]["schema"]["properties"]
    assert {"query", "update"} | QUERY_PARAMS | UPDATE_PARAMS <= set(form)
    served = {f.media_type for f in RESULT_FORMATS + GRAPH_FORMATS}
    for op in (get, post):
        assert set(op["responses"]) >= QUERY_ERRORS
        answer = op["responses"]["200"]["content"]
        assert served <= set(answer), served - set(answer)
        assert next(iter(answer)) == "application/sparql-results+json"  # what "Try it out" sends as Accept
    assert set(post["responses"]) >= UPDATE_ERRORS
    assert "head" not in spec["paths"]["/sparql"]  # answered like GET, not a second operation


def test_no_duplicate_operation_id_warning(built_store: Path) -> None:
    """FastAPI warned "Duplicate Operation ID sparql_get" while building the document."""
    app = make_app(built_store)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        app.openapi()
    duplicates = [str(w.message) for w in caught if "Duplicate Operation ID" in str(w.message)]
    assert [m for m in duplicates if "sparql" in m] == []


def _example(param: dict[str, Any]) -> Any:
    return param.get("example", param.get("schema", {}).get("example"))


def test_documented_examples_are_working_requests(web_server: str, spec: dict[str, Any]) -> None:
    """The requests "Try it out" sends from the document: GET with the parameter examples, POST
    with each body example; every answer is one the document lists."""
    get = spec["paths"]["/sparql"]["get"]
    post = spec["paths"]["/sparql"]["post"]
    params = {p["name"]: _example(p) for p in get["parameters"] if _example(p) is not None}
    assert set(params) == {"query"}
    accept = next(iter(get["responses"]["200"]["content"]))
    r = httpx.get(web_server + "/sparql", params=params, headers={"Accept": accept}, timeout=60)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(accept)
    assert r.json()["head"]["vars"] == ["s", "p", "o"] and len(r.json()["results"]["bindings"]) == 10

    bodies = post["requestBody"]["content"]
    r = httpx.post(web_server + "/sparql", content=bodies["application/sparql-query"]["example"],
                   headers={"Content-Type": "application/sparql-query", "Accept": accept}, timeout=60)
    assert r.status_code == 200 and len(r.json()["results"]["bindings"]) == 10
    form = bodies["application/x-www-form-urlencoded"]["schema"]["example"]
    r = httpx.post(web_server + "/sparql", data=form, headers={"Accept": accept}, timeout=60)
    assert r.status_code == 200 and len(r.json()["results"]["bindings"]) == 10
    # the update example on this read-only server: refused with an answer the document names
    r = httpx.post(web_server + "/sparql", content=bodies["application/sparql-update"]["example"],
                   headers={"Content-Type": "application/sparql-update"}, timeout=60)
    assert r.status_code == 405 and str(r.status_code) in post["responses"]
    # a broken query: 400, documented
    r = httpx.get(web_server + "/sparql", params={"query": "SELECT ?s WHERE {"}, timeout=60)
    assert r.status_code == 400 and "400" in get["responses"]
    r = httpx.get(web_server + "/sparql", params={"query": "ASK {}"}, headers={"Accept": "image/png"}, timeout=60)
    assert r.status_code == 406 and "406" in get["responses"]


@pytest.mark.slow
@pytest.mark.parametrize("operation", ["sparql_query_get", "sparql_post"])
def test_swagger_ui_try_it_out_runs_a_query(web_server: str, browser: Any, operation: str) -> None:
    """Swagger UI at /api/docs: open the operation, "Try it out", "Execute" with what it filled
    in from the document: the live answer is 200 with SPARQL JSON results (GET: the `query`
    parameter's example; POST: the application/sparql-query body's example)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver = browser
    driver.get(f"{web_server}/api/docs#/sparql/{operation}")
    wait = WebDriverWait(driver, WAIT_SECONDS)
    block = wait.until(lambda d: d.find_element(By.ID, f"operations-sparql-{operation}"))
    if not block.find_elements(By.CSS_SELECTOR, ".opblock-body"):
        block.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
    try_out = wait.until(lambda d: block.find_element(By.CSS_SELECTOR, "button.try-out__btn"))
    if "cancel" not in (try_out.get_attribute("class") or ""):
        try_out.click()
    if operation == "sparql_query_get":
        field = wait.until(lambda d: block.find_element(By.CSS_SELECTOR, 'tr[data-param-name="query"] input'))
    else:
        field = wait.until(lambda d: block.find_element(By.CSS_SELECTOR, ".opblock-section-request-body textarea"))
    assert field.get_property("value") == "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 10"
    block.find_element(By.CSS_SELECTOR, "button.execute").click()
    live = ".live-responses-table tbody td"
    status = wait.until(lambda d: block.find_element(By.CSS_SELECTOR, f"{live}.response-col_status"))
    assert status.text.strip().startswith("200"), status.text
    shown = block.find_element(By.CSS_SELECTOR, f"{live}.response-col_description").text
    assert '"bindings"' in shown and shown.count('"s"') >= 10
