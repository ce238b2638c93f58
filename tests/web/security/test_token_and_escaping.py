"""The write token never reaches the logs; values from the data are escaped in HTML."""

from __future__ import annotations

import time

import httpx

from kg.rdf import HNID
from tests.serving import Server
from tests.web.sparql.conftest import TOKEN

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_token_never_appears_in_the_log(rw_logged_server: Server) -> None:
    s = rw_logged_server
    auth = s.auth()
    with httpx.Client(timeout=30) as c:
        ok = c.post(s.sparql, data={"update": "INSERT DATA { <http://example.org/t> <http://example.org/p> 1 }"},
                    headers=auth)
        assert ok.status_code == 200, ok.text
        bad_syntax = c.post(s.sparql, data={"update": "INSERT DATA { oops"}, headers=auth)
        assert bad_syntax.status_code == 400
        wrong = c.post(s.sparql, data={"update": "CLEAR ALL"}, headers={"Authorization": "Bearer wrong-" + TOKEN[::-1]})
        assert wrong.status_code == 401
        assert TOKEN not in wrong.text
        # a client that puts the token into the URL (wrongly) must not get it logged either
        r = c.get(s.sparql, params={"query": "ASK {}", "access_token": TOKEN})
        assert r.status_code == 200
        r = c.put(s.gsp, params={"graph": "http://example.org/g", "token": TOKEN}, headers={
            **auth, "Content-Type": "text/turtle"}, content=b"<http://example.org/a> <http://example.org/b> 'c' .")
        assert r.status_code == 201, r.text
        r = c.get(s.url + f"/store/{TOKEN}", headers=auth)  # the token as a path: 404 names no token
        assert r.status_code == 404 and TOKEN not in r.text.replace(s.url + f"/store/{TOKEN}", "")
    # the access log is written in batches (at most 0.2 s late): wait for the last request's line
    deadline = time.monotonic() + 5
    log = s.log.read_text(errors="replace")
    while f'"path": "/store/{TOKEN}"' not in log and time.monotonic() < deadline:
        time.sleep(0.05)
        log = s.log.read_text(errors="replace")
    assert '"path": "/sparql"' in log and '"status": 401' in log  # the access log is really written
    assert TOKEN not in log.replace(f"/store/{TOKEN}", "/store/<path>")
    assert "Bearer" not in log


def test_data_values_are_escaped_in_html(rw_logged_server: Server) -> None:
    s = rw_logged_server
    iri = HNID + "org/xss-probe"
    update = ('INSERT DATA { GRAPH <http://example.org/g/xss> { '
              f'<{iri}> <http://www.w3.org/2000/01/rdf-schema#label> '
              f'"{XSS.replace(chr(34), chr(92) + chr(34))}"@de ; <http://example.org/note> "</script><!--" }} }}')
    r = httpx.post(s.sparql, data={"update": update}, headers=s.auth(), timeout=30)
    assert r.status_code == 200, r.text
    r = httpx.get(s.url + "/id/org/xss-probe", headers={"Accept": "text/html"}, timeout=30)
    assert r.status_code == 200, r.text[:300]
    body = r.text
    assert "<script>alert" not in body and "<img src=x" not in body
    assert "&lt;script&gt;alert" in body
    # the JSON-LD data block cannot be closed early by the data
    _head, _, rest = body.partition('<script type="application/ld+json">')
    block = rest.partition("</script>")[0]
    assert "</script" not in block.lower() and "<!--" not in block
    assert "alert" in block  # the value is there, escaped
    assert "content-security-policy" in r.headers
