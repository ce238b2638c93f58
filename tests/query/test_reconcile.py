"""The reconciliation matcher (kg/query/reconcile.py) on the real built store: name parsing,
designators, the same territory's twin records, narrowing, ambiguity, suggest and extension.
The HTTP side and the schema checks are in tests/web/reconcile/."""

from __future__ import annotations

import csv
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.query.reconcile import Extender, Query, ReconcileIndex, parses, preview_facts

PROJECT_ROOT = Path(__file__).resolve().parents[2]
HNID = "https://w3id.org/hilfenetz/id/"
HN = "https://w3id.org/hilfenetz/ontology#"
AREA = HNID + "area/"
SKOS_CONCEPT = "http://www.w3.org/2004/02/skos/core#Concept"


def reference(name: str) -> list[dict[str, str]]:
    with open(PROJECT_ROOT / "data" / "reference" / name, encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def index(store: ox.Store) -> ReconcileIndex:
    return ReconcileIndex(store)


def keys(text: str, level: int) -> set[str]:
    return {p.key for p in parses(text) if p.level == level}


# ------------------------------------------------------------------------------ parsing (no store)


def test_parses_of_designator_forms() -> None:
    stadt = {p.level: p for p in parses("Gladbeck, Stadt")}
    assert stadt[1].key == "gladbeck" and stadt[1].kinds == {"stadt"}
    kreis = [p for p in parses("Kr. Recklinghausen") if p.level == 2]
    assert [(p.key, set(p.kinds)) for p in kreis] == [("recklinghausen", {"kreis"})]
    assert keys("Landkreis München", 2) & keys("München", 0)
    assert keys("Recklinghausen (Kreis)", 1) == {"recklinghausen"}
    # a Gemeinde officially named "Markt X" keeps its full name as well
    assert "markterlbach" in keys("Markt Erlbach, M", 1) and "erlbach" in keys("Markt Erlbach, M", 2)


def test_spelling_variants_share_keys() -> None:
    assert keys("Neustadt a.d.Aisch", 0) & keys("Neustadt an der Aisch", 0)
    assert keys("München", 0) & keys("Muenchen", 0) and keys("München", 0) & keys("Munchen", 0)
    assert keys("Castrop-Rauxel", 0) == keys("castrop rauxel", 0) == keys("CASTROP RAUXEL", 0)
    assert keys("Rade b. Rendsburg", 0) == keys("Rade bei Rendsburg", 0)
    assert "halle" in keys("Halle (Saale), Stadt", 3) and "halle" not in keys("Halle (Saale), Stadt", 1)
    assert keys("Sankt Wendel", 0) == keys("St. Wendel", 0)
    assert {"bautzen", "budysin"} <= keys("Bautzen / Budyšin, Stadt, Hochschulstadt / Wysokošulske město", 1)
    assert "lauenburg" in keys("Lauenburg/ Elbe, Stadt", 3)


# ------------------------------------------------------------------------------ on the store


def test_every_land_matches_by_name(index: ReconcileIndex) -> None:
    for r in reference("laender.csv"):
        top = index.match(Query(r["name"], [HN + "Land"]))[0]
        assert (top.record.iri, top.features["match"]) == (AREA + r["ags"], True), r["name"]


def test_city_state_records_are_twins_of_the_gemeinde(index: ReconcileIndex) -> None:
    berlin = AREA + "11000000"
    assert index.twin_of[AREA + "11"] == berlin
    assert index.twin_of[AREA + "11000"] == berlin
    assert index.twin_of[AREA + "gv-110000000"] == berlin
    assert AREA + "05562" not in index.twin_of  # Kreis Recklinghausen has ten Gemeinden
    cands = index.match(Query("Berlin", []))
    assert cands[0].record.iri == berlin and cands[0].features["match"] is True
    assert {c.record.iri for c in cands[1:4]} == {AREA + "11", AREA + "11000", AREA + "gv-110000000"}
    assert all(c.features.get("same_territory_as_candidate") for c in cands[1:4])


def test_kreis_given_by_id_narrows(index: ReconcileIndex) -> None:
    cands = index.match(Query("Neuenkirchen", [HN + "Municipality"],
                              properties=[("kreis", [{"id": AREA + "05566", "name": "Steinfurt"}])]))
    assert [(c.record.iri, c.features["match"]) for c in cands] == [(AREA + "05566060", True)]
    assert cands[0].features["kreis_match"] is True


def test_a_land_that_names_nothing_prevents_a_match(index: ReconcileIndex) -> None:
    cands = index.match(Query("Gladbeck", [HN + "Municipality"], properties=[("land", ["Atlantis"])]))
    assert cands[0].record.iri == AREA + "05562014"
    assert cands[0].features["land_unresolved"] is True and cands[0].features["match"] is False


def test_wrong_designator_is_no_match(index: ReconcileIndex) -> None:
    """"Kreis Gladbeck" names no Kreis: Gladbeck the town is offered, but not as a match."""
    cands = index.match(Query("Kreis Gladbeck", []))
    assert cands[0].record.iri in (AREA + "05562014", AREA + "gv-055620014")
    assert cands[0].score <= 60 and cands[0].features["match"] is False


def test_concept_scheme_narrows(index: ReconcileIndex) -> None:
    scheme = HNID + "concept/organisation-type"
    hit = index.match(Query("Kammer", [SKOS_CONCEPT], properties=[("inScheme", [{"id": scheme}])]))
    assert hit[0].record.iri == scheme + "/chamber" and hit[0].features["match"]
    assert index.match(Query("Kammer", [SKOS_CONCEPT], properties=[("inScheme", [HNID + "concept/topic"])])) == []


def test_suggest_by_prefix(index: ReconcileIndex) -> None:
    recs = index.suggest("Recklingh", [HN + "District"], 5)
    assert [r.iri for r in recs] == [AREA + "05562"]
    big_first = index.suggest("Mün", [HN + "Municipality"], 3)
    assert big_first[0].iri == AREA + "09162000"  # München before Münster before the villages


def test_health_office_extension(index: ReconcileIndex) -> None:
    row = next(r for r in reference("gesundheitsaemter.csv") if r["rki_code"] == "1.05.5.62.")
    iri = HNID + "health-office/105562"
    ext = Extender(index).extend([iri], ["rkiCode", "address", "telephone", "location", "land", "type"])
    values = ext["rows"][iri]
    assert values["rkiCode"] == [{"str": row["rki_code"]}]
    assert values["address"] == [{"str": f"{row['street']}, {row['postalcode']} {row['place']}"}]
    assert values["telephone"] == [{"str": row["phone"]}]
    assert [v["id"] for v in values["location"]] == [AREA + "05562"]
    assert [v["id"] for v in values["land"]] == [AREA + "05"]
    assert [v["id"] for v in values["type"]] == ["hn:HealthOffice"]


def test_concept_extension_and_preview(index: ReconcileIndex) -> None:
    iri = HNID + "concept/organisation-type/chamber"
    values = Extender(index).extend([iri], ["scheme", "notation"])["rows"][iri]
    assert [v["id"] for v in values["scheme"]] == [HNID + "concept/organisation-type"]
    assert values["notation"] == [{"str": "organisation-type:chamber"}]
    facts = dict(preview_facts(index, AREA + "05562014") or [])
    population = next(int(r["population"]) for r in reference("gemeinden.csv") if r["ags"] == "05562014")
    assert facts["Einwohnerzahl"] == f"{population:,}".replace(",", ".")
    assert facts["Kreis"] == "Kreis Recklinghausen" and facts["Land"] == "Nordrhein-Westfalen"  # display labels
    assert preview_facts(index, AREA + "00000000") is None


def test_display_label_names_the_candidate() -> None:
    """hn:displayLabel (German display names, where the data has them) is the name shown; the
    official rdfs:label stays a name to match. Fixture: three triples in an in-memory store."""
    mem = ox.Store()
    kreis = ox.NamedNode(AREA + "05562")
    rdf_type, label = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", "http://www.w3.org/2000/01/rdf-schema#label"
    for p, o in ((rdf_type, ox.NamedNode(HN + "District")), (label, ox.Literal("Recklinghausen", language="de")),
                 (HN + "displayLabel", ox.Literal("Kreis Recklinghausen", language="de"))):
        mem.add(ox.Quad(kreis, ox.NamedNode(p), o, ox.DefaultGraph()))
    small = ReconcileIndex(mem)
    for text in ("Recklinghausen", "Kreis Recklinghausen", "Kr. Recklinghausen"):
        top = small.match(Query(text, [HN + "District"]))[0]
        assert (top.record.iri, top.record.name(), top.features["match"]) == (kreis.value, "Kreis Recklinghausen", True)


def test_a_town_name_means_the_town_unless_offices_are_asked_for(index: ReconcileIndex) -> None:
    """The health office "Stadt Dortmund, Gesundheitsamt" is named after its authority."""
    office = HNID + "health-office/105913"
    org = index.match(Query("Dortmund", [HN + "Organisation"]))
    assert (org[0].record.iri, org[0].features["match"]) == (AREA + "05913000", True)
    assert next(c for c in org if c.record.iri == office).score <= 85
    for query, types in (("Dortmund", [HN + "HealthOffice"]), ("Gesundheitsamt Dortmund", [HN + "Organisation"])):
        top = index.match(Query(query, types))[0]
        assert (top.record.iri, top.features["match"]) == (office, True), query
