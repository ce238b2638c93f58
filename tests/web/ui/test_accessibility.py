"""Every page type in real headless Chromium over the built store: axe-core finds nothing serious
or critical (WCAG 2.0/2.1 A and AA rules), the page body does not scroll sideways at 360 px, the
interactive parts work by keyboard, and a screenshot of each page (wide and 360 px) is kept in
test-artifacts/a11y/ (gitignored).

axe-core is vendored in tests/web/ui/vendor/axe-core (MPL-2.0, see SOURCE.md) and injected through
WebDriver, so the pages never load it and their Content-Security-Policy stays as served.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from kg import rdf as ns

pytestmark = pytest.mark.slow

HERE = Path(__file__).resolve().parent
AXE = HERE / "vendor" / "axe-core" / "axe.min.js"
ARTIFACTS = HERE.parents[2] / "test-artifacts" / "a11y"
WAIT_SECONDS = 60  # an upper bound for slow machines, not a performance assertion

CHART_QUERY = (
    "PREFIX hn: <https://w3id.org/hilfenetz/ontology#>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    "SELECT ?name ?population WHERE {\n  ?gemeinde hn:partOf <https://w3id.org/hilfenetz/id/area/05562> ;\n"
    "    a hn:Municipality ; rdfs:label ?name ; hn:population ?population .\n}\nORDER BY DESC(?population)\n"
)

#: (name, path, what to wait for: a CSS selector present when the page is ready)
PAGES: list[tuple[str, str, str]] = [
    ("home-query-editor", "/", "#examples-list li"),
    ("query-editor-results", "/?query=" + quote(CHART_QUERY), "#result tbody tr"),
    ("area-kreis", "/id/area/05562?lang=de", "#title"),
    ("area-gemeinde", "/id/area/05562014", "#title"),
    ("organisation", "/id/org/lvr", "#title"),
    ("event", "/id/event/fachtag-fruehe-hilfen-koeln-2013?lang=de", "#title"),
    ("programme", "/id/programme/kommunale-praeventionsketten", "#title"),
    ("search-gladbeck", "/search?q=Gladbeck&lang=de", "#hit-count"),
    ("search-glatbeck-typo", "/search?q=Glatbeck&lang=de", "#hit-count"),
    ("search-en", "/search?q=Koeln&lang=en", "#hit-count"),
    ("ontology", "/ontology", "#title"),
]


def wait_for(driver: Any, css: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, WAIT_SECONDS).until(ec.presence_of_element_located((By.CSS_SELECTOR, css)))


def run_axe(driver: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the current page (WCAG 2 A/AA and best-practice rules)."""
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    driver.set_script_timeout(WAIT_SECONDS)
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', "
        "'best-practice']}}).then(r => done(JSON.stringify(r.violations))).catch(e => done(JSON.stringify("
        "[{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}])));"
    )
    return json.loads(result)


def set_width(driver: Any, width: int) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600})


@pytest.fixture(scope="module")
def results(ui_server: str, browser: Any) -> dict[str, dict[str, Any]]:
    """Every page once: axe violations, horizontal overflow at 360 px, screenshots."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    out: dict[str, dict[str, Any]] = {}
    for name, path, ready in PAGES:
        set_width(browser, 1280)
        browser.get(ui_server + path)
        wait_for(browser, ready)
        time.sleep(0.2)  # let deferred scripts settle (no assertion depends on time)
        violations = run_axe(browser)
        browser.save_screenshot(str(ARTIFACTS / f"{name}.png"))
        set_width(browser, 360)
        browser.get(ui_server + path)
        wait_for(browser, ready)
        overflow = browser.execute_script(
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth,"
            " [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right >"
            " document.documentElement.clientWidth + 1 && getComputedStyle(e).position !== 'absolute')"
            ".slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id)];")
        browser.save_screenshot(str(ARTIFACTS / f"{name}-360.png"))
        out[name] = {"violations": violations, "overflow": overflow}
    set_width(browser, 1280)
    (ARTIFACTS / "axe-results.json").write_text(json.dumps(
        {n: [{"id": v["id"], "impact": v["impact"], "nodes": len(v["nodes"])} for v in r["violations"]]
         for n, r in out.items()}, indent=1), encoding="utf-8")
    return out


@pytest.mark.parametrize("name", [p[0] for p in PAGES])
def test_axe_no_serious_or_critical(results: dict[str, dict[str, Any]], name: str) -> None:
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} — " + "; ".join(n["target"][0] if n.get("target") else "?"
                                                                for n in v["nodes"][:4])
        for v in results[name]["violations"] if v["impact"] in ("serious", "critical")
    ]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("name", [p[0] for p in PAGES])
def test_no_horizontal_scroll_at_360px(results: dict[str, dict[str, Any]], name: str) -> None:
    scroll_width, client_width, culprits = results[name]["overflow"]
    assert client_width <= 360
    assert scroll_width <= client_width, (scroll_width, client_width, culprits)


#: What axe-core finds in Swagger UI (the REST documentation of the named queries, /api/docs, a
#: vendored third-party page): its method badges (white on green) fail contrast and its operation
#: summaries nest a button in a button. Pinned so that a new finding there shows; the named queries
#: themselves are reachable in our own UI as the query editor's gallery (page "home-query-editor").
SWAGGER_KNOWN = {"color-contrast", "nested-interactive"}


def test_swagger_ui_has_only_its_known_findings(ui_server: str, browser: Any) -> None:
    set_width(browser, 1280)
    browser.get(ui_server + "/api/docs")
    wait_for(browser, "#swagger-ui .opblock")
    found = {v["id"] for v in run_axe(browser) if v["impact"] in ("serious", "critical")}
    browser.save_screenshot(str(ARTIFACTS / "named-queries-api-docs.png"))
    assert found <= SWAGGER_KNOWN, found - SWAGGER_KNOWN


def test_area_profile_pages(ui_server: str) -> None:
    import httpx

    r = httpx.get(ui_server + "/gebiet/05562", headers={"Accept": "text/html"}, timeout=30)
    if r.status_code == 404:
        pytest.skip("no area profile route (/gebiet/…) in this build: it comes with the area profiles (h19-areas)")
    assert r.status_code == 200


def test_header_suggestions_by_keyboard(ui_server: str, browser: Any) -> None:
    """Type a misspelt name into the header box, ArrowDown to the first suggestion, Enter: the
    entity page of the Gemeinde opens (no mouse)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(ui_server + "/id/area/05562?lang=de")
    box = browser.find_element(By.ID, "hsearch-q")
    box.send_keys("Glatbeck")
    wait_for(browser, "#hsearch-list li[role=option]")
    assert box.get_attribute("aria-expanded") == "true"
    options = browser.find_elements(By.CSS_SELECTOR, "#hsearch-list li[role=option]")
    assert any("Gladbeck" in o.text and "Gemeinde" in o.text for o in options), [o.text for o in options]
    box.send_keys(Keys.ARROW_DOWN)
    active = box.get_attribute("aria-activedescendant")
    assert active and browser.find_element(By.ID, active).get_attribute("aria-selected") == "true"
    first = browser.find_element(By.ID, active).text
    box.send_keys(Keys.ENTER)
    wait_for(browser, "#title")
    assert browser.find_element(By.ID, "title").text.split(" (")[0] in first


def test_every_control_is_keyboard_reachable(ui_server: str, browser: Any) -> None:
    """No interactive element is taken out of the tab order, and Tab walks from the skip link into
    the page (on an entity page, the search page and the query editor)."""
    from selenium.webdriver.common.keys import Keys

    for path in ("/id/event/fachtag-fruehe-hilfen-koeln-2013", "/search?q=Gladbeck", "/"):
        browser.get(ui_server + path)
        wait_for(browser, "body")
        removed = browser.execute_script(
            "return [...document.querySelectorAll('a[href],button,input,select,textarea,summary')]"
            ".filter(e => e.type !== 'hidden' && !e.disabled && e.offsetParent !== null && e.tabIndex < 0)"
            ".map(e => e.outerHTML.slice(0, 80));")
        assert removed == [], (path, removed)
        body = browser.find_element("tag name", "body")
        body.send_keys(Keys.TAB)
        first = browser.switch_to.active_element
        assert first.get_attribute("class") == "skip", (path, first.get_attribute("outerHTML")[:80])
        seen = set()
        for _ in range(12):
            browser.switch_to.active_element.send_keys(Keys.TAB)
            seen.add(browser.switch_to.active_element.get_attribute("outerHTML")[:60])
        assert len(seen) >= 5, (path, seen)


def test_query_editor_by_keyboard(ui_server: str, browser: Any) -> None:
    """Completion of an ontology class with Ctrl+Space and Enter, run with Ctrl+Enter, sort by a
    column with the keyboard, switch to the chart, and a share link that reproduces the query."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(ui_server + "/")
    wait_for(browser, "#examples-list li")
    area = browser.find_element(By.ID, "query-input")
    browser.execute_script("arguments[0].value = ''; arguments[0].dispatchEvent(new Event('input'));", area)
    area.send_keys(CHART_QUERY.replace("a hn:Municipality", "a hn:Munici"))
    # put the caret after "hn:Munici" and complete
    pos = CHART_QUERY.index("a hn:Municipality") + len("a hn:Munici")
    browser.execute_script("arguments[0].setSelectionRange(arguments[1], arguments[1]);", area, pos)
    area.send_keys(Keys.CONTROL, " ")
    from selenium.webdriver.support.ui import WebDriverWait

    # the list may be drawn twice (Ctrl+Space, then the debounced input handler): read it in one script
    options_js = "return [...document.querySelectorAll('#completion li[role=option]')].map(li => li.textContent);"
    selected_js = ("const s = document.querySelector('#completion li[aria-selected=true]');"
                   "return s ? s.textContent : '';")
    WebDriverWait(browser, WAIT_SECONDS).until(
        lambda d: any(o.startswith("hn:Municipality ") for o in d.execute_script(options_js)))
    browser.save_screenshot(str(ARTIFACTS / "query-editor-completion.png"))
    for _ in range(12):
        if browser.execute_script(selected_js).startswith("hn:Municipality "):
            break
        area.send_keys(Keys.ARROW_DOWN)
    assert browser.execute_script(selected_js).startswith("hn:Municipality ")
    area.send_keys(Keys.ENTER)
    assert "a hn:Municipality ;" in area.get_attribute("value")
    area.send_keys(Keys.CONTROL, Keys.ENTER)
    wait_for(browser, "#result tbody tr")
    rows = browser.find_elements(By.CSS_SELECTOR, "#result tbody tr")
    assert len(rows) == 10  # the ten Gemeinden of Kreis Recklinghausen
    sort = browser.find_element(By.CSS_SELECTOR, "th button.sort[data-var=name]")
    sort.send_keys(Keys.ENTER)
    names = [td.text for td in browser.find_elements(By.CSS_SELECTOR, "#result tbody td[data-var=name]")]
    assert names == sorted(names, key=str.lower) and len(names) == 10
    th = browser.find_element(By.CSS_SELECTOR, "th[aria-sort=ascending]")
    assert th.find_element(By.CSS_SELECTOR, "button").text.startswith("?name")
    browser.find_element(By.ID, "chart-toggle").send_keys(Keys.ENTER)
    bars = browser.find_elements(By.CSS_SELECTOR, "#result svg.chart rect")
    assert len(bars) == 10
    browser.save_screenshot(str(ARTIFACTS / "query-editor-chart.png"))
    browser.find_element(By.ID, "share").send_keys(Keys.ENTER)
    url = browser.find_element(By.ID, "share-url").get_attribute("value")
    assert "?query=" in url
    browser.get(url)
    wait_for(browser, "#result tbody tr")
    assert "hn:Municipality" in browser.find_element(By.ID, "query-input").get_attribute("value")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#result tbody tr")) == 10


def test_event_page_speaks_for_people(ui_server: str, browser: Any) -> None:
    """The event page in the browser: the date in words, the organiser under "Wer", no prefixed
    names in any heading."""
    from selenium.webdriver.common.by import By

    browser.get(ui_server + "/id/event/fachtag-fruehe-hilfen-koeln-2013?lang=de")
    text = browser.find_element(By.TAG_NAME, "main").text
    assert "15. Juli 2013" in text and "xsd:" not in text
    heads = [h.text for h in browser.find_elements(By.CSS_SELECTOR, "main h2, main h3, main th")]
    assert "Wer" in heads and "Wann" in heads
    assert not [h for h in heads if any(h.startswith(p + ":") for p in ns.PREFIXES)], heads
