"""Open Referral HSDS 3.x → a contribution graph: the inverse of the export's mapping (kg/graph/hsds.py),
through the spreadsheet import's path (kg.graph.tabular.importer: resolution, mapping, validation
against the whole graph, one named graph with its source node, all or nothing).

Why through the spreadsheet import: one way to bring outside data in. HSDS services become rows of
the `offers` template (a CSV in a private temporary directory, never shown), so the reference
resolution, the identifiers, the SHACL validation in the context of the whole graph, the provenance
(source node, hn:statedIn) and the commit are the import's, unchanged. What this module adds is
the reading of HSDS and the resolution HSDS needs before a cell can be filled:

- `service` → hn:Offer: `name` → label (de), `alternate_name` → label (en), `description`,
  `minimum_age`/`maximum_age`; `id`: an offer whose IRI has this id (the export's UUID v5) keeps its
  IRI, otherwise the IRI is minted from the name as for a spreadsheet row;
- `organization_id` / `organization` → hn:provider: by the organisation's `uri`, by id (the UUID v5
  of an IRI of the graph) or by name — organisations are resolved, never created;
- `program_id` / `program` → hn:withinProgramme, the same way;
- `service_areas` → hn:areaServed: by area IRI (`uri`), official key (the export's `ags`/`ars`
  fields) or name, through the importer's resolver (AGS, ARS and names of all 16,000 areas);
- `attributes` with `link_type` offerType, lifePhase, targetGroup, topic or sector → the concept,
  by the term's `term_uri` or id.

An existing offer keeps what HSDS cannot carry (its English description, start and end date): its
current cells are the starting point and the HSDS fields are laid over them, so an export → import
round trip changes nothing. A value that cannot be resolved is an error naming the service and the
field (`service „Kinderberatung“ (id …), service_areas[0] („Atlantis“): …`); attributes of other
taxonomies are warnings (left out). HSDS fields the model has no place for (schedules, phones, fees,
…: docs/hsds.md) are not imported.
"""

from __future__ import annotations

import csv
import hashlib
import json
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.errors import HsdsInputError
from kg.graph.hsds import hsds_id
from kg.graph.tabular.importer import TOOL, ImportPlan, SourceMeta, plan_import
from kg.graph.tabular.mapping import CellProblem
from kg.graph.tabular.resolve import Resolution, Resolver
from kg.graph.tabular.templates import kind as make_kind
from kg.i18n import Msg
from kg.rdf import HN, HN_FILE_NAME, HN_SHA256, HNID

KIND = "offers"
#: attribute link_type → the offers template's column (a concept scheme property)
_ATTRIBUTE_COLUMNS = ("offerType", "lifePhase", "targetGroup", "topic", "sector")
#: template column → the HSDS field it comes from (for messages)
_FIELD_OF = {"id": "id", "label": "name", "label@en": "alternate_name", "description": "description",
             "minAge": "minimum_age", "maxAge": "maximum_age", "provider": "organization_id",
             "withinProgramme": "program_id", "areaServed": "service_areas", **{c: "attributes" for c in
                                                                               _ATTRIBUTE_COLUMNS}}


@dataclass
class HsdsImport:
    """The plan of an HSDS import and which service each row of it came from."""

    plan: ImportPlan
    services: list[dict[str, Any]]


def read_services(path: Path) -> list[dict[str, Any]]:
    """The HSDS services in `path`: a services list (`services.json` of an export), one service, an
    API page (`contents`), an organisation (or a list of them) with `services`, or a directory with
    `services.json` (or `json/services.json`) — organisations beside them lend their `uri`."""
    path = Path(path)
    if path.is_dir():
        folder = path / "json" if (path / "json" / "services.json").is_file() else path
        services = _services_of(_load(folder / "services.json"), folder / "services.json")
        orgs_file = folder / "organizations.json"
        if orgs_file.is_file():
            orgs = {o["id"]: o for o in _objects(_load(orgs_file)) if isinstance(o, dict) and "id" in o}
            for s in services:
                if "organization" not in s and s.get("organization_id") in orgs:
                    s["organization"] = orgs[s["organization_id"]]
        return services
    return _services_of(_load(path), path)


def services_json(services: list[dict[str, Any]]) -> bytes:
    """The services read from a directory as one JSON file: what is kept of an HSDS directory under
    data/contributions/ (kg.graph.kept), and what its source node's SHA-256 is computed over."""
    return json.dumps(services, ensure_ascii=False, indent=1).encode("utf-8")


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise HsdsInputError(f"{path}: not an HSDS JSON file ({exc})",
                             de=f"{path}: keine HSDS-JSON-Datei ({exc})") from exc


def _objects(data: Any) -> list[Any]:
    if isinstance(data, dict) and isinstance(data.get("contents"), list):
        return list(data["contents"])
    return list(data) if isinstance(data, list) else [data]


def _services_of(data: Any, path: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for obj in _objects(data):
        if not isinstance(obj, dict):
            continue
        if "status" in obj or "service_areas" in obj:
            out.append(obj)
        elif isinstance(obj.get("services"), list):  # an organisation with its services
            out += [{**s, "organization": {k: v for k, v in obj.items() if k != "services"}}
                    for s in obj["services"] if isinstance(s, dict)]
        elif "name" in obj and "id" in obj and "organization_id" in obj:
            out.append(obj)
    if not out:
        raise HsdsInputError(f"{path}: no HSDS services in the file",
                             de=f"{path}: keine HSDS-Services in der Datei")
    return out


def _iri_ids(store: Any, classes: Iterable[str]) -> dict[str, str]:
    """{hsds_id(iri): iri} for every resource of `classes`: the export's ids, mapped back."""
    values = " ".join(f"<{c}>" for c in classes)
    rows = store.query(f"SELECT DISTINCT ?s WHERE {{ ?s a ?c VALUES ?c {{ {values} }} FILTER(isIRI(?s)) }}",
                       use_default_graph_as_union=True)
    return {hsds_id(r["s"].value): r["s"].value for r in rows}


class _Converter:
    """HSDS services → rows of the offers template (cell texts by column key) and the problems."""

    def __init__(self, store: Any, resolver: Resolver) -> None:
        self.resolver = resolver
        self.offers = _iri_ids(store, [HN + "Offer"])
        self.orgs = _iri_ids(store, [HN + "Organisation", HN + "AdministrativeArea"])
        self.programmes = _iri_ids(store, [HN + "Programme"])
        self.concepts = _iri_ids(store, ["http://www.w3.org/2004/02/skos/core#Concept"])
        self.problems: list[tuple[int, Msg, str]] = []  # (service index, message, severity)

    def where(self, n: int, service: Mapping[str, Any], field: str) -> Msg:
        name, sid = service.get("name", "?"), service.get("id", "?")
        return Msg(f"Service „{name}“ (id {sid}), Feld {field}", f"service “{name}” (id {sid}), field {field}")

    def fail(self, n: int, service: Mapping[str, Any], field: str, msg: Msg, severity: str = "error") -> None:
        at = self.where(n, service, field)
        self.problems.append((n, Msg(f"{at.de}: {msg.de}", f"{at.en}: {msg.en}"), severity))

    def _resolved(self, n: int, service: Mapping[str, Any], field: str, res: Resolution) -> str | None:
        if res.iri is None:
            self.fail(n, service, field, res.message or Msg("nicht auflösbar", "cannot be resolved"))
        return res.iri

    def row(self, n: int, s: Mapping[str, Any]) -> dict[str, str]:
        cells: dict[str, str] = {}
        existing = self.offers.get(str(s.get("id", "")))
        if existing:
            cells["id"] = existing.rsplit("/", 1)[-1]
        for key in ("label", "label@en", "description", "minAge", "maxAge"):
            value = s.get(_FIELD_OF[key])
            if value not in (None, ""):
                cells[key] = _number(value) if key in ("minAge", "maxAge") else str(value)
        org: dict[str, Any] = s["organization"] if isinstance(s.get("organization"), dict) else {}
        org_id = s.get("organization_id") or org.get("id")
        if org_id or org:
            iri = self.orgs.get(str(org_id)) if org_id else None
            if iri is None:
                value = org.get("uri") or org.get("name") or str(org_id)
                iri = self._resolved(n, s, "organization_id" if not org else "organization",
                                     self.resolver.entity(str(value), {HN + "Agent", HN + "Organisation"}))
            if iri:
                cells["provider"] = iri
        prog: dict[str, Any] = s["program"] if isinstance(s.get("program"), dict) else {}
        prog_id = s.get("program_id") or prog.get("id")
        if prog_id or prog:
            iri = self.programmes.get(str(prog_id)) if prog_id else None
            if iri is None:
                iri = self._resolved(n, s, "program_id" if not prog else "program",
                                     self.resolver.entity(str(prog.get("name") or prog_id), {HN + "Programme"}))
            if iri:
                cells["withinProgramme"] = iri
        areas = []
        for i, area in enumerate(s.get("service_areas") or []):
            value = _area_value(area)
            iri = self._resolved(n, s, f"service_areas[{i}]", self.resolver.area(value)) if value else None
            if value is None:
                self.fail(n, s, f"service_areas[{i}]", Msg("ohne uri, ags, ars oder name",
                                                            "has no uri, ags, ars or name"))
            if iri:
                areas.append(iri)
        if areas:
            cells["areaServed"] = "; ".join(areas)
        concepts: dict[str, list[str]] = {}
        for i, attr in enumerate(s.get("attributes") or []):
            term = attr.get("taxonomy_term") if isinstance(attr.get("taxonomy_term"), dict) else {}
            link = attr.get("link_type")
            iri = term.get("term_uri") if str(term.get("term_uri", "")).startswith(HNID) else None
            iri = iri or self.concepts.get(str(attr.get("taxonomy_term_id") or term.get("id")))
            if link not in _ATTRIBUTE_COLUMNS or iri is None:
                shown = term.get("name") or attr.get("taxonomy_term_id")
                self.fail(n, s, f"attributes[{i}]", Msg(
                    f"„{shown}“ ({link}) ist kein Begriff der Begriffsschemata von hilfenetz (link_type offerType, "
                    "lifePhase, targetGroup, topic oder sector); nicht übernommen",
                    f"“{shown}” ({link}) is not a concept of hilfenetz's schemes (link_type offerType, lifePhase, "
                    "targetGroup, topic or sector); left out"), "warning")
                continue
            concepts.setdefault(str(link), []).append(iri)
        for link, iris in concepts.items():
            cells[link] = "; ".join(iris)
        return cells


def _number(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _area_value(area: Mapping[str, Any]) -> str | None:
    """What names an area: the hilfenetz IRI, else an official key, else the name."""
    uri = str(area.get("uri") or "")
    if uri.startswith(HNID + "area/"):
        return uri
    for key in ("ags", "ars"):
        if area.get(key):
            return str(area[key])
    return str(area["name"]) if area.get("name") else (uri or None)


def _current_rows(store: Any, resolver: Resolver, source: str | None, tmp: Path) -> dict[str, dict[str, str]]:
    """The offers template's cells of the offers there are now ({id: {column key: text}})."""
    from kg.graph.tabular.sheets import export_kind

    out = tmp / "current.csv"
    export_kind(store, KIND, out, fmt="csv", source=source, resolver=resolver)
    k = make_kind(store, KIND)
    by_header = {c.header(): c.key for c in k.columns}
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    return {r[k.columns[0].header()]: {by_header[h]: v for h, v in r.items() if h in by_header and v}
            for r in rows}


def plan_hsds_import(store: Any, path: Path, meta: SourceMeta, *, graph: str | None = None,
                     source: str | None = None, resolver: Resolver | None = None, validate: bool = True,
                     described_as: tuple[str, str] | None = None, tool: str = TOOL) -> HsdsImport:
    """Plan the import of the HSDS services in `path` (file or directory) as offers into one
    contribution graph (or into `graph`, e.g. a seed source's graph for a round trip; `source` is
    that source's slug, whose offers are the starting cells). Writes nothing to the store.

    For `kg build`'s replay of a kept import (kg.graph.kept): `validate=False` (the build validates
    everything at once), `described_as` the (file name, SHA-256) the source node had — a directory
    is kept as one JSON file of its services, but the node keeps naming the directory — and `tool`
    the tool version it was imported with."""
    path = Path(path)
    services = read_services(path)
    resolver = resolver or Resolver(store)
    conv = _Converter(store, resolver)
    k = make_kind(store, KIND)
    with tempfile.TemporaryDirectory(prefix="hsds-import-") as tmp:
        current = _current_rows(store, resolver, source, Path(tmp))
        rows = []
        for n, s in enumerate(services):
            cells = conv.row(n, s)
            base = dict(current.get(cells.get("id", ""), {}))
            for key in _FIELD_OF:  # the HSDS fields replace the current cells; the rest stays
                base.pop(key, None)
            rows.append({**base, **cells})
        table = Path(tmp) / (path.stem + ".csv")
        with table.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh, delimiter=";")
            writer.writerow([c.header() for c in k.columns])
            writer.writerows([[r.get(c.key, "") for c in k.columns] for r in rows])
        errors = [p for p in conv.problems if p[2] == "error"]
        plan = plan_import(store, table, KIND, meta, graph=graph, resolver=resolver,
                           validate=validate and not errors, tool=tool)
    _name_the_objects(plan, services, k)
    plan.problems = [CellProblem(None, None, None, msg, severity) for _, msg, severity in conv.problems] + \
        plan.problems
    if errors:  # the rows with unresolved values were mapped without them: nothing may be written
        plan.quads, plan.removed_quads = [], []
    _describe_the_file(plan, path, described_as)
    return HsdsImport(plan, services)


def _name_the_objects(plan: ImportPlan, services: list[dict[str, Any]], k: Any) -> None:
    """The template's rows and columns in the plan's problems → the HSDS service and field."""
    field_of_header = {c.header(): _FIELD_OF.get(c.key, c.key) for c in k.columns}
    out = []
    for p in plan.problems:
        if p.row is not None and 2 <= p.row < len(services) + 2:
            s = services[p.row - 2]
            field = field_of_header.get(p.column or "", p.column or "")
            at = Msg(f"Service „{s.get('name', '?')}“ (id {s.get('id', '?')})" + (f", Feld {field}" if field else ""),
                     f"service “{s.get('name', '?')}” (id {s.get('id', '?')})" + (f", field {field}" if field else ""))
            out.append(CellProblem(None, None, None, Msg(f"{at.de}: {p.message.de}", f"{at.en}: {p.message.en}"),
                                   p.severity))
        else:
            out.append(p)
    plan.problems = out


def _describe_the_file(plan: ImportPlan, path: Path, described_as: tuple[str, str] | None = None) -> None:
    """The source node names the HSDS file (name, SHA-256 of a file), not the private table; a
    directory by its name and the SHA-256 of its services as one JSON file (`services_json`: what
    kg.graph.kept keeps of it; the source shape requires a checksum). `described_as` gives name and
    SHA-256 instead (a replay of a kept import)."""
    plan.file = path
    data = path.read_bytes() if path.is_file() else services_json(read_services(path))
    sha = hashlib.sha256(data).hexdigest()
    name = path.name
    if described_as is not None:
        name, sha = described_as
    plan.sha256 = sha
    fixed = []
    for q in plan.quads:
        if q.predicate.value == HN_FILE_NAME:
            q = ox.Quad(q.subject, q.predicate, ox.Literal(name), q.graph_name)
        elif q.predicate.value == HN_SHA256:
            if not sha:
                continue
            q = ox.Quad(q.subject, q.predicate, ox.Literal(sha), q.graph_name)
        fixed.append(q)
    plan.quads = fixed
