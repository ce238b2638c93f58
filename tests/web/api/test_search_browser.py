"""The search box in a real headless Chromium: type "Jugendämter", submit, see the ranked hits
and follow one. Skipped with a reason when no browser is installed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.ui import ui_browser

pytestmark = pytest.mark.slow


@pytest.mark.skipif(ui_browser.missing_reason() is not None, reason=str(ui_browser.missing_reason()))
def test_search_box_in_chromium(api_url: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    artifacts = Path(__file__).resolve().parents[3] / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    with ui_browser.chromium() as driver:
        driver.get(api_url + "/search")
        box = driver.find_element(By.ID, "q")
        box.send_keys("Jugendämter")
        Select(driver.find_element(By.ID, "type")).select_by_value("skos:Concept")
        driver.find_element(By.CSS_SELECTOR, "form.filters button").click()
        # the click navigates: wait for the result page instead of racing it
        from selenium.webdriver.support import expected_conditions as ec
        from selenium.webdriver.support.ui import WebDriverWait

        first = WebDriverWait(driver, 60).until(ec.presence_of_element_located((By.CSS_SELECTOR, "ol li a")))
        assert first.text == "Jugendamt"
        driver.save_screenshot(str(artifacts / "search-page.png"))
        assert not [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


@pytest.mark.skipif(ui_browser.missing_reason() is not None, reason=str(ui_browser.missing_reason()))
def test_interactive_docs_offline_in_chromium(api_url: str) -> None:
    """/api/docs renders the OpenAPI 3.1 document with assets from this server only."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    artifacts = Path(__file__).resolve().parents[3] / "test-artifacts"
    with ui_browser.chromium() as driver:
        driver.get(api_url + "/api/docs")
        WebDriverWait(driver, 60).until(
            ec.presence_of_element_located((By.ID, "operations-named_queries-query_municipality_programmes")))
        driver.save_screenshot(str(artifacts / "api-docs.png"))
        assert not [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
        urls = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
        assert urls and all(u.startswith(api_url) for u in urls)
