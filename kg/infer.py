"""Materialise the inferred graph (hnid:graph/inferred) inside the store with SPARQL Update.

pyoxigraph has no reasoner, and analysts should not have to write `rdf:type/rdfs:subClassOf*`
in every query. So the build adds, once, the triples a query for a superclass or superproperty
needs, plus the derived shortcuts of docs/model.md:

1. hn:cooperatesWith (symmetric) between two distinct participants of the same hn:Cooperation, and
   hn:participatesIn from a participant to the context of its hn:Participation;
2. ?s ?super ?o for every asserted or derived ?s ?p ?o with ?p rdfs:subPropertyOf+ ?super;
3. ?x rdf:type ?super for every ?x rdf:type ?c with ?c rdfs:subClassOf+ ?super.

Subclass/subproperty axioms come only from the ontology and alignment graphs (USING), the facts
from every other graph (USING NAMED), and only triples not already asserted anywhere are added.
Everything runs inside pyoxigraph (no rdflib round trip).
"""

from __future__ import annotations

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


def _count(store: ox.Store, graph: str) -> int:
    q = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    return int(next(iter(store.query(q)))["n"].value)


def _fact_graphs(store: ox.Store) -> list[str]:
    """Every named graph with facts: all except shapes (the inferred graph is included, so rules
    see each other's output)."""
    return sorted(
        g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode) and g.value not in NON_FACT_GRAPHS
    ) + ([ns.GRAPH_INFERRED] if not store.contains_named_graph(ox.NamedNode(ns.GRAPH_INFERRED)) else [])


def _using(axioms: bool, facts: list[str]) -> str:
    parts = [f"USING <{g}>" for g in AXIOM_GRAPHS] if axioms else []
    parts += [f"USING NAMED <{g}>" for g in facts]
    return "\n".join(parts)


def _not_asserted(s: str, p: str, o: str) -> str:
    return f"FILTER NOT EXISTS {{ GRAPH ?any {{ {s} {p} {o} }} }}"


def _run(store: ox.Store, template: str, facts: list[str], axioms: bool) -> int:
    before = _count(store, ns.GRAPH_INFERRED)
    store.update(template.replace("%USING%", _using(axioms, facts)))
    return _count(store, ns.GRAPH_INFERRED) - before


def infer(store: ox.Store) -> InferenceResult:
    """Add the closure and the shortcuts to hnid:graph/inferred; returns counts per rule."""
    inf = f"<{ns.GRAPH_INFERRED}>"
    hn = ns.HN
    res = InferenceResult()
    facts = _fact_graphs(store)

    # 0. types first (so a subclass of hn:Cooperation counts as a Cooperation below)
    type_rule = f"""
        INSERT {{ GRAPH {inf} {{ ?x <{RDF_TYPE}> ?super }} }}
        %USING%
        WHERE {{
          {{ SELECT DISTINCT ?c ?super WHERE {{ ?c <{SUBCLASS}>+ ?super . FILTER(isIRI(?super) && ?c != ?super) }} }}
          GRAPH ?g {{ ?x <{RDF_TYPE}> ?c }}
          {_not_asserted("?x", f"<{RDF_TYPE}>", "?super")}
        }}"""
    res.types += _run(store, type_rule, facts, axioms=True)

    # 1. shortcuts
    coop = f"""
        INSERT {{ GRAPH {inf} {{ ?a <{hn}cooperatesWith> ?b }} }}
        %USING%
        WHERE {{
          GRAPH ?gc {{ ?c <{RDF_TYPE}> <{hn}Cooperation> }}
          {{ GRAPH ?g1 {{ ?c <{hn}hasParticipation> ?p1 }} }} UNION {{ GRAPH ?g1 {{ ?p1 <{hn}participationIn> ?c }} }}
          {{ GRAPH ?g2 {{ ?c <{hn}hasParticipation> ?p2 }} }} UNION {{ GRAPH ?g2 {{ ?p2 <{hn}participationIn> ?c }} }}
          GRAPH ?g3 {{ ?p1 <{hn}participant> ?a }}
          GRAPH ?g4 {{ ?p2 <{hn}participant> ?b }}
          FILTER(?a != ?b)
          {_not_asserted("?a", f"<{hn}cooperatesWith>", "?b")}
        }}"""
    res.cooperates_with += _run(store, coop, facts, axioms=False)
    part = f"""
        INSERT {{ GRAPH {inf} {{ ?a <{hn}participatesIn> ?ctx }} }}
        %USING%
        WHERE {{
          {{ GRAPH ?g1 {{ ?ctx <{hn}hasParticipation> ?p }} }} UNION {{ GRAPH ?g1 {{ ?p <{hn}participationIn> ?ctx }} }}
          GRAPH ?g2 {{ ?p <{hn}participant> ?a }}
          {_not_asserted("?a", f"<{hn}participatesIn>", "?ctx")}
        }}"""
    res.participates_in += _run(store, part, facts, axioms=False)

    # 2. property closure (after the shortcuts, so their superproperties are materialised too)
    prop_rule = f"""
        INSERT {{ GRAPH {inf} {{ ?s ?super ?o }} }}
        %USING%
        WHERE {{
          {{ SELECT DISTINCT ?p ?super WHERE {{ ?p <{SUBPROP}>+ ?super . FILTER(isIRI(?super) && ?p != ?super) }} }}
          GRAPH ?g {{ ?s ?p ?o }}
          {_not_asserted("?s", "?super", "?o")}
        }}"""
    res.properties += _run(store, prop_rule, facts, axioms=True)

    # 3. types again: a superproperty may be rdf:type (rare) and new types need their closure
    res.types += _run(store, type_rule, _fact_graphs(store), axioms=True)
    return res
