"""The contribution flow in real headless Chromium over a writable copy of the real built store:
a steward downloads the offers template from the page's link, fills it (openpyxl) with an error,
uploads it and sees the report with the row and column marked, uploads the corrected file, checks
and submits; a reviewer loads it, sees the change in words and approves; then the new offer is in
/sparql and on its municipality's entity page (Gladbeck).

The offer below is test data (a fixture), made up for this test; it is never in data/.
Screenshots are kept in test-artifacts/ (contribute-report.png, contribute-review.png,
contribute-approved.png).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kg.web.auth import add_token
from tests.serving import copy_project, serve_kg

pytestmark = pytest.mark.slow

PROJECT_ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
WAIT_SECONDS = 90  # an upper bound for slow CI machines, not a performance assertion
GLADBECK = "https://w3id.org/hilfenetz/id/area/05562014"
OFFER = "https://w3id.org/hilfenetz/id/offer/elterncafe-gladbeck-testdaten"
LABEL = "Elterncafé Gladbeck (Testdaten)"
XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script><b>fett</b>'
SOURCE_TITLE = "Fixture-Quelle <Test> " + XSS



def fill_template(template: bytes, path: Path, min_age: int) -> Path:
    """The template with one offer row (fixture data), written by openpyxl as a steward's program would."""
    import io

    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(template))
    ws = wb.worksheets[0]
    headers = [c.value for c in ws[1]]
    values = {"Bezeichnung (label) *": LABEL, "Einzugsgebiet (area served)": "Gladbeck",
              "Angebotsart (offer type)": "Beratung", "Mindestalter (minimum age)": min_age}
    for header, value in values.items():
        ws.cell(2, headers.index(header) + 1, value)
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def writable_real(built_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """A writable copy of the built store, served with a contributor and a reviewer token."""
    tmp = tmp_path_factory.mktemp("contribute-ui")
    store = tmp / "store"
    shutil.copytree(built_store, store)
    tokens = tmp / "tokens.toml"
    secrets = {"kreis-re": add_token(tokens, "kreis-re", ["contribute:kreis-re/*"]),
               "redaktion": add_token(tokens, "redaktion", ["review"])}
    # the approval keeps its file under the project root (kg.graph.kept): a copy, never the checkout
    project = copy_project(PROJECT_ROOT, tmp / "project")
    with serve_kg(store, workers=1, tokens_file=tokens, contributions_dir=tmp / "contributions",
                  project_root=project, rate_limit=0.0, name="contribute-ui-uvicorn") as url:
        yield url, secrets


def _wait(driver: Any, condition: Any, what: str) -> Any:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        found = condition(driver)
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; status: "
                         f"{driver.find_element('id', 'status').text!r}")


def _status(driver: Any, *words: str) -> Any:
    return lambda d: (lambda t: t if any(w in t for w in words) else None)(d.find_element("id", "status").text)


def _ask(url: str, query: str) -> bool:
    r = httpx.get(url + "/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"},
                  timeout=60)
    assert r.status_code == 200, r.text
    return bool(r.json()["boolean"])


def test_upload_report_correct_review_approve(browser: Any, writable_real: tuple[str, dict[str, str]],
                                              tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    url, secrets = writable_real
    ARTIFACTS.mkdir(exist_ok=True)
    ask_offer = f"ASK {{ <{OFFER}> ?p ?o }}"
    assert not _ask(url, ask_offer)

    # the steward: the template from the page's link, filled with an error, uploaded: the report
    browser.get(url + "/beitragen?lang=de")
    assert "Daten beitragen" in browser.title
    link = browser.find_element(By.CSS_SELECTOR, '#templates a[href$="/offers.xlsx"]').get_attribute("href")
    template = httpx.get(link, timeout=120)
    assert template.status_code == 200 and template.content[:2] == b"PK"
    bad = fill_template(template.content, tmp_path / "angebote-fehler.xlsx", -3)
    good = fill_template(template.content, tmp_path / "angebote.xlsx", 6)
    browser.find_element(By.ID, "token").send_keys(secrets["kreis-re"])
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element(By.ID, "kind")).select_by_value("offers")
    browser.find_element(By.ID, "source_publisher").send_keys("Kreis Recklinghausen (Test)")
    browser.find_element(By.ID, "source_title").send_keys(SOURCE_TITLE)
    browser.find_element(By.ID, "comment").send_keys(XSS)
    browser.find_element(By.ID, "file").send_keys(str(bad))
    browser.find_element(By.ID, "check").click()
    _wait(browser, _status(browser, "Fehler", "Keine Fehler"), "the report of the first check")
    rows = browser.find_elements(By.CSS_SELECTOR, "#problems tr.error")
    assert rows, browser.find_element(By.ID, "result").text
    [row] = [r for r in rows if "Mindestalter" in r.text]
    assert row.get_attribute("data-row") == "2"  # the spreadsheet row of the offer
    assert "Mindestalter (minimum age)" in row.find_elements(By.TAG_NAME, "td")[2].text
    assert browser.find_element(By.ID, "submit").get_attribute("disabled") is not None
    browser.execute_script("document.getElementById('check').scrollIntoView()")
    browser.save_screenshot(str(ARTIFACTS / "contribute-report.png"))
    assert not _ask(url, ask_offer)

    # the corrected file: check, then submit
    browser.find_element(By.ID, "file").send_keys(str(good))
    browser.find_element(By.ID, "check").click()
    _wait(browser, _status(browser, "Keine Fehler"), "the report of the corrected file")
    assert browser.find_elements(By.ID, "no-problems")
    assert LABEL in browser.find_element(By.ID, "result").text
    submit = browser.find_element(By.ID, "submit")
    assert submit.get_attribute("disabled") is None
    submit.click()
    status = _wait(browser, _status(browser, "Nummer"), "the submission")
    assert "wartet auf Prüfung" in status
    assert not _ask(url, ask_offer)  # pending: not served

    # the reviewer: load, read the change, approve
    browser.get(url + "/beitragen/pruefen?lang=de")
    browser.find_element(By.ID, "token").send_keys(secrets["redaktion"])
    browser.find_element(By.ID, "load").click()
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "section.contribution"), "the open contributions")
    section = browser.find_element(By.CSS_SELECTOR, "section.contribution")
    text = section.text
    assert LABEL in text and "Gladbeck" in text and "hinzugefügt" in text and SOURCE_TITLE in text
    assert XSS in text  # shown as text: no element, no script came out of the fields
    assert not section.find_elements(By.CSS_SELECTOR, "script, img, b")
    assert browser.execute_script("return window.__xss === undefined")
    assert "Typ: Angebot" in text and "Einzugsgebiet: Gladbeck" in text  # words and labels, not triples
    section.find_element(By.CSS_SELECTOR, "textarea.decision-comment").send_keys("geprüft")
    browser.save_screenshot(str(ARTIFACTS / "contribute-review.png"))
    section.find_element(By.CSS_SELECTOR, "button.approve").click()
    _wait(browser, _status(browser, "Freigegeben"), "the approval")
    assert "freigegeben" in browser.find_element(By.CSS_SELECTOR, "section.contribution").text

    # served now: /sparql and the municipality's page
    assert _ask(url, ask_offer)
    assert _ask(url, f"ASK {{ <{OFFER}> <https://w3id.org/hilfenetz/ontology#areaServed> <{GLADBECK}> }}")
    browser.get(url + "/id/area/05562014?lang=de")
    assert LABEL in browser.find_element(By.TAG_NAME, "main").text
    browser.save_screenshot(str(ARTIFACTS / "contribute-approved.png"))
    errors = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"]
    assert not errors, errors
