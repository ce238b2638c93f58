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

import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.namespaces import GRAPH_ALIGNMENT, GRAPH_INFERRED, GRAPH_ONTOLOGY, GRAPH_SHAPES

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


def validate_store(store: Any) -> tuple[bool, str, str, str]:
    """Validate the store's data graphs against its shapes graph.

    Returns (conforms, report as Turtle, report as JSON, report as text). Uses kg.shacl when it
    exists (the project's validator), else pyshacl directly."""
    import rdflib

    data = rdflib.Graph()
    data.parse(data=_graph_triples_nt(store, None, _NOT_DATA), format="nt")
    shapes = rdflib.Graph()
    shapes.parse(data=_graph_triples_nt(store, [GRAPH_SHAPES], set()), format="nt")
    ontology = rdflib.Graph()
    ontology.parse(data=_graph_triples_nt(store, list(_ONTOLOGY), set()), format="nt")
    try:
        from kg.shacl import validate  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - not there yet: use pyshacl directly
        validate = None
    if validate is not None:
        report = validate(data, shapes, ontology)
        to_text = getattr(report, "to_text")
        try:
            text = to_text(lang="both")
        except TypeError:
            text = to_text()
        return bool(report.conforms), report.to_turtle(), report.to_json(), text
    import json

    import pyshacl

    conforms, results_graph, results_text = pyshacl.validate(
        data, shacl_graph=shapes, ont_graph=ontology, inference="rdfs", advanced=True
    )
    ttl = results_graph.serialize(format="turtle")
    js = json.dumps({"conforms": bool(conforms), "text": results_text}, ensure_ascii=False)
    return bool(conforms), ttl, js, results_text


def _prefixes() -> dict[str, str]:
    """The project prefixes, usable in updates without PREFIX (as in queries)."""
    from kg.namespaces import PREFIXES

    return dict(PREFIXES)


def apply_update(state: Any, update: str, *, base_iri: str | None, validate: bool) -> WriteOutcome:
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
            conforms, ttl, js, text = validate_store(staging)
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
    return WriteOutcome(True, timings=timings)
