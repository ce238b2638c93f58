"""Bad input and abuse on the contribution API: an upload over the size limit, files of the wrong
kind, HTML and script in every text field (escaped in the review HTML), cross-site form posts
(CSRF), and what the tokens file keeps (never a secret)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from kg.web.auth import TokenFileError, TokenTable, add_token, list_tokens, remove_token
from tests.web.contrib.conftest import CONTRIB, VALID_TTL, ContribServer

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
XSS_ATTR = '" onmouseover="alert(1)'


def _state(s: ContribServer) -> tuple[bytes, set[str]]:
    return s.dump(), s.kept()


def test_upload_over_the_size_limit_is_413_and_keeps_nothing(contrib_server: ContribServer) -> None:
    s = contrib_server
    before = _state(s)
    big = VALID_TTL + "# " + "x" * (64 * 1024) + "\n"  # the fixture server's limit is 64 KiB
    r = s.submit("kreis-a", big)
    assert r.status_code == 413, r.text
    assert "65536" in r.text and "Limit" in r.text
    huge = VALID_TTL + "# " + "x" * (300 * 1024) + "\n"  # over the body limit too: refused while reading
    r = s.submit("kreis-a", huge)
    assert r.status_code == 413
    assert _state(s) == before


@pytest.mark.parametrize("filename,content,status,words", [
    ("bericht.pdf", b"%PDF-1.4 not a contribution", 415, ("Vorlage", "template")),
    ("bild.png", b"\x89PNG\r\n\x1a\n", 415, ("Vorlage", "template")),
    ("ohne-endung", b"<a:b> <a:c> <a:d> .", 415, ("Turtle", "Turtle")),
])
def test_a_file_of_the_wrong_kind_is_refused(contrib_server: ContribServer, filename: str, content: bytes,
                                             status: int, words: tuple[str, str]) -> None:
    s = contrib_server
    before = _state(s)
    r = s.submit("kreis-a", content, filename=filename)
    assert r.status_code == status, r.text
    assert words[0] in r.text and words[1] in r.text
    assert _state(s) == before


def test_a_broken_turtle_file_is_reported_with_its_line(contrib_server: ContribServer) -> None:
    s = contrib_server
    before = s.dump()
    r = s.submit("kreis-a", VALID_TTL.replace(" ;\n  hn:areaServed", " ;\n  hn:areaServed ;;"), check=True)
    assert r.status_code == 200
    [p] = r.json()["problems"]
    assert p["row"] == 5 and "beitrag.ttl:5" in p["message_en"] and "Syntaxfehler" in p["message_de"]
    assert s.dump() == before


def test_not_multipart_is_415(contrib_server: ContribServer) -> None:
    s = contrib_server
    r = httpx.post(s.url + "/api/contributions", content=VALID_TTL.encode(),
                   headers={**s.auth("kreis-a"), "Content-Type": "text/turtle"})
    assert r.status_code == 415 and "multipart/form-data" in r.text


def test_html_and_script_in_every_field_are_escaped(contrib_server: ContribServer) -> None:
    s = contrib_server
    ttl = ("@prefix hn: <https://w3id.org/hilfenetz/ontology#> .\n"
           "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
           "<https://w3id.org/hilfenetz/id/org/xss-probe> a hn:YouthWelfareOffice ;\n"
           f"  rdfs:label {_lit(XSS)}@de ;\n"
           f"  <https://w3id.org/hilfenetz/ontology#note> {_lit(XSS_ATTR)} ;\n"
           "  hn:areaServed <https://w3id.org/hilfenetz/id/area/05913000> ;\n"
           "  hn:statedIn <https://w3id.org/hilfenetz/id/source/demo> .\n")
    fields = {"source_title": XSS, "source_url": "javascript:alert(1)" + XSS, "source_publisher": XSS_ATTR,
              "source_date": XSS, "comment": XSS}
    r = s.submit("kreis-a", ttl, filename="<b>x</b>\" onload=\"alert(1).ttl",
                 graph=CONTRIB + "kreis-a/xss", **fields)
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    got = httpx.get(s.url + f"/api/contributions/{cid}", headers=s.auth("redaktion")).json()
    _assert_escaped(got["html"])
    r = httpx.post(s.url + f"/api/contributions/{cid}/reject", headers=s.auth("redaktion"), json={"comment": XSS})
    assert r.status_code == 200
    html = r.json()["html"]
    _assert_escaped(html)
    assert html.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;") >= 5  # label, title, date, comments


def _lit(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _assert_escaped(html: str) -> None:
    assert "<script" not in html.lower() and "<img" not in html.lower() and "<b>" not in html
    assert "&lt;script&gt;" in html
    # no attribute was opened by the data: every onX= sits inside an escaped value
    assert not re.search(r"\son\w+=\"", html), html
    assert 'onmouseover=&quot;alert(1)' in html


def test_cross_site_form_post_is_refused(contrib_server: ContribServer) -> None:
    """CSRF: a form on another site can post multipart, but cannot add the Authorization header
    (there is no cookie to ride on): 401 and nothing kept. A page script on another origin is
    stopped by the preflight, which refuses Authorization."""
    s = contrib_server
    before = _state(s)
    evil = {"Origin": "https://evil.example", "Referer": "https://evil.example/form.html"}
    r = httpx.post(s.url + "/api/contributions", headers=evil, data={"kind": "rdf"},
                   files={"file": ("a.ttl", VALID_TTL.encode(), "text/turtle")})
    assert r.status_code == 401
    r = httpx.post(s.url + "/api/contributions/20260101T000000-00000000/approve", headers=evil,
                   data={"comment": "ok"})
    assert r.status_code == 401
    pre = httpx.options(s.url + "/api/contributions", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization"})
    assert pre.status_code == 403 and "access-control-allow-origin" not in pre.headers
    assert _state(s) == before


def test_the_pages_carry_no_inline_script(contrib_server: ContribServer) -> None:
    for path in ("/beitragen", "/beitragen/pruefen", "/beitragen?lang=en"):
        r = httpx.get(contrib_server.url + path)
        assert r.status_code == 200
        assert "script-src 'self'" in r.headers["content-security-policy"]
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", r.text, re.S)
        # only files of our own /static/ (contribute.js, the header's suggest.js), never inline code
        assert any('src="/static/contribute.js"' in attrs for attrs, _ in scripts)
        assert all(re.search(r'src="/static/[\w.-]+\.js"', attrs) and not body.strip() for attrs, body in scripts)
    assert "Contribute data" in httpx.get(contrib_server.url + "/beitragen?lang=en").text
    assert "Daten beitragen" in httpx.get(contrib_server.url + "/beitragen").text


# ------------------------------------------------------------------------------ the tokens file


def test_tokens_file_keeps_digests_never_secrets(tmp_path: Path) -> None:
    path = tmp_path / "tokens.toml"
    a = add_token(path, "kreis-a", ["contribute:kreis-a/*"])
    b = add_token(path, "redaktion", ["review"])
    text = path.read_text()
    assert a not in text and b not in text and a[3:] not in text
    assert (path.stat().st_mode & 0o777) == 0o600
    table = TokenTable.load(path)
    pa, pb = table.identify(a), table.identify(b)
    assert pa is not None and pa.name == "kreis-a" and not pa.reviewer
    assert pa.may_contribute_to(CONTRIB + "kreis-a/main") and not pa.may_contribute_to(CONTRIB + "kreis-b/main")
    assert pb is not None and pb.reviewer and not pb.admin and not pb.contribute_patterns()
    assert table.identify(a + "x") is None and table.identify("") is None
    with pytest.raises(TokenFileError, match="exists already"):
        add_token(path, "kreis-a", ["review"])
    renewed = add_token(path, "kreis-a", ["contribute:kreis-a/*"], replace=True)
    table = TokenTable.load(path)
    assert table.identify(a) is None and table.identify(renewed) is not None  # the old secret is revoked
    assert remove_token(path, "redaktion") and table.identify(b) is not None
    assert TokenTable.load(path).identify(b) is None
    assert list_tokens(path) == [("kreis-a", ("contribute:kreis-a/*",))]


@pytest.mark.parametrize("scope", ["contribute:../x", "contribute:/abs", "contribute:", "owner", "contribute:a b"])
def test_bad_scopes_are_refused(tmp_path: Path, scope: str) -> None:
    with pytest.raises(TokenFileError, match="unknown scope"):
        add_token(tmp_path / "t.toml", "x", [scope])


def test_a_broken_tokens_file_names_itself(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text('salt = "00"\n')
    with pytest.raises(TokenFileError, match="salt"):
        TokenTable.load(path)
    path.write_text("salt = [")
    with pytest.raises(TokenFileError, match="not valid TOML"):
        TokenTable.load(path)
    with pytest.raises(TokenFileError, match="does not exist"):
        TokenTable.load(tmp_path / "missing.toml")


def test_kg_token_prints_the_secret_once(tmp_path: Path, run_kg: object) -> None:
    path = tmp_path / "tokens.toml"
    r = run_kg("token", "--tokens-file", str(path), "add", "kreis-a", "--scope", "contribute:kreis-a/*")  # type: ignore[operator]
    assert r.returncode == 0, r.stderr
    secret = r.stdout.strip()
    assert secret.startswith("hn_") and len(secret) > 40 and secret not in r.stderr
    assert secret not in path.read_text()
    assert TokenTable.load(path).identify(secret) is not None
    r = run_kg("token", "add", "x", "--scope", "review", env={"HILFENETZ_TOKENS_FILE": str(path)})  # type: ignore[operator]
    assert r.returncode == 0
    r = run_kg("token", "list", env={"HILFENETZ_TOKENS_FILE": str(path)})  # type: ignore[operator]
    assert r.stdout.splitlines() == ["kreis-a\tcontribute:kreis-a/*", "x\treview"]
    assert secret not in r.stdout


def test_a_spreadsheet_needs_its_template_kind_and_must_be_one(contrib_server: ContribServer) -> None:
    s = contrib_server
    before = _state(s)
    r = s.submit("kreis-a", b"PK\x03\x04 not really a workbook", filename="angebote.xlsx", kind="rdf")
    assert r.status_code == 400 and "Vorlagenart" in r.text and "template kind" in r.text
    r = s.submit("kreis-a", b"PK\x03\x04 not really a workbook", filename="angebote.xlsx", kind="offers", check=True)
    assert r.status_code == 200, r.text
    [p] = r.json()["problems"]
    assert p["severity"] == "error" and p["message_de"] and p["message_en"]
    assert _state(s) == before


def test_check_write_token_admits_admins_only(tmp_path: Path) -> None:
    """The admin check other write routes call (kg.web.auth.check_write_token), on a real server."""
    from types import SimpleNamespace

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, Response
    from starlette.routing import Route

    from kg.web.auth import check_write_token
    from tests.serving import serve_app

    path = tmp_path / "t.toml"
    admin, review = add_token(path, "betrieb", ["admin"]), add_token(path, "redaktion", ["review"])

    async def write(request: Request) -> Response:
        return check_write_token(request) or PlainTextResponse("written")

    app = Starlette(routes=[Route("/w", write, methods=["POST"])])
    app.state.kg = SimpleNamespace(tokens=TokenTable.load(path, "legacy-secret-0123456789"))
    with serve_app(app) as url:
        def post(secret: str | None) -> httpx.Response:
            return httpx.post(url + "/w", headers={"Authorization": f"Bearer {secret}"} if secret else {})

        assert post(admin).text == "written" and post("legacy-secret-0123456789").text == "written"
        assert post(review).status_code == 403 and "Scope admin" in post(review).text
        assert post(None).status_code == 401 and post("nope").status_code == 401
