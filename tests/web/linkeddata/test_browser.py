"""Entity and ontology pages in headless Chromium: they render, their links resolve, the language
switch works, no label runs as script, and the console stays clean. Screenshots of an entity page
and of the ontology page go to test-artifacts/ (git-ignored).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urldefrag, urlparse

import httpx
import pyoxigraph as ox
import pytest

from kg import rdf as ns

from .conftest import PROJECT_ROOT, Server

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
PROGRAMME = ns.HNID + "programme/kommunale-praeventionsketten"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
                       reason="needs Debian chromium and chromium-driver"),
]


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1280,1600", "--lang=de-DE"):
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.add_experimental_option("prefs", {"intl.accept_languages": "de-DE,de"})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _console_errors(driver: object) -> list[dict]:
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]  # type: ignore[attr-defined]


def _screenshot(driver: object, name: str) -> Path:
    """Full-page screenshot (window stretched to the page height, capped)."""
    ARTIFACTS.mkdir(exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")  # type: ignore[attr-defined]
    driver.set_window_size(1280, max(800, min(int(height), 6000)))  # type: ignore[attr-defined]
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))  # type: ignore[attr-defined]
    driver.set_window_size(1280, 1600)  # type: ignore[attr-defined]
    assert path.stat().st_size > 10_000
    return path


def _local_links(driver: object, base: str) -> set[str]:
    hrefs = driver.execute_script("return Array.from(document.querySelectorAll('a[href]')).map(a => a.href)")  # type: ignore[attr-defined]
    host = urlparse(base).netloc
    return {urldefrag(h)[0] for h in hrefs if urlparse(h).netloc == host}


def _label(store: ox.Store, iri: str, lang: str) -> str:
    for q in store.quads_for_pattern(
        ox.NamedNode(iri), ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"), None, None
    ):
        if q.object.language == lang:
            return q.object.value
    raise AssertionError(f"no {lang} label for {iri}")


def test_entity_page_in_chromium(browser: object, ld_server: Server, fixture_store: ox.Store) -> None:
    from selenium.webdriver.common.by import By

    d = browser
    d.get(ld_server.url + "/id/programme/kommunale-praeventionsketten")  # type: ignore[attr-defined]
    h1 = d.find_element(By.ID, "title")  # type: ignore[attr-defined]
    assert h1.text == _label(fixture_store, PROGRAMME, "de")  # the <script> in the label is text
    scripts = d.execute_script(  # type: ignore[attr-defined]
        "return Array.from(document.scripts).map(s => [s.type, s.getAttribute('src')])")
    # the JSON-LD data block inline, and the site's own header-search script from /static/
    assert [t for t, src in scripts if not src] == ["application/ld+json"]
    assert [src for _t, src in scripts if src] == ["/static/suggest.js"]
    _screenshot(d, "linkeddata-entity-fixture.png")
    links = _local_links(d, ld_server.url)
    assert ld_server.url + "/id/area/05562014" in links
    for url in sorted(links):
        assert httpx.get(url).status_code == 200, url
    # follow a link in the browser: participation → municipality
    d.find_element(By.CSS_SELECTOR, 'a[href="/id/participation/kpk-gladbeck"]').click()  # type: ignore[attr-defined]
    d.find_element(By.CSS_SELECTOR, 'a[href="/id/area/05562014"]').click()  # type: ignore[attr-defined]
    assert d.find_element(By.ID, "title").text == _label(fixture_store, ns.HNID + "area/05562014", "de")  # type: ignore[attr-defined]
    # language switch
    d.find_element(By.ID, "lang-en").click()  # type: ignore[attr-defined]
    assert d.execute_script("return document.documentElement.lang") == "en"  # type: ignore[attr-defined]
    assert _console_errors(d) == []


def test_ontology_page_in_chromium(browser: object, ld_server: Server) -> None:
    from selenium.webdriver.common.by import By

    d = browser
    d.get(ld_server.url + "/ontology#Programme")  # type: ignore[attr-defined]
    assert d.find_element(By.ID, "Programme").is_displayed()  # type: ignore[attr-defined]
    tree_links = d.find_elements(By.CSS_SELECTOR, "#scheme-role ul.tree a")  # type: ignore[attr-defined]
    assert {a.get_attribute("href").rsplit("/", 1)[1] for a in tree_links} == {"member", "pilot-municipality"}
    _screenshot(d, "linkeddata-ontology-fixture.png")
    for url in sorted(_local_links(d, ld_server.url)):
        assert httpx.get(url).status_code == 200, url
    assert _console_errors(d) == []
    turtle = httpx.get(d.find_element(By.ID, "turtle-link").get_attribute("href"))  # type: ignore[attr-defined]
    assert turtle.headers["content-type"].startswith("text/turtle")
    assert "owl:Ontology" in turtle.text


def test_real_pages_in_chromium(browser: object, real_server: Server) -> None:
    """The same on the store built from the project: screenshots of a real programme and the
    real ontology (test-artifacts/linkeddata-entity.png, linkeddata-ontology.png)."""
    from selenium.webdriver.common.by import By

    store = real_server.store
    rows = list(store.query(
        "SELECT ?prog (COUNT(DISTINCT ?p) AS ?n) WHERE "
        f"{{ ?p <{ns.HN}participationIn> ?prog . ?prog a <{ns.HN}Programme> }} "
        "GROUP BY ?prog ORDER BY DESC(?n) ?prog LIMIT 1",
        use_default_graph_as_union=True,
    ))
    assert rows, "the data has no programme with participations"
    iri = rows[0]["prog"].value
    d = browser
    d.get(real_server.url + iri[len("https://w3id.org/hilfenetz"):])  # type: ignore[attr-defined]
    assert d.find_element(By.ID, "title").text  # type: ignore[attr-defined]
    _screenshot(d, "linkeddata-entity.png")
    # /downloads and /dataset generate the full dumps on first use (checked on the fixture server)
    for url in sorted(u for u in _local_links(d, real_server.url) if "/downloads" not in u and "/dataset" not in u):
        assert httpx.get(url, timeout=120).status_code == 200, url
    d.get(real_server.url + "/ontology")  # type: ignore[attr-defined]
    assert len(d.find_elements(By.CSS_SELECTOR, "div.term")) > 50  # type: ignore[attr-defined]
    _screenshot(d, "linkeddata-ontology.png")
    assert _console_errors(d) == []
