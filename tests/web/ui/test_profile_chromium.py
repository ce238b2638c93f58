"""The area profiles in real Chromium, at desktop width and at 360 px: what a municipal
representative sees. Screenshots are kept as test artefacts (test-artifacts/profile-*.png); with
HILFENETZ_DOC_SCREENSHOTS=1 the three the docs show are also written to docs/img/.

Checked in the browser (not in the HTML text): the headings, the sections, the sortable coverage
table (a click sorts by population, and aria-sort says so), that no page scrolls sideways at
360 px (wide tables scroll inside their own box), and an empty console.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.serving import PROJECT_ROOT

pytestmark = pytest.mark.slow

ARTEFACTS = PROJECT_ROOT / "test-artifacts"
DOC_IMG = PROJECT_ROOT / "docs" / "img"
#: page, key, file name of the docs screenshot (None: artefact only)
PAGES: tuple[tuple[str, str, str | None], ...] = (
    ("kreis", "/gebiet/05562?lang=de", "profile-kreis-recklinghausen.png"),
    ("gemeinde", "/gebiet/05562014?lang=de", "profile-gladbeck.png"),
    ("land", "/gebiet/05?lang=de", "profile-nrw.png"),
    ("gemeinde-en", "/gebiet/05562014?lang=en", None),
    ("vergleich", "/vergleich?a=05562014&b=05562004&lang=de", None),
)


def _open(driver: Any, url: str, width: int) -> None:
    driver.set_window_size(width, 1000)
    driver.get(url)
    driver.find_element("css selector", "h1#title")


def _shoot(driver: Any, name: str, doc_name: str | None) -> Path:
    """A full-page screenshot (the window made as tall as the page) into test-artifacts/."""
    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
    width = int(driver.execute_script("return window.innerWidth"))
    driver.set_window_size(max(width, 360), min(max(height + 120, 600), 6000))
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / f"profile-{name}.png"
    driver.save_screenshot(str(path))
    if doc_name and os.environ.get("HILFENETZ_DOC_SCREENSHOTS"):
        DOC_IMG.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(DOC_IMG / doc_name))
    return path


def _console_errors(driver: Any) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


@pytest.mark.parametrize("width", [1280, 360])
@pytest.mark.parametrize(("name", "path", "doc_name"), PAGES)
def test_profile_pages_render(browser: Any, ui_server: str, name: str, path: str, doc_name: str | None,
                              width: int) -> None:
    _open(browser, ui_server + path, width)
    title = browser.find_element("css selector", "h1#title").text
    assert title, "the page has a title"
    if name == "vergleich":
        heads = [h.text for h in browser.find_elements("css selector", "#compare-table thead th")]
        assert len(heads) == 3 and all(heads), heads  # the aspect and the two areas
    else:
        headings = [h.text for h in browser.find_elements("css selector", "main h2")]
        assert len(headings) >= 5, headings
    # nothing wider than the window: wide tables scroll in their own box
    overflow = browser.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"{path} scrolls sideways by {overflow} px at {width} px"
    for table in browser.find_elements("css selector", "table.data"):
        assert table.find_element("css selector", "caption").text, "every table has a caption"
    shot = _shoot(browser, f"{name}-{width}", doc_name if width == 1280 else None)
    assert shot.stat().st_size > 10_000
    assert _console_errors(browser) == []


def test_coverage_table_sorts_by_population(browser: Any, ui_server: str) -> None:
    """The NRW table of Kreise becomes sortable in the browser: a click on the population header
    orders the rows by population (ascending, then descending) and sets aria-sort."""
    _open(browser, ui_server + "/gebiet/05", 1280)
    table = browser.find_element("css selector", "table#coverage-kreise")
    header = table.find_elements("css selector", "thead th")[1]
    button = header.find_element("css selector", "button.sort")

    def populations() -> list[float]:
        cells = table.find_elements("css selector", "tbody tr td:nth-child(2)")
        return [float(c.get_attribute("data-sort")) for c in cells]

    before = populations()
    assert len(before) > 10
    button.click()
    assert header.get_attribute("aria-sort") == "ascending"
    assert populations() == sorted(before)
    button.click()
    assert header.get_attribute("aria-sort") == "descending"
    assert populations() == sorted(before, reverse=True)
    assert _console_errors(browser) == []
