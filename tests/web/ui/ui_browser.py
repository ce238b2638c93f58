"""Headless Chromium via selenium + the Debian chromedriver, for the UI tests.

Why selenium: it drives the real browser through chromedriver and exposes the browser console
log (goog:loggingPrefs), which the tests assert empty. Nothing is mocked: the page talks to a
real server over 127.0.0.1.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
CHROMEDRIVER_CANDIDATES = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")

CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1400,1000",
)


def find_binary(candidates: tuple[str, ...], name: str) -> str | None:
    """First existing executable of `candidates`, else `name` on PATH."""
    for path in candidates:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return shutil.which(name)


def missing_reason() -> str | None:
    """Why the browser tests cannot run here (None: they can)."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    if not find_binary(CHROMIUM_CANDIDATES, "chromium"):
        return "chromium is not installed (apt-get install chromium)"
    if not find_binary(CHROMEDRIVER_CANDIDATES, "chromedriver"):
        return "chromedriver is not installed (apt-get install chromium-driver)"
    return None


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium WebDriver with a fresh profile, console logging on; quit afterwards."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="hilfenetz-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = find_binary(CHROMIUM_CANDIDATES, "chromium") or "chromium"
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=find_binary(CHROMEDRIVER_CANDIDATES, "chromedriver"))
    driver = webdriver.Chrome(service=service, options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def console_entries(driver: Any) -> list[dict[str, Any]]:
    """Browser console entries since the last call (chromedriver drains the buffer)."""
    return list(driver.get_log("browser"))
