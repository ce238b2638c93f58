"""The query page in a real headless Chromium against a real server over the built store.

Expected rows are computed by running the same query text directly with pyoxigraph on the
same store (union default graph, like the server), never hard-coded.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest

pytestmark = pytest.mark.slow

PROJECT_ROOT = Path(__file__).resolve().parents[3]
SCREENSHOT = PROJECT_ROOT / "test-artifacts" / "ui-query.png"
WAIT_SECONDS = 60  # an upper bound for slow CI machines, not a performance assertion

Cell = tuple[str, str]


def expected_rows(store_path: Path, query: str) -> tuple[list[str], list[tuple[Cell, ...]]]:
    """Variables and rows of `query` run directly on the store, as (kind, text) cells."""
    store = ox.Store.read_only(str(store_path))
    try:
        result = store.query(query, use_default_graph_as_union=True)
        assert isinstance(result, ox.QuerySolutions)
        variables = [v.value for v in result.variables]
        rows = [tuple(_cell(sol[v]) for v in variables) for sol in result]
    finally:
        del store
    return variables, rows


def _cell(term: Any) -> Cell:
    if term is None:
        return ("unbound", "")
    if isinstance(term, ox.NamedNode):
        return ("iri", term.value)
    if isinstance(term, ox.BlankNode):
        return ("bnode", "")  # labels are not stable across result sets
    if isinstance(term, ox.Literal):
        return ("literal", term.value)
    return ("other", str(term))


def pick_example(base: str, store_path: Path) -> tuple[dict[str, Any], list[str], list[tuple[Cell, ...]]]:
    """The first SELECT example that has at least one row on this store.

    Parameters of examples have defaults in the query text (VALUES), so every example runs as is."""
    examples = httpx.get(base + "/api/examples").json()
    assert examples, "no example queries in queries/*.rq"
    for ex in examples:
        if ex["form"] != "SELECT":
            continue
        variables, rows = expected_rows(store_path, ex["query"])
        if 0 < len(rows) <= 2000:
            return ex, variables, rows
    pytest.fail("no example SELECT query returns rows on the built store")


def table_rows(driver: Any) -> tuple[list[str], list[tuple[Cell, ...]]]:
    """Header variables and rows of the result table, read back from the DOM in one script
    (all rows on one page first: the table is paged)."""
    data = driver.execute_script(
        """
        const size = document.getElementById('page-size');
        if (size && size.value !== 'all') { size.value = 'all'; size.dispatchEvent(new Event('change')); }
        const heads = [...document.querySelectorAll('#result thead th')].slice(1).map(th => th.textContent);
        const rows = [...document.querySelectorAll('#result tbody tr')].map(tr =>
          [...tr.querySelectorAll('td[data-var]')].map(td => {
            const iri = td.querySelector('.term-iri');
            if (iri) return ['iri', iri.title];
            const lit = td.querySelector('.lit-value');
            if (lit) return ['literal', lit.textContent];
            if (td.querySelector('.term-bnode')) return ['bnode', ''];
            return ['unbound', ''];
          }));
        return [heads, rows];
        """
    )
    heads = [h.lstrip("?") for h in data[0]]
    return heads, [tuple((c[0], c[1]) for c in row) for row in data[1]]


def wait_state(driver: Any, *states: str) -> str:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT_SECONDS).until(
        lambda d: d.execute_script("return document.body.dataset.state") in states
        and d.execute_script("return document.body.dataset.state")
    )


def server_error_text(base: str, query: str) -> str:
    """The message /sparql answers a broken query with (JSON `detail` or the plain body)."""
    res = httpx.post(base + "/sparql", data={"query": query})
    assert res.status_code == 400
    if "json" in res.headers.get("content-type", ""):
        body = res.json()
        return str(body.get("detail") or body.get("message") or body.get("error") or res.text)
    return res.text


def severe(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in entries if e.get("level") in ("SEVERE", "WARNING")]


def test_query_page_runs_example_and_shows_errors(ui_server: str, ui_store: Path, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.web.ui.ui_browser import console_entries

    example, variables, rows = pick_example(ui_server, ui_store)
    driver = browser
    driver.get(ui_server + "/")
    WebDriverWait(driver, WAIT_SECONDS).until(
        lambda d: d.execute_script("return document.body.dataset.examples") == "loaded"
    )
    # the editor starts with the project prefixes
    editor = driver.find_element(By.ID, "query-input").get_property("value")
    assert "PREFIX hn: <https://w3id.org/hilfenetz/ontology#>" in editor

    button = driver.find_element(By.CSS_SELECTOR, f'button.example[data-name="{example["name"]}"]')
    assert example["title"]["de"] in button.text
    button.click()
    assert driver.find_element(By.ID, "query-input").get_property("value") == example["query"]
    driver.find_element(By.ID, "run").click()
    assert wait_state(driver, "done", "error") == "done", driver.find_element(By.ID, "error-box").text

    heads, shown = table_rows(driver)
    assert heads == variables
    assert Counter(shown) == Counter(rows)
    status = driver.find_element(By.ID, "status").text
    assert f"{len(rows)} Ergebnis" in status and " ms" in status
    formats = [b.get_attribute("data-format")
               for b in driver.find_elements(By.CSS_SELECTOR, "#download-buttons button")]
    assert formats == ["json", "xml", "csv", "tsv"]
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOT))
    assert severe(console_entries(driver)) == [], "browser console reported problems"

    # a broken query: the server's parser message appears in the error box
    area = driver.find_element(By.ID, "query-input")
    area.clear()
    area.send_keys("SELECT ?s WHERE { ?s ?p }")
    area.send_keys(Keys.CONTROL, Keys.ENTER)
    assert wait_state(driver, "done", "error") == "error"
    box = driver.find_element(By.ID, "error-box")
    assert box.is_displayed()
    server_message = server_error_text(ui_server, "SELECT ?s WHERE { ?s ?p }")
    assert "400" in box.text
    detail = driver.find_element(By.ID, "error-text").text
    assert detail.strip() and detail.strip() in server_message
    assert not driver.find_element(By.ID, "downloads").is_displayed()
    assert driver.find_elements(By.CSS_SELECTOR, "#result tbody tr") == []
    # the only console entry allowed now is the browser's own note about the HTTP 400
    leftover = [e for e in severe(console_entries(driver)) if not ("/sparql" in e["message"] and "400" in e["message"])]
    assert leftover == []


def test_construct_shows_turtle_and_graph_downloads(ui_server: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    from tests.web.ui.ui_browser import console_entries

    driver = browser
    driver.get(ui_server + "/")
    query = "CONSTRUCT { ?s a ?c } WHERE { ?s a ?c FILTER(isIRI(?s)) } LIMIT 3"
    area = driver.find_element(By.ID, "query-input")
    area.clear()
    area.send_keys(query)
    area.send_keys(Keys.CONTROL, Keys.ENTER)
    assert wait_state(driver, "done", "error") == "done", driver.find_element(By.ID, "error-box").text
    text = driver.find_element(By.CSS_SELECTOR, "#result pre.graph-text").get_property("textContent")
    expected = ox.Dataset(ox.parse(httpx.post(ui_server + "/sparql", data={"query": query},
                                              headers={"Accept": "application/n-triples"}).content,
                                   format=ox.RdfFormat.N_TRIPLES))
    shown = ox.Dataset(ox.parse(text.encode(), format=ox.RdfFormat.TURTLE))
    assert len(shown) == len(expected) == 3 and set(shown) == set(expected)
    formats = [b.get_attribute("data-format")
               for b in driver.find_elements(By.CSS_SELECTOR, "#download-buttons button")]
    assert formats == ["ttl", "nt", "nq", "trig", "jsonld", "rdfxml"]
    assert severe(console_entries(driver)) == []


def run_in_page(driver: Any, query: str) -> str:
    """Replace the editor text with `query`, press Ctrl+Enter, wait for the outcome."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    area = driver.find_element(By.ID, "query-input")
    area.clear()
    area.send_keys(query)
    area.send_keys(Keys.CONTROL, Keys.ENTER)
    return wait_state(driver, "done", "error")


def test_ask_shows_yes_and_no(ui_server: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    from tests.web.ui.ui_browser import console_entries

    driver = browser
    driver.get(ui_server + "/")
    assert run_in_page(driver, "ASK { ?s ?p ?o }") == "done"
    assert driver.find_element(By.CSS_SELECTOR, "#result .ask-result").text == "Ja (yes)"
    assert run_in_page(driver, "ASK { <urn:x:nothing> <urn:x:nothing> <urn:x:nothing> }") == "done"
    assert driver.find_element(By.CSS_SELECTOR, "#result .ask-result").text == "Nein (no)"
    assert severe(console_entries(driver)) == []


def test_timeout_message(ui_server_short_timeout: str, browser: Any) -> None:
    """A query past the deadline: the server answers 503 and the page says so in the error box."""
    from selenium.webdriver.common.by import By

    from tests.web.ui.ui_browser import console_entries

    driver = browser
    driver.get(ui_server_short_timeout + "/")
    console_entries(driver)
    endless = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    assert run_in_page(driver, endless) == "error"
    box = driver.find_element(By.ID, "error-box")
    assert box.is_displayed()
    assert "Zeitüberschreitung" in box.text and "503" in box.text
    assert driver.find_element(By.ID, "error-text").text.strip()
    leftover = [e for e in severe(console_entries(driver)) if not ("/sparql" in e["message"] and "503" in e["message"])]
    assert leftover == []


def test_cut_off_answer_message(ui_server_cut_off: str, browser: Any) -> None:
    """A streamed answer cut off at the deadline after its first part: the page says that the
    answer was cut off (not that the server is unreachable) and shows no partial table."""
    from selenium.webdriver.common.by import By

    from tests.web.ui.ui_browser import console_entries

    driver = browser
    driver.get(ui_server_cut_off + "/")
    console_entries(driver)
    # every solution scans all populations once more: the first rows come at once, all would take minutes
    slow = ("SELECT ?m WHERE { ?m hn:population ?x "
            "FILTER NOT EXISTS { ?a hn:population ?y FILTER(?y + ?x < 0) } }")
    assert run_in_page(driver, slow) == "error"
    box = driver.find_element(By.ID, "error-box")
    assert box.is_displayed() and "abgebrochen" in box.text and "cut off" in box.text
    assert "nicht erreichbar" not in box.text
    assert driver.find_elements(By.CSS_SELECTOR, "#result table tbody tr") == []
    leftover = [e for e in severe(console_entries(driver)) if "/sparql" not in e["message"]]
    assert leftover == []
