"""kg.graph.hsds: the HSDS export of the real built store and of a small marked fixture with offers
(fixture-hsds-offers.trig). Every JSON object is validated against the HSDS 3.x JSON schemas
(kg/graph/hsds_schema, copied from the specification) and the tabular data package with
frictionless, which also checks the primary and foreign keys."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from kg.graph.hsds import SCHEMA_DIR, HsdsExport, export_hsds, hsds_id
from kg.rdf import HN, HNID

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
FIXTURE = HERE / "fixture-hsds-offers.trig"
SHARED_SCHEMA = ROOT.parent / "shared" / "conformance" / "hsds" / "schema"
#: JSON file → the HSDS schema of its objects
SCHEMA_OF = {"organizations": "organization.json", "services": "service.json", "taxonomies": "taxonomy.json",
             "taxonomy_terms": "taxonomy_term.json"}


def _validator(schema_file: str) -> Any:
    from jsonschema import Draft202012Validator, FormatChecker
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    resources = [(p.name, Resource.from_contents(json.loads(p.read_text(encoding="utf-8")),
                                                 default_specification=DRAFT202012))
                 for p in SCHEMA_DIR.glob("*.json")]
    registry = Registry().with_resources(resources)
    return Draft202012Validator({"$ref": schema_file}, registry=registry, format_checker=FormatChecker())


def _check_json(export: HsdsExport) -> int:
    """Validate every object of every JSON file; returns how many were checked."""
    checked = 0
    for name, schema_file in SCHEMA_OF.items():
        objects = json.loads((export.out_dir / "json" / f"{name}.json").read_text(encoding="utf-8"))
        validator = _validator(schema_file)
        for obj in objects:
            errors = sorted(validator.iter_errors(obj), key=lambda e: list(e.path))
            assert not errors, f"{name} {obj.get('id')}: " + "; ".join(
                f"{list(e.path)}: {e.message}" for e in errors[:5])
            checked += 1
    return checked


def _check_rows(export: HsdsExport) -> int:
    """Validate every row of every table as an HSDS object of its type (a programme without an
    owner, for one, is in no JSON file's nesting)."""
    checked = 0
    for table, rows in export.tables.items():
        validator = _validator(f"{table}.json")
        for row in rows:
            obj = {k: v for k, v in row.items() if v is not None}
            errors = list(validator.iter_errors(obj))
            assert not errors, f"{table} {row['id']}: " + "; ".join(e.message for e in errors[:5])
            checked += 1
    return checked


def _check_package(out_dir: Path) -> None:
    frictionless = pytest.importorskip("frictionless")
    report = frictionless.validate(out_dir / "datapackage.json")
    problems = [f"{task.name}: {err.type}: {err.message}" for task in report.tasks for err in task.errors]
    assert report.valid, "\n".join(problems[:20])


def _rows(out_dir: Path, table: str) -> list[dict[str, str]]:
    with (out_dir / table).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# --------------------------------------------------------------------------- the real store


@pytest.fixture(scope="module")
def real_export(built_store: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[HsdsExport, ox.Store]:
    store = ox.Store.read_only(str(built_store))
    return export_hsds(store, tmp_path_factory.mktemp("hsds-real")), store


@pytest.mark.slow
def test_real_store_objects_validate_against_hsds_schemas(real_export: tuple[HsdsExport, ox.Store]) -> None:
    export, _ = real_export
    assert _check_json(export) == sum(len(v) for v in export.json_objects.values())
    assert _check_rows(export) == sum(len(v) for v in export.tables.values())


@pytest.mark.slow
def test_real_store_data_package_validates_with_frictionless(real_export: tuple[HsdsExport, ox.Store]) -> None:
    _check_package(real_export[0].out_dir)


def _count(store: ox.Store, where: str) -> int:
    q = f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {where} }}"
    return int(next(iter(store.query(q, use_default_graph_as_union=True)))["n"].value)


@pytest.mark.slow
def test_real_store_counts_match_the_graph(real_export: tuple[HsdsExport, ox.Store]) -> None:
    export, store = real_export
    skos = "http://www.w3.org/2004/02/skos/core#"
    assert len(export.tables["service"]) == _count(store, f"?s a <{HN}Offer>") > 0
    schemes = len(list((ROOT / "ontology" / "schemes").glob("*.ttl")))  # one scheme per file
    assert len(export.tables["taxonomy"]) == _count(store, f"?s a <{skos}ConceptScheme>") == schemes >= 10
    assert len(export.tables["taxonomy_term"]) == _count(
        store, f"?s a <{skos}Concept> ; <{skos}inScheme> ?x . ?x a <{skos}ConceptScheme>")
    assert len(export.tables["program"]) == _count(store, f"?s a <{HN}Programme>")
    offices = _count(store, f"?s a <{HN}HealthOffice>")
    rki = [i for i in export.tables["organization_identifier"] if i["identifier_type"].startswith("RKI")]
    assert len(rki) == offices > 300  # the RKI list (reference data)
    # every service id is the UUID v5 of its offer's IRI: a consumer can map back
    offers = {r["s"].value for r in store.query(f"SELECT ?s WHERE {{ ?s a <{HN}Offer> }}",
                                                use_default_graph_as_union=True)}
    assert {s["id"] for s in export.tables["service"]} == {hsds_id(o) for o in offers}
    # the KIPS offer belongs to the programme it is stated within
    kips = next(s for s in export.json_objects["services"] if "KIPS" in s["name"])
    assert kips["program_id"] == hsds_id(HNID + "programme/kips-praevention-nrw")


# --------------------------------------------------------------------------- the fixture


@pytest.fixture(scope="module")
def fixture_export(tmp_path_factory: pytest.TempPathFactory) -> HsdsExport:
    store = ox.Store()
    for path in sorted((ROOT / "ontology").glob("*.ttl")):
        store.load(path=str(path), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(HNID + "graph/ontology"))
    for path in sorted((ROOT / "ontology" / "schemes").glob("*.ttl")):
        store.load(path=str(path), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(HNID + "graph/schemes"))
    store.load(path=str(FIXTURE), format=ox.RdfFormat.TRIG)
    return export_hsds(store, tmp_path_factory.mktemp("hsds-fixture"))


def test_fixture_objects_validate_and_package_is_valid(fixture_export: HsdsExport) -> None:
    assert _check_json(fixture_export) > 150
    assert _check_rows(fixture_export) == sum(len(v) for v in fixture_export.tables.values())
    _check_package(fixture_export.out_dir)
    package = json.loads((fixture_export.out_dir / "datapackage.json").read_text(encoding="utf-8"))
    names = [r["name"] for r in package["resources"]]
    assert {"organization", "service", "service_area", "funding", "program", "attribute", "taxonomy",
            "taxonomy_term", "location", "address", "phone", "organization_identifier"} <= set(names)
    service = next(r for r in package["resources"] if r["name"] == "service")
    assert {"fields": "organization_id", "reference": {"resource": "organization", "fields": "id"}} in \
        service["schema"]["foreignKeys"]
    assert all((fixture_export.out_dir / r["path"]).exists() for r in package["resources"])


def test_fixture_service_mapping(fixture_export: HsdsExport) -> None:
    services = {s["name"]: s for s in fixture_export.json_objects["services"]}
    s = services["Fixture-Patenschaften"]
    assert s["id"] == hsds_id(HNID + "offer/fixture-patenschaften")
    assert s["organization_id"] == hsds_id(HNID + "org/fixture-traeger")
    assert s["program_id"] == hsds_id(HNID + "programme/fixture-programm")
    assert s["alternate_name"] == "Fixture mentoring" and s["status"] == "active"
    assert (s["minimum_age"], s["maximum_age"]) == (6, 12)
    assert s["eligibility_description"] == "Zielgruppen: Kinder psychisch kranker Eltern"
    areas = {a["uri"]: a for a in s["service_areas"]}
    assert set(areas) == {HNID + "area/05562014", HNID + "area/05562"}
    gladbeck = areas[HNID + "area/05562014"]
    assert (gladbeck["name"], gladbeck["ags"], gladbeck["ars"]) == ("Gladbeck", "05562014", "055620014014")
    assert "Amtlicher Gemeindeschlüssel (AGS) 05562014" in gladbeck["description"]
    sources = sorted(f["source"] for f in s["funding"])
    assert sources == ["Förderung durch Kreis Recklinghausen im Programm Fixture-Förderprogramm über 12.000,50 EUR "
                       "(2024)", "Programm Fixture-Förderprogramm, gefördert von Kreis Recklinghausen"]
    links = sorted((a["link_type"], a["taxonomy_term"]["term_uri"].rsplit("/", 1)[1]) for a in s["attributes"])
    assert links == [("lifePhase", "primary-school"), ("offerType", "counselling"),
                     ("targetGroup", "children-of-parents-mental-illness")]
    other = services["Angebot ohne Anbieter"]
    assert "organization_id" not in other  # omitted, not invented
    assert [a["name"] for a in other["service_areas"]] == ["Dortmund"]


def test_fixture_organisation_mapping(fixture_export: HsdsExport) -> None:
    orgs = {o["uri"]: o for o in fixture_export.json_objects["organizations"]}
    traeger = orgs[HNID + "org/fixture-traeger"]
    assert traeger["description"] == "Träger <script>alert(1)</script> & Co."  # text verbatim, escaped by consumers
    assert (traeger["alternate_name"], traeger["email"], traeger["website"]) == (
        "FTeV", "info@example.org", "https://example.org/traeger")
    assert [p["name"] for p in traeger["programs"]] == ["Fixture-Förderprogramm"]
    assert [f["source"] for f in traeger["funding"]] == [
        "Förderung durch Kreis Recklinghausen im Programm Fixture-Förderprogramm über 12.000,50 EUR (2024)"]
    assert [a["taxonomy_term"]["name"] for a in traeger["attributes"]] == ["Kinder- und Jugendhilfe"]
    unit = orgs[HNID + "org/fixture-abteilung"]
    assert unit["parent_organization_id"] == traeger["id"]
    assert unit["description"] == "Fachbereich, Organisationseinheit"  # no description: the model's class
    # areas are organisations only where they act as one (funder here); Gladbeck is only served
    kreis = orgs[HNID + "area/05562"]
    assert {(i["identifier_type"], i["identifier"]) for i in kreis["organization_identifiers"]} == {
        ("Amtlicher Gemeindeschlüssel (AGS)", "05562"), ("Amtlicher Regionalschlüssel (ARS)", "05562"),
        ("Wikidata", "Q7920")}
    assert HNID + "area/05562014" not in orgs and HNID + "area/05913000" not in orgs
    office = orgs[HNID + "health-office/105562"]
    assert office["phones"][0]["number"] == "02361 53-0"
    assert office["organization_identifiers"][0]["identifier"] == "1.05.5.62."
    address = office["locations"][0]["addresses"][0]
    assert (address["address_1"], address["postal_code"], address["city"], address["state_province"],
            address["country"]) == ("Fixturestraße 1", "45657", "Recklinghausen", "Nordrhein-Westfalen", "DE")
    programs = {p["name"]: p for p in fixture_export.tables["program"]}
    assert programs["Programm ohne Träger"]["organization_id"] is None


def test_fixture_taxonomies(fixture_export: HsdsExport) -> None:
    taxonomies = {t["uri"]: t for t in fixture_export.json_objects["taxonomies"]}
    assert taxonomies[HNID + "concept/life-phase"]["name"] == "Lebensphasen"
    terms = {t["term_uri"]: t for t in fixture_export.json_objects["taxonomy_terms"]}
    infancy = terms[HNID + "concept/life-phase/infancy"]
    assert infancy["taxonomy_id"] == taxonomies[HNID + "concept/life-phase"]["id"]
    assert infancy["language"] == "de" and infancy["code"] and infancy["description"]
    children = [t for t in terms.values() if t.get("parent_id")]
    assert children and all(t["parent_id"] in {x["id"] for x in terms.values()} for t in children)
    rows = _rows(fixture_export.out_dir, "taxonomy_terms.csv")
    assert len(rows) == len(terms) and {r["term_uri"] for r in rows} == set(terms)


def test_export_is_deterministic(fixture_export: HsdsExport, tmp_path: Path) -> None:
    first = {p.name: p.read_bytes() for p in fixture_export.out_dir.glob("*.csv")}
    store = ox.Store()
    for path in sorted((ROOT / "ontology").glob("*.ttl")):
        store.load(path=str(path), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(HNID + "graph/ontology"))
    for path in sorted((ROOT / "ontology" / "schemes").glob("*.ttl")):
        store.load(path=str(path), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(HNID + "graph/schemes"))
    store.load(path=str(FIXTURE), format=ox.RdfFormat.TRIG)
    again = export_hsds(store, tmp_path)
    assert {p.name: p.read_bytes() for p in again.out_dir.glob("*.csv")} == first


def test_schema_copies_match_the_specification() -> None:
    if not SHARED_SCHEMA.is_dir():
        pytest.skip("../shared/conformance/hsds is not present: the copies cannot be compared")
    for path in SCHEMA_DIR.glob("*.json"):
        assert path.read_bytes() == (SHARED_SCHEMA / path.name).read_bytes(), path.name
    assert (SCHEMA_DIR / "compiled" / "tabular.json").read_bytes() == \
        (SHARED_SCHEMA / "compiled" / "tabular.json").read_bytes()


def test_cli_hsds_export(built_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from kg.cli import main

    assert main(["hsds", "export", "--store", str(built_store), "--output", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "wrote HSDS to" in out and "service " in out
    services = json.loads((tmp_path / "out" / "json" / "services.json").read_text(encoding="utf-8"))
    assert len(services) == len(_rows(tmp_path / "out", "services.csv")) > 0
