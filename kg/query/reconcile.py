"""Entity reconciliation (W3C Reconciliation Service API 0.2, as OpenRefine 3.x speaks it): match
names to hilfenetz IRIs, suggest, preview data and data extension. The HTTP side is
kg/web/routes/reconcile.py; the protocol and the figures are in docs/reconciliation.md.

Why a matcher of its own next to kg.query.search: search ranks hits for a person typing, while a
reconciliation answer must also say *whether* a name is certainly one entity (`match: true`),
and German administrative names come in forms a token search does not equate — "Gladbeck, Stadt",
"Stadt Gladbeck", "Kr. Recklinghausen", "Landkreis München", "Neustadt a.d.Aisch". The matcher
reads every name of an entity into *parses*: the whole name, the part before the comma
("Gladbeck"), that part without a leading designator ("Kreis Recklinghausen" → "Recklinghausen",
with the designator remembered as a *kind*), and a loose form without a qualifier ("Halle
(Saale)" → "Halle"). Keys are folded (kg.query.search.fold: casefold, ä→ae and ä→a, ß→ss),
stripped of separators and of the small words' spelling ("bei"/"b.", "an der"/"a.d.").

Scores (0–100, explained by `features`): 100 the whole name equals a name of the entity; 98 the
part before the comma does; 95 equal once a designator is set aside, and the designators agree
(a query's "Kreis" needs a Kreis, "Stadt" a town); 90 equal without the qualifier; a designator
that contradicts the entity caps the score at 60 (50 for a name only similar); names only
similar (character trigrams, then difflib's ratio; looked for only when no name is equal) score
at most 88. An AGS or ARS (the whole query, or the property `ags`/`ars`) scores 100.
`match: true` only for a candidate of 95 or more that no other candidate of 90 or more contests,
except the same territory's other records (the Kreis record of a kreisfreie Stadt, the
Gemeindeverband record of a verbandsfreie Gemeinde, the Land of a city-state), which are ranked
just below the Gemeinde. Land and Kreis given as properties narrow the candidates to those inside
them. Measured on 6,793 name variants built from the reference data (top-1 recall 0.989 with
the Land given, precision of `match: true` 1.0): bench/results/reconcile.md.

The index is built from the store in one pass over quads (about 16.5 k entities, 3 s of CPU)
and rebuilt when the store version changes (`ReconcileService`).
"""

from __future__ import annotations

import bisect
import difflib
import re
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from kg.query.search import fold
from kg.rdf import DCT, HN, HNID, ORG, PREFIXES, RDF_TYPE, RDFS, RDFS_SUBCLASSOF, SCHEMA, SKOS, WD

if TYPE_CHECKING:
    from kg.store.protocol import QueryStore

SKOS_CONCEPT = SKOS + "Concept"
DISPLAY_LABEL = HN + "displayLabel"
#: name properties, in the order a display name is chosen from (hn:displayLabel first, then rdfs:label)
NAME_PROPERTIES: tuple[str, ...] = (DISPLAY_LABEL, RDFS + "label", SKOS + "prefLabel", HN + "officialName",
                                    SKOS + "altLabel", HN + "abbreviation")
#: names that are not the entity's own label (reported as the feature `alternative_name`; not
#: scored lower: ranking "Hamm" the village before Hamm the city, whose short name it is, cost
#: more top-1 hits than it gained, bench/results/reconcile.md)
ALT_PROPERTIES = frozenset({SKOS + "altLabel", HN + "abbreviation"})
DEFAULT_LIMIT = 5
MAX_LIMIT = 50
#: score levels (see the module text)
LEVEL_SCORE = {0: 100.0, 1: 98.0, 2: 95.0, 3: 90.0}
MATCH_MIN = 95.0  # a match needs at least this score …
CONTEST_MIN = 90.0  # … and no other candidate (but its territory's twins) at this score or more
CONFLICT_CAP = 60.0
OFFICE_CAP = 85.0
FUZZY_MAX = 88.0
FUZZY_MIN_RATIO = 0.6


@dataclass(frozen=True)
class TypeDef:
    """A type the service reconciles against: id (a CURIE, as clients send it), class IRI, names."""

    id: str
    iri: str
    de: str
    en: str


TYPES: tuple[TypeDef, ...] = (
    TypeDef("hn:Municipality", HN + "Municipality", "Gemeinde", "Municipality"),
    TypeDef("hn:District", HN + "District", "Kreis oder kreisfreie Stadt", "District (Kreis or kreisfreie Stadt)"),
    TypeDef("hn:Land", HN + "Land", "Land", "Land (federal state)"),
    TypeDef("hn:MunicipalAssociation", HN + "MunicipalAssociation", "Gemeindeverband", "Municipal association"),
    TypeDef("hn:AdministrativeArea", HN + "AdministrativeArea", "Gebiet (alle Verwaltungseinheiten)",
            "Administrative area (all levels)"),
    TypeDef("hn:Organisation", HN + "Organisation", "Organisation", "Organisation"),
    TypeDef("hn:HealthOffice", HN + "HealthOffice", "Gesundheitsamt", "Health office"),
    TypeDef("hn:Programme", HN + "Programme", "Programm", "Programme"),
    TypeDef("skos:Concept", SKOS_CONCEPT, "Begriff (SKOS)", "Concept (SKOS)"),
)
TYPE_BY_ID = {t.id: t for t in TYPES}
TYPE_BY_IRI = {t.iri: t for t in TYPES}
AREA = HN + "AdministrativeArea"
MUNICIPALITY = HN + "Municipality"
DISTRICT = HN + "District"
RURAL, URBAN = HN + "RuralDistrict", HN + "UrbanDistrict"
LAND = HN + "Land"
GV = HN + "MunicipalAssociation"
UNINCORPORATED = HN + "UnincorporatedArea"
HEALTH_OFFICE = HN + "HealthOffice"
ORGANISATION = HN + "Organisation"
PROGRAMME = HN + "Programme"


def type_iri(value: str) -> str | None:
    """A type as clients send it (`hn:Municipality`, the class IRI) → class IRI; None if unknown."""
    value = value.strip()
    if value in TYPE_BY_ID:
        return TYPE_BY_ID[value].iri
    if value in TYPE_BY_IRI:
        return value
    return None


def entity_iri(value: str) -> str:
    """An entity id as clients may send it: the IRI, `area:05562` (a kind's prefix) or `area/05562`."""
    value = value.strip()
    if value.startswith(("http://", "https://")):
        return value
    prefix, sep, local = value.partition(":")
    if sep and prefix in PREFIXES:
        return PREFIXES[prefix] + local
    return HNID + value.lstrip("/")


# --------------------------------------------------------------------------- normalisation

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
#: the small words of place names and their abbreviations ("Neustadt a.d.Aisch", "Rade b. Rendsburg")
_SMALL = {"bei": "b", "am": "a", "an": "a", "im": "i", "in": "i", "der": "d", "dem": "d", "den": "d", "vor": "v",
          "ob": "o", "sankt": "st", "saint": "st"}
#: what a designator means: stadt (a town), kreis (a Kreis), gemeinde, markt, gemfr (gemeindefrei),
#: ga (a health office)
_PREFIXES_RAW: dict[str, tuple[str, ...]] = {
    "stadt": ("Stadt", "kreisfreie Stadt", "Hansestadt", "Landeshauptstadt", "Universitätsstadt",
              "Große Kreisstadt", "Kreisstadt", "Stadtkreis", "Freie und Hansestadt", "Freie Hansestadt"),
    "kreis": ("Kreis", "Kr", "Krs", "Landkreis", "Landkr", "LK", "Lkr", "Lkrs", "Kreisverwaltung"),
    "gemeinde": ("Gemeinde", "Ortsgemeinde", "Gem"),
    "markt": ("Markt", "Marktgemeinde", "Flecken"),
    "ga": ("Gesundheitsamt", "Gesundheitsamt des Kreises", "Gesundheitsamt der Stadt", "Gesundheitsamt Landkreis",
           "Gesundheitsamt Kreis", "Gesundheitsamt Stadt"),
}
_TAILS_RAW: dict[str, tuple[str, ...]] = {
    "stadt": ("Stadt", "St", "GKSt", "Kreisstadt", "Große Kreisstadt", "kreisfreie Stadt", "Stadtkreis"),
    "kreis": ("Kreis", "Landkreis", "Kr", "LK", "Lkr"),
    "markt": ("M", "Markt", "Marktflecken", "Marktgemeinde", "Flecken"),
    "gemeinde": ("Gemeinde",),
}


def _raw_tokens(text: str, umlaut: str) -> list[str]:
    return [_SMALL.get(t, t) for t in _TOKEN.findall(fold(text, umlaut))]


def _designators(raw: dict[str, tuple[str, ...]]) -> dict[tuple[str, ...], str]:
    out: dict[tuple[str, ...], str] = {}
    for kind, words in raw.items():
        for w in words:
            for u in ("e", ""):
                out[tuple(_raw_tokens(w, u))] = kind
    return out


PREFIX_DESIGNATORS = _designators(_PREFIXES_RAW)
TAIL_DESIGNATORS = _designators(_TAILS_RAW)
_MAX_PREFIX = max(len(k) for k in PREFIX_DESIGNATORS)
#: tokens after which a place name's qualifier starts ("Frankfurt a main", "Rade b rendsburg")
_QUALIFIER_START = {"b", "a", "i", "v", "o"}


def _tail_kind(tail: str, umlaut: str) -> str | None:
    toks = tuple(_raw_tokens(tail, umlaut))
    if not toks:
        return None
    if toks in TAIL_DESIGNATORS:
        return TAIL_DESIGNATORS[toks]
    if any(t.startswith("gemfr") or t.startswith("gemeindefrei") for t in toks):
        return "gemfr"
    if toks[-1].endswith("stadt"):  # Hansestadt, Universitätsstadt, "Stadt, Hochschulstadt", …
        return "stadt"
    return "other"


@dataclass(frozen=True)
class Parse:
    """One reading of a name: key (folded, no separators), the designators it carried, level
    (0 whole name, 1 before the comma, 2 designator set aside, 3 qualifier dropped)."""

    key: str
    kinds: frozenset[str]
    level: int


def parses(text: str) -> list[Parse]:
    """Every reading of `text` (both umlaut foldings), most exact first; duplicates dropped."""
    out: dict[tuple[str, int], Parse] = {}

    def add(toks: Iterable[str], kinds: set[str], level: int) -> None:
        key = "".join(toks)
        if key and (key, level) not in out:
            out[(key, level)] = Parse(key, frozenset(kinds), level)

    for u in ("e", ""):
        add(_raw_tokens(text, u), set(), 0)
        head, sep, tail = text.partition(",")
        kinds: set[str] = set()
        tk = _tail_kind(tail, u) if sep else None
        if tk and tk != "other":
            kinds.add(tk)
        m = re.fullmatch(r"(.*?)\s*\(([^()]*)\)\s*", head)
        if m:  # "Recklinghausen (Kreis)"
            inner = tuple(_raw_tokens(m.group(2), u))
            if inner in TAIL_DESIGNATORS:
                kinds.add(TAIL_DESIGNATORS[inner])
                head = m.group(1)
        toks = _raw_tokens(head, u)
        add(toks, kinds, 1)
        stripped = list(toks)
        pkinds = set(kinds)
        changed = True
        while changed and len(stripped) > 1:
            changed = False
            for n in range(min(_MAX_PREFIX, len(stripped) - 1), 0, -1):
                kind = PREFIX_DESIGNATORS.get(tuple(stripped[:n]))
                if kind:
                    pkinds.add(kind)
                    stripped = stripped[n:]
                    changed = True
                    break
        if stripped != toks:
            add(stripped, pkinds, 2)
        if " / " in head:  # a name in two languages: "Bautzen / Budyšin", "Cottbus / Chóśebuz"
            for part in head.split(" / "):
                add(_raw_tokens(part, u), kinds, 1)
        loose_head = re.sub(r"\([^()]*\)", " ", head).split("/")[0]  # "Lauenburg/ Elbe" → "Lauenburg"
        loose = _raw_tokens(loose_head, u)
        if len(loose) > 1:
            for i, t in enumerate(loose[1:], 1):
                if t in _QUALIFIER_START:
                    loose = loose[:i]
                    break
        if loose != toks and loose:
            add(loose, kinds, 3)
    return sorted(out.values(), key=lambda p: p.level)


def core_key(text: str) -> str:
    """The key of a name without designators and the comma's tail (for the similarity stage)."""
    ps = [p for p in parses(text) if p.level in (1, 2)]
    return max(ps, key=lambda p: p.level).key if ps else ""


def _trigrams(key: str) -> set[str]:
    padded = f"  {key} "
    return {padded[i:i + 3] for i in range(len(padded) - 2)}


# --------------------------------------------------------------------------------- the index

#: ISO 3166-2:DE codes and the usual short forms of the Länder (aliases for input, not data)
LAND_CODES: dict[str, str] = {
    "sh": "01", "hh": "02", "ni": "03", "hb": "04", "nw": "05", "nrw": "05", "he": "06", "rp": "07", "rlp": "07",
    "bw": "08", "by": "09", "sl": "10", "be": "11", "bb": "12", "mv": "13", "sn": "14", "st": "15", "th": "16",
}
_CITY_DETAILS = {"Stadt", "Große Kreisstadt", "Kreisfreie Stadt", "Stadtkreis"}


@dataclass
class Record:
    """One entity the service can return."""

    iri: str
    names: list[str] = field(default_factory=list)
    display: str | None = None
    classes: set[str] = field(default_factory=set)  # hn:/skos: classes, asserted and inferred
    kinds: set[str] = field(default_factory=set)
    ags: str | None = None
    ars: str | None = None
    parent: str | None = None
    population: int | None = None
    type_detail: str | None = None
    alt: set[str] = field(default_factory=set)  # names only from skos:altLabel / hn:abbreviation

    def name(self) -> str:
        return self.display or (self.names[0] if self.names else self.iri)


@dataclass
class Candidate:
    """A scored candidate with the features that explain its score."""

    record: Record
    score: float
    features: dict[str, float | bool] = field(default_factory=dict)
    twin_of: str | None = None
    preferred: bool = False  # the query's designator names exactly what this entity is (a tie-break)


@dataclass
class Query:
    """One query of a batch, as parsed from the request."""

    text: str = ""
    types: list[str] = field(default_factory=list)
    limit: int = DEFAULT_LIMIT
    properties: list[tuple[str, list[Any]]] = field(default_factory=list)


class ReconcileIndex:
    """The entities of the reconcilable types with their parses, keys, areas and twins."""

    def __init__(self, store: QueryStore) -> None:
        self.store = store
        self.records: dict[str, Record] = {}
        for t in TYPES:
            for q in store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), ox.NamedNode(t.iri), None):
                if isinstance(q.subject, ox.NamedNode):
                    self.records.setdefault(q.subject.value, Record(q.subject.value))
        self._read_names()
        self._read_classes()
        self._read_areas()
        self.by_key: dict[str, list[tuple[Record, Parse, bool]]] = defaultdict(list)
        self.by_code: dict[str, list[Record]] = defaultdict(list)
        self.trigrams: dict[str, set[str]] = defaultdict(set)
        self.core: dict[str, list[Record]] = defaultdict(list)
        for rec in self.records.values():
            self._index(rec)
        self.sorted_keys = sorted(self.by_key)
        self.ancestors: dict[str, tuple[str, ...]] = {}
        self.twin_of = self._twins()

    # ------------------------------------------------------------------------ reading
    def _objects(self, prop: str) -> Iterator[tuple[Record, ox.NamedNode | ox.Literal | ox.BlankNode]]:
        for q in self.store.quads_for_pattern(None, ox.NamedNode(prop), None, None):
            rec = self.records.get(q.subject.value) if isinstance(q.subject, ox.NamedNode) else None
            if rec is not None and not isinstance(q.object, ox.Triple):
                yield rec, q.object

    def _read_names(self) -> None:
        for prop in NAME_PROPERTIES:
            for rec, obj in self._objects(prop):
                if not isinstance(obj, ox.Literal) or (obj.language and not obj.language.startswith(("de", "en"))):
                    continue
                german = not obj.language or obj.language.startswith("de")
                if prop == DISPLAY_LABEL and german and rec.display is None:
                    rec.display = obj.value
                if prop in ALT_PROPERTIES and obj.value not in rec.names:
                    rec.alt.add(obj.value)
                elif prop not in ALT_PROPERTIES:
                    rec.alt.discard(obj.value)
                if obj.value not in rec.names:
                    if german and prop == RDFS + "label":
                        rec.names.insert(0, obj.value)
                    else:
                        rec.names.append(obj.value)

    def _read_classes(self) -> None:
        # only the classes matching needs (about 60 k type triples of the ~370 k; reading them all
        # doubled the build time); the full list of an entity is read when it is extended
        for cls in (*TYPE_BY_IRI, RURAL, URBAN, UNINCORPORATED):
            for q in self.store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), ox.NamedNode(cls), None):
                rec = self.records.get(q.subject.value) if isinstance(q.subject, ox.NamedNode) else None
                if rec is not None:
                    rec.classes.add(cls)
        self.superclasses: dict[str, set[str]] = defaultdict(set)
        for q in self.store.quads_for_pattern(None, ox.NamedNode(RDFS_SUBCLASSOF), None, None):
            s, o = q.subject, q.object
            if isinstance(s, ox.NamedNode) and isinstance(o, ox.NamedNode) and o.value != s.value:
                self.superclasses[s.value].add(o.value)
        changed = True
        while changed:  # transitive closure (a few hundred classes)
            changed = False
            for c, sups in list(self.superclasses.items()):
                more = set().union(*(self.superclasses.get(s, set()) for s in sups)) - sups - {c}
                if more:
                    sups |= more
                    changed = True

    def _read_areas(self) -> None:
        def literal(prop: str) -> Iterator[tuple[Record, str]]:
            for rec, obj in self._objects(prop):
                if isinstance(obj, ox.Literal):
                    yield rec, obj.value

        for rec, v in literal(HN + "ags"):
            rec.ags = v
        for rec, v in literal(HN + "ars"):
            rec.ars = v
        for rec, v in literal(HN + "population"):
            rec.population = int(v) if v.isdigit() else None
        for rec, v in literal(HN + "typeDetail"):
            rec.type_detail = v
        for rec, obj in self._objects(HN + "partOf"):
            if isinstance(obj, ox.NamedNode):
                rec.parent = obj.value
        self.member_of: dict[str, str] = {}
        for rec, obj in self._objects(HN + "memberOfAssociation"):
            if isinstance(obj, ox.NamedNode):
                self.member_of[rec.iri] = obj.value
        for rec in self.records.values():
            c = rec.classes
            if RURAL in c:
                rec.kinds.add("kreis")
            if URBAN in c:
                rec.kinds.add("stadt")
            if MUNICIPALITY in c or GV in c:
                rec.kinds.add("gemeinde")
                if rec.type_detail in _CITY_DETAILS:
                    rec.kinds.add("stadt")
                if rec.type_detail == "Markt":
                    rec.kinds.add("markt")
            if UNINCORPORATED in c:
                rec.kinds.add("gemfr")
            if HEALTH_OFFICE in c:
                rec.kinds.add("ga")

    def _index(self, rec: Record) -> None:
        for name in rec.names:
            own = name not in rec.alt
            for p in parses(name):
                self.by_key[p.key].append((rec, p, own))
                if p.level >= 1:
                    rec.kinds |= p.kinds - {"ga"} if HEALTH_OFFICE not in rec.classes else p.kinds
                if p.level in (1, 2):
                    if rec not in self.core[p.key]:
                        self.core[p.key].append(rec)
                    for g in _trigrams(p.key):
                        self.trigrams[g].add(p.key)
        for code in (rec.ags, rec.ars):
            if code and rec not in self.by_code[code]:
                self.by_code[code].append(rec)

    def _twins(self) -> dict[str, str]:
        """Area → the one Gemeinde it consists of (a kreisfreie Stadt's Kreis record, a verbandsfreie
        Gemeinde's Gemeindeverband, a city-state's Land), for areas made of exactly one Gemeinde."""
        count: dict[str, int] = defaultdict(int)
        last: dict[str, str] = {}
        for rec in self.records.values():
            if MUNICIPALITY not in rec.classes:
                continue
            containers = list(self.ancestors_of(rec.iri))
            if rec.iri in self.member_of:
                containers.append(self.member_of[rec.iri])
            for a in containers:
                count[a] += 1
                last[a] = rec.iri
        # gemeindefreie Gebiete belong to a Kreis too: a Kreis with one Gemeinde and such areas is no twin
        for rec in self.records.values():
            if UNINCORPORATED in rec.classes:
                for a in self.ancestors_of(rec.iri):
                    count[a] += 1
        return {a: last[a] for a, n in count.items() if n == 1 and a in last and a != HNID + "area/de"}

    def ancestors_of(self, iri: str) -> tuple[str, ...]:
        """The areas containing `iri` along hn:partOf, nearest first (memoised)."""
        got = self.ancestors.get(iri)
        if got is not None:
            return got
        chain: list[str] = []
        rec = self.records.get(iri)
        seen = {iri}
        while rec is not None and rec.parent and rec.parent not in seen:
            chain.append(rec.parent)
            seen.add(rec.parent)
            rec = self.records.get(rec.parent)
        self.ancestors[iri] = tuple(chain)
        return self.ancestors[iri]

    # ------------------------------------------------------------------------ matching
    def has_type(self, rec: Record, types: Iterable[str]) -> bool:
        wanted = list(types)
        return not wanted or any(t in rec.classes for t in wanted)

    def match(self, query: Query) -> list[Candidate]:
        """Ranked candidates of one query (at most query.limit)."""
        narrowing: list[tuple[str, set[str] | None]] = []
        codes: list[str] = []
        for pid, values in query.properties:
            pid_l = pid.strip().lower()
            if pid_l in ("ags", "ars", "key", HN.lower() + "ags", HN.lower() + "ars"):
                codes += [re.sub(r"\s+", "", str(_value_id(v) or "")) for v in values]
            elif pid_l in ("land", "kreis", "partof", "area", HN.lower() + "partof"):
                narrowing.append((pid_l, self.resolve_area(pid_l, values)))
            elif pid_l in ("inscheme", "scheme"):
                narrowing.append((pid_l, {entity_iri(str(_value_id(v) or "")) for v in values}))
        text = query.text.strip()
        cands: dict[str, Candidate] = {}
        digits = re.sub(r"\s+", "", text)
        if digits.isdigit() and len(digits) in (2, 3, 5, 8, 9, 12):
            codes.append(digits)
        for code in codes:
            for rec in self.by_code.get(code, ()):
                if self.has_type(rec, query.types):
                    cands[rec.iri] = Candidate(rec, 100.0, {"key_exact": True})
        if text and not (codes and cands):
            self._name_candidates(text, query.types, cands)
        if codes and not cands and not text:
            return []
        # narrowing by Land / Kreis / area / scheme
        for pid_l, allowed in narrowing:
            if allowed is None:  # the value names no area: no candidate can be certain
                for c in cands.values():
                    c.features[f"{pid_l}_unresolved"] = True
                continue
            for iri in list(cands):
                if not self._inside(iri, pid_l, allowed):
                    del cands[iri]
                else:
                    cands[iri].features[f"{pid_l}_match"] = True
        ranked = self._rank(list(cands.values()))
        return ranked[:query.limit]

    def _inside(self, iri: str, pid_l: str, allowed: set[str]) -> bool:
        if pid_l in ("inscheme", "scheme"):
            return any(next(iter(self.store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(SKOS + "inScheme"),
                                                               ox.NamedNode(a), None)), None) is not None
                       for a in allowed)
        up = set(self.ancestors_of(iri))
        if iri in self.member_of:
            up.add(self.member_of[iri])
        for prop in (HN + "responsibleFor", DCT + "spatial", HN + "areaServed"):  # offices and organisations
            for q in self.store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(prop), None, None):
                if isinstance(q.object, ox.NamedNode):
                    up.add(q.object.value)
                    up.update(self.ancestors_of(q.object.value))
        return bool(up & allowed) or (iri in allowed and pid_l == "area")

    def _name_candidates(self, text: str, types: list[str], cands: dict[str, Candidate]) -> None:
        qparses = parses(text)
        for qp in qparses:
            for rec, ep, own in self.by_key.get(qp.key, ()):
                if qp.level == 3 or not self.has_type(rec, types):
                    # a qualifier the query gives ("Weil am Rhein") is evidence: its loose form
                    # "Weil" must not meet "Weil im Schönbuch" or a plain "Weil"
                    continue
                level = max(qp.level, ep.level)
                if qp.level == 0 and ep.level == 0:
                    level = 0
                elif level == 0:
                    level = 1
                score = LEVEL_SCORE[level]
                feats: dict[str, float | bool] = {f"name_level_{level}": True}
                if (level > 0 and HEALTH_OFFICE in rec.classes and "ga" not in qp.kinds
                        and HEALTH_OFFICE not in types):
                    # "Stadt Dortmund, Gesundheitsamt": the part before the comma names the
                    # authority the office belongs to; "Dortmund" alone means the office only
                    # when asked for health offices or "Gesundheitsamt Dortmund"
                    score = min(score, OFFICE_CAP)
                    feats["names_the_office_authority"] = True
                if level == 0 and not own:
                    feats["alternative_name"] = True
                missing = qp.kinds - rec.kinds
                if missing and level > 0:
                    score = min(score, CONFLICT_CAP)
                    feats["designator_conflict"] = True
                elif qp.kinds and level > 0:
                    feats["designator_agrees"] = True
                prev = cands.get(rec.iri)
                if prev is None or score > prev.score:
                    cands[rec.iri] = Candidate(rec, score, feats,
                                               preferred="gemeinde" in qp.kinds and "stadt" not in rec.kinds)
        if any(c.score >= CONTEST_MIN for c in cands.values()):
            return
        self._similar(text, qparses, types, cands)

    def _similar(self, text: str, qparses: list[Parse], types: list[str], cands: dict[str, Candidate]) -> None:
        """Names only similar: candidate keys sharing character trigrams, scored by difflib's ratio."""
        qkinds = frozenset().union(*(p.kinds for p in qparses)) if qparses else frozenset()
        qkeys = {p.key for p in qparses if p.level in (1, 2)} or {p.key for p in qparses}
        for qk in qkeys:
            if len(qk) < 3:
                continue
            grams = _trigrams(qk)
            counts: dict[str, int] = defaultdict(int)
            for g in grams:
                for k in self.trigrams.get(g, ()):
                    counts[k] += 1
            need = max(2, int(len(grams) * 0.4))
            shortlist = sorted((k for k, n in counts.items() if n >= need), key=lambda k: -counts[k])[:200]
            for key in shortlist:
                ratio = difflib.SequenceMatcher(None, qk, key).ratio()
                if ratio < FUZZY_MIN_RATIO:
                    continue
                for rec in self.core[key]:
                    if not self.has_type(rec, types):
                        continue
                    score = round(FUZZY_MAX * ratio, 1)
                    feats: dict[str, float | bool] = {"name_similarity": round(ratio, 3)}
                    if qkinds - rec.kinds:  # below an exact name with a contradicting designator
                        score = min(score, CONFLICT_CAP - 10)
                        feats["designator_conflict"] = True
                    prev = cands.get(rec.iri)
                    if prev is None or score > prev.score:
                        cands[rec.iri] = Candidate(rec, score, feats)

    def _rank(self, cands: list[Candidate]) -> list[Candidate]:
        present = {c.record.iri: c for c in cands}
        for c in cands:
            twin = self.twin_of.get(c.record.iri)
            if twin and twin in present and present[twin].score >= c.score:
                c.score = round(c.score - 3, 1)
                c.twin_of = twin
                c.features["same_territory_as_candidate"] = True
        cands.sort(key=lambda c: (-c.score, not c.preferred, -(c.record.population or 0), c.record.iri))
        if cands:
            top = cands[0]
            contested = any(c.score >= CONTEST_MIN and c.twin_of != top.record.iri for c in cands[1:])
            unresolved = any(k.endswith("_unresolved") for k in top.features)
            top.features["unique"] = not contested
            top.features["match"] = bool(top.score >= MATCH_MIN and not contested and not unresolved)
            for c in cands[1:]:
                c.features["match"] = False
        return cands

    def resolve_area(self, pid_l: str, values: list[Any]) -> set[str] | None:
        """The area IRIs a Land/Kreis/area property value names: an id, a key, an ISO 3166-2 code
        (Land), or a name matched exactly (all exact candidates: "München" as Kreis is two)."""
        types = {"land": [LAND], "kreis": [DISTRICT]}.get(pid_l, [AREA])
        out: set[str] = set()
        for v in values:
            vid = _value_id(v)
            if isinstance(v, dict) and v.get("id"):
                out.add(entity_iri(str(v["id"])))
                continue
            s = str(vid or "").strip()
            if not s:
                continue
            code = LAND_CODES.get(fold(s).removeprefix("de-")) if pid_l == "land" else None
            if code:
                out.add(HNID + "area/" + code)
                continue
            if s.isdigit() and s in self.by_code:
                out.update(r.iri for r in self.by_code[s])
                continue
            cands = self.match(Query(s, types, MAX_LIMIT))
            out.update(c.record.iri for c in cands if c.score >= MATCH_MIN)
        return out or None

    # ------------------------------------------------------------------------ describing
    def types_of(self, rec: Record) -> list[TypeDef]:
        """The service's types the record has, most specific first."""
        own = [t for t in TYPES if t.iri in rec.classes]
        return sorted(own, key=lambda t: -sum(1 for o in own if o.iri in self.superclasses.get(t.iri, ())))

    def most_specific_classes(self, rec: Record) -> list[str]:
        """The record's hn:/skos: classes that are no superclass of another of its classes."""
        cls = {q.object.value for q in self.store.quads_for_pattern(ox.NamedNode(rec.iri), ox.NamedNode(RDF_TYPE),
                                                                     None, None)
               if isinstance(q.object, ox.NamedNode) and q.object.value.startswith((HN, SKOS_CONCEPT))}
        supers = set().union(*(self.superclasses.get(c, set()) for c in cls)) if cls else set()
        return sorted(c for c in cls if c not in supers)

    def ancestor_of_class(self, iri: str, cls: str) -> Record | None:
        for a in self.ancestors_of(iri):
            rec = self.records.get(a)
            if rec is not None and cls in rec.classes:
                return rec
        return None

    def description(self, rec: Record) -> str:
        """A line that tells namesakes apart: kind, Kreis, Land, key."""
        parts: list[str] = []
        if rec.type_detail:
            parts.append(rec.type_detail)
        elif rec.classes:
            t = self.types_of(rec)
            if t:
                parts.append(t[0].de)
        kreis = self.ancestor_of_class(rec.iri, DISTRICT)
        if kreis is not None:
            kname = kreis.name().split(",")[0]
            parts.append(("Kreis " if RURAL in kreis.classes and "kreis" not in kname.lower() else "") + kname)
        land = self.ancestor_of_class(rec.iri, LAND)
        if land is not None:
            parts.append(land.name())
        if rec.ags:
            parts.append(f"AGS {rec.ags}")
        elif rec.ars:
            parts.append(f"ARS {rec.ars}")
        return " · ".join(parts)

    def suggest(self, prefix: str, types: list[str], limit: int, cursor: int = 0) -> list[Record]:
        """Entities with a name key starting with the folded prefix; exact keys first, then by
        population (so "Mün" offers München before Münchhausen) and name length."""
        keys: set[str] = set()
        for p in parses(prefix):
            if p.level > 1:
                continue
            i = bisect.bisect_left(self.sorted_keys, p.key)
            while i < len(self.sorted_keys) and self.sorted_keys[i].startswith(p.key) and len(keys) < 5000:
                keys.add(self.sorted_keys[i])
                i += 1
        exact = {p.key for p in parses(prefix)}
        best: dict[str, tuple[int, Record]] = {}
        for k in keys:
            for rec, _, _ in self.by_key[k]:
                if self.has_type(rec, types):
                    rank = 0 if k in exact else 1
                    if rec.iri not in best or rank < best[rec.iri][0]:
                        best[rec.iri] = (rank, rec)
        ordered = sorted(best.values(), key=lambda rr: (rr[0], -(rr[1].population or 0), len(rr[1].name()),
                                                        rr[1].iri))
        return [r for _, r in ordered[cursor:cursor + limit]]


def _value_id(v: Any) -> Any:
    """A property value as OpenRefine sends it: a string/number, or {"id": …, "name": …}."""
    if isinstance(v, dict):
        return v.get("id") or v.get("name")
    return v


class ReconcileService:
    """The index of the current store version, rebuilt on first use after a version change
    (the pattern of kg.query.search.SearchService)."""

    def __init__(self, get_store: Callable[[], QueryStore], get_version: Callable[[], str]) -> None:
        self._get_store = get_store
        self._get_version = get_version
        self._lock = threading.Lock()
        self._version: str | None = None
        self._index: ReconcileIndex | None = None

    def index(self) -> ReconcileIndex:
        version = self._get_version()
        with self._lock:
            if self._index is None or version != self._version:
                self._index = ReconcileIndex(self._get_store())
                self._version = version
            return self._index


# ---------------------------------------------------------------------------- the protocol


#: queries in one batch (OpenRefine sends 10 at a time; 1,000 take about a second of CPU)
MAX_BATCH = 1000


def parse_queries(batch: Any) -> dict[str, Query]:
    """A query batch (`{"q0": {"query": …, "type": …, "limit": …, "properties": […]}}`) →
    Query objects; ValueError (with the key) on anything the 0.2 schema does not allow."""
    if not isinstance(batch, dict):
        raise ValueError("the query batch must be a JSON object / der Abfragestapel muss ein JSON-Objekt sein")
    if len(batch) > MAX_BATCH:
        raise ValueError(f"at most {MAX_BATCH} queries per batch / höchstens {MAX_BATCH} Abfragen je Stapel")
    out: dict[str, Query] = {}
    for key, q in batch.items():
        if not isinstance(q, dict):
            raise ValueError(f"query {key!r}: must be an object / muss ein Objekt sein")
        unknown = set(q) - {"query", "type", "limit", "properties", "type_strict"}
        if unknown:
            raise ValueError(f"query {key!r}: unknown field(s) / unbekannte Felder: {', '.join(sorted(unknown))}")
        text = q.get("query", "")
        props = q.get("properties") or []
        if not isinstance(text, str) or not isinstance(props, list):
            raise ValueError(f"query {key!r}: 'query' must be a string, 'properties' a list / "
                             "'query' muss Text sein, 'properties' eine Liste")
        if not text.strip() and not props:
            raise ValueError(f"query {key!r}: needs 'query' or 'properties' / braucht 'query' oder 'properties'")
        raw_types = q.get("type") or []
        raw_types = [raw_types] if isinstance(raw_types, str) else raw_types
        types: list[str] = []
        for t in raw_types:
            iri = type_iri(str(t))
            types.append(iri if iri else "urn:unknown-type:" + str(t))
        limit = q.get("limit", DEFAULT_LIMIT)
        if not isinstance(limit, (int, float)) or isinstance(limit, bool):
            raise ValueError(f"query {key!r}: 'limit' must be a number / 'limit' muss eine Zahl sein")
        properties: list[tuple[str, list[Any]]] = []
        for p in props:
            if not isinstance(p, dict) or "pid" not in p or "v" not in p:
                raise ValueError(f"query {key!r}: each property needs 'pid' and 'v' / "
                                 "jede Eigenschaft braucht 'pid' und 'v'")
            v = p["v"]
            properties.append((str(p["pid"]), v if isinstance(v, list) else [v]))
        out[str(key)] = Query(text, types, max(1, min(MAX_LIMIT, int(limit))), properties)
    return out


def candidate_json(index: ReconcileIndex, c: Candidate) -> dict[str, Any]:
    """One candidate in the 0.2 result format (features as in the 1.0 draft: id and value)."""
    rec = c.record
    return {
        "id": rec.iri,
        "name": rec.name(),
        "description": index.description(rec),
        "score": c.score,
        "match": bool(c.features.get("match", False)),
        "type": [{"id": t.id, "name": t.de} for t in index.types_of(rec)],
        "features": [{"id": k, "value": v} for k, v in c.features.items() if k != "match"],
    }


def reconcile_batch(index: ReconcileIndex, queries: dict[str, Query]) -> dict[str, Any]:
    """The answer to a batch: `{key: {"result": [candidates]}}`."""
    return {key: {"result": [candidate_json(index, c) for c in index.match(q)]} for key, q in queries.items()}


# ------------------------------------------------------------------------------- extension


@dataclass(frozen=True)
class PropertyDef:
    """A property of the data extension: id, names, the types it applies to."""

    id: str
    de: str
    en: str
    types: tuple[str, ...]


AREA_TYPES = (AREA, MUNICIPALITY, DISTRICT, LAND, GV)
ORG_TYPES = (ORGANISATION, HEALTH_OFFICE)
PROPERTIES: tuple[PropertyDef, ...] = (
    PropertyDef("ags", "Amtlicher Gemeindeschlüssel (AGS)", "Official municipality key (AGS)", AREA_TYPES),
    PropertyDef("ars", "Amtlicher Regionalschlüssel (ARS)", "Official regional key (ARS)", AREA_TYPES),
    PropertyDef("officialName", "Amtlicher Name", "Official name", AREA_TYPES),
    PropertyDef("kreis", "Kreis", "District (Kreis)", AREA_TYPES + ORG_TYPES),
    PropertyDef("land", "Land", "Land (federal state)", AREA_TYPES + ORG_TYPES),
    PropertyDef("population", "Einwohnerzahl", "Population", AREA_TYPES),
    PropertyDef("populationDate", "Stichtag der Einwohnerzahl", "Date of the population figure", AREA_TYPES),
    PropertyDef("healthOffice", "Zuständiges Gesundheitsamt", "Responsible health office", AREA_TYPES),
    PropertyDef("wikidata", "Wikidata-Objekt", "Wikidata item", AREA_TYPES),
    PropertyDef("type", "Art", "Type", AREA_TYPES + ORG_TYPES + (PROGRAMME, SKOS_CONCEPT)),
    PropertyDef("location", "Ort / Gebiet", "Location / area", (*ORG_TYPES, PROGRAMME)),
    PropertyDef("programmes", "Programme", "Programmes", ORG_TYPES + AREA_TYPES),
    PropertyDef("abbreviation", "Abkürzung", "Abbreviation", (*ORG_TYPES, PROGRAMME)),
    PropertyDef("rkiCode", "RKI-Code", "RKI code", (HEALTH_OFFICE,)),
    PropertyDef("address", "Anschrift", "Postal address", (HEALTH_OFFICE,)),
    PropertyDef("telephone", "Telefon", "Telephone", (HEALTH_OFFICE,)),
    PropertyDef("email", "E-Mail", "E-mail", (HEALTH_OFFICE,)),
    PropertyDef("participants", "Beteiligte", "Participants", (PROGRAMME,)),
    PropertyDef("scheme", "Begriffsschema", "Concept scheme", (SKOS_CONCEPT,)),
    PropertyDef("notation", "Notation", "Notation", (SKOS_CONCEPT,)),
    PropertyDef("definition", "Definition", "Definition", (SKOS_CONCEPT,)),
)
PROPERTY_BY_ID = {p.id: p for p in PROPERTIES}
#: match-query properties (for suggest/property): the narrowing ones are not extension data
MATCH_PROPERTIES: tuple[PropertyDef, ...] = (
    PropertyDef("partOf", "liegt in (Gebiet)", "lies within (area)", AREA_TYPES + ORG_TYPES),
    PropertyDef("inScheme", "in Begriffsschema", "in concept scheme", (SKOS_CONCEPT,)),
)


def properties_for(type_id: str | None) -> list[PropertyDef]:
    """The extension properties proposed for a type (all when none is given)."""
    iri = type_iri(type_id) if type_id else None
    if type_id and iri is None:
        return []
    return [p for p in PROPERTIES if iri is None or iri in p.types]


class Extender:
    """Property values of entities, read from the store per entity (a few quad lookups each)."""

    def __init__(self, index: ReconcileIndex) -> None:
        self.index = index
        self.store = index.store

    def _objs(self, iri: str, prop: str) -> list[ox.NamedNode | ox.Literal]:
        return [q.object for q in self.store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(prop), None, None)
                if isinstance(q.object, (ox.NamedNode, ox.Literal))]

    def _subjs(self, prop: str, iri: str) -> list[str]:
        return sorted({q.subject.value for q in self.store.quads_for_pattern(None, ox.NamedNode(prop),
                                                                             ox.NamedNode(iri), None)
                       if isinstance(q.subject, ox.NamedNode)})

    def _entity(self, iri: str) -> dict[str, str]:
        rec = self.index.records.get(iri)
        if rec is not None:
            return {"id": iri, "name": rec.name()}
        labels = [o.value for o in self._objs(iri, RDFS + "label") if isinstance(o, ox.Literal)]
        return {"id": iri, "name": labels[0] if labels else iri}

    def _areas_of(self, iri: str) -> list[str]:
        out: list[str] = []
        for prop in (DCT + "spatial", HN + "areaServed", HN + "responsibleFor", HN + "location"):
            out += [o.value for o in self._objs(iri, prop) if isinstance(o, ox.NamedNode) and o.value not in out]
        return out

    def values(self, iri: str, pid: str) -> list[dict[str, Any]]:
        """The values of property `pid` for entity `iri` in the 0.2 cell format."""
        ix = self.index
        rec = ix.records.get(iri)
        def lit(prop: str) -> list[str]:
            return [o.value for o in self._objs(iri, prop) if isinstance(o, ox.Literal)]

        if rec is None:
            return []
        if pid in ("ags", "ars"):
            v = rec.ags if pid == "ags" else rec.ars
            return [{"str": v}] if v else []
        if pid == "officialName":
            return [{"str": v} for v in lit(HN + "officialName")]
        if pid in ("kreis", "land"):
            cls = DISTRICT if pid == "kreis" else LAND
            found: list[dict[str, Any]] = []
            starts = [iri] if ix.records[iri].classes & set(AREA_TYPES) else self._areas_of(iri)
            for start in starts:
                a = ix.ancestor_of_class(start, cls)
                if a is None and start in ix.records and cls in ix.records[start].classes and start != iri:
                    a = ix.records[start]
                if a is not None and {"id": a.iri, "name": a.name()} not in found:
                    found.append({"id": a.iri, "name": a.name()})
            return found
        if pid == "population":
            return [{"int": rec.population}] if rec.population is not None else []
        if pid == "populationDate":
            return [{"date": v + "T00:00:00Z"} for v in lit(HN + "populationDate")]
        if pid == "healthOffice":
            offices: list[str] = []
            for area in (iri, *ix.ancestors_of(iri)):
                for o in self._subjs(HN + "responsibleFor", area):
                    if o not in offices and HEALTH_OFFICE in ix.records.get(o, Record(o)).classes:
                        offices.append(o)
            return [self._entity(o) for o in offices]
        if pid == "wikidata":
            return [{"str": o.value[len(WD):]} for o in self._objs(iri, SKOS + "exactMatch")
                    if isinstance(o, ox.NamedNode) and o.value.startswith(WD)]
        if pid == "type":
            out = []
            for c in ix.most_specific_classes(rec):
                t = TYPE_BY_IRI.get(c)
                labels = [o.value for o in self._objs(c, RDFS + "label")
                          if isinstance(o, ox.Literal) and (o.language or "").startswith("de")]
                out.append({"id": t.id if t else c, "name": labels[0] if labels else (t.de if t else c)})
            return out
        if pid == "location":
            return [self._entity(a) for a in self._areas_of(iri)]
        if pid == "programmes":
            progs = [o.value for prop in (HN + "participatesIn", HN + "withinProgramme") for o in self._objs(iri, prop)
                     if isinstance(o, ox.NamedNode)]
            return [self._entity(p) for p in dict.fromkeys(progs)
                    if PROGRAMME in ix.records.get(p, Record(p)).classes]
        if pid == "abbreviation":
            return [{"str": v} for v in lit(HN + "abbreviation")]
        if pid == "rkiCode":
            return [{"str": v} for v in lit(HN + "rkiCode")]
        if pid == "address":
            out = []
            for addr in self._objs(iri, SCHEMA + "address"):
                if isinstance(addr, ox.NamedNode):
                    part = {p: ([o.value for o in self._objs(addr.value, SCHEMA + p)] or [""])[0]
                            for p in ("streetAddress", "postalCode", "addressLocality")}
                    out.append({"str": f"{part['streetAddress']}, {part['postalCode']} {part['addressLocality']}"
                                .strip(", ")})
            return out
        if pid in ("telephone", "email"):
            return [{"str": v} for v in lit(SCHEMA + pid)]
        if pid == "participants":
            return [self._entity(s) for s in self._subjs(HN + "participatesIn", iri)
                    if s in ix.records and ORG + "Organization" not in s]
        if pid == "scheme":
            return [self._entity(o.value) for o in self._objs(iri, SKOS + "inScheme") if isinstance(o, ox.NamedNode)]
        if pid == "notation":
            return [{"str": v} for v in lit(SKOS + "notation")]
        if pid == "definition":
            return [{"str": o.value} for o in self._objs(iri, SKOS + "definition")
                    if isinstance(o, ox.Literal) and (o.language or "de").startswith("de")]
        return []

    def extend(self, ids: list[str], pids: list[str]) -> dict[str, Any]:
        """The data-extension answer: `meta` (the properties) and `rows` (values per id)."""
        meta: list[dict[str, Any]] = []
        for pid in pids:
            p = PROPERTY_BY_ID.get(pid)
            if p is None:
                raise ValueError(f"unknown property / unbekannte Eigenschaft: {pid}")
            m: dict[str, Any] = {"id": p.id, "name": p.de}
            if pid in ("kreis", "land", "healthOffice", "location", "programmes", "participants", "scheme"):
                target = {"kreis": "hn:District", "land": "hn:Land", "healthOffice": "hn:HealthOffice",
                          "location": "hn:AdministrativeArea", "programmes": "hn:Programme",
                          "participants": "hn:Organisation", "scheme": "skos:Concept"}[pid]
                m["type"] = {"id": target, "name": TYPE_BY_ID[target].de}
            meta.append(m)
        rows = {i: {pid: self.values(entity_iri(i), pid) for pid in pids} for i in ids}
        return {"meta": meta, "rows": rows}


def preview_facts(index: ReconcileIndex, iri: str) -> list[tuple[str, str]] | None:
    """The facts a preview card shows (label, value); None if the id is unknown."""
    rec = index.records.get(iri)
    if rec is None:
        return None
    ext = Extender(index)
    facts: list[tuple[str, str]] = []
    types = index.types_of(rec)
    if types:
        facts.append(("Art", types[0].de + (f" ({rec.type_detail})" if rec.type_detail else "")))
    for pid in ("ags", "ars", "kreis", "land", "population", "healthOffice", "location", "programmes",
                "rkiCode", "address", "scheme", "definition"):
        p = PROPERTY_BY_ID[pid]
        if not any(t in rec.classes for t in p.types):
            continue
        vals = ext.values(iri, pid)
        shown = [str(v.get("name") or v.get("str") or v.get("int") or "") for v in vals]
        if pid == "population" and vals:
            shown = [f"{int(vals[0]['int']):,}".replace(",", ".")]
        shown = [s for s in shown if s]
        if shown:
            facts.append((p.de, "; ".join(shown[:4]) + (" …" if len(shown) > 4 else "")))
    return facts
