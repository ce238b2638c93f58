"""Open Referral HSDS 3.x export: the graph's offers, organisations, programmes, funding, areas
served and concept schemes as Human Services Data Specification objects (issue 20).

Why: service directories (211 systems, Open Referral tools, municipal "Familienwegweiser") exchange
HSDS, not RDF. `export_hsds(store, out_dir)` reads the store with SPARQL and writes both HSDS
serialisations into `out_dir`:

- `json/organizations.json`, `json/services.json`, `json/taxonomies.json`,
  `json/taxonomy_terms.json`: lists of the JSON objects, dereferenced as HSDS prescribes
  (an organisation carries its programmes, funding, identifiers, phones and locations; a service its
  service areas, attributes and funding);
- `datapackage.json` and one CSV per HSDS table (`organizations.csv`, `services.csv`,
  `service_areas.csv`, …): the Tabular Data Package, its table schemas generated from the HSDS
  tabular schema (kg/graph/hsds_schema/compiled/tabular.json) with primary and foreign keys. Tables
  without rows are left out, as HSDS allows.

The mapping (docs/hsds.md has it in full, with what either side lacks):
- hn:Offer → service (status "active": the model has no status; provider → organization_id,
  hn:withinProgramme → program_id, min/max age, target groups → eligibility_description);
  hn:areaServed → service_area with the area's IRI as `uri` and its official keys (AGS, ARS) in the
  description and in the extension fields `ags` / `ars`;
- organisations (hn:Organisation that are not areas, and areas that act as providers, funders,
  recipients or responsible bodies) → organization with `uri` = the hilfenetz IRI, identifiers
  (RKI code, AGS, ARS, Wikidata), phones, e-mail, and health offices' postal address as a location;
- hn:Programme → program of its responsible body (else of its funder); hn:Grant and programme
  funders → funding with a German `source` text;
- SKOS concept schemes → taxonomy, concepts → taxonomy_term (notation as code, skos:broader as
  parent, German labels), linked to services and organisations by attribute objects.

Identifiers: HSDS wants UUIDs; every object's id is the UUID v5 of its hilfenetz IRI (or of the IRI
plus the object's role), so the same graph always exports the same ids and a consumer can map back.
Texts are German (the data's language); English labels go to `alternate_name` where the model has
one.
"""

from __future__ import annotations

import csv
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from kg.rdf import DCT, FOAF, HN, HNID, RDF_TYPE, RDFS_LABEL, SCHEMA, SKOS, SKOS_DEFINITION, SKOS_PREFLABEL

if TYPE_CHECKING:  # pragma: no cover - typing only
    from kg.store.protocol import QueryStore

#: HSDS version the objects follow (the schemas in kg/graph/hsds_schema).
HSDS_VERSION = "3.1"
SCHEMA_DIR = Path(__file__).resolve().parent / "hsds_schema"
AREA_BASE = HNID + "area/"
_CONCEPT_LINKS = {  # property → HSDS attribute link_type
    HN + "offerType": "offerType", HN + "targetGroup": "targetGroup", HN + "lifePhase": "lifePhase",
    HN + "topic": "topic", HN + "sector": "sector", HN + "orgType": "orgType",
}
#: The official keys of an area and how HSDS texts name them.
_KEY_LABELS = (("ags", "Amtlicher Gemeindeschlüssel (AGS)"), ("ars", "Amtlicher Regionalschlüssel (ARS)"))
#: Properties by which an area acts as an organisation (a Kreis providing or funding something).
_ACTOR_LINKS = (HN + "provider", HN + "funder", HN + "recipient", HN + "responsibleBody")


def hsds_id(iri: str, role: str = "") -> str:
    """The HSDS id of the object made from `iri` (and `role`, for objects derived from one
    resource, e.g. its address): the UUID v5 of the IRI in the URL namespace."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, iri + (f"#{role}" if role else "")))


@dataclass
class HsdsExport:
    """What export_hsds wrote: the objects per HSDS table (tabular rows) and the JSON lists."""

    out_dir: Path | None = None
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    json_objects: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Rows per table, for the CLI's summary."""
        return {name: len(rows) for name, rows in self.tables.items() if rows}


# --------------------------------------------------------------------------- reading the store

_Values = dict[str, list[ox.NamedNode | ox.Literal | ox.BlankNode]]


def _select(store: QueryStore | ox.Store, query: str) -> list[ox.QuerySolution]:
    """The solutions of a SELECT over the union of all graphs."""
    result = store.query(query, use_default_graph_as_union=True)
    if isinstance(result, (ox.QueryBoolean, ox.QueryTriples)):
        raise TypeError("expected a SELECT query")
    return list(result)


def _value(solution: ox.QuerySolution, var: str) -> str | None:
    term = solution[var]
    return term.value if term is not None else None


def _describe(store: QueryStore | ox.Store, where: str, props: Iterable[str]) -> dict[str, _Values]:
    """{subject IRI: {property: [objects]}} for the subjects ?s that `where` binds, restricted to
    `props` — one query per kind of object instead of one per object."""
    values = " ".join(f"<{p}>" for p in props)
    query = (f"SELECT ?s ?p ?o WHERE {{ {{ SELECT DISTINCT ?s WHERE {{ {where} }} }} "
             f"VALUES ?p {{ {values} }} ?s ?p ?o }}")
    out: dict[str, _Values] = {}
    for row in _select(store, query):
        s, p, o = row["s"], row["p"], row["o"]
        if not isinstance(s, ox.NamedNode) or p is None or not isinstance(o, (ox.NamedNode, ox.Literal, ox.BlankNode)):
            continue
        entry = out.setdefault(s.value, defaultdict(list))
        if o not in entry[p.value]:
            entry[p.value].append(o)
    for s in _subjects(store, where):
        out.setdefault(s, defaultdict(list))
    return out


def _subjects(store: QueryStore | ox.Store, where: str) -> list[str]:
    rows = _select(store, f"SELECT DISTINCT ?s WHERE {{ {where} }}")
    return sorted(str(_value(r, "s")) for r in rows if isinstance(r["s"], ox.NamedNode))


def _text(values: _Values, *props: str, lang: str | None = "de") -> str | None:
    """The first literal of the first property that has one, in `lang` if there is such, else any."""
    for p in props:
        lits = [o for o in values.get(p, []) if isinstance(o, ox.Literal)]
        if not lits:
            continue
        if lang is not None:
            for lit in lits:
                if lit.language == lang:
                    return lit.value
            if lang == "en":
                continue  # an English field is only filled from an English literal
        plain = [lit for lit in lits if not lit.language]
        return (plain or sorted(lits, key=lambda x: x.language or ""))[0].value
    return None


def _iris(values: _Values, prop: str) -> list[str]:
    return sorted(o.value for o in values.get(prop, []) if isinstance(o, ox.NamedNode))


def _number(values: _Values, prop: str) -> float | int | None:
    for o in values.get(prop, []):
        if isinstance(o, ox.Literal):
            try:
                number = float(o.value)
            except ValueError:
                continue
            return int(number) if number.is_integer() else number
    return None


def _label(values: _Values) -> str | None:
    return _text(values, RDFS_LABEL, SKOS_PREFLABEL, SCHEMA + "name", DCT + "title")


def _english(values: _Values) -> str | None:
    return _text(values, RDFS_LABEL, SKOS_PREFLABEL, lang="en")


def _compact(obj: dict[str, Any]) -> dict[str, Any]:
    """HSDS: omit a property without a value rather than write null or an empty list."""
    return {k: v for k, v in obj.items() if v is not None and v != [] and v != ""}


# --------------------------------------------------------------------------- the export


_LABEL_PROPS = (RDFS_LABEL, SKOS_PREFLABEL, SCHEMA + "name", DCT + "title", DCT + "description",
                HN + "abbreviation", RDF_TYPE)


def export_hsds(store: QueryStore | ox.Store, out_dir: Path) -> HsdsExport:
    """Write the HSDS JSON objects and the tabular data package of the graph in `store` to
    `out_dir` (created; files of an earlier export are replaced). Returns what was written."""
    result = build_hsds(store)
    result.out_dir = Path(out_dir)
    _write(result)
    return result


def build_hsds(store: QueryStore | ox.Store) -> HsdsExport:
    """The HSDS objects of the graph in `store`, written nowhere: what `export_hsds` writes and
    what the HSDS API (kg.query.hsds) serves, so both are one mapping."""
    result = HsdsExport()
    t: dict[str, list[dict[str, Any]]] = defaultdict(list)

    class_labels = _class_labels(store)
    taxonomy_terms = _export_taxonomies(store, t)
    areas = _areas(store)
    postal = _postal_addresses(store)

    org_props = [*_LABEL_PROPS, SCHEMA + "url", FOAF + "homepage", SCHEMA + "email", SCHEMA + "telephone",
                 SCHEMA + "address", HN + "responsibleFor", HN + "rkiCode", HN + "ags", HN + "ars", SKOS + "exactMatch",
                 HN + "subOrganisationOf", HN + "unitOf", *[p for p in _CONCEPT_LINKS if p in
                                                              (HN + "sector", HN + "orgType", HN + "topic")]]
    links = " UNION ".join(f"{{ ?x <{p}> ?s }}" for p in _ACTOR_LINKS)
    orgs = _describe(store, f"{{ ?s a <{HN}Organisation> FILTER NOT EXISTS {{ ?s a <{HN}AdministrativeArea> }} }} "
                            f"UNION {{ ?s a <{HN}AdministrativeArea> {{ {links} }} }}", org_props)
    org_ids = {iri: hsds_id(iri) for iri in orgs}
    programmes = _describe(store, f"?s a <{HN}Programme>",
                           [*_LABEL_PROPS, HN + "responsibleBody", HN + "funder"])
    offers = _describe(store, f"?s a <{HN}Offer>",
                       [*_LABEL_PROPS, HN + "provider", HN + "areaServed", HN + "withinProgramme", HN + "minAge",
                        HN + "maxAge", HN + "startDate", HN + "endDate", SCHEMA + "url", SCHEMA + "email",
                        *_CONCEPT_LINKS])
    grants = _describe(store, f"?s a <{HN}Grant>",
                       [*_LABEL_PROPS, HN + "funder", HN + "recipient", HN + "fundedItem", HN + "underProgramme",
                        HN + "amount", HN + "startDate", HN + "endDate"])
    names = {iri: _label(v) or iri for group in (orgs, programmes, offers) for iri, v in group.items()}
    names.update({iri: a["name"] for iri, a in areas.items() if iri not in names})

    # organisations ------------------------------------------------------------------------
    org_objects: dict[str, dict[str, Any]] = {}
    for iri, v in orgs.items():
        oid = org_ids[iri]
        types = sorted(class_labels[c] for c in _iris(v, RDF_TYPE) if c in class_labels)
        parent = next((p for p in _iris(v, HN + "subOrganisationOf") + _iris(v, HN + "unitOf") if p in org_ids), None)
        homepage = _iris(v, FOAF + "homepage")
        row: dict[str, Any] = {
            "id": oid, "name": names[iri], "alternate_name": _text(v, HN + "abbreviation", lang=None) or _english(v),
            "description": _text(v, DCT + "description") or _most_specific(types, iri, store, class_labels),
            "email": _text(v, SCHEMA + "email", lang=None),
            "website": _text(v, SCHEMA + "url", lang=None) or (homepage[0] if homepage else None),
            "uri": iri, "parent_organization_id": org_ids.get(parent) if parent else None,
        }
        t["organization"].append(row)
        obj = _compact(dict(row))
        identifiers = _org_identifiers(iri, oid, v, areas)
        t["organization_identifier"].extend(identifiers)
        phones = []
        for n, number in enumerate(_literals(v, SCHEMA + "telephone")):
            phones.append({"id": hsds_id(iri, f"phone/{n}"), "organization_id": oid, "number": number})
        t["phone"].extend(phones)
        locations = _org_locations(iri, oid, v, postal, areas, names[iri])
        for loc, addresses in locations:
            t["location"].append(loc)
            t["address"].extend(addresses)
        attributes = _attributes(iri, oid, "organization", v, taxonomy_terms)
        t["attribute"].extend(attributes)
        obj.update(_compact({
            "organization_identifiers": [_compact(i) for i in identifiers],
            "phones": [_compact(p) for p in phones],
            "locations": [_compact({**loc, "addresses": [_compact(a) for a in adds]}) for loc, adds in locations],
            "attributes": [_attribute_json(a, taxonomy_terms) for a in attributes],
        }))
        org_objects[iri] = obj

    # programmes --------------------------------------------------------------------------
    program_ids: dict[str, str] = {}
    for iri, v in programmes.items():
        owner = next((o for o in _iris(v, HN + "responsibleBody") + _iris(v, HN + "funder") if o in org_ids), None)
        pid = hsds_id(iri)
        program_ids[iri] = pid
        types = sorted(class_labels[c] for c in _iris(v, RDF_TYPE) if c in class_labels)
        row = {"id": pid, "organization_id": org_ids.get(owner) if owner else None, "name": names[iri],
               "alternate_name": _text(v, HN + "abbreviation", lang=None) or _english(v),
               "description": _text(v, DCT + "description") or _most_specific(types, iri, store, class_labels)}
        t["program"].append(row)
        if owner:
            org_objects[owner].setdefault("programs", []).append(_compact(dict(row)))

    # funding -----------------------------------------------------------------------------
    service_funding: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for iri, v in grants.items():
        funders = ", ".join(names.get(f, f) for f in _iris(v, HN + "funder"))
        programme = ", ".join(names.get(p, p) for p in _iris(v, HN + "underProgramme"))
        amount = _grant_amount(store, v)
        period = "–".join(x for x in (_text(v, HN + "startDate", lang=None), _text(v, HN + "endDate", lang=None)) if x)
        parts = [f"Förderung durch {funders}" if funders else "Förderung",
                 f"im Programm {programme}" if programme else "", amount, f"({period})" if period else ""]
        source = " ".join(p for p in parts if p)
        for recipient in _iris(v, HN + "recipient"):
            if recipient in org_ids:
                row = {"id": hsds_id(iri, f"funding/{recipient}"), "organization_id": org_ids[recipient],
                       "service_id": None, "source": source}
                t["funding"].append(row)
                org_objects[recipient].setdefault("funding", []).append(_compact(dict(row)))
        for item in _iris(v, HN + "fundedItem"):
            if item in offers:
                service_funding[item].append({"id": hsds_id(iri, f"funding/{item}"), "organization_id": None,
                                              "service_id": hsds_id(item), "source": source})

    # services ----------------------------------------------------------------------------
    service_objects = []
    for iri, v in offers.items():
        sid = hsds_id(iri)
        provider = next((p for p in _iris(v, HN + "provider") if p in org_ids), None)
        within = next((p for p in _iris(v, HN + "withinProgramme") if p in program_ids), None)
        groups = [taxonomy_terms[c]["name"] for c in _iris(v, HN + "targetGroup") if c in taxonomy_terms]
        row = {
            "id": sid, "organization_id": org_ids.get(provider) if provider else None,
            "program_id": program_ids.get(within) if within else None, "name": names[iri],
            "alternate_name": _english(v), "description": _text(v, DCT + "description"),
            "url": _text(v, SCHEMA + "url", lang=None), "email": _text(v, SCHEMA + "email", lang=None),
            "status": "active",
            "eligibility_description": ("Zielgruppen: " + "; ".join(groups)) if groups else None,
            "minimum_age": _number(v, HN + "minAge"), "maximum_age": _number(v, HN + "maxAge"),
        }
        t["service"].append(row)
        obj = _compact(dict(row))
        service_areas = []
        for area in _iris(v, HN + "areaServed"):
            info = areas.get(area)
            if info is None:
                continue
            keys = "; ".join(f"{label} {info[k]}" for k, label in _KEY_LABELS if info.get(k))
            service_areas.append({"id": hsds_id(iri, f"service_area/{area}"), "service_id": sid, "name": info["name"],
                                  "description": keys or None, "uri": area, "ags": info.get("ags"),
                                  "ars": info.get("ars")})
        t["service_area"].extend(service_areas)
        funding = list(service_funding.get(iri, []))
        for p in _iris(v, HN + "withinProgramme"):
            pv = programmes.get(p)
            if pv is None:
                continue
            for funder in _iris(pv, HN + "funder"):
                funding.append({"id": hsds_id(iri, f"funding/{p}/{funder}"), "organization_id": None, "service_id": sid,
                                "source": f"Programm {names[p]}, gefördert von {names.get(funder, funder)}"})
        t["funding"].extend(funding)
        attributes = _attributes(iri, sid, "service", v, taxonomy_terms)
        t["attribute"].extend(attributes)
        obj.update(_compact({
            "service_areas": [_compact(a) for a in service_areas],
            "funding": [_compact(f) for f in funding],
            "attributes": [_attribute_json(a, taxonomy_terms) for a in attributes],
        }))
        service_objects.append(obj)

    result.tables = {name: rows for name, rows in t.items()}
    result.json_objects = {
        "organizations": [org_objects[i] for i in sorted(org_objects)],
        "services": sorted(service_objects, key=lambda o: o["id"]),
        "taxonomies": [_compact(dict(r)) for r in t["taxonomy"]],
        "taxonomy_terms": [_compact(dict(r)) for r in t["taxonomy_term"]],
    }
    return result


def _literals(values: _Values, prop: str) -> list[str]:
    return sorted(o.value for o in values.get(prop, []) if isinstance(o, ox.Literal))


def _class_labels(store: QueryStore | ox.Store) -> dict[str, str]:
    """German label of every class of the ontology (for descriptions of unlabelled resources)."""
    rows = _select(store, f"SELECT ?c ?l WHERE {{ ?c a <http://www.w3.org/2002/07/owl#Class> ; <{RDFS_LABEL}> ?l "
                          'FILTER(langMatches(lang(?l), "de")) }')
    return {str(_value(r, "c")): str(_value(r, "l")) for r in rows}


def _most_specific(labels: list[str], iri: str, store: QueryStore | ox.Store, class_labels: Mapping[str, str]) -> str:
    """A description where the data has none: the resource's class as the model names it
    (`Gesundheitsamt`); HSDS requires a description and the class is what the graph knows."""
    del iri, store, class_labels
    specific = [label for label in labels if label not in ("Organisation", "Akteur", "Programm")]
    return ", ".join(specific or labels) or "Organisation"


def _areas(store: QueryStore | ox.Store) -> dict[str, dict[str, str]]:
    """The administrative areas the export names — those served, responsible for or acting as an
    organisation, and the Länder (for postal addresses) —: German name, AGS, ARS. (Not all 11,000:
    reading every area took 2 of the export's 10 s.)"""
    used = " UNION ".join(f"{{ ?x <{p}> ?a }}" for p in (HN + "areaServed", HN + "responsibleFor", *_ACTOR_LINKS))
    rows = _select(
        store,
        f"SELECT ?a ?name ?ags ?ars WHERE {{ "
        f"{{ SELECT DISTINCT ?a WHERE {{ {{ {used} }} UNION {{ ?a a <{HN}Land> }} }} }} "
        f"?a a <{HN}AdministrativeArea> . "
        f"OPTIONAL {{ ?a <{RDFS_LABEL}> ?name FILTER(langMatches(lang(?name), 'de') || lang(?name) = '') }} "
        f"OPTIONAL {{ ?a <{HN}ags> ?ags }} OPTIONAL {{ ?a <{HN}ars> ?ars }} }}")
    out: dict[str, dict[str, str]] = {}
    for r in rows:
        iri = str(_value(r, "a"))
        entry = out.setdefault(iri, {"name": iri})
        for key in ("name", "ags", "ars"):
            text = _value(r, key)
            if text is not None and (key != "name" or entry["name"] == iri):
                entry[key] = text
    return out


def _land_of(area: str, areas: Mapping[str, Mapping[str, str]]) -> str | None:
    """The Land of an area by the first two digits of its key (05… → Nordrhein-Westfalen)."""
    if not area.startswith(AREA_BASE):
        return None
    key = area[len(AREA_BASE):]
    land = areas.get(AREA_BASE + key[:2]) if key[:2].isdigit() else None
    return land["name"] if land else None


def _org_identifiers(iri: str, oid: str, v: _Values, areas: Mapping[str, Mapping[str, str]]) -> list[dict[str, Any]]:
    out = []
    for n, code in enumerate(_literals(v, HN + "rkiCode")):
        out.append({"id": hsds_id(iri, f"identifier/rki/{n}"), "organization_id": oid, "identifier_scheme": None,
                    "identifier_type": "RKI-Code des Gesundheitsamts (RKI health office code)", "identifier": code})
    info = areas.get(iri, {})
    for key, label in _KEY_LABELS:
        if info.get(key):
            out.append({"id": hsds_id(iri, f"identifier/{key}"), "organization_id": oid, "identifier_scheme": None,
                        "identifier_type": label, "identifier": info[key]})
    for match in _iris(v, SKOS + "exactMatch"):
        if match.startswith("http://www.wikidata.org/entity/"):
            out.append({"id": hsds_id(iri, f"identifier/{match}"), "organization_id": oid, "identifier_scheme": None,
                        "identifier_type": "Wikidata", "identifier": match.rsplit("/", 1)[1]})
    return out


def _postal_addresses(store: QueryStore | ox.Store) -> dict[str, dict[str, str]]:
    """Every schema:PostalAddress with its street, postal code and city (one query)."""
    rows = _select(
        store,
        f"SELECT ?a ?street ?code ?city WHERE {{ ?x <{SCHEMA}address> ?a . "
        f"OPTIONAL {{ ?a <{SCHEMA}streetAddress> ?street }} OPTIONAL {{ ?a <{SCHEMA}postalCode> ?code }} "
        f"OPTIONAL {{ ?a <{SCHEMA}addressLocality> ?city }} }}")
    out: dict[str, dict[str, str]] = {}
    for r in rows:
        entry = out.setdefault(str(_value(r, "a")), {})
        for key in ("street", "code", "city"):
            text = _value(r, key)
            if text is not None:
                entry.setdefault(key, text)
    return out


_Location = tuple[dict[str, Any], list[dict[str, Any]]]


def _org_locations(iri: str, oid: str, v: _Values, addresses: Mapping[str, Mapping[str, str]],
                   areas: Mapping[str, Mapping[str, str]], name: str) -> list[_Location]:
    """Postal addresses (schema:address, the health offices' from the RKI list) as physical
    locations. HSDS requires the state in an address: the Land of the area the office is
    responsible for; an address without it, a postal code or a city is a location without address."""
    out = []
    for addr in _iris(v, SCHEMA + "address"):
        a = addresses.get(addr, {})
        land = next((x for x in (_land_of(r, areas) for r in _iris(v, HN + "responsibleFor")) if x), None)
        loc_id = hsds_id(addr)
        location = {"id": loc_id, "location_type": "physical", "organization_id": oid, "name": name}
        rows = []
        if a.get("street") and a.get("code") and a.get("city") and land:
            rows.append({"id": hsds_id(addr, "address"), "location_id": loc_id, "address_1": a["street"],
                         "city": a["city"], "state_province": land, "postal_code": a["code"],
                         "country": "DE", "address_type": "physical"})
        out.append((location, rows))
    return out


def _grant_amount(store: QueryStore | ox.Store, v: _Values) -> str:
    for amount in _iris(v, HN + "amount"):
        rows = _select(store, f"SELECT ?value ?cur WHERE {{ <{amount}> <{HN}amountValue> ?value "
                              f"OPTIONAL {{ <{amount}> <{HN}currency> ?cur }} }} LIMIT 1")
        if rows:
            value, cur = str(_value(rows[0], "value")), _value(rows[0], "cur")
            try:  # German form: 12.000,50
                text = f"{Decimal(value):,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
            except InvalidOperation:
                text = value
            return f"über {text} {cur or ''}".rstrip()
    return ""


def _attributes(iri: str, link_id: str, entity: str, v: _Values,
                terms: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for prop, link_type in _CONCEPT_LINKS.items():
        for concept in _iris(v, prop):
            term = terms.get(concept)
            if term is None:
                continue
            out.append({"id": hsds_id(iri, f"attribute/{link_type}/{concept}"), "link_id": link_id,
                        "taxonomy_term_id": term["id"], "link_type": link_type, "link_entity": entity,
                        "value": None})
    return out


def _attribute_json(attribute: Mapping[str, Any], terms: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    by_id = {t["id"]: t for t in terms.values()}
    obj = _compact(dict(attribute))
    term = by_id.get(attribute["taxonomy_term_id"])
    if term is not None:
        obj["taxonomy_term"] = _compact(dict(term))
    return obj


def _export_taxonomies(store: QueryStore | ox.Store, t: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Concept schemes → taxonomies, concepts → taxonomy terms; returns {concept IRI: term row}."""
    schemes = _describe(store, f"?s a <{SKOS}ConceptScheme>",
                        [RDFS_LABEL, SKOS_PREFLABEL, DCT + "title", SKOS_DEFINITION, DCT + "description"])
    concepts = _describe(store, f"?s a <{SKOS}Concept> ; <{SKOS}inScheme> ?scheme . ?scheme a <{SKOS}ConceptScheme>",
                         [SKOS_PREFLABEL, RDFS_LABEL, SKOS_DEFINITION, SKOS + "notation", SKOS + "inScheme",
                          SKOS + "broader"])
    tax_ids = {iri: hsds_id(iri) for iri in schemes}
    for iri, v in schemes.items():
        t["taxonomy"].append({"id": tax_ids[iri], "name": _label(v) or iri,
                              "description": _text(v, SKOS_DEFINITION, DCT + "description") or _label(v) or iri,
                              "uri": iri, "version": None})
    terms: dict[str, dict[str, Any]] = {}
    for iri, v in concepts.items():
        scheme = next((s for s in _iris(v, SKOS + "inScheme") if s in schemes), None)
        parent = next((b for b in _iris(v, SKOS + "broader") if b in concepts), None)
        terms[iri] = {"id": hsds_id(iri), "code": _text(v, SKOS + "notation", lang=None),
                      "name": _text(v, SKOS_PREFLABEL, RDFS_LABEL) or iri,
                      "description": _text(v, SKOS_DEFINITION) or _text(v, SKOS_PREFLABEL, RDFS_LABEL) or iri,
                      "parent_id": hsds_id(parent) if parent else None,
                      "taxonomy": _label(schemes[scheme]) if scheme else None, "language": "de",
                      "taxonomy_id": tax_ids.get(scheme) if scheme else None, "term_uri": iri}
    t["taxonomy_term"].extend(terms[i] for i in sorted(terms))
    return terms


# --------------------------------------------------------------------------- writing


#: HSDS table name → CSV file, in the order of the tabular schema (only the tables we fill).
_EXTRA_FIELDS = {  # extension fields (HSDS allows additional properties): the official keys of a service area
    "service_area": [{"name": "ags", "type": "string", "title": "Amtlicher Gemeindeschlüssel (AGS)",
                      "description": "hilfenetz extension: the official municipality key of the area served"},
                     {"name": "ars", "type": "string", "title": "Amtlicher Regionalschlüssel (ARS)",
                      "description": "hilfenetz extension: the official regional key of the area served"}],
}
#: Foreign keys that are not `{table}_id` (parent ids point into the same table).
_SPECIAL_KEYS = {("organization", "parent_organization_id"): "organization", ("taxonomy_term", "parent_id"):
                 "taxonomy_term", ("attribute", "taxonomy_term_id"): "taxonomy_term"}


def tabular_schema() -> dict[str, Any]:
    """The HSDS tabular schema (schema/compiled/tabular.json of the specification)."""
    return json.loads((SCHEMA_DIR / "compiled" / "tabular.json").read_text(encoding="utf-8"))["properties"]


def datapackage(tables: Mapping[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """The datapackage.json of the non-empty `tables`: Table Schema fields from the HSDS tabular
    schema (array fields are the JSON form's nesting and have no column), `id` the primary key,
    and foreign keys for the `…_id` fields that point into a table of the package."""
    spec = tabular_schema()
    present = [name for name in sorted(spec, key=lambda n: spec[n]["items"]["datapackage_metadata"]["order"])
               if tables.get(name)]
    resources = []
    for name in present:
        item = spec[name]["items"]
        required = set(item.get("required", []))
        fields = []
        for fname, f in item["properties"].items():
            if f.get("type") == "array" or "$ref" in f or f.get("type") is None:
                continue
            desc: dict[str, Any] = {"name": fname, "type": "number" if f["type"] == "number" else "string"}
            if f.get("format") in ("uuid", "email", "uri"):
                desc["format"] = f["format"]
            if f.get("title"):
                desc["title"] = f["title"]
            constraints: dict[str, Any] = {}
            if fname in required:
                constraints["required"] = True
            if f.get("constraints", {}).get("unique"):
                constraints["unique"] = True
            if f.get("enum"):
                constraints["enum"] = list(f["enum"])
            if constraints:
                desc["constraints"] = constraints
            fields.append(desc)
        fields.extend(_EXTRA_FIELDS.get(name, []))
        keys = []
        for fdesc in fields:
            target = _SPECIAL_KEYS.get((name, fdesc["name"]))
            if target is None and fdesc["name"].endswith("_id") and fdesc["name"] != "id":
                target = fdesc["name"][:-3]
            if target in present and (name, fdesc["name"]) != ("attribute", "link_id"):
                keys.append({"fields": fdesc["name"],
                             "reference": {"resource": "" if target == name else target, "fields": "id"}})
        schema: dict[str, Any] = {"fields": fields, "primaryKey": "id"}
        if keys:
            schema["foreignKeys"] = keys
        resources.append({"name": name, "path": item["path"], "profile": "tabular-data-resource", "format": "csv",
                          "mediatype": "text/csv", "encoding": "utf-8", "schema": schema})
    return {"name": "hilfenetz-hsds", "title": "hilfenetz als Open Referral HSDS / hilfenetz as Open Referral HSDS",
            "profile": "tabular-data-package", "version": HSDS_VERSION,
            "licenses": [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/",
                          "title": "Creative Commons Attribution 4.0 (the data; reference data keeps its own "
                                   "licence)"}],
            "resources": resources}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _write(result: HsdsExport) -> None:
    out = result.out_dir
    assert out is not None
    (out / "json").mkdir(parents=True, exist_ok=True)
    for name, objects in result.json_objects.items():
        (out / "json" / f"{name}.json").write_text(json.dumps(objects, ensure_ascii=False, indent=2) + "\n",
                                                   encoding="utf-8")
    package = datapackage(result.tables)
    for old in out.glob("*.csv"):
        old.unlink()
    for resource in package["resources"]:
        columns = [f["name"] for f in resource["schema"]["fields"]]
        with (out / resource["path"]).open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(columns)
            for row in sorted(result.tables[resource["name"]], key=lambda r: r["id"]):
                writer.writerow([_cell(row.get(c)) for c in columns])
    (out / "datapackage.json").write_text(json.dumps(package, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
