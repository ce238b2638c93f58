"""Every new named query on the real data, through the real HTTP API: the exact rows the seed
documents imply (derived by hand from data/seeds/*.ttl, see the comments), and the filters.

Seed facts used (praeventionsketten-recklinghausen): Gladbeck (05562014) model municipality of
"Kommunale Präventionsketten" (KPK) since 2012; Kreis Recklinghausen (05562) programme
municipality since 2017; the cooperation within KPK (since 2017) of the Kreis (programme
municipality) with Gladbeck and Castrop-Rauxel (05562004) (each project partner; "Kooperationspartner"
the source reserves for the representatives of the institutions involved, issue 21).
fachtag-fruehe-hilfen-2013: the Fachtag in Köln organised by the Landeskoordinierungs-
stelle (LKS), welcome addresses by Neuendorf and Elzer, presentations by the NZFH and the LKS; the
coordination cooperation NZFH–LKS within the Bundesinitiative (BI). vernetzung-jugendhilfe: the
joint organisation of the 2021-06-15 conferences by LZG.NRW and both Landesjugendämter (no period:
the text dates the events, not the cooperation).
"""

from __future__ import annotations

from typing import Any

import httpx

from .conftest import HN, HNID, rows

KPK = HNID + "programme/kommunale-praeventionsketten-nrw"
BI = HNID + "programme/bundesinitiative-netzwerke-fruehe-hilfen-familienhebammen"
GLADBECK, KREIS_RE, CASTROP = HNID + "area/05562014", HNID + "area/05562", HNID + "area/05562004"
SRC_RE = HNID + "source/praeventionsketten-recklinghausen"
SRC_FT = HNID + "source/fachtag-fruehe-hilfen-2013"
SRC_VJ = HNID + "source/vernetzung-jugendhilfe"
LKS = HNID + "org/landeskoordinierungsstelle-fruehe-hilfen-nrw"
NZFH = HNID + "org/nationales-zentrum-fruehe-hilfen"
LZG = HNID + "org/lzg-nrw"
LJA_R, LJA_WL = HNID + "org/landesjugendamt-rheinland", HNID + "org/landesjugendamt-westfalen-lippe"
ROLE = HNID + "concept/role/"
EV = HNID + "event/"
P = HNID + "person/"


def pick(rs: list[dict[str, Any]], *cols: str) -> list[tuple[Any, ...]]:
    return sorted(tuple(r[c] for c in cols) for r in rs)


# ----------------------------------------------------------------------------- programmes × places


def test_municipality_programmes_all(client: httpx.Client) -> None:
    got = pick(rows(client, "municipality-programmes"), "municipality", "programme", "role", "joined", "via", "source")
    assert got == sorted([
        (GLADBECK, KPK, ROLE + "model-municipality", 2012, "programme", SRC_RE),
        (KREIS_RE, KPK, ROLE + "programme-municipality", 2017, "programme", SRC_RE),
        (KREIS_RE, KPK, ROLE + "programme-municipality", 2017, "cooperation", SRC_RE),
        (GLADBECK, KPK, ROLE + "project-partner", 2017, "cooperation", SRC_RE),
        (CASTROP, KPK, ROLE + "project-partner", 2017, "cooperation", SRC_RE),
    ])


def test_programmes_of_one_municipality(client: httpx.Client) -> None:
    got = pick(rows(client, "municipality-programmes", municipality=GLADBECK), "programme", "role", "joined")
    assert got == sorted([(KPK, ROLE + "model-municipality", 2012), (KPK, ROLE + "project-partner", 2017)])


def test_municipalities_of_a_programme_without_places(client: httpx.Client) -> None:
    # the Bundesinitiative's participants are the NZFH and the LKS: organisations, not places
    assert rows(client, "municipality-programmes", programme=BI) == []
    assert len(rows(client, "municipality-programmes", programme=KPK)) == 5


# ----------------------------------------------------------------------------- events


def test_actors_of_the_fachtag(client: httpx.Client) -> None:
    got = pick(rows(client, "event-organisers-speakers", event=EV + "fachtag-fruehe-hilfen-koeln-2013"),
               "at", "role", "actor", "source")
    koeln = EV + "fachtag-fruehe-hilfen-koeln-2013"
    assert got == sorted([
        (koeln, ROLE + "organiser", LKS, SRC_FT),
        (koeln, ROLE + "co-organiser", HNID + "org/landesjugendaemter-fachtag-fruehe-hilfen-2013", SRC_FT),
        (EV + "fachtag-fruehe-hilfen-2013-begruessungen", ROLE + "speaker", P + "bernd-neuendorf", SRC_FT),
        (EV + "fachtag-fruehe-hilfen-2013-begruessungen", ROLE + "speaker", P + "reinhard-elzer", SRC_FT),
        (EV + "fachtag-fruehe-hilfen-2013-ueberblick-nzfh", ROLE + "speaker", NZFH, SRC_FT),
        (EV + "fachtag-fruehe-hilfen-2013-praesentation-lks", ROLE + "speaker", LKS, SRC_FT),
        (koeln, ROLE + "welcome-address", P + "bernd-neuendorf", SRC_FT),
        (koeln, ROLE + "welcome-address", P + "reinhard-elzer", SRC_FT),
        (koeln, ROLE + "presenter", NZFH, SRC_FT),
        (koeln, ROLE + "presenter", LKS, SRC_FT),
    ])


def test_speakers_only(client: httpx.Client) -> None:
    got = pick(rows(client, "event-organisers-speakers", event=EV + "fachtag-fruehe-hilfen-koeln-2013",
                    role=ROLE + "speaker"), "actor")
    assert got == sorted([(P + "bernd-neuendorf",), (P + "reinhard-elzer",), (NZFH,), (LKS,)])


def test_series_includes_its_events(client: httpx.Client) -> None:
    got = pick(rows(client, "event-organisers-speakers", event=EV + "vernetzungstagungen"), "role", "actor")
    org = HNID + "org/"
    assert got == sorted(
        [(ROLE + "participant", org + o) for o in (
            "ministerium-arbeit-gesundheit-soziales-nrw", "ministerium-kinder-familie-fluechtlinge-integration-nrw",
            "bundeszentrale-gesundheitliche-aufklaerung", "nationales-zentrum-fruehe-hilfen",
            "sozialpaediatrische-zentren-der-kinderkliniken", "psychotherapeutenkammer")]
        + [(ROLE + "organiser", a) for a in (LZG, LJA_R, LJA_WL)]
        + [(ROLE + "speaker", P + "wagenblass")]
    )


def test_forum_moderators(client: httpx.Client) -> None:
    got = pick(rows(client, "event-organisers-speakers", event=EV + "impuls-forum-9-kommunale-praeventionsketten-2017"),
               "role", "actor")
    assert got == sorted([(ROLE + "moderator", P + "heleen-klostermann"), (ROLE + "moderator", P + "detlef-moeller"),
                          (ROLE + "contributor", P + "annette-schmidt")])


# ----------------------------------------------------------------------------- cooperation


def test_partners_of_gladbeck(client: httpx.Client) -> None:
    got = pick(rows(client, "actor-cooperation-partners", actor=GLADBECK),
               "partner", "role", "withinProgramme", "start", "source")
    assert got == sorted([
        (KREIS_RE, ROLE + "programme-municipality", KPK, "2017", SRC_RE),
        (CASTROP, ROLE + "project-partner", KPK, "2017", SRC_RE),
    ])


def test_partners_by_role_and_programme(client: httpx.Client) -> None:
    assert pick(rows(client, "actor-cooperation-partners", actor=GLADBECK, role=ROLE + "project-partner"),
                "partner") == [(CASTROP,)]
    assert pick(rows(client, "actor-cooperation-partners", actor=LKS, programme=BI), "partner", "role") == [
        (NZFH, ROLE + "federal-coordination-office")]
    assert rows(client, "actor-cooperation-partners", actor=LKS, programme=KPK) == []


def test_partners_by_period(client: httpx.Client) -> None:
    # LZG.NRW's only cooperation has no stated period (the text dates the events it organised, not the
    # cooperation): it is not stated to have ended or started, so every period keeps it
    both = sorted([(LJA_R,), (LJA_WL,)])
    assert pick(rows(client, "actor-cooperation-partners", actor=LZG), "partner") == both
    assert pick(rows(client, "actor-cooperation-partners", actor=LZG, fromYear="2021", toYear="2021"),
                "partner") == both
    assert pick(rows(client, "actor-cooperation-partners", actor=LZG, fromYear="2022"), "partner") == both
    # Gladbeck's cooperation started 2017 and has no stated end: ongoing
    assert len(rows(client, "actor-cooperation-partners", actor=GLADBECK, fromYear="2030")) == 2
    assert rows(client, "actor-cooperation-partners", actor=GLADBECK, toYear="2016") == []


def test_all_cooperation_pairs(client: httpx.Client) -> None:
    # KPK cooperation: 3 partners with one role each, 3 × 2 = 6; BI coordination 2; joint organisation
    # 2021: 3 partners × 2 = 6
    assert len(rows(client, "actor-cooperation-partners")) == 14


def test_no_actor_in_two_programmes(client: httpx.Client) -> None:
    # the seeds name no actor involved in two programmes (KPK: places and Klostermann; BI: NZFH,
    # LKS, Fachtag speakers; the other programmes have no participants) — see also the fixture test
    assert rows(client, "actors-in-two-programmes") == []
    assert rows(client, "actors-in-two-programmes", programme1=KPK, programme2=BI) == []


# ----------------------------------------------------------------------------- offers, sectors, funding


def test_no_offer_with_area_phase_and_group(client: httpx.Client) -> None:
    # Frühe Hilfen has life phases but no area; the RLP participation offer has an area but no phase
    assert rows(client, "offers-by-municipality") == []


def test_prevention_chain_gaps_rlp(client: httpx.Client) -> None:
    got = pick(rows(client, "prevention-chain-gaps"), "area", "order", "lifePhase", "offers", "gap")
    lp = HNID + "concept/life-phase/"
    phases = ["pregnancy", "infancy", "preschool", "primary-school", "secondary-school", "career-entry"]
    assert got == [(HNID + "area/07", i + 1, lp + p, 0, True) for i, p in enumerate(phases)]


def test_cross_sector_links(client: httpx.Client) -> None:
    got = pick(rows(client, "cross-sector-links"), "area", "kind", "item", "source")
    assert got == sorted([
        (HNID + "area/05", "item", KPK, SRC_RE),
        (KREIS_RE, "item", HNID + "project/kommunale-praeventionsketten-kreis-recklinghausen", SRC_RE),
        (HNID + "area/07", "item", HNID + "programme/kommunale-gesamtkonzepte-rlp", HNID + "source/gesamtkonzepte-rlp"),
    ])
    assert pick(rows(client, "cross-sector-links", area=KREIS_RE), "item") == [
        (HNID + "project/kommunale-praeventionsketten-kreis-recklinghausen",)]


def test_no_funding_stated(client: httpx.Client) -> None:
    assert rows(client, "funding") == []


# ----------------------------------------------------------------------------- provenance


def test_sources_of_a_start_date(client: httpx.Client) -> None:
    got = pick(rows(client, "statement-sources", subject=HNID + "programme/kips-praevention-nrw",
                    property=HN + "startDate"), "value", "source", "fileName", "quote")
    assert got == [
        ("2021", SRC_VJ, "000_f9df8a439acedb28.txt", "wurde in 2021 ein Landesprogramm auf den Weg gebracht")
    ]


def test_statement_in_two_documents(client: httpx.Client) -> None:
    got = pick(rows(client, "statement-sources", subject=NZFH,
                    property="http://www.w3.org/2000/01/rdf-schema#label"), "value", "source", "quote")
    assert got == sorted([
        ("Nationales Zentrum Frühe Hilfen", SRC_FT,
         "das Nationale Zentrum Frühe Hilfen als Bundeskoordinierungsstelle"),
        ("Nationales Zentrum Frühe Hilfen", SRC_VJ, "dem nationalen Zentrum Frühe Hilfen"),
    ])


# ----------------------------------------------------------------------------- connections


def test_shortest_connections(client: httpx.Client) -> None:
    def conn(a: str, b: str) -> list[tuple[Any, ...]]:
        return pick(rows(client, "shortest-connections", actor1=a, actor2=b), "hops", "via1", "via2")

    fachtag = EV + "fachtag-fruehe-hilfen-koeln-2013"
    # both took part in the Fachtag (welcome address / presentation): two steps through the event
    assert conn(P + "bernd-neuendorf", NZFH) == [(2, fachtag, None)]
    assert conn(P + "bernd-neuendorf", LKS) == [(2, fachtag, None)]
    # cooperation partners: one step
    assert conn(GLADBECK, CASTROP) == [(1, None, None)]
    assert conn(LKS, NZFH) == [(1, None, None)]
    # Schmidt and Klostermann: both in the Impuls-Forum 9
    assert conn(P + "annette-schmidt", P + "heleen-klostermann") == [
        (2, EV + "impuls-forum-9-kommunale-praeventionsketten-2017", None)]
    # Gladbeck and Klostermann are linked only through withinProgramme/areaServed edges (3 steps
    # in /api/network/path), not through participation/cooperation links
    assert conn(GLADBECK, P + "heleen-klostermann") == []


# ----------------------------------------------------------------------------- older files, now typed


def test_health_office_default_and_parameter(client: httpx.Client) -> None:
    """Default Dortmund (the value the file used to fix in VALUES); any Gemeinde as parameter:
    Gladbeck is served by the health office of Kreis Recklinghausen (RKI code 1.05.5.62.)."""
    default = rows(client, "health-office-for-municipality")
    assert pick(default, "municipality", "rkiCode", "responsibleArea") == [
        (HNID + "area/05913000", "1.05.9.13.", HNID + "area/05913")]
    gladbeck = rows(client, "health-office-for-municipality", municipality=GLADBECK)
    assert pick(gladbeck, "municipality", "rkiCode", "responsibleArea") == [(GLADBECK, "1.05.5.62.", KREIS_RE)]


def test_municipalities_of_kreis_default_and_parameter(client: httpx.Client) -> None:
    default = rows(client, "municipalities-of-kreis")
    assert len(default) == 10 and {r["kreis"] for r in default} == {KREIS_RE}
    assert {GLADBECK, CASTROP} <= {r["municipality"] for r in default}
    oberberg = rows(client, "municipalities-of-kreis", kreis=HNID + "area/05374")
    assert len(oberberg) == 13 and all(r["ags"].startswith("05374") for r in oberberg)
    r = client.get("/api/queries/municipalities-of-kreis", params={"kreis": GLADBECK})  # a Gemeinde, not a Kreis
    assert r.status_code == 422 and "hn:District" in r.text


def test_evidence_default_and_parameter(client: httpx.Client) -> None:
    default = rows(client, "evidence-for-resource")
    assert {r["resource"] for r in default} == {KPK}
    assert [r["quote"] for r in default if r["property"] == HN + "startDate"] == [
        "im Jahr 2012 als Modellprojekt gestartet"
    ]
    fachtag = rows(client, "evidence-for-resource", resource=EV + "fachtag-fruehe-hilfen-koeln-2013")
    assert fachtag and {r["resource"] for r in fachtag} == {EV + "fachtag-fruehe-hilfen-koeln-2013"}
    assert {r["source"] for r in fachtag} == {SRC_FT}


def test_population_all_programmes_or_one(client: httpx.Client) -> None:
    every = rows(client, "population-in-programme-municipalities")
    one = rows(client, "population-in-programme-municipalities", programme=KPK)
    assert one == [r for r in every if r["programme"] == KPK]
    assert pick(one, "land", "municipalities", "population") == [(HNID + "area/05", 2, 148781)]


def test_repeated_pages_come_from_the_answer_cache(built_store: Any) -> None:
    """A page already answered for the same URL and store version is served from the answer cache
    (no query worker), byte for byte with its Link and X-Total-Count, and revalidates with 304."""
    from kg.config import Settings
    from kg.web.app import create_app
    from tests.serving import free_port, serve_app

    from .conftest import PROJECT_ROOT

    port = free_port()
    app = create_app(Settings(store_path=built_store, project_root=PROJECT_ROOT, port=port, workers=1))
    cache = app.state.kg.cache
    with serve_app(app, port, name="api-cache-uvicorn") as url, httpx.Client(base_url=url, timeout=60) as c:
        params = {"per_page": "2", "page": "2"}
        first = c.get("/api/queries/municipality-programmes", params=params)
        assert first.status_code == 200, first.text
        hits, entries = cache.hits, len(cache)
        second = c.get("/api/queries/municipality-programmes", params=params)
        assert cache.hits == hits + 1 and len(cache) == entries
        assert second.content == first.content
        for h in ("link", "x-total-count", "content-type", "etag"):
            assert second.headers[h] == first.headers[h]
        again = c.get("/api/queries/municipality-programmes", params=params,
                      headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304 and again.content == b""
        # another page or format is another entry
        csv_page = c.get("/api/queries/municipality-programmes", params={**params, "format": "csv"})
        assert csv_page.status_code == 200 and csv_page.headers["content-type"].startswith("text/csv")
        assert len(cache) == entries + 1
