"""The template kinds, generated from the SHACL shapes, the ontology and the SKOS schemes of a store.

Why generated: a template written by hand drifts from the model the day a shape changes. Here a
kind names only its class, its IRI namespace and the few columns no single shape states (the
identifier, the class within the kind, the partners of a cooperation, a grant's amount); every other
column is one property shape of the node shapes targeting the class or a superclass: its header is
the property's rdfs:label (de and en), `required` its sh:minCount, `multi` the absence of
sh:maxCount 1, the allowed values the German prefLabels of the concept scheme its sh:node names.
Language-tagged text (rdfs:label, dct:description, hn:goal) gets one column per language.

A kind with `figures` (events) gets one column per concept of the scheme hnid:concept/figure-measure
(Teilnehmende, Kommunen, Anmeldungen, in the scheme's hn:order), headed by the concept's labels:
a filled cell ("rund 160") becomes a hn:StatedFigure of the row's resource (kg.graph.tabular.mapping),
so a concept added to the scheme is a column of the template the next time it is generated.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from kg.i18n import Msg
from kg.rdf import DCT, GRAPH_ONTOLOGY, GRAPH_SCHEMES, GRAPH_SHAPES, HN, HNID, RDF, RDFS, SH, SKOS, XSD

#: Properties the importer sets itself (provenance) or that a template does not offer.
_NOT_COLUMNS = {HN + "statedIn", HN + "evidence", HN + "hasParticipation", HN + "amount", HN + "sourceRow"}
_TEXT = {RDFS + "label", DCT + "description", HN + "goal"}
_DATES = {XSD + "date", XSD + "gYearMonth", XSD + "gYear"}
_NUMBERS = {XSD + "integer", XSD + "decimal"}
_AREA = HN + "AdministrativeArea"
_AGENTS = {HN + "Agent", HN + "Organisation", HN + "Person"}
#: The scheme whose concepts are the figure columns (what a stated figure counts: hn:measure).
FIGURE_MEASURES = HNID + "concept/figure-measure"


@dataclass(frozen=True)
class Column:
    """One template column: what its cells hold and how they map to RDF."""

    key: str  # stable name: "id", "type", "partners", a property's local name, "label@en"
    de: str
    en: str
    #: id | type | text | string | date | number | concept | area | agent | entity | partners | amount | currency
    #: | figure (a hn:StatedFigure of the row's resource; `measure` says what it counts)
    value: str
    predicate: str | None = None
    lang: str | None = None  # for text: the language tag of the values
    required: bool = False
    multi: bool = False
    scheme: str | None = None
    classes: frozenset[str] = frozenset()  # entity references: the classes a value may have
    choices: tuple[str, ...] = ()
    help_de: str = ""
    help_en: str = ""
    measure: str | None = None  # figure columns: the concept of hnid:concept/figure-measure

    def header(self, lang: str = "de") -> str:
        """"Deutsch (English)" (or the other way round for lang "en"), " *" if required."""
        a, b = (self.de, self.en) if lang != "en" else (self.en, self.de)
        return f"{a} ({b})" + (" *" if self.required else "")

    def names(self) -> set[str]:
        """Every header spelling that means this column (case-insensitive keys)."""
        out = {self.de, self.en, f"{self.de} ({self.en})", f"{self.en} ({self.de})"}
        return {n.casefold().strip() for n in out}

    @property
    def msg(self) -> Msg:
        return Msg(self.de, self.en)


@dataclass(frozen=True)
class KindDef:
    """What a kind states by hand: everything else comes from the shapes."""

    name: str
    cls: str
    de: str
    en: str
    namespace: str  # IRI prefix of new resources
    order: tuple[str, ...] = ()  # predicates (local names) shown first, in this order
    subclass_column: bool = False  # a "type" column offering the subclasses of `cls`
    extra: tuple[str, ...] = ()  # special columns: partners, amount
    figures: bool = False  # one column per concept of FIGURE_MEASURES (hn:StatedFigure of the row's resource)


KINDS: dict[str, KindDef] = {k.name: k for k in (
    KindDef("offers", HN + "Offer", "Angebote", "Offers", HNID + "offer/",
            ("label", "offerType", "lifePhase", "targetGroup", "provider", "areaServed", "minAge", "maxAge",
             "withinProgramme", "startDate", "endDate")),
    KindDef("organisations", HN + "Organisation", "Organisationen", "Organisations", HNID + "org/",
            ("label", "abbreviation", "orgType", "sector", "areaServed", "responsibleFor", "subOrganisationOf",
             "unitOf"), subclass_column=True),
    KindDef("projects", HN + "Project", "Projekte", "Projects", HNID + "project/",
            ("label", "abbreviation", "withinProgramme", "areaServed", "targetGroup", "topic", "responsibleBody",
             "startDate", "endDate")),
    KindDef("cooperations", HN + "Cooperation", "Kooperationen", "Cooperations", HNID + "cooperation/",
            ("label", "cooperationForm", "withinProgramme", "withinNetwork", "startDate", "endDate"),
            extra=("partners",)),
    KindDef("participations", HN + "Participation", "Mitwirkungen", "Participations", HNID + "participation/",
            ("participant", "role", "participationIn", "startDate", "endDate")),
    KindDef("events", HN + "Event", "Veranstaltungen", "Events", HNID + "event/",
            ("label", "startDate", "endDate", "location", "eventFormat", "attendanceMode", "organiser",
             "coOrganiser", "speaker", "moderator", "participantOrganisation", "inSeries", "subEventOf"),
            figures=True),
    KindDef("grants", HN + "Grant", "Zuwendungen", "Grants", HNID + "grant/",
            ("funder", "recipient", "fundedItem", "underProgramme", "startDate", "endDate"),
            extra=("amount", "currency")),
)}


@dataclass(frozen=True)
class Kind:
    """A kind with its generated columns."""

    definition: KindDef
    columns: tuple[Column, ...]
    subclasses: dict[str, str] = field(default_factory=dict)  # German label → class IRI

    @property
    def name(self) -> str:
        return self.definition.name

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)


def _local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _rows(store: Any, query: str) -> list[Any]:
    return list(store.query(query))


def _labels(store: Any, iri: str) -> tuple[str, str]:
    de = en = ""
    for r in store.query(f"SELECT ?l WHERE {{ GRAPH ?g {{ <{iri}> <{RDFS}label> ?l }} }}"):
        if r["l"].language == "de":
            de = r["l"].value
        elif r["l"].language == "en":
            en = r["l"].value
    return de or _local(iri), en or de or _local(iri)


def _property_shapes(store: Any, cls: str) -> dict[str, dict[str, Any]]:
    """Per path: the merged facts of every property shape of a node shape targeting `cls` or a superclass."""
    q = f"""PREFIX sh: <{SH}> PREFIX rdfs: <{RDFS}> PREFIX rdf: <{RDF}> PREFIX skos: <{SKOS}>
    SELECT ?path ?min ?max ?class ?dt ?scheme ?altdt ?altclass ?name WHERE {{
      {{ SELECT ?c WHERE {{ GRAPH <{GRAPH_ONTOLOGY}> {{ <{cls}> rdfs:subClassOf* ?c }} }} }}
      UNION {{ BIND(<{cls}> AS ?c) }}
      GRAPH <{GRAPH_SHAPES}> {{
        ?ns sh:targetClass ?c ; sh:property ?ps . ?ps sh:path ?path . FILTER(isIRI(?path))
        OPTIONAL {{ ?ps sh:name ?name }}
        OPTIONAL {{ ?ps sh:minCount ?min }} OPTIONAL {{ ?ps sh:maxCount ?max }}
        OPTIONAL {{ ?ps sh:class ?class }} OPTIONAL {{ ?ps sh:datatype ?dt }}
        OPTIONAL {{ ?ps sh:node/sh:property ?cp . ?cp sh:path skos:inScheme ; sh:hasValue ?scheme }}
        OPTIONAL {{ ?ps sh:or/rdf:rest*/rdf:first ?alt . OPTIONAL {{ ?alt sh:datatype ?altdt }}
                   OPTIONAL {{ ?alt sh:class ?altclass }} }}
      }}
    }}"""
    out: dict[str, dict[str, Any]] = {}
    for r in _rows(store, q):
        p = r["path"].value
        d = out.setdefault(p, {"min": 0, "max": None, "classes": set(), "datatypes": set(), "scheme": None,
                               "names": {}})
        if r["name"] is not None:
            d["names"][r["name"].language] = r["name"].value
        if r["min"] is not None:
            d["min"] = max(d["min"], int(r["min"].value))
        if r["max"] is not None:
            m = int(r["max"].value)
            d["max"] = m if d["max"] is None else min(d["max"], m)
        for k in ("class", "altclass"):
            if r[k] is not None:
                d["classes"].add(r[k].value)
        for k in ("dt", "altdt"):
            if r[k] is not None:
                d["datatypes"].add(r[k].value)
        if r["scheme"] is not None:
            d["scheme"] = r["scheme"].value
    return out


def _column(store: Any, path: str, facts: dict[str, Any], resolver_choices: Any) -> list[Column]:
    de, en = _labels(store, path)
    de, en = facts["names"].get("de", de), facts["names"].get("en", en)  # the shape's sh:name first
    required = facts["min"] >= 1
    multi = facts["max"] != 1
    key = _local(path)
    dts, classes = facts["datatypes"], facts["classes"]
    if path in _TEXT:
        return [Column(key, de, en, "text", path, "de", required, multi),
                Column(f"{key}@en", f"{de} englisch", f"{en} in English", "text", path, "en", False, multi)]
    if facts["scheme"]:
        return [Column(key, de, en, "concept", path, required=required, multi=multi, scheme=facts["scheme"],
                       choices=tuple(resolver_choices(facts["scheme"])))]
    if dts and dts <= _DATES:
        return [Column(key, de, en, "date", path, required=required)]
    if dts and dts <= _NUMBERS:
        return [Column(key, de, en, "number", path, required=required)]
    if classes == {_AREA}:
        return [Column(key, de, en, "area", path, required=required, multi=multi, classes=frozenset(classes))]
    if classes and classes <= _AGENTS:
        return [Column(key, de, en, "agent", path, required=required, multi=multi, classes=frozenset(classes))]
    if classes:
        return [Column(key, de, en, "entity", path, required=required, multi=multi, classes=frozenset(classes))]
    if dts == {XSD + "string"}:
        return [Column(key, de, en, "string", path, required=required, multi=multi)]
    return []


def _subclasses(store: Any, cls: str) -> dict[str, str]:
    q = f"""PREFIX rdfs: <{RDFS}> SELECT ?c ?l WHERE {{ GRAPH <{GRAPH_ONTOLOGY}> {{
        ?c rdfs:subClassOf* <{cls}> . ?c rdfs:label ?l FILTER(lang(?l) = "de") }} }} ORDER BY ?l"""
    return {r["l"].value: r["c"].value for r in _rows(store, q)}


def _concept_choices(store: Any) -> Any:
    cache: dict[str, list[str]] = {}

    def choices(scheme: str) -> list[str]:
        if scheme not in cache:
            q = f"""PREFIX skos: <{SKOS}> PREFIX hn: <{HN}> SELECT ?c ?l ?o WHERE {{ GRAPH <{GRAPH_SCHEMES}> {{
                ?c skos:inScheme <{scheme}> ; skos:prefLabel ?l FILTER(lang(?l) = "de")
                OPTIONAL {{ ?c hn:order ?o }} }} }}
                ORDER BY ?o ?l"""
            cache[scheme] = [r["l"].value for r in _rows(store, q)]
        return cache[scheme]
    return choices


_ID = Column("id", "Kennung", "identifier", "id",
             help_de="Leer lassen für neue Einträge (die Kennung wird aus der Bezeichnung gebildet) oder die IRI bzw. "
                     "Kurzkennung eines bestehenden Eintrags, der aktualisiert werden soll.",
             help_en="Leave empty for new entries (the identifier is made from the label), or the IRI or short "
                     "identifier of an existing entry to update.")


def kind(store: Any, name: str) -> Kind:
    """The kind `name` with its columns generated from the store's shapes, ontology and schemes."""
    from kg.errors import KgError

    d = KINDS.get(name)
    if d is None:
        raise KgError(f"unknown template kind {name!r} (one of: {', '.join(KINDS)})",
                      de=f"Unbekannte Vorlagenart {name!r} (eine von: {', '.join(KINDS)})")
    choices = _concept_choices(store)
    cols: list[Column] = [_ID]
    subclasses: dict[str, str] = {}
    if d.subclass_column:
        subclasses = _subclasses(store, d.cls)
        cols.append(Column("type", "Art", "kind", "type", RDF + "type", choices=tuple(subclasses)))
    generated: list[Column] = []
    for path, facts in _property_shapes(store, d.cls).items():
        if path in _NOT_COLUMNS:
            continue
        generated.extend(_column(store, path, facts, choices))
    rank = {k: i for i, k in enumerate(d.order)}
    generated.sort(key=lambda c: (rank.get(c.key.split("@")[0], len(rank)), c.key.split("@")[0], c.key))
    cols.extend(generated)
    if "partners" in d.extra:
        cols.append(Column("partners", "Partner und Rollen", "partners and roles", "partners", HN + "hasParticipation",
                           required=True, multi=True, scheme=HNID + "concept/role",
                           choices=tuple(choices(HNID + "concept/role")),
                           help_de="Je Partner „Name [Rolle, Rolle]“, mehrere durch „;“ getrennt, z. B. "
                                   "„Kreis Recklinghausen [Kooperationspartner]; Gladbeck [Projektpartner]“.",
                           help_en="Per partner \"name [role, role]\", several separated by \";\"."))
    if "amount" in d.extra:
        cols.append(Column("amount", "Betrag", "amount", "amount", HN + "amountValue"))
        cols.append(Column("currency", "Währung", "currency", "currency", HN + "currency",
                           help_de="ISO 4217, z. B. EUR (Vorgabe, wenn ein Betrag angegeben ist).",
                           help_en="ISO 4217, e.g. EUR (the default when an amount is given)."))
    if d.figures:
        cols.extend(figure_columns(store))
    cols = [_with_help(c) for c in cols]
    return Kind(d, tuple(cols), subclasses)


def figure_columns(store: Any) -> list[Column]:
    """One column per concept of hnid:concept/figure-measure, in hn:order, headed by its prefLabels."""
    q = f"""PREFIX skos: <{SKOS}> PREFIX hn: <{HN}> SELECT ?c ?de ?en WHERE {{ GRAPH <{GRAPH_SCHEMES}> {{
        ?c skos:inScheme <{FIGURE_MEASURES}> ; skos:prefLabel ?de FILTER(lang(?de) = "de")
        OPTIONAL {{ ?c skos:prefLabel ?en FILTER(lang(?en) = "en") }} OPTIONAL {{ ?c hn:order ?o }} }} }}
        ORDER BY ?o ?de"""
    out = []
    for r in _rows(store, q):
        c, de = r["c"].value, r["de"].value
        en = r["en"].value if r["en"] is not None else de
        out.append(Column(f"figure:{_local(c)}", de, en, "figure", measure=c,
                          help_de=f"Anzahl „{de}“, wie sie genannt wird: 120, rund 160, ca. 150, mehr als 200, "
                                  "über 200, bis zu 80, mindestens 30 oder eine Spanne 100–120 (ganze Zahlen; "
                                  "„1.000“ ist tausend). Gespeichert als Zahlenangabe mit dem Zelltext als Beleg; "
                                  "eine geleerte Zelle entfernt sie.",
                          help_en=f"Number of “{en}” as stated: 120, about 160, ca. 150, more than 200, up to 80, "
                                  "at least 30, or a range 100–120 (whole numbers; “1.000” is a thousand). Stored "
                                  "as a stated figure with the cell's text as its evidence; clearing the cell "
                                  "removes it."))
    return out


def _with_help(c: Column) -> Column:
    if c.help_de:
        return c
    texts = {
        "text": ("Text.", "Text."),
        "string": ("Text ohne Sprachangabe.", "Plain text."),
        "date": ("Datum: 31.12.2024, 2024-12-31, 12/2024 oder nur das Jahr.",
                 "Date: 31.12.2024, 2024-12-31, 12/2024 or just the year."),
        "number": ("Zahl (Dezimalkomma erlaubt).", "Number (decimal comma allowed)."),
        "concept": ("Ein Wert aus der Liste.", "A value from the list."),
        "area": ("Gebiet: amtlicher Schlüssel (AGS/ARS) oder eindeutiger Name, z. B. 05562014 oder „Stadt Gladbeck“.",
                 "Area: official key (AGS/ARS) or an unambiguous name, e.g. 05562014 or \"Stadt Gladbeck\"."),
        "agent": ("Organisation, Person oder Kommune: Name, Abkürzung, IRI oder amtlicher Schlüssel.",
                  "Organisation, person or municipality: name, abbreviation, IRI or official key."),
        "entity": ("Name oder IRI eines Eintrags im Graphen.", "Name or IRI of an entry of the graph."),
        "type": ("Die Art der Organisation (Liste).", "The kind of organisation (list)."),
    }
    de, en = texts.get(c.value, ("", ""))
    if c.multi and c.value != "text":
        de, en = de + " Mehrere Werte durch „;“ trennen.", en + " Separate several values by \";\"."
    elif c.multi:
        de += " Mehrere Texte in eigenen Zeilen der Zelle."
        en += " Several texts on separate lines of the cell."
    return replace(c, help_de=de, help_en=en)


def all_kinds() -> list[str]:
    return list(KINDS)
