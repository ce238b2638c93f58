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
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from kg import namespaces as ns

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
SUBPROP = "http://www.w3.org/2000/01/rdf-schema#subPropertyOf"

AXIOM_GRAPHS: tuple[str, ...] = (ns.GRAPH_ONTOLOGY, ns.GRAPH_ALIGNMENT)
# graphs whose content is not about the world and must not produce inferred facts
NON_FACT_GRAPHS: tuple[str, ...] = (ns.GRAPH_SHAPES,)


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
