"""Reference data importer (issue 3): German administrative units and health offices as RDF.

Turns the CSV files in ``data/reference/`` (copied from the Destatis GV100AD, Eurostat NUTS,
NWBib/Wikidata and RKI/gematik sources; see ``data/reference/README.md``) into pyoxigraph quads in
the named graphs ``hnid:graph/reference/destatis`` and ``hnid:graph/reference/health-offices``,
while ``statute_quads`` reads the hand-curated ``data/reference/statutes.ttl`` (graph
``hnid:graph/reference/statutes``; the build loads that file through ``kg.graph.sources``).

Why quads built directly with pyoxigraph terms: the reference data is about 16,000 units and
250,000 triples; building them as pyoxigraph terms and bulk-loading them keeps ``kg build`` fast,
while a detour through rdflib would cost seconds and hundreds of MB.

Why the whole input is read and checked before the first quad is yielded: a malformed row or a
dangling parent key must fail the build with the file and line, before anything is loaded.

Every unit carries ``hn:statedIn`` for each dataset its ``source`` column names and ``dct:source``
for the copied CSV file it was read from, so every reference triple is traceable to its source.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from pyoxigraph import DefaultGraph, Literal, NamedNode, Quad, RdfFormat, parse

from kg.rdf import (
    CC,
    DCT,
    GRAPH_REFERENCE_DESTATIS,
    GRAPH_REFERENCE_HEALTH_OFFICES,
    GRAPH_REFERENCE_STATUTES,
    HN,
    HNID,
    NUTS,
    PROV_WAS_DERIVED_FROM,
    RDF,
    RDFS,
    SCHEMA,
    SKOS,
    WD,
    XSD,
)

UNIT_FILES: tuple[str, ...] = (
    "laender.csv",
    "regierungsbezirke.csv",
    "kreise.csv",
    "gemeindeverbaende.csv",
    "gemeinden.csv",
)
HEALTH_OFFICE_FILE = "gesundheitsaemter.csv"
STATUTES_FILE = "statutes.ttl"

UNIT_COLUMNS: tuple[str, ...] = (
    "ags", "ars", "name", "type", "parent_ags", "land", "population", "population_date",
    "area_km2", "nuts3", "wikidata", "source", "type_detail", "type_code", "seat", "nuts_code",
    "regbez", "kreis", "gemeindeverband_ars", "gemeindeverband_name", "gebietsstand",
)
HEALTH_OFFICE_COLUMNS: tuple[str, ...] = (
    "rki_code", "name", "department", "street", "postalcode", "place", "phone", "email",
    "kreis_ags_from_code", "kreis_name_from_code", "source",
)

GERMANY = HNID + "area/de"


@dataclass(frozen=True)
class Level:
    """What a value of the ``type`` column means: classes and the key formats of that level."""

    classes: tuple[str, ...]
    ags: re.Pattern[str]
    ars: re.Pattern[str]
    parent: re.Pattern[str] | None  # None: the parent is Germany


LEVELS: dict[str, Level] = {
    "Land": Level(("Land",), re.compile(r"[0-9]{2}"), re.compile(r"[0-9]{2}"), None),
    "Regierungsbezirk": Level(
        ("GovernmentRegion",), re.compile(r"[0-9]{3}"), re.compile(r"[0-9]{3}"), re.compile(r"[0-9]{2}")
    ),
    "Statistische Region": Level(
        ("StatisticalRegion",), re.compile(r"[0-9]{3}"), re.compile(r"[0-9]{3}"), re.compile(r"[0-9]{2}")
    ),
    "Kreis": Level(
        ("RuralDistrict", "District"), re.compile(r"[0-9]{5}"), re.compile(r"[0-9]{5}"),
        re.compile(r"[0-9]{2,3}"),
    ),
    "kreisfreie Stadt": Level(
        ("UrbanDistrict", "District"), re.compile(r"[0-9]{5}"), re.compile(r"[0-9]{5}"),
        re.compile(r"[0-9]{2,3}"),
    ),
    "Gemeindeverband": Level(
        ("MunicipalAssociation",), re.compile(r""), re.compile(r"[0-9]{9}"),
        re.compile(r"[0-9]{2}|[0-9]{5}"),
    ),
    "Gemeinde": Level(
        ("Municipality",), re.compile(r"[0-9]{8}"), re.compile(r"[0-9]{12}"), re.compile(r"[0-9]{2}|[0-9]{5}")
    ),
    "gemeindefreies Gebiet": Level(
        ("UnincorporatedArea",), re.compile(r"[0-9]{8}"), re.compile(r"[0-9]{12}"),
        re.compile(r"[0-9]{2}|[0-9]{5}"),
    ),
}

DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
NUTS_CODE = re.compile(r"DE[0-9A-Z]{1,3}")
QID = re.compile(r"Q[1-9][0-9]*")
RKI_CODE = re.compile(r"1\.[0-9]{2}\.[0-9]\.[0-9]{2}\.([0-9]{2}\.)?")


@dataclass(frozen=True)
class Dataset:
    """A source dataset as the ``source`` column names it, described once as a hn:SourceDocument."""

    id: str
    title: str
    publisher: str
    raw_file: str
    raw_sha256: str
    licence: str | None
    rights: str
    attribution: str | None


DATASETS: dict[str, Dataset] = {
    d.id: d
    for d in (
        Dataset(
            "destatis-gv100ad-20251130",
            "Gemeindeverzeichnis GV100AD, Gebietsstand 30.11.2025 (Bevölkerung und Fläche 31.12.2024)",
            "Statistisches Bundesamt (Destatis)",
            "GV100AD_30112025.txt",
            "73a8b0fac2e9ee3716eaf264dfcf4d87a5e1cff04ce8847d7b26a33f188fd352",
            "https://www.govdata.de/dl-de/by-2-0",
            "(c) Daten (im Auftrag der Herausgebergemeinschaft Statistische Ämter des Bundes und der "
            "Länder) Statistisches Bundesamt (Destatis), 2025. Vervielfältigung und Verbreitung, auch "
            "auszugsweise, mit Quellenangabe gestattet.",
            "Datenquelle: Statistisches Bundesamt (Destatis), Gemeindeverzeichnis GV100AD, Gebietsstand "
            "30.11.2025 (Bevölkerung und Fläche 31.12.2024); © Statistische Ämter des Bundes und der "
            "Länder, Datenlizenz Deutschland – Namensnennung – Version 2.0. Aufbereitet (aggregiert, "
            "umkodiert).",
        ),
        Dataset(
            "eurostat-nuts2024-via-geo-mapper-htw-0.1.0b11",
            "NUTS 2024 codes (Kreis key to NUTS 3, Land to NUTS 1), via the PyPI package geo-mapper-htw 0.1.0b11",
            "Eurostat (GISCO)",
            "nuts_2024_level_3.csv",
            "e7cfa37e66b0a63797118c2157bcf413465e95a87f016034ae39cfc6c1b3c2f9",
            "http://creativecommons.org/licenses/by/4.0/",
            "NUTS classification © European Union – Eurostat (Commission Decision 2011/833/EU, CC BY 4.0). "
            "Only factual code assignments are taken from the package, which itself declares "
            "LicenseRef-Proprietary.",
            "© European Union – Eurostat, NUTS 2024",
        ),
        Dataset(
            "nwbib-spatial-lobid-vocabs-dba084f",
            "NWBib-Raumsystematik (nwbib-spatial.ttl, hbz/lobid-vocabs dba084f): AGS to Wikidata item, "
            "Nordrhein-Westfalen",
            "Hochschulbibliothekszentrum des Landes Nordrhein-Westfalen (hbz)",
            "nwbib-spatial.ttl",
            "dae873da5628427ba614875103e9fcc3c85d1eed056f92cfa2bdd53c3218e858",
            "http://creativecommons.org/publicdomain/zero/1.0/",
            "CC0 1.0",
            "Wikidata-IDs via NWBib-Raumsystematik (hbz), CC0",
        ),
        Dataset(
            "rki-plz-tool-via-gematik-DEMIS-pdfgen-service-2ef495c",
            "RKI PLZ-Tool: Gesundheitsämter (TransmittingSiteSearchText.xml, gematik DEMIS-pdfgen-service 2ef495c)",
            "Robert Koch-Institut (RKI)",
            "TransmittingSiteSearchText.xml",
            "fe4d9cb13aa853e7eb43680694151071e68797838218ac7ef4f74be68b57358a",
            None,
            "Content: RKI PLZ-Tool master data; copy file header: EUPL-1.2, Copyright (C) 2025 gematik GmbH. "
            "The RKI's own reuse terms for this list were not found; check them before redistributing.",
            None,
        ),
    )
}


def source_iri(dataset_id: str) -> str:
    """IRI of a dataset's source node; slugs are lower-case ASCII with '-' (dots become '-')."""
    return f"{HNID}source/{re.sub(r'[^a-z0-9]+', '-', dataset_id.lower()).strip('-')}"


def file_source_iri(file_name: str) -> str:
    """IRI of the node describing one copied CSV file, e.g. hnid:source/reference-gemeinden-csv."""
    return f"{HNID}source/reference-{file_name.lower().replace('.', '-').replace('_', '-')}"


def area_iri(key: str) -> str:
    """IRI of a unit by its key; a 9-digit key is a Gemeindeverband ARS (hnid:area/gv-{ars})."""
    return f"{HNID}area/gv-{key}" if len(key) == 9 else f"{HNID}area/{key}"


def health_office_iri(rki_code: str) -> str:
    """IRI of a health office: the digits of its RKI code (1.05.9.13. -> hnid:health-office/105913)."""
    return f"{HNID}health-office/{''.join(c for c in rki_code if c.isdigit())}"


@dataclass(frozen=True)
class Row:
    """One CSV record with where it came from, so every error can name file and line."""

    file: str
    line: int
    values: dict[str, str]

    def fail(self, message: str) -> ValueError:
        """The error for this row: file and line first, so a reader can go straight there."""
        return ValueError(f"{self.file}:{self.line}: {message}")


def read_csv(path: Path, columns: tuple[str, ...]) -> list[Row]:
    """Read a CSV with exactly ``columns``; a wrong header or column count raises with file and line."""
    rows: list[Row] = []
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except StopIteration:
            raise ValueError(f"{path}:1: empty file, expected header {','.join(columns)}") from None
        if tuple(header) != columns:
            raise ValueError(f"{path}:1: unexpected header {header!r}, expected {list(columns)!r}")
        for values in reader:
            line = reader.line_num
            if len(values) != len(columns):
                raise ValueError(f"{path}:{line}: expected {len(columns)} columns, found {len(values)}")
            rows.append(Row(str(path), line, dict(zip(columns, values, strict=True))))
    return rows


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes (the copy in data/reference is what was imported)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


class _Terms:
    """Pre-built predicate and class nodes, so the hot loop only creates subject and object terms."""

    def __init__(self) -> None:
        n = NamedNode
        self.type = n(RDF + "type")
        self.label = n(RDFS + "label")
        self.alt_label = n(SKOS + "altLabel")
        self.exact_match = n(SKOS + "exactMatch")
        self.dct_source = n(DCT + "source")
        self.dct_title = n(DCT + "title")
        self.dct_publisher = n(DCT + "publisher")
        self.dct_license = n(DCT + "license")
        self.dct_rights = n(DCT + "rights")
        self.dct_identifier = n(DCT + "identifier")
        self.attribution = n(CC + "attributionText")
        self.was_derived = n(PROV_WAS_DERIVED_FROM)
        self.address = n(SCHEMA + "address")
        self.postal_address = n(SCHEMA + "PostalAddress")
        self.street = n(SCHEMA + "streetAddress")
        self.postal_code = n(SCHEMA + "postalCode")
        self.locality = n(SCHEMA + "addressLocality")
        self.telephone = n(SCHEMA + "telephone")
        self.email = n(SCHEMA + "email")
        self.xsd_string = n(XSD + "string")
        self.xsd_integer = n(XSD + "integer")
        self.xsd_decimal = n(XSD + "decimal")
        self.xsd_date = n(XSD + "date")
        self.hn: dict[str, NamedNode] = {}

    def __getitem__(self, local: str) -> NamedNode:
        """hn: term by local name, cached."""
        node = self.hn.get(local)
        if node is None:
            node = self.hn[local] = NamedNode(HN + local)
        return node


def _check(row: Row, column: str, pattern: re.Pattern[str], what: str) -> str:
    """The value of ``column`` if it fully matches ``pattern``; otherwise a ValueError with file:line."""
    value = row.values[column]
    if not pattern.fullmatch(value):
        raise row.fail(f"bad {what} in column {column!r}: {value!r}")
    return value


def _integer(row: Row, column: str) -> int:
    """A non-negative integer column (population); anything else is an error with file:line."""
    value = row.values[column]
    if not re.fullmatch(r"[0-9]+", value):
        raise row.fail(f"column {column!r} must be a non-negative integer, found {value!r}")
    return int(value)


def _decimal(row: Row, column: str) -> str:
    """A non-negative decimal column (km²), returned as written so the literal keeps its digits."""
    value = row.values[column]
    try:
        ok = Decimal(value) >= 0 and re.fullmatch(r"[0-9]+(\.[0-9]+)?", value) is not None
    except InvalidOperation:
        ok = False
    if not ok:
        raise row.fail(f"column {column!r} must be a non-negative decimal, found {value!r}")
    return value


def _short_name(name: str) -> str:
    """The name before the first comma: 'Dortmund, Stadt' -> 'Dortmund' (a readable alternative label)."""
    return name.split(",", 1)[0].strip()


def display_label(name: str, typ: str, detail: str) -> str:
    """The German display label of a unit: says what it is where the official name does not (issue 21).

    GV100AD names the Kreis Recklinghausen "Recklinghausen" (like the town, "Recklinghausen, Stadt"), and
    a kreisfreie Stadt, its one Gemeinde and its Gemeindeverband share one name ("Köln, Stadt" three
    times; 1,674 verbandsfreie Gemeinden do so). The Gemeinde keeps its official name; the others get
    their kind: "Kreis Recklinghausen", "Köln (kreisfreie Stadt)", "Gladbeck (Gemeindeverband)",
    "Reg.-Bez. Köln" stays as it is."""
    short = _short_name(name)
    lower = name.lower()
    if typ == "Kreis":
        return name if "kreis" in lower or detail.lower() in lower else f"{detail} {name}"
    if typ == "kreisfreie Stadt":
        return f"{short} (kreisfreie Stadt)"
    if typ == "Gemeindeverband":
        return f"{short} (Gemeindeverband)" if detail == "verbandsfreie Gemeinde" else f"{name} ({detail})"
    if typ == "gemeindefreies Gebiet":
        return name if "gemeindefrei" in lower or "gemfr" in lower else f"{name} (gemeindefreies Gebiet)"
    return name


def read_units(ref_dir: Path) -> list[Row]:
    """All unit rows of the five Destatis files, checked for key formats and referential integrity."""
    rows: list[Row] = []
    for file_name in UNIT_FILES:
        rows.extend(read_csv(ref_dir / file_name, UNIT_COLUMNS))
    keys: dict[str, str] = {}  # key -> type
    for row in rows:
        level = LEVELS.get(row.values["type"])
        if level is None:
            raise row.fail(f"unknown type {row.values['type']!r}; expected one of {sorted(LEVELS)}")
        ags = _check(row, "ags", level.ags, "AGS")
        ars = _check(row, "ars", level.ars, "ARS")
        if ags and not ars.startswith(ags[: min(len(ags), 5)]):
            raise row.fail(f"ARS {ars!r} does not start with the Kreis part of AGS {ags!r}")
        key = ags or ars
        if key in keys:
            raise row.fail(f"duplicate key {key!r}")
        keys[key] = row.values["type"]
        if level.parent is None:
            if row.values["parent_ags"]:
                raise row.fail("a Land has no parent_ags (its parent is Germany)")
        else:
            _check(row, "parent_ags", level.parent, "parent key")
        _check(row, "land", re.compile(r"[0-9]{2}"), "Land key")
        if not key.startswith(row.values["land"]):
            raise row.fail(f"key {key!r} does not start with its Land key {row.values['land']!r}")
        _integer(row, "population")
        _check(row, "population_date", DATE, "date")
        _decimal(row, "area_km2")
        if row.values["nuts_code"]:
            _check(row, "nuts_code", NUTS_CODE, "NUTS code")
        if row.values["wikidata"]:
            _check(row, "wikidata", QID, "Wikidata QID")
        if row.values["gemeindeverband_ars"]:
            _check(row, "gemeindeverband_ars", re.compile(r"[0-9]{9}"), "Gemeindeverband ARS")
        for dataset_id in row.values["source"].split(";"):
            if dataset_id not in DATASETS:
                raise row.fail(f"unknown source {dataset_id!r}; known: {sorted(DATASETS)}")
    for row in rows:
        parent = row.values["parent_ags"]
        if parent and keys.get(parent) not in {"Land", "Regierungsbezirk", "Kreis", "kreisfreie Stadt"}:
            raise row.fail(f"parent {parent!r} is not a Land, Regierungsbezirk or Kreis in {UNIT_FILES}")
        gv = row.values["gemeindeverband_ars"]
        if gv and keys.get(gv) != "Gemeindeverband":
            raise row.fail(f"Gemeindeverband {gv!r} not found in gemeindeverbaende.csv")
    return rows


def _source_quads(t: _Terms, graph: NamedNode, dataset_ids: Iterable[str]) -> Iterator[Quad]:
    """Describe the source datasets (title, publisher, licence, raw file name and checksum)."""
    for dataset_id in dataset_ids:
        d = DATASETS[dataset_id]
        s = NamedNode(source_iri(d.id))
        yield Quad(s, t.type, t["SourceDocument"], graph)
        yield Quad(s, t.dct_identifier, Literal(d.id), graph)
        yield Quad(s, t.dct_title, Literal(d.title), graph)
        yield Quad(s, t.label, Literal(d.title, language="de" if d.id.startswith("destatis") else "en"), graph)
        yield Quad(s, t.dct_publisher, Literal(d.publisher), graph)
        yield Quad(s, t["fileName"], Literal(d.raw_file), graph)
        yield Quad(s, t["sha256"], Literal(d.raw_sha256), graph)
        yield Quad(s, t.dct_rights, Literal(d.rights, language="de" if "Daten" in d.rights else "en"), graph)
        if d.licence:
            yield Quad(s, t.dct_license, NamedNode(d.licence), graph)
        if d.attribution:
            yield Quad(s, t.attribution, Literal(d.attribution), graph)


def _file_quads(t: _Terms, graph: NamedNode, path: Path, dataset_ids: Iterable[str]) -> Iterator[Quad]:
    """Describe one copied CSV (project path and SHA-256), derived from its datasets."""
    s = NamedNode(file_source_iri(path.name))
    yield Quad(s, t.type, t["SourceDocument"], graph)
    yield Quad(s, t.dct_title, Literal(f"data/reference/{path.name}"), graph)
    yield Quad(s, t.label, Literal(f"data/reference/{path.name}"), graph)
    yield Quad(s, t["fileName"], Literal(f"data/reference/{path.name}"), graph)
    yield Quad(s, t["sha256"], Literal(sha256_file(path)), graph)
    for dataset_id in dataset_ids:
        yield Quad(s, t.was_derived, NamedNode(source_iri(dataset_id)), graph)


def _unit_quads(t: _Terms, graph: NamedNode, row: Row) -> Iterator[Quad]:
    """The triples of one administrative unit (checked by read_units beforehand)."""
    v = row.values
    typ = v["type"]
    key = v["ags"] or v["ars"]
    s = NamedNode(area_iri(key))
    for cls in LEVELS[typ].classes:
        yield Quad(s, t.type, t[cls], graph)
    if v["ags"]:
        yield Quad(s, t["ags"], Literal(v["ags"]), graph)
    yield Quad(s, t["ars"], Literal(v["ars"]), graph)
    name = v["name"]
    yield Quad(s, t["officialName"], Literal(name), graph)
    yield Quad(s, t.label, Literal(name, language="de"), graph)
    yield Quad(s, t["displayLabel"], Literal(display_label(name, typ, v["type_detail"]), language="de"), graph)
    short = _short_name(name)
    if short != name:
        yield Quad(s, t.alt_label, Literal(short, language="de"), graph)
    detail = v["type_detail"]
    if typ == "Kreis" and "kreis" not in name.lower() and detail in {"Kreis", "Landkreis"}:
        yield Quad(s, t.alt_label, Literal(f"{detail} {name}", language="de"), graph)
    yield Quad(s, t["typeDetail"], Literal(detail, language="de"), graph)
    yield Quad(s, t["typeCode"], Literal(v["type_code"]), graph)
    parent = v["parent_ags"]
    yield Quad(s, t["partOf"], NamedNode(area_iri(parent) if parent else GERMANY), graph)
    if v["gemeindeverband_ars"]:
        yield Quad(s, t["memberOfAssociation"], NamedNode(area_iri(v["gemeindeverband_ars"])), graph)
    if typ != "Statistische Region":  # statistical regions carry 0 placeholders, not figures
        yield Quad(s, t["population"], Literal(v["population"], datatype=t.xsd_integer), graph)
        yield Quad(s, t["populationDate"], Literal(v["population_date"], datatype=t.xsd_date), graph)
        yield Quad(s, t["area"], Literal(v["area_km2"], datatype=t.xsd_decimal), graph)
        yield Quad(s, t["areaDate"], Literal(v["population_date"], datatype=t.xsd_date), graph)
    if v["nuts_code"]:
        yield Quad(s, t["nutsCode"], Literal(v["nuts_code"]), graph)
        yield Quad(s, t.exact_match, NamedNode(NUTS + v["nuts_code"]), graph)
    if v["wikidata"]:
        yield Quad(s, t.exact_match, NamedNode(WD + v["wikidata"]), graph)
    for dataset_id in v["source"].split(";"):
        yield Quad(s, t["statedIn"], NamedNode(source_iri(dataset_id)), graph)
    yield Quad(s, t.dct_source, NamedNode(file_source_iri(Path(row.file).name)), graph)


def _germany_quads(t: _Terms, graph: NamedNode, laender: list[Row]) -> Iterator[Quad]:
    """Germany as the root of every containment chain; population and area as the sum of the Länder."""
    s = NamedNode(GERMANY)
    yield Quad(s, t.type, t["Country"], graph)
    yield Quad(s, t.label, Literal("Deutschland", language="de"), graph)
    yield Quad(s, t.label, Literal("Germany", language="en"), graph)
    yield Quad(s, t["displayLabel"], Literal("Deutschland", language="de"), graph)
    yield Quad(s, t["displayLabel"], Literal("Germany", language="en"), graph)
    dates = {r.values["population_date"] for r in laender}
    if len(dates) == 1:
        date = dates.pop()
        population = sum(int(r.values["population"]) for r in laender)
        area = sum((Decimal(r.values["area_km2"]) for r in laender), Decimal(0))
        yield Quad(s, t["population"], Literal(str(population), datatype=t.xsd_integer), graph)
        yield Quad(s, t["populationDate"], Literal(date, datatype=t.xsd_date), graph)
        yield Quad(s, t["area"], Literal(str(area), datatype=t.xsd_decimal), graph)
        yield Quad(s, t["areaDate"], Literal(date, datatype=t.xsd_date), graph)
    yield Quad(s, t["statedIn"], NamedNode(source_iri("destatis-gv100ad-20251130")), graph)
    yield Quad(s, t.dct_source, NamedNode(file_source_iri("laender.csv")), graph)


def read_health_offices(ref_dir: Path, district_keys: set[str]) -> list[Row]:
    """Health-office rows, checked: RKI code format, unique codes, responsible Kreis exists."""
    rows = read_csv(ref_dir / HEALTH_OFFICE_FILE, HEALTH_OFFICE_COLUMNS)
    seen: set[str] = set()
    for row in rows:
        code = _check(row, "rki_code", RKI_CODE, "RKI code")
        iri = health_office_iri(code)
        if iri in seen:
            raise row.fail(f"duplicate RKI code {code!r}")
        seen.add(iri)
        if not row.values["name"].strip():
            raise row.fail("empty name")
        kreis = row.values["kreis_ags_from_code"]
        if kreis and kreis not in district_keys:
            raise row.fail(f"kreis_ags_from_code {kreis!r} is not a Kreis in kreise.csv")
        if row.values["source"] not in DATASETS:
            raise row.fail(f"unknown source {row.values['source']!r}")
    return rows


def _health_office_quads(t: _Terms, graph: NamedNode, row: Row) -> Iterator[Quad]:
    """One health office: type, name, RKI code, postal address, contact, responsibility."""
    v = row.values
    iri = health_office_iri(v["rki_code"])
    s = NamedNode(iri)
    yield Quad(s, t.type, t["HealthOffice"], graph)
    label = f"{v['name']}, {v['department']}" if v["department"] else v["name"]
    yield Quad(s, t.label, Literal(label, language="de"), graph)
    # the list names the body that runs the office ("Stadt Flensburg"): without the kind, its label
    # reads like the town itself
    shown = label if "gesundheitsamt" in label.lower() else f"Gesundheitsamt {label}"
    yield Quad(s, t["displayLabel"], Literal(shown, language="de"), graph)
    yield Quad(s, t["rkiCode"], Literal(v["rki_code"]), graph)
    if v["street"] or v["postalcode"] or v["place"]:  # one entry (HPHC Hamburg) has no address at all
        addr = NamedNode(iri + "/address")
        yield Quad(s, t.address, addr, graph)
        yield Quad(addr, t.type, t.postal_address, graph)
        if v["street"]:
            yield Quad(addr, t.street, Literal(v["street"]), graph)
        if v["postalcode"]:
            yield Quad(addr, t.postal_code, Literal(v["postalcode"]), graph)
        if v["place"]:
            yield Quad(addr, t.locality, Literal(v["place"]), graph)
    if v["phone"]:
        yield Quad(s, t.telephone, Literal(v["phone"]), graph)
    if v["email"]:
        yield Quad(s, t.email, Literal(v["email"]), graph)
    if v["kreis_ags_from_code"]:
        yield Quad(s, t["responsibleFor"], NamedNode(area_iri(v["kreis_ags_from_code"])), graph)
    yield Quad(s, t["statedIn"], NamedNode(source_iri(v["source"])), graph)
    yield Quad(s, t.dct_source, NamedNode(file_source_iri(HEALTH_OFFICE_FILE)), graph)


def statute_quads(ref_dir: Path) -> Iterator[Quad]:
    """The hand-curated statute statements (data/reference/statutes.ttl) in the statutes graph."""
    path = ref_dir / STATUTES_FILE
    if not path.exists():
        return
    graph = NamedNode(GRAPH_REFERENCE_STATUTES)
    try:
        for q in parse(path=str(path), format=RdfFormat.TURTLE, rename_blank_nodes=True):
            if not isinstance(q.graph_name, DefaultGraph):
                raise ValueError(f"{path}: unexpected named graph {q.graph_name}")
            yield Quad(q.subject, q.predicate, q.object, graph)
    except SyntaxError as e:
        raise ValueError(f"{path}: {e}") from e


def reference_quads(ref_dir: Path) -> Iterator[Quad]:
    """All CSV-derived reference quads: units (Destatis graph) and health offices.

    Reads and checks every file first (ValueError naming file and line on bad input), then yields.
    ``statutes.ttl`` is plain Turtle and is loaded by ``kg.graph.sources`` like every other data file;
    ``statute_quads`` parses it on its own for tools that load only the reference data.
    """
    ref_dir = Path(ref_dir)
    t = _Terms()
    units = read_units(ref_dir)
    districts = {r.values["ags"] for r in units if r.values["type"] in {"Kreis", "kreisfreie Stadt"}}
    offices = read_health_offices(ref_dir, districts)

    destatis = NamedNode(GRAPH_REFERENCE_DESTATIS)
    used: dict[str, set[str]] = {}
    for row in units:
        used.setdefault(Path(row.file).name, set()).update(row.values["source"].split(";"))
    yield from _source_quads(t, destatis, sorted(set().union(*used.values())))
    for file_name in UNIT_FILES:
        yield from _file_quads(t, destatis, ref_dir / file_name, sorted(used.get(file_name, ())))
    yield from _germany_quads(t, destatis, [r for r in units if r.values["type"] == "Land"])
    for row in units:
        yield from _unit_quads(t, destatis, row)

    offices_graph = NamedNode(GRAPH_REFERENCE_HEALTH_OFFICES)
    office_sources = sorted({r.values["source"] for r in offices})
    yield from _source_quads(t, offices_graph, office_sources)
    yield from _file_quads(t, offices_graph, ref_dir / HEALTH_OFFICE_FILE, office_sources)
    for row in offices:
        yield from _health_office_quads(t, offices_graph, row)


__all__ = ["area_iri", "health_office_iri", "read_health_offices", "read_units", "reference_quads", "statute_quads"]
