"""`/gebiet/{key}` and `/vergleich` over HTTP on a real server over the built store: JSON and
HTML carry the same content, negotiation, ETag/304, HEAD, 404, the link from the entity page,
German and English, numbers and dates for people.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kg.web.render.profile import fmt_date, fmt_decimal, fmt_int
from tests.serving import serve_kg

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(built_store: Path) -> Iterator[str]:
    with serve_kg(Path(built_store), workers=1) as url:
        yield url


@pytest.fixture(scope="module")
def client(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=60) as c:
        yield c


def _text(page: str) -> str:
    return html.unescape(page)


def test_formatting_for_people() -> None:
    assert fmt_int(603462, "de") == "603.462"
    assert fmt_int(603462, "en") == "603,462"
    assert fmt_decimal(760.36, "de") == "760,36"
    assert fmt_decimal(1234.5, "de") == "1.234,50"
    assert fmt_date("2013-07-15", "de") == "15. Juli 2013"
    assert fmt_date("2013-07-15", "en") == "15 July 2013"
    assert fmt_date("2019-09", "de") == "September 2019"
    assert fmt_date("2012", "de") == "2012"


def _json_values(p: dict[str, Any]) -> list[str]:
    """What a Kreis page must show from its JSON: each Gemeinde's name and population, each
    programme, each life phase, each checklist step quote, each health office."""
    lab = p["labels"]
    out = [p["label"], fmt_int(p["population"]["value"], "de"), fmt_date(p["population"]["date"], "de")]
    for m in p["members"]:
        out += [lab[m["iri"]], fmt_int(m["population"], "de")]
        out += [lab[x["programme"]] for x in m["participations"]]
    out += [lab[x["programme"]] for x in p["programmes"]]
    out += [lab[ph["lifePhase"]] for ph in p["preventionChain"]["phases"]]
    out += [s["quote"] for s in p["checklist"]]
    out += [lab[o["iri"]] for o in p["healthOffices"]]
    return out


def test_json_and_html_show_the_same(client: httpx.Client) -> None:
    by_ext = client.get("/gebiet/05562.json")
    by_accept = client.get("/gebiet/05562", headers={"Accept": "application/json"})
    assert by_ext.status_code == by_accept.status_code == 200
    assert by_ext.headers["content-type"].startswith("application/json")
    data = by_ext.json()
    assert data == by_accept.json()
    page = client.get("/gebiet/05562", headers={"Accept": "text/html", "Accept-Language": "de"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    text = _text(page.text)
    missing = [v for v in _json_values(data) if v not in text]
    assert missing == []
    assert len(data["members"]) == 10
    # every Gemeinde row once in the HTML table of the Gemeinden
    table = text.split('<section id="members"', 1)[1].split("</section>", 1)[0]
    for m in data["members"]:
        assert table.count(f'/gebiet/{m["iri"].rsplit("/", 1)[-1]}"') == 1, m["iri"]


def test_gladbeck_page_names_kreis_land_health_office_programmes(client: httpx.Client) -> None:
    data = client.get("/gebiet/05562014.json").json()
    text = _text(client.get("/gebiet/05562014?lang=de").text)
    lab = data["labels"]
    for iri in (data["kreis"], data["land"], *[o["iri"] for o in data["healthOffices"]],
                *[p["programme"] for p in data["programmes"]]):
        assert lab[iri] in text, iri
    assert "75.499" in text or fmt_int(data["population"]["value"], "de") in text
    assert "Lücke" in text  # the real data names no offer: every phase is a gap, and the page says so
    assert "/beitragen" in text


def test_english_page(client: httpx.Client) -> None:
    r = client.get("/gebiet/05562014", params={"lang": "en"})
    assert r.headers["content-language"] == "en"
    assert '<h2 id="chain-h">Prevention chain</h2>' in r.text and '<h2 id="glance-h">At a glance</h2>' in r.text
    de = client.get("/gebiet/05562014", params={"lang": "de"}).text
    assert '<h2 id="chain-h">Präventionskette</h2>' in de
    data = client.get("/gebiet/05562014.json").json()
    assert fmt_int(data["population"]["value"], "en") in r.text


def test_nrw_overview_table(client: httpx.Client) -> None:
    data = client.get("/gebiet/05.json").json()
    text = _text(client.get("/gebiet/05?lang=de").text)
    assert 'class="data sortable" id="coverage-kreise"' in text
    for row in data["coverage"]["rows"]:
        assert data["labels"][row["iri"]] in text
    for s in data["coverage"]["programmes"]:
        assert fmt_int(s["populationInclKreis"], "de") in text


def test_comparison_shows_both(client: httpx.Client) -> None:
    r = client.get("/vergleich", params={"a": "05562014", "b": "05562004", "lang": "de"})
    assert r.status_code == 200
    both = client.get("/vergleich.json", params={"a": "05562014", "b": "05562004"}).json()
    assert set(both) == {"a", "b"}
    text = _text(r.text)
    for side in ("a", "b"):
        p = both[side]
        assert p["label"] in text
        assert fmt_int(p["population"]["value"], "de") in text
    assert both["a"]["iri"] != both["b"]["iri"]
    form = client.get("/vergleich")
    assert form.status_code == 200 and 'name="a"' in form.text and 'name="b"' in form.text
    assert client.get("/vergleich", params={"a": "05562014", "b": "nirgendwo"}).status_code == 404
    assert client.get("/vergleich.json", params={"a": "05562014"}).status_code == 400


def test_etag_head_and_404(client: httpx.Client) -> None:
    r = client.get("/gebiet/05562014")
    tag = r.headers["etag"]
    assert client.get("/gebiet/05562014", headers={"If-None-Match": tag}).status_code == 304
    h = client.head("/gebiet/05562014")
    assert h.status_code == 200 and h.headers["etag"] == tag and h.content == b""
    assert "Accept" in r.headers["vary"]
    assert client.get("/gebiet/99999999").status_code == 404
    assert client.get("/gebiet/99999999.json").json()["error"] == "not found"
    assert client.get("/gebiet/05562", headers={"Accept": "image/png"}).status_code == 406


def test_entity_page_links_to_profile(client: httpx.Client) -> None:
    r = client.get("/id/area/05562014", headers={"Accept": "text/html"})
    assert 'href="/gebiet/05562014"' in r.text
    other = client.get("/id/programme/kommunale-praeventionsketten-nrw", headers={"Accept": "text/html"})
    assert other.status_code == 200 and 'id="profile-link"' not in other.text
