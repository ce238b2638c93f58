"""The CSVW metadata of a CSV template describes the same mapping as `kg import`: the PyPI `csvw`
processor reading a filled-in CSV gives the same triples as the import, for the rows CSVW can
express (slug identifiers, concept notations, area keys, IRIs, dates as 31.12.2024, one reference
per cell: the `csvw` package expands a URI template over a list of cell values as one joined value;
see kg/graph/tabular/csvw.py). The `csvw` package implements CSV→JSON (W3C csv2json); its JSON objects
are read as triples here with the datatypes and languages the metadata declares."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.graph.tabular.csvw import metadata_path, write_metadata
from kg.graph.tabular.importer import SourceMeta, plan_import
from kg.graph.tabular.templates import kind as make_kind
from kg.rdf import HN, HNID, PREFIXES, RDF_TYPE, source_document

csvw = pytest.importorskip("csvw")

SOURCE = source_document("testdaten-csvw")
# fixture rows, made up for this test
ROWS = {
    "id": ["familiencafe-csvw-a", "lotsen-csvw-b"],
    "label": ["Familiencafé (Testfixture A)", "Lotsendienst (Testfixture B)"],
    "label@en": ["Family café (test fixture A)", ""],
    "offerType": ["parent-programme", "counselling"],
    "lifePhase": ["infancy", "primary-school"],
    "targetGroup": ["families-under-strain", ""],
    "provider": [HNID + "org/lvr", HNID + "area/05562"],
    "areaServed": ["05562014", "05562004"],
    "minAge": ["0", "6"],
    "maxAge": ["6", "10,5"],
    "startDate": ["01.09.2024", ""],
    "description": ["Offener Treff für Eltern mit Kinderbetreuung", ""],
}


def _fill(path: Path, store: ox.Store) -> Path:
    k = make_kind(store, "offers")
    headers = [c.header() for c in k.columns]
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter=";")
        w.writerow(headers)
        for i in range(2):
            w.writerow([ROWS.get(c.key, ["", ""])[i] for c in k.columns])
    write_metadata(path, k, source=SOURCE)
    return path


def _expand(name: str) -> str:
    if name.startswith(("http://", "https://")):
        return name
    prefix, _, local = name.partition(":")
    known = {**PREFIXES, "dc": "http://purl.org/dc/terms/", "dcat": "http://www.w3.org/ns/dcat#"}
    return known[prefix] + local if prefix in known else name


def _csvw_triples(meta: Path, store: ox.Store) -> set[tuple[str, str, str]]:
    """Subject, predicate, value (IRI or lexical form, numbers normalised) from csvw's JSON."""
    processor = csvw.CSVW(str(meta))
    out: set[tuple[str, str, str]] = set()
    for obj in processor.to_json(minimal=True):
        s = obj["@id"]
        for p, v in obj.items():
            if p == "@id":
                continue
            for value in v if isinstance(v, list) else [v]:
                prop = RDF_TYPE if p == "@type" else _expand(p)
                val = _expand(value) if isinstance(value, str) and p == "@type" else value
                out.add((s, prop, _norm(val)))
    return out


def _norm(v: object) -> str:
    if isinstance(v, float | int):
        d = Decimal(str(v)).normalize()
        return str(int(d)) if d == d.to_integral_value() else str(d)
    return str(v)


def test_csvw_processor_gives_the_triples_of_kg_import(store: ox.Store, tmp_path: Path) -> None:
    f = _fill(tmp_path / "angebote.csv", store)
    meta = json.loads(metadata_path(f).read_text())
    assert meta["tableSchema"]["aboutUrl"] == HNID + "offer/{id}"
    plan = plan_import(store, f, "offers", SourceMeta("Testdaten CSVW", "Testfixture"), validate=False)
    assert plan.ok, plan.report()
    assert plan.source_iri == SOURCE
    ours = {(q.subject.value, q.predicate.value, _norm(q.object.value)) for q in plan.quads
            if q.subject.value != SOURCE and q.predicate.value != HN + "sourceRow"}
    theirs = _csvw_triples(metadata_path(f), store)
    assert theirs == ours
    assert len(ours) == 22  # both rows: every filled cell, type and source (13 + 9)
    # the datatypes and languages kg import gives are the ones the metadata declares
    declared = {c["name"]: c for c in meta["tableSchema"]["columns"]}
    for q in plan.quads:
        if q.predicate.value == "http://www.w3.org/2000/01/rdf-schema#label":
            assert q.object.language in {declared["label"]["lang"], declared["label_en"]["lang"]}
        if q.predicate.value == HN + "startDate":
            assert q.object.datatype.value.endswith("#date") and declared["startDate"]["datatype"]["base"] == "date"
