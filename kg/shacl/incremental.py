"""Incremental validation of writes: validate only the focus nodes a change can affect.

A change adds and removes triples. Which focus nodes can it affect? A triple (s, p, o) changes
the path steps taken from s (p forward) and from o (p inverse), and what a shape reads about s
itself (its types, its own triples, for node-level and value-level constraints). So the
candidates are s and o of every changed triple plus every node that reaches them backwards along
the predicates used in shape paths, up to the deepest reach of any shape (path length plus the
reach of nested shapes; unbounded with * or + paths), computed in the graph before and after the
change so that both newly reached and no longer reached values count. Changing rdfs:subClassOf
can change everything, so that falls back to full validation.

`apply_change` applies the change, validates those candidates with the exact evaluator, and keeps
the change only if no new sh:Violation appears at them; otherwise it is rolled back. The claim
"the results outside the candidates do not change" is checked by a property-based test
(tests/shacl/test_incremental.py) against full validation.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
import rdflib

from kg.rdf import SH_VIOLATION
from kg.shacl.compile import Shape, ShapesGraph
from kg.shacl.engine import _graph_list, validate_results, validate_store
from kg.shacl.exact import RDF_TYPE, SUBCLASS, DataView, Evaluator, Result
from kg.shacl.paths import Path

__all__ = ["Change", "Outcome", "affected_nodes", "apply_change", "check_change", "validate_nodes"]


@dataclass
class Change:
    """Triples to add and remove (pyoxigraph Quads; their graph is where they go)."""

    added: list[ox.Quad] = field(default_factory=list)
    removed: list[ox.Quad] = field(default_factory=list)


@dataclass
class Outcome:
    applied: bool
    new_violations: list[Result]
    results: list[Result]  # every result at the candidate focus nodes after the change
    candidates: set[Any]
    full: bool  # True when the change forced a full validation


def _path_length(p: Path) -> float:
    if p.kind in ("pred", "inv"):
        return 1
    if p.kind == "seq":
        return sum(_path_length(x) for x in p.parts)
    if p.kind == "alt":
        return max(_path_length(x) for x in p.parts)
    if p.kind == "opt":
        return _path_length(p.parts[0])
    return math.inf


def _preds(p: Path, inverse: bool, fwd: set[Any], inv: set[Any]) -> None:
    if p.kind == "pred":
        (inv if inverse else fwd).add(p.pred)
    elif p.kind == "inv":
        _preds(p.parts[0], not inverse, fwd, inv)
    else:
        for x in p.parts:
            _preds(x, inverse, fwd, inv)


class _Reach:
    """Deepest number of backward steps from a changed node to a focus node it can affect."""

    def __init__(self) -> None:
        self.memo: dict[int, float] = {}
        self.fwd: set[Any] = set()
        self.inv: set[Any] = set()

    def shape(self, s: Shape, depth: int = 0) -> float:
        if id(s) in self.memo:
            return self.memo[id(s)]
        if depth > 50:
            return math.inf  # recursive shapes: no bound
        self.memo[id(s)] = 0  # provisional, for recursion
        inner = 0.0
        for c in s.constraints:
            nested: list[Shape] = []
            if c.component in ("Node", "Not", "Property"):
                nested = [c.params["shape"]]
            elif c.component in ("And", "Or", "Xone"):
                nested = list(c.params["shapes"])
            elif c.component in ("QualifiedMinCount", "QualifiedMaxCount"):
                nested = [c.params["shape"]] + [
                    c2.params["shape"] for parent in s.parents for pc in parent.constraints
                    if pc.component == "Property" for c2 in pc.params["shape"].constraints
                    if c2.component in ("QualifiedMinCount", "QualifiedMaxCount")]
            for n in nested:
                inner = max(inner, self.shape(n, depth + 1))
        length = 0.0
        if s.path is not None:
            length = _path_length(s.path)
            _preds(s.path, False, self.fwd, self.inv)
        r = length + inner
        self.memo[id(s)] = r
        return r


#: targets' ids → (the targets, kept so the ids stay theirs; depth; forward and inverse
#: predicates). The reach is a function of the shapes alone; walking them took ~1,400 calls
#: (a fifth of a write's validation CPU, twice per write) on the real shapes.
_REACH: dict[tuple[int, ...], tuple[Sequence[Shape], float, set[Any], set[Any]]] = {}


def _reach_of(targets: Sequence[Shape]) -> tuple[float, set[Any], set[Any]]:
    key = tuple(id(t) for t in targets)
    got = _REACH.get(key)
    if got is None:
        reach = _Reach()
        depth = max((reach.shape(t) for t in targets), default=0)
        if len(_REACH) > 8:
            _REACH.clear()
        got = _REACH[key] = (list(targets), depth, reach.fwd, reach.inv)
    return got[1], got[2], got[3]


def affected_nodes(data: DataView, targets: Sequence[Shape], change: Change) -> set[Any] | None:
    """Candidate focus nodes of `change` in the current state of `data` (call it before and after
    applying the change and unite); None when only full validation is safe."""
    depth, fwd, inv = _reach_of(targets)
    origins: set[Any] = set()
    cands: set[Any] = set()
    for q in [*change.added, *change.removed]:
        if q.predicate == SUBCLASS:
            return None
        cands.add(q.subject)
        cands.add(q.object)
        origins.add(q.subject)
        if q.predicate in inv:
            origins.add(q.object)
    frontier = set(origins)
    cands |= origins
    step = 0
    while frontier and step < depth:
        step += 1
        nxt: set[Any] = set()
        for n in frontier:
            nxt |= data.subjects_via(fwd, n)
            if not isinstance(n, ox.Literal):
                for p in inv:
                    nxt |= data.objects(p, n)
        nxt -= cands
        cands |= nxt
        frontier = nxt
    return cands


def _is_target(data: DataView, shape: Shape, node: Any, classes: dict[Any, frozenset[Any]] | None = None) -> bool:
    """Whether `node` is a focus node of `shape`; `classes` memoises each node's classes for one
    state (validate_nodes: 42 target shapes × the candidates made one rdf:type lookup per pair)."""
    for kind, t in shape.targets:
        if kind == "node" and t == node:
            return True
        if kind == "class":
            if classes is None:
                if data.is_instance(node, t):
                    return True
                continue
            got = classes.get(node)
            if got is None:
                got = classes[node] = data.classes(node)
            if t in got:
                return True
        if kind == "subjectsOf" and not isinstance(node, ox.Literal) and next(data.quads(node, t, None), None):
            return True
        if kind == "objectsOf" and next(data.quads(None, t, data.encode(node)), None):
            return True
    return False


def validate_nodes(data: DataView, targets: Sequence[Shape], nodes: Iterable[Any]) -> list[Result]:
    """All results whose focus node is among `nodes` (exact evaluation; for small node sets)."""
    ev = Evaluator(data)
    nodes = sorted(set(nodes), key=str)
    out: list[Result] = []
    classes: dict[Any, frozenset[Any]] = {}  # the state does not change during this call
    for shape in targets:
        if shape.deactivated:
            continue
        focus = [n for n in nodes if _is_target(data, shape, n, classes)]
        if focus:
            out.extend(ev.results(shape, focus))
    return out


def _key(r: Result) -> tuple[Any, ...]:
    return (r.focus, id(r.shape), str(r.component), r.value, r.path)


def _apply(store: ox.Store, add: list[ox.Quad], remove: list[ox.Quad]) -> None:
    for q in remove:
        store.remove(q)
    store.extend(add)


def apply_change(store: ox.Store, shapes: rdflib.Graph | ShapesGraph, change: Change, *,
                 data_graph: str | Sequence[str] | None = None, ontology_graphs: Sequence[str] = ()) -> Outcome:
    """Apply `change` if it brings no new sh:Violation at the focus nodes it can affect.

    The change is applied, validated and, if a new violation appears, undone (the store's own
    write operations are atomic; a reader may see the change for the milliseconds this takes).
    Pass a ShapesGraph instead of the rdflib graph to reuse its parsed shapes across writes.
    """
    data = DataView(store, _graph_list(data_graph, ontology_graphs))
    sg = shapes if isinstance(shapes, ShapesGraph) else ShapesGraph(shapes)
    shapes = sg.g
    targets = sg.target_shapes()
    # only real changes: adding an existing triple or removing a missing one changes nothing
    added = [q for q in change.added if q not in store]
    removed = [q for q in change.removed if q in store]
    real = Change(added, removed)
    before = affected_nodes(data, targets, real)
    if before is None:
        old = validate_store(store, shapes, data_graph=data_graph, ontology_graphs=ontology_graphs)
        _apply(store, added, removed)
        new = validate_store(store, shapes, data_graph=data_graph, ontology_graphs=ontology_graphs)
        old_keys = {(r.focus_node, r.result_path, r.constraint_component, r.value) for r in old.violations}
        fresh = [r for r in new.violations
                 if (r.focus_node, r.result_path, r.constraint_component, r.value) not in old_keys]
        if fresh:
            _apply(store, removed, added)
        return Outcome(not fresh, [], [], set(), True)
    _apply(store, added, removed)
    after = affected_nodes(data, targets, real)
    _apply(store, removed, added)
    assert after is not None
    cands = before | after
    old_results = validate_nodes(data, targets, cands)
    _apply(store, added, removed)
    results = validate_nodes(data, targets, cands)
    old_keys = {_key(r) for r in old_results}
    fresh = [r for r in results if r.shape.severity == rdflib.URIRef(SH_VIOLATION)
             and _key(r) not in old_keys]
    if fresh:
        _apply(store, removed, added)
    return Outcome(not fresh, fresh, results, cands, False)


def _loose_key(r: Result) -> tuple[Any, ...]:
    """A result's identity across two shapes graphs (full mode: the shapes may have changed)."""
    return (r.focus, str(r.path), str(r.component), r.value)


def _violation(r: Result) -> bool:
    return r.shape.severity == rdflib.URIRef(SH_VIOLATION)


class _AllGraphsBut(DataView):
    """The union of every graph except a few: the same quads as listing all the others (which
    `DataView` reads graph by graph, 16 pattern lookups per step on the real store), in one
    lookup per step. SPARQL still gets the explicit graph list."""

    def __init__(self, store: ox.Store, graphs: list[Any] | None, exclude: set[Any]) -> None:
        super().__init__(store, graphs)
        self.exclude = exclude

    def quads(self, s: Any, p: Any, o: Any) -> Any:
        for q in self.store.quads_for_pattern(s, p, o, None):
            if q.graph_name not in self.exclude:
                yield q


def _view(store: ox.Store, graphs: Sequence[str] | None, exclude: Sequence[str] | None) -> DataView:
    listed = _graph_list(graphs, ()) if graphs is not None else None
    if exclude is None:
        return DataView(store, listed)
    return _AllGraphsBut(store, listed, {ox.NamedNode(g) for g in exclude})


def check_change(before: ox.Store, after: ox.Store, shapes_before: ShapesGraph | None, shapes_after: ShapesGraph,
                 change: Change, *, graphs_before: Sequence[str] | None = None,
                 graphs_after: Sequence[str] | None = None, all_but: Sequence[str] | None = None) -> Outcome:
    """Validate a change given as two stores: the current state and the would-be state (a staging
    copy with the change applied; kg.graph.write). Nothing is written to either store.

    `change` is what differs between them. Only the focus nodes the change can affect are
    validated, in both states; the change is acceptable (`applied`) if no violation appears there
    that was not there before. Full validation of both states instead when only that is safe: the
    shapes changed (`shapes_before` is not `shapes_after`; None = there were none) or a
    subclass axiom changed. `graphs_*` name the data graphs ("default" = the default graph;
    None = the union of all graphs); `all_but` says that they are every graph but these (a
    faster way to read the same quads).
    """
    view_before = _view(before, graphs_before, all_but)
    view_after = _view(after, graphs_after, all_but)
    targets = shapes_after.target_shapes()
    cands: set[Any] | None = None
    if shapes_before is shapes_after:
        first = affected_nodes(view_before, targets, change)
        second = affected_nodes(view_after, targets, change) if first is not None else None
        if first is not None and second is not None:
            cands = first | second
    if cands is None:
        old = [] if shapes_before is None else validate_results(before, shapes_before.g, data_graph=graphs_before)
        new = validate_results(after, shapes_after.g, data_graph=graphs_after)
        old_keys = {_loose_key(r) for r in old if _violation(r)}
        fresh = [r for r in new if _violation(r) and _loose_key(r) not in old_keys]
        return Outcome(not fresh, fresh, new, set(), True)
    old_keys = {_key(r) for r in validate_nodes(view_before, targets, cands)}
    results = validate_nodes(view_after, targets, cands)
    fresh = [r for r in results if _violation(r) and _key(r) not in old_keys]
    return Outcome(not fresh, fresh, results, cands, False)


_ = RDF_TYPE  # re-exported for callers building type changes
