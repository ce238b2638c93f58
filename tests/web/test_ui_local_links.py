"""The query UI links the project's IRIs to this server's pages, in a real headless Chromium.

Why: the result table linked every IRI to itself, and `https://w3id.org/hilfenetz/…` is dead
offline and leads to the public service, not to a private deployment. The entity pages link
locally already (kg.web.render.pages.local_href); the UI now does the same.
"""

from __future__ import annotations

import html
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.slow

HN = "https://w3id.org/hilfenetz/ontology#"
WAIT_SECONDS = 60  # an upper bound for slow machines, not a performance assertion


def run_query(driver: Any, base: str, query: str) -> list[dict[str, str]]:
    """Run `query` in the page as a user does (editor, Ctrl+Enter); the result links (text, title, href)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(base + "/")
    area = WebDriverWait(driver, WAIT_SECONDS).until(lambda d: d.find_element(By.ID, "query-input"))
    area.clear()
    area.send_keys(query)
    area.send_keys(Keys.CONTROL, Keys.ENTER)
    state = WebDriverWait(driver, WAIT_SECONDS).until(
        lambda d: d.execute_script("return document.body.dataset.state") in ("done", "error")
        and d.execute_script("return document.body.dataset.state"))
    assert state == "done", driver.find_element(By.ID, "error-box").text
    return driver.execute_script(
        "return [...document.querySelectorAll('#result a.term-iri')]"
        ".map(a => ({text: a.textContent, title: a.title, href: a.href}))")


def test_result_links_point_to_local_pages(web_server: str, browser: Any) -> None:
    links = run_query(browser, web_server, "SELECT ?x WHERE { VALUES ?x { <https://example.org/elsewhere> "
                      "<https://w3id.org/hilfenetz/id/area/05562004> <https://w3id.org/hilfenetz/ontology#Event> } }")
    assert {link["title"]: link["href"] for link in links} == {
        "https://example.org/elsewhere": "https://example.org/elsewhere",  # not ours: the IRI itself
        "https://w3id.org/hilfenetz/id/area/05562004": web_server + "/id/area/05562004",
        "https://w3id.org/hilfenetz/ontology#Event": web_server + "/ontology#Event",
    }


def test_following_a_result_link_opens_the_entity_page(web_server: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver = browser
    links = run_query(driver, web_server, f"SELECT ?e WHERE {{ ?e a <{HN}Event> }} ORDER BY ?e LIMIT 1")
    assert len(links) == 1
    iri, href = links[0]["title"], links[0]["href"]
    assert iri.startswith("https://w3id.org/hilfenetz/id/event/")
    assert href == web_server + iri.removeprefix("https://w3id.org/hilfenetz")
    page = httpx.get(href, headers={"Accept": "text/html"}, timeout=60)
    assert page.status_code == 200 and iri in page.text

    results_window = driver.current_window_handle
    driver.find_element(By.CSS_SELECTOR, "#result a.term-iri").click()  # target=_blank: a new tab
    WebDriverWait(driver, WAIT_SECONDS).until(lambda d: len(d.window_handles) == 2)
    driver.switch_to.window(next(h for h in driver.window_handles if h != results_window))
    try:
        WebDriverWait(driver, WAIT_SECONDS).until(
            lambda d: d.current_url == href and d.execute_script("return document.readyState") == "complete")
        heading = driver.find_element(By.ID, "title").text
        lang = driver.execute_script("return document.documentElement.lang")
        same = httpx.get(href, headers={"Accept": "text/html", "Accept-Language": lang}, timeout=60).text
        assert heading and f'<h1 id="title">{html.escape(heading)}</h1>' in same  # the entity page, not a 404
        assert iri in driver.page_source
    finally:
        driver.close()
        driver.switch_to.window(results_window)
