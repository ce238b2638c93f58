"""The native SHACL engine: shapes compiled to SPARQL, run inside pyoxigraph on the store itself.

`validate_store(store, shapes)` validates a pyoxigraph store (the union of its graphs, or chosen
graphs) and returns a kg.shacl.report.ValidationReport whose graph is a standard
sh:ValidationReport. The plan (kg.shacl.compile), shaped by what pyoxigraph's evaluator costs
(measured at 1M triples: ~1 µs per scanned triple, ~2 µs once its value is read, 3-4 µs per
lookup from a bound node, ~4 µs per row handed to Python):

- per target shape, its focus nodes are counted (up to SCAN_MIN_FOCUS), not listed;
- property shapes with a predicate (or inverse predicate) path, reached from target shapes with
  many focus nodes, are grouped by path across all shapes: one scan per path checks every value
  against every distinct check of every shape using that path, and only the rows breaking a
  check are tested for being focus nodes (EXISTS) and handed to Python; values that recur (a
  sample decides) are checked once per distinct value; one probe per path finds nodes with more
  values than a sh:maxCount allows;
- per target shape, one query checks all its minCount-1 and sh:hasValue constraints;
- other paths, and target shapes with few focus nodes, join the focus nodes first (one values
  query and one count query per property shape, as before);
- whatever is not compiled is evaluated exactly in Python (kg.shacl.exact), so a shape is never
  answered approximately.

Every step is timed (`Run.timings`; the per-kind CPU seconds go into the report's notes, the
slowest steps to stderr with HILFENETZ_SHACL_PROFILE=1 (kg.config) or to the DEBUG log).

`validate_graphs(data, shapes, ontology)` does the same for rdflib graphs, loading them into an
in-memory store without letting pyoxigraph rewrite literals (see `load_exact`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox
import rdflib
from rdflib import RDF, BNode, Literal

from kg.config import env_setting
from kg.rdf import RDF_LANGSTRING, XSD_STRING
from kg.shacl.compile import (
    SH,
    SIMPLE,
    SUBCLASSES,
    SURROGATE,
    PathPlan,
    Shape,
    ShapeError,
    ShapesGraph,
    count_query,
    focus_check,
    focus_pattern,
    max_probe_query,
    max_query,
    min_query,
    node_query,
    pair_query,
    plan_property,
    sample_values_query,
    scan_pair_query,
    scan_values_query,
    scannable,
    to_ox,
    to_rdf,
    to_sparql,
    value_check,
    values_query,
)
from kg.shacl.exact import RDF_TYPE, DataView, Evaluator, Result, ValidationFailure
from kg.shacl.paths import PathError, copy_path
from kg.shacl.report import report_from_graph

__all__ = ["ValidationFailure", "load_exact", "report_graph", "validate_graphs", "validate_store"]

log = logging.getLogger("kg.shacl.engine")

#: Property shapes of a target shape with at least this many focus nodes are checked by scanning
#: their path (shared by all target shapes using it); below it, by looking up the values of each
#: focus node. Measured on the in-memory store: a lookup from a bound node costs 3-4 µs, a scanned
#: triple about 2 µs with its value decoded, so scanning pays once the focus nodes are a fair
#: share of the path's subjects; a few hundred focus nodes never pay for scanning a large path.
SCAN_MIN_FOCUS = 1000
#: How many triples of a path are sampled to see whether its values recur (kg.shacl.compile.scan_values_query)
SAMPLE = 2000


@dataclass
class Timing:
    """Where one step of a run spent its time: a compiled query (timed in the thread that ran it,
    so `cpu` is that thread's CPU time) or a step on the main thread (exact evaluation, focus
    nodes, report assembly). Collected always (cheap); logged at DEBUG level and by
    `HILFENETZ_SHACL_PROFILE=1`, so a slow validation can be explained without a profiler."""

    shape: str
    kind: str
    wall: float
    cpu: float
    rows: int = 0


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

    def __init__(self, data: DataView, compiled: bool, threads: int = 2,
                 scan_min_focus: int | None = None) -> None:
        self.data = data
        self.ev = Evaluator(data)
        self.compiled = compiled
        self.scan_min_focus = SCAN_MIN_FOCUS if scan_min_focus is None else scan_min_focus
        self._count: dict[int, int] = {}
        self.results: list[Result] = []
        self.queries = 0
        self.timings: list[Timing] = []
        self._focus: dict[int, list[Any]] = {}
        # Compiled queries run on a small thread pool: pyoxigraph evaluates them without the GIL,
        # so they overlap each other and the exact Python evaluation on the main thread. Their
        # rows are handled on the main thread, in submission order (deterministic reports).
        self.pool = ThreadPoolExecutor(max_workers=threads) if threads > 1 else None
        self.pending: list[tuple[Any, Callable[[list[Any]], None]]] = []

    def _timed_query(self, query: str, label: tuple[str, str]) -> list[Any]:
        w, c = time.perf_counter(), time.thread_time()
        rows = list(self.data.query(query))
        self.timings.append(Timing(label[0], label[1], time.perf_counter() - w, time.thread_time() - c, len(rows)))
        return rows

    @contextmanager
    def timed(self, shape: Shape | str, kind: str) -> Iterator[None]:
        """Time a step on the main thread (exact evaluation, focus nodes, report assembly)."""
        w, c = time.perf_counter(), time.thread_time()
        n = len(self.results)
        try:
            yield
        finally:
            name = shape if isinstance(shape, str) else _shape_name(shape)
            self.timings.append(Timing(name, kind, time.perf_counter() - w, time.thread_time() - c,
                                       len(self.results) - n))

    def submit(self, query: str, handle: Callable[[list[Any]], None], label: tuple[str, str] = ("?", "query")) -> None:
        self.queries += 1
        if self.pool is None:
            handle(self._timed_query(query, label))
        else:
            self.pending.append((self.pool.submit(self._timed_query, query, label), handle))

    def finish(self) -> None:
        """Handle the rows of every submitted query (in order; a handler may submit follow-up
        queries, handled after the others) and stop the pool."""
        try:
            while self.pending:
                fut, handle = self.pending.pop(0)
                handle(fut.result())
        finally:
            self.pending = []
            if self.pool is not None:
                self.pool.shutdown(wait=True, cancel_futures=True)

    def focus_nodes(self, shape: Shape) -> list[Any]:
        """The focus nodes of `shape`, computed once (only the exact evaluation needs them as a
        list; the compiled queries join or test the targets themselves)."""
        got = self._focus.get(id(shape))
        if got is not None:
            return got
        if self.compiled and _compilable_targets(shape):
            self.queries += 1
            with self.timed(shape, "focus"):
                sols = self.data.query(f"SELECT DISTINCT ?this WHERE {{ {focus_pattern(shape)} }}")
                got = [self.data.decode(s[0]) for s in sols]
        else:
            with self.timed(shape, "focus-exact"):
                got = sorted(self._focus_exact(shape), key=str)
        self._focus[id(shape)] = got
        return got

    def focus_count(self, shape: Shape) -> int:
        """How many focus nodes `shape` has, counted up to `scan_min_focus` (all that matters: none,
        or enough to scan its paths). Counted, not listed: handing a row to Python costs as much as
        a few index lookups. An upper bound when a node matches several targets."""
        got = self._count.get(id(shape))
        if got is None:
            self.queries += 1
            cap = max(self.scan_min_focus, 1)
            with self.timed(shape, "count-focus"):
                rows = list(self.data.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {{ SELECT ?this WHERE {{ "
                                            f"{focus_pattern(shape)} }} LIMIT {cap} }} }}"))
            got = self._count[id(shape)] = int(rows[0][0].value) if rows and rows[0][0] is not None else 0
        return got

    def _focus_exact(self, shape: Shape) -> set[Any]:
        out: set[Any] = set()
        d = self.data
        for kind, t in shape.targets:
            if kind == "node":
                out.add(t)
            elif kind == "class":
                for c in d.subclasses(t):
                    out |= d.subjects(RDF_TYPE, c)
            elif kind == "subjectsOf":
                out |= {q.subject for q in d.quads(None, t, None)}
            elif kind == "objectsOf":
                out |= {d.decode(q.object) for q in d.quads(None, t, None)}
        return out

    # ------------------------------------------------------------------------------ planning

    def validate_all(self, targets: Sequence[Shape]) -> None:
        """Submit everything for all target shapes; `finish` then collects the results.

        Property shapes with a predicate (or inverse predicate) path are grouped by path across
        all target shapes: per path one scan query checks the values for every shape using it
        (kg.shacl.compile.scan_values_query) and one probe finds nodes with too many values; per
        target shape one query checks all its minCount-1 / sh:hasValue constraints. Other paths
        keep the focus-first queries of `_property`."""
        groups: dict[Any, _PathGroup] = {}
        for shape in targets:
            if shape.deactivated:
                continue
            if not (self.compiled and _compilable_targets(shape)):
                focus = self.focus_nodes(shape)
                if focus:
                    with self.timed(shape, "exact"):
                        self.results.extend(self.ev.results(shape, focus))
                continue
            if not self.focus_count(shape):
                continue
            pattern = focus_pattern(shape)
            if shape.is_property:
                props = [shape]
            else:
                self._node_level(shape, pattern)
                props = [c.params["shape"] for c in shape.constraints if c.component == "Property"]
            missing: list[tuple[str, Shape, Any]] = []
            for ps in props:
                if ps.deactivated:
                    continue
                if scannable(ps.path):
                    self._scan_property(shape, ps, pattern, groups, missing)
                else:
                    self._property(ps, pattern, shape)
            if missing:
                self._missing(shape, pattern, missing)
        for g in groups.values():
            self._submit_group(g)

    def validate_shape(self, shape: Shape) -> None:
        """All results of one target shape (kept for callers validating shape by shape)."""
        self.validate_all([shape])

    def _node_level(self, shape: Shape, pattern: str) -> None:
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

            self.submit(node_query(pattern, compiled_nl), on_nodes, (_shape_name(shape), "node"))
        done = {id(c) for c, _ in compiled_nl}
        for c in node_level:
            if id(c) in done:
                continue
            focus = self.focus_nodes(shape)
            with self.timed(shape, f"exact-node:{c.component}"):
                for f in focus:
                    self.results.extend(self.ev.check(shape, c, f, {f}))

    def _scan_property(self, target: Shape, ps: Shape, pattern: str, groups: dict[Any, _PathGroup],
                       missing: list[tuple[str, Shape, Any]]) -> None:
        """Register property shape `ps` (reached from `target`) with the scan group of its path;
        its minCount-1 / hasValue constraints go to `missing` (one query per target shape)."""
        assert ps.path is not None
        plan = plan_property(ps, nested=not self.data.surrogates)
        g = groups.get(ps.path)
        if g is None:
            g = groups[ps.path] = _PathGroup(ps.path)
        fi = g.focus_index(target)
        compiled: list[Any] = []
        for c, expr in plan.value_checks:
            g.uses.append((fi, g.check_index(expr), ps, c))
            compiled.append(c)
        if plan.value_checks and self.data.surrogates:
            self._surrogate_values(ps, pattern, [c for c, _ in plan.value_checks])
        path = to_sparql(ps.path)
        k = len(missing)
        if plan.min_count is not None:
            n = plan.min_count.params["minCount"]
            if n == 1:
                missing.append((f"NOT EXISTS {{ ?this {path} ?_m{k} }}", ps, plan.min_count))
            elif n > 1:
                self._counts(ps, pattern, PathPlan(ps, [], plan.min_count, None, [], []))
            compiled.append(plan.min_count)
        for i, c in enumerate(plan.has_values):
            hv = c.params["hasValue"]
            if isinstance(hv, ox.NamedNode):
                missing.append((f"NOT EXISTS {{ ?this {path} <{hv.value}> }}", ps, c))
            else:  # sameTerm: sh:hasValue compares terms, and a literal in a pattern would match by value
                missing.append((f"NOT EXISTS {{ ?this {path} ?_h{k}_{i} FILTER(sameTerm(?_h{k}_{i}, {hv})) }}", ps, c))
            compiled.append(c)
        if plan.max_count is not None:
            g.max_uses.append((fi, ps, plan.max_count))
            compiled.append(plan.max_count)
        for c in plan.pairs:
            other = c.params["lessThan" if c.component == "LessThan" else "lessThanOrEquals"]
            g.pairs.setdefault((c.component, other.value), []).append((fi, ps, c))
            compiled.append(c)
        if plan.rest:
            focus = self.focus_nodes(target)
            with self.timed(ps, "exact:" + ",".join(c.component for c in plan.rest)):
                self.results.extend(self.ev.results(ps, focus, skip=compiled))

    def _missing(self, target: Shape, pattern: str, missing: list[tuple[str, Shape, Any]]) -> None:
        def on_missing(rows: list[Any]) -> None:
            for row in rows:
                f = self.data.decode(row[0])
                for i, (_, ps, c) in enumerate(missing):
                    if row[1 + i].value == "true":
                        self.results.append(Result(f, ps, c.iri, None, ps.path_node))

        self.submit(min_query(pattern, [m for m, _, _ in missing]), on_missing, (_shape_name(target), "min"))

    def _submit_group(self, g: _PathGroup) -> None:
        name = "path " + (g.path.pred.value if g.path.pred is not None else "^" + g.path.parts[0].pred.value)
        if max(self.focus_count(t) for t in g.targets) < self.scan_min_focus:
            self._group_focus_first(g)
            return
        focus = [focus_check(t) for t in g.targets]
        if g.uses:
            uses, nc = g.uses, len(g.checks)

            def on_values(rows: list[Any]) -> None:
                for row in rows:
                    f, v = self.data.decode(row[0]), self.data.decode(row[1])
                    for fi, ci, ps, c in uses:
                        if row[2 + ci].value == "true" and row[2 + nc + fi].value == "true":
                            self.results.append(Result(f, ps, c.iri, v, ps.path_node))

            used: list[list[int]] = [[] for _ in g.targets]
            for fi, ci, _, _ in uses:
                used[fi].append(ci)

            def on_sample(rows: list[Any]) -> None:
                n, d = (int(rows[0][0].value), int(rows[0][1].value)) if rows else (0, 0)
                recurring = n >= SAMPLE // 5 and d * 10 <= n
                q = scan_values_query(g.path, g.checks, focus, used, bool(self.data.surrogates), recurring)
                self.submit(q, on_values, (name, "scan-values" + ("-distinct" if recurring else "")))

            self.submit(sample_values_query(g.path, SAMPLE), on_sample, (name, "sample"))
        if g.max_uses:
            m = min(c.params["maxCount"] for _, _, c in g.max_uses)
            max_uses = g.max_uses

            def on_max(rows: list[Any]) -> None:
                for row in rows:
                    f, n = self.data.decode(row[0]), int(row[1].value)
                    for fi, ps, c in max_uses:
                        if n > c.params["maxCount"] and row[2 + fi].value == "true":
                            self.results.append(Result(f, ps, c.iri, None, ps.path_node))

            big = 1 << 62  # a target shape without a maxCount on this path: never tested
            limits = [min((c.params["maxCount"] for fi, _, c in max_uses if fi == i), default=big)
                      for i in range(len(g.targets))]

            def grouped() -> None:
                self.submit(max_query(g.path, limits, focus), on_max, (name, "max"))

            if m >= 1:
                def on_probe(rows: list[Any]) -> None:
                    if rows and rows[0][0].value != rows[0][1].value:
                        grouped()

                self.submit(max_probe_query(g.path), on_probe, (name, "max-probe"))
            else:
                grouped()
        for pair_uses in g.pairs.values():
            _, ps0, c0 = pair_uses[0]

            def on_pairs(rows: list[Any], pair_uses: list[Any] = pair_uses) -> None:
                for row in rows:
                    f, v = self.data.decode(row[0]), self.data.decode(row[1])
                    for fi, ps, c in pair_uses:
                        if row[2 + fi].value == "true":
                            self.results.extend(self.ev.check(ps, c, f, {v}))

            self.submit(scan_pair_query(ps0, c0, focus), on_pairs, (name, "pairs"))

    def _group_focus_first(self, g: _PathGroup) -> None:
        """A path whose target shapes all have few focus nodes: scanning every triple of the path
        would cost more than looking up the values of those nodes, so each (target shape,
        property shape) gets the focus-first queries instead."""
        by_use: dict[tuple[int, int], list[tuple[Any, str]]] = {}
        for fi, ci, ps, c in g.uses:
            by_use.setdefault((fi, id(ps)), []).append((c, g.checks[ci]))
        shapes = {id(ps): ps for _, _, ps, _ in g.uses}
        for (fi, pid), checks in by_use.items():
            ps, pattern = shapes[pid], focus_pattern(g.targets[fi])
            q = values_query(pattern, PathPlan(ps, checks, None, None, [], []), bool(self.data.surrogates))
            assert q is not None
            self.submit(q, self._on_values(ps, [c for c, _ in checks]), (_shape_name(ps), "values"))
        for fi, ps, c in g.max_uses:
            self._counts(ps, focus_pattern(g.targets[fi]), PathPlan(ps, [], None, c, [], []))
        for pair_uses in g.pairs.values():
            for fi, ps, c in pair_uses:
                def on_pairs(rows: list[Any], ps: Shape = ps, c: Any = c) -> None:
                    for row in rows:
                        f, v = self.data.decode(row[0]), self.data.decode(row[1])
                        self.results.extend(self.ev.check(ps, c, f, {v}))

                self.submit(pair_query(focus_pattern(g.targets[fi]), ps, c), on_pairs, (_shape_name(ps), "pairs"))

    # ------------------------------------------------------------- focus-first (other paths)

    def _on_values(self, ps: Shape, checks: list[Any]) -> Callable[[list[Any]], None]:
        """Handler of a values query's rows (focus, value, one boolean per check): a result for
        every check that failed."""

        def on_values(rows: list[Any]) -> None:
            for row in rows:
                f, v = self.data.decode(row[0]), self.data.decode(row[1])
                for i, c in enumerate(checks):
                    if row[2 + i].value == "true":
                        self.results.append(Result(f, ps, c.iri, v, ps.path_node))

        return on_values

    def _counts(self, ps: Shape, pattern: str, plan: PathPlan) -> None:
        q = count_query(pattern, plan)
        if q is None:
            return

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

        self.submit(q, on_counts, (_shape_name(ps), "counts"))

    def _property(self, ps: Shape, pattern: str, target: Shape) -> None:
        """All results of property shape `ps` at the focus nodes of `target` (matched by
        `pattern`), joining the focus nodes first: for paths a scan cannot enumerate."""
        if ps.deactivated:
            return
        plan = plan_property(ps, nested=not self.data.surrogates)
        compiled: list[Any] = []
        q = values_query(pattern, plan, bool(self.data.surrogates))
        if q is not None:
            checks = [c for c, _ in plan.value_checks]
            compiled += checks
            self.submit(q, self._on_values(ps, checks), (_shape_name(ps), "values"))
            if self.data.surrogates:
                self._surrogate_values(ps, pattern, checks)
        if plan.min_count is not None:
            compiled.append(plan.min_count)
        if plan.max_count is not None:
            compiled.append(plan.max_count)
        compiled += plan.has_values
        self._counts(ps, pattern, plan)
        for c in plan.pairs:
            compiled.append(c)

            def on_pairs(rows: list[Any], c: Any = c) -> None:
                for row in rows:
                    f, v = self.data.decode(row[0]), self.data.decode(row[1])
                    self.results.extend(self.ev.check(ps, c, f, {v}))

            self.submit(pair_query(pattern, ps, c), on_pairs, (_shape_name(ps), "pairs"))
        if plan.rest:
            focus = self.focus_nodes(target)
            with self.timed(ps, "exact:" + ",".join(c.component for c in plan.rest)):
                self.results.extend(self.ev.results(ps, focus, skip=compiled))

    def _surrogate_values(self, ps: Shape, pattern: str, checks: list[Any]) -> None:
        """Literals kept verbatim under a surrogate datatype are excluded from the compiled value
        checks (their datatype would read wrong there) and checked exactly here."""
        assert ps.path is not None
        q = (f"SELECT DISTINCT ?this ?v WHERE {{ {{ SELECT DISTINCT ?this WHERE {{ {pattern} }} }} "
             f"?this {to_sparql(ps.path)} ?v FILTER(isLiteral(?v) && "
             f"STRSTARTS(STR(datatype(?v)), \"{SURROGATE}\")) }}")
        with self.timed(ps, "surrogates"):
            for row in self.data.query(q):
                f, v = self.data.decode(row[0]), self.data.decode(row[1])
                for c in checks:
                    self.results.extend(self.ev.check(ps, c, f, {v}))


class _PathGroup:
    """Everything checked by scanning one path: the distinct value checks (by expression), the
    target shapes whose focus nodes count, and which (target, property shape, constraint) uses
    which check; plus the maxCount and lessThan(OrEquals) uses."""

    def __init__(self, path: Any) -> None:
        self.path = path
        self.checks: list[str] = []
        self.targets: list[Shape] = []
        self.uses: list[tuple[int, int, Shape, Any]] = []  # (target index, check index, ps, constraint)
        self.max_uses: list[tuple[int, Shape, Any]] = []
        self.pairs: dict[tuple[str, str], list[tuple[int, Shape, Any]]] = {}

    def focus_index(self, target: Shape) -> int:
        for i, t in enumerate(self.targets):
            if t is target:
                return i
        self.targets.append(target)
        return len(self.targets) - 1

    def check_index(self, expr: str) -> int:
        if expr in self.checks:
            return self.checks.index(expr)
        self.checks.append(expr)
        return len(self.checks) - 1


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
    scan_min_focus: int | None = None,
) -> Any:
    """Validate the store against `shapes` and return a kg.shacl.report.ValidationReport.

    data_graph None validates the union of all graphs (ontology included, so sh:class and
    sh:targetClass follow rdfs:subClassOf); otherwise that graph (or those graphs) plus
    `ontology_graphs` (e.g. kg build: every data graph + ontology + alignment, not the inferred
    graph, which would change the results). `labels`, `ontology` and `graphs_of` only make the
    report readable (kg.shacl.report.report_from_graph); they do not change the results.
    `compiled=False` evaluates everything in Python (the exact path; used by tests);
    `scan_min_focus` overrides SCAN_MIN_FOCUS (0: scan every predicate path; tests use it so the
    scan-first queries are checked on small data too).
    Raises ValidationFailure for shapes graphs SHACL says cannot be validated.
    """
    start = time.perf_counter()
    run, targets = _run(store, shapes, data_graph, ontology_graphs, compiled, surrogates, scan_min_focus)
    with run.timed("-", "report"):
        rg = report_graph(run.results, shapes)
        report = report_from_graph(rg, shapes, labels, ontology, engine="native", graphs_of=graphs_of)
    report.seconds = time.perf_counter() - start
    _log_timings(run, report.seconds)
    report.notes.append(f"native engine: {len(targets)} target shapes, {run.queries} SPARQL queries, "
                        f"{len(run.results)} results; CPU s by step: {_by_kind(run.timings)}")
    return report


def _shape_name(shape: Shape) -> str:
    """A short readable name for timings: the IRI's local name, or the path of a blank-node
    property shape (`[hn:minAge]`)."""
    if isinstance(shape.node, BNode):
        if shape.path is not None and shape.path.kind == "pred" and shape.path.pred is not None:
            return "[" + shape.path.pred.value.rsplit("#", 1)[-1].rsplit("/", 1)[-1] + "]"
        return "_:" + str(shape.node)[:8]
    return str(shape.node).rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _by_kind(timings: Sequence[Timing]) -> str:
    """CPU seconds per kind of step, largest first (one line for the report's notes)."""
    kinds: dict[str, float] = {}
    for t in timings:
        k = t.kind.split(":")[0]
        kinds[k] = kinds.get(k, 0.0) + t.cpu
    return ", ".join(f"{k} {c:.2f}" for k, c in sorted(kinds.items(), key=lambda kv: -kv[1]))


def profile_table(timings: Sequence[Timing], top: int = 25) -> str:
    """The slowest steps of a run as a small table (CPU seconds, wall seconds, rows)."""
    rows = sorted(timings, key=lambda t: -t.cpu)[:top]
    lines = [f"{'cpu s':>7} {'wall s':>7} {'rows':>7}  kind / shape",
             f"{sum(t.cpu for t in timings):7.2f} {'':>7} {'':>7}  (all steps; queries overlap on threads)"]
    kinds: dict[str, list[float]] = {}
    for t in timings:
        k = kinds.setdefault(t.kind.split(":")[0], [0.0, 0.0, 0])
        k[0] += t.cpu
        k[1] += t.wall
        k[2] += 1
    by_cpu = sorted(kinds.items(), key=lambda kv: -kv[1][0])
    lines += [f"{c:7.2f} {w:7.2f} {int(n):6d}x  all {k}" for k, (c, w, n) in by_cpu]
    lines += [f"{t.cpu:7.3f} {t.wall:7.3f} {t.rows:7d}  {t.kind} {t.shape}" for t in rows]
    return "\n".join(lines)


def _log_timings(run: Run, seconds: float) -> None:
    profile = env_setting("shacl_profile")
    if profile or log.isEnabledFor(logging.DEBUG):
        text = f"native SHACL run: {seconds:.2f} s wall, {run.queries} queries\n" + profile_table(run.timings)
        if profile:
            import sys

            print(text, file=sys.stderr)
        else:
            log.debug("%s", text)


def _run(store: ox.Store, shapes: rdflib.Graph, data_graph: str | Sequence[str] | None, ontology_graphs: Sequence[str],
         compiled: bool, surrogates: set[tuple[str, str]] | None,
         scan_min_focus: int | None = None) -> tuple[Run, list[Shape]]:
    data = DataView(store, _graph_list(data_graph, ontology_graphs), surrogates)
    run = Run(data, compiled, scan_min_focus=scan_min_focus)
    try:
        targets = ShapesGraph(shapes).target_shapes()
    except (ShapeError, PathError) as e:
        raise ValidationFailure(f"ill-formed shapes graph: {e}") from e
    token = SUBCLASSES.set(lambda c: [x for x in data.subclasses(c) if not isinstance(x, ox.BlankNode)])
    try:
        run.validate_all(targets)
        run.finish()
    finally:
        SUBCLASSES.reset(token)
        if run.pool is not None:
            run.pool.shutdown(wait=True, cancel_futures=True)
    return run, targets


def validate_results(store: ox.Store, shapes: rdflib.Graph, *, data_graph: str | Sequence[str] | None = None,
                     ontology_graphs: Sequence[str] = (), compiled: bool = True,
                     scan_min_focus: int | None = None) -> list[Result]:
    """The raw results (store terms, shape objects) of a full validation, for callers that
    compare or filter them (incremental validation and its tests)."""
    return _run(store, shapes, data_graph, ontology_graphs, compiled, None, scan_min_focus)[0].results


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

_SAFE_DATATYPES = {XSD_STRING, RDF_LANGSTRING}


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
                    *, compiled: bool = True, graphs_of: Any = None, scan_min_focus: int | None = None) -> Any:
    """Validate rdflib graphs with the native engine (ontology triples mixed into the data, as
    the pyshacl engine does), via an in-memory pyoxigraph store."""
    store = ox.Store()
    triples = ((to_ox(s), to_ox(p), to_ox(o)) for s, p, o in data)
    surrogates = load_exact(store, triples)
    if ontology is not None:
        surrogates |= load_exact(store, ((to_ox(s), to_ox(p), to_ox(o)) for s, p, o in ontology))
    return validate_store(store, shapes, compiled=compiled, surrogates=surrogates, labels=data,
                          ontology=ontology, graphs_of=graphs_of, scan_min_focus=scan_min_focus)
