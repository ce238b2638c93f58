"""Security headers on every response, and every HTML page works under its CSP: no inline
script that would run, every inline style allowed by its hash."""

from __future__ import annotations

import base64
import hashlib
from html.parser import HTMLParser

import httpx
import pytest

from kg.web.security import default_csp, force_no_framing
from tests.serving import Server


class _Inline(HTMLParser):
    """Collects inline scripts (type, text), inline <style> texts and style attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.scripts: list[tuple[str, str]] = []
        self.styles: list[str] = []
        self.style_attrs: list[str] = []
        self.handlers: list[str] = []
        self._in: tuple[str, str] | None = None
        self._buf: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for name, value in attrs:
            if name == "style" and value is not None:
                self.style_attrs.append(value)
            if name.startswith("on"):
                self.handlers.append(name)
        if tag == "script" and not a.get("src"):
            self._in, self._buf = ("script", a.get("type") or ""), []
        elif tag == "style":
            self._in, self._buf = ("style", ""), []

    def handle_data(self, data: str) -> None:
        if self._in:
            self._buf.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._in and tag == self._in[0]:
            text = "".join(self._buf)
            if tag == "script":
                self.scripts.append((self._in[1], text))
            else:
                self.styles.append(text)
            self._in = None


def _sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _directive(csp: str, name: str) -> list[str]:
    for part in csp.split(";"):
        words = part.split()
        if words and words[0] == name:
            return words[1:]
    return []


def assert_works_under_csp(html: str, csp: str) -> None:
    """What a browser would block under `csp` does not occur in `html`."""
    p = _Inline()
    p.feed(html)
    script_src = _directive(csp, "script-src") or _directive(csp, "default-src")
    style_src = _directive(csp, "style-src") or _directive(csp, "default-src")
    assert "'unsafe-inline'" not in script_src
    for typ, text in p.scripts:  # data blocks are not executed; anything else would be blocked
        assert typ in ("application/ld+json", "application/json"), (typ, text[:80])
    assert p.handlers == []  # no onclick=… (would need 'unsafe-inline')
    if "'unsafe-inline'" not in style_src:
        for text in p.styles:
            assert _sha(text) in style_src, "inline <style> not allowed by the CSP"
        for text in p.style_attrs:
            assert _sha(text) in style_src and "'unsafe-hashes'" in style_src, text


COMMON = {"x-content-type-options": "nosniff", "referrer-policy": "strict-origin-when-cross-origin",
          "x-frame-options": "DENY"}


@pytest.mark.parametrize("path", ["/", "/sparql?query=ASK%7B%7D", "/health", "/no/such/path", "/id/org/lvr",
                                  "/id/org/no-such-entity", "/search?q=Jugendamt", "/api/docs", "/static/app.js"])
def test_every_response_has_security_headers(project_server: Server, path: str) -> None:
    r = httpx.get(project_server.url + path, headers={"Accept": "text/html, */*;q=0.1"}, timeout=30)
    assert r.status_code in (200, 404), (path, r.status_code)
    for name, value in COMMON.items():
        assert r.headers.get(name) == value, (path, name)
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "frame-ancestors 'self'" not in csp
    assert "default-src 'self'" in csp
    if r.headers.get("content-type", "").startswith("text/html"):
        assert_works_under_csp(r.text, csp)


@pytest.mark.parametrize("path", ["/", "/id/org/lvr", "/id/person/katharina-binz", "/id/concept/life-phase",
                                  "/search?q=Kinder", "/dataset", "/downloads"])
def test_html_pages_work_under_their_csp(project_server: Server, path: str) -> None:
    r = httpx.get(project_server.url + path, headers={"Accept": "text/html"}, timeout=30)
    if r.status_code == 404 and path == "/downloads":
        pytest.skip("no dump files next to this store")
    assert r.status_code == 200, (path, r.status_code)
    assert r.headers["content-type"].startswith("text/html")
    assert_works_under_csp(r.text, r.headers["content-security-policy"])


def test_entity_page_embeds_json_ld_as_data_block(project_server: Server) -> None:
    r = httpx.get(project_server.url + "/id/org/lvr", headers={"Accept": "text/html"}, timeout=30)
    p = _Inline()
    p.feed(r.text)
    assert [t for t, _ in p.scripts] == ["application/ld+json"]


def test_policy_helpers() -> None:
    assert force_no_framing("default-src 'self'; frame-ancestors 'self'") == (
        "default-src 'self'; frame-ancestors 'none'"
    )
    assert force_no_framing("default-src 'self'") == "default-src 'self'; frame-ancestors 'none'"
    csp = default_csp(["'sha256-abc'"])
    assert "style-src 'self' 'unsafe-hashes' 'sha256-abc'" in csp
    assert "'unsafe-inline'" not in csp and "script-src 'self'" in csp
