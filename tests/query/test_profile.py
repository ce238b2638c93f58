"""The area profile (kg.query.profile) on the real built store, checked against SPARQL written
here or the project's named queries — never against hard-coded lists — and the prevention chain
on a fixture (tests/fixtures/FIXTURE-prevention-chain.trig) loaded beside the real data, because
the sources name no offer with a place and a life phase.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from kg import rdf as ns
from kg.query.profile import area_profile, labels, life_phases, resolve
from kg.store.protocol import solutions

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parents[2]
FIXTURE = PROJECT / "tests" / "fixtures" / "FIXTURE-prevention-chain.trig"
AREA = ns.HNID + "area/"
GLADBECK, CASTROP, KREIS_RE, NRW = AREA + "05562014", AREA + "05562004", AREA + "05562", AREA + "05"
LP = ns.HNID + "concept/life-phase/"


def sparql(store: Any, query: str, *, substitute: bool = False, **bind: str) -> list[dict[str, Any]]:
    """Rows of `query`; `bind` values are IRIs put in for `?name` (written into the text, or as
    pyoxigraph substitutions with `substitute`, for queries that project the parameter)."""
    subs = None
    if substitute:
        subs = {ox.Variable(k): ox.NamedNode(v) for k, v in bind.items()} or None
    else:
        for k, v in bind.items():
            query = re.sub(rf"\?{k}\b", str(ox.NamedNode(v)), query)
    res = solutions(store.query(ns.sparql_prefixes() + query, use_default_graph_as_union=True, substitutions=subs))
    names = [v.value for v in res.variables]
    return [{n: (row[n].value if row[n] is not None else None) for n in names} for row in res]


def named(store: Any, name: str, **bind: str) -> list[dict[str, Any]]:
    """A named query of queries/ with its parameters bound as RDF terms."""
    return sparql(store, (PROJECT / "queries" / f"{name}.rq").read_text(encoding="utf-8"), substitute=True, **bind)


@pytest.fixture(scope="module")
def gladbeck(store: ox.Store) -> dict[str, Any]:
    p = area_profile(store, GLADBECK)
    assert p is not None
    return p


@pytest.fixture(scope="module")
def kreis(store: ox.Store) -> dict[str, Any]:
    p = area_profile(store, KREIS_RE)
    assert p is not None
    return p


def test_resolve_keys(store: ox.Store) -> None:
    assert resolve(store, "05562014") == GLADBECK
    assert resolve(store, "055620014014") == GLADBECK  # the ARS
    assert resolve(store, "gv-055620014") == AREA + "gv-055620014"
    assert resolve(store, "rheinland") == AREA + "rheinland"
    assert resolve(store, "99999") is None
    assert resolve(store, "<bad>") is None


def test_gladbeck_kreis_land_and_health_office(store: ox.Store, gladbeck: dict[str, Any]) -> None:
    parent = sparql(store, "SELECT ?k WHERE { ?g hn:partOf ?k . ?k a hn:District }", g=GLADBECK)
    land = sparql(store, "SELECT ?l WHERE { ?g hn:partOf+ ?l . ?l a hn:Land }", g=GLADBECK)
    assert gladbeck["kreis"] == parent[0]["k"] == KREIS_RE
    assert gladbeck["land"] == land[0]["l"] == NRW
    offices = {r["office"] for r in named(store, "health-office-for-municipality", municipality=GLADBECK)}
    assert offices, "the RKI list names a health office for Gladbeck's Kreis"
    assert {o["iri"] for o in gladbeck["healthOffices"]} == offices
    pop = sparql(store, "SELECT ?p ?d WHERE { ?g hn:population ?p ; hn:populationDate ?d }", g=GLADBECK)[0]
    assert gladbeck["population"] == {"value": int(pop["p"]), "date": pop["d"]}
    assert gladbeck["kind"] == "municipality"


def test_gladbeck_programmes_as_the_data_states(store: ox.Store, gladbeck: dict[str, Any]) -> None:
    """Programme, role and year of every stated participation of Gladbeck itself, as the named
    query municipality-programmes answers them."""
    rows = named(store, "municipality-programmes", municipality=GLADBECK)
    assert rows, "the seeds state that Gladbeck takes part in a programme"
    expected = {(r["programme"], r["role"], (r["since"] or "")[:4]) for r in rows}
    got = {(p["programme"], role, (p["since"] or "")[:4])
           for p in gladbeck["programmes"] if p["area"] == GLADBECK for role in p["roles"]}
    assert got == expected
    for p in gladbeck["programmes"]:
        assert p["sources"], f"every participation names its source: {p}"


def test_kreis_lists_each_gemeinde_once_with_participation(store: ox.Store, kreis: dict[str, Any]) -> None:
    expected = {r["g"] for r in sparql(store, "SELECT ?g WHERE { ?g hn:partOf ?k ; a hn:Municipality }", k=KREIS_RE)}
    members = [m["iri"] for m in kreis["members"]]
    assert len(members) == len(set(members)) == len(expected) == 10
    assert set(members) == expected
    taking_part = {r["m"] for r in sparql(store, """SELECT DISTINCT ?m WHERE {
        ?m hn:partOf ?k . ?p hn:participant ?m ; hn:participationIn ?c . ?c hn:withinProgramme? ?prog .
        ?prog a hn:Programme }""", k=KREIS_RE)}
    assert taking_part, "the seeds name Gemeinden of the Kreis in a programme"
    assert {m["iri"] for m in kreis["members"] if m["participations"]} == taking_part
    # each Gemeinde's label is its display name, never two Gemeinden with the same shown name
    shown = [kreis["labels"][m] for m in members]
    assert len(set(shown)) == 10


def test_nrw_coverage_matches_sparql_counts(store: ox.Store) -> None:
    p = area_profile(store, NRW)
    assert p is not None and p["coverage"] is not None
    cov = p["coverage"]
    n_kreise = sparql(store, "SELECT (COUNT(DISTINCT ?k) AS ?n) WHERE { ?k hn:partOf+ ?l ; a hn:District }", l=NRW)
    n_gem = sparql(store, """SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { ?k hn:partOf+ ?l ; a hn:District .
        ?g hn:partOf ?k ; a hn:Municipality }""", l=NRW)
    assert cov["kreise"] == len(cov["rows"]) == int(n_kreise[0]["n"])
    assert cov["gemeinden"] == int(n_gem[0]["n"]) == sum(r["gemeinden"] for r in cov["rows"])
    by_programme = {r["programme"]: r for r in named(store, "population-in-programme-municipalities")
                    if r["land"] == NRW}
    assert by_programme, "the named query finds programme participation in NRW"
    assert {s["programme"] for s in cov["programmes"]} == set(by_programme)
    for s in cov["programmes"]:
        q = by_programme[s["programme"]]
        assert s["gemeindenSelf"] == int(q["municipalities"])
        assert s["populationSelf"] == int(q["population"])
        assert s["gemeindenInclKreis"] == int(q["municipalitiesInclDistricts"])
        assert s["populationInclKreis"] == int(q["populationInclDistricts"])


def test_labels_prefer_display_label(tmp_path: Path) -> None:
    """hn:displayLabel wins over rdfs:label where present; rdfs:label otherwise."""
    s = ox.Store(str(tmp_path / "s"))
    a, b = ox.NamedNode(AREA + "x1"), ox.NamedNode(AREA + "x2")
    lab, disp = ox.NamedNode(ns.RDFS + "label"), ox.NamedNode(ns.HN + "displayLabel")
    s.add(ox.Quad(a, lab, ox.Literal("Gladbeck, Stadt", language="de")))
    s.add(ox.Quad(a, disp, ox.Literal("Gladbeck (Gemeindeverband)", language="de")))
    s.add(ox.Quad(b, lab, ox.Literal("Recklinghausen", language="de")))
    assert labels(s, [a.value, b.value, AREA + "x3"]) == {
        a.value: "Gladbeck (Gemeindeverband)", b.value: "Recklinghausen", AREA + "x3": "area/x3"}


# --- the prevention chain on the fixture ---------------------------------------------------------------


@pytest.fixture(scope="module")
def chain_store(built_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ox.Store]:
    """A copy of the real store with the fixture's three offers added beside the real data."""
    target = tmp_path_factory.mktemp("chain") / "store"
    shutil.copytree(built_store, target)
    s = ox.Store(str(target))
    s.load(path=str(FIXTURE), format=ox.RdfFormat.TRIG)
    s.flush()
    yield s
    del s


def _fixture_offers(store: ox.Store) -> dict[str, set[str]]:
    """area → life phases of the fixture's offers, read from the store."""
    out: dict[str, set[str]] = {}
    for r in sparql(store, """SELECT ?a ?lp WHERE { GRAPH <https://w3id.org/hilfenetz/id/graph/fixture/prevention-chain>
        { ?o a hn:Offer ; hn:areaServed ?a ; hn:lifePhase ?lp } }"""):
        out.setdefault(r["a"], set()).add(r["lp"])
    return out


def test_chain_gaps_are_exactly_the_other_phases(chain_store: ox.Store) -> None:
    phases = life_phases(chain_store)
    assert phases[0] == LP + "pregnancy" and phases[-1] == LP + "career-entry" and len(phases) == 6
    offers = _fixture_offers(chain_store)
    assert len(offers[GLADBECK]) == 2 and len(offers[KREIS_RE]) == 1
    p = area_profile(chain_store, GLADBECK)
    assert p is not None
    chain = p["preventionChain"]
    assert [ph["lifePhase"] for ph in chain["phases"]] == phases  # in the scheme's order
    assert set(chain["gaps"]) == set(phases) - offers[GLADBECK] - offers[KREIS_RE]
    assert len(chain["gaps"]) == 3
    own_gaps = {ph["lifePhase"] for ph in chain["phases"] if ph["ownGap"]}
    assert own_gaps == set(phases) - offers[GLADBECK]
    kreis_phase = next(ph for ph in chain["phases"] if ph["lifePhase"] in offers[KREIS_RE])
    assert kreis_phase["own"] == [] and len(kreis_phase["surrounding"]) == 1
    assert kreis_phase["surrounding"][0]["targetGroups"] == [ns.HNID + "concept/target-group/"
                                                             "children-of-parents-mental-illness-addiction"]
    # per target group: the group of the Kreis's offer and of one of Gladbeck's has both phases, the gaps are the rest
    group = next(g for g in chain["byTargetGroup"] if g["targetGroup"].endswith("mental-illness-addiction"))
    assert set(group["phases"]) == {LP + "preschool", LP + "primary-school"}
    assert set(group["gaps"]) == set(phases) - set(group["phases"])
    # the checklist's step "offers" now has evidence: the municipality's own offers
    step = next(s for s in p["checklist"] if s["step"] == "offers")
    assert len(step["evidence"]) == 2


def test_chain_of_neighbour_and_kreis(chain_store: ox.Store) -> None:
    phases = set(life_phases(chain_store))
    offers = _fixture_offers(chain_store)
    castrop = area_profile(chain_store, CASTROP)
    kreis = area_profile(chain_store, KREIS_RE)
    assert castrop is not None and kreis is not None
    assert set(castrop["preventionChain"]["gaps"]) == phases - offers[KREIS_RE]
    assert kreis["preventionChain"]["surroundingArea"] is None
    assert set(kreis["preventionChain"]["gaps"]) == phases - offers[KREIS_RE]


def test_real_data_has_no_offers_in_the_chain(gladbeck: dict[str, Any], store: ox.Store) -> None:
    """Without the fixture every phase is a gap — the sources name no such offer (docs/model.md)."""
    n = sparql(store, "SELECT (COUNT(?o) AS ?n) WHERE { ?o a hn:Offer ; hn:areaServed ?a ; hn:lifePhase ?lp }",
               a=GLADBECK)
    assert int(n[0]["n"]) == 0
    assert len(gladbeck["preventionChain"]["gaps"]) == 6


def test_region_and_association(store: ox.Store) -> None:
    """A Landesteil's coverage table has the Kreise it covers (directly or by Regierungsbezirk);
    a Gemeindeverband lists its member Gemeinden."""
    rheinland = area_profile(store, AREA + "rheinland")
    assert rheinland is not None and rheinland["coverage"] is not None
    expected = {r["k"] for r in sparql(store, """SELECT DISTINCT ?k WHERE {
        { ?r hn:covers ?k } UNION { ?r hn:coversGovernmentRegion ?rb . ?k hn:partOf ?rb } ?k a hn:District }""",
                                       r=AREA + "rheinland")}
    assert expected and {row["iri"] for row in rheinland["coverage"]["rows"]} == expected
    gv = area_profile(store, AREA + "gv-055620014")
    assert gv is not None and gv["kind"] == "association"
    members = {r["g"] for r in sparql(store, "SELECT ?g WHERE { ?g hn:memberOfAssociation ?v ; a hn:Municipality }",
                                      v=AREA + "gv-055620014")}
    assert {m["iri"] for m in gv["members"]} == members == {GLADBECK}


def test_chain_page_marks_the_gaps(chain_store: ox.Store) -> None:
    """The HTML of Gladbeck's profile on the fixture: each fixture offer shown, the gap rows marked
    exactly for the computed gaps."""
    from kg.query.describe import load_vocabulary
    from kg.web.render.pages import PageContext
    from kg.web.render.profile import profile_page

    p = area_profile(chain_store, GLADBECK)
    assert p is not None
    ctx = PageContext(lang="de", root="", vocab=load_vocabulary(chain_store), path="/gebiet/05562014", query={})
    page = profile_page(ctx, p)
    chain_html = page.split('<section id="chain"', 1)[1].split("</section>", 1)[0]
    for ph in p["preventionChain"]["phases"]:
        for o in ph["own"] + ph["surrounding"]:
            assert p["labels"][o["iri"]] in chain_html
    assert chain_html.count('<tr class="gap">') == len(p["preventionChain"]["gaps"]) == 3
    assert 'class="data chain-groups"' in chain_html
