"""Exact SHACL Core evaluation in Python over a pyoxigraph store.

This is the fallback that keeps the engine from ever giving a wrong answer: whatever the SPARQL
plan (kg.shacl.compile) does not express is evaluated here, node by node, reading the store with
`quads_for_pattern` (blank nodes stay blank nodes; no query text is built per node). Literal
semantics (well-formedness, ordering, regular expressions) follow pyshacl's, so the two engines
agree on the same inputs. Nested shapes (sh:node, sh:not, sh:and/or/xone, qualified value
shapes) are decided through `conforms`, memoised per (shape, node).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox
import rdflib
from rdflib import Literal, URIRef

from kg import rdf as ns
from kg.errors import ValidationFailure
from kg.shacl.compile import SURROGATE, Constraint, Shape, to_rdf
from kg.shacl.paths import evaluate as eval_path

RDF_TYPE = ox.NamedNode(ns.RDF_TYPE)
SUBCLASS = ox.NamedNode(ns.RDFS_SUBCLASSOF)
_XSD = ns.XSD
_RDFS_LITERAL = URIRef(ns.RDFS_LITERAL)
_RDFS_DATATYPE = URIRef(ns.RDFS_DATATYPE)
_LANGSTRING = URIRef(ns.RDF_LANGSTRING)


def class_closure(cls: Any, step: Callable[[Any], Iterable[Any]]) -> set[Any]:
    """`cls` and every class reached from it by repeating `step`, cycles included: with `step`
    giving a class's rdfs:subClassOf objects, its superclasses (rdfs:subClassOf*); with the
    subjects, its subclasses. The one subclass closure of kg.shacl: DataView memoises both
    directions, and the SPARQL plan (kg.shacl.compile.SUBCLASSES) and the focus nodes of
    sh:targetClass (kg.shacl.engine) use DataView.subclasses."""
    seen = {cls}
    todo = [cls]
    while todo:
        for other in step(todo.pop()):
            if other not in seen:
                seen.add(other)
                todo.append(other)
    return seen


@dataclass
class Result:
    """One validation result, in terms of the data store and the shapes graph."""

    focus: Any  # pyoxigraph term
    shape: Shape
    component: URIRef
    value: Any = None  # pyoxigraph term or None
    path: rdflib.term.Node | None = None  # the path node of the shapes graph (or a predicate IRI)


class DataView:
    """The data graph: one graph of the store, several (data + ontology), or the union of all.

    `surrogates` names the literals stored under a surrogate datatype because pyoxigraph would
    have rewritten them (kg.shacl.engine.load_exact); terms leave this view decoded.
    """

    def __init__(self, store: ox.Store, graphs: list[Any] | None = None,
                 surrogates: set[tuple[str, str]] | None = None) -> None:
        self.store = store
        self.graphs = graphs
        self.surrogates = surrogates or set()
        self._supers: dict[Any, frozenset[Any]] = {}
        self._subs: dict[Any, list[Any]] = {}

    def decode(self, t: Any) -> Any:
        if self.surrogates and isinstance(t, ox.Literal) and t.datatype.value.startswith(SURROGATE):
            return ox.Literal(t.value, datatype=ox.NamedNode(t.datatype.value[len(SURROGATE):]))
        return t

    def encode(self, t: Any) -> Any:
        if (self.surrogates and isinstance(t, ox.Literal) and not t.language
                and (t.value, t.datatype.value) in self.surrogates):
            return ox.Literal(t.value, datatype=ox.NamedNode(SURROGATE + t.datatype.value))
        return t

    def quads(self, s: Any, p: Any, o: Any) -> Iterator[ox.Quad]:
        if self.graphs is None:
            yield from self.store.quads_for_pattern(s, p, o, None)
        else:
            for g in self.graphs:
                yield from self.store.quads_for_pattern(s, p, o, g)

    def objects(self, p: Any, s: Any) -> set[Any]:
        if isinstance(s, ox.Literal):
            return set()
        if self.surrogates:
            return {self.decode(q.object) for q in self.quads(s, p, None)}
        return {q.object for q in self.quads(s, p, None)}

    def subjects(self, p: Any, o: Any) -> set[Any]:
        return {q.subject for q in self.quads(None, p, self.encode(o))}

    def subjects_via(self, preds: set[Any], o: Any, limit: int = 256) -> set[Any]:
        """Every s with (s, p, o) for some p in `preds`: one scan of o's incoming quads instead of
        one lookup per predicate. Why: the real shapes read 103 predicates forward, so the
        candidate search of one write (kg.shacl.incremental.affected_nodes, two steps from the
        changed entity, before and after) made ~1,900 pattern lookups, a third of the write's
        CPU; one scan per node makes ~20. A node with more than `limit` incoming quads (a
        concept 100,000 synthetic offers point at) falls back to one lookup per predicate, so
        the scan never reads more than `limit` quads it does not need."""
        enc = self.encode(o)
        out: set[Any] = set()
        for n, q in enumerate(self.quads(None, None, enc)):
            if n >= limit:
                break
            if q.predicate in preds:
                out.add(q.subject)
        else:
            return out
        out.clear()
        for p in preds:
            out |= self.subjects(p, o)
        return out

    def outgoing(self, s: Any) -> list[tuple[Any, Any]]:
        """(predicate, object) pairs of `s`, sorted for a deterministic report."""
        pairs = {(q.predicate, self.decode(q.object)) for q in self.quads(s, None, None)}
        return sorted(pairs, key=lambda po: (po[0].value, str(po[1])))

    def query(self, sparql: str) -> Any:
        if self.graphs is None:
            return self.store.query(sparql, use_default_graph_as_union=True)
        return self.store.query(sparql, default_graph=self.graphs)

    def superclasses(self, cls: Any) -> frozenset[Any]:
        """cls and everything it is an rdfs:subClassOf*, memoised (class hierarchies are small)."""
        got = self._supers.get(cls)
        if got is None:
            got = self._supers[cls] = frozenset(class_closure(cls, lambda c: self.objects(SUBCLASS, c)))
        return got

    def subclasses(self, cls: Any) -> list[Any]:
        """cls and every class rdfs:subClassOf* it, memoised, sorted (for query text)."""
        got = self._subs.get(cls)
        if got is None:
            got = self._subs[cls] = sorted(class_closure(cls, lambda c: self.subjects(SUBCLASS, c)), key=str)
        return got

    def is_instance(self, node: Any, cls: Any) -> bool:
        if isinstance(node, ox.Literal):
            return False
        return any(cls in self.superclasses(t) for t in self.objects(RDF_TYPE, node))

    def classes(self, node: Any) -> frozenset[Any]:
        """Every class `node` is an instance of (its types and their superclasses); not memoised
        here (the view may read a store that changes), callers that read a fixed state do."""
        if isinstance(node, ox.Literal):
            return frozenset()
        return frozenset().union(*(self.superclasses(t) for t in self.objects(RDF_TYPE, node)))

    def path_values(self, shape: Shape, node: Any) -> set[Any]:
        assert shape.path is not None
        return eval_path(shape.path, node, self.objects, self.subjects)


# ------------------------------------------------------------------------- literal semantics

def _lit(t: Any) -> Literal | None:
    r = to_rdf(t)
    return r if isinstance(r, Literal) else None


def datatype_ok(v: Any, dt: URIRef) -> bool:
    """pyshacl's sh:datatype semantics (DatatypeConstraintComponent.evaluate)."""
    from pyshacl.constraints.core.value_constraints import (
        DatatypeConstraintComponent as DCC,
    )

    lit = _lit(v)
    if lit is None:
        return False
    if lit.datatype == dt:
        if getattr(lit, "ill_typed", None) is True:
            return False
        return DCC._assert_actual_datatype(None, lit, dt)  # type: ignore[arg-type]
    if dt == _RDFS_LITERAL:
        return True
    if dt == _RDFS_DATATYPE and lit.datatype:
        return True
    if lit.datatype is None and lit.language is None and str(dt) == _XSD + "string":
        return True
    return bool(dt == _LANGSTRING and lit.language)


def nodekind_ok(v: Any, kind: rdflib.term.Node) -> bool:
    k = str(kind).rsplit("#", 1)[-1]
    is_iri, is_bn, is_lit = isinstance(v, ox.NamedNode), isinstance(v, ox.BlankNode), isinstance(v, ox.Literal)
    return {"IRI": is_iri, "BlankNode": is_bn, "Literal": is_lit, "BlankNodeOrIRI": is_bn or is_iri,
            "BlankNodeOrLiteral": is_bn or is_lit, "IRIOrLiteral": is_iri or is_lit}.get(k, False)


def compare(a: Any, b: rdflib.term.Node) -> int | None:
    """a <=> b as pyshacl compares literals; None when incomparable (a violation)."""
    from pyshacl.rdfutil.compare import compare_literal

    la = _lit(a)
    if la is None or not isinstance(b, Literal):
        return None
    a_str, b_str = isinstance(la.value, str), isinstance(b.value, str)
    if a_str != b_str:
        return None  # a string and a number/date are incomparable (pyshacl and SPARQL agree)
    if a_str:
        x, y = str(la.value), str(b.value)
        return (x > y) - (x < y)
    try:
        return compare_literal(la, b)
    except Exception:  # noqa: BLE001 - pyshacl raises various errors for incomparable literals
        return None


def _compare_terms(a: Any, b: Any) -> int | None:
    """sh:lessThan(OrEquals) ordering of two value nodes; IRIs and blank nodes are incomparable
    (SPARQL's < is undefined for them)."""
    lb = _lit(b)
    if lb is None:
        return None
    return compare(a, lb)


_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}


def pattern_ok(v: Any, pattern: str, flags: str, cache: dict[tuple[str, str], re.Pattern[str]]) -> bool:
    if isinstance(v, ox.BlankNode):
        return False
    rx = cache.get((pattern, flags))
    if rx is None:
        f = 0
        for ch in flags:
            f |= _FLAGS.get(ch, 0)
        rx = cache[(pattern, flags)] = re.compile(pattern, f)
    return rx.search(v.value) is not None


def lang_matches(tag: str, rng: str) -> bool:
    """SPARQL langMatches (RFC 4647 basic filtering)."""
    tag, rng = tag.lower(), rng.lower()
    if rng == "*":
        return tag != ""
    return tag == rng or tag.startswith(rng + "-")


# ------------------------------------------------------------------------------ the evaluator

class Evaluator:
    """Evaluates shapes on given focus nodes; `conforms` answers are memoised."""

    def __init__(self, data: DataView) -> None:
        self.data = data
        self._conf: dict[tuple[int, Any], bool] = {}
        self._active: set[tuple[int, Any]] = set()
        self._rx: dict[tuple[str, str], re.Pattern[str]] = {}

    # ---- nested shapes
    def conforms(self, shape: Shape, node: Any) -> bool:
        key = (id(shape), node)
        got = self._conf.get(key)
        if got is not None:
            return got
        if key in self._active:
            raise ValidationFailure(f"recursive shape {shape.node} at node {node}")
        self._active.add(key)
        try:
            ok = next(iter(self.results(shape, [node])), None) is None
        finally:
            self._active.discard(key)
        self._conf[key] = ok
        return ok

    # ---- results
    def results(self, shape: Shape, focus_nodes: Iterable[Any],
                skip: Iterable[Constraint] = ()) -> Iterator[Result]:
        """All results of `shape` at `focus_nodes` (generator: callers that only need to know
        whether there is one stop at the first). Constraints in `skip` were compiled to SPARQL."""
        if shape.deactivated:
            return
        skipped = {id(c) for c in skip}
        constraints = [c for c in shape.constraints if id(c) not in skipped]
        if not constraints:
            return
        for f in focus_nodes:
            values = self.data.path_values(shape, f) if shape.is_property else {f}
            for c in constraints:
                yield from self.check(shape, c, f, values)

    def check(self, shape: Shape, c: Constraint, f: Any, values: set[Any]) -> Iterator[Result]:
        p = c.params
        comp = c.iri
        name = c.component
        path = shape.path_node

        def res(value: Any = None) -> Result:
            return Result(f, shape, comp, value, path)

        if name == "Class":
            for v in values:
                if not self.data.is_instance(v, p["class"]):
                    yield res(v)
        elif name == "Datatype":
            for v in values:
                if not datatype_ok(v, p["datatype"]):
                    yield res(v)
        elif name == "NodeKind":
            for v in values:
                if not nodekind_ok(v, p["nodeKind"]):
                    yield res(v)
        elif name == "MinCount":
            if len(values) < p["minCount"]:
                yield res()
        elif name == "MaxCount":
            if len(values) > p["maxCount"]:
                yield res()
        elif name in ("MinExclusive", "MinInclusive", "MaxExclusive", "MaxInclusive"):
            bound = p[name[0].lower() + name[1:]]
            for v in values:
                r = compare(v, bound)
                ok = r is not None and {"MinExclusive": r > 0, "MinInclusive": r >= 0,
                                        "MaxExclusive": r < 0, "MaxInclusive": r <= 0}[name]
                if not ok:
                    yield res(v)
        elif name in ("MinLength", "MaxLength"):
            n = p["minLength" if name == "MinLength" else "maxLength"]
            for v in values:
                if isinstance(v, ox.BlankNode):
                    yield res(v)
                    continue
                ln = len(v.value)
                if (name == "MinLength" and ln < n) or (name == "MaxLength" and ln > n):
                    yield res(v)
        elif name == "Pattern":
            for v in values:
                if not pattern_ok(v, p["pattern"], p["flags"], self._rx):
                    yield res(v)
        elif name == "LanguageIn":
            for v in values:
                tag = v.language if isinstance(v, ox.Literal) else None
                if not tag or not any(lang_matches(tag, r) for r in p["languageIn"]):
                    yield res(v)
        elif name == "UniqueLang":
            seen: dict[str, int] = {}
            for v in values:
                if isinstance(v, ox.Literal) and v.language:
                    k = v.language.lower()
                    seen[k] = seen.get(k, 0) + 1
            for _k, n in sorted(seen.items()):
                if n > 1:
                    yield res()
        elif name in ("Equals", "Disjoint", "LessThan", "LessThanOrEquals"):
            other = self.data.objects(p[name[0].lower() + name[1:]], f)
            if name == "Equals":
                for v in values - other:
                    yield res(v)
                for v in other - values:
                    yield res(v)
            elif name == "Disjoint":
                for v in values & other:
                    yield res(v)
            else:
                for v in values:
                    for w in other:
                        r = _compare_terms(v, w)
                        if r is None or (r >= 0 if name == "LessThan" else r > 0):
                            yield res(v)
        elif name == "Not":
            for v in values:
                if self.conforms(p["shape"], v):
                    yield res(v)
        elif name == "And":
            for v in values:
                if not all(self.conforms(s, v) for s in p["shapes"]):
                    yield res(v)
        elif name == "Or":
            for v in values:
                if not any(self.conforms(s, v) for s in p["shapes"]):
                    yield res(v)
        elif name == "Xone":
            for v in values:
                if sum(1 for s in p["shapes"] if self.conforms(s, v)) != 1:
                    yield res(v)
        elif name == "Node":
            for v in values:
                if not self.conforms(p["shape"], v):
                    yield res(v)
        elif name == "Property":
            for v in values:
                yield from self.results(p["shape"], [v])
        elif name in ("QualifiedMinCount", "QualifiedMaxCount"):
            n = self._qualified_count(shape, p, values)
            if name == "QualifiedMinCount" and n < p["min"]:
                yield res()
            if name == "QualifiedMaxCount" and n > p["max"]:
                yield res()
        elif name == "Closed":
            allowed = p["allowed"]
            for v in values:
                if isinstance(v, ox.Literal):
                    continue
                for pred, obj in self.data.outgoing(v):
                    if pred.value not in allowed:
                        yield Result(f, shape, comp, obj, URIRef(pred.value))
        elif name == "HasValue":
            if p["hasValue"] not in values:
                yield res()
        elif name == "In":
            for v in values:
                if v not in p["in"]:
                    yield res(v)
        else:  # pragma: no cover - compile.py only produces the names above
            raise ValidationFailure(f"unsupported constraint component {name}")

    def _qualified_count(self, shape: Shape, p: dict[str, Any], values: set[Any]) -> int:
        q: Shape = p["shape"]
        siblings: list[Shape] = []
        if p["disjoint"]:
            for parent in shape.parents:
                for c in parent.constraints:
                    if c.component != "Property":
                        continue
                    for c2 in c.params["shape"].constraints:
                        if c2.component in ("QualifiedMinCount", "QualifiedMaxCount"):
                            s2 = c2.params["shape"]
                            if c.params["shape"] is not shape and s2 not in siblings:
                                siblings.append(s2)
        n = 0
        for v in values:
            if self.conforms(q, v) and not any(self.conforms(s, v) for s in siblings):
                n += 1
        return n
