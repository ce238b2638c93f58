"""Materialise the inferred graph (hnid:graph/inferred) inside the store (SPARQL + bulk insert).

pyoxigraph has no reasoner, and analysts should not have to write `rdf:type/rdfs:subClassOf*`
in every query. So the build adds, once, the triples a query for a superclass or superproperty
needs, plus the derived shortcuts of docs/model.md:

1. hn:cooperatesWith (symmetric) between two distinct participants of the same hn:Cooperation, and
   hn:participatesIn from a participant to the context of its hn:Participation;
2. ?s ?super ?o for every asserted or derived ?s ?p ?o with ?p rdfs:subPropertyOf+ ?super;
3. ?x rdf:type ?super for every ?x rdf:type ?c with ?c rdfs:subClassOf+ ?super.

Subclass/subproperty axioms come only from the ontology and alignment graphs (FROM), the facts
from every other graph except the shapes (FROM NAMED), and only triples not already asserted in
any graph are added. Everything runs inside pyoxigraph (SPARQL + bulk insert, no rdflib).

After a write (kg.graph.write) the same rules are evaluated per subject (`derived_for`) for the
subjects the change can affect (`affected_subjects`), so the inferred graph stays equal to a
fresh `infer` without the ~7 s of CPU a full recomputation costs on the real store.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import pyoxigraph as ox

from kg import rdf as ns

RDF_TYPE = ns.RDF_TYPE
SUBCLASS = ns.RDFS_SUBCLASSOF
SUBPROP = ns.RDFS_SUBPROPERTYOF

AXIOM_GRAPHS: tuple[str, ...] = (ns.GRAPH_ONTOLOGY, ns.GRAPH_ALIGNMENT)
# graphs whose content is not about the world and must not produce inferred facts (the change
# history, kg.graph.changes, included)
NON_FACT_GRAPHS: tuple[str, ...] = (ns.GRAPH_SHAPES, ns.GRAPH_CHANGES)


@dataclass
class InferenceResult:
    """How many triples each rule added (for the build log and tests)."""

    cooperates_with: int = 0
    participates_in: int = 0
    properties: int = 0
    types: int = 0

    @property
    def total(self) -> int:
        return self.cooperates_with + self.participates_in + self.properties + self.types


def _fact_graphs(store: ox.Store) -> list[str]:
    """Every named graph with facts: all except shapes; the inferred graph is included, so the
    rules see each other's output."""
    graphs = {g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)}
    graphs.add(ns.GRAPH_INFERRED)
    return sorted(graphs - set(NON_FACT_GRAPHS))


def _from(axioms: bool, facts: list[str]) -> str:
    parts = [f"FROM <{g}>" for g in AXIOM_GRAPHS] if axioms else []
    parts += [f"FROM NAMED <{g}>" for g in facts]
    return "\n".join(parts)


_BULK_THRESHOLD = 20_000


def _add_new(store: ox.Store, triples: Iterable[ox.Triple]) -> int:
    """Bulk-insert the derived triples into the inferred graph (duplicates removed)."""
    inferred = ox.NamedNode(ns.GRAPH_INFERRED)
    new = {ox.Quad(t.subject, t.predicate, t.object, inferred) for t in triples}
    if len(new) > _BULK_THRESHOLD:
        store.bulk_extend(new)  # no transaction log: fast for the 100k+ types of the reference data
    elif new:
        store.extend(new)  # a bulk load writes and syncs new files: ~0.2 s even for 2 quads
    return len(new)


# "not asserted in any graph" as an anti-join on a fixed predicate (oxigraph evaluates MINUS as a
# hash anti-join: 0.7 s for the 130k type candidates of the reference data, where FILTER NOT
# EXISTS took 7 s with an open predicate) or as FILTER NOT EXISTS for the small/selective rules
# (a MINUS with an open predicate would hash the whole store).
_MINUS = "MINUS {{ GRAPH ?any {{ ?s <{p}> ?o }} }}"
_NOT_EXISTS = "FILTER NOT EXISTS { GRAPH ?any { ?s ?p ?o } }"


def _run(store: ox.Store, construct: str, axioms: bool, exclude: str = _NOT_EXISTS) -> int:
    """Run one rule: its WHERE binds ?s ?p ?o; %NEW% becomes the "not yet asserted" test."""
    query = construct.replace("%FROM%", _from(axioms, _fact_graphs(store))).replace("%NEW%", exclude)
    return _add_new(store, store.query(query))


def infer(store: ox.Store) -> InferenceResult:
    """Add the closure and the shortcuts to hnid:graph/inferred; returns counts per rule.

    Idempotent: running it again on the result adds nothing.
    """
    hn = ns.HN
    res = InferenceResult()

    # types first (so a subclass of hn:Cooperation counts as a Cooperation below)
    type_rule = f"""
        CONSTRUCT {{ ?s ?p ?o }}
        %FROM%
        WHERE {{
          {{ SELECT DISTINCT ?c ?o WHERE {{ ?c <{SUBCLASS}>+ ?o . FILTER(isIRI(?o) && ?c != ?o) }} }}
          GRAPH ?g {{ ?s <{RDF_TYPE}> ?c }}
          BIND(<{RDF_TYPE}> AS ?p)
          %NEW%
        }}"""
    res.types += _run(store, type_rule, axioms=True, exclude=_MINUS.format(p=RDF_TYPE))

    # shortcuts
    coop = f"""
        CONSTRUCT {{ ?s ?p ?o }}
        %FROM%
        WHERE {{
          GRAPH ?gc {{ ?c <{RDF_TYPE}> <{hn}Cooperation> }}
          {{ GRAPH ?g1 {{ ?c <{hn}hasParticipation> ?p1 }} }} UNION {{ GRAPH ?g1 {{ ?p1 <{hn}participationIn> ?c }} }}
          {{ GRAPH ?g2 {{ ?c <{hn}hasParticipation> ?p2 }} }} UNION {{ GRAPH ?g2 {{ ?p2 <{hn}participationIn> ?c }} }}
          GRAPH ?g3 {{ ?p1 <{hn}participant> ?s }}
          GRAPH ?g4 {{ ?p2 <{hn}participant> ?o }}
          FILTER(?s != ?o)
          BIND(<{hn}cooperatesWith> AS ?p)
          %NEW%
        }}"""
    res.cooperates_with += _run(store, coop, axioms=False)
    part = f"""
        CONSTRUCT {{ ?s ?p ?o }}
        %FROM%
        WHERE {{
          {{ GRAPH ?g1 {{ ?o <{hn}hasParticipation> ?x }} }} UNION {{ GRAPH ?g1 {{ ?x <{hn}participationIn> ?o }} }}
          GRAPH ?g2 {{ ?x <{hn}participant> ?s }}
          BIND(<{hn}participatesIn> AS ?p)
          %NEW%
        }}"""
    res.participates_in += _run(store, part, axioms=False)

    # property closure (after the shortcuts, so their superproperties are materialised too),
    # one query per superproperty so the "not yet asserted" test is a MINUS on a fixed predicate
    pairs_q = f"""SELECT DISTINCT ?sub ?sup {_from(True, [])}
        WHERE {{ ?sub <{SUBPROP}>+ ?sup . FILTER(isIRI(?sub) && isIRI(?sup) && ?sub != ?sup) }}"""
    supers: dict[str, list[str]] = {}
    for row in store.query(pairs_q):
        supers.setdefault(row["sup"].value, []).append(row["sub"].value)
    for sup, subs in sorted(supers.items()):
        values = " ".join(f"<{sub}>" for sub in sorted(subs))
        prop_rule = f"""
            CONSTRUCT {{ ?s ?p ?o }}
            %FROM%
            WHERE {{
              VALUES ?sub {{ {values} }}
              GRAPH ?g {{ ?s ?sub ?o }}
              BIND(<{sup}> AS ?p)
              %NEW%
            }}"""
        res.properties += _run(store, prop_rule, axioms=False, exclude=_MINUS.format(p=sup))

    # types again, only if some property is declared a subproperty of rdf:type (then the
    # property closure may have produced types that need their superclasses)
    ask = f"ASK {_from(True, [])} WHERE {{ ?x <{SUBPROP}>+ <{RDF_TYPE}> }}"
    if store.query(ask):
        res.types += _run(store, type_rule, axioms=True, exclude=_MINUS.format(p=RDF_TYPE))
    return res


# --------------------------------------------------------------------------- after a write
#
# A write changes a handful of triples; recomputing the whole inferred graph costs ~7 s of CPU on
# the real store (160k types of the reference data). Every rule above derives triples *about a
# subject* from a bounded neighbourhood of it, so a write only changes the derived triples of the
# subjects that neighbourhood reaches (`affected_subjects`); those are recomputed from scratch
# with the same rules evaluated in Python (`derived_for`, exact terms, blank nodes included), and
# the inferred graph is patched for them only. tests/shacl/test_writes_property.py checks, over
# random writes, that the patched graph equals a fresh `infer` of the same data.

_RDF_TYPE = ox.NamedNode(RDF_TYPE)
_SUBCLASS = ox.NamedNode(SUBCLASS)
_SUBPROP = ox.NamedNode(SUBPROP)
_HAS_PART = ox.NamedNode(ns.HN + "hasParticipation")
_PART_IN = ox.NamedNode(ns.HN + "participationIn")
_PARTICIPANT = ox.NamedNode(ns.HN + "participant")
_COOPERATION = ox.NamedNode(ns.HN + "Cooperation")
_COOPERATES = ox.NamedNode(ns.HN + "cooperatesWith")
_PARTICIPATES = ox.NamedNode(ns.HN + "participatesIn")
_INFERRED = ox.NamedNode(ns.GRAPH_INFERRED)
_NOT_ASSERTED = {ns.GRAPH_INFERRED, *NON_FACT_GRAPHS}


class Axioms:
    """The subclass/subproperty closure of the axiom graphs, as the SPARQL rules above read it
    (`?c rdfs:subClassOf+ ?o` with an IRI `?o` different from `?c`), memoised per term."""

    def __init__(self, store: ox.Store) -> None:
        self.store = store
        self._graphs = [ox.NamedNode(g) for g in AXIOM_GRAPHS]
        self._memo: dict[tuple[ox.NamedNode, object], frozenset[ox.NamedNode]] = {}

    def _up(self, rel: ox.NamedNode, term: object) -> frozenset[ox.NamedNode]:
        key = (rel, term)
        got = self._memo.get(key)
        if got is None:
            seen: set[object] = set()
            todo = [term]
            while todo:
                t = todo.pop()
                if isinstance(t, ox.Literal):
                    continue
                for g in self._graphs:
                    for q in self.store.quads_for_pattern(t, rel, None, g):  # type: ignore[arg-type]
                        if q.object not in seen:
                            seen.add(q.object)
                            todo.append(q.object)
            got = self._memo[key] = frozenset(x for x in seen if isinstance(x, ox.NamedNode) and x != term)
        return got

    def superclasses(self, cls: object) -> frozenset[ox.NamedNode]:
        return self._up(_SUBCLASS, cls)

    def superproperties(self, prop: object) -> frozenset[ox.NamedNode]:
        return self._up(_SUBPROP, prop) if isinstance(prop, ox.NamedNode) else frozenset()

    def type_is_a_superproperty_target(self) -> bool:
        """Some property is declared rdfs:subPropertyOf+ rdf:type: then `infer` runs its type rule
        twice and only a full recomputation reproduces it."""
        q = f"ASK {_from(True, [])} WHERE {{ ?x <{SUBPROP}>+ <{RDF_TYPE}> }}"
        return bool(self.store.query(q))


def _asserted(store: ox.Store, s: object = None, p: object = None, o: object = None) -> Iterator[ox.Quad]:
    """Quads of the fact graphs other than the inferred graph (what a fresh `infer` starts from)."""
    for q in store.quads_for_pattern(s, p, o, None):  # type: ignore[arg-type]
        g = q.graph_name
        if isinstance(g, ox.NamedNode) and g.value not in _NOT_ASSERTED:
            yield q


def _contexts(store: ox.Store, x: object) -> set[object]:
    """The contexts a participation belongs to (either direction of the link)."""
    if isinstance(x, ox.Literal):
        return set()
    return {q.subject for q in _asserted(store, None, _HAS_PART, x)} | \
        {q.object for q in _asserted(store, x, _PART_IN, None)}


def _participations(store: ox.Store, c: object) -> set[object]:
    if isinstance(c, ox.Literal):
        return set()
    return {q.object for q in _asserted(store, c, _HAS_PART, None)} | \
        {q.subject for q in _asserted(store, None, _PART_IN, c)}


def _participants(store: ox.Store, x: object) -> set[object]:
    if isinstance(x, ox.Literal):
        return set()
    return {q.object for q in _asserted(store, x, _PARTICIPANT, None)}


def affected_subjects(store: ox.Store, nodes: Iterable[object]) -> set[object]:
    """Subjects whose derived triples may change when triples with these subjects or objects
    change (call it on the state before and after the change, and unite).

    Every rule derives triples about ?s from ?s's own triples, except the shortcuts, which also
    read the participation ?x of ?s, its context ?c, the type of ?c and the other participations
    of ?c: so the participants of every participation of every context touching a changed node
    are affected too. Literals are never subjects.
    """
    changed = {n for n in nodes if not isinstance(n, ox.Literal)}
    contexts = set(changed)
    for n in changed:
        contexts |= _contexts(store, n)
    participations = set(changed)
    for c in contexts:
        participations |= _participations(store, c)
    out = set(changed)
    for x in participations:
        out |= _participants(store, x)
    return out


def derived_for(store: ox.Store, subjects: Iterable[object], axioms: Axioms | None = None) -> set[ox.Quad]:
    """The quads a fresh `infer` puts into the inferred graph with one of these subjects: the same
    rules, in the same order (types, shortcuts, property closure), minus what is asserted."""
    ax = axioms or Axioms(store)
    out: set[ox.Quad] = set()
    for s in subjects:
        if isinstance(s, ox.Literal):
            continue
        own = list(_asserted(store, s))
        asserted = {(q.predicate, q.object) for q in own}
        derived: set[tuple[ox.NamedNode, object]] = set()
        for q in own:
            if q.predicate == _RDF_TYPE:
                derived |= {(_RDF_TYPE, sup) for sup in ax.superclasses(q.object)}
        for x in _participants_of(store, s):
            for c in _contexts(store, x):
                derived.add((_PARTICIPATES, c))
                if _is_cooperation(store, ax, c):
                    for x2 in _participations(store, c):
                        derived |= {(_COOPERATES, o) for o in _participants(store, x2) if o != s}
        facts = asserted | derived
        for p, o in facts:
            derived |= {(sup, o) for sup in ax.superproperties(p)}
        out |= {ox.Quad(s, p, o, _INFERRED) for p, o in derived - asserted}  # type: ignore[arg-type]
    return out


def _participants_of(store: ox.Store, s: object) -> set[object]:
    """The participations whose participant is s."""
    return {q.subject for q in _asserted(store, None, _PARTICIPANT, s)}


def _is_cooperation(store: ox.Store, ax: Axioms, c: object) -> bool:
    if isinstance(c, ox.Literal):
        return False
    types = {q.object for q in _asserted(store, c, _RDF_TYPE, None)}
    return _COOPERATION in types or any(_COOPERATION in ax.superclasses(t) for t in types)


def inferred_about(store: ox.Store, subjects: Iterable[object]) -> set[ox.Quad]:
    """What the inferred graph holds now about these subjects."""
    out: set[ox.Quad] = set()
    for s in subjects:
        if not isinstance(s, ox.Literal):
            out.update(store.quads_for_pattern(s, None, None, _INFERRED))  # type: ignore[arg-type]
    return out


def axioms_changed(quads: Iterable[ox.Quad]) -> bool:
    """A change to the ontology or alignment graph can change any derived triple."""
    axiom_graphs = {ox.NamedNode(g) for g in AXIOM_GRAPHS}
    return any(q.graph_name in axiom_graphs for q in quads)
