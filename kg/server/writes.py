"""Validated, all-or-nothing writes: SPARQL Update and graph store changes.

Why this shape: every write must be checked against the SHACL shapes *before* it is committed,
and a refused write must leave the store exactly as it was. Each write is expressed as one
SPARQL Update string (graph store PUT/POST become `DROP/CREATE/INSERT DATA` with the parsed
triples), because pyoxigraph applies one `Store.update` call as a single transaction. When the
store holds shapes, the update first runs on a staging copy (a RocksDB checkpoint: hard links,
milliseconds), the staging copy is validated, and only a conforming result is applied to the
live store. With no shapes in the store there is nothing to validate and the staging step is
skipped.

Caveat (documented): the update is evaluated twice (staging, live). Updates whose result
depends on RAND()/NOW()/UUID()/BNODE() can differ between the two runs; blank nodes in
INSERT DATA are fresh in both, which is isomorphic and validates the same.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.namespaces import GRAPH_ALIGNMENT, GRAPH_INFERRED, GRAPH_ONTOLOGY, GRAPH_SHAPES

log = logging.getLogger("hilfenetz.server.writes")

#: Graphs that are not data to be validated: the shapes themselves and derived triples.
_NOT_DATA = {GRAPH_SHAPES, GRAPH_INFERRED}
#: Graphs given to the validator as ontology (class and property hierarchy).
_ONTOLOGY = (GRAPH_ONTOLOGY, GRAPH_ALIGNMENT)


@dataclass
class WriteOutcome:
    """Result of one write attempt."""

    ok: bool
    kind: str = ""  # syntax | violation | error
    message: str = ""
    report_turtle: str = ""
    report_json: str = ""
    report_text: str = ""
    timings: dict[str, float] = field(default_factory=dict)


class UpdateSyntaxError(Exception):
    """The update text does not parse (message carries pyoxigraph's line:column)."""


def _graph_triples_nt(store: Any, graphs: list[str] | None, exclude: set[str]) -> bytes:
    """N-Triples of the union of the given named graphs (all but `exclude` if None)."""
    import pyoxigraph as ox

    if graphs is None:
        names = [g for g in store.named_graphs() if isinstance(g, ox.NamedNode) and g.value not in exclude]
        sources = [ox.DefaultGraph()] + names
    else:
        sources = [ox.NamedNode(g) for g in graphs]
    triples = []
    for g in sources:
        for q in store.quads_for_pattern(None, None, None, g):
            triples.append(ox.Triple(q.subject, q.predicate, q.object))
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)


def has_shapes(store: Any) -> bool:
    """True if the store holds any SHACL shapes (otherwise writes are not validated)."""
    import pyoxigraph as ox

    g = ox.NamedNode(GRAPH_SHAPES)
    return next(iter(store.quads_for_pattern(None, None, None, g)), None) is not None


def _report(results_graph: Any, shapes: Any, data: Any, ontology: Any) -> tuple[bool, str, str, str]:
    """(conforms, Turtle, JSON, text) of a pyshacl results graph, via kg.shacl's report when present."""
    try:
        from kg.shacl.report import report_from_graph
    except Exception:  # noqa: BLE001 - the project validator is optional here
        report_from_graph = None
    if report_from_graph is not None:
        report = report_from_graph(results_graph, shapes, data, ontology)
        try:
            text = report.to_text(lang="both", only_violations=True)
        except TypeError:
            text = report.to_text()
        return bool(report.conforms), report.to_turtle(), report.to_json(), text
    import json

    import rdflib

    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    conforms = bool(next(results_graph.objects(None, sh.conforms), rdflib.Literal(True)).toPython())
    text = "\n".join(str(m) for m in results_graph.objects(None, sh.resultMessage))
    ttl = results_graph.serialize(format="turtle")
    return conforms, ttl, json.dumps({"conforms": conforms, "text": text}, ensure_ascii=False), text


def _rdflib_graph(nt: bytes) -> Any:
    import rdflib

    g = rdflib.Graph()
    if nt:
        g.parse(data=nt, format="nt")
    return g


def _run_pyshacl(data: Any, shapes: Any, ontology: Any, focus: list[Any] | None) -> Any:
    """pyshacl with the project's options (no inference; the ontology supplies subclass links)."""
    from pyshacl import validate as pyshacl_validate

    kwargs: dict[str, Any] = {}
    if focus is not None:
        kwargs["focus_nodes"] = focus
    _conforms, results_graph, _text = pyshacl_validate(
        data, shacl_graph=shapes, ont_graph=ontology, inference="none", abort_on_first=False,
        allow_infos=True, allow_warnings=True, meta_shacl=False, advanced=False, inplace=True, **kwargs,
    )
    return results_graph


def validate_store(store: Any) -> tuple[bool, str, str, str]:
    """Validate all data graphs of `store` against its shapes graph (exact; for small stores)."""
    data = _rdflib_graph(_graph_triples_nt(store, None, _NOT_DATA))
    shapes = _rdflib_graph(_graph_triples_nt(store, [GRAPH_SHAPES], set()))
    ontology = _rdflib_graph(_graph_triples_nt(store, list(_ONTOLOGY), set()))
    return _report(_run_pyshacl(data, shapes, ontology, None), shapes, data, ontology)


def _to_rdflib(term: Any) -> Any:
    """pyoxigraph term → rdflib term, keeping blank-node ids (so focus nodes match the data)."""
    import pyoxigraph as ox
    import rdflib

    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))
    raise TypeError(f"unsupported term {term!r}")


def _changed_lines(before: Any, after: Any, graph: Any | None) -> set[bytes]:
    """N-Quads/N-Triples lines that differ between the two stores (one graph, or all)."""
    import pyoxigraph as ox

    if graph is None:
        a = before.dump(format=ox.RdfFormat.N_QUADS)
        b = after.dump(format=ox.RdfFormat.N_QUADS)
    else:
        a = before.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph)
        b = after.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph)
    if a == b:
        return set()
    return set(a.splitlines()) ^ set(b.splitlines())


def changed_nodes(before: Any, after: Any, update: str | None = None) -> set[Any] | None:
    """Subjects and (non-literal) objects of every quad that differs between two stores.

    Compares dumps line by line (both stores share blank-node ids: `after` is a checkpoint of
    `before`). Only the graphs the update names (and the default graph, and graphs that appeared
    or vanished) are compared; an update that may touch unnamed graphs (GRAPH ?g, ALL, NAMED)
    makes it compare everything. Changes to the shapes or ontology graphs return None: then the
    whole store must be validated."""
    import pyoxigraph as ox

    from kg.namespaces import PREFIXES
    from kg.server.sparql_text import mentioned_iris

    iris = mentioned_iris(update, PREFIXES) if update is not None else None
    lines: set[bytes] = set()
    if iris is None:
        lines = _changed_lines(before, after, None)
        graphs_quads = True
    else:
        graphs_quads = False
        names_before = {g.value for g in before.named_graphs() if isinstance(g, ox.NamedNode)}
        names_after = {g.value for g in after.named_graphs() if isinstance(g, ox.NamedNode)}
        candidates = (iris & (names_before | names_after)) | (names_before ^ names_after)
        schema_graphs = candidates & ({GRAPH_SHAPES} | set(_ONTOLOGY))
        if any(_changed_lines(before, after, ox.NamedNode(g)) for g in schema_graphs):
            return None
        for g in [ox.DefaultGraph()] + [ox.NamedNode(g) for g in sorted(candidates)]:
            lines |= _changed_lines(before, after, g)
    nodes: set[Any] = set()
    fmt = ox.RdfFormat.N_QUADS if graphs_quads else ox.RdfFormat.N_TRIPLES
    for q in ox.parse(b"\n".join(lines), format=fmt):
        g = getattr(q, "graph_name", None)
        if isinstance(g, ox.NamedNode) and (g.value == GRAPH_SHAPES or g.value in _ONTOLOGY):
            return None
        nodes.add(q.subject)
        if isinstance(q.object, (ox.NamedNode, ox.BlankNode)):
            nodes.add(q.object)
    return nodes


def validate_changes(
    before: Any, after: Any, update: str | None = None, max_focus: int = 20_000
) -> tuple[bool, str, str, str] | None:
    """Validate only what a write touched: the changed nodes as focus nodes, with their
    neighbourhood (outgoing triples of the focus nodes and of their objects, and the types of the
    objects after that; subjects pointing at a changed node are focus nodes too).

    Why: validating the whole 400k-triple graph with pyshacl takes minutes; a curator's write
    touches a handful of nodes. Limit (documented): constraints that look further than two hops
    or at global data (e.g. SPARQL-based uniqueness) are not re-checked for untouched nodes.
    Returns None when the change is too big (or touches shapes/ontology): validate everything."""
    import pyoxigraph as ox
    import rdflib

    nodes = changed_nodes(before, after, update)
    if nodes is None or len(nodes) > max_focus:
        return None
    not_data = {ox.NamedNode(g) for g in _NOT_DATA}

    def outgoing(n: Any) -> list[Any]:
        return [q for q in after.quads_for_pattern(n, None, None, None) if q.graph_name not in not_data]

    focus: set[Any] = set()
    for n in nodes:
        if next(iter(outgoing(n)), None) is not None:
            focus.add(n)
        for q in after.quads_for_pattern(None, None, n, None):
            if q.graph_name not in not_data:
                focus.add(q.subject)
                if len(focus) > max_focus:
                    return None
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    triples: set[Any] = set()
    second: set[Any] = set()
    for f in focus:
        for q in outgoing(f):
            triples.add(ox.Triple(q.subject, q.predicate, q.object))
            if isinstance(q.object, (ox.NamedNode, ox.BlankNode)):
                second.add(q.object)
    third: set[Any] = set()
    for n in second - focus:
        for q in outgoing(n):
            triples.add(ox.Triple(q.subject, q.predicate, q.object))
            if isinstance(q.object, (ox.NamedNode, ox.BlankNode)):
                third.add(q.object)
    for n in third - second - focus:
        for q in after.quads_for_pattern(n, rdf_type, None, None):
            if q.graph_name not in not_data:
                triples.add(ox.Triple(q.subject, q.predicate, q.object))
    data = rdflib.Graph()
    for t in triples:
        data.add((_to_rdflib(t.subject), _to_rdflib(t.predicate), _to_rdflib(t.object)))
    shapes = _rdflib_graph(_graph_triples_nt(after, [GRAPH_SHAPES], set()))
    ontology = _rdflib_graph(_graph_triples_nt(after, list(_ONTOLOGY), set()))
    if not focus:
        return True, "", '{"conforms": true}', ""
    focus_terms = [_to_rdflib(f) for f in focus]
    return _report(_run_pyshacl(data, shapes, ontology, focus_terms), shapes, data, ontology)


def _prefixes() -> dict[str, str]:
    """The project prefixes, usable in updates without PREFIX (as in queries)."""
    from kg.namespaces import PREFIXES

    return dict(PREFIXES)


def apply_update(
    state: Any, update: str, *, base_iri: str | None, validate: bool, full_validation_max_quads: int = 50_000
) -> WriteOutcome:
    """Apply one SPARQL Update to the live store, validated first when shapes exist.

    Must be called with `state.write_lock` held. Never raises for bad input."""
    timings: dict[str, float] = {}
    store = state.store
    t0 = time.perf_counter()
    if validate and has_shapes(store):
        staging_dir = Path(tempfile.mkdtemp(prefix=".staging-", dir=str(state.snapshot_root or tempfile.gettempdir())))
        target = staging_dir / "store"
        try:
            import pyoxigraph as ox

            store.flush()
            store.backup(str(target))
            staging = ox.Store(str(target))
            timings["staging_copy"] = time.perf_counter() - t0
            try:
                staging.update(update, base_iri=base_iri, prefixes=_prefixes())
            except SyntaxError as exc:
                return WriteOutcome(False, "syntax", str(exc), timings=timings)
            except Exception as exc:  # noqa: BLE001 - e.g. DROP of a missing graph without SILENT
                return WriteOutcome(False, "error", f"{type(exc).__name__}: {exc}", timings=timings)
            t1 = time.perf_counter()
            result = None
            if len(store) > full_validation_max_quads:
                result = validate_changes(store, staging, update)
                timings["validate_mode_incremental"] = 1.0
            if result is None:
                result = validate_store(staging)
            conforms, ttl, js, text = result
            timings["validate"] = time.perf_counter() - t1
            del staging
            if not conforms:
                return WriteOutcome(False, "violation", "the write violates the SHACL shapes", ttl, js, text, timings)
        finally:
            shutil.rmtree(staging_dir, ignore_errors=True)
    t2 = time.perf_counter()
    try:
        store.update(update, base_iri=base_iri, prefixes=_prefixes())
    except SyntaxError as exc:
        return WriteOutcome(False, "syntax", str(exc), timings=timings)
    except Exception as exc:  # noqa: BLE001
        return WriteOutcome(False, "error", f"{type(exc).__name__}: {exc}", timings=timings)
    timings["apply"] = time.perf_counter() - t2
    state.committed()
    timings["total"] = time.perf_counter() - t0
    log.info("write committed: %s", {k: round(v, 3) for k, v in timings.items()})
    return WriteOutcome(True, timings=timings)
