"""Shapes graph → compiled plan.

Every shape is read once into a `Shape` (targets, path, severity, messages and its constraints
with parameters already converted to pyoxigraph terms). The query builders here return only
violating rows: the focus-first ones (values_query, count_query, pair_query) push a shape's
targets into the query as a join; the scan-first ones (scan_values_query, min_query, max_query,
scan_pair_query) scan a path once for every shape using it and test focus membership only on
the rows that break a check (kg.shacl.engine decides which to use). Everything else (nested shapes, logical constraints,
qualified counts, closed shapes, property pairs, language uniqueness...) is evaluated exactly in
Python by kg.shacl.exact, so the plan never has to be clever about what it cannot express.
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
import rdflib
from rdflib import RDF, RDFS, BNode, Literal, URIRef
from rdflib.collection import Collection

from kg import rdf as ns
from kg.errors import ShapeError
from kg.shacl.paths import Path, parse_path, to_sparql

SH = rdflib.Namespace(ns.SH)
XSD = ns.XSD
RDF_NS = ns.RDF

# a surrogate datatype for literals pyoxigraph would rewrite (see kg.shacl.engine.load_exact)
SURROGATE = "urn:x-hilfenetz:literal:"


def to_ox(t: rdflib.term.Node) -> Any:
    """rdflib term → pyoxigraph term (blank nodes keep their id)."""
    if isinstance(t, URIRef):
        return ox.NamedNode(str(t))
    if isinstance(t, BNode):
        return ox.BlankNode(str(t))
    if isinstance(t, Literal):
        if t.language:
            return ox.Literal(str(t), language=t.language)
        if t.datatype is not None:
            return ox.Literal(str(t), datatype=ox.NamedNode(str(t.datatype)))
        return ox.Literal(str(t))
    raise ShapeError(f"unsupported term {t!r}")


def to_rdf(t: Any) -> rdflib.term.Node:
    """pyoxigraph term → rdflib term, lexical forms verbatim, surrogate literals decoded."""
    if isinstance(t, ox.NamedNode):
        return URIRef(t.value)
    if isinstance(t, ox.BlankNode):
        return BNode(t.value)
    if isinstance(t, ox.Literal):
        if t.language:
            return Literal(t.value, lang=t.language)
        dt = t.datatype.value
        if dt == XSD + "string":
            return Literal(t.value)
        dt = dt.removeprefix(SURROGATE)
        return Literal(t.value, datatype=URIRef(dt), normalize=False)
    raise TypeError(f"unsupported pyoxigraph term {t!r}")


@dataclass
class Constraint:
    """One constraint component instance: component local name (e.g. "MinCount") and parameters."""

    component: str
    params: dict[str, Any]

    @property
    def iri(self) -> URIRef:
        return SH[self.component + "ConstraintComponent"]


@dataclass
class Shape:
    """A node or property shape as the evaluator needs it."""

    node: rdflib.term.Node
    path: Path | None = None
    path_node: rdflib.term.Node | None = None
    targets: list[tuple[str, Any]] = field(default_factory=list)
    severity: URIRef = SH.Violation
    messages: list[Literal] = field(default_factory=list)
    deactivated: bool = False
    constraints: list[Constraint] = field(default_factory=list)
    parents: list[Shape] = field(default_factory=list)  # shapes that reference it by sh:property

    def __repr__(self) -> str:
        """Short: the shape's node and path. Why not the dataclass repr: shapes reference each
        other (constraints, `parents`), and spelling out that graph took minutes for a failing
        test's report (pytest shows the arguments of every frame)."""
        path = f", path={self.path_node}" if self.path_node is not None else ""
        return f"Shape({self.node}{path}, {len(self.constraints)} constraints)"

    @property
    def is_property(self) -> bool:
        return self.path is not None


def _list(g: rdflib.Graph, node: rdflib.term.Node) -> list[rdflib.term.Node]:
    if node == RDF.nil:
        return []
    if (node, RDF.first, None) not in g:
        raise ShapeError(f"expected an RDF list at {node}")
    return list(Collection(g, node))


def _one(g: rdflib.Graph, s: rdflib.term.Node, p: URIRef) -> rdflib.term.Node | None:
    vals = list(g.objects(s, p))
    if len(vals) > 1:
        raise ShapeError(f"{s} has {len(vals)} values for {p}")
    return vals[0] if vals else None


def _int(v: rdflib.term.Node, what: str) -> int:
    if not isinstance(v, Literal):
        raise ShapeError(f"{what} must be an integer literal")
    try:
        return int(str(v))
    except ValueError as e:
        raise ShapeError(f"{what} must be an integer literal, got {v!r}") from e


_SHAPE_TYPES = (SH.NodeShape, SH.PropertyShape)
_TARGETS = ((SH.targetNode, "node"), (SH.targetClass, "class"),
            (SH.targetSubjectsOf, "subjectsOf"), (SH.targetObjectsOf, "objectsOf"))


class ShapesGraph:
    """All shapes of a shapes graph, parsed on demand and memoised by node."""

    def __init__(self, g: rdflib.Graph) -> None:
        self.g = g
        self._shapes: dict[rdflib.term.Node, Shape] = {}
        self._parsing: set[rdflib.term.Node] = set()
        self._targets: list[Shape] | None = None

    def shape(self, node: rdflib.term.Node) -> Shape:
        if node not in self._shapes:
            if node in self._parsing:
                # a reference cycle; the Shape object is created before recursion, so this cannot happen
                raise ShapeError(f"cyclic shape definition at {node}")
            self._parse(node)
        return self._shapes[node]

    def target_shapes(self) -> list[Shape]:
        """Shapes with at least one target (explicit or implicit class target), sorted for determinism.
        Memoised (the graph is not changed after parsing): ~14 ms of rdflib lookups per write."""
        if self._targets is not None:
            return list(self._targets)
        g = self.g
        cands: set[rdflib.term.Node] = set()
        for pred, _ in _TARGETS:
            cands.update(g.subjects(pred, None))
        for t in _SHAPE_TYPES:
            for s in g.subjects(RDF.type, t):
                if (s, RDF.type, RDFS.Class) in g or (s, RDF.type, rdflib.OWL.Class) in g:
                    cands.add(s)
        out = [self.shape(n) for n in sorted(cands, key=lambda n: (isinstance(n, BNode), str(n)))]
        self._targets = [s for s in out if s.targets]
        return list(self._targets)

    def _parse(self, node: rdflib.term.Node) -> None:
        g = self.g
        sh = Shape(node=node)
        self._shapes[node] = sh
        self._parsing.add(node)
        try:
            path_node = _one(g, node, SH.path)
            if path_node is not None:
                sh.path_node = path_node
                sh.path = parse_path(g, path_node)
            for pred, kind in _TARGETS:
                for o in g.objects(node, pred):
                    sh.targets.append((kind, to_ox(o)))
            if isinstance(node, URIRef) and any((node, RDF.type, t) in g for t in _SHAPE_TYPES) and (
                    (node, RDF.type, RDFS.Class) in g or (node, RDF.type, rdflib.OWL.Class) in g):
                sh.targets.append(("class", to_ox(node)))
            sev = _one(g, node, SH.severity)
            if sev is not None:
                sh.severity = sev  # type: ignore[assignment]
            sh.messages = [m for m in g.objects(node, SH.message) if isinstance(m, Literal)]
            deact = _one(g, node, SH.deactivated)
            sh.deactivated = isinstance(deact, Literal) and str(deact).strip().lower() == "true"
            sh.constraints = self._constraints(node, sh)
        finally:
            self._parsing.discard(node)

    def _constraints(self, node: rdflib.term.Node, shape: Shape) -> list[Constraint]:
        g = self.g
        out: list[Constraint] = []
        for o in g.objects(node, SH["class"]):
            out.append(Constraint("Class", {"class": to_ox(o)}))
        for o in g.objects(node, SH.datatype):
            out.append(Constraint("Datatype", {"datatype": o}))
        for o in g.objects(node, SH.nodeKind):
            out.append(Constraint("NodeKind", {"nodeKind": o}))
        if shape.is_property:
            for o in g.objects(node, SH.minCount):
                out.append(Constraint("MinCount", {"minCount": _int(o, "sh:minCount")}))
            for o in g.objects(node, SH.maxCount):
                out.append(Constraint("MaxCount", {"maxCount": _int(o, "sh:maxCount")}))
        for name in ("minExclusive", "minInclusive", "maxExclusive", "maxInclusive"):
            for o in g.objects(node, SH[name]):
                out.append(Constraint(name[0].upper() + name[1:], {name: o}))
        for name in ("minLength", "maxLength"):
            for o in g.objects(node, SH[name]):
                out.append(Constraint(name[0].upper() + name[1:], {name: _int(o, f"sh:{name}")}))
        flags_vals = list(g.objects(node, SH.flags))
        for o in g.objects(node, SH.pattern):
            flags = str(flags_vals[0]) if flags_vals else ""
            out.append(Constraint("Pattern", {"pattern": str(o), "flags": flags}))
        for o in g.objects(node, SH.languageIn):
            out.append(Constraint("LanguageIn", {"languageIn": [str(x) for x in _list(g, o)]}))
        if shape.is_property:
            for o in g.objects(node, SH.uniqueLang):
                if isinstance(o, Literal) and str(o).strip().lower() == "true":
                    out.append(Constraint("UniqueLang", {}))
        for name in ("equals", "disjoint", "lessThan", "lessThanOrEquals"):
            for o in g.objects(node, SH[name]):
                if not isinstance(o, URIRef):
                    raise ShapeError(f"sh:{name} must be an IRI")
                out.append(Constraint(name[0].upper() + name[1:], {name: ox.NamedNode(str(o))}))
        for o in g.objects(node, SH["not"]):
            out.append(Constraint("Not", {"shape": self.shape(o)}))
        for name in ("and", "or", "xone"):
            for o in g.objects(node, SH[name]):
                out.append(Constraint(name[0].upper() + name[1:],
                                      {"shapes": [self.shape(x) for x in _list(g, o)]}))
        for o in g.objects(node, SH.node):
            out.append(Constraint("Node", {"shape": self.shape(o)}))
        for o in g.objects(node, SH.property):
            ps = self.shape(o)
            if not ps.is_property:
                raise ShapeError(f"sh:property value {o} has no sh:path")
            if shape not in ps.parents:
                ps.parents.append(shape)
            out.append(Constraint("Property", {"shape": ps}))
        if shape.is_property:
            for o in g.objects(node, SH.qualifiedValueShape):
                qmin = _one(g, node, SH.qualifiedMinCount)
                qmax = _one(g, node, SH.qualifiedMaxCount)
                disj = _one(g, node, SH.qualifiedValueShapesDisjoint)
                params = {"shape": self.shape(o),
                          "disjoint": isinstance(disj, Literal) and str(disj).strip().lower() == "true"}
                if qmin is not None:
                    out.append(Constraint("QualifiedMinCount", {**params, "min": _int(qmin, "sh:qualifiedMinCount")}))
                if qmax is not None:
                    out.append(Constraint("QualifiedMaxCount", {**params, "max": _int(qmax, "sh:qualifiedMaxCount")}))
        closed = _one(g, node, SH.closed)
        if isinstance(closed, Literal) and str(closed).strip().lower() == "true":
            allowed: set[str] = set()
            for ps in g.objects(node, SH.property):
                p = _one(g, ps, SH.path)
                if isinstance(p, URIRef):
                    allowed.add(str(p))
            for o in g.objects(node, SH.ignoredProperties):
                allowed.update(str(x) for x in _list(g, o))
            out.append(Constraint("Closed", {"allowed": allowed}))
        for o in g.objects(node, SH.hasValue):
            out.append(Constraint("HasValue", {"hasValue": to_ox(o)}))
        for o in g.objects(node, SH["in"]):
            out.append(Constraint("In", {"in": {to_ox(x) for x in _list(g, o)}}))
        return out


# ----------------------------------------------------------------------------------- SPARQL plan

# How "?x is an instance of C" is written. During a run the engine sets a resolver giving the
# subclass closure of C in the data (a handful of IRIs), so the check is a plain rdf:type join over
# a VALUES list; without it the rdf:type/rdfs:subClassOf* property path is used (same meaning,
# but oxigraph re-walks the hierarchy for every candidate node).
SUBCLASSES: contextvars.ContextVar[Callable[[Any], list[Any]] | None] = contextvars.ContextVar(
    "hilfenetz_shacl_subclasses", default=None)


def instance_pattern(var: str, cls: Any) -> str:
    """A graph pattern binding `var` to every instance of `cls` (rdfs:subClassOf-aware), for
    enumerating instances: one rdf:type lookup by object per class of the closure."""
    resolver = SUBCLASSES.get()
    if resolver is None:
        return f"{var} <{RDF_NS}type>/<{RDFS}subClassOf>* {_term(cls)} ."
    classes = resolver(cls)
    if len(classes) == 1:
        return f"{var} <{RDF_NS}type> {_term(classes[0])} ."
    t = f"?_t{abs(hash((var, cls.value))) % 100000}"
    values = " ".join(_term(c) for c in classes)
    return f"VALUES {t} {{ {values} }} {var} <{RDF_NS}type> {t} ."


def instance_check(var: str, cls: Any) -> str:
    """A graph pattern matching when the already bound `var` is an instance of `cls`, for use
    inside (NOT) EXISTS: one walk over the node's rdf:type triples filtered by the closure, instead
    of one lookup per class of the closure (the VALUES form costs ~25 lookups for hn:Agent)."""
    resolver = SUBCLASSES.get()
    if resolver is None:
        return f"{var} <{RDF_NS}type>/<{RDFS}subClassOf>* {_term(cls)} ."
    classes = resolver(cls)
    if len(classes) == 1:
        return f"{var} <{RDF_NS}type> {_term(classes[0])} ."
    t = f"?_t{abs(hash((var, cls.value))) % 100000}"
    return f"{var} <{RDF_NS}type> {t} . FILTER({t} IN ({', '.join(_term(c) for c in classes)}))"


def focus_query(shape: Shape) -> str:
    """One SELECT computing every focus node of `shape` (a UNION over its targets)."""
    return f"SELECT DISTINCT ?this WHERE {{ {focus_pattern(shape)} }}"


def focus_pattern(shape: Shape) -> str:
    """The graph pattern binding ?this to the focus nodes, for pushing into other queries."""
    branches: list[str] = []
    for kind, t in shape.targets:
        if kind == "node":
            branches.append(f"{{ VALUES ?this {{ {_term(t)} }} }}")
        elif kind == "class":
            branches.append(f"{{ {instance_pattern('?this', t)} }}")
        elif kind == "subjectsOf":
            branches.append(f"{{ ?this {_term(t)} ?_any }}")
        elif kind == "objectsOf":
            branches.append(f"{{ ?_any {_term(t)} ?this }}")
    return " UNION ".join(branches) if branches else "FILTER(false)"


def focus_check(shape: Shape) -> str:
    """A pattern matching when the already bound ?this is a focus node of `shape` (for EXISTS:
    scan-first queries find candidate rows first and test only those for being focus nodes)."""
    branches: list[str] = []
    for kind, t in shape.targets:
        if kind == "node":
            branches.append(f"{{ FILTER(sameTerm(?this, {_term(t)})) }}")
        elif kind == "class":
            branches.append(f"{{ {instance_check('?this', t)} }}")
        elif kind == "subjectsOf":
            branches.append(f"{{ ?this {_term(t)} ?_any }}")
        elif kind == "objectsOf":
            branches.append(f"{{ ?_any {_term(t)} ?this }}")
    return " UNION ".join(branches) if branches else "FILTER(false)"


def _term(t: Any) -> str:
    if isinstance(t, ox.NamedNode):
        return f"<{t.value}>"
    if isinstance(t, ox.Literal):
        return str(t)
    raise ShapeError(f"cannot use {t!r} in a compiled query")


# Components the SPARQL fast path evaluates, with the value-level ones as FILTER expressions.
SIMPLE = {"Class", "Datatype", "NodeKind", "MinCount", "MaxCount", "In", "HasValue",
          "MinLength", "MaxLength", "Pattern", "LanguageIn", "MinInclusive", "MinExclusive",
          "MaxInclusive", "MaxExclusive", "Not", "And", "Or", "Xone", "Node"}
_NUMERIC = {XSD + t for t in ("integer", "decimal", "double", "float")}
_RANGE_OPS = {"MinInclusive": ">=", "MinExclusive": ">", "MaxInclusive": "<=", "MaxExclusive": "<"}

_NODEKIND = {
    "IRI": "isIRI(?v)", "BlankNode": "isBlank(?v)", "Literal": "isLiteral(?v)",
    "BlankNodeOrIRI": "(isBlank(?v) || isIRI(?v))", "BlankNodeOrLiteral": "(isBlank(?v) || isLiteral(?v))",
    "IRIOrLiteral": "(isIRI(?v) || isLiteral(?v))",
}
# datatypes whose well-formed literals pyoxigraph stores as native values: an ill-formed one keeps
# its lexical form and fails a cast, so `COALESCE(isLiteral(xsd:T(?v)), false)` tests well-formedness
_CASTABLE = {"integer", "decimal", "double", "float", "boolean", "date", "dateTime", "time"}
# datatypes whose lexical forms neither rdflib nor pyshacl check (Literal.ill_typed is None and
# pyshacl assumes a match): only the datatype IRI is compared, as pyshacl does. Deliberately the
# reference engine's semantics; SHACL itself would call "20x1"^^xsd:gYear ill-formed.
_LEXICAL_UNCHECKED = {"gYear", "gYearMonth"}
# datatypes every lexical form of which is well-formed (pyshacl likewise accepts any lexical form)
_ANY_LEXICAL = {XSD + "string", RDF_NS + "langString"}


def value_check(c: Constraint, depth: int = 0) -> str | None:
    """A SPARQL expression true when ?v VIOLATES the constraint, or None when not compilable."""
    p = c.params
    if c.component in _RANGE_OPS:
        bound = p[c.component[0].lower() + c.component[1:]]
        if not (isinstance(bound, Literal) and bound.datatype is not None and str(bound.datatype) in _NUMERIC):
            return None  # dates, strings: compared exactly in Python (pyshacl's ordering)
        try:
            float(str(bound))
        except ValueError:
            return None
        # numbers only: a string or date compared with a number is a violation in both engines
        return (f"!(isNumeric(?v) && COALESCE(?v {_RANGE_OPS[c.component]} {_term(to_ox(bound))}, false))")
    if c.component in ("Not", "And", "Or", "Xone", "Node"):
        if depth > 8:
            return None
        shapes = [p["shape"]] if c.component in ("Not", "Node") else p["shapes"]
        exprs = [conform_expr(s, "?v", depth + 1) for s in shapes]
        if any(e is None for e in exprs):
            return None
        if c.component == "Not":
            return f"({exprs[0]})"
        if c.component == "Node":
            return f"!({exprs[0]})"
        if c.component == "And":
            return "!(" + " && ".join(f"({e})" for e in exprs) + ")"
        if c.component == "Or":
            return "!(" + " || ".join(f"({e})" for e in exprs) + ")"
        return "(" + " + ".join(f"IF({e}, 1, 0)" for e in exprs) + " != 1)"
    if c.component == "Class":
        return f"NOT EXISTS {{ {instance_check('?v', p['class'])} }}"
    if c.component == "NodeKind":
        local = str(p["nodeKind"]).rsplit("#", 1)[-1]
        return f"!{_NODEKIND[local]}" if local in _NODEKIND else None
    if c.component == "Datatype":
        dt = str(p["datatype"])
        if dt == RDF_NS + "langString":
            return "!(isLiteral(?v) && lang(?v) != \"\")"
        if dt in _ANY_LEXICAL:
            return f"!(isLiteral(?v) && datatype(?v) = <{dt}>)"
        local = dt[len(XSD):] if dt.startswith(XSD) else None
        if local in _CASTABLE:
            return f"!(isLiteral(?v) && datatype(?v) = <{dt}> && COALESCE(isLiteral(<{dt}>(?v)), false))"
        if local in _LEXICAL_UNCHECKED:
            return f"!(isLiteral(?v) && datatype(?v) = <{dt}>)"
        return None  # other datatypes: well-formedness is checked exactly in Python
    if c.component == "In":
        vals = p["in"]
        if not vals or not all(isinstance(v, (ox.NamedNode, ox.Literal)) for v in vals):
            return None
        if any(isinstance(v, ox.Literal) and v.datatype.value.startswith(SURROGATE) for v in vals):
            return None
        # sameTerm, not =: sh:in compares RDF terms, not values
        return "!(" + " || ".join(f"sameTerm(?v, {_term(v)})" for v in sorted(vals, key=str)) + ")"
    if c.component in ("MinLength", "MaxLength"):
        n = p["minLength" if c.component == "MinLength" else "maxLength"]
        op = "<" if c.component == "MinLength" else ">"
        return f"(isBlank(?v) || STRLEN(STR(?v)) {op} {int(n)})"
    if c.component == "Pattern":
        flags = p["flags"]
        if set(flags) - set("ismx") or _risky_regex(p["pattern"]):
            return None
        pat = _sparql_string(p["pattern"])
        return f"(isBlank(?v) || !REGEX(STR(?v), {pat}, {_sparql_string(flags)}))"
    if c.component == "LanguageIn":
        ranges = p["languageIn"]
        conds = " || ".join(f"langMatches(lang(?v), {_sparql_string(r)})" for r in ranges)
        return f"!(isLiteral(?v) && lang(?v) != \"\" && ({conds or 'false'}))"
    return None


def _rename(expr: str, var: str) -> str:
    return re.sub(r"\?v\b", var, expr)


def conform_expr(shape: Shape, var: str, depth: int) -> str | None:
    """A SPARQL boolean expression true iff the node in `var` conforms to `shape` (used inside
    sh:node / sh:or / sh:and / sh:not / sh:xone), or None when the shape is not expressible:
    node-level value checks, and property shapes whose values are checked by (NOT) EXISTS."""
    if shape.deactivated:
        return "true"
    parts: list[str] = []
    for c in shape.constraints:
        if not shape.is_property:
            if c.component == "Property":
                e = _property_expr(c.params["shape"], var, depth)
            else:
                v = value_check(c, depth)
                e = None if v is None else f"!COALESCE({_rename(v, var)}, true)"
            if e is None:
                return None
            parts.append(e)
    if shape.is_property:
        e = _property_expr(shape, var, depth)
        if e is None:
            return None
        parts.append(e)
    return " && ".join(f"({x})" for x in parts) if parts else "true"


def _property_expr(ps: Shape, var: str, depth: int) -> str | None:
    if ps.deactivated:
        return "true"
    assert ps.path is not None
    path = to_sparql(ps.path)
    inner = f"?x{depth}"
    parts: list[str] = []
    for c in ps.constraints:
        if c.component == "HasValue" and isinstance(c.params["hasValue"], (ox.NamedNode, ox.Literal)):
            parts.append(f"EXISTS {{ {var} {path} {_term(c.params['hasValue'])} }}")
        elif c.component == "MinCount" and c.params["minCount"] <= 1:
            if c.params["minCount"] == 1:
                parts.append(f"EXISTS {{ {var} {path} ?_m{depth} }}")
        elif c.component == "MaxCount" and c.params["maxCount"] == 0:
            parts.append(f"NOT EXISTS {{ {var} {path} ?_m{depth} }}")
        elif c.component in SIMPLE and c.component not in ("MinCount", "MaxCount", "HasValue"):
            v = value_check(c, depth)
            if v is None:
                return None
            parts.append(f"NOT EXISTS {{ {var} {path} {inner} FILTER(COALESCE({_rename(v, inner)}, true)) }}")
        else:
            return None
    return " && ".join(f"({x})" for x in parts) if parts else "true"


def _risky_regex(pattern: str) -> bool:
    """Regex features whose meaning differs between pyoxigraph's engine (Rust regex, XPath-like)
    and Python's re (pyshacl), or that Rust's engine lacks (lookaround, back-references): such
    patterns are evaluated exactly in Python instead."""
    if any(x in pattern for x in ("(?=", "(?!", "(?<", "(?P", "(?#")):
        return True
    if re.search(r"\\[1-9]", pattern):
        return True
    return any(x in pattern for x in ("\\i", "\\c", "\\I", "\\C", "\\p", "\\P", "\\b", "\\B", "\\A", "\\Z",
                                      "\\z", "\\h", "\\G", "-["))


def _sparql_string(s: str) -> str:
    out = s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{out}"'


@dataclass
class PathPlan:
    """Compiled checks for one property shape reached directly from a target shape."""

    shape: Shape
    value_checks: list[tuple[Constraint, str]]  # (constraint, SPARQL violation expression)
    min_count: Constraint | None
    max_count: Constraint | None
    has_values: list[Constraint]
    rest: list[Constraint]  # evaluated exactly in Python
    pairs: list[Constraint] = field(default_factory=list)  # lessThan(OrEquals): SPARQL prefilter + exact check


_NESTED = {"Not", "And", "Or", "Xone", "Node"}


def plan_property(shape: Shape, nested: bool = True) -> PathPlan:
    """Split a property shape's constraints into the compiled and the exact ones. `nested=False`
    leaves logical and shape-based constraints to Python (needed when the store holds surrogate
    literals, which only the top-level value checks guard against)."""
    checks: list[tuple[Constraint, str]] = []
    rest: list[Constraint] = []
    min_c = max_c = None
    has_values: list[Constraint] = []
    pairs: list[Constraint] = []
    for c in shape.constraints:
        if c.component == "MinCount" and min_c is None:
            min_c = c
        elif c.component == "MaxCount" and max_c is None:
            max_c = c
        elif c.component == "HasValue" and isinstance(c.params["hasValue"], (ox.NamedNode, ox.Literal)):
            has_values.append(c)
        elif c.component in ("LessThan", "LessThanOrEquals"):
            pairs.append(c)
        elif c.component in SIMPLE and (nested or c.component not in _NESTED) \
                and (expr := value_check(c)) is not None:
            checks.append((c, expr))
        else:
            rest.append(c)
    return PathPlan(shape, checks, min_c, max_c, has_values, rest, pairs)


def pair_query(focus: str, shape: Shape, c: Constraint) -> str:
    """Candidates for a sh:lessThan / sh:lessThanOrEquals violation: every (focus, value) except
    those where both values are numbers in the required order (certainly fine in both SPARQL's and
    pyshacl's semantics); the candidates are then decided exactly in Python."""
    assert shape.path is not None
    other = c.params["lessThan" if c.component == "LessThan" else "lessThanOrEquals"]
    op = "<" if c.component == "LessThan" else "<="
    return (f"SELECT DISTINCT ?this ?v WHERE {{ {{ SELECT DISTINCT ?this WHERE {{ {focus} }} }} "
            f"?this {to_sparql(shape.path)} ?v . ?this {_term(other)} ?w . "
            f"FILTER(!(isNumeric(?v) && isNumeric(?w) && COALESCE(?v {op} ?w, false))) }}")


def node_query(focus: str, checks: list[tuple[Constraint, str]]) -> str:
    """One query for the compiled node-level constraints of a node shape (the value node is the
    focus node itself): the focus nodes violating any, with one flag per constraint."""
    binds = " ".join(f"BIND(COALESCE({expr}, true) AS ?c{i})" for i, (_, expr) in enumerate(checks))
    cols = " ".join(f"?c{i}" for i in range(len(checks)))
    any_ = " || ".join(f"?c{i}" for i in range(len(checks)))
    return (f"SELECT DISTINCT ?this {cols} WHERE {{ {{ SELECT DISTINCT ?this WHERE {{ {focus} }} }} "
            f"BIND(?this AS ?v) {binds} FILTER({any_}) }}")


def values_query(focus: str, plan: PathPlan, guard_surrogates: bool = False) -> str | None:
    """One query: for all focus nodes, the value nodes violating any compiled value check,
    with one boolean column per check (so each violation is attributed to its constraint)."""
    if not plan.value_checks:
        return None
    assert plan.shape.path is not None
    guard = f'isLiteral(?v) && STRSTARTS(STR(datatype(?v)), "{SURROGATE}")'
    if guard_surrogates:  # surrogate literals are checked exactly instead (engine._surrogate_values)
        binds = " ".join(f"BIND(IF({guard}, false, COALESCE({expr}, true)) AS ?c{i})"
                         for i, (_, expr) in enumerate(plan.value_checks))
    else:
        binds = " ".join(f"BIND(COALESCE({expr}, true) AS ?c{i})" for i, (_, expr) in enumerate(plan.value_checks))
    cols = " ".join(f"?c{i}" for i in range(len(plan.value_checks)))
    any_ = " || ".join(f"?c{i}" for i in range(len(plan.value_checks)))
    return (f"SELECT DISTINCT ?this ?v {cols} WHERE {{ {{ SELECT DISTINCT ?this WHERE {{ {focus} }} }} "
            f"?this {to_sparql(plan.shape.path)} ?v . {binds} FILTER({any_}) }}")


def count_query(focus: str, plan: PathPlan) -> str | None:
    """One aggregate query: the focus nodes whose number of distinct values breaks min/maxCount,
    or that lack a required sh:hasValue (returned with their count and a flag per hasValue)."""
    if plan.min_count is None and plan.max_count is None and not plan.has_values:
        return None
    assert plan.shape.path is not None
    path = to_sparql(plan.shape.path)
    conds: list[str] = []
    sel = ["?this", "(COUNT(DISTINCT ?v) AS ?n)"]
    if plan.min_count is not None:
        conds.append(f"?n < {int(plan.min_count.params['minCount'])}")
    if plan.max_count is not None:
        conds.append(f"?n > {int(plan.max_count.params['maxCount'])}")
    for i, c in enumerate(plan.has_values):
        sel.append(f"(MAX(IF(sameTerm(?v, {_term(c.params['hasValue'])}), 1, 0)) AS ?h{i})")
    inner = (f"SELECT {' '.join(sel)} WHERE {{ {{ SELECT DISTINCT ?this WHERE {{ {focus} }} }} "
             f"OPTIONAL {{ ?this {path} ?v }} }} GROUP BY ?this")
    for i in range(len(plan.has_values)):
        conds.append(f"COALESCE(?h{i}, 0) = 0")
    hv = " ".join(f"?h{i}" for i in range(len(plan.has_values)))
    return f"SELECT ?this ?n {hv} WHERE {{ {{ {inner} }} FILTER({' || '.join(conds)}) }}"


# ------------------------------------------------------------------ scan-first (path-centric) plan
#
# Measured on pyoxigraph's in-memory store (bench data, 1M triples): a scan of one predicate costs
# about 1 µs per triple, a lookup from a bound node (a join step, an EXISTS) 3-4 µs, and every row
# handed to Python about 4 µs. Joining the focus nodes first and then looking up their values
# therefore costs more than scanning all triples of the path, checking the values there, and
# asking "is the subject a focus node?" only for the few rows that break a check. These queries
# are built per path, with the checks of every (target shape, property shape) using that path in
# one SELECT: one scan, one boolean column per distinct check and one per target shape.


def scannable(path: Path | None) -> bool:
    """Paths a scan-first query can enumerate: a predicate or the inverse of one (a `*` path
    from every node would enumerate the whole graph)."""
    if path is None:
        return False
    return path.kind == "pred" or (path.kind == "inv" and path.parts[0].kind == "pred")


def _focus_flags(focus_checks: list[str], conds: list[str]) -> str:
    """One ?fI per target shape: is ?this a focus node of it; tested only when `conds[I]` holds
    (a check used by that target shape failed), and rows with no ?fI true are dropped."""
    binds = " ".join(f"BIND(IF({c}, EXISTS {{ {f} }}, false) AS ?f{i})"
                     for i, (f, c) in enumerate(zip(focus_checks, conds, strict=True)))
    any_ = " || ".join(f"?f{i}" for i in range(len(focus_checks)))
    return f"{binds} FILTER({any_ or 'false'})"


# LIMIT keeps the optimizer from pushing the checks into the DISTINCT (which would evaluate them
# per triple again); it is never reached
_NO_LIMIT = 10**15


def scan_values_query(path: Path, checks: list[str], focus_checks: list[str], used: list[list[int]],
                      guard_surrogates: bool = False, distinct_values: bool = False) -> str:
    """All (subject, value) pairs of `path` whose value breaks a check (violation expressions
    over ?v) used by a target shape the subject is a focus node of: one column ?cI per check and
    one column ?fJ per target shape (`used[J]`: the checks target shape J uses). The focus test
    runs only on rows breaking one of its checks (the inner SELECT is evaluated first).

    `distinct_values` checks each distinct value once and looks up the subjects of the breaking
    ones only: cheaper when few values recur in many triples (sources, concepts: ~40 % of the
    scan's cost at 104k hn:statedIn triples with 20 values), dearer when values are mostly
    distinct (labels), so the engine samples the path first."""
    guard = f'isLiteral(?v) && STRSTARTS(STR(datatype(?v)), "{SURROGATE}")'
    if guard_surrogates:  # surrogate literals are checked exactly instead (engine._surrogate_values)
        binds = " ".join(f"BIND(IF({guard}, false, COALESCE({e}, true)) AS ?c{i})" for i, e in enumerate(checks))
    else:
        binds = " ".join(f"BIND(COALESCE({e}, true) AS ?c{i})" for i, e in enumerate(checks))
    cols = " ".join(f"?c{i}" for i in range(len(checks)))
    any_ = " || ".join(f"?c{i}" for i in range(len(checks)))
    fcols = " ".join(f"?f{i}" for i in range(len(focus_checks)))
    conds = [" || ".join(f"?c{i}" for i in sorted(set(u))) or "false" for u in used]
    p = to_sparql(path)
    if distinct_values:
        return (f"SELECT DISTINCT ?this ?v {cols} {fcols} WHERE {{ {{ SELECT ?v {cols} WHERE {{ "
                f"{{ SELECT DISTINCT ?v WHERE {{ ?_s {p} ?v }} LIMIT {_NO_LIMIT} }} {binds} FILTER({any_}) }} }} "
                f"?this {p} ?v . {_focus_flags(focus_checks, conds)} }}")
    return (f"SELECT ?this ?v {cols} {fcols} WHERE {{ {{ SELECT DISTINCT ?this ?v {cols} WHERE {{ "
            f"?this {p} ?v . {binds} FILTER({any_}) }} }} {_focus_flags(focus_checks, conds)} }}")


def sample_values_query(path: Path, n: int) -> str:
    """Rows and distinct values among the first `n` triples of `path` (how much values recur)."""
    return (f"SELECT (COUNT(*) AS ?n) (COUNT(DISTINCT ?v) AS ?d) WHERE {{ "
            f"{{ SELECT ?v WHERE {{ ?_s {to_sparql(path)} ?v }} LIMIT {int(n)} }} }}")


def min_query(focus: str, missing: list[str]) -> str:
    """One query per target shape for its minCount-1 and hasValue constraints: the focus nodes for
    which any of the `missing` patterns (e.g. `NOT EXISTS { ?this <p> ?_m0 }`) holds, one flag
    column ?mI each. One pass over the focus nodes instead of one aggregate query per path."""
    binds = " ".join(f"BIND({m} AS ?m{i})" for i, m in enumerate(missing))
    cols = " ".join(f"?m{i}" for i in range(len(missing)))
    # the flags are computed only for the nodes the inner filter keeps (binding them for every
    # focus node costs a third more: measured)
    return (f"SELECT ?this {cols} WHERE {{ {{ SELECT ?this WHERE {{ {{ SELECT DISTINCT ?this WHERE {{ {focus} }} }} "
            f"FILTER({' || '.join(f'({m})' for m in missing)}) }} }} {binds} }}")


def max_probe_query(path: Path) -> str:
    """Solutions vs distinct subjects of `path`: equal means no node has two values, so no
    sh:maxCount >= 1 on this path can be broken (a scan, no grouping)."""
    return f"SELECT (COUNT(*) AS ?n) (COUNT(DISTINCT ?this) AS ?d) WHERE {{ ?this {to_sparql(path)} ?v }}"


def max_query(path: Path, limits: list[int], focus_checks: list[str]) -> str:
    """The nodes with more distinct values of `path` than the sh:maxCount `limits[J]` of a target
    shape J they are a focus node of: their count and one flag per target shape."""
    fcols = " ".join(f"?f{i}" for i in range(len(focus_checks)))
    conds = [f"?n > {int(m)}" for m in limits]
    return (f"SELECT ?this ?n {fcols} WHERE {{ {{ SELECT ?this (COUNT(DISTINCT ?v) AS ?n) WHERE {{ "
            f"?this {to_sparql(path)} ?v }} GROUP BY ?this HAVING(COUNT(DISTINCT ?v) > {int(min(limits))}) }} "
            f"{_focus_flags(focus_checks, conds)} }}")


def scan_pair_query(shape: Shape, c: Constraint, focus_checks: list[str]) -> str:
    """pair_query, scan-first: candidate (subject, value) pairs of a sh:lessThan(OrEquals) over all
    subjects, then one flag per target shape; the candidates are decided exactly in Python."""
    assert shape.path is not None
    other = c.params["lessThan" if c.component == "LessThan" else "lessThanOrEquals"]
    op = "<" if c.component == "LessThan" else "<="
    fcols = " ".join(f"?f{i}" for i in range(len(focus_checks)))
    return (f"SELECT ?this ?v {fcols} WHERE {{ {{ SELECT DISTINCT ?this ?v WHERE {{ "
            f"?this {to_sparql(shape.path)} ?v . ?this {_term(other)} ?w . "
            f"FILTER(!(isNumeric(?v) && isNumeric(?w) && COALESCE(?v {op} ?w, false))) }} }} "
            f"{_focus_flags(focus_checks, ['true'] * len(focus_checks))} }}")
