"""The native SHACL engine: shapes compiled to SPARQL, run inside pyoxigraph on the store itself.

`validate_store(store, shapes)` validates a pyoxigraph store (the union of its graphs, or chosen
graphs) and returns a kg.shacl.report.ValidationReport whose graph is a standard
sh:ValidationReport. Per target shape one query computes the focus nodes; per property shape
reached from it, one query returns the value nodes violating any of its simple constraints and one
aggregate query the focus nodes breaking a count or sh:hasValue, all with the targets pushed in
as a join (kg.shacl.compile). Whatever is not compiled is evaluated exactly in Python
(kg.shacl.exact), so a shape is never answered approximately.

`validate_graphs(data, shapes, ontology)` does the same for rdflib graphs, loading them into an
in-memory store without letting pyoxigraph rewrite literals (see `load_exact`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pyoxigraph as ox
import rdflib
from rdflib import RDF, BNode, Literal

from kg.shacl.compile import (
    SH,
    SIMPLE,
    SUBCLASSES,
    SURROGATE,
    Shape,
    ShapeError,
    ShapesGraph,
    count_query,
    focus_pattern,
    node_query,
    pair_query,
    plan_property,
    to_ox,
    to_rdf,
    value_check,
    values_query,
)
from kg.shacl.exact import DataView, Evaluator, Result, ValidationFailure
from kg.shacl.paths import PathError, copy_path

__all__ = ["ValidationFailure", "load_exact", "report_graph", "validate_graphs", "validate_store"]


def _graph_list(data_graph: str | Sequence[str] | None, ontology_graphs: Sequence[str]) -> list[Any] | None:
    """None (the union of all graphs) or the graphs to read: the data graph(s) + ontology graphs;
    "" or "default" names the default graph."""
    if data_graph is None:
        return None
    names = [data_graph] if isinstance(data_graph, str) else list(data_graph)
    names += list(ontology_graphs)
    return [ox.DefaultGraph() if g in ("", "default") else ox.NamedNode(g) for g in dict.fromkeys(names)]


def _compilable_targets(shape: Shape) -> bool:
    """Targets a query can name: no blank nodes (unnamable), no literals (a query canonicalises them)."""
    return all(not isinstance(t, (ox.BlankNode, ox.Literal)) for _, t in shape.targets)


class Run:
    """One validation run: the data view, the evaluator and the results found so far."""

    def __init__(self, data: DataView, compiled: bool, threads: int = 2) -> None:
        self.data = data
        self.ev = Evaluator(data)
        self.compiled = compiled
        self.results: list[Result] = []
        self.queries = 0
        # Compiled queries run on a small thread pool: pyoxigraph evaluates them without the GIL,
        # so they overlap each other and the exact Python evaluation on the main thread. Their
        # rows are handled on the main thread, in submission order (deterministic reports).
        self.pool = ThreadPoolExecutor(max_workers=threads) if threads > 1 else None
        self.pending: list[tuple[Any, Callable[[list[Any]], None]]] = []

    def submit(self, query: str, handle: Callable[[list[Any]], None]) -> None:
        self.queries += 1
        if self.pool is None:
            handle(list(self.data.query(query)))
        else:
            self.pending.append((self.pool.submit(lambda: list(self.data.query(query))), handle))

    def finish(self) -> None:
        """Handle the rows of every submitted query (in order) and stop the pool."""
        try:
            for fut, handle in self.pending:
                handle(fut.result())
        finally:
            self.pending = []
            if self.pool is not None:
                self.pool.shutdown(wait=True, cancel_futures=True)

    def focus_nodes(self, shape: Shape) -> list[Any]:
        if self.compiled and _compilable_targets(shape):
            self.queries += 1
            sols = self.data.query(f"SELECT DISTINCT ?this WHERE {{ {focus_pattern(shape)} }}")
            return [self.data.decode(s[0]) for s in sols]
        return sorted(self._focus_exact(shape), key=str)

    def _focus_exact(self, shape: Shape) -> set[Any]:
        from kg.shacl.exact import RDF_TYPE, SUBCLASS

        out: set[Any] = set()
        d = self.data
        for kind, t in shape.targets:
            if kind == "node":
                out.add(t)
            elif kind == "class":
                classes = {t}
                todo = [t]
                while todo:
                    c = todo.pop()
                    for sub in d.subjects(SUBCLASS, c):
                        if sub not in classes:
                            classes.add(sub)
                            todo.append(sub)
                for c in classes:
                    out |= d.subjects(RDF_TYPE, c)
            elif kind == "subjectsOf":
                out |= {q.subject for q in d.quads(None, t, None)}
            elif kind == "objectsOf":
                out |= {d.decode(q.object) for q in d.quads(None, t, None)}
        return out

    def validate_shape(self, shape: Shape) -> None:
        if shape.deactivated:
            return
        focus = self.focus_nodes(shape)
        if not focus:
            return
        if not (self.compiled and _compilable_targets(shape)):
            self.results.extend(self.ev.results(shape, focus))
            return
        pattern = focus_pattern(shape)
        if shape.is_property:
            self._property(shape, pattern, focus)
            return
        node_level = [c for c in shape.constraints if c.component != "Property"]
        compiled_nl: list[tuple[Any, str]] = []
        if not self.data.surrogates:  # a surrogate focus literal would read wrong in SPARQL
            for c in node_level:
                if c.component in SIMPLE and c.component not in ("MinCount", "MaxCount"):
                    expr = value_check(c)
                    if expr is not None:
                        compiled_nl.append((c, expr))
        if compiled_nl:
            checks = [c for c, _ in compiled_nl]

            def on_nodes(rows: list[Any]) -> None:
                for row in rows:
                    f = self.data.decode(row[0])
                    for i, c in enumerate(checks):
                        if row[1 + i].value == "true":
                            self.results.append(Result(f, shape, c.iri, f, None))

            self.submit(node_query(pattern, compiled_nl), on_nodes)
        done = {id(c) for c, _ in compiled_nl}
        for c in node_level:
            if id(c) in done:
                continue
            for f in focus:
                self.results.extend(self.ev.check(shape, c, f, {f}))
        for c in shape.constraints:
            if c.component == "Property":
                self._property(c.params["shape"], pattern, focus)

    def _property(self, ps: Shape, pattern: str, focus: list[Any]) -> None:
        """All results of property shape `ps` at the focus nodes matched by `pattern`."""
        if ps.deactivated:
            return
        plan = plan_property(ps, nested=not self.data.surrogates)
        compiled: list[Any] = []
        q = values_query(pattern, plan, bool(self.data.surrogates))
        if q is not None:
            checks = [c for c, _ in plan.value_checks]
            compiled += checks

            def on_values(rows: list[Any], checks: list[Any] = checks) -> None:
                for row in rows:
                    f, v = self.data.decode(row[0]), self.data.decode(row[1])
                    for i, c in enumerate(checks):
                        if row[2 + i].value == "true":
                            self.results.append(Result(f, ps, c.iri, v, ps.path_node))

            self.submit(q, on_values)
            if self.data.surrogates:
                self._surrogate_values(ps, pattern, checks)
        q = count_query(pattern, plan)
        if q is not None:
            if plan.min_count is not None:
                compiled.append(plan.min_count)
            if plan.max_count is not None:
                compiled.append(plan.max_count)
            compiled += plan.has_values

            def on_counts(rows: list[Any]) -> None:
                for row in rows:
                    f = self.data.decode(row[0])
                    n = int(row[1].value)
                    if plan.min_count is not None and n < plan.min_count.params["minCount"]:
                        self.results.append(Result(f, ps, plan.min_count.iri, None, ps.path_node))
                    if plan.max_count is not None and n > plan.max_count.params["maxCount"]:
                        self.results.append(Result(f, ps, plan.max_count.iri, None, ps.path_node))
                    for i, c in enumerate(plan.has_values):
                        h = row[2 + i]
                        if h is None or h.value in ("0", "false"):
                            self.results.append(Result(f, ps, c.iri, None, ps.path_node))

            self.submit(q, on_counts)
        for c in plan.pairs:
            compiled.append(c)

            def on_pairs(rows: list[Any], c: Any = c) -> None:
                for row in rows:
                    f, v = self.data.decode(row[0]), self.data.decode(row[1])
                    self.results.extend(self.ev.check(ps, c, f, {v}))

            self.submit(pair_query(pattern, ps, c), on_pairs)
        if plan.rest:
            self.results.extend(self.ev.results(ps, focus, skip=compiled))

    def _surrogate_values(self, ps: Shape, pattern: str, checks: list[Any]) -> None:
        """Literals kept verbatim under a surrogate datatype are excluded from the compiled value
        checks (their datatype would read wrong there) and checked exactly here."""
        from kg.shacl.compile import to_sparql

        assert ps.path is not None
        q = (f"SELECT DISTINCT ?this ?v WHERE {{ {{ SELECT DISTINCT ?this WHERE {{ {pattern} }} }} "
             f"?this {to_sparql(ps.path)} ?v FILTER(isLiteral(?v) && "
             f"STRSTARTS(STR(datatype(?v)), \"{SURROGATE}\")) }}")
        for row in self.data.query(q):
            f, v = self.data.decode(row[0]), self.data.decode(row[1])
            for c in checks:
                self.results.extend(self.ev.check(ps, c, f, {v}))


def validate_store(
    store: ox.Store,
    shapes: rdflib.Graph,
    *,
    data_graph: str | Sequence[str] | None = None,
    ontology_graphs: Sequence[str] = (),
    compiled: bool = True,
    surrogates: set[tuple[str, str]] | None = None,
    labels: rdflib.Graph | None = None,
    ontology: rdflib.Graph | None = None,
    graphs_of: Any = None,
) -> Any:
    """Validate the store against `shapes` and return a kg.shacl.report.ValidationReport.

    data_graph None validates the union of all graphs (ontology included, so sh:class and
    sh:targetClass follow rdfs:subClassOf); otherwise that graph (or those graphs) plus
    `ontology_graphs` (e.g. kg build: every data graph + ontology + alignment, not the inferred
    graph, which would change the results). `labels`, `ontology` and `graphs_of` only make the
    report readable (kg.shacl.report.report_from_graph); they do not change the results.
    `compiled=False` evaluates everything in Python (the exact path; used by tests).
    Raises ValidationFailure for shapes graphs SHACL says cannot be validated.
    """
    from kg.shacl.report import report_from_graph

    start = time.perf_counter()
    run, targets = _run(store, shapes, data_graph, ontology_graphs, compiled, surrogates)
    rg = report_graph(run.results, shapes)
    report = report_from_graph(rg, shapes, labels, ontology, engine="native", graphs_of=graphs_of)
    report.seconds = time.perf_counter() - start
    report.notes.append(f"native engine: {len(targets)} target shapes, {run.queries} SPARQL queries, "
                        f"{len(run.results)} results")
    return report


def _run(store: ox.Store, shapes: rdflib.Graph, data_graph: str | Sequence[str] | None, ontology_graphs: Sequence[str],
         compiled: bool, surrogates: set[tuple[str, str]] | None) -> tuple[Run, list[Shape]]:
    data = DataView(store, _graph_list(data_graph, ontology_graphs), surrogates)
    run = Run(data, compiled)
    try:
        targets = ShapesGraph(shapes).target_shapes()
    except (ShapeError, PathError) as e:
        raise ValidationFailure(f"ill-formed shapes graph: {e}") from e
    token = SUBCLASSES.set(lambda c: [x for x in data.subclasses(c) if not isinstance(x, ox.BlankNode)])
    try:
        for shape in targets:
            run.validate_shape(shape)
        run.finish()
    finally:
        SUBCLASSES.reset(token)
        if run.pool is not None:
            run.pool.shutdown(wait=True, cancel_futures=True)
    return run, targets


def validate_results(store: ox.Store, shapes: rdflib.Graph, *, data_graph: str | Sequence[str] | None = None,
                     ontology_graphs: Sequence[str] = (), compiled: bool = True) -> list[Result]:
    """The raw results (store terms, shape objects) of a full validation, for callers that
    compare or filter them (incremental validation and its tests)."""
    return _run(store, shapes, data_graph, ontology_graphs, compiled, None)[0].results


def report_graph(results: Iterable[Result], shapes: rdflib.Graph) -> rdflib.Graph:
    """The standard sh:ValidationReport graph (the structure the W3C suite compares)."""
    g = rdflib.Graph()
    g.bind("sh", SH)
    rep = BNode()
    results = list(results)
    for r in results:
        node = BNode()
        severity = r.shape.severity
        g.add((rep, SH.result, node))
        g.add((node, RDF.type, SH.ValidationResult))
        g.add((node, SH.focusNode, to_rdf(r.focus)))
        g.add((node, SH.sourceConstraintComponent, r.component))
        g.add((node, SH.sourceShape, r.shape.node))
        g.add((node, SH.resultSeverity, severity))
        if r.path is not None:
            g.add((node, SH.resultPath, r.path))
            copy_path(shapes, r.path, g)
        if r.value is not None:
            g.add((node, SH.value, to_rdf(r.value)))
        for m in r.shape.messages:
            g.add((node, SH.resultMessage, m))
    g.add((rep, RDF.type, SH.ValidationReport))
    # SHACL: the report conforms iff there is no result at all (whatever the severity);
    # kg.shacl.report.ValidationReport.conforms instead means "no sh:Violation"
    g.add((rep, SH.conforms, Literal(not results)))
    return g


# ------------------------------------------------------------------------- loading rdflib data

_SAFE_DATATYPES = {"http://www.w3.org/2001/XMLSchema#string", "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"}


class _Roundtrip:
    """Finds the literals pyoxigraph's store would rewrite (canonical lexical forms, derived
    integer types stored as xsd:integer): those are loaded under a surrogate datatype."""

    def __init__(self) -> None:
        self.scratch = ox.Store()
        self.s = ox.NamedNode("urn:x:s")
        self.p = ox.NamedNode("urn:x:p")
        self.cache: dict[tuple[str, str], bool] = {}

    def preserved(self, lit: ox.Literal) -> bool:
        key = (lit.value, lit.datatype.value)
        got = self.cache.get(key)
        if got is None:
            q = ox.Quad(self.s, self.p, lit)
            self.scratch.add(q)
            back = [x.object for x in self.scratch.quads_for_pattern(self.s, self.p, None)]
            self.scratch.remove(q)
            for x in back:
                self.scratch.remove(ox.Quad(self.s, self.p, x))
            got = self.cache[key] = back == [lit] and back[0].value == lit.value \
                and back[0].datatype == lit.datatype
        return got


def load_exact(store: ox.Store, triples: Iterable[tuple[Any, Any, Any]],
               graph: Any = None) -> set[tuple[str, str]]:
    """Add pyoxigraph triples to `store` keeping every literal verbatim; returns the surrogates
    used (pass them to validate_store)."""
    rt = _Roundtrip()
    surrogates: set[tuple[str, str]] = set()
    g = graph if graph is not None else ox.DefaultGraph()
    batch: list[ox.Quad] = []
    for s, p, o in triples:
        if isinstance(o, ox.Literal) and not o.language and o.datatype.value not in _SAFE_DATATYPES \
                and not rt.preserved(o):
            surrogates.add((o.value, o.datatype.value))
            o = ox.Literal(o.value, datatype=ox.NamedNode(SURROGATE + o.datatype.value))
        batch.append(ox.Quad(s, p, o, g))
        if len(batch) >= 100_000:
            store.extend(batch)
            batch = []
    store.extend(batch)
    return surrogates


def validate_graphs(data: rdflib.Graph, shapes: rdflib.Graph, ontology: rdflib.Graph | None = None,
                    *, compiled: bool = True, graphs_of: Any = None) -> Any:
    """Validate rdflib graphs with the native engine (ontology triples mixed into the data, as
    the pyshacl engine does), via an in-memory pyoxigraph store."""
    store = ox.Store()
    triples = ((to_ox(s), to_ox(p), to_ox(o)) for s, p, o in data)
    surrogates = load_exact(store, triples)
    if ontology is not None:
        surrogates |= load_exact(store, ((to_ox(s), to_ox(p), to_ox(o)) for s, p, o in ontology))
    return validate_store(store, shapes, compiled=compiled, surrogates=surrogates, labels=data,
                          ontology=ontology, graphs_of=graphs_of)
