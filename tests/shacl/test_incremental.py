"""Incremental validation equals full validation (property-based, on the project's data).

For random changes (removed triples, wrong-typed values, retargeted links, lost types, blank
nodes): every full-validation result outside the candidate focus nodes is the same before and
after the change, and the results at the candidates, evaluated alone, are exactly the
full-validation results there. And apply_change keeps a change only without new violations,
leaving the store as it was otherwise."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pyoxigraph as ox
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from kg.shacl.compile import ShapesGraph, to_ox
from kg.shacl.engine import validate_results
from kg.shacl.exact import DataView, Result
from kg.shacl.incremental import Change, affected_nodes, apply_change, validate_nodes

from .project_data import project_graphs
from .test_differential import _BAD_LITERALS


def _store() -> ox.Store:
    data, _shapes, ontology = project_graphs()
    store = ox.Store()
    store.extend(ox.Quad(to_ox(s), to_ox(p), to_ox(o), ox.DefaultGraph()) for g in (data, ontology) for s, p, o in g)
    return store


def _key(r: Result) -> tuple[Any, ...]:
    return (r.focus, str(r.shape.node), str(r.component), r.value, str(r.path))


def _random_change(store: ox.Store, rnd: random.Random, n: int) -> Change:
    quads = sorted(store.quads_for_pattern(None, None, None, ox.DefaultGraph()), key=str)
    iris = sorted({q.object for q in quads if isinstance(q.object, ox.NamedNode)}, key=str)
    ch = Change()
    for _ in range(n):
        q = rnd.choice(quads)
        kind = rnd.randrange(5)
        if kind == 0:
            ch.removed.append(q)
        elif kind == 1:
            ch.added.append(ox.Quad(q.subject, q.predicate, to_ox(rnd.choice(_BAD_LITERALS))))
        elif kind == 2:
            ch.removed.append(q)
            ch.added.append(ox.Quad(q.subject, q.predicate, rnd.choice(iris)))
        elif kind == 3:
            ch.removed += [x for x in quads if x.subject == q.subject and x.predicate.value.endswith("#type")]
        else:
            ch.added.append(ox.Quad(q.subject, q.predicate, ox.BlankNode()))
    return ch


def _check(seed: int, n: int) -> None:
    _data, shapes, _onto = project_graphs()
    store = _store()
    targets = ShapesGraph(shapes).target_shapes()
    change = _random_change(store, random.Random(seed), n)
    change.added = [q for q in change.added if q not in store]
    change.removed = list({q for q in change.removed if q in store})
    before_full = validate_results(store, shapes)
    cands = affected_nodes(DataView(store), targets, change)
    for q in change.removed:
        store.remove(q)
    store.extend(change.added)
    after_cands = affected_nodes(DataView(store), targets, change)
    if cands is None or after_cands is None:
        assume(False)  # subclass axioms changed: full validation by design, nothing to compare
    cands |= after_cands
    after_full = validate_results(store, shapes)
    outside_before = Counter(_key(r) for r in before_full if r.focus not in cands)
    outside_after = Counter(_key(r) for r in after_full if r.focus not in cands)
    assert outside_before == outside_after
    inside_full = Counter(_key(r) for r in after_full if r.focus in cands)
    inside_incr = Counter(_key(r) for r in validate_nodes(DataView(store), targets, cands))
    assert inside_full == inside_incr


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**32 - 1), n=st.integers(min_value=1, max_value=8))
def test_incremental_equals_full(seed: int, n: int) -> None:
    _check(seed, n)


def test_apply_change_rolls_back_a_violation_and_keeps_a_valid_change() -> None:
    _data, shapes, _onto = project_graphs()
    store = _store()
    original = set(store)
    # remove every rdfs:label of an entity that must have one: a violation, rolled back
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    offer = next(q.subject for q in store.quads_for_pattern(
        None, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
        ox.NamedNode("https://w3id.org/hilfenetz/ontology#Offer")))
    bad = Change(removed=list(store.quads_for_pattern(offer, label, None)))
    assert bad.removed
    out = apply_change(store, shapes, bad)
    assert not out.applied and out.new_violations
    assert set(store) == original
    # adding one more German label is fine
    good = Change(added=[ox.Quad(offer, label, ox.Literal("Noch ein Name", language="de"), ox.DefaultGraph())])
    out = apply_change(store, shapes, good)
    assert out.applied and not out.new_violations
    assert set(store) == original | set(good.added)


def test_shapes_print_short_although_they_reference_each_other() -> None:
    """The project's shapes reference each other (sh:node, sh:property, parents); printing one —
    as pytest does for the arguments of a failing test — names it instead of walking that graph
    (the dataclass repr took minutes and hung a test process)."""
    _data, shapes, _onto = project_graphs()
    graph = ShapesGraph(shapes)
    every = {id(s): s for s in graph.target_shapes()}
    todo = list(every.values())
    while todo:  # every shape reachable from a target shape
        shape = todo.pop()
        for c in shape.constraints:
            for value in c.params.values():
                for nested in value if isinstance(value, list) else [value]:
                    if hasattr(nested, "constraints") and id(nested) not in every:
                        every[id(nested)] = nested
                        todo.append(nested)
    assert any(s.parents for s in every.values())  # the back-references are there
    texts = [repr(s) for s in every.values()]
    assert all(len(t) < 300 and t.startswith("Shape(") for t in texts)
    assert all(str(s.node) in t for s, t in zip(every.values(), texts, strict=True))
