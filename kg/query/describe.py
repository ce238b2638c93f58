"""What the description of one resource holds — the single source every format is rendered from.

Why one module: Turtle, N-Triples, RDF/XML, JSON-LD and the HTML page must say the same thing
about a resource (issue 5: "consistently across formats"). So the description is computed once,
as a set of quads from the store, and every renderer only *formats* it.

A description of IRI `r` holds
- `r`'s own statements in every named graph (asserted and inferred),
- the closure of blank nodes it points to and its `hn:evidence` nodes (quote, source, property),
- the incoming links `?s ?p r` (sorted, paginated: an area can have thousands),
- the full statements of *dependent* incoming nodes — n-ary nodes that only exist to say something
  about `r` (`hn:Participation`, `hn:StatedFigure`) — so a crawler can go
  programme → participation → municipality,
- labels (`rdfs:label`, `skos:prefLabel`, `dct:title`) of every resource linked from any of the above,
- the description of every source document stating it (provenance).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import pyoxigraph as ox

from kg import rdf as ns

RDF_TYPE = ox.NamedNode(ns.RDF_TYPE)
RDFS_LABEL = ox.NamedNode(ns.RDFS_LABEL)
SKOS_PREFLABEL = ox.NamedNode(ns.SKOS_PREFLABEL)
DCT_TITLE = ox.NamedNode(ns.DCT_TITLE)
HN_DISPLAY_LABEL = ox.NamedNode(ns.HN_DISPLAY_LABEL)
#: In order of preference for people: the display label (told apart, "Gladbeck (Gemeindeverband)")
#: first, then rdfs:label, skos:prefLabel, dct:title.
LABEL_PROPERTIES: tuple[ox.NamedNode, ...] = (HN_DISPLAY_LABEL, RDFS_LABEL, SKOS_PREFLABEL, DCT_TITLE)
INFERRED_GRAPH = ox.NamedNode(ns.GRAPH_INFERRED)

HN_STATED_IN = ox.NamedNode(ns.HN + "statedIn")
HN_EVIDENCE = ox.NamedNode(ns.HN + "evidence")
HN_IN_SOURCE = ox.NamedNode(ns.HN + "inSource")
SOURCE_PROPERTIES: tuple[ox.NamedNode, ...] = (
    DCT_TITLE,
    ox.NamedNode(ns.DCT + "publisher"),
    ox.NamedNode(ns.DCT + "issued"),
    ox.NamedNode(ns.HN + "fileName"),
    ox.NamedNode(ns.DCT + "license"),
    ox.NamedNode(ns.CC + "attributionText"),
    RDF_TYPE,
)

#: Classes of incoming nodes whose whole statement set belongs to the description of what they
#: point to (they are n-ary relations or measurements of it, without a life of their own).
DEPENDENT_CLASSES: frozenset[str] = frozenset(
    {ns.HN + "Participation", ns.HN + "StatedFigure", ns.HN + "Evidence"}
)

#: Default cap on incoming links in machine-readable descriptions. Large enough for every programme
#: and network in the data, small enough that a Land or a popular concept answers quickly.
DEFAULT_INCOMING_LIMIT = 2000

Term = ox.NamedNode | ox.BlankNode | ox.Literal


@dataclass
class Description:
    """The quads describing one resource, split by why they are there."""

    iri: str
    own: list[ox.Quad] = field(default_factory=list)
    nested: list[ox.Quad] = field(default_factory=list)
    incoming: list[ox.Quad] = field(default_factory=list)
    incoming_total: int = 0
    incoming_offset: int = 0
    dependents: list[ox.Quad] = field(default_factory=list)
    labels: list[ox.Quad] = field(default_factory=list)
    sources: list[ox.Quad] = field(default_factory=list)
    #: incoming triples left out as inferred copies of an asserted link (HTML only, see describe)
    incoming_hidden: int = 0
    #: asserted (not inferred) classes of the resource and of every linked resource: the pages tell
    #: equal labels apart by them ("Gladbeck, Stadt (Gemeinde)" / "(Gemeindeverband)"). Not part of
    #: `quads()`: the RDF formats keep saying exactly what they said.
    kinds: dict[str, set[str]] = field(default_factory=dict)

    @property
    def node(self) -> ox.NamedNode:
        return ox.NamedNode(self.iri)

    def quads(self) -> Iterator[ox.Quad]:
        """Every quad of the description (duplicates across parts possible)."""
        for part in (self.own, self.nested, self.incoming, self.dependents, self.labels, self.sources):
            yield from part

    def triples(self) -> list[ox.Triple]:
        """The description as a deduplicated, stably ordered triple list (graphs dropped)."""
        seen: dict[ox.Triple, None] = {}
        for q in self.quads():
            seen.setdefault(q.triple, None)
        node = self.node
        # The resource first, then everything else grouped by subject (readable Turtle).
        return sorted(seen, key=lambda t: (t.subject != node, str(t.subject), str(t.predicate), str(t.object)))

    def graphs(self) -> list[str]:
        """Named graphs holding the resource's own statements (where it is stated)."""
        return sorted({q.graph_name.value for q in self.own if isinstance(q.graph_name, ox.NamedNode)})

    @property
    def incoming_truncated(self) -> bool:
        return self.incoming_offset > 0 or self.incoming_offset + len(
            {q.triple for q in self.incoming}
        ) < self.incoming_total


def _quads(store: ox.Store, s: ox.NamedNode | ox.BlankNode | None = None, p: ox.NamedNode | None = None,
           o: ox.NamedNode | ox.BlankNode | ox.Literal | None = None) -> list[ox.Quad]:
    return list(store.quads_for_pattern(s, p, o, None))


def exists(store: ox.Store, iri: str) -> bool:
    """True if the store says anything about `iri` or links to it (so it is worth a page).
    A string that is not a valid IRI (e.g. `<` from a hand-typed URL) exists nowhere."""
    try:
        node = ox.NamedNode(iri)
    except ValueError:
        return False
    for _ in store.quads_for_pattern(node, None, None, None):
        return True
    for _ in store.quads_for_pattern(None, None, node, None):
        return True
    return False


def _closure(store: ox.Store, starts: Iterable[ox.BlankNode | ox.NamedNode], seen: set[Term]) -> list[ox.Quad]:
    """Statements of `starts` and, recursively, of the blank nodes they point to."""
    out: list[ox.Quad] = []
    todo = [s for s in starts if s not in seen]
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for q in store.quads_for_pattern(node, None, None, None):
            out.append(q)
            if isinstance(q.object, ox.BlankNode) and q.object not in seen:
                todo.append(q.object)
    return out


def _types(store: ox.Store, node: ox.NamedNode | ox.BlankNode) -> set[str]:
    return {q.object.value for q in store.quads_for_pattern(node, RDF_TYPE, None, None)}


def describe(
    store: ox.Store,
    iri: str,
    *,
    incoming_offset: int = 0,
    incoming_limit: int | None = DEFAULT_INCOMING_LIMIT,
    for_people: bool = False,
) -> Description | None:
    """The description of `iri`, or None if the store neither describes nor links to it.

    Incoming links are sorted by (property, subject) and cut to
    `[incoming_offset, incoming_offset + incoming_limit)`; `incoming_total` says how many exist.

    `for_people` (the HTML page): an incoming triple stated only in the inferred graph whose subject
    already links here by an asserted triple (`cv:hasParticipant` beside `hn:participant`) is left
    out *before* paging — otherwise a page of 50 could hold the inferred copy while its asserted
    original sits on the next page (Kreis Recklinghausen: 23 of 55 incoming triples are such
    copies). The asserted and inferred classes of linked resources are read into `kinds`.
    """
    if not exists(store, iri):
        return None
    node = ox.NamedNode(iri)
    d = Description(iri=iri, incoming_offset=incoming_offset)
    d.own = _quads(store, node)

    seen: set[Term] = {node}
    bnodes = [q.object for q in d.own if isinstance(q.object, ox.BlankNode)]
    evidence = [q.object for q in d.own if q.predicate == HN_EVIDENCE and isinstance(q.object, ox.NamedNode)]
    d.nested = _closure(store, [*bnodes, *evidence], seen)

    # Incoming links: one entry per distinct triple (the same link may sit in several graphs).
    by_triple: dict[ox.Triple, list[ox.Quad]] = {}
    for q in store.quads_for_pattern(None, None, node, None):
        if q.subject == node or q.graph_name == _CHANGES:  # the history links by /changes?resource=
            continue
        by_triple.setdefault(q.triple, []).append(q)
    if for_people:
        asserted_subjects = {t.subject for t, qs in by_triple.items()
                             if any(q.graph_name != INFERRED_GRAPH for q in qs)}
        hn_subjects = {t.subject for t in by_triple if t.predicate.value.startswith(ns.HN)}
        copies = [t for t, qs in by_triple.items()
                  if all(q.graph_name == INFERRED_GRAPH for q in qs)
                  and (t.subject in asserted_subjects
                       or (not t.predicate.value.startswith(ns.HN) and t.subject in hn_subjects))]
        for t in copies:
            del by_triple[t]
        d.incoming_hidden = len(copies)
    ordered = sorted(by_triple, key=lambda t: (t.predicate.value, str(t.subject)))
    d.incoming_total = len(ordered)
    end = None if incoming_limit is None else incoming_offset + incoming_limit
    page = ordered[incoming_offset:end]
    d.incoming = [q for t in page for q in by_triple[t]]

    dependent_subjects = []
    for t in page:
        s = t.subject
        if s in seen or not isinstance(s, (ox.NamedNode, ox.BlankNode)):
            continue
        if _types(store, s) & DEPENDENT_CLASSES:
            dependent_subjects.append(s)
    d.dependents = _closure(store, dependent_subjects, seen)
    evidence2 = [
        q.object
        for q in d.dependents
        if q.predicate == HN_EVIDENCE and isinstance(q.object, ox.NamedNode) and q.object not in seen
    ]
    d.dependents += _closure(store, evidence2, seen)

    # Provenance: the source documents stating the resource or its evidence.
    body = [*d.own, *d.nested, *d.dependents]
    sources = {
        q.object
        for q in body
        if q.predicate in (HN_STATED_IN, HN_IN_SOURCE) and isinstance(q.object, ox.NamedNode)
    }
    for src in sorted(sources, key=lambda n: n.value):
        for prop in SOURCE_PROPERTIES:
            d.sources.extend(store.quads_for_pattern(src, prop, None, None))

    # Labels of every linked resource (objects of the body, subjects of incoming links).
    linked: set[ox.NamedNode] = set()
    for q in body:
        if isinstance(q.object, ox.NamedNode) and q.predicate != RDF_TYPE:
            linked.add(q.object)
        if isinstance(q.subject, ox.NamedNode):
            linked.add(q.subject)
    for q in d.incoming:
        if isinstance(q.subject, ox.NamedNode):
            linked.add(q.subject)
    linked -= {node}
    linked -= sources
    for target in sorted(linked, key=lambda n: n.value):
        for prop in LABEL_PROPERTIES:
            d.labels.extend(store.quads_for_pattern(target, prop, None, None))
    if for_people:
        for target in [node, *linked]:
            kinds = {q.object.value for q in store.quads_for_pattern(target, RDF_TYPE, None, None)
                     if q.graph_name != INFERRED_GRAPH and isinstance(q.object, ox.NamedNode)}
            if kinds:
                d.kinds[target.value] = kinds
    return d


# --- vocabulary: labels of classes, properties and concepts (for pages, not for descriptions) ---

SCHEMA = ns.SCHEMA
_CHANGES = ox.NamedNode(ns.GRAPH_CHANGES)
_VOCAB_GRAPHS = (ns.GRAPH_ONTOLOGY, ns.GRAPH_ALIGNMENT, ns.GRAPH_SCHEMES)

_VOCAB_LABELS = """
SELECT ?s ?l WHERE {
  VALUES ?g { %s }
  GRAPH ?g { ?s ?lp ?l }
  VALUES ?lp { <http://www.w3.org/2000/01/rdf-schema#label> <http://www.w3.org/2004/02/skos/core#prefLabel> }
  FILTER(isIRI(?s) && isLiteral(?l))
}
""" % " ".join(f"<{g}>" for g in _VOCAB_GRAPHS)

_SCHEMA_MAP = """
SELECT ?c ?t WHERE {
  VALUES ?g { %s }
  GRAPH ?g { ?c ?rel ?t }
  VALUES ?rel { <http://www.w3.org/2000/01/rdf-schema#subClassOf> <http://www.w3.org/2000/01/rdf-schema#subPropertyOf>
                <http://www.w3.org/2004/02/skos/core#closeMatch> <http://www.w3.org/2004/02/skos/core#exactMatch>
                <http://www.w3.org/2002/07/owl#equivalentClass> <http://www.w3.org/2002/07/owl#equivalentProperty> }
  FILTER(isIRI(?t) && STRSTARTS(STR(?t), "http://schema.org/"))
}
""" % " ".join(f"<{g}>" for g in _VOCAB_GRAPHS)


_VOCAB_INVERSE = """
SELECT ?p ?l WHERE {
  VALUES ?g { %s }
  { GRAPH ?g { ?p <%s> ?l } }
  UNION { GRAPH ?g { ?p <%s> ?q } GRAPH ?g2 { ?q <%s> ?l } }
  UNION { GRAPH ?g { ?q <%s> ?p } GRAPH ?g2 { ?q <%s> ?l } }
  FILTER(isIRI(?p) && isLiteral(?l))
}
""" % (" ".join(f"<{g}>" for g in _VOCAB_GRAPHS), ns.HN_INVERSE_LABEL, ns.OWL_INVERSE_OF, ns.RDFS_LABEL,
       ns.OWL_INVERSE_OF, ns.RDFS_LABEL)

_VOCAB_STRUCTURE = """
SELECT ?s ?rel ?o WHERE {
  VALUES ?g { %s }
  VALUES ?rel { <%s> <%s> }
  GRAPH ?g { ?s ?rel ?o }
  FILTER(isIRI(?s) && isIRI(?o))
}
""" % (" ".join(f"<{g}>" for g in _VOCAB_GRAPHS), ns.RDFS_SUBCLASSOF, ns.RDFS_RANGE)


@dataclass
class Vocabulary:
    """Labels of the project's terms by language, and their schema.org counterparts; for the pages
    also how a property reads backwards (`inverse`), its ranges and the class hierarchy."""

    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    schema: dict[str, list[str]] = field(default_factory=dict)
    inverse: dict[str, dict[str, str]] = field(default_factory=dict)
    ranges: dict[str, set[str]] = field(default_factory=dict)
    parents: dict[str, set[str]] = field(default_factory=dict)

    def inverse_label(self, iri: str, lang: str) -> str | None:
        """How property `iri` reads from its object ("hat Teilnehmer"); None if the ontology says not."""
        return _in_lang(self.inverse.get(iri), lang)

    def ancestors(self, cls: str) -> set[str]:
        """Every superclass of `cls` (transitively, without `cls`)."""
        out: set[str] = set()
        todo = list(self.parents.get(cls, ()))
        while todo:
            c = todo.pop()
            if c not in out:
                out.add(c)
                todo.extend(self.parents.get(c, ()))
        out.discard(cls)
        return out

    def most_specific(self, classes: Iterable[str]) -> list[str]:
        """The classes of `classes` that are no superclass of another one (District under UrbanDistrict
        drops out), sorted."""
        cs = set(classes)
        supers: set[str] = set()
        for c in cs:
            supers |= self.ancestors(c)
        return sorted(cs - supers)

    def label(self, iri: str, lang: str) -> str | None:
        """Label in `lang`, else German, else English, else any; None if the term has none."""
        return _in_lang(self.labels.get(iri), lang)


def _in_lang(by_lang: dict[str, str] | None, lang: str) -> str | None:
    """The text in `lang`, else German, else English, else untagged, else any; None if there is none."""
    if not by_lang:
        return None
    for candidate in (lang, "de", "en", ""):
        if candidate in by_lang:
            return by_lang[candidate]
    return next(iter(by_lang.values()))


def _select(store: ox.Store, query: str) -> ox.QuerySolutions:
    """The solutions of a SELECT query (the one place that narrows pyoxigraph's result type)."""
    result = store.query(query)
    assert isinstance(result, ox.QuerySolutions)
    return result


def load_vocabulary(store: ox.Store) -> Vocabulary:
    """Read the vocabulary graphs once (a few thousand triples)."""
    v = Vocabulary()
    for row in _select(store, _VOCAB_LABELS):
        lit = row["l"]
        v.labels.setdefault(row["s"].value, {}).setdefault(lit.language or "", lit.value)
    for row in _select(store, _SCHEMA_MAP):
        v.schema.setdefault(row["c"].value, []).append(row["t"].value)
    for row in _select(store, _VOCAB_INVERSE):
        lit = row["l"]
        v.inverse.setdefault(row["p"].value, {}).setdefault(lit.language or "", lit.value)
    for row in _select(store, _VOCAB_STRUCTURE):
        target = v.parents if row["rel"].value == ns.RDFS_SUBCLASSOF else v.ranges
        target.setdefault(row["s"].value, set()).add(row["o"].value)
    return v


class VocabularyCache:
    """One Vocabulary per store state.

    Why a version key: every HTML page needs the vocabulary, and the old key `len(store)` counted
    all quads on each request (a full RocksDB scan, ~60 ms CPU at 467 k quads, a quarter of the
    main process under load). Callers that know the store version (the server) pass it; without
    one the key falls back to the store object and its size."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entry: tuple[tuple[int, object], Vocabulary] | None = None

    def get(self, store: ox.Store, version: str | None = None) -> Vocabulary:
        key = (id(store), version if version is not None else len(store))
        entry = self._entry
        if entry is not None and entry[0] == key:
            return entry[1]
        with self._lock:  # one load per version, not one per waiting request
            entry = self._entry
            if entry is None or entry[0] != key:
                entry = (key, load_vocabulary(store))
                self._entry = entry
            return entry[1]


# --- concept scheme trees ---

SKOS = ns.SKOS


@dataclass
class ConceptNode:
    """A concept with its labels and narrower concepts (a tree for browsing)."""

    iri: str
    labels: dict[str, str]
    notation: str | None = None
    order: int | None = None
    children: list[ConceptNode] = field(default_factory=list)


def concept_tree(store: ox.Store, scheme: str) -> list[ConceptNode]:
    """The concepts of `scheme` as a forest along skos:broader (top concepts first level).

    A concept without a broader concept in the same scheme is a root, so schemes that do not state
    skos:hasTopConcept still come out as trees. Order: `hn:order` if given, else label.
    """
    rows = store.query(
        """SELECT ?c ?l ?n ?o ?b WHERE {
             ?c <%sinScheme> <%s> .
             OPTIONAL { ?c <%sprefLabel> ?l }
             OPTIONAL { ?c <%snotation> ?n }
             OPTIONAL { ?c <%sorder> ?o }
             OPTIONAL { ?c <%sbroader> ?b . ?b <%sinScheme> <%s> }
           }"""
        % (SKOS, scheme, SKOS, SKOS, ns.HN, SKOS, SKOS, scheme),
        use_default_graph_as_union=True,
    )
    nodes: dict[str, ConceptNode] = {}
    parents: dict[str, set[str]] = {}
    for row in rows:
        c = row["c"].value
        n = nodes.setdefault(c, ConceptNode(c, {}))
        if row["l"] is not None:
            n.labels.setdefault(row["l"].language or "", row["l"].value)
        if row["n"] is not None:
            n.notation = row["n"].value
        if row["o"] is not None:
            try:
                n.order = int(row["o"].value)
            except ValueError:
                pass
        if row["b"] is not None and row["b"].value != c:
            parents.setdefault(c, set()).add(row["b"].value)

    def key(n: ConceptNode) -> tuple[int, str]:
        return (n.order if n.order is not None else 1 << 30, n.labels.get("de") or n.labels.get("en") or n.iri)

    roots: list[ConceptNode] = []
    for c, n in nodes.items():
        ps = [p for p in parents.get(c, ()) if p in nodes]
        if ps:
            for p in ps:
                nodes[p].children.append(n)
        else:
            roots.append(n)
    for n in nodes.values():
        n.children.sort(key=key)
    roots.sort(key=key)
    return roots


# --- the ontology, term by term (for the /ontology documentation page) ---

OWL = ns.OWL
RDFS = ns.RDFS

_TERM_KINDS: dict[str, str] = {
    OWL + "Class": "class",
    RDFS + "Class": "class",
    OWL + "ObjectProperty": "property",
    OWL + "DatatypeProperty": "property",
    OWL + "AnnotationProperty": "property",
    RDF_TYPE.value.replace("type", "Property"): "property",
}


@dataclass
class OntologyTerm:
    """One class or property of the hn: namespace with everything the documentation shows."""

    iri: str
    kind: str  # "class" | "property"
    labels: dict[str, str] = field(default_factory=dict)
    definitions: dict[str, str] = field(default_factory=dict)
    comments: dict[str, str] = field(default_factory=dict)
    owl_types: list[str] = field(default_factory=list)
    parents: list[str] = field(default_factory=list)  # hn: super classes / properties
    domain: list[str] = field(default_factory=list)
    range: list[str] = field(default_factory=list)
    alignments: list[tuple[str, str]] = field(default_factory=list)  # (relation IRI, external IRI)

    @property
    def local(self) -> str:
        return self.iri[len(ns.HN):]


def ontology_terms(store: ox.Store) -> list[OntologyTerm]:
    """Every hn: class and property in the ontology and alignment graphs, classes first."""
    terms: dict[str, OntologyTerm] = {}
    graphs = [ox.NamedNode(ns.GRAPH_ONTOLOGY), ox.NamedNode(ns.GRAPH_ALIGNMENT)]
    for g in graphs:
        for q in store.quads_for_pattern(None, RDF_TYPE, None, g):
            s, t = q.subject, q.object.value
            if isinstance(s, ox.NamedNode) and s.value.startswith(ns.HN) and t in _TERM_KINDS:
                term = terms.setdefault(s.value, OntologyTerm(s.value, _TERM_KINDS[t]))
                if t not in term.owl_types:
                    term.owl_types.append(t)
    for iri, term in terms.items():
        node = ox.NamedNode(iri)
        for g in graphs:
            for q in store.quads_for_pattern(node, None, None, g):
                p, o = q.predicate.value, q.object
                if isinstance(o, ox.Literal):
                    target = {RDFS + "label": term.labels, SKOS + "definition": term.definitions,
                              RDFS + "comment": term.comments}.get(p)
                    if target is not None:
                        target.setdefault(o.language or "", o.value)
                    continue
                if not isinstance(o, ox.NamedNode):
                    continue
                if p in (RDFS + "subClassOf", RDFS + "subPropertyOf") and o.value.startswith(ns.HN):
                    term.parents.append(o.value)
                elif p == RDFS + "domain":
                    term.domain.append(o.value)
                elif p == RDFS + "range":
                    term.range.append(o.value)
                elif p in (RDFS + "subClassOf", RDFS + "subPropertyOf", SKOS + "closeMatch",
                           SKOS + "exactMatch", SKOS + "broadMatch", SKOS + "narrowMatch",
                           OWL + "equivalentClass", OWL + "equivalentProperty") and not o.value.startswith(ns.HN):
                    term.alignments.append((p, o.value))
    for term in terms.values():
        for lst in (term.parents, term.domain, term.range):
            lst.sort()
        term.alignments = sorted(set(term.alignments))
    return sorted(terms.values(), key=lambda t: (t.kind != "class", t.local.lower()))


def concept_schemes(store: ox.Store) -> list[tuple[str, dict[str, str], dict[str, str]]]:
    """(IRI, labels by language, definitions by language) of every skos:ConceptScheme."""
    out: dict[str, tuple[dict[str, str], dict[str, str]]] = {}
    for q in store.quads_for_pattern(None, RDF_TYPE, ox.NamedNode(SKOS + "ConceptScheme"), None):
        if not isinstance(q.subject, ox.NamedNode):
            continue
        labels, defs = out.setdefault(q.subject.value, ({}, {}))
        for lq in store.quads_for_pattern(q.subject, None, None, None):
            if isinstance(lq.object, ox.Literal):
                if lq.predicate.value in (SKOS + "prefLabel", RDFS + "label"):
                    labels.setdefault(lq.object.language or "", lq.object.value)
                elif lq.predicate.value in (ns.SKOS_DEFINITION, ns.DCT_DESCRIPTION):
                    defs.setdefault(lq.object.language or "", lq.object.value)
    return [(iri, labels, defs) for iri, (labels, defs) in sorted(out.items())]


def ontology_header(store: ox.Store) -> list[ox.Quad]:
    """The owl:Ontology node's statements (title, version, licence)."""
    return list(store.quads_for_pattern(ox.NamedNode(ns.ONTOLOGY_IRI), None, None, None))
