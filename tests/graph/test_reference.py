"""Reference data (issue 3): counts, sums, containment chains, links, queries and shapes.

The reference quads are bulk-loaded once per module into a real on-disk pyoxigraph store. Every
expected number is computed here, independently, from the CSV files with the csv module (and the
documented totals from data/reference/README.md are asserted as well), never copied from the
importer's output.
"""

from __future__ import annotations

import csv
import hashlib
import re
import shutil
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from kg.graph.reference import reference_quads, statute_quads
from kg.rdf import GRAPH_REFERENCE_DESTATIS, GRAPH_REFERENCE_HEALTH_OFFICES, HN, HNID

ROOT = Path(__file__).resolve().parents[2]
REF = ROOT / "data" / "reference"
QUERIES = ROOT / "queries"
SHARED_REFDATA = Path("/work/shared/refdata")
AREA = HNID + "area/"

PREFIXES = f"""PREFIX hn: <{HN}>
PREFIX area: <{AREA}>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX schema: <http://schema.org/>
"""


# ------------------------------------------------------------------ helpers (independent of kg.graph.reference)


def read(name: str) -> list[dict[str, str]]:
    """A reference CSV as dicts, read with the standard library only."""
    with (REF / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def ontology_quads() -> Iterator[ox.Quad]:
    """The ontology modules (for rdfs:subClassOf* in queries), in the ontology graph."""
    g = ox.NamedNode(HNID + "graph/ontology")
    for path in sorted((ROOT / "ontology").glob("*.ttl")):
        for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
            yield ox.Quad(q.subject, q.predicate, q.object, g)


def select(store: ox.Store, query: str, **iris: str) -> list[dict[str, str]]:
    """Run a SELECT over the union of all graphs; values as plain strings (IRIs without <>).

    Keyword arguments bind query variables to IRIs, as the API binds a named query's parameters."""
    subs = {ox.Variable(k): ox.NamedNode(v) for k, v in iris.items()}
    res = store.query(query, use_default_graph_as_union=True, substitutions=subs) if subs else \
        store.query(query, use_default_graph_as_union=True)
    names = [v.value for v in res.variables]
    return [{n: row[n].value for n in names if row[n] is not None} for row in res]


def scalar(store: ox.Store, query: str) -> str:
    rows = select(store, PREFIXES + query)
    assert len(rows) == 1, rows
    return next(iter(rows[0].values()))


def load_query(name: str) -> str:
    return (QUERIES / name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> ox.Store:
    """Reference data + statute regions + ontology in a fresh on-disk store."""
    path = tmp_path_factory.mktemp("refstore")
    s = ox.Store(str(path))
    s.bulk_extend(reference_quads(REF))
    s.bulk_extend(statute_quads(REF))
    s.bulk_extend(ontology_quads())
    return s


# ------------------------------------------------------------------ files and provenance


def test_copies_are_identical_to_shared_refdata() -> None:
    if not SHARED_REFDATA.is_dir():
        pytest.skip("/work/shared/refdata is absent (the project works without it); nothing to compare")
    for name in ("laender.csv", "regierungsbezirke.csv", "kreise.csv", "gemeindeverbaende.csv",
                 "gemeinden.csv", "gesundheitsaemter.csv"):
        assert (REF / name).read_bytes() == (SHARED_REFDATA / name).read_bytes(), name


def test_attribution_is_kept() -> None:
    readme = (REF / "README.md").read_text(encoding="utf-8")
    assert "Datenlizenz Deutschland – Namensnennung – Version 2.0" in readme
    assert "Vervielfältigung und Verbreitung, auch auszugsweise, mit Quellenangabe gestattet." in readme
    assert "© European Union – Eurostat" in readme and "CC0" in readme
    assert "reuse terms for this list are unclear" in readme
    notice = (REF / "destatis-hinweise.txt").read_text(encoding="utf-8-sig")
    assert "Statistisches Bundesamt (Destatis), 2025" in notice


def test_file_source_nodes_carry_the_sha256_of_the_copies(store: ox.Store) -> None:
    rows = select(store, PREFIXES + """
        SELECT ?name ?sha WHERE { ?s a hn:SourceDocument ; hn:fileName ?name ; hn:sha256 ?sha .
                                  FILTER(STRSTARTS(?name, "data/reference/")) }""")
    found = {r["name"]: r["sha"] for r in rows}
    assert set(found) == {f"data/reference/{n}" for n in (
        "laender.csv", "regierungsbezirke.csv", "kreise.csv", "gemeindeverbaende.csv", "gemeinden.csv",
        "gesundheitsaemter.csv")}
    for name, sha in found.items():
        assert sha == hashlib.sha256((ROOT / name).read_bytes()).hexdigest(), name


def test_every_unit_and_office_is_stated_in_its_csv_sources(store: ox.Store) -> None:
    # every subject of the two reference graphs, except address nodes and the source nodes
    # themselves, names a source dataset (hn:statedIn) that is described with a licence or rights
    missing = scalar(store, f"""
        SELECT (COUNT(?s) AS ?n) WHERE {{
          {{ SELECT DISTINCT ?s WHERE {{
               VALUES ?g {{ <{GRAPH_REFERENCE_DESTATIS}> <{GRAPH_REFERENCE_HEALTH_OFFICES}> }}
               GRAPH ?g {{ ?s a ?type }} }} }}
          FILTER NOT EXISTS {{ ?s a hn:SourceDocument }}
          FILTER NOT EXISTS {{ ?s a schema:PostalAddress }}
          FILTER NOT EXISTS {{ ?s hn:statedIn ?src . ?src a hn:SourceDocument ; dct:rights ?r }}
        }}""")
    assert int(missing) == 0
    # the statedIn values are exactly the IDs in the `source` columns
    expected: set[str] = set()
    for name in ("laender.csv", "regierungsbezirke.csv", "kreise.csv", "gemeindeverbaende.csv",
                 "gemeinden.csv", "gesundheitsaemter.csv"):
        for row in read(name):
            expected.update(row["source"].split(";"))
    ids = {r["id"] for r in select(store, PREFIXES + """
        SELECT DISTINCT ?id WHERE { ?x hn:statedIn ?s . ?s dct:identifier ?id }""")}
    assert ids == expected
    # Castrop-Rauxel's statedIn matches its row
    row = next(r for r in read("gemeinden.csv") if r["ags"] == "05562004")
    got = {r["id"] for r in select(store, PREFIXES + """
        SELECT ?id WHERE { area:05562004 hn:statedIn ?s . ?s dct:identifier ?id }""")}
    assert got == set(row["source"].split(";"))


# ------------------------------------------------------------------ counts and sums


TYPE_CLASS = {
    "Land": "Land",
    "Regierungsbezirk": "GovernmentRegion",
    "Statistische Region": "StatisticalRegion",
    "Kreis": "RuralDistrict",
    "kreisfreie Stadt": "UrbanDistrict",
    "Gemeindeverband": "MunicipalAssociation",
    "Gemeinde": "Municipality",
    "gemeindefreies Gebiet": "UnincorporatedArea",
}


def test_counts_per_type_equal_the_source(store: ox.Store) -> None:
    expected: Counter[str] = Counter()
    for name in ("laender.csv", "regierungsbezirke.csv", "kreise.csv", "gemeindeverbaende.csv", "gemeinden.csv"):
        expected.update(TYPE_CLASS[r["type"]] for r in read(name))
    # the totals documented for the sources (SOURCES.md / data/reference/README.md)
    assert expected == Counter({"Land": 16, "GovernmentRegion": 19, "StatisticalRegion": 10,
                                "RuralDistrict": 294, "UrbanDistrict": 106, "MunicipalAssociation": 4590,
                                "Municipality": 10751, "UnincorporatedArea": 202})
    got = {r["c"].removeprefix(HN): int(r["n"]) for r in select(store, PREFIXES + """
        SELECT ?c (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a ?c . FILTER(STRSTARTS(STR(?c), STR(hn:))) }
        GROUP BY ?c""")}
    for cls, n in expected.items():
        assert got.get(cls) == n, cls
    assert got["District"] == 400
    assert got["Country"] == 1
    assert got["HealthOffice"] == len(read("gesundheitsaemter.csv")) == 381
    assert got["Region"] == 2


def test_population_of_germany_summed_over_gemeinden(store: ox.Store) -> None:
    total = scalar(store, """
        SELECT (SUM(?p) AS ?sum) WHERE {
          { ?g a hn:Municipality } UNION { ?g a hn:UnincorporatedArea }
          ?g hn:population ?p }""")
    assert int(total) == 83_577_140  # the official population at 31.12.2024 (SOURCES.md)
    assert int(total) == sum(int(r["population"]) for r in read("gemeinden.csv"))
    population = scalar(store, "SELECT ?p WHERE { <https://w3id.org/hilfenetz/id/area/de> hn:population ?p }")
    assert int(population) == 83_577_140


def test_population_per_land_equals_the_csv(store: ox.Store) -> None:
    per_land: dict[str, int] = defaultdict(int)
    for r in read("gemeinden.csv"):
        per_land[r["land"]] += int(r["population"])
    rows = select(store, PREFIXES + """
        SELECT ?ags (SUM(?p) AS ?sum) WHERE {
          ?l a hn:Land ; hn:ags ?ags . ?g hn:partOf+ ?l ; a hn:Municipality ; hn:population ?p }
        GROUP BY ?ags""")
    got = {r["ags"]: int(r["sum"]) for r in rows}
    # gemeindefreie Gebiete are inhabited in two cases; compare municipalities only
    muni: dict[str, int] = defaultdict(int)
    for r in read("gemeinden.csv"):
        if r["type"] == "Gemeinde":
            muni[r["land"]] += int(r["population"])
    assert got == dict(muni)
    assert sum(per_land.values()) == 83_577_140


def test_every_gemeinde_chain_reaches_its_land(store: ox.Store) -> None:
    failures = scalar(store, """
        SELECT (COUNT(?g) AS ?n) WHERE {
          { ?g a hn:Municipality } UNION { ?g a hn:UnincorporatedArea }
          FILTER NOT EXISTS { ?g hn:partOf+ ?l . ?l a hn:Land . ?l hn:partOf area:de }
        }""")
    assert int(failures) == 0
    wrong_land = scalar(store, """
        SELECT (COUNT(?g) AS ?n) WHERE {
          { ?g a hn:Municipality } UNION { ?g a hn:UnincorporatedArea }
          ?g hn:ags ?ags ; hn:partOf+ ?l . ?l a hn:Land ; hn:ags ?land .
          FILTER(SUBSTR(?ags, 1, 2) != ?land)
        }""")
    assert int(wrong_land) == 0
    reaching = scalar(store, """
        SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { ?g a hn:Municipality ; hn:partOf+ area:de }""")
    assert int(reaching) == sum(1 for r in read("gemeinden.csv") if r["type"] == "Gemeinde")


def test_each_unit_has_one_parent_and_statistical_regions_are_no_parents(store: ox.Store) -> None:
    multi = scalar(store, """
        SELECT (COUNT(*) AS ?n) WHERE { { SELECT ?x (COUNT(?p) AS ?c) WHERE { ?x hn:partOf ?p } GROUP BY ?x }
                                       FILTER(?c > 1) }""")
    assert int(multi) == 0
    assert int(scalar(store, "SELECT (COUNT(*) AS ?n) WHERE { ?x hn:partOf ?r . ?r a hn:StatisticalRegion }")) == 0
    # the parent of every CSV row is the one the CSV names
    kreise = {r["ags"]: r["parent_ags"] for r in read("kreise.csv")}
    got = {r["k"].removeprefix(AREA): r["p"].removeprefix(AREA) for r in select(store, PREFIXES + """
        SELECT ?k ?p WHERE { ?k a hn:District ; hn:partOf ?p }""")}
    assert got == kreise


def test_gemeindeverband_membership_equals_the_csv(store: ox.Store) -> None:
    expected = {r["ags"]: r["gemeindeverband_ars"] for r in read("gemeinden.csv") if r["gemeindeverband_ars"]}
    got = {r["g"].removeprefix(AREA): r["v"].removeprefix(AREA + "gv-") for r in select(store, PREFIXES + """
        SELECT ?g ?v WHERE { ?g hn:memberOfAssociation ?v . ?v a hn:MunicipalAssociation }""")}
    assert got == expected


# ------------------------------------------------------------------ spot checks (SOURCES.md)


def test_spot_checks(store: ox.Store) -> None:
    def one(s: str, p: str) -> str:
        return scalar(store, f"SELECT ?o WHERE {{ {s} {p} ?o }}")

    assert one("area:05562004", "hn:officialName") == "Castrop-Rauxel, Stadt"
    assert one("area:05562004", "hn:ars") == "055620004004"
    assert one("area:05562008", "hn:officialName") == "Datteln, Stadt"  # not Castrop-Rauxel
    assert one("area:05913000", "hn:officialName") == "Dortmund, Stadt"
    assert one("area:05913000", "hn:population") == "603462"
    assert one("area:05913000", "hn:populationDate") == "2024-12-31"
    assert one("area:05562014", "hn:officialName") == "Gladbeck, Stadt"
    assert one("area:05562014", "hn:area") == "35.97"
    assert one("area:05315000", "hn:population") == "1024621"
    assert one("area:05374", "hn:officialName") == "Oberbergischer Kreis"
    assert one("area:05374", "hn:partOf") == AREA + "053"
    assert one("area:05562", "hn:partOf") == AREA + "055"
    assert one("area:05913", "hn:nutsCode") == "DEA52"
    assert one("area:05", "hn:officialName") == "Nordrhein-Westfalen"
    assert one("area:07", "hn:officialName") == "Rheinland-Pfalz"
    assert one("area:05562004", "skos:altLabel") == "Castrop-Rauxel"
    matches = {r["m"] for r in select(store, PREFIXES + "SELECT ?m WHERE { area:05913 skos:exactMatch ?m }")}
    assert matches == {"http://www.wikidata.org/entity/Q1295", "http://data.europa.eu/nuts/code/DEA52"}
    assert {r["m"] for r in select(store, PREFIXES + "SELECT ?m WHERE { area:05913000 skos:exactMatch ?m }")} == {
        "http://www.wikidata.org/entity/Q1295"}
    alt = {r["l"] for r in select(store, PREFIXES + "SELECT ?l WHERE { area:05562 skos:altLabel ?l }")}
    assert "Kreis Recklinghausen" in alt


def test_wikidata_and_nuts_links_equal_the_csv(store: ox.Store) -> None:
    expected_wd = 0
    expected_nuts = 0
    for name in ("laender.csv", "regierungsbezirke.csv", "kreise.csv", "gemeindeverbaende.csv", "gemeinden.csv"):
        for r in read(name):
            expected_wd += bool(r["wikidata"])
            expected_nuts += bool(r["nuts_code"])
    assert expected_wd == 1 + 53 + 396  # NRW, its Kreise, its Gemeinden (SOURCES.md §3)
    wd = scalar(store, "SELECT (COUNT(*) AS ?n) WHERE { ?a skos:exactMatch ?m . "
                       "FILTER(STRSTARTS(STR(?m), 'http://www.wikidata.org/entity/Q')) }")
    nuts = scalar(store, "SELECT (COUNT(*) AS ?n) WHERE { ?a skos:exactMatch ?m . "
                         "FILTER(STRSTARTS(STR(?m), 'http://data.europa.eu/nuts/code/')) }")
    assert (int(wd), int(nuts)) == (expected_wd, expected_nuts)


# ------------------------------------------------------------------ health offices


def test_health_offices_and_their_responsibility(store: ox.Store) -> None:
    offices = read("gesundheitsaemter.csv")
    n = scalar(store, "SELECT (COUNT(*) AS ?n) WHERE { "
                      "?o hn:responsibleFor ?k . ?k a hn:District . ?o a hn:HealthOffice }")
    assert int(n) == sum(1 for r in offices if r["kreis_ags_from_code"])
    row = next(r for r in offices if r["rki_code"] == "1.05.5.62.")
    got = select(store, PREFIXES + """
        SELECT ?label ?street ?plz ?place ?phone ?mail ?k WHERE {
          ?o hn:rkiCode "1.05.5.62." ; rdfs:label ?label ; schema:telephone ?phone ; schema:email ?mail ;
             hn:responsibleFor ?k ;
             schema:address [ schema:streetAddress ?street ; schema:postalCode ?plz ;
                              schema:addressLocality ?place ] }""")
    assert got == [{"label": f"{row['name']}, {row['department']}", "street": row["street"], "plz": row["postalcode"],
                    "place": row["place"], "phone": row["phone"], "mail": row["email"], "k": AREA + "05562"}]


def test_query_health_office_for_gladbeck_is_kreis_recklinghausens(store: ox.Store) -> None:
    rows = select(store, load_query("health-office-for-municipality.rq"), municipality=AREA + "05562014")
    assert [(r["rkiCode"], r["responsibleArea"]) for r in rows] == [("1.05.5.62.", AREA + "05562")]


def test_query_health_office_for_dortmund_default(store: ox.Store) -> None:
    # the file's header default (the API binds it when no value is given)
    rows = select(store, load_query("health-office-for-municipality.rq"), municipality=AREA + "05913000")
    expected = [r for r in read("gesundheitsaemter.csv") if r["kreis_ags_from_code"] == "05913"]
    assert [r["officeName"] for r in rows] == [f"{e['name']}, {e['department']}" for e in expected] == [
        "Stadt Dortmund, Gesundheitsamt"]
    assert rows[0]["street"] == "Hoher Wall 9-11" and rows[0]["municipalityName"] == "Dortmund, Stadt"


# ------------------------------------------------------------------ municipalities of a Kreis


@pytest.mark.parametrize("kreis", ["05562", "05374", "09162"])
def test_query_municipalities_of_kreis(store: ox.Store, kreis: str) -> None:
    rows = select(store, load_query("municipalities-of-kreis.rq"), kreis=AREA + kreis)
    expected = [(r["ags"], r["name"], int(r["population"])) for r in read("gemeinden.csv") if r["parent_ags"] == kreis]
    assert [(r["ags"], r["name"], int(r["population"])) for r in rows] == sorted(expected)
    if kreis == "05562":
        assert len(rows) == 10 and all(r["ags"].startswith("05562") for r in rows)
        assert {"Castrop-Rauxel, Stadt", "Gladbeck, Stadt", "Datteln, Stadt"} <= {r["name"] for r in rows}


# ------------------------------------------------------------------ regions per § 1 LVerbO NRW


def test_regions_cover_the_kreise_of_their_regierungsbezirke(store: ox.Store) -> None:
    kreise = read("kreise.csv")
    by_region = {"rheinland": {"051", "053"}, "westfalen-lippe": {"055", "057", "059"}}
    for slug, rbs in by_region.items():
        expected = {AREA + r["ags"] for r in kreise if r["regbez"] in rbs}
        got = {r["k"] for r in select(store, PREFIXES + f"SELECT ?k WHERE {{ area:{slug} hn:covers ?k }}")}
        assert got == expected, slug
        # and the same set follows from the statute's Regierungsbezirke and the hn:partOf data
        derived = {r["k"] for r in select(store, PREFIXES + f"""
            SELECT ?k WHERE {{ area:{slug} hn:coversGovernmentRegion ?rb . ?k hn:partOf ?rb ; a hn:District }}""")}
        assert derived == expected, slug
        assert scalar(store, f"SELECT ?p WHERE {{ area:{slug} hn:partOf ?p }}") == AREA + "05"
        citation = scalar(
            store, f"SELECT ?c WHERE {{ area:{slug} dct:source ?n . ?n a hn:LegalNorm ; hn:citation ?c }}"
        )
        assert citation == "§ 1 LVerbO NRW"
    assert len({r["ags"] for r in kreise if r["regbez"] in {"051", "053"}}) == 26
    assert len({r["ags"] for r in kreise if r["regbez"] in {"055", "057", "059"}}) == 27
    # together they cover every Kreis of NRW exactly once
    nrw = {AREA + r["ags"] for r in kreise if r["land"] == "05"}
    both = select(store, PREFIXES + "SELECT ?k (COUNT(?r) AS ?n) WHERE { ?r a hn:Region ; hn:covers ?k } GROUP BY ?k")
    assert {r["k"] for r in both} == nrw and all(r["n"] == "1" for r in both)


# ------------------------------------------------------------------ population in programme municipalities

PROGRAMME_FIXTURE = """
@prefix hn: <https://w3id.org/hilfenetz/ontology#> .
@prefix area: <https://w3id.org/hilfenetz/id/area/> .
@prefix t: <https://w3id.org/hilfenetz/id/test/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .

t:prog1 a hn:StateProgramme ; rdfs:label "Testprogramm 1"@de .
t:prog2 a hn:FederalInitiative ; rdfs:label "Testprogramm 2"@de .
t:project a hn:Project ; hn:withinProgramme t:prog1 .
# Gladbeck itself (direct), Kreis Recklinghausen via a project in the programme (Kreis-wide),
# Dortmund as kreisfreie Stadt (counts as its Gemeinde), Koblenz (another Land)
t:p1 a hn:Participation ; hn:participant area:05562014 ; hn:participationIn t:prog1 .
t:p2 a hn:Participation ; hn:participant area:05562 ; hn:participationIn t:project .
t:p3 a hn:Participation ; hn:participant area:05913 ; hn:participationIn t:prog1 .
t:p4 a hn:Participation ; hn:participant area:07111000 ; hn:participationIn t:prog1 .
# the derived shortcut alone is enough too
area:05315000 hn:participatesIn t:prog2 .
"""


def _expected_programme_rows(direct: dict[str, set[str]], kreiswide: dict[str, set[str]]) -> set[tuple]:
    """(programme, Land, n direct, pop direct, n incl. Kreise, pop incl. Kreise) from gemeinden.csv."""
    gem = {r["ags"]: r for r in read("gemeinden.csv") if r["type"] == "Gemeinde"}
    out = set()
    for prog in set(direct) | set(kreiswide):
        d = {a for a in direct.get(prog, set())}
        allg = d | {a for a, r in gem.items() if r["kreis"] in kreiswide.get(prog, set())}
        for land in sorted({gem[a]["land"] for a in allg}):
            dl = [a for a in d if gem[a]["land"] == land]
            al = [a for a in allg if gem[a]["land"] == land]
            out.add((prog, AREA + land, len(dl), sum(int(gem[a]["population"]) for a in dl),
                     len(al), sum(int(gem[a]["population"]) for a in al)))
    return out


def _programme_rows(s: ox.Store) -> set[tuple]:
    rows = select(s, load_query("population-in-programme-municipalities.rq"))
    return {(r["programme"], r["land"], int(r["municipalities"]), int(r["population"]),
             int(r["municipalitiesInclDistricts"]), int(r["populationInclDistricts"])) for r in rows}


@pytest.fixture
def scratch(store: ox.Store) -> Iterator[tuple[ox.Store, ox.NamedNode]]:
    """The module store plus a scratch graph that is removed afterwards (no second 250k load)."""
    graph = ox.NamedNode(HNID + "graph/test-scratch")
    try:
        yield store, graph
    finally:
        store.remove_graph(graph)


def test_query_population_in_programme_municipalities_fixture(scratch: tuple[ox.Store, ox.NamedNode]) -> None:
    s, graph = scratch
    s.load(PROGRAMME_FIXTURE.encode(), format=ox.RdfFormat.TURTLE, to_graph=graph)
    t = HNID + "test/"
    expected = _expected_programme_rows(
        {t + "prog1": {"05562014", "05913000", "07111000"}, t + "prog2": {"05315000"}},
        {t + "prog1": {"05562"}},
    )
    assert _programme_rows(s) == expected
    # sanity of the fixture expectation itself: NRW row of prog1 counts Kreis Recklinghausen's 10 + Dortmund
    nrw = next(e for e in expected if e[0] == t + "prog1" and e[1] == AREA + "05")
    assert nrw[2] == 2 and nrw[4] == 11


def test_query_population_in_programme_municipalities_real_seeds(scratch: tuple[ox.Store, ox.NamedNode]) -> None:
    seeds = sorted((ROOT / "data" / "seeds").glob("*.ttl"))
    assert seeds, "no curated seed data in data/seeds"
    s, graph = scratch
    for p in seeds:
        s.load(path=str(p), format=ox.RdfFormat.TURTLE, to_graph=graph)
    # independent reading of who takes part in which programme (no aggregation in SPARQL)
    parts = select(s, PREFIXES + """
        SELECT DISTINCT ?programme ?agent ?kind WHERE {
          { ?x hn:participant ?agent ; hn:participationIn ?c } UNION { ?agent hn:participatesIn ?c }
          ?c hn:withinProgramme? ?programme . ?programme rdf:type/rdfs:subClassOf* hn:Programme .
          VALUES ?kind { hn:Municipality hn:UrbanDistrict hn:RuralDistrict } ?agent a ?kind }""")
    direct: dict[str, set[str]] = defaultdict(set)
    kreiswide: dict[str, set[str]] = defaultdict(set)
    for r in parts:
        key = r["agent"].removeprefix(AREA)
        if r["kind"] == HN + "Municipality":
            direct[r["programme"]].add(key)
        elif r["kind"] == HN + "UrbanDistrict":
            direct[r["programme"]].update(g["ags"] for g in read("gemeinden.csv") if g["kreis"] == key)
        else:
            kreiswide[r["programme"]].add(key)
    assert _programme_rows(s) == _expected_programme_rows(direct, kreiswide)


# ------------------------------------------------------------------ curated data links to the reference entries


def _seed_graph() -> rdflib.Graph:
    g = rdflib.Graph()
    for p in sorted((ROOT / "data" / "seeds").glob("*.ttl")):
        g.parse(p, format="turtle")
    return g


def _norm(label: str) -> str:
    """'Stadt Dortmund' / 'Dortmund, Stadt' / 'Kreis Recklinghausen' -> 'dortmund' / 'recklinghausen'."""
    s = label.lower().split(",")[0].strip()
    s = re.sub(r"^(stadt|kreis|landkreis|gemeinde|land|bundesland)\s+", "", s)
    return s


def test_curated_places_are_the_reference_entries(store: ox.Store) -> None:
    assert list((ROOT / "data" / "seeds").glob("*.ttl")), "no curated seed data in data/seeds"
    g = _seed_graph()
    used = {str(t) for triple in g for t in triple if isinstance(t, rdflib.URIRef) and str(t).startswith(AREA)}
    known = {r["a"] for r in select(store, PREFIXES + """
        SELECT ?a WHERE { ?a a ?c . VALUES ?c { hn:Country hn:Land hn:GovernmentRegion hn:District
                          hn:MunicipalAssociation hn:Municipality hn:UnincorporatedArea hn:Region } }""")}
    assert used - known == set(), "area IRIs in data/seeds that are not reference units"
    # the places the issue names are referred to by their reference IRIs
    named = {AREA + k for k in ("05913000", "05562014", "05562004", "05562", "05374", "05315000", "05", "07")}
    assert named - used == set(), "places named in the documents but not linked by their hnid:area IRI"
    # no other curated resource is labelled like one of the used places (no second "Dortmund")
    place_names: dict[str, str] = {}
    for r in select(store, PREFIXES + """
            SELECT ?a ?l WHERE { ?a hn:officialName|rdfs:label|skos:altLabel ?l }"""):
        if r["a"] in used:
            place_names[_norm(r["l"])] = r["a"]
    label_props = (rdflib.RDFS.label, rdflib.SKOS.prefLabel, rdflib.SKOS.altLabel)
    dupes = []
    for s, p, o in g:
        if p in label_props and isinstance(s, rdflib.URIRef) and not str(s).startswith(AREA):
            n = _norm(str(o))
            if n in place_names:
                dupes.append((str(s), str(o), place_names[n]))
    assert dupes == [], "curated resources labelled like a reference place; use the hnid:area IRI instead"


# ------------------------------------------------------------------ bad input


def _copy_ref(tmp_path: Path) -> Path:
    d = tmp_path / "ref"
    shutil.copytree(REF, d)
    return d


def _replace_line(path: Path, lineno: int, new: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[lineno - 1] = new + "\n"
    path.write_text("".join(lines), encoding="utf-8")


def test_wrong_column_count_names_file_and_line(tmp_path: Path) -> None:
    d = _copy_ref(tmp_path)
    _replace_line(d / "gemeinden.csv", 7, "01051011,010515163011,Broken,Gemeinde,01051")
    with pytest.raises(ValueError, match=r"gemeinden\.csv:7: expected 21 columns, found 5"):
        list(reference_quads(d))


def test_bad_key_names_file_and_line(tmp_path: Path) -> None:
    d = _copy_ref(tmp_path)
    lines = (d / "kreise.csv").read_text(encoding="utf-8").splitlines()
    _replace_line(d / "kreise.csv", 3, lines[2].replace("01002,01002", "0100X,0100X", 1))
    with pytest.raises(ValueError, match=r"kreise\.csv:3: bad AGS"):
        list(reference_quads(d))


def test_dangling_parent_and_negative_population_are_errors(tmp_path: Path) -> None:
    d = _copy_ref(tmp_path)
    rows = (d / "gemeinden.csv").read_text(encoding="utf-8").splitlines()
    _replace_line(d / "gemeinden.csv", 2, rows[1].replace(",01001,01,", ",01999,01,", 1))
    with pytest.raises(ValueError, match=r"gemeinden\.csv:2: parent '01999'"):
        list(reference_quads(d))
    d2 = _copy_ref(tmp_path / "b")
    _replace_line(d2 / "gemeinden.csv", 2, rows[1].replace(",96326,", ",-96326,", 1))
    with pytest.raises(ValueError, match=r"gemeinden\.csv:2: column 'population' must be a non-negative integer"):
        list(reference_quads(d2))


# ------------------------------------------------------------------ shapes


def _rdflib(quads: list[ox.Quad]) -> rdflib.Graph:
    data = ox.serialize((ox.Triple(q.subject, q.predicate, q.object) for q in quads), format=ox.RdfFormat.N_TRIPLES)
    g = rdflib.Graph()
    g.parse(data=data.decode("utf-8"), format="nt")
    return g


def _ontology() -> rdflib.Graph:
    g = rdflib.Graph()
    for p in sorted((ROOT / "ontology").glob("*.ttl")):
        g.parse(p, format="turtle")
    return g


def _shapes() -> rdflib.Graph:
    return rdflib.Graph().parse(ROOT / "ontology" / "shapes" / "areas.ttl", format="turtle")


def _validate(data: rdflib.Graph, engine: str = "pyshacl"):
    from kg.shacl import validate

    return validate(data, _shapes(), _ontology(), inplace=True, engine=engine)


def test_reference_sample_conforms() -> None:
    """Every Land, Regierungsbezirk and Kreis, all of NRW below, all health offices, the regions."""
    keep = re.compile(rf"^{re.escape(AREA)}([0-9]{{2,5}}|de|05[0-9]{{6}}|gv-05[0-9]{{7}}|rheinland|westfalen-lippe)$")
    quads = [q for q in list(reference_quads(REF)) + list(statute_quads(REF))
             if not str(q.subject.value).startswith(AREA) or keep.match(q.subject.value)]
    report = _validate(_rdflib(quads))
    assert report.violations == [], report.to_text(only_violations=True)[:2000]
    # the one RKI entry without any address is a warning, not a violation
    assert [r.severity for r in report.results] == ["Warning"]


@pytest.mark.slow
def test_reference_data_conforms_in_full() -> None:
    # the native engine, the build's default; tests/shacl/test_real_store.py checks that pyshacl
    # gives the same results on the whole real store
    quads = list(reference_quads(REF)) + list(statute_quads(REF))
    report = _validate(_rdflib(quads), engine="native")
    assert report.violations == [], report.to_text(only_violations=True)[:2000]


BROKEN = """
@prefix hn: <https://w3id.org/hilfenetz/ontology#> .
@prefix area: <https://w3id.org/hilfenetz/id/area/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
area:de a hn:Country ; rdfs:label "Deutschland"@de .
area:05 a hn:Land ; rdfs:label "NRW"@de ; hn:ags "05" ; hn:ars "05" ; hn:partOf area:de .
area:055 a hn:GovernmentRegion ; rdfs:label "Münster"@de ; hn:ags "055" ; hn:ars "055" ; hn:partOf area:05 .
# an 8-digit key on a Kreis
area:05562000 a hn:District, hn:RuralDistrict ; rdfs:label "Kaputt"@de ; hn:ags "05562000" ; hn:ars "05562" ;
    hn:partOf area:055 .
# a Gemeinde without parent
area:05562099 a hn:Municipality ; rdfs:label "Ohne Kreis"@de ; hn:ags "05562099" ; hn:ars "055620000099" .
# a negative population, and a population without date
area:05562098 a hn:Municipality ; rdfs:label "Negativ"@de ; hn:ags "05562098" ; hn:ars "055620000098" ;
    hn:partOf area:05562000 ; hn:population "-5"^^xsd:integer ; hn:populationDate "2024-12-31"^^xsd:date .
area:05562097 a hn:Municipality ; rdfs:label "Ohne Datum"@de ; hn:ags "05562097" ; hn:ars "055620000097" ;
    hn:partOf area:05562000 ; hn:population "5"^^xsd:integer .
# a Gemeinde whose parent is a Regierungsbezirk, not a Kreis
area:05562096 a hn:Municipality ; rdfs:label "Falscher Parent"@de ; hn:ags "05562096" ; hn:ars "055620000096" ;
    hn:partOf area:055 .
"""


def test_broken_units_are_reported() -> None:
    report = _validate(rdflib.Graph().parse(data=BROKEN, format="turtle"))
    # focus nodes print as area:05562000 (the per-type prefix) or hnid:area/…: the key is the last part
    found = {(re.split(r"[/:]", r.focus_node)[-1], r.result_path) for r in report.violations}
    assert ("05562000", "hn:ags") in found
    assert ("05562099", "hn:partOf") in found
    assert ("05562098", "hn:population") in found
    assert ("05562097", "hn:populationDate") in found
    assert ("05562096", "hn:partOf") in found
    assert all(r.message_de and r.message_en and r.message_de != r.message_en for r in report.violations)
