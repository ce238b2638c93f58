"""Resolve what a spreadsheet cell names to the resource it means: areas by official key or name,
organisations and other entities by IRI, name or abbreviation, concepts by label or notation.

Why an index built here, from the store: the entity search of kg.query.search sits above the graph
layer, and an import must also run inside `kg build` (data/contributions/), where no search index
exists. The index is small — the real graph has about 11,000 areas and a few hundred named
entities — and built with four SPARQL queries in well under a second.

Matching is tolerant the way people type: case, umlaut transcriptions ("Koeln" = "Köln", "ß" =
"ss"), punctuation and spacing, the area prefixes "Stadt"/"Kreis"/"Gemeinde" and abbreviations the
data states (hn:abbreviation, skos:altLabel). A name that fits several resources is an error listing
them (with their key and Land for areas); an unknown one an error with "Meinten Sie …?" suggestions.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pyoxigraph as ox

from kg.i18n import Msg
from kg.rdf import HN, HNID, PREFIXES, RDF, RDFS, SKOS

_AREA = HNID + "area/"
_TRANSLIT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "é": "e", "è": "e"})
_NONWORD = re.compile(r"[^a-z0-9]+")
#: Words in front of an area name that only say its kind: "Stadt Gladbeck" = "Gladbeck".
_AREA_WORDS = ("kreisfreie stadt ", "stadt ", "gemeinde ", "landkreis ", "kreis ", "markt ", "hansestadt ",
               "universitaetsstadt ", "grosse kreisstadt ", "mittlere kreisangehoerige stadt ",
               "grosse kreisangehoerige stadt ", "staedteregion ", "regionalverband ")
_KEY_RE = re.compile(r"^\d{2}(\d(\d{2}(\d{3}(\d{4})?)?)?)?$|^\d{12}$|^\d{9}$")


def did_you_mean(suggestions: list[str]) -> tuple[str, str]:
    """" Meinten Sie „a“ oder „b“?" and its English, or two empty strings."""
    if not suggestions:
        return "", ""
    return (" Meinten Sie " + " oder ".join(f"„{s}“" for s in suggestions) + "?",
            " Did you mean " + " or ".join(f"“{s}”" for s in suggestions) + "?")


def norm(text: str) -> str:
    """The matching key of a name: lower case, umlauts transcribed, accents and punctuation gone."""
    t = text.casefold().translate(_TRANSLIT)
    if not t.isascii():  # the rare accents: decompose and drop the marks (é → e)
        t = unicodedata.normalize("NFC", t).translate(_TRANSLIT)
        t = "".join(c for c in unicodedata.normalize("NFKD", t) if not unicodedata.combining(c))
    return _NONWORD.sub(" ", t).strip()


def _strip_area_word(key: str) -> str:
    for w in _AREA_WORDS:
        w = w.strip()
        if key.startswith(w + " "):
            return key[len(w) + 1:]
    return key


@dataclass
class Resolution:
    """The outcome of resolving one value: `iri`, or a problem (`message`) with `candidates`."""

    iri: str | None
    message: Msg | None = None
    candidates: list[str] = field(default_factory=list)


@dataclass
class _Entry:
    iri: str
    label: str
    classes: set[str]
    detail: str = ""  # shown with a candidate: key and Land for areas

    def show(self) -> str:
        return f"{self.label} ({self.detail})" if self.detail else f"{self.label} <{self.iri}>"


def _asserted(store: Any, predicate: str, *, skip_areas: bool = False) -> Iterable[Any]:
    """The quads of `predicate` in every graph but the inferred one (and the Destatis areas)."""
    skip = {HNID + "graph/inferred"} | ({HNID + "graph/reference/destatis"} if skip_areas else set())
    graphs = [g for g in store.named_graphs() if isinstance(g, ox.NamedNode) and g.value not in skip]
    for g in [ox.DefaultGraph(), *graphs]:
        yield from store.quads_for_pattern(None, ox.NamedNode(predicate), None, g)


def _q(store: Any, query: str) -> Iterable[Any]:
    return store.query(query, use_default_graph_as_union=True)


def _val(term: Any) -> str:
    return "" if term is None else str(term.value)


class Resolver:
    """The reference index of one store (build once per import: `Resolver(store)`)."""

    def __init__(self, store: Any) -> None:
        self.entries: dict[str, _Entry] = {}
        self.by_name: dict[str, set[str]] = defaultdict(set)
        self.area_keys: dict[str, str] = {}
        self.area_iris: set[str] = set()
        self._pools: dict[frozenset[str], list[str]] = {}
        self.concepts: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.concept_labels: dict[str, dict[str, str]] = defaultdict(dict)  # scheme → iri → German label
        self.concept_order: dict[str, list[str]] = defaultdict(list)
        self._load_areas(store)
        self._load_entities(store)
        self._load_concepts(store)

    # ------------------------------------------------------------------ loading

    def _entry(self, iri: str, label: str) -> _Entry:
        e = self.entries.get(iri)
        if e is None:
            e = self.entries[iri] = _Entry(iri, label, set())
        return e

    def _name(self, name: str, iri: str) -> None:
        key = norm(name)
        if key:
            self.by_name[key].add(iri)

    def _load_areas(self, store: Any) -> None:
        """Areas: every subject of hn:ags or hn:ars (pattern lookups: a SPARQL join over the 250,000
        reference triples took 5 s, these take a fraction of a second)."""
        keys: dict[str, str] = {}
        for p in ("ags", "ars"):
            for q in store.quads_for_pattern(None, ox.NamedNode(HN + p), None, None):
                iri = q.subject.value
                self.area_keys[q.object.value] = iri
                keys.setdefault(iri, q.object.value)
        details = {q.subject.value: q.object.value
                   for q in store.quads_for_pattern(None, ox.NamedNode(HN + "typeDetail"), None, None)}
        self.area_iris = set(keys)
        for iri, key in keys.items():
            e = self._entry(iri, iri.rsplit("/", 1)[-1])
            e.classes.add(HN + "AdministrativeArea")
            detail = details.get(iri, "")
            e.detail = ", ".join(x for x in (detail, f"AGS {key}", self._land_name(key)) if x)
        for q in _asserted(store, RDFS + "label"):
            iri = q.subject.value
            if iri in keys and getattr(q.object, "language", None) in ("de", None):
                e = self.entries[iri]
                e.label = q.object.value
                self._name(e.label, iri)
                # "Gladbeck, Stadt" is also "Gladbeck" and "Stadt Gladbeck"
                if ", " in e.label:
                    head, tail = e.label.split(", ", 1)
                    self._name(head, iri)
                    self._name(f"{tail} {head}", iri)
                detail = details.get(iri, "")
                if detail:
                    self._name(f"{detail} {e.label}", iri)

    _LANDS: ClassVar[dict[str, str]] = {
              "01": "Schleswig-Holstein", "02": "Hamburg", "03": "Niedersachsen", "04": "Bremen",
              "05": "Nordrhein-Westfalen", "06": "Hessen", "07": "Rheinland-Pfalz", "08": "Baden-Württemberg",
              "09": "Bayern", "10": "Saarland", "11": "Berlin", "12": "Brandenburg", "13": "Mecklenburg-Vorpommern",
              "14": "Sachsen", "15": "Sachsen-Anhalt", "16": "Thüringen"}

    def _land_name(self, key: str) -> str:
        return self._LANDS.get(key[:2], "") if key[:2].isdigit() and len(key) > 2 else ""

    def _load_entities(self, store: Any) -> None:
        """Named entities: their asserted types (closed under rdfs:subClassOf here, so that this
        works in `kg build` before inference too) and their names."""
        parents: dict[str, set[str]] = defaultdict(set)
        for q in store.quads_for_pattern(None, ox.NamedNode(RDFS + "subClassOf"), None, None):
            if isinstance(q.object, ox.NamedNode):
                parents[q.subject.value].add(q.object.value)

        def closure(c: str) -> set[str]:
            out, todo = {c}, [c]
            while todo:
                for p in parents.get(todo.pop(), ()):
                    if p not in out:
                        out.add(p)
                        todo.append(p)
            return out

        wanted = {HN + x for x in ("Agent", "Organisation", "Person", "Programme", "FundingProgramme", "Project",
                                   "Network", "Event", "EventSeries", "LegalNorm", "Offer", "Cooperation",
                                   "Committee", "AdministrativeArea")}
        cache: dict[str, set[str]] = {}
        # not the inferred graph (its types are what this closure computes) nor the Destatis areas
        # (loaded above): 90 % of the store's 370,000 rdf:type triples
        skip = {HNID + "graph/inferred", HNID + "graph/reference/destatis"}
        graphs = [g for g in store.named_graphs() if isinstance(g, ox.NamedNode) and g.value not in skip]
        typed = (q for g in [ox.DefaultGraph(), *graphs]
                 for q in store.quads_for_pattern(None, ox.NamedNode(RDF + "type"), None, g))
        for q in typed:
            if not isinstance(q.subject, ox.NamedNode):
                continue
            t = q.object.value
            if t not in cache:
                cache[t] = closure(t) & wanted
            if cache[t]:
                iri = q.subject.value
                e = self.entries.get(iri) or self._entry(iri, iri.rsplit("/", 1)[-1])
                e.classes |= cache[t]
        for p in (RDFS + "label", SKOS + "altLabel", HN + "abbreviation", SKOS + "prefLabel"):
            for q in _asserted(store, p, skip_areas=True):
                iri = q.subject.value
                found = self.entries.get(iri)
                if found is None or not found.classes or iri in self.area_iris:
                    continue
                e = found
                if getattr(q.object, "language", None) not in ("de", "en", None):
                    continue
                if p == RDFS + "label" and (getattr(q.object, "language", None) == "de"
                                            or e.label == iri.rsplit("/", 1)[-1]):
                    e.label = q.object.value
                self._name(q.object.value, iri)

    def _load_concepts(self, store: Any) -> None:
        rows = _q(store, f"""PREFIX skos: <{SKOS}> PREFIX hn: <{HN}>
            SELECT ?c ?s ?p ?v ?order WHERE {{
              ?c skos:inScheme ?s . OPTIONAL {{ ?c hn:order ?order }}
              ?c ?p ?v . VALUES ?p {{ skos:prefLabel skos:altLabel skos:notation }}
            }} ORDER BY ?s ?order ?c""")
        for r in rows:
            c, s, v = _val(r["c"]), _val(r["s"]), _val(r["v"])
            if c not in self.concept_order[s]:
                self.concept_order[s].append(c)
            self.concepts[s][norm(v)].add(c)
            if r["p"].value == SKOS + "notation" and ":" in v:
                self.concepts[s][norm(v.split(":", 1)[1])].add(c)
            lang = getattr(r["v"], "language", None)
            if r["p"].value == SKOS + "prefLabel" and lang == "de":
                self.concept_labels[s][c] = v
        for s, order in self.concept_order.items():
            for c in order:
                self.concepts[s][norm(c.rsplit("/", 1)[-1])].add(c)

    # ------------------------------------------------------------------ lookups

    def label(self, iri: str) -> str:
        e = self.entries.get(iri)
        return e.label if e else iri

    def has_class(self, iri: str, classes: Iterable[str]) -> bool:
        e = self.entries.get(iri)
        return e is not None and bool(e.classes & set(classes))

    def choices(self, scheme: str) -> list[str]:
        """German labels of a scheme's concepts, in the scheme's order."""
        return [self.concept_labels[scheme].get(c, c.rsplit("/", 1)[-1]) for c in self.concept_order[scheme]]

    def _suggest(self, value: str, pool: Iterable[str], show: Any) -> list[str]:
        keys = list(pool)
        close = difflib.get_close_matches(norm(value), keys, n=3, cutoff=0.6)
        out: list[str] = []
        for k in close:
            out.extend(show(k))
        return list(dict.fromkeys(out))[:5]

    def concept(self, value: str, scheme: str, what: Msg) -> Resolution:
        if value.startswith(HNID + "concept/") and value in self.concept_labels[scheme]:
            return Resolution(value)
        index = self.concepts.get(scheme, {})
        found = index.get(norm(value), set())
        if len(found) == 1:
            return Resolution(next(iter(found)))
        allowed = self.choices(scheme)
        if found:
            cands = sorted(self.concept_labels[scheme].get(c, c) for c in found)
            return Resolution(None, Msg(f"„{value}“ ist mehrdeutig: {', '.join(cands)}",
                                        f"“{value}” is ambiguous: {', '.join(cands)}"), cands)
        sugg = self._suggest(value, index, lambda k: [self.concept_labels[scheme].get(c, c) for c in index[k]])
        did = did_you_mean(sugg)
        return Resolution(None, Msg(
            f"„{value}“ ist kein erlaubter Wert für {what.de}. Erlaubt: {', '.join(allowed)}.{did[0]}",
            f"“{value}” is not an allowed value for {what.en}. Allowed: {', '.join(allowed)}.{did[1]}"),
            sugg or allowed)

    def area(self, value: str) -> Resolution:
        v = value.strip()
        if v.startswith(_AREA):
            return Resolution(v) if v in self.entries else self._unknown(v, {HN + "AdministrativeArea"})
        digits = v.replace(" ", "")
        if digits.isdigit() and (_KEY_RE.match(digits) or digits in self.area_keys):
            iri = self.area_keys.get(digits) or self.area_keys.get(digits.rstrip("0") if len(digits) == 12 else digits)
            if iri:
                return Resolution(iri)
            return Resolution(None, Msg(f"Kein Gebiet mit dem amtlichen Schlüssel {digits}",
                                        f"No area with the official key {digits}"))
        return self._by_name(v, {HN + "AdministrativeArea"}, area=True)

    def entity(self, value: str, classes: set[str]) -> Resolution:
        """An entity of one of `classes` by IRI, prefixed name (hnorg:lvr) or name; areas count as
        agents (a municipality or Kreis is also its local authority)."""
        v = value.strip()
        prefix, _, local = v.partition(":")
        if local and prefix in PREFIXES and not local.startswith("//"):  # hnorg:lvr, prog:kips-praevention-nrw
            v = PREFIXES[prefix] + local
        area_ok = bool(classes & {HN + "Agent", HN + "Organisation", HN + "AdministrativeArea"})
        if v.startswith(("http://", "https://")):
            if self.has_class(v, classes) or (area_ok and v in self.area_iris):
                return Resolution(v)
            return self._unknown(v, classes)
        if area_ok and v.replace(" ", "").isdigit():
            return self.area(v)
        return self._by_name(v, classes, area=area_ok)

    def _by_name(self, value: str, classes: set[str], *, area: bool) -> Resolution:
        key = norm(value)
        ok = classes | ({HN + "AdministrativeArea"} if area else set())
        found = {i for i in self.by_name.get(key, set()) if self.has_class(i, ok)}
        if not found and area:
            stripped = _strip_area_word(key)
            found = {i for i in self.by_name.get(stripped, set()) if self.has_class(i, ok)}
            if len(found) > 1:  # "Kreis Recklinghausen": prefer the Kreis, "Stadt Gladbeck": the town
                kind = "kreis" if key.startswith(("kreis ", "landkreis ")) else "stadt" if key != stripped else ""
                narrowed = {i for i in found if self._matches_kind(i, kind)}
                found = narrowed or found
        found = self._prefer_municipality(found)
        if len(found) == 1:
            return Resolution(next(iter(found)))
        if found:
            cands = sorted(self.entries[i].show() for i in found)
            return Resolution(None, Msg(
                f"„{value}“ ist mehrdeutig, mögliche Treffer: {'; '.join(cands)}. "
                "Bitte den amtlichen Schlüssel oder die IRI angeben.",
                f"“{value}” is ambiguous, candidates: {'; '.join(cands)}. Please give the official key or the IRI."),
                cands)
        return self._unknown(value, ok)

    @staticmethod
    def _prefer_municipality(found: set[str]) -> set[str]:
        """A kreisfreie Stadt is in the reference data twice, as Kreis (05913) and as Gemeinde
        (05913000); the curated data names the Gemeinde (docs/model.md), so a name means that."""
        found = {i for i in found if (i + "000") not in found}
        plain = {i for i in found if "/area/gv-" not in i}  # a verbandsfreie Gemeinde's Gemeindeverband twin
        return plain or found

    def _matches_kind(self, iri: str, kind: str) -> bool:
        key = iri[len(_AREA):] if iri.startswith(_AREA) else ""
        if kind == "kreis":
            return len(key) == 5
        if kind == "stadt":
            return len(key) in (5, 8) and "kreis" not in self.entries[iri].detail.lower()
        return True

    def _pool(self, classes: set[str]) -> list[str]:
        """The names of resources of `classes` (cached: suggestions for many rows reuse it)."""
        key = frozenset(classes)
        pool = self._pools.get(key)
        if pool is None:
            pool = self._pools[key] = [k for k, iris in self.by_name.items()
                                       if any(self.has_class(i, classes) for i in iris)]
        return pool

    def _unknown(self, value: str, classes: set[str]) -> Resolution:
        pool = self._pool(classes)
        sugg = self._suggest(value, pool, lambda k: [self.entries[i].show() for i in self.by_name[k]
                                                     if self.has_class(i, classes)])
        did = did_you_mean(sugg)
        return Resolution(None, Msg(f"„{value}“ ist nicht bekannt.{did[0]}", f"“{value}” is not known.{did[1]}"), sugg)


def term(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)
